//! The HTTP client: retries with backoff within one time budget per request, failures
//! remembered for the run, bodies bounded in size, connections opened gradually, credentials
//! (URL userinfo and netrc, never shown) sent only to their origin, and an on-disk cache that
//! revalidates with ETag / Last-Modified as Cache-Control says.

use std::collections::{HashMap, HashSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use http_cache_semantics::{AfterResponse, BeforeRequest, CachePolicy};
use sha2::{Digest, Sha256};
use url::Url;

use crate::index::IndexError;

/// A response body with what the caller needs to interpret it.
#[derive(Debug)]
pub struct Fetched {
    /// HTTP status (200 or 404 reach callers; other errors become [`IndexError`]s).
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
    /// The URL after redirects.
    pub url: Url,
}

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
    ramp: Ramp,
}

type Credential = (String, Option<String>);

/// (scheme, host, port): where a credential may go.
type Origin = (String, String, u16);

fn origin(url: &Url) -> Option<Origin> {
    Some((
        url.scheme().to_owned(),
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default()?,
    ))
}

/// Credentials and where they may be sent: those in an index URL to that index's origin
/// only; netrc entries (which name a host) to that host over HTTPS, or over plain HTTP only
/// where a configured index is itself plain HTTP on that origin.
#[derive(Default)]
struct Credentials {
    by_origin: HashMap<Origin, Credential>,
    by_host: HashMap<String, Credential>,
    index_origins: HashSet<Origin>,
}

impl Credentials {
    fn new(netrc: HashMap<String, Credential>, indexes: &[Url]) -> Self {
        let mut out = Self {
            by_host: netrc
                .into_iter()
                .map(|(h, c)| (h.to_ascii_lowercase(), c))
                .collect(),
            ..Self::default()
        };
        for url in indexes {
            let Some(origin) = origin(url) else { continue };
            if !url.username().is_empty() {
                let credential = (
                    percent_decode(url.username()),
                    url.password().map(percent_decode),
                );
                out.by_origin.insert(origin.clone(), credential);
            }
            out.index_origins.insert(origin);
        }
        out
    }

    fn for_url(&self, url: &Url) -> Option<&Credential> {
        let origin = origin(url)?;
        if let Some(c) = self.by_origin.get(&origin) {
            return Some(c);
        }
        let secure = origin.0 == "https" || self.index_origins.contains(&origin);
        secure.then(|| self.by_host.get(&origin.1)).flatten()
    }
}

/// Requests in flight, opened gradually: a cold resolve wants dozens at once, and servers
/// with a small listen backlog (Python's `http.server` has 5) drop the connections of such a
/// burst, which the OS retries only after 1, 3, 7 seconds. The first few requests run at
/// once; each answer allows one more, so new connections open no faster than answers come
/// back, and keep-alive connections are reused.
struct Ramp {
    /// (in flight, allowed).
    state: Mutex<(usize, usize)>,
    freed: Condvar,
}

/// Requests in flight at the start of a run.
const FIRST_IN_FLIGHT: usize = 6;
/// The most requests in flight (uv allows 50).
const MAX_IN_FLIGHT: usize = 64;

impl Ramp {
    fn new() -> Self {
        Self {
            state: Mutex::new((0, FIRST_IN_FLIGHT)),
            freed: Condvar::new(),
        }
    }

    fn enter(&self) -> RampSlot<'_> {
        let mut state = crate::util::lock(&self.state);
        while state.0 >= state.1 {
            state = self
                .freed
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        state.0 += 1;
        RampSlot(self)
    }
}

/// One request in flight; leaving it lets the next one start.
struct RampSlot<'r>(&'r Ramp);

impl RampSlot<'_> {
    /// The server answered: one more request may run at once.
    fn answered(&self) {
        let mut state = crate::util::lock(&self.0.state);
        state.1 = (state.1 + 1).min(MAX_IN_FLIGHT);
    }
}

impl Drop for RampSlot<'_> {
    fn drop(&mut self) {
        crate::util::lock(&self.0.state).0 -= 1;
        self.0.freed.notify_all();
    }
}

