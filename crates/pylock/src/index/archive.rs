//! Core metadata from inside distributions, for indexes that serve no PEP 658 `.metadata`:
//! a wheel's `*.dist-info/METADATA` (read through any `Read + Seek`, so an HTTP range reader
//! fetches only the zip directory and that member) and an sdist's `PKG-INFO` (static from
//! Metadata-Version 2.2; before that, or when dynamic, the dependencies its build recorded,
//! marked as approximate).

use std::io::{Read, Seek};

use super::{IndexError, Limits};

/// All of `reader`, refused past `limit` bytes (`what` names it in the error).
fn read_bounded(
    reader: impl Read,
    limit: u64,
    url: &str,
    what: &str,
) -> Result<Vec<u8>, IndexError> {
    crate::util::read_at_most(reader, limit, 0)
        .map_err(|e| IndexError::Malformed {
            url: url.to_owned(),
            reason: format!("cannot read {what}: {e}"),
        })?
        .ok_or_else(|| IndexError::TooLarge {
            url: url.to_owned(),
            what: what.to_owned(),
            limit,
        })
}

/// The `METADATA` member of a wheel, decompressed up to the metadata limit.
pub fn wheel_metadata<R: Read + Seek>(
    reader: R,
    url: &str,
    limits: &Limits,
) -> Result<Vec<u8>, IndexError> {
    zip_member(
        reader,
        url,
        limits,
        ".dist-info/METADATA",
        "*.dist-info/METADATA in the wheel",
    )
}

/// The `PKG-INFO` of a `.zip` sdist (`name-1.0/PKG-INFO`), decompressed up to the metadata
/// limit.
pub fn zip_pkg_info<R: Read + Seek>(
    reader: R,
    url: &str,
    limits: &Limits,
) -> Result<Vec<u8>, IndexError> {
    zip_member(
        reader,
        url,
        limits,
        "/PKG-INFO",
        "PKG-INFO in the source distribution",
    )
}

/// The first (by name) member one directory deep whose name ends with `suffix`: the zip
/// directory is walked for that one entry (see [`super::zipdir`]), not parsed whole.
fn zip_member<R: Read + Seek>(
    reader: R,
    url: &str,
    limits: &Limits,
    suffix: &str,
    what: &str,
) -> Result<Vec<u8>, IndexError> {
    use super::zipdir::{member, ZipError};
    let malformed = |reason: String| IndexError::Malformed {
        url: url.to_owned(),
        reason,
    };
    let limit = limits.metadata_bytes;
    // No panic is expected from the walk (every read is checked); one would be a bug, and is
    // contained here as a malformed archive rather than a worker thread lost.
    let read = || match member(reader, suffix, limit) {
        Ok(Some((_, bytes))) => Ok(bytes),
        Ok(None) => Err(malformed(format!("no {what}"))),
        Err(ZipError::Malformed(reason)) => Err(malformed(format!("not a zip: {reason}"))),
        Err(ZipError::TooLarge) => Err(IndexError::TooLarge {
            url: url.to_owned(),
            what: what.to_owned(),
            limit,
        }),
    };
    crate::util::catch_panic(read).unwrap_or_else(|_| {
        Err(malformed(
            "not a readable zip (the zip reader panicked)".into(),
        ))
    })
}

