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

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek};
use std::path::Path;

use sha2::{Digest, Sha256};
use url::Url;

use super::archive::{sdist_metadata, static_or_why, wheel_metadata, zip_pkg_info};
use super::{
    parse_filename, parse_metadata, CoreMetadata, DistFile, DistKind, FileUrl, Index, IndexError,
    Limits, ProjectPage,
};
use crate::manifest::{Manifest, Project};
use crate::pep::{PackageName, Requirement, VersionOrUrl};

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
            location: super::redact(url),
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
        return directory(name, &path, bare);
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

/// The distribution an archive's bytes hold, fetched from `url` (whose `#sha256=` fragment,
/// if any, the bytes must match).
#[cfg(test)]
fn from_bytes(
    name: &PackageName,
    url: &Url,
    bytes: &[u8],
    limits: &Limits,
) -> Result<DirectDist, IndexError> {
    let sha256 = crate::util::hex(&Sha256::digest(bytes));
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    from_archive(
        name,
        url,
        std::io::Cursor::new(bytes),
        (sha256, size),
        limits,
    )
    .map(|(d, _)| d)
}

/// Who gives the expected hash of a direct reference, in a [`IndexError::HashMismatch`].
const FRAGMENT_GIVES: &str = "the `#sha256=` fragment gives";

/// What an archive's URL says: the URL without its fragment, as shown in messages, and the
/// file name parsed.
struct Identified {
    bare: Url,
    shown: String,
    filename: String,
    parsed: super::DistFilename,
}

/// Check `sha256` against the URL's `#sha256=` fragment, if any, and parse the file name.
fn identify(name: &PackageName, url: &Url, sha256: &str) -> Result<Identified, IndexError> {
    let mut bare = url.clone();
    bare.set_fragment(None);
    let shown = super::redact(&bare);
    if let Some(expected) = url.fragment().and_then(|f| f.strip_prefix("sha256=")) {
        if !expected.eq_ignore_ascii_case(sha256) {
            return Err(IndexError::HashMismatch {
                url: shown,
                listed_by: FRAGMENT_GIVES.into(),
                expected: expected.to_ascii_lowercase(),
                actual: sha256.to_owned(),
            });
        }
    }
    let filename = crate::util::url_file_name(&bare);
    let parsed = parse_filename(&filename, name).ok_or_else(|| IndexError::Malformed {
        url: shown.clone(),
        reason: format!("`{filename}` is not a wheel or sdist file name of {name}"),
    })?;
    Ok(Identified {
        bare,
        shown,
        filename,
        parsed,
    })
}

/// The distribution an archive holds, given its sha256 and size (`hashed`); also what a
/// cache may keep of it (see [`from_kept`]).
pub(crate) fn from_archive<R: Read + Seek>(
    name: &PackageName,
    url: &Url,
    reader: R,
    (sha256, size): (String, u64),
    limits: &Limits,
) -> Result<(DirectDist, Vec<u8>), IndexError> {
    let id = identify(name, url, &sha256)?;
    let shown = id.shown.as_str();
    let metadata_bytes = match &id.parsed.kind {
        DistKind::Wheel(_) => wheel_metadata(reader, shown, limits)?,
        DistKind::Sdist if id.filename.ends_with(".zip") => {
            let pkg_info = zip_pkg_info(reader, shown, limits)?;
            if let Some(why) = static_or_why(&pkg_info) {
                return Err(needs_build(name, &why));
            }
            pkg_info
        }
        DistKind::Sdist => {
            let (pkg_info, why) = sdist_metadata(reader, shown, name.as_ref(), limits)?;
            if let Some(why) = why {
                // Why PKG-INFO is not static, without what the index path falls back to.
                return Err(needs_build(name, &static_or_why(&pkg_info).unwrap_or(why)));
            }
            pkg_info
        }
    };
    let mut kept = format!("{sha256}\n{size}\n").into_bytes();
    kept.extend_from_slice(&metadata_bytes);
    Ok((assemble(name, id, &metadata_bytes, sha256, size)?, kept))
}

