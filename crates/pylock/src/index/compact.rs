//! Project pages as the HTTP cache keeps them: already parsed, in a compact binary form
//! (postcard), so a warm run skips JSON or HTML parsing and URL joining. A page of thousands
//! of files decodes several times faster than its JSON parses.

use std::borrow::Cow;

use jiff::Timestamp;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use url::Url;

use super::file::{FileParts, Sha256Hash};
use super::filename::parse_filename_with;
use super::page::{PageShared, VersionMemo};
use super::{DistFile, IndexError, ProjectPage};
use crate::pep::{PackageName, VersionSpecifiers};

/// The content type cache entries of pre-parsed pages carry (the version is the format's:
/// v2 keeps hashes as 32 bytes).
pub const CONTENT_TYPE: &str = "application/x.pylock-page.v2";

/// What every version of that content type starts with.
pub const CONTENT_TYPE_PREFIX: &str = "application/x.pylock-page.";

#[derive(Serialize, Deserialize)]
struct Stored<'a> {
    /// Distinct Requires-Python texts; files refer to them by position.
    #[serde(borrow)]
    requires_python: Vec<&'a str>,
    #[serde(borrow)]
    files: Vec<StoredFile<'a>>,
}

#[derive(Serialize, Deserialize)]
struct StoredFile<'a> {
    filename: &'a str,
    #[serde(borrow)]
    url: Cow<'a, str>,
    sha256: Option<[u8; 32]>,
    requires_python: Option<u32>,
    yanked: bool,
    core_metadata: Option<Option<[u8; 32]>>,
    size: Option<u64>,
    /// Seconds and nanoseconds since the Unix epoch.
    upload_time: Option<(i64, i32)>,
}

/// What [`encode`] writes: the layout of [`Stored`], its files made one at a time as they
/// are written (a page of thousands of files is not copied into a second list of them, with
/// an owned URL each, before it is written).
#[derive(Serialize)]
struct Encoded<'a> {
    requires_python: Vec<&'a str>,
    files: EncodedFiles<'a>,
}

struct EncodedFiles<'a> {
    files: &'a [DistFile],
    /// Each file's `Requires-Python` by address, as a position in the distinct texts.
    requires_python: FxHashMap<*const VersionSpecifiers, u32>,
}

impl Serialize for EncodedFiles<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.files.iter().map(|f| {
            StoredFile {
                filename: f.filename(),
                url: f.url.text(),
                sha256: f.sha256_digest().map(Sha256Hash::into_bytes),
                requires_python: f
                    .requires_python()
                    .and_then(|spec| self.requires_python.get(&std::ptr::from_ref(spec)).copied()),
                yanked: f.yanked,
                core_metadata: f
                    .core_metadata_digest()
                    .map(|h| h.map(Sha256Hash::into_bytes)),
                size: f.size,
                upload_time: f
                    .upload_time
                    .map(|t| (t.as_second(), t.subsec_nanosecond())),
            }
        }))
    }
}