/// Core metadata of a `.tar.gz` sdist, and, when it is not static (Metadata-Version before
/// 2.2, or dependencies marked dynamic), why it only approximates what a build would say.
///
/// Static `PKG-INFO` is used as is. Otherwise the dependencies the sdist's author's build
/// recorded are used, as pip's and uv's builds of such packages nearly always find them:
/// `Requires-Dist` in `PKG-INFO`, else the setuptools `*.egg-info/requires.txt`. pylock
/// builds nothing; the resolution warns where it locks such a version.
///
/// The archive is read as a stream and left as soon as the answer is known (PKG-INFO comes
/// first in sdists): a 300 MB sdist costs its first kilobytes.
///
/// At most [`Limits::sdist_scan_bytes`] are decompressed looking for the metadata, and each
/// member read is bounded by [`Limits::metadata_bytes`].
pub fn sdist_metadata(
    reader: impl Read,
    url: &str,
    project: &str,
    limits: &Limits,
) -> Result<(Vec<u8>, Option<String>), IndexError> {
    let malformed = |reason: String| IndexError::Malformed {
        url: url.to_owned(),
        reason,
    };
    let scan = flate2::read::GzDecoder::new(reader).take(limits.sdist_scan_bytes);
    let mut archive = tar::Archive::new(scan);
    let entries = archive
        .entries()
        .map_err(|e| malformed(format!("not a tar.gz: {e}")))?;
    let mut pkg_info = None;
    let mut requires_txt = None;
    for entry in entries {
        let mut entry = entry.map_err(|e| malformed(format!("bad tar entry: {e}")))?;
        let path = entry
            .path()
            .map_err(|e| malformed(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        let depth = path.matches('/').count();
        let is_pkg_info = depth == 1 && path.ends_with("/PKG-INFO");
        // `name-1.0/name.egg-info/requires.txt` or `name-1.0/src/name.egg-info/requires.txt`.
        let is_requires = (depth == 2 || (depth == 3 && path.contains("/src/")))
            && path.ends_with(".egg-info/requires.txt");
        if !is_pkg_info && !is_requires {
            continue;
        }
        let out = read_bounded(&mut entry, limits.metadata_bytes, url, &path)?;
        if is_pkg_info {
            // Enough when static, or when it lists the dependencies itself.
            if static_or_why(&out).is_none() || lists_requires_dist(&out) {
                pkg_info = Some(out);
                break;
            }
            pkg_info = Some(out);
        } else if requires_txt.is_none() {
            requires_txt = Some(out);
        }
        if pkg_info.is_some() && requires_txt.is_some() {
            break;
        }
    }
    let Some(pkg_info) = pkg_info else {
        return Err(IndexError::DynamicMetadata {
            project: project.to_owned(),
            reason: format!("the source distribution {url} has no PKG-INFO"),
        });
    };
    let why = match static_or_why(&pkg_info) {
        None => return Ok((pkg_info, None)),
        Some(why) => why,
    };
    let text = String::from_utf8_lossy(&pkg_info);
    if lists_requires_dist(&pkg_info) {
        return Ok((
            pkg_info.clone(),
            Some(format!(
                "{why}; its dependencies are those its PKG-INFO lists"
            )),
        ));
    }
    match requires_txt {
        Some(requires) => Ok((
            with_requires_txt(&text, &String::from_utf8_lossy(&requires)),
            Some(format!(
                "{why}; its dependencies are those its egg-info requires.txt lists"
            )),
        )),
        None => Ok((
            pkg_info.clone(),
            Some(format!(
                "{why}; it lists no dependencies, so none are assumed"
            )),
        )),
    }
}

/// Whether PKG-INFO has a `Requires-Dist` header.
fn lists_requires_dist(pkg_info: &[u8]) -> bool {
    String::from_utf8_lossy(pkg_info).lines().any(|l| {
        l.split_once(':')
            .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("requires-dist"))
    })
}

/// `None` when PKG-INFO declares its dependencies statically (Metadata-Version 2.2 or later,
/// Requires-Dist and Requires-Python not `Dynamic`), else why not.
pub(crate) fn static_or_why(pkg_info: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(pkg_info);
    let mut version = None;
    for line in text.lines() {
        if line.is_empty() || line == "\r" {
            break;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if key.trim().eq_ignore_ascii_case("metadata-version") {
            version = Some(value.to_owned());
        } else if key.trim().eq_ignore_ascii_case("dynamic")
            && (value.eq_ignore_ascii_case("requires-dist")
                || value.eq_ignore_ascii_case("requires-python"))
        {
            return Some(format!("its source distribution marks {value} as dynamic"));
        }
    }
    let recent = version
        .as_deref()
        .and_then(|v| v.split_once('.'))
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
        .is_some_and(|v| v >= (2, 2));
    (!recent).then(|| {
        format!(
            "its source distribution has Metadata-Version {}, older than 2.2, so only a build can confirm its dependencies",
            version.as_deref().unwrap_or("(none)")
        )
    })
}

/// PKG-INFO's headers with Requires-Dist and Provides-Extra from a setuptools
/// `requires.txt`: requirements, then `[extra]`, `[:marker]` or `[extra:marker]` sections.
fn with_requires_txt(pkg_info: &str, requires: &str) -> Vec<u8> {
    let mut out = String::new();
    for line in pkg_info.lines() {
        if line.is_empty() || line == "\r" {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    let mut extra: Option<String> = None;
    let mut marker: Option<String> = None;
    for line in requires.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let (e, m) = section.split_once(':').unwrap_or((section, ""));
            extra = (!e.trim().is_empty()).then(|| e.trim().to_owned());
            marker = (!m.trim().is_empty()).then(|| m.trim().to_owned());
            if let Some(e) = &extra {
                out.push_str(&format!("Provides-Extra: {e}\n"));
            }
            continue;
        }
        let conditions: Vec<String> = marker
            .iter()
            .map(|m| format!("({m})"))
            .chain(extra.iter().map(|e| format!("extra == \"{e}\"")))
            .collect();
        if conditions.is_empty() {
            out.push_str(&format!("Requires-Dist: {line}\n"));
        } else {
            out.push_str(&format!(
                "Requires-Dist: {line}; {}\n",
                conditions.join(" and ")
            ));
        }
    }
    out.into_bytes()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::index::Limits;
    use std::io::{Cursor, Write};

    pub(crate) fn wheel_bytes(metadata: &str) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        zip.start_file("pkg/__init__.py", opts).expect("file");
        zip.write_all(b"").expect("write");
        zip.start_file("pkg-1.0.dist-info/METADATA", opts)
            .expect("file");
        zip.write_all(metadata.as_bytes()).expect("write");
        zip.finish().expect("finish").into_inner()
    }

    fn sdist_bytes(pkg_info: &str) -> Vec<u8> {
        sdist_with(&[("pkg-1.0/PKG-INFO", pkg_info)])
    }

    fn sdist_with(members: &[(&str, &str)]) -> Vec<u8> {
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (path, text) in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, path, text.as_bytes())
                .expect("append");
        }
        tar.into_inner().expect("tar").finish().expect("gz")
    }

    #[test]
    fn reads_wheel_metadata() {
        let bytes = wheel_bytes("Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n");
        let m = wheel_metadata(Cursor::new(bytes), "u", &Limits::default()).expect("metadata");
        assert!(String::from_utf8_lossy(&m).contains("Name: pkg"));
        assert!(wheel_metadata(
            Cursor::new(b"not a zip".to_vec()),
            "http://x/a.whl",
            &Limits::default()
        )
        .expect_err("bad")
        .to_string()
        .contains("http://x/a.whl"));
    }

    #[test]
    fn inflating_members_stop_at_the_limits() {
        let small = Limits {
            metadata_bytes: 64 * 1024,
            sdist_scan_bytes: 1024 * 1024,
            ..Limits::default()
        };
        // METADATA that inflates far past the limit (a zip bomb's member).
        let padding = "x".repeat(1024 * 1024);
        let bomb = wheel_bytes(&format!("Name: pkg\nVersion: 1.0\n\n{padding}"));
        assert!(bomb.len() < 20_000, "compresses well: {}", bomb.len());
        let err = wheel_metadata(Cursor::new(bomb), "http://x/pkg.whl", &small).expect_err("big");
        assert!(matches!(err, IndexError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("http://x/pkg.whl"), "{err}");

        let pkg_info = format!("Metadata-Version: 2.2\nName: pkg\nVersion: 1.0\n\n{padding}");
        let huge = sdist_with(&[("pkg-1.0/PKG-INFO", &pkg_info)]);
        let err = sdist_metadata(&huge[..], "u", "pkg", &small).expect_err("big PKG-INFO");
        assert!(matches!(err, IndexError::TooLarge { .. }), "{err}");

        // A gzip bomb before PKG-INFO: decompression stops at the scan limit.
        let noise = "\0".repeat(4 * 1024 * 1024);
        let bomb = sdist_with(&[
            ("pkg-1.0/a.bin", &noise),
            ("pkg-1.0/PKG-INFO", "Name: pkg\n"),
        ]);
        assert!(sdist_metadata(&bomb[..], "u", "pkg", &small).is_err());
        assert!(sdist_metadata(&bomb[..], "u", "pkg", &Limits::default()).is_ok());
    }

    #[test]
    fn a_zip_reader_panic_is_a_malformed_wheel() {
        // Found by fuzzing (fuzz/regressions/wheel/zip-extended-timestamp-len-0): a central
        // directory entry whose extended-timestamp extra field (0x5455) has length 0.
        let mut bytes = vec![b'0'; 304];
        bytes.extend_from_slice(
            b"PK\x01\x02000000000000000000000000\x00\x00\x18\x00\x00\x000000000000000\
              0\x01\x000UT\x00\x00PK\x05\x06\x00\x00\x00\x00000000000\x01\x00\x00\x00\x00",
        );
        let err = wheel_metadata(Cursor::new(bytes), "http://x/a.whl", &Limits::default())
            .expect_err("malformed");
        assert!(err.to_string().contains("http://x/a.whl"), "{err}");
    }

    /// A reader that fails past `limit` bytes: reading there means the archive was not left
    /// when the answer was known.
    struct Limited<'a> {
        bytes: &'a [u8],
        pos: usize,
        limit: usize,
    }

    impl Read for Limited<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.pos >= self.limit {
                return Err(std::io::Error::other("read past the metadata"));
            }
            let n = buf
                .len()
                .min(self.limit - self.pos)
                .min(self.bytes.len() - self.pos);
            buf[..n].copy_from_slice(&self.bytes[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    #[test]
    fn a_big_sdist_is_left_once_pkg_info_is_read() {
        // 2 MB that do not compress, after PKG-INFO.
        let mut noise = String::with_capacity(2_000_000);
        let mut x: u32 = 12345;
        while noise.len() < 2_000_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            noise.push(char::from(b'!' + (x >> 16) as u8 % 90));
        }
        let sdist = sdist_with(&[
            (
                "big-1.0/PKG-INFO",
                "Metadata-Version: 2.1\nName: big\nVersion: 1.0\nRequires-Dist: six\n",
            ),
            ("big-1.0/data.txt", &noise),
        ]);
        assert!(sdist.len() > 1_000_000);
        let reader = Limited {
            bytes: &sdist,
            pos: 0,
            limit: 200_000,
        };
        let (bytes, _) =
            sdist_metadata(reader, "u", "big", &Limits::default()).expect("read from the start");
        assert!(String::from_utf8_lossy(&bytes).contains("Requires-Dist: six"));
    }

    #[test]
    fn sdist_pkg_info_static_or_marked_approximate() {
        let ok = sdist_bytes("Metadata-Version: 2.2\nName: pkg\nVersion: 1.0\nRequires-Dist: a\n");
        let (bytes, approximate) =
            sdist_metadata(&ok[..], "u", "pkg", &Limits::default()).expect("static");
        assert!(approximate.is_none());
        assert!(String::from_utf8_lossy(&bytes).contains("Requires-Dist: a"));

        // Metadata-Version 2.1 with Requires-Dist (what setuptools wrote): used, marked.
        let old = sdist_bytes("Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nRequires-Dist: b\n");
        let (bytes, approximate) =
            sdist_metadata(&old[..], "u", "pkg", &Limits::default()).expect("old");
        assert!(String::from_utf8_lossy(&bytes).contains("Requires-Dist: b"));
        let why = approximate.expect("marked");
        assert!(why.contains("2.1") && why.contains("PKG-INFO"), "{why}");

        // Metadata-Version 1.1: the egg-info requires.txt, sections and all.
        let egg = sdist_with(&[
            ("pkg-1.0/PKG-INFO", "Metadata-Version: 1.1\nName: pkg\nVersion: 1.0\n"),
            (
                "pkg-1.0/pkg.egg-info/requires.txt",
                "six>=1.0\n\n[socks]\nPySocks>=1.5\n\n[:python_version < \"3.8\"]\nimportlib-metadata\n",
            ),
        ]);
        let (bytes, approximate) =
            sdist_metadata(&egg[..], "u", "pkg", &Limits::default()).expect("egg-info");
        let m = crate::index::parse_metadata(&bytes, "u").expect("parses");
        let deps: Vec<String> = m.requires_dist.iter().map(ToString::to_string).collect();
        assert_eq!(
            deps,
            [
                "six>=1.0",
                "pysocks>=1.5 ; extra == 'socks'",
                "importlib-metadata ; python_full_version < '3.8'",
            ]
        );
        assert_eq!(m.provides_extra.len(), 1);
        assert!(approximate.expect("marked").contains("requires.txt"));

        let dynamic =
            sdist_bytes("Metadata-Version: 2.4\nName: pkg\nVersion: 1.0\nDynamic: Requires-Dist\n");
        let (_, approximate) =
            sdist_metadata(&dynamic[..], "u", "pkg", &Limits::default()).expect("dynamic");
        assert!(approximate.expect("marked").contains("dynamic"));

        let none = sdist_with(&[("pkg-1.0/setup.py", "")]);
        assert!(sdist_metadata(&none[..], "u", "pkg", &Limits::default()).is_err());
    }
}