/// The distribution [`from_archive`] read earlier from `url`, from what it gave to keep;
/// `None` when `kept` is not in that form or no longer fits (read the file again then).
pub(crate) fn from_kept(name: &PackageName, url: &Url, kept: &[u8]) -> Option<DirectDist> {
    let at = kept.iter().position(|&b| b == b'\n')?;
    let sha256 = std::str::from_utf8(&kept[..at]).ok()?;
    let rest = &kept[at + 1..];
    let at2 = rest.iter().position(|&b| b == b'\n')?;
    let size = std::str::from_utf8(&rest[..at2])
        .ok()?
        .parse::<u64>()
        .ok()?;
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let id = identify(name, url, sha256).ok()?;
    assemble(name, id, &rest[at2 + 1..], sha256.to_owned(), size).ok()
}

/// The distribution from its parts; its metadata must name it as its file name does.
fn assemble(
    name: &PackageName,
    id: Identified,
    metadata_bytes: &[u8],
    sha256: String,
    size: u64,
) -> Result<DirectDist, IndexError> {
    let metadata = parse_metadata(metadata_bytes, &id.shown)?;
    if metadata.name != *name || metadata.version != id.parsed.version {
        return Err(IndexError::Malformed {
            url: id.shown,
            reason: format!(
                "its metadata says {} {}, its file name {name} {}",
                metadata.name, metadata.version, id.parsed.version
            ),
        });
    }
    Ok(DirectDist {
        file: DistFile {
            filename: id.filename,
            version: id.parsed.version,
            kind: id.parsed.kind,
            url: FileUrl::from(id.bare),
            sha256: Some(sha256),
            requires_python: metadata.requires_python.clone(),
            yanked: false,
            core_metadata: None,
            size: Some(size),
            upload_time: None,
        },
        metadata,
        directory: false,
    })
}

/// A temporary file for a download, removed when dropped.
pub(crate) struct Spool {
    /// The open file, for writing then reading.
    pub(crate) file: std::fs::File,
    path: std::path::PathBuf,
}

impl Spool {
    /// A new empty file in the system's temporary directory: readable by its owner only
    /// (0600 on Unix), under a random name, created exclusively (never an existing file or a
    /// link someone planted).
    pub(crate) fn new() -> Result<Self, IndexError> {
        Self::new_in(&std::env::temp_dir())
    }

    fn new_in(dir: &Path) -> Result<Self, IndexError> {
        let mut attempts = 0;
        loop {
            let path = dir.join(format!("pylock-download-{}", random_suffix()));
            let mut options = std::fs::OpenOptions::new();
            options.read(true).write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(file) => return Ok(Self { file, path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempts < 16 => {
                    attempts += 1;
                }
                Err(source) => {
                    return Err(IndexError::Io {
                        url: path.display().to_string(),
                        source,
                    })
                }
            }
        }
    }
}

/// 128 bits no other process can predict: the standard library's hasher keys are drawn from
/// the operating system's random source, fresh for each `RandomState`.
fn random_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let word = || {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u32(std::process::id());
        h.finish()
    };
    format!("{:016x}{:016x}", word(), word())
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Hash `reader` (at most `limit` bytes) into `out` as it is copied; its sha256 and size.
pub(crate) fn copy_hashed(
    reader: impl Read,
    out: &mut impl std::io::Write,
    limit: u64,
    what: &str,
) -> Result<(String, u64), IndexError> {
    struct Tee<'a, W> {
        out: &'a mut W,
        hasher: Sha256,
    }
    impl<W: std::io::Write> std::io::Write for Tee<'_, W> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = self.out.write(buf)?;
            self.hasher.update(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.out.flush()
        }
    }
    let mut tee = Tee {
        out,
        hasher: Sha256::new(),
    };
    let size =
        std::io::copy(&mut reader.take(limit.saturating_add(1)), &mut tee).map_err(|source| {
            IndexError::Io {
                url: what.to_owned(),
                source,
            }
        })?;
    if size > limit {
        return Err(IndexError::TooLarge {
            url: what.to_owned(),
            what: "the file".into(),
            limit,
        });
    }
    Ok((crate::util::hex(&tee.hasher.finalize()), size))
}

