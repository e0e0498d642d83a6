//! Reading the distribution an archive holds (a wheel's `METADATA`, an sdist's static
//! `PKG-INFO`), its sha256 checked against the URL's `#sha256=` fragment; and what a cache
//! keeps of such a read.

use std::io::{Read, Seek};

use url::Url;

use super::{needs_build, DirectDist};
use crate::index::archive::{sdist_metadata, static_or_why, wheel_metadata, zip_pkg_info};
use crate::index::{
    parse_filename, parse_metadata, DistFile, DistKind, FileParts, FileUrl, IndexError, Limits,
    Sha256Hash,
};
use crate::pep::PackageName;
#[cfg(test)]
use sha2::{Digest, Sha256};

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
pub(super) const FRAGMENT_GIVES: &str = "the `#sha256=` fragment gives";

/// What an archive's URL says: the URL without its fragment, as shown in messages, and the
/// file name parsed.
struct Identified {
    bare: Url,
    shown: String,
    filename: String,
    parsed: crate::index::DistFilename,
}

/// Check `sha256` against the URL's `#sha256=` fragment, if any, and parse the file name.
fn identify(name: &PackageName, url: &Url, sha256: &str) -> Result<Identified, IndexError> {
    let mut bare = url.clone();
    bare.set_fragment(None);
    let shown = crate::index::redact(&bare);
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
        file: DistFile::new(FileParts {
            filename: id.filename.into(),
            version: id.parsed.version,
            kind: id.parsed.kind,
            url: FileUrl::from(id.bare),
            // Computed here, so always 64 hexadecimal digits.
            sha256: Sha256Hash::from_hex(&sha256),
            requires_python: metadata.requires_python.clone().map(std::sync::Arc::new),
            yanked: false,
            core_metadata: None,
            size: Some(size),
            upload_time: None,
        }),
        metadata,
        directory: false,
    })
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
        let wheel = crate::index::archive::tests::wheel_bytes("Name: x\nVersion: 2.0\n");
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
        let wheel = crate::index::archive::tests::wheel_bytes("Name: x\nVersion: 1.0\n");
        let err = from_bytes(&name("x"), &url("x-1.0-py3-none-any.whl"), &wheel, &small)
            .expect_err("too large");
        assert!(err.to_string().contains("larger than the limit"), "{err}");
    }

    #[test]
    fn kept_reads_come_back_and_damaged_ones_are_read_again() {
        let wheel = crate::index::archive::tests::wheel_bytes("Name: x\nVersion: 1.0\n");
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
}
