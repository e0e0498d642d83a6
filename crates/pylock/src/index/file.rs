//! One file of a project page, in the compact form a resolve keeps: a big resolve holds the
//! pages of hundreds of projects (airflow's: ~155,000 files) until it ends. The hashes are 32
//! bytes in place instead of hex text on the heap, the file name is the URL's last segment
//! instead of a second copy, and a page's repeated `Requires-Python` and wheel tags are shared
//! between its files.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use jiff::Timestamp;
use url::Url;

use super::filename::DistKind;
use super::IndexError;
use crate::pep::{Version, VersionSpecifiers};

/// One file on a project page.
#[derive(Clone, Debug)]
pub struct DistFile {
    /// The version the file name gives.
    pub version: Version,
    /// Whether the file is yanked (PEP 592).
    pub yanked: bool,
    /// Size in bytes (PEP 700).
    pub size: Option<u64>,
    /// Upload time (PEP 700).
    pub upload_time: Option<Timestamp>,
    /// Wheel (with tags) or sdist.
    pub(crate) kind: DistKind,
    /// Absolute URL of the file ([`DistFile::url`]).
    pub(crate) url: FileUrl,
    /// The file name when it is not the URL's last path segment as written.
    filename: Option<Box<str>>,
    sha256: Option<Sha256Hash>,
    pub(crate) core_metadata: Option<Option<Sha256Hash>>,
    requires_python: Option<Arc<VersionSpecifiers>>,
}

/// What a [`DistFile`] is made of, as the page readers and direct references find it.
pub(crate) struct FileParts<'a> {
    pub filename: Cow<'a, str>,
    pub version: Version,
    pub kind: DistKind,
    pub url: FileUrl,
    pub sha256: Option<Sha256Hash>,
    pub requires_python: Option<Arc<VersionSpecifiers>>,
    pub yanked: bool,
    pub core_metadata: Option<Option<Sha256Hash>>,
    pub size: Option<u64>,
    pub upload_time: Option<Timestamp>,
}

impl DistFile {
    /// The file from its parts (the name kept apart only when the URL does not end with it).
    pub(crate) fn new(parts: FileParts<'_>) -> Self {
        let filename = (parts.url.last_segment() != parts.filename)
            .then(|| parts.filename.into_owned().into_boxed_str());
        Self {
            version: parts.version,
            yanked: parts.yanked,
            size: parts.size,
            upload_time: parts.upload_time,
            kind: parts.kind,
            url: parts.url,
            filename,
            sha256: parts.sha256,
            core_metadata: parts.core_metadata,
            requires_python: parts.requires_python,
        }
    }

    /// The file name as listed.
    pub fn filename(&self) -> &str {
        match &self.filename {
            Some(name) => name,
            None => self.url.last_segment(),
        }
    }

    /// Whether the file is a wheel.
    pub fn is_wheel(&self) -> bool {
        matches!(self.kind, DistKind::Wheel(_))
    }

    /// The absolute URL of the file (relative URLs on a page are resolved against the page's).
    pub fn url(&self) -> Cow<'_, str> {
        self.url.text()
    }

    /// The sha256 the index gives for the file, lowercase hex.
    pub fn sha256(&self) -> Option<String> {
        self.sha256.map(|h| h.to_string())
    }

    /// Core metadata availability (PEP 658/714): `None` when not served, else its sha256
    /// (lowercase hex) if given.
    pub fn core_metadata(&self) -> Option<Option<String>> {
        self.core_metadata.map(|h| h.map(|h| h.to_string()))
    }

    /// Whether the index serves the file's core metadata on its own (PEP 658/714).
    pub fn has_core_metadata(&self) -> bool {
        self.core_metadata.is_some()
    }

    /// `Requires-Python` from the page (`data-requires-python` / `requires-python`).
    pub fn requires_python(&self) -> Option<&VersionSpecifiers> {
        self.requires_python.as_deref()
    }

    /// `Requires-Python` as the page's files share it.
    pub(crate) fn shared_requires_python(&self) -> Option<&Arc<VersionSpecifiers>> {
        self.requires_python.as_ref()
    }

    /// The sha256 as bytes.
    pub(crate) fn sha256_digest(&self) -> Option<Sha256Hash> {
        self.sha256
    }

    /// The core metadata's availability with its sha256 as bytes.
    pub(crate) fn core_metadata_digest(&self) -> Option<Option<Sha256Hash>> {
        self.core_metadata
    }
}