fn needs_build(name: &PackageName, why: &str) -> IndexError {
    IndexError::DynamicMetadata {
        project: name.to_string(),
        reason: format!("{why}; a build would be needed"),
    }
}

/// A local project directory's static `[project]` metadata.
fn directory(name: &PackageName, dir: &Path, url: Url) -> Result<DirectDist, IndexError> {
    let pyproject = dir.join("pyproject.toml");
    // What it publishes only: its dependency groups are not a dependency's to install.
    let project = Project::read_published(&pyproject).map_err(|e| IndexError::Malformed {
        url: pyproject.display().to_string(),
        reason: e.to_string(),
    })?;
    let needed = [
        "version",
        "dependencies",
        "optional-dependencies",
        "requires-python",
    ];
    if let Some(field) = needed
        .iter()
        .find(|f| project.dynamic.iter().any(|d| d == *f))
    {
        return Err(needs_build(
            name,
            &format!("{} lists `{field}` as dynamic", pyproject.display()),
        ));
    }
    let Some(version) = project.version.clone() else {
        return Err(needs_build(
            name,
            &format!("{} gives no [project] version", pyproject.display()),
        ));
    };
    if project.name.as_ref() != Some(name) {
        return Err(IndexError::Malformed {
            url: pyproject.display().to_string(),
            reason: format!("the project is not named {name}"),
        });
    }
    let mut requires_dist = project.dependencies.clone();
    for (extra, requirements) in &project.extras {
        let marker = crate::pep::parse::marker(&format!("extra == '{extra}'")).map_err(|e| {
            IndexError::Internal {
                what: pyproject.display().to_string(),
                message: e.message,
            }
        })?;
        for r in requirements {
            let mut r = r.clone();
            r.marker.and(marker.clone());
            requires_dist.push(r);
        }
    }
    let metadata = CoreMetadata {
        name: name.clone(),
        version: version.clone(),
        requires_python: project.requires_python.clone(),
        requires_dist,
        provides_extra: project.extras.keys().cloned().collect(),
        approximate: None,
    };
    Ok(DirectDist {
        file: DistFile {
            filename: format!("{name}-{version}"),
            version,
            kind: DistKind::Sdist,
            url: FileUrl::from(url),
            sha256: None,
            requires_python: metadata.requires_python.clone(),
            yanked: false,
            core_metadata: None,
            size: None,
            upload_time: None,
        },
        metadata,
        directory: true,
    })
}

/// An index seen through the direct references of a manifest: each named package has its
/// referenced distribution as its only version, and the underlying index is not asked for it.
pub(crate) struct Overlay<'a> {
    inner: &'a dyn Index,
    dists: BTreeMap<PackageName, DirectDist>,
    /// The requirement each package's reference was first given in.
    given: BTreeMap<PackageName, String>,
    by_url: HashMap<String, PackageName>,
}

/// The URL of a direct requirement, if it is one.
fn url_of(requirement: &Requirement) -> Option<Url> {
    match &requirement.version_or_url {
        Some(VersionOrUrl::Url(url)) => Some(url.to_url()),
        _ => None,
    }
}

fn without_fragment(url: &Url) -> String {
    let mut bare = url.clone();
    bare.set_fragment(None);
    bare.to_string()
}