/// `url` without user name and password, for messages and locks.
pub fn redact(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
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
            options,
            failures: Mutex::new(HashMap::new()),
            ramp: Ramp::new(),
        }
    }

    /// GET `url` with `accept`, through the cache, refusing a body over `limit` bytes. 404
    /// is returned as such; other failures are errors naming the URL.
    pub fn get(&self, url: &Url, accept: &str, limit: u64) -> Result<Fetched, IndexError> {
        self.get_kept_as(url, accept, limit, Ok)
    }

    /// [`Client::get`], keeping `keep(response)` in the cache instead of a 200 response as
    /// received (a page already parsed, say): callers get what the cache keeps, from the
    /// network or not. A response `keep` refuses is an error and is not cached.
    pub fn get_kept_as(
        &self,
        url: &Url,
        accept: &str,
        limit: u64,
        keep: impl FnOnce(Fetched) -> Result<Fetched, IndexError>,
    ) -> Result<Fetched, IndexError> {
        let entry = self
            .options
            .cache_dir
            .as_deref()
            .map(|d| CacheEntry::new(d, url, accept));
        let bytes = entry.as_ref().and_then(CacheEntry::read);
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
                if let Some(entry) = &entry {
                    entry.store(&policy, freshness(&policy, &parts), &fetched);
                }
                return Ok(fetched);
            }
            return Err(http_error(
                url,
                "304 Not Modified without a cached copy".into(),
            ));
        }
        let final_url = response.url().clone();
        let content_type = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if status != 200 && status != 404 {
            return Err(http_error(
                url,
                format!("the server answered {}", response.status()),
            ));
        }
        let body = self.remember(url, read_body(response, url, limit))?;
        let mut fetched = Fetched {
            status,
            content_type,
            body,
            url: final_url,
        };
        if status == 200 {
            fetched = keep(fetched)?;
        }
        if let (Some(entry), Ok(parts)) = (&entry, response_parts) {
            let policy = CachePolicy::new(&request, &parts);
            // A 404 is an answer too ("no such project"): cached like any other.
            if policy.is_storable() && (status == 200 || status == 404) {
                entry.store(&policy, freshness(&policy, &parts), &fetched);
            }
        }
        Ok(fetched)
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

    /// Drop the cached response to `url` with `accept`, if any.
    pub fn forget(&self, url: &Url, accept: &str) {
        if let Some(dir) = self.options.cache_dir.as_deref() {
            let _ = std::fs::remove_file(CacheEntry::new(dir, url, accept).path);
        }
    }

    /// Something derived from the file at `url` (such as a wheel's METADATA read with range
    /// requests), from the cache. Files on an index do not change under their URL, so this
    /// needs no revalidation; it is what makes `--offline` possible after such reads.
    pub fn derived(&self, url: &Url, what: &str) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.derived_path(url, what)?).ok()?;
        let (len, body) = bytes.split_at_checked(8)?;
        let len = u64::from_le_bytes(len.try_into().ok()?);
        (body.len() as u64 == len).then(|| body.to_vec())
    }

    /// Keep something derived from the file at `url` in the cache (best effort).
    pub fn store_derived(&self, url: &Url, what: &str, bytes: &[u8]) {
        if let Some(path) = self.derived_path(url, what) {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            // Length first: an entry cut short is ignored.
            let mut entry = Vec::with_capacity(8 + bytes.len());
            entry.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            entry.extend_from_slice(bytes);
            let _ = crate::util::write_atomic_unsynced(&path, &entry);
        }
    }

    fn derived_path(&self, url: &Url, what: &str) -> Option<PathBuf> {
        let dir = self.options.cache_dir.as_deref()?;
        let key = Sha256::digest(format!("{}\n{what}", redact(url)).as_bytes());
        Some(dir.join("derived-v2").join(crate::util::hex(&key)))
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
        let key = redact(url);
        if let Some(reason) = crate::util::lock(&self.failures).get(&key) {
            return Err(http_error(url, reason.clone()));
        }
        self.remember(url, self.send_with_retries(url, accept, extra))
    }

    /// Keep a failed request's reason for the rest of the run.
    fn remember<T>(&self, url: &Url, result: Result<T, IndexError>) -> Result<T, IndexError> {
        if let Err(IndexError::Http { reason, .. }) = &result {
            crate::util::lock(&self.failures).insert(redact(url), reason.clone());
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
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            made += 1;
            let mut clean = url.clone();
            let _ = clean.set_username("");
            let _ = clean.set_password(None);
            let mut req = self
                .http(url)?
                .get(clean)
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
            let slot = self.ramp.enter();
            match req.send() {
                // 429 Too Many Requests: worth another try after the pause, as 5xx.
                Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                    last = format!("the server answered {}", r.status());
                }
                Ok(r) => {
                    slot.answered();
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
    let mut body = Vec::with_capacity(usize::try_from(announced.min(1 << 24)).unwrap_or(0));
    response
        .take(limit.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|e| http_error(url, format!("the response was cut short: {}", chain(&e))))?;
    if body.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(body)
}

/// Temporary files of cache writes a killed run left behind (older than an hour, so that
/// concurrent runs' writes in progress are left alone). Looked for at most once a day: the
/// marker file `cleaned` says when it was last done.
fn remove_abandoned_temporary_files(cache_dir: &Path) {
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
    for dir in ["http-v3", "derived-v2"] {
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

/// How long a response whose server says nothing about freshness is used without asking:
/// PyPI's own pages say ten minutes. Static mirrors (`python -m http.server`, a bucket behind
/// a proxy that strips headers) say nothing, and would otherwise be asked for everything on
/// every run. `--refresh` asks anyway; `--offline` uses entries however old.
const UNSAID_FRESHNESS: Duration = Duration::from_secs(600);

/// How long a response stays fresh: what its headers say (`Cache-Control`, `Expires`), else
/// [`UNSAID_FRESHNESS`] (or the heuristic from `Last-Modified`, if longer).
fn freshness(policy: &CachePolicy, parts: &http::response::Parts) -> Duration {
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

/// The request the cache policy judges; `no_cache` asks for revalidation of fresh entries.
fn cache_request(url: &Url, accept: &str, no_cache: bool) -> Result<http::Request<()>, IndexError> {
    let mut request = http::Request::get(redact(url)).header(http::header::ACCEPT, accept);
    if no_cache {
        request = request.header(http::header::CACHE_CONTROL, "no-cache");
    }
    request.body(()).map_err(|e| http_error(url, e.to_string()))
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

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// `machine HOST login USER password PASS` entries of `$NETRC` or `~/.netrc`.
fn netrc_credentials() -> HashMap<String, (String, Option<String>)> {
    let path = std::env::var_os("NETRC")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".netrc")));
    let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) else {
        return HashMap::new();
    };
    parse_netrc(&text)
}

/// Parse netrc text (`default` entries are ignored: credentials go only to named hosts).
pub fn parse_netrc(text: &str) -> HashMap<String, (String, Option<String>)> {
    let mut out = HashMap::new();
    let mut tokens = text.split_whitespace();
    let mut machine: Option<String> = None;
    let mut login: Option<String> = None;
    let mut password: Option<String> = None;
    let mut flush = |m: &mut Option<String>, l: &mut Option<String>, p: &mut Option<String>| {
        if let (Some(m), Some(l)) = (m.take(), l.take()) {
            out.insert(m, (l, p.take()));
        }
        *p = None;
    };
    while let Some(tok) = tokens.next() {
        match tok {
            "machine" => {
                flush(&mut machine, &mut login, &mut password);
                machine = tokens.next().map(str::to_owned);
            }
            "default" => {
                flush(&mut machine, &mut login, &mut password);
            }
            "login" => login = tokens.next().map(str::to_owned),
            "password" => password = tokens.next().map(str::to_owned),
            "account" | "macdef" => {
                tokens.next();
            }
            _ => {}
        }
    }
    flush(&mut machine, &mut login, &mut password);
    out
}

/// One cached response: a single file `http-v3/<key>` holding a header line, the cache
/// policy on a line of its own, then the body.
///
/// The header says until when the entry is fresh, so a warm run reads one file and parses a
/// short line; the policy (request and response headers) is parsed only to revalidate a
/// stale entry. The body length in the header catches an entry cut short (entries are not
/// synced to disk).
struct CacheEntry {
    path: PathBuf,
}

const CACHE_MAGIC: &[u8] = b"pylock-http-v3\n";

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
struct Cached<'a> {
    fetched: Fetched,
    fresh: bool,
    policy: &'a [u8],
}

fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl CacheEntry {
    fn new(dir: &Path, url: &Url, accept: &str) -> Self {
        let key = Sha256::digest(format!("{}\n{accept}", redact(url)).as_bytes());
        Self {
            path: dir.join("http-v3").join(crate::util::hex(&key)),
        }
    }

    /// The entry's bytes, if any.
    fn read(&self) -> Option<Vec<u8>> {
        std::fs::read(&self.path).ok()
    }

    /// Split an entry read by [`CacheEntry::read`]; `None` for anything damaged.
    fn parse(bytes: &[u8]) -> Option<Cached<'_>> {
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

    /// Write the entry atomically (concurrent writers leave one complete entry).
    fn store(&self, policy: &CachePolicy, fresh_for: Duration, fetched: &Fetched) {
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
            return;
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
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        // A cache that cannot be written only costs speed.
        let _ = crate::util::write_atomic_unsynced(&self.path, &bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netrc_entries() {
        let creds = parse_netrc(
            "machine pypi.example.com login alice password s3cret\ndefault login x password y\nmachine other login bob",
        );
        assert_eq!(
            creds.get("pypi.example.com"),
            Some(&("alice".to_owned(), Some("s3cret".to_owned())))
        );
        assert_eq!(creds.get("other"), Some(&("bob".to_owned(), None)));
        assert_eq!(creds.len(), 2);
    }

    #[test]
    fn redaction() {
        let u = Url::parse("https://user:pa%40ss@host/simple/").expect("url");
        assert_eq!(redact(&u), "https://host/simple/");
    }
}
