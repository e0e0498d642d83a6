//! Package indexes: the only I/O seam of the library.
//!
//! [`Index`] is what the resolver asks: a project's page and a file's core metadata, and the
//! distribution a direct reference (`name @ URL`, a local archive or project) names. Three
//! implementations come with the crate: [`LocalIndex`] (a static index directory on disk),
//! [`HttpIndex`] (PyPI or any PEP 503/691 server, with a cache, credentials and [`Limits`]) and
//! [`MemoryIndex`] (built in code, for tests and examples). Page and metadata parsers
//! ([`parse_json_page`], [`parse_html_page`], [`parse_metadata`]) take bytes, so every
//! transport shares them.

pub(crate) mod archive;
mod compact;
mod direct;
mod file;
mod filename;
mod http;
mod json_page;
mod local;
mod memory;
mod metadata;
mod packed;
mod page;
mod redact;
mod snapshot;
pub(crate) mod zipdir;

use sha2::{Digest, Sha256};

pub use direct::DirectDist;
pub(crate) use direct::Overlay;
pub use file::DistFile;
pub(crate) use file::{FileParts, FileUrl, Sha256Hash};
pub(crate) use filename::{parse_filename, DistFilename};
pub(crate) use filename::{DistKind, WheelTags};
pub use http::{HttpIndex, HttpOptions};
pub(crate) use json_page::parse_json_page;
pub use local::LocalIndex;
pub use memory::MemoryIndex;
pub(crate) use metadata::parse_metadata;
pub use metadata::CoreMetadata;
pub(crate) use packed::{Packer, PageTables};
pub(crate) use page::parse_html_page;
pub use page::ProjectPage;
pub(crate) use redact::{recorded_url, redact, without_credentials};
pub(crate) use snapshot::RecordingIndex;

use crate::pep::PackageName;

/// Why an index could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// Reading a location failed.
    #[error("cannot read {url}: {source}")]
    Io {
        /// What was read.
        url: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A page or metadata file does not parse.
    #[error("malformed response from {url}: {reason}")]
    Malformed {
        /// What was read.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Downloaded bytes do not match the hash the index advertised, or a direct reference's
    /// `#sha256=` fragment.
    #[error("hash mismatch for {url}: {listed_by} sha256 {expected}, the file has {actual}")]
    HashMismatch {
        /// What was read.
        url: String,
        /// Who gave the expected hash: "the index lists", "the `#sha256=` fragment gives".
        listed_by: String,
        /// The advertised sha256.
        expected: String,
        /// The sha256 of what was read.
        actual: String,
    },
    /// The index serves no core metadata for a file, and this transport cannot extract it.
    #[error(
        "no core metadata for {filename} (the index serves no PEP 658 `.metadata` file for it)"
    )]
    NoMetadata {
        /// The distribution file.
        filename: String,
    },
    /// A request failed (after retries), or the server answered with an error status.
    #[error("{url}: {reason}")]
    Http {
        /// The URL, credentials removed.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// `--offline` and the cache does not hold what the resolve needs.
    #[error("{url} is not in the cache, and --offline forbids the network")]
    NotCached {
        /// The URL, credentials removed.
        url: String,
    },
    /// An sdist-only version whose dependencies are only known after a build.
    #[error(
        "cannot read the dependencies of {project}: {reason} (building sdists is not supported)"
    )]
    DynamicMetadata {
        /// The project.
        project: String,
        /// Why its metadata cannot be trusted.
        reason: String,
    },
    /// A response or archive member is larger than its [`Limits`] allow.
    #[error("{url}: {what} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The URL, credentials removed.
        url: String,
        /// What was too large (`the response`, `METADATA`).
        what: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// Reading from the index failed in a way no input should cause (a bug, caught).
    #[error("internal error while reading {what}: {message}")]
    Internal {
        /// What was being read.
        what: String,
        /// What went wrong.
        message: String,
    },
    /// A direct reference (`name @ URL`, a local file or project) that cannot be used.
    #[error("`{requirement}`: {reason}")]
    Direct {
        /// The requirement as written (its URL made absolute).
        requirement: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A [`MemoryIndex`] release description that does not parse.
    #[error("invalid release {release}: {reason}")]
    InvalidRelease {
        /// The release, `name version`.
        release: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An index location that cannot be used.
    #[error("invalid index location `{location}`: {reason}")]
    InvalidLocation {
        /// What was given.
        location: String,
        /// Why it cannot be used.
        reason: String,
    },
}

/// How much an index may make pylock read. Pages, metadata and archives come from servers
/// that may be compromised: each is read up to its limit and refused past it, with an error
/// naming the URL, so no answer can exhaust memory or disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A project page (HTML or JSON, decompressed). The largest pages on PyPI, of projects
    /// with nightly builds and tens of thousands of files, are tens of megabytes.
    pub page_bytes: u64,
    /// A core metadata file, and a `METADATA` / `PKG-INFO` / `requires.txt` member
    /// decompressed from an archive. The largest on PyPI (long descriptions inlined) are a
    /// few megabytes.
    pub metadata_bytes: u64,
    /// A whole distribution downloaded to read its metadata (a server without range
    /// requests); the largest wheels on PyPI are a few gigabytes.
    pub download_bytes: u64,
    /// The decompressed bytes read through an sdist looking for its metadata (which comes
    /// first in real sdists).
    pub sdist_scan_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        const MIB: u64 = 1024 * 1024;
        Self {
            page_bytes: 256 * MIB,
            metadata_bytes: 64 * MIB,
            download_bytes: 4096 * MIB,
            sdist_scan_bytes: 1024 * MIB,
        }
    }
}