impl<'a> Overlay<'a> {
    /// Read every direct reference of `manifest` (requirements, constraints, overrides) and
    /// of the local projects among them, through `inner`. Two different references for one
    /// name, or one that cannot be read, is an error naming the requirement.
    pub(crate) fn read(manifest: &Manifest, inner: &'a dyn Index) -> Result<Self, IndexError> {
        let mut todo: Vec<Requirement> = manifest
            .requirements
            .iter()
            .chain(&manifest.constraints)
            .chain(&manifest.overrides)
            .filter(|r| url_of(r).is_some())
            .cloned()
            .collect();
        todo.reverse();
        let mut seen: BTreeMap<PackageName, (Url, String)> = BTreeMap::new();
        let mut dists = BTreeMap::new();
        while let Some(req) = todo.pop() {
            let Some(url) = url_of(&req) else { continue };
            let given = if url.username().is_empty() && url.password().is_none() {
                req.to_string()
            } else {
                // Never print credentials.
                format!("{} @ {}", req.name, super::redact(&url))
            };
            if let Some((first, first_given)) = seen.get(&req.name) {
                if without_fragment(first) == without_fragment(&url) {
                    // The same file: every `#sha256=` given for it must be the file's, whichever
                    // reference was read (the first may have had none).
                    let expected = url.fragment().and_then(|f| f.strip_prefix("sha256="));
                    let actual = dists
                        .get(&req.name)
                        .and_then(|d: &DirectDist| d.file.sha256.clone());
                    match (expected, actual) {
                        (Some(expected), Some(actual))
                            if !expected.eq_ignore_ascii_case(&actual) =>
                        {
                            return Err(IndexError::Direct {
                                requirement: given,
                                reason: IndexError::HashMismatch {
                                    url: {
                                        let mut bare = url.clone();
                                        bare.set_fragment(None);
                                        super::redact(&bare)
                                    },
                                    listed_by: FRAGMENT_GIVES.into(),
                                    expected: expected.to_ascii_lowercase(),
                                    actual,
                                }
                                .to_string(),
                            });
                        }
                        _ => continue,
                    }
                }
                return Err(IndexError::Direct {
                    requirement: given,
                    reason: format!(
                        "{} has another direct reference, `{first_given}`: one package can come from one place only",
                        req.name
                    ),
                });
            }
            if seen.len() >= MAX_DIRECT {
                return Err(IndexError::Direct {
                    requirement: given,
                    reason: format!("more than {MAX_DIRECT} direct references"),
                });
            }
            seen.insert(req.name.clone(), (url.clone(), given.clone()));
            let dist = inner
                .direct(&req.name, &url)
                .map_err(|e| IndexError::Direct {
                    requirement: given.clone(),
                    reason: e.to_string(),
                })?;
            // A local project's own direct references (`lib @ file:../lib`) are the user's
            // too; those in an archive's metadata are not followed (a remote file must not
            // make pylock read local ones).
            if dist.directory {
                let local = dist.metadata.requires_dist.iter().rev();
                todo.extend(local.filter(|r| url_of(r).is_some()).cloned());
            }
            dists.insert(req.name.clone(), dist);
        }
        let by_url = dists
            .iter()
            .map(|(name, d)| (d.file.url.as_str().to_owned(), name.clone()))
            .collect();
        let given = seen.into_iter().map(|(n, (_, g))| (n, g)).collect();
        Ok(Self {
            inner,
            dists,
            given,
            by_url,
        })
    }

    /// Where each direct package comes from, for an explanation that names some of them:
    /// one line per package whose name appears in `explanation`.
    pub(crate) fn notes(&self, explanation: &str) -> Vec<String> {
        let words: std::collections::HashSet<&str> = explanation
            .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .map(|w| w.trim_end_matches('.'))
            .collect();
        self.dists
            .iter()
            .filter(|(name, _)| words.contains(name.as_ref()))
            .map(|(name, d)| {
                format!(
                    "{name} {} is the only version considered: it comes from the direct reference `{}`",
                    d.file.version,
                    self.given.get(name).map_or("", String::as_str)
                )
            })
            .collect()
    }

    /// The packages read, by name.
    pub(crate) fn dists(&self) -> &BTreeMap<PackageName, DirectDist> {
        &self.dists
    }
}

