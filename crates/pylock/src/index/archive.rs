//! Core metadata from inside distributions, for indexes that serve no PEP 658 `.metadata`:
//! a wheel's `*.dist-info/METADATA` (read through any `Read + Seek`, so an HTTP range reader
//! fetches only the zip directory and that member) and an sdist's `PKG-INFO` when it is
//! reliable (Metadata-Version >= 2.2 and Requires-Dist / Requires-Python not dynamic).

use std::io::{Read, Seek};

use super::IndexError;

/// The `METADATA` member of a wheel.
pub fn wheel_metadata<R: Read + Seek>(reader: R, url: &str) -> Result<Vec<u8>, IndexError> {
    let malformed = |reason: String| IndexError::Malformed {
        url: url.to_owned(),
        reason,
    };
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| malformed(format!("not a zip: {e}")))?;
    let name = zip
        .file_names()
        .filter(|n| n.ends_with(".dist-info/METADATA") && n.matches('/').count() == 1)
        .min()
        .map(str::to_owned)
        .ok_or_else(|| malformed("no *.dist-info/METADATA in the wheel".into()))?;
    let mut member = zip
        .by_name(&name)
        .map_err(|e| malformed(format!("cannot read {name}: {e}")))?;
    let mut out = Vec::new();
    member
        .read_to_end(&mut out)
        .map_err(|e| malformed(format!("cannot read {name}: {e}")))?;
    Ok(out)
}

/// The `PKG-INFO` of a `.tar.gz` sdist, when its dependencies are static.
pub fn sdist_metadata(bytes: &[u8], url: &str, project: &str) -> Result<Vec<u8>, IndexError> {
    let malformed = |reason: String| IndexError::Malformed {
        url: url.to_owned(),
        reason,
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let entries = archive
        .entries()
        .map_err(|e| malformed(format!("not a tar.gz: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| malformed(format!("bad tar entry: {e}")))?;
        let path = entry
            .path()
            .map_err(|e| malformed(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        if path.matches('/').count() != 1 || !path.ends_with("/PKG-INFO") {
            continue;
        }
        let mut out = Vec::new();
        entry
            .read_to_end(&mut out)
            .map_err(|e| malformed(format!("cannot read {path}: {e}")))?;
        return check_static(out, project);
    }
    Err(IndexError::DynamicMetadata {
        project: project.to_owned(),
        reason: format!("the source distribution {url} has no PKG-INFO"),
    })
}

/// Accept PKG-INFO only when it declares its dependencies (Metadata-Version 2.2 or later,
/// Requires-Dist and Requires-Python not `Dynamic`).
fn check_static(pkg_info: Vec<u8>, project: &str) -> Result<Vec<u8>, IndexError> {
    let text = String::from_utf8_lossy(&pkg_info);
    let mut version = None;
    for line in text.lines() {
        if line.is_empty() || line == "\r" {
            break;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "metadata-version" => version = Some(value.to_owned()),
            "dynamic"
                if value.eq_ignore_ascii_case("requires-dist")
                    || value.eq_ignore_ascii_case("requires-python") =>
            {
                return Err(IndexError::DynamicMetadata {
                    project: project.to_owned(),
                    reason: format!("its source distribution marks {value} as dynamic"),
                })
            }
            _ => {}
        }
    }
    let recent = version
        .as_deref()
        .and_then(|v| v.split_once('.'))
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
        .is_some_and(|v| v >= (2, 2));
    if !recent {
        return Err(IndexError::DynamicMetadata {
            project: project.to_owned(),
            reason: format!(
                "its source distribution has Metadata-Version {}, older than 2.2, so its dependencies are only known after a build",
                version.as_deref().unwrap_or("(none)")
            ),
        });
    }
    Ok(pkg_info)
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        let mut header = tar::Header::new_gnu();
        header.set_size(pkg_info.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, "pkg-1.0/PKG-INFO", pkg_info.as_bytes())
            .expect("append");
        tar.into_inner().expect("tar").finish().expect("gz")
    }

    #[test]
    fn reads_wheel_metadata() {
        let bytes = wheel_bytes("Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n");
        let m = wheel_metadata(Cursor::new(bytes), "u").expect("metadata");
        assert!(String::from_utf8_lossy(&m).contains("Name: pkg"));
        assert!(
            wheel_metadata(Cursor::new(b"not a zip".to_vec()), "http://x/a.whl")
                .expect_err("bad")
                .to_string()
                .contains("http://x/a.whl")
        );
    }

    #[test]
    fn sdist_pkg_info_only_when_static() {
        let ok = sdist_bytes("Metadata-Version: 2.2\nName: pkg\nVersion: 1.0\nRequires-Dist: a\n");
        assert!(sdist_metadata(&ok, "u", "pkg").is_ok());
        let old = sdist_bytes("Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n");
        let err = sdist_metadata(&old, "u", "pkg")
            .expect_err("old")
            .to_string();
        assert!(err.contains("pkg") && err.contains("2.1"), "{err}");
        let dynamic =
            sdist_bytes("Metadata-Version: 2.4\nName: pkg\nVersion: 1.0\nDynamic: Requires-Dist\n");
        assert!(sdist_metadata(&dynamic, "u", "pkg").is_err());
    }
}
