//! The HTTP client: retries with backoff within one time budget per request, failures
//! remembered for the run, bodies bounded in size, requests in flight limited per origin as
//! its latency allows (connections opened gradually, see [`super::limit`]), credentials
//! (URL userinfo and netrc, never shown) sent only to their origin, and an on-disk cache that
//! revalidates with ETag / Last-Modified as Cache-Control says.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use http_cache_semantics::{AfterResponse, BeforeRequest, CachePolicy};
use sha2::{Digest, Sha256};
use url::Url;

use super::auth::{netrc_credentials, Credentials};
use super::cache::{freshness, remove_abandoned_temporary_files, CacheEntry};
use super::fetched::Fetched;
use super::limit::Origins;
use super::pack::{page_key, KeptMetadata};
use crate::index::redact::{redact, without_credentials};
use crate::index::IndexError;

/// The most bytes a derived cache entry is read with (a wheel's METADATA or PKG-INFO read
/// from its archive, within `Limits::metadata_bytes` by default, or what a direct
/// reference's archive told): a larger file there is someone else's and is not read.
const DERIVED_BYTES: u64 = 256 * 1024 * 1024;
/// Part of a file, from a range request.
#[derive(Debug)]
pub struct Ranged {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The offset of the first one in the file.
    pub start: u64,
    /// The file's size.
    pub total: u64,
}

/// Where one response is cached: its own file, or (a project page) a record of its
/// project's pack, with the file as the fallback for a page too big for a pack (and for
/// caches written before pages went into packs).
struct Place<'a> {
    file: CacheEntry,
    /// The packs, the project's normalized name and the page's key.
    pack: Option<(&'a KeptMetadata, &'a str, [u8; 32])>,
}

impl Place<'_> {
    fn read(&self, limit: u64) -> Option<Vec<u8>> {
        (self.pack.as_ref())
            .and_then(|(packs, project, key)| packs.read_page(project, key))
            .or_else(|| self.file.read(limit))
    }

    fn forget(&self) {
        if let Some((packs, project, key)) = &self.pack {
            packs.forget_page(project, key);
        }
        let _ = std::fs::remove_file(&self.file.path);
    }
}

/// How the client may use the network and the cache.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Where to keep cached responses; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Revalidate everything, even fresh entries.
    pub refresh: bool,
    /// Never use the network.
    pub offline: bool,
    /// Attempts per request on timeouts, resets and 5xx.
    pub retries: u32,
    /// The longest one request may take, its retries included.
    pub timeout: Duration,
    /// The most requests in flight to one origin.
    pub concurrency: usize,
}

/// A blocking HTTP client shared by every request of a resolve.
pub struct Client {
    /// Built on first use: loading the system's CA certificates costs milliseconds that a run
    /// served from a fresh cache need not pay.
    http: std::sync::OnceLock<Result<reqwest::blocking::Client, String>>,
    options: ClientOptions,
    credentials: Credentials,
    /// Requests that failed (after their retries) in this run, with why: asked again, they
    /// fail at once instead of waiting out the server a second time.
    failures: Mutex<HashMap<String, String>>,
    /// Requests in flight, limited per origin.
    origins: Origins,
    /// Whether the cache's entry directory was made (once per run, not once per entry).
    made: std::sync::Once,
    /// The cache's packs: one file per project (`pack.rs`).
    packs: Option<KeptMetadata>,
}

impl Client {
    /// A client; `indexes` are the configured index URLs, whose credentials apply to every
    /// request to their hosts.
    pub fn new(options: ClientOptions, indexes: &[Url]) -> Self {
        if let Some(dir) = &options.cache_dir {
            remove_abandoned_temporary_files(dir);
        }
        Self {
            http: std::sync::OnceLock::new(),
            credentials: Credentials::new(netrc_credentials(), indexes),
            origins: Origins::new(options.concurrency),
            packs: options.cache_dir.as_deref().map(KeptMetadata::new),
            options,
            failures: Mutex::new(HashMap::new()),
            made: std::sync::Once::new(),
        }
    }

    /// GET `url` with `accept`, through the cache, refusing a body over `limit` bytes. 404
    /// is returned as such; other failures are errors naming the URL.
    pub fn get(&self, url: &Url, accept: &str, limit: u64) -> Result<Fetched, IndexError> {
        self.get_kept_as(url, accept, limit, None, Ok)
    }