impl Index for Overlay<'_> {
    fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
        match self.dists.get(name) {
            Some(d) => Ok(Some(ProjectPage {
                name: name.clone(),
                files: vec![d.file.clone()],
            })),
            None => self.inner.project(name),
        }
    }

    fn metadata(&self, file: &DistFile) -> Result<CoreMetadata, IndexError> {
        match self.by_url.get(file.url.as_str()) {
            Some(name) => Ok(self.dists[name].metadata.clone()),
            None => self.inner.metadata(file),
        }
    }

    fn concurrency(&self) -> usize {
        self.inner.concurrency()
    }

    fn direct(&self, name: &PackageName, url: &Url) -> Result<DirectDist, IndexError> {
        self.inner.direct(name, url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> PackageName {
        n.parse().expect("name")
    }

    #[test]
    fn hostile_archives_are_errors_not_panics() {
        let limits = Limits::default();
        let url = |f: &str| Url::parse(&format!("https://h.example/{f}")).expect("url");
        for (file, bytes) in [
            ("x-1.0-py3-none-any.whl", &b"not a zip"[..]),
            ("x-1.0.tar.gz", b"\x1f\x8b garbage"),
            ("x-1.0.zip", b"PK\x03\x04 short"),
            ("y-1.0.tar.gz", b""),
        ] {
            let err = from_bytes(&name("x"), &url(file), bytes, &limits).expect_err(file);
            assert!(
                err.to_string().contains("h.example") || err.to_string().contains('x'),
                "{err}"
            );
        }
        // A wheel whose METADATA names another version than its file name.
        let wheel = super::super::archive::tests::wheel_bytes("Name: x\nVersion: 2.0\n");
        let err = from_bytes(
            &name("x"),
            &url("x-1.0-py3-none-any.whl"),
            &wheel,
            &Limits::default(),
        )
        .expect_err("mismatch");
        assert!(
            err.to_string()
                .contains("its metadata says x 2.0, its file name x 1.0"),
            "{err}"
        );
        let small = Limits {
            metadata_bytes: 4,
            ..Limits::default()
        };
        let wheel = super::super::archive::tests::wheel_bytes("Name: x\nVersion: 1.0\n");
        let err = from_bytes(&name("x"), &url("x-1.0-py3-none-any.whl"), &wheel, &small)
            .expect_err("too large");
        assert!(err.to_string().contains("larger than the limit"), "{err}");
    }

    #[test]
    fn local_archives_are_hashed_in_place_within_the_limit() {
        let wheel = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/direct/dwheel-1.0-py3-none-any.whl");
        let url = Url::from_file_path(std::path::absolute(&wheel).expect("abs")).expect("url");
        let d = read_local(&name("dwheel"), &url, &Limits::default()).expect("reads");
        assert_eq!(d.file.size, Some(805));
        assert_eq!(
            d.file.sha256.as_deref(),
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
    fn kept_reads_come_back_and_damaged_ones_are_read_again() {
        let wheel = super::super::archive::tests::wheel_bytes("Name: x\nVersion: 1.0\n");
        let url = Url::parse("https://h.example/x-1.0-py3-none-any.whl").expect("url");
        let sha256 = crate::util::hex(&Sha256::digest(&wheel));
        let size = wheel.len() as u64;
        let (read, kept) = from_archive(
            &name("x"),
            &url,
            std::io::Cursor::new(&wheel),
            (sha256, size),
            &Limits::default(),
        )
        .expect("reads");
        let back = from_kept(&name("x"), &url, &kept).expect("kept");
        assert_eq!(format!("{:?}", back.file), format!("{:?}", read.file));
        assert_eq!(
            format!("{:?}", back.metadata),
            format!("{:?}", read.metadata)
        );
        for damaged in [&kept[..10], &kept[1..], b"", b"\n\n"] {
            assert!(from_kept(&name("x"), &url, damaged).is_none());
        }
        // Kept under another hash than the URL now pins: read again.
        let other = Url::parse(&format!("{url}#sha256={}", "0".repeat(64))).expect("url");
        assert!(from_kept(&name("x"), &other, &kept).is_none());
    }

    #[test]
    fn spool_files_are_private_and_randomly_named() {
        let dir = std::env::temp_dir().join(format!("pylock-spool-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let a = Spool::new_in(&dir).expect("spool");
        let b = Spool::new_in(&dir).expect("spool");
        let names: Vec<String> = [&a, &b]
            .iter()
            .map(|s| {
                s.path
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        for name in &names {
            let suffix = name.strip_prefix("pylock-download-").expect(name);
            assert_eq!(suffix.len(), 32, "{name}");
            assert!(suffix.bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
        }
        assert_ne!(names[0], names[1]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = a.file.metadata().expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        let path = a.path.clone();
        drop(a);
        assert!(!path.exists());
        drop(b);
        let _ = std::fs::remove_dir_all(&dir);
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