/// `page` in the cached form.
pub fn encode(page: &ProjectPage) -> Vec<u8> {
    // A page's files share a few specifiers: each is written out once.
    let mut texts: FxHashMap<*const VersionSpecifiers, String> = FxHashMap::default();
    for spec in page.files.iter().filter_map(DistFile::requires_python) {
        texts
            .entry(std::ptr::from_ref(spec))
            .or_insert_with(|| spec.to_string());
    }
    let mut distinct: Vec<&str> = texts.values().map(String::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let requires_python = texts
        .iter()
        .filter_map(|(&spec, text)| {
            let i = distinct.binary_search(&text.as_str()).ok()?;
            Some((spec, u32::try_from(i).ok()?))
        })
        .collect();
    let encoded = Encoded {
        files: EncodedFiles {
            files: &page.files,
            requires_python,
        },
        requires_python: distinct,
    };
    // Serializing plain strings and numbers into memory cannot fail.
    postcard::to_allocvec(&encoded).unwrap_or_default()
}

/// A page of project `name` from its cached form (read from the cache entry of `url`).
pub fn decode(bytes: &[u8], url: &Url, name: &PackageName) -> Result<ProjectPage, IndexError> {
    let malformed = |reason: String| IndexError::Malformed {
        url: url.to_string(),
        reason: format!("damaged cache entry: {reason}"),
    };
    let stored: Stored = postcard::from_bytes(bytes).map_err(|e| malformed(e.to_string()))?;
    let mut shared = PageShared::default();
    let requires_python: Vec<_> = stored
        .requires_python
        .iter()
        .map(|t| shared.requires_python((*t).into()))
        .collect();
    let mut versions = VersionMemo::default();
    let mut files = Vec::with_capacity(stored.files.len());
    for f in stored.files {
        let parsed = parse_filename_with(f.filename, name, |v| versions.parse(v))
            .ok_or_else(|| malformed(format!("file `{}`", f.filename)))?;
        files.push(DistFile::new(FileParts {
            filename: f.filename.into(),
            version: parsed.version,
            kind: shared.kind(parsed.kind),
            url: shared.url(&f.url),
            sha256: f.sha256.map(Sha256Hash::from_bytes),
            requires_python: f
                .requires_python
                .and_then(|i| requires_python.get(i as usize).cloned().flatten()),
            yanked: f.yanked,
            core_metadata: f.core_metadata.map(|m| m.map(Sha256Hash::from_bytes)),
            size: f.size,
            upload_time: f
                .upload_time
                .map(|(s, ns)| Timestamp::new(s, ns))
                .transpose()
                .map_err(|e| malformed(e.to_string()))?,
        }));
    }
    Ok(ProjectPage {
        name: name.clone(),
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::parse_json_page;

    #[test]
    fn round_trip_keeps_every_field() {
        let url = Url::parse("https://example.org/simple/foo/").expect("url");
        let name: PackageName = "foo".parse().expect("name");
        let json = br#"{"meta": {"api-version": "1.1"}, "name": "foo", "files": [
            {"filename": "foo-1.0-py3-none-any.whl", "url": "../../f/foo-1.0-py3-none-any.whl",
             "hashes": {"sha256": "AB12000000000000000000000000000000000000000000000000000000000000"}, "requires-python": ">=3.8", "yanked": "bad",
             "core-metadata": {"sha256": "cd34000000000000000000000000000000000000000000000000000000000000"}, "size": 12, "upload-time": "2024-01-02T03:04:05.123456Z"},
            {"filename": "foo-1.0.tar.gz", "url": "https://files.example/foo-1.0.tar.gz",
             "hashes": {}, "requires-python": ">=3.8", "core-metadata": true},
            {"filename": "foo-2.0.tar.gz", "url": "foo-2.0.tar.gz", "hashes": {"sha256": "efefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefef"}}
        ]}"#;
        let page = parse_json_page(json, &url, &name).expect("page");
        let again = decode(&encode(&page), &url, &name).expect("decodes");
        assert_eq!(format!("{:?}", page.files), format!("{:?}", again.files));
        assert_eq!(again.files.len(), 3);
        assert!(decode(b"\x05garbage", &url, &name).is_err());
        // The same bytes as the stored layout written from a list of its files: caches
        // written before (and by other builds of this format) read the same.
        let texts: Vec<Option<String>> = (page.files.iter())
            .map(|f| f.requires_python().map(VersionSpecifiers::to_string))
            .collect();
        let mut distinct: Vec<&str> = texts.iter().flatten().map(String::as_str).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let listed = Stored {
            files: (page.files.iter().zip(&texts))
                .map(|(f, rp)| StoredFile {
                    filename: f.filename(),
                    url: f.url.text(),
                    sha256: f.sha256_digest().map(Sha256Hash::into_bytes),
                    requires_python: rp
                        .as_deref()
                        .and_then(|t| u32::try_from(distinct.binary_search(&t).ok()?).ok()),
                    yanked: f.yanked,
                    core_metadata: (f.core_metadata_digest())
                        .map(|h| h.map(Sha256Hash::into_bytes)),
                    size: f.size,
                    upload_time: (f.upload_time).map(|t| (t.as_second(), t.subsec_nanosecond())),
                })
                .collect(),
            requires_python: distinct.clone(),
        };
        assert_eq!(
            encode(&page),
            postcard::to_allocvec(&listed).expect("written")
        );
    }
}