    /// The cache's packs (`None`: no cache).
    pub(super) fn packs(&self) -> Option<&KeptMetadata> {
        self.packs.as_ref()
    }

    /// [`Client::get`], keeping `keep(response)` in the cache instead of a 200 response as
    /// received (a page already parsed, say), in the pack of `project` (its normalized name,
    /// or its pack's) if given: callers get what the cache keeps, from the network or not. A
    /// response `keep` refuses is an error and is not cached.
    pub(super) fn get_kept_as(
        &self,
        url: &Url,
        accept: &str,
        limit: u64,
        project: Option<&str>,
        keep: impl FnOnce(Fetched) -> Result<Fetched, IndexError>,
    ) -> Result<Fetched, IndexError> {
        let place = self.place(url, accept, project);
        let bytes = place.as_ref().and_then(|p| p.read(limit));
        let cached = bytes.as_deref().and_then(CacheEntry::parse);
        if self.options.offline {
            return cached
                .map(|c| c.fetched)
                .ok_or_else(|| IndexError::NotCached { url: redact(url) });
        }
        let cached = match cached {
            Some(c) if c.fresh && !self.options.refresh => return Ok(c.fetched),
            Some(c) => serde_json::from_slice::<CachePolicy>(c.policy)
                .ok()
                .map(|policy| (policy, c.fetched)),
            None => None,
        };
        let request = cache_request(url, accept, false)?;
        let mut conditional = None;
        if let Some((policy, _)) = &cached {
            // `--refresh` revalidates fresh entries too, as a request with `no-cache` would.
            let asked = cache_request(url, accept, self.options.refresh)?;
            if let BeforeRequest::Stale { request, .. } =
                policy.before_request(&asked, SystemTime::now())
            {
                conditional = Some(request.headers);
            }
        }
        let response = self.send(url, accept, conditional.as_ref())?;
        let status = response.status().as_u16();
        let response_parts = response_parts(&response);
        if status == 304 {
            if let Some((policy, fetched)) = cached {
                let parts = response_parts.map_err(|e| http_error(url, e))?;
                let (AfterResponse::NotModified(policy, _) | AfterResponse::Modified(policy, _)) =
                    policy.after_response(&request, &parts, SystemTime::now());
                if let Some(place) = &place {
                    self.store(place, &policy, freshness(&policy, &parts), &fetched);
                }
                return Ok(fetched);
            }
            return Err(http_error(
                url,
                "304 Not Modified without a cached copy".into(),
            ));
        }
        let mut fetched = self.received(url, response, limit)?;
        if status == 200 {
            fetched = keep(fetched)?;
        }
        if let (Some(place), Ok(parts)) = (&place, response_parts) {
            let policy = CachePolicy::new(&request, &parts);
            // A 404 is an answer too ("no such project"): cached like any other.
            if policy.is_storable() && (status == 200 || status == 404) {
                self.store(place, &policy, freshness(&policy, &parts), &fetched);
            }
        }
        Ok(fetched)
    }

    /// Where the response to `url` with `accept` is cached (`None`: no cache).
    fn place<'a>(&'a self, url: &Url, accept: &str, project: Option<&'a str>) -> Option<Place<'a>> {
        let dir = self.options.cache_dir.as_deref()?;
        Some(Place {
            file: CacheEntry::new(dir, url, accept),
            pack: (self.packs.as_ref())
                .zip(project)
                .map(|(packs, project)| (packs, project, page_key(url, accept))),
        })
    }

    /// Write a cache entry: in its pack, else in its own file (the directory made once per
    /// run).
    fn store(&self, place: &Place, policy: &CachePolicy, fresh_for: Duration, f: &Fetched) {
        let Some(bytes) = CacheEntry::encode(policy, fresh_for, f) else {
            return;
        };
        if let Some((packs, project, key)) = &place.pack {
            if packs.store_page(project, *key, &bytes) {
                return;
            }
        }
        if let Some(dir) = &self.options.cache_dir {
            self.made.call_once(|| CacheEntry::make_dir(dir));
        }
        place.file.store(&bytes);
    }