/// A source of project pages and core metadata.
///
/// Implementations must be safe to share between threads: the resolver fetches in parallel.
pub trait Index: Send + Sync {
    /// The page of project `name`, or `None` when the index has no such project.
    fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError>;

    /// The core metadata of one distribution file listed on a page of this index, verified
    /// against the hash the page gives.
    fn metadata(&self, file: &DistFile) -> Result<CoreMetadata, IndexError>;

    /// How many requests are worth running at once (the resolver prefetches with this many
    /// threads). Network indexes want many; a local directory, about one per core.
    fn concurrency(&self) -> usize {
        std::thread::available_parallelism().map_or(2, usize::from)
    }

    /// The distribution a direct reference (`name @ URL`) points at, with its metadata. The
    /// default reads `file:` URLs (local archives and project directories the user named)
    /// within the default [`Limits`] and refuses others; indexes that download override it,
    /// and an index that wraps another must forward it (as it forwards the other methods).
    fn direct(&self, name: &PackageName, url: &url::Url) -> Result<DirectDist, IndexError> {
        direct::read_local(name, url, &Limits::default())
    }
}

impl HttpOptions {
    /// PyPI's Simple API root, the default index.
    pub const PYPI: &'static str = http::PYPI;
}

/// Check `bytes` against an advertised sha256 (lowercase hex), naming `url` on mismatch.
pub(crate) fn verify_sha256(
    bytes: &[u8],
    expected: Option<Sha256Hash>,
    url: &str,
) -> Result<(), IndexError> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let actual = Sha256Hash::from_bytes(Sha256::digest(bytes).into());
    if actual == expected {
        Ok(())
    } else {
        Err(IndexError::HashMismatch {
            url: url.to_owned(),
            listed_by: "the index lists".into(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_verification() {
        let good = Sha256Hash::from_hex(
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        );
        assert!(good.is_some());
        assert!(verify_sha256(b"hello", good, "u").is_ok());
        assert!(verify_sha256(b"hello", None, "u").is_ok());
        let err = verify_sha256(b"hellO", good, "file:///x.metadata").expect_err("mismatch");
        assert!(err.to_string().contains("file:///x.metadata"));
    }
}