/// The last path segment of a URL as written (no query or fragment).
///
/// Hot (every file of every page read, and [`DistFile::filename`]): bytes are searched, not
/// characters (`?`, `#` and `/` are ASCII, so every position found is a character boundary).
pub(super) fn url_file_name(url: &str) -> &str {
    let bytes = url.as_bytes();
    let end = memchr::memchr2(b'?', b'#', bytes).unwrap_or(bytes.len());
    let start = memchr::memrchr(b'/', &bytes[..end]).map_or(0, |i| i + 1);
    &url[start..end]
}

/// A sha256 digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Sha256Hash([u8; 32]);

impl Sha256Hash {
    /// A digest from 64 hexadecimal digits (either case); `None` for anything else.
    pub(crate) fn from_hex(hex: &str) -> Option<Self> {
        let bytes = hex.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let digit = |b: u8| char::from(b).to_digit(16);
            *o = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
        }
        Some(Self(out))
    }

    /// A digest from its 32 bytes.
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Its 32 bytes.
    pub(crate) fn into_bytes(self) -> [u8; 32] {
        self.0
    }
}

impl Sha256Hash {
    /// The 64 lowercase hexadecimal digits, without formatting machinery (hot: file URLs in
    /// the hashed form are written out as memo keys).
    fn hex_digits(&self) -> [u8; 64] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 64];
        for (pair, b) in out.chunks_exact_mut(2).zip(self.0) {
            pair[0] = DIGITS[usize::from(b >> 4)];
            pair[1] = DIGITS[usize::from(b & 15)];
        }
        out
    }
}

impl std::fmt::Display for Sha256Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = self.hex_digits();
        f.write_str(std::str::from_utf8(&digits).unwrap_or_default())
    }
}

/// The absolute URL of a distribution file, kept unparsed until it is used: pages list
/// thousands of files, and parsing every URL cost more than the rest of a cached page (the
/// `url` crate processes each host name); a resolve uses a few hundred of them.
///
/// URLs laid out as PyPI's file host lays them out, `{base}ab/cd/{60 hex digits}/{name}` (the
/// file's blake2b digest), keep the 64 digits as 32 bytes and `base` shared with the page's
/// other files: half the size of the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FileUrl {
    /// Any URL, as text.
    Text(Box<str>),
    /// `{base}{digest[0]:02x}/{digest[1]:02x}/{digest[2..]:x}/{name}`, `rest` holding the 32
    /// digest bytes and then the name.
    Hashed { base: Arc<str>, rest: Box<[u8]> },
}

/// The length of the digest part of a hashed URL (`ab/cd/` and 60 digits).
const DIGEST_DIGITS: usize = 64;

impl FileUrl {
    /// The URL as text.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            FileUrl::Text(text) => Cow::Borrowed(text),
            FileUrl::Hashed { .. } => Cow::Owned(self.to_string()),
        }
    }

    /// Its last path segment as written (the file name, on a page whose URLs end with it).
    pub fn last_segment(&self) -> &str {
        match self {
            FileUrl::Text(text) => url_file_name(text),
            FileUrl::Hashed { rest, .. } => std::str::from_utf8(&rest[32..]).unwrap_or_default(),
        }
    }

    /// Its scheme (`https`, `file`), lowercase as URLs keep it.
    pub fn scheme(&self) -> &str {
        let text: &str = match self {
            FileUrl::Text(text) => text,
            FileUrl::Hashed { base, .. } => base,
        };
        text.split_once(':').map_or("", |(s, _)| s)
    }

    /// The parsed URL; an error names it.
    pub fn parse(&self) -> Result<Url, IndexError> {
        let text = self.text();
        Url::parse(&text).map_err(|e| IndexError::InvalidLocation {
            location: text.into_owned(),
            reason: e.to_string(),
        })
    }

    /// A URL known to be valid, or from a source that wrote only valid ones (the cache).
    pub(crate) fn from_text(text: &str) -> Self {
        Self::Text(text.into())
    }

    /// `text` in the hashed form when it has that layout, its base shared through `bases`.
    pub(crate) fn compact(text: &str, bases: &mut HashSet<Arc<str>>) -> Self {
        let Some((base, digest, name)) = hashed_layout(text) else {
            return Self::from_text(text);
        };
        let base = match bases.get(base) {
            Some(known) => known.clone(),
            None => {
                let base: Arc<str> = base.into();
                bases.insert(base.clone());
                base
            }
        };
        let mut rest = Vec::with_capacity(32 + name.len());
        rest.extend_from_slice(&digest);
        rest.extend_from_slice(name.as_bytes());
        Self::Hashed {
            base,
            rest: rest.into_boxed_slice(),
        }
    }
}