    /// GET `url` with `accept`, refusing a body over `limit` bytes, without writing the
    /// answer to the cache: for files the caller keeps in its own form (metadata kept by
    /// its hash), which would otherwise be written twice. Offline, an entry an earlier run
    /// cached is used. 404 is returned as such; other failures are errors naming the URL.
    pub fn get_unstored(&self, url: &Url, accept: &str, limit: u64) -> Result<Fetched, IndexError> {
        if self.options.offline {
            return self.get(url, accept, limit);
        }
        let response = self.send(url, accept, None)?;
        self.received(url, response, limit)
    }

    /// A 200 or 404 `response` to a GET of `url`, its body read (refused past `limit`
    /// bytes); any other status is an error naming the URL.
    fn received(
        &self,
        url: &Url,
        response: reqwest::blocking::Response,
        limit: u64,
    ) -> Result<Fetched, IndexError> {
        let status = response.status().as_u16();
        if status != 200 && status != 404 {
            return Err(http_error(
                url,
                format!("the server answered {}", response.status()),
            ));
        }
        let final_url = response.url().clone();
        let content_type = content_type(&response);
        Ok(Fetched {
            status,
            content_type,
            body: self.remember(url, read_body(response, url, limit))?,
            url: final_url,
        })
    }

    /// GET `url` as a stream, bypassing the cache (for reading the start of big files).
    /// `Ok(None)` for 404; other failures are errors naming the URL.
    pub fn get_stream(&self, url: &Url) -> Result<Option<impl std::io::Read>, IndexError> {
        if self.options.offline {
            return Err(IndexError::NotCached { url: redact(url) });
        }
        let response = self.send(url, "*/*", None)?;
        match response.status().as_u16() {
            200 => Ok(Some(response)),
            404 => Ok(None),
            _ => Err(http_error(
                url,
                format!("the server answered {}", response.status()),
            )),
        }
    }

    /// Drop the cached response to `url` with `accept` (kept in the pack of `project`, if
    /// given), if any.
    pub(super) fn forget(&self, url: &Url, accept: &str, project: Option<&str>) {
        if let Some(place) = self.place(url, accept, project) {
            place.forget();
        }
    }

    /// Something derived from the file at `url` (such as a wheel's METADATA read with range
    /// requests), from the cache: a record of the pack of the file's project (or, as caches
    /// before packs kept it, a file of its own). Files on an index do not change under their
    /// URL, so this needs no revalidation; it is what makes `--offline` possible after such
    /// reads.
    pub fn derived(&self, url: &Url, what: &str) -> Option<Vec<u8>> {
        let key = derived_key(url, what);
        if let Some(kept) = (self.packs.as_ref()).and_then(|p| p.read_derived(file_name(url), &key))
        {
            return Some(kept);
        }
        let path = self
            .options
            .cache_dir
            .as_deref()?
            .join("derived-v2")
            .join(crate::util::hex(&key));
        let bytes = crate::util::read_regular(&path, DERIVED_BYTES)?;
        let (len, body) = bytes.split_at_checked(8)?;
        let len = u64::from_le_bytes(len.try_into().ok()?);
        (body.len() as u64 == len).then(|| body.to_vec())
    }

    /// Keep something derived from the file at `url` in the cache (best effort): in the pack
    /// of the file's project, or in a file of its own if too big for a pack.
    pub fn store_derived(&self, url: &Url, what: &str, bytes: &[u8]) {
        let key = derived_key(url, what);
        let Some(packs) = &self.packs else {
            return;
        };
        if packs.store_derived(file_name(url), key, bytes) {
            return;
        }
        let Some(dir) = self.options.cache_dir.as_deref() else {
            return;
        };
        let dir = dir.join("derived-v2");
        let _ = std::fs::create_dir_all(&dir);
        // Length first: an entry cut short is ignored.
        let mut entry = Vec::with_capacity(8 + bytes.len());
        entry.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        entry.extend_from_slice(bytes);
        let _ = crate::util::write_atomic_unsynced(&dir.join(crate::util::hex(&key)), &entry);
    }

