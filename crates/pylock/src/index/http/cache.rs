//! The on-disk HTTP cache: one file per response, fresh for as long as its headers say (ten
//! minutes when they say nothing), revalidated with ETag / Last-Modified when stale.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use http_cache_semantics::CachePolicy;
use sha2::{Digest, Sha256};
use url::Url;

use super::fetched::Fetched;
// What starts every entry: defined with the packs, which recognize the entries they hold by it.
use super::pack::{KeptMetadata, ENTRY_MAGIC as CACHE_MAGIC};
use crate::index::redact::without_credentials;

/// Temporary files of cache writes a killed run left behind (older than an hour, so that
/// concurrent runs' writes in progress are left alone). Looked for at most once a day: the
/// marker file `cleaned` says when it was last done.
pub(super) fn remove_abandoned_temporary_files(cache_dir: &Path) {
    let now = SystemTime::now();
    let marker = cache_dir.join("cleaned");
    let recent = std::fs::metadata(&marker)
        .and_then(|m| m.modified())
        .is_ok_and(|t| {
            now.duration_since(t)
                .is_ok_and(|age| age < Duration::from_secs(86_400))
        });
    if recent || std::fs::create_dir_all(cache_dir).is_err() {
        return;
    }
    let _ = std::fs::write(&marker, b"");
    let Some(hour_ago) = now.checked_sub(Duration::from_secs(3600)) else {
        return;
    };
    for dir in ["http-v3", "derived-v2", super::pack::KEPT_METADATA_DIR] {
        let Ok(entries) = std::fs::read_dir(cache_dir.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let is_temporary = name.to_str().is_some_and(|n| n.ends_with(".tmp"));
            let old = || {
                entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t < hour_ago)
            };
            if is_temporary && old() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// How long a response whose server says nothing about freshness is used without asking:
/// PyPI's own pages say ten minutes. Static mirrors (`python -m http.server`, a bucket behind
/// a proxy that strips headers) say nothing, and would otherwise be asked for everything on
/// every run. `--refresh` asks anyway; `--offline` uses entries however old.
const UNSAID_FRESHNESS: Duration = Duration::from_secs(600);

/// How long a response stays fresh: what its headers say (`Cache-Control`, `Expires`), else
/// [`UNSAID_FRESHNESS`] (or the heuristic from `Last-Modified`, if longer).
pub(super) fn freshness(policy: &CachePolicy, parts: &http::response::Parts) -> Duration {
    let headers = &parts.headers;
    let said = headers.contains_key(http::header::EXPIRES)
        || headers
            .get_all(http::header::CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                [
                    "max-age",
                    "no-cache",
                    "no-store",
                    "must-revalidate",
                    "immutable",
                ]
                .iter()
                .any(|d| v.contains(d))
            });
    let ttl = policy.time_to_live(SystemTime::now());
    if said {
        ttl
    } else {
        ttl.max(UNSAID_FRESHNESS)
    }
}

/// One cached response: a header line, the cache policy on a line of its own, then the
/// body; in a file of its own, `http-v3/<key>`, or (a project page) a record of its
/// project's pack (`pack.rs`).
///
/// The header says until when the entry is fresh, so a warm run reads one file and parses a
/// short line; the policy (request and response headers) is parsed only to revalidate a
/// stale entry. The body length in the header catches an entry cut short (entries are not
/// synced to disk).
pub(super) struct CacheEntry {
    pub(super) path: PathBuf,
}

/// The most an entry's header line and policy may add to its body (the request and response
/// headers the policy keeps).
const ENTRY_HEADERS_BYTES: u64 = 1024 * 1024;

#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    status: u16,
    content_type: Option<String>,
    url: String,
    /// Seconds since the Unix epoch until which the entry may be used without asking.
    fresh_until: u64,
    body_len: usize,
}

/// A cached response; its policy is still JSON, parsed only when needed.
pub(super) struct Cached<'a> {
    pub(super) fetched: Fetched,
    pub(super) fresh: bool,
    pub(super) policy: &'a [u8],
}

fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl CacheEntry {
    pub(super) fn new(dir: &Path, url: &Url, accept: &str) -> Self {
        let key = Sha256::digest(format!("{}\n{accept}", without_credentials(url)).as_bytes());
        Self {
            path: dir.join("http-v3").join(crate::util::hex(&key)),
        }
    }

    /// Make the directory entries in `dir` go to (once per run, not once per entry).
    pub(super) fn make_dir(dir: &Path) {
        let _ = std::fs::create_dir_all(dir.join("http-v3"));
    }

    /// The entry's bytes, if any and it could hold a body of at most `limit` bytes.
    pub(super) fn read(&self, limit: u64) -> Option<Vec<u8>> {
        crate::util::read_regular(&self.path, limit.saturating_add(ENTRY_HEADERS_BYTES))
    }

    /// Split an entry read by [`CacheEntry::read`]; `None` for anything damaged.
    pub(super) fn parse(bytes: &[u8]) -> Option<Cached<'_>> {
        let rest = bytes.strip_prefix(CACHE_MAGIC)?;
        let header_end = rest.iter().position(|&b| b == b'\n')?;
        let header: Header = serde_json::from_slice(&rest[..header_end]).ok()?;
        let rest = &rest[header_end + 1..];
        let policy_end = rest.iter().position(|&b| b == b'\n')?;
        let body = &rest[policy_end + 1..];
        if body.len() != header.body_len {
            return None;
        }
        Some(Cached {
            fresh: unix_seconds(SystemTime::now()) < header.fresh_until,
            policy: &rest[..policy_end],
            fetched: Fetched {
                status: header.status,
                content_type: header.content_type,
                body: body.to_vec(),
                url: Url::parse(&header.url).ok()?,
            },
        })
    }

    /// Write the entry atomically (concurrent writers leave one complete entry), in a
    /// directory made by [`CacheEntry::make_dir`].
    pub(super) fn store(&self, bytes: &[u8]) {
        // A cache that cannot be written only costs speed.
        let _ = crate::util::write_atomic_unsynced(&self.path, bytes);
    }

    /// An entry's bytes: `fetched` under `policy`, fresh for `fresh_for` from now.
    pub(super) fn encode(
        policy: &CachePolicy,
        fresh_for: Duration,
        fetched: &Fetched,
    ) -> Option<Vec<u8>> {
        let now = SystemTime::now();
        let header = Header {
            status: fetched.status,
            content_type: fetched.content_type.clone(),
            url: fetched.url.to_string(),
            fresh_until: unix_seconds(now + fresh_for),
            body_len: fetched.body.len(),
        };
        let (Ok(header), Ok(policy)) = (serde_json::to_vec(&header), serde_json::to_vec(policy))
        else {
            return None;
        };
        let mut bytes = Vec::with_capacity(
            CACHE_MAGIC.len() + header.len() + policy.len() + 2 + fetched.body.len(),
        );
        bytes.extend_from_slice(CACHE_MAGIC);
        bytes.extend_from_slice(&header);
        bytes.push(b'\n');
        bytes.extend_from_slice(&policy);
        bytes.push(b'\n');
        bytes.extend_from_slice(&fetched.body);
        Some(bytes)
    }
}

/// Where one response is cached: its own file, or (a project page) a record of its
/// project's pack, with the file as the fallback for a page too big for a pack (and for
/// caches written before pages went into packs). One place per key: storing in one removes
/// the other, so that a copy left behind is never read when the kept one is damaged or
/// refused (an older page served silently).
pub(super) struct Place<'a> {
    pub(super) file: CacheEntry,
    /// The packs, the project (its normalized name or its pack's) and the page's key.
    pub(super) pack: Option<(&'a KeptMetadata, &'a str, [u8; 32])>,
}

impl Place<'_> {
    /// The entry's bytes, if any (see [`CacheEntry::read`] for `limit`).
    pub(super) fn read(&self, limit: u64) -> Option<Vec<u8>> {
        (self.pack.as_ref())
            .and_then(|(packs, project, key)| packs.read_page(project, key))
            .or_else(|| self.file.read(limit))
    }

    /// Keep the entry `bytes` ([`CacheEntry::encode`]): in the pack if it fits there, else in
    /// the file, after `make_dir` made its directory.
    pub(super) fn store(&self, bytes: &[u8], make_dir: impl FnOnce()) {
        if let Some((packs, project, key)) = &self.pack {
            if packs.store_page(project, *key, bytes) {
                let _ = std::fs::remove_file(&self.file.path);
                return;
            }
            packs.forget_page(project, key);
        }
        make_dir();
        self.file.store(bytes);
    }

    /// Drop the entry from wherever it is kept.
    pub(super) fn forget(&self) {
        if let Some((packs, project, key)) = &self.pack {
            packs.forget_page(project, key);
        }
        let _ = std::fs::remove_file(&self.file.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place_in<'a>(dir: &Path, packs: &'a KeptMetadata) -> Place<'a> {
        let url = Url::parse("http://127.0.0.1:9/simple/foo-bar/").expect("url");
        Place {
            file: CacheEntry::new(dir, &url, "text/html"),
            pack: Some((
                packs,
                "foo-bar",
                super::super::pack::page_key(&url, "text/html"),
            )),
        }
    }

    #[test]
    fn a_page_is_kept_in_one_place_only() {
        let dir = std::env::temp_dir().join(format!("pylock-place-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let packs = KeptMetadata::new(&dir);
        let place = place_in(&dir, &packs);
        let make_dir = || CacheEntry::make_dir(&dir);
        // A file an earlier version kept: read until the pack holds the page, then removed.
        make_dir();
        place.file.store(b"older");
        assert_eq!(place.read(1 << 20).as_deref(), Some(&b"older"[..]));
        place.store(b"newer", make_dir);
        assert!(!place.file.path.exists());
        // (A run reads each page once: what it keeps is for the next run.)
        let next = KeptMetadata::new(&dir);
        assert_eq!(
            place_in(&dir, &next).read(1 << 20).as_deref(),
            Some(&b"newer"[..])
        );
        // Too big for a pack: in the file, and the pack's older copy is not read any more.
        let big = vec![7u8; 33 * 1024 * 1024];
        place.store(&big, make_dir);
        assert_eq!(place.read(64 << 20).map(|b| b.len()), Some(big.len()));
        let next = KeptMetadata::new(&dir);
        assert_eq!(
            place_in(&dir, &next).read(64 << 20).map(|b| b.len()),
            Some(big.len())
        );
        // Forgotten: nowhere.
        place.forget();
        assert_eq!(place.read(64 << 20), None);
        std::fs::remove_dir_all(&dir).ok();
    }
}
