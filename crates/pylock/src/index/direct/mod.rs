//! Direct references (`name @ URL`, local archives and project directories): reading the one
//! distribution each names, and an [`Index`] overlay through which the resolver sees it as
//! the only version of its project.
//!
//! The seam is [`Index::direct`]: every index reads `file:` references (local archives and
//! project directories the user named), and [`HttpIndex`](super::HttpIndex) also downloads
//! `http(s)` ones through its client (its limits, cache and credentials-by-origin rules). An
//! archive is read whole (bounded by [`Limits::download_bytes`]) so that its sha256 can be
//! checked against a `#sha256=` fragment, or computed for the lock. Metadata comes from a
//! wheel's `METADATA`, an sdist's static `PKG-INFO` (Metadata-Version 2.2+, dependencies and
//! Requires-Python not dynamic) or a project's static `[project]` table; anything else would
//! need a build and is an error.
//!
//! [`dist`] reads an archive (a wheel or an sdist) and checks its hash, [`project`] a local
//! project directory, [`spool`] holds downloads and hashes them as they are copied, and
//! [`overlay`] is the index the resolver sees them through.

mod dist;
mod overlay;
mod project;
mod spool;

use std::io::Seek;

use url::Url;

use super::{CoreMetadata, DistFile, IndexError, Limits};
use crate::pep::PackageName;
pub(crate) use dist::{from_archive, from_kept};
pub(crate) use overlay::Overlay;
pub(crate) use spool::{copy_hashed, Spool};

/// The distribution a direct reference names, read.
#[derive(Clone, Debug)]
pub struct DirectDist {
    /// Its one file: the archive (its sha256 and size known), or, for a project directory,
    /// the directory standing as a source distribution (installable anywhere).
    pub file: DistFile,
    /// Its core metadata.
    pub metadata: CoreMetadata,
    /// Whether it is a local project directory.
    pub directory: bool,
}

/// The most direct references one resolve reads (a local project's local dependencies
/// included); real projects have a handful.
pub(crate) const MAX_DIRECT: usize = 1_000;

/// Read a `file:` reference: a local archive (at most [`Limits::download_bytes`]) or a
/// project directory.
pub(crate) fn read_local(
    name: &PackageName,
    url: &Url,
    limits: &Limits,
) -> Result<DirectDist, IndexError> {
    if url.scheme() != "file" {
        return Err(IndexError::InvalidLocation {
            location: crate::index::redact(url),
            reason: "this index reads only local (file:) direct references; use an HTTP(S) index to download others".into(),
        });
    }
    let path = url
        .to_file_path()
        .map_err(|()| IndexError::InvalidLocation {
            location: url.to_string(),
            reason: "not a local path".into(),
        })?;
    let mut bare = url.clone();
    bare.set_fragment(None);
    let io = |source| IndexError::Io {
        url: path.display().to_string(),
        source,
    };
    if path.is_dir() {
        return project::directory(name, &path, bare);
    }
    // Hashed as a stream and read in place: a local wheel can be gigabytes.
    let mut file = std::fs::File::open(&path).map_err(io)?;
    let shown = path.display().to_string();
    let hashed = copy_hashed(
        &mut file,
        &mut std::io::sink(),
        limits.download_bytes,
        &shown,
    )?;
    file.seek(std::io::SeekFrom::Start(0)).map_err(io)?;
    let reader = std::io::BufReader::new(file);
    from_archive(name, url, reader, hashed, limits).map(|(d, _)| d)
}

/// The error for a distribution whose metadata only a build could give.
fn needs_build(name: &PackageName, why: &str) -> IndexError {
    IndexError::DynamicMetadata {
        project: name.to_string(),
        reason: format!("{why}; a build would be needed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn name(n: &str) -> PackageName {
        n.parse().expect("name")
    }

    #[test]
    fn local_archives_are_hashed_in_place_within_the_limit() {
        let wheel = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/direct/dwheel-1.0-py3-none-any.whl");
        let url = Url::from_file_path(std::path::absolute(&wheel).expect("abs")).expect("url");
        let d = read_local(&name("dwheel"), &url, &Limits::default()).expect("reads");
        assert_eq!(d.file.size, Some(805));
        assert_eq!(
            d.file.sha256().as_deref(),
            Some("10144d7c6fa0763337cb60b6db039865484f7bd3d96357cd6915ac41935bb93a")
        );
        let small = Limits {
            download_bytes: 804,
            ..Limits::default()
        };
        let err = read_local(&name("dwheel"), &url, &small).expect_err("too large");
        assert!(
            err.to_string().contains("larger than the limit of 804"),
            "{err}"
        );
    }

    #[test]
    fn only_file_urls_are_read_by_default() {
        let err = read_local(
            &name("x"),
            &Url::parse("https://h.example/x-1.0.tar.gz").expect("url"),
            &Limits::default(),
        )
        .expect_err("remote");
        assert!(
            err.to_string()
                .contains("only local (file:) direct references"),
            "{err}"
        );
    }
}