    /// GET a byte range of `url`: `spec` is `start-end` (inclusive) or `-n` (the last n
    /// bytes), `limit` the most bytes accepted. Returns the bytes, where they start and the
    /// file's size; `Ok(None)` when the server ignores ranges (answers 200): the caller
    /// should download the whole file.
    pub fn get_range(
        &self,
        url: &Url,
        spec: &str,
        limit: u64,
    ) -> Result<Option<Ranged>, IndexError> {
        if self.options.offline {
            return Err(IndexError::NotCached { url: redact(url) });
        }
        let mut headers = http::HeaderMap::new();
        if let Ok(v) = http::HeaderValue::from_str(&format!("bytes={spec}")) {
            headers.insert(http::header::RANGE, v);
        }
        let response = self.send(url, "*/*", Some(&headers))?;
        if response.status().as_u16() != 206 {
            return Ok(None);
        }
        // `Content-Range: bytes START-END/TOTAL`
        let (start, total) = response
            .headers()
            .get(http::header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("bytes "))
            .and_then(|v| v.split_once('/'))
            .and_then(|(range, total)| {
                let start = range.split_once('-')?.0.parse::<u64>().ok()?;
                Some((start, total.parse::<u64>().ok()?))
            })
            .ok_or_else(|| http_error(url, "a ranged answer without its position".into()))?;
        let bytes = self.remember(url, read_body(response, url, limit))?;
        Ok(Some(Ranged {
            bytes,
            start,
            total,
        }))
    }

    fn http(&self, url: &Url) -> Result<&reqwest::blocking::Client, IndexError> {
        self.http
            .get_or_init(|| {
                reqwest::blocking::Client::builder()
                    .user_agent(concat!("pylock/", env!("CARGO_PKG_VERSION")))
                    .timeout(self.options.timeout)
                    .connect_timeout(Duration::from_secs(10).min(self.options.timeout))
                    .redirect(redirect_policy())
                    .tcp_nodelay(true)
                    .build()
                    .map_err(|e| format!("cannot start the HTTP client: {e}"))
            })
            .as_ref()
            .map_err(|e| http_error(url, e.clone()))
    }

    /// Send with retries on connection failures, timeouts and 5xx, all within the
    /// request's time budget; a request that failed before in this run fails at once.
    fn send(
        &self,
        url: &Url,
        accept: &str,
        extra: Option<&http::HeaderMap>,
    ) -> Result<reqwest::blocking::Response, IndexError> {
        let key = without_credentials(url).to_string();
        if let Some(reason) = crate::util::lock(&self.failures).get(&key) {
            return Err(http_error(url, reason.clone()));
        }
        self.remember(url, self.send_with_retries(url, accept, extra))
    }

    /// Keep a failed request's reason for the rest of the run.
    fn remember<T>(&self, url: &Url, result: Result<T, IndexError>) -> Result<T, IndexError> {
        if let Err(IndexError::Http { reason, .. }) = &result {
            crate::util::lock(&self.failures)
                .insert(without_credentials(url).to_string(), reason.clone());
        }
        result
    }

    fn send_with_retries(
        &self,
        url: &Url,
        accept: &str,
        extra: Option<&http::HeaderMap>,
    ) -> Result<reqwest::blocking::Response, IndexError> {
        let deadline = Instant::now() + self.options.timeout;
        let attempts = self.options.retries.max(1);
        let mut last = String::new();
        let mut made = 0;
        for attempt in 0..attempts {
            if attempt > 0 {
                let pause = Duration::from_millis(100 * 4u64.pow(attempt - 1));
                if Instant::now() + pause >= deadline {
                    break;
                }
                std::thread::sleep(pause);
            }
            // Held until the response's headers arrive (or the attempt fails): bodies are
            // read after, and the pause before a retry holds none. Time spent waiting for it
            // counts against --timeout.
            let permit = self.origins.enter(url);
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                last = format!(
                    "no answer within {} s (--timeout)",
                    self.options.timeout.as_secs_f32()
                );
                break;
            };
            made += 1;
            let mut req = self
                .http(url)?
                .get(without_credentials(url))
                .timeout(left)
                .header(http::header::ACCEPT, accept);
            if let Some(headers) = extra {
                for (k, v) in headers {
                    if k != http::header::ACCEPT {
                        req = req.header(k, v);
                    }
                }
            }
            if let Some((user, pass)) = self.credentials.for_url(url) {
                req = req.basic_auth(user, pass.as_deref());
            }
            match req.send() {
                // 429 Too Many Requests: worth another try after the pause, as 5xx.
                Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                    if matches!(r.status().as_u16(), 429 | 503) {
                        permit.overloaded();
                    }
                    last = format!("the server answered {}", r.status());
                }
                Ok(r) => {
                    // Only answers with content or "not modified" time the origin: a 404 is
                    // answered before any work and says nothing about its queue.
                    if r.status().is_success() || r.status() == http::StatusCode::NOT_MODIFIED {
                        permit.answered();
                    }
                    return Ok(r);
                }
                Err(e) if e.is_timeout() => {
                    last = format!(
                        "no answer within {} s (--timeout)",
                        self.options.timeout.as_secs_f32()
                    );
                }
                Err(e) if e.is_redirect() => {
                    return Err(http_error(url, describe_error(&e)));
                }
                Err(e) => last = describe_error(&e),
            }
        }
        let tries = if made == 1 {
            "1 attempt".to_owned()
        } else {
            format!("{made} attempts")
        };
        Err(http_error(url, format!("{last} (after {tries})")))
    }
}