/// `text` split as `{base}ab/cd/{60 lowercase hex digits}/{name}` (name without `/`, `?`,
/// `#` or `%`), the 64 digits as bytes.
fn hashed_layout(text: &str) -> Option<(&str, [u8; 32], &str)> {
    let (dir, name) = text.rsplit_once('/')?;
    let plain_name = memchr::memchr3(b'?', b'#', b'%', name.as_bytes()).is_none();
    if name.is_empty() || !plain_name || !dir.is_ascii() {
        return None;
    }
    // ASCII: every index is a character boundary.
    let (base, digits) = dir.split_at(dir.len().checked_sub(DIGEST_DIGITS + 2)?);
    let d = digits.as_bytes();
    if d[2] != b'/' || d[5] != b'/' || !base.ends_with('/') || !base.contains("://") {
        return None;
    }
    let hex = [&digits[..2], &digits[3..5], &digits[6..]].concat();
    if !hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    Some((base, Sha256Hash::from_hex(&hex)?.into_bytes(), name))
}

impl From<Url> for FileUrl {
    fn from(url: Url) -> Self {
        Self::Text(String::from(url).into_boxed_str())
    }
}

impl std::fmt::Display for FileUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileUrl::Text(text) => f.write_str(text),
            FileUrl::Hashed { base, rest } => {
                let digest = Sha256Hash::from_bytes(rest[..32].try_into().unwrap_or([0; 32]));
                let hex = digest.hex_digits();
                let hex = std::str::from_utf8(&hex).unwrap_or_default();
                f.write_str(base)?;
                f.write_str(&hex[..2])?;
                f.write_str("/")?;
                f.write_str(&hex[2..4])?;
                f.write_str("/")?;
                f.write_str(&hex[4..])?;
                f.write_str("/")?;
                f.write_str(self.last_segment())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::filename::parse_filename;

    #[test]
    fn a_url_file_name_is_its_last_segment_before_query_and_fragment() {
        for (url, name) in [
            ("https://h.example/a/b-1.0.tar.gz", "b-1.0.tar.gz"),
            ("https://h.example/a/b.whl#sha256=00", "b.whl"),
            ("https://h.example/a/b.whl?x=1/2#f/g", "b.whl"),
            ("https://h.example/d/", ""),
            ("b.whl", "b.whl"),
            ("https://h.example/é/ü.whl", "ü.whl"),
        ] {
            assert_eq!(url_file_name(url), name, "{url}");
        }
    }

    fn file(filename: &str, url: &str) -> DistFile {
        let name = "foo-bar".parse().expect("name");
        let parsed = parse_filename(filename, &name).expect("a distribution");
        DistFile::new(FileParts {
            filename: Cow::Borrowed(filename),
            version: parsed.version,
            kind: parsed.kind,
            url: FileUrl::from_text(url),
            sha256: Sha256Hash::from_hex(&"Ab".repeat(32)),
            requires_python: None,
            yanked: false,
            core_metadata: Some(None),
            size: None,
            upload_time: None,
        })
    }

    #[test]
    fn the_name_is_the_urls_last_segment_unless_it_differs() {
        let f = file(
            "foo_bar-1.0-py3-none-any.whl",
            "https://h.example/p/ab/foo_bar-1.0-py3-none-any.whl?token=x#frag",
        );
        assert!(f.filename.is_none(), "not stored twice");
        assert_eq!(f.filename(), "foo_bar-1.0-py3-none-any.whl");
        // Percent-encoded, renamed, or a directory: the listed name is kept.
        for url in [
            "https://h.example/foo_bar-1.0%2Blocal-py3-none-any.whl",
            "https://h.example/download?id=3",
            "file:///src/foo-bar/",
        ] {
            let f = file("foo_bar-1.0+local-py3-none-any.whl", url);
            assert_eq!(f.filename(), "foo_bar-1.0+local-py3-none-any.whl", "{url}");
            assert_eq!(f.url(), url);
        }
    }

    #[test]
    fn hashes_are_lowercase_hex_of_32_bytes() {
        let f = file("foo_bar-1.0.tar.gz", "https://h.example/foo_bar-1.0.tar.gz");
        assert_eq!(f.sha256(), Some("ab".repeat(32)));
        assert_eq!(f.core_metadata(), Some(None));
        assert!(f.has_core_metadata());
        for bad in ["", "ab", &"g".repeat(64), &"a".repeat(63), &"é".repeat(32)] {
            assert_eq!(Sha256Hash::from_hex(bad), None, "{bad}");
        }
        let h = Sha256Hash::from_hex(&"0123456789ABCDEF".repeat(4)).expect("hex");
        assert_eq!(h.to_string(), "0123456789abcdef".repeat(4));
    }

    #[test]
    fn urls_in_the_hashed_layout_share_their_base_and_read_back_the_same() {
        let digest = "4f/9a/0cd2ab3e6d4c8f2a1b7e9d0c3f5a8b2e6d1c4f7a9b0e3d6c2f5a8b1e4d7c";
        let pypi = format!("https://files.example/packages/{digest}/foo_bar-1.0.tar.gz");
        let mut bases = HashSet::new();
        let a = FileUrl::compact(&pypi, &mut bases);
        let b = FileUrl::compact(&pypi.replace("1.0", "2.0"), &mut bases);
        let (FileUrl::Hashed { base: ba, rest }, FileUrl::Hashed { base: bb, .. }) = (&a, &b)
        else {
            panic!("not compacted: {a:?} {b:?}");
        };
        assert!(Arc::ptr_eq(ba, bb), "one base for the page");
        assert_eq!(rest.len(), 32 + "foo_bar-1.0.tar.gz".len());
        assert_eq!(a.text(), pypi);
        assert_eq!(a.to_string(), pypi);
        assert_eq!(a.last_segment(), "foo_bar-1.0.tar.gz");
        assert_eq!(a.scheme(), "https");
        assert_eq!(a.parse().map(String::from).ok(), Some(pypi.clone()));
        // Anything else stays text, exactly as given.
        for other in [
            pypi.replace("4f/9a", "4F/9a"),
            pypi.replace("4f/9a/", "4f9a/"),
            pypi.replace("4f/9a/0c", "4f/9a/0"),
            format!("{pypi}?token=1"),
            pypi.replace("foo_bar-1.0", "foo_bar-1.0%2Bcpu"),
            format!("{digest}/foo_bar-1.0.tar.gz"),
            format!("https://files.example/packages/{digest}/"),
            format!("https://files.example/é{digest}/x.tar.gz"),
        ] {
            let url = FileUrl::compact(&other, &mut bases);
            assert!(matches!(url, FileUrl::Text(_)), "{other}");
            assert_eq!(url.text(), other);
        }
        // The file name is not stored twice.
        let parsed = crate::index::filename::parse_filename(
            "foo_bar-1.0.tar.gz",
            &"foo-bar".parse().expect("name"),
        )
        .expect("sdist");
        let f = DistFile::new(FileParts {
            filename: Cow::Borrowed("foo_bar-1.0.tar.gz"),
            version: parsed.version,
            kind: parsed.kind,
            url: a,
            sha256: None,
            requires_python: None,
            yanked: false,
            core_metadata: None,
            size: None,
            upload_time: None,
        });
        assert!(f.filename.is_none());
        assert_eq!(f.filename(), "foo_bar-1.0.tar.gz");
        assert_eq!(f.url(), pypi);
    }
}