/// Redirects are followed (at most 10), but never from HTTPS to plain HTTP. (Credentials
/// are dropped by reqwest when a redirect leaves the host or port.)
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let downgrade = attempt.url().scheme() == "http"
            && attempt
                .previous()
                .last()
                .is_some_and(|u| u.scheme() == "https");
        if downgrade {
            attempt.error("redirected from HTTPS to plain HTTP")
        } else if attempt.previous().len() > 10 {
            attempt.error("more than 10 redirects")
        } else {
            attempt.follow()
        }
    })
}

/// A response body, refused past `limit` bytes (decompressed): an endless or inflating body
/// stops there.
fn read_body(
    response: reqwest::blocking::Response,
    url: &Url,
    limit: u64,
) -> Result<Vec<u8>, IndexError> {
    let too_large = || IndexError::TooLarge {
        url: redact(url),
        what: "the response".into(),
        limit,
    };
    let announced = response.content_length().unwrap_or(0);
    if announced > limit {
        return Err(too_large());
    }
    let capacity = usize::try_from(announced.min(1 << 24)).unwrap_or(0);
    crate::util::read_at_most(response, limit, capacity)
        .map_err(|e| http_error(url, format!("the response was cut short: {}", chain(&e))))?
        .ok_or_else(too_large)
}

fn describe_error(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "the request timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "the request failed"
    };
    let mut out = what.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// An error and its sources, `: `-separated (reqwest's own messages are vague: "request or
/// response body error").
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// The request the cache policy judges; `no_cache` asks for revalidation of fresh entries.
fn cache_request(url: &Url, accept: &str, no_cache: bool) -> Result<http::Request<()>, IndexError> {
    let mut request =
        http::Request::get(without_credentials(url).as_str()).header(http::header::ACCEPT, accept);
    if no_cache {
        request = request.header(http::header::CACHE_CONTROL, "no-cache");
    }
    request.body(()).map_err(|e| http_error(url, e.to_string()))
}

/// A response's `Content-Type`, if readable.
fn content_type(response: &reqwest::blocking::Response) -> Option<String> {
    response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn http_error(url: &Url, reason: String) -> IndexError {
    IndexError::Http {
        url: redact(url),
        reason,
    }
}

fn response_parts(r: &reqwest::blocking::Response) -> Result<http::response::Parts, String> {
    let mut builder = http::Response::builder().status(r.status().as_u16());
    for (k, v) in r.headers() {
        builder = builder.header(k, v);
    }
    builder
        .body(())
        .map(|r| r.into_parts().0)
        .map_err(|e| e.to_string())
}

/// The key of something derived from the file at `url` (`what` says what, and may hold the
/// file's hash): never a file's SHA-256 or a page's key.
fn derived_key(url: &Url, what: &str) -> [u8; 32] {
    Sha256::digest(format!("{}\n{what}", without_credentials(url)).as_bytes()).into()
}

/// The last segment of `url`'s path: a distribution file's name, which names its pack.
fn file_name(url: &Url) -> &str {
    url.path().rsplit('/').next().unwrap_or_default()
}
