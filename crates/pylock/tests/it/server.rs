//! A loopback HTTP/1.1 server for tests: serves a directory like a static Simple API mirror
//! (content negotiation for PEP 691 JSON, byte ranges, Cache-Control, ETag revalidation), and can misbehave on
//! purpose (delays, 5xx, resets, truncated bodies, no range support, required credentials).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Ways the server misbehaves.
#[derive(Clone, Default)]
pub struct Faults {
    /// Sleep before every answer.
    pub delay: Option<Duration>,
    /// Answer one request at a time, each taking this long (a server on one core): answers
    /// take longer the more requests are in flight.
    pub one_at_a_time: Option<Duration>,
    /// Answer 500 to the first N requests of every path.
    pub fail_first: usize,
    /// Answer 429 Too Many Requests to the first N requests of every path.
    pub busy_first: usize,
    /// Close the connection without answering the first N requests of every path.
    pub reset_first: usize,
    /// Send only half of every body (with the full Content-Length).
    pub truncate: bool,
    /// Ignore Range headers.
    pub no_ranges: bool,
    /// Serve only HTML pages, as `python -m http.server` does.
    pub html_only: bool,
    /// Require this `Authorization` header value.
    pub auth: Option<String>,
    /// Paths answered 404 whatever exists on disk.
    pub hide: Vec<String>,
    /// Paths under this prefix are answered at once, past `delay` and `one_at_a_time` (an
    /// index with nothing in it on the same server: its 404s cost the server nothing).
    pub instant_under: Option<&'static str>,
    /// Send neither Cache-Control nor ETag (only Last-Modified), as `python -m http.server`.
    pub no_cache_headers: bool,
    /// Send project pages with this Content-Type instead of the right one.
    pub page_content_type: Option<&'static str>,
}

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Requests served, by path.
    pub hits: Arc<Mutex<HashMap<String, usize>>>,
    /// Total requests.
    pub requests: Arc<AtomicUsize>,
    /// Body bytes sent.
    pub bytes: Arc<AtomicUsize>,
    /// Requests that carried an `Authorization` header.
    pub authorized: Arc<AtomicUsize>,
    /// For every request, in order of arrival: how many were in progress (arrived and not
    /// answered) when it arrived, itself included.
    pub in_progress: Arc<Mutex<Vec<usize>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
    }
}

impl Server {
    /// Serve `root` (the directory holding `simple/` and `files/`).
    pub fn start(root: PathBuf, faults: Faults) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let hits = Arc::new(Mutex::new(HashMap::new()));
        let requests = Arc::new(AtomicUsize::new(0));
        let bytes = Arc::new(AtomicUsize::new(0));
        let authorized = Arc::new(AtomicUsize::new(0));
        let in_progress = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Counters {
            hits: hits.clone(),
            requests: requests.clone(),
            bytes: bytes.clone(),
            authorized: authorized.clone(),
            in_progress: in_progress.clone(),
            busy: Arc::new((AtomicUsize::new(0), Mutex::new(()))),
        };
        let state = Arc::new((root, faults, counters));
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let state = state.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &state.0, &state.1, &state.2);
                });
            }
        });
        Self {
            base,
            hits,
            requests,
            bytes,
            authorized,
            in_progress,
            stop,
        }
    }

    /// Requests made for paths ending in `suffix`.
    pub fn hits_ending(&self, suffix: &str) -> usize {
        self.hits
            .lock()
            .expect("hits")
            .iter()
            .filter(|(p, _)| p.ends_with(suffix))
            .map(|(_, n)| n)
            .sum()
    }
}

/// What the server counts.
struct Counters {
    hits: Arc<Mutex<HashMap<String, usize>>>,
    requests: Arc<AtomicUsize>,
    bytes: Arc<AtomicUsize>,
    authorized: Arc<AtomicUsize>,
    in_progress: Arc<Mutex<Vec<usize>>>,
    /// Requests in progress, and the lock `one_at_a_time` serves under.
    busy: Arc<(AtomicUsize, Mutex<()>)>,
}

fn serve(
    stream: TcpStream,
    root: &Path,
    faults: &Faults,
    counters: &Counters,
) -> std::io::Result<()> {
    let Counters {
        hits,
        requests,
        bytes,
        authorized,
        in_progress,
        busy,
    } = counters;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            if h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        requests.fetch_add(1, Ordering::Relaxed);
        let now = busy.0.fetch_add(1, Ordering::SeqCst) + 1;
        in_progress.lock().expect("in progress").push(now);
        let instant = faults.instant_under.is_some_and(|p| path.starts_with(p));
        if let Some(d) = faults.one_at_a_time.filter(|_| !instant) {
            let _serving = busy.1.lock().expect("serving");
            std::thread::sleep(d);
        }
        if headers.contains_key("authorization") {
            authorized.fetch_add(1, Ordering::Relaxed);
        }
        let seen = {
            let mut hits = hits.lock().expect("hits");
            let n = hits.entry(path.clone()).or_insert(0);
            *n += 1;
            *n
        };
        if let Some(d) = faults.delay.filter(|_| !instant) {
            std::thread::sleep(d);
        }
        if seen <= faults.reset_first {
            busy.0.fetch_sub(1, Ordering::SeqCst);
            return Ok(()); // drop the connection unanswered
        }
        let (status, content_type, body, extra) = if seen <= faults.busy_first {
            (
                "429 Too Many Requests",
                "text/plain",
                b"slow down".to_vec(),
                String::new(),
            )
        } else if seen <= faults.fail_first {
            (
                "500 Internal Server Error",
                "text/plain",
                b"boom".to_vec(),
                String::new(),
            )
        } else if faults.auth.is_some() && headers.get("authorization") != faults.auth.as_ref() {
            (
                "401 Unauthorized",
                "text/plain",
                b"no".to_vec(),
                String::new(),
            )
        } else {
            lookup(root, &path, faults, &headers)
        };
        // ETags are body lengths: enough to tell a revalidation from a new download here.
        let etag = format!("\"{}\"", body.len());
        let (status, body) =
            if status.starts_with("200") && headers.get("if-none-match") == Some(&etag) {
                ("304 Not Modified", Vec::new())
            } else {
                (status, body)
            };
        let sent = if faults.truncate {
            body.len() / 2
        } else {
            body.len()
        };
        bytes.fetch_add(sent, Ordering::Relaxed);
        let caching = if faults.no_cache_headers {
            "Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n".to_owned()
        } else {
            format!("Cache-Control: max-age=600\r\nETag: {etag}\r\n")
        };
        busy.0.fetch_sub(1, Ordering::SeqCst);
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{caching}{extra}\r\n",
            body.len(),
        )?;
        stream.write_all(&body[..sent])?;
        stream.flush()?;
        if faults.truncate {
            return Ok(());
        }
    }
}

type Answer = (&'static str, &'static str, Vec<u8>, String);

fn lookup(root: &Path, path: &str, faults: &Faults, headers: &HashMap<String, String>) -> Answer {
    let not_found = || {
        (
            "404 Not Found",
            "text/plain",
            b"not found".to_vec(),
            String::new(),
        )
    };
    if faults.hide.iter().any(|h| path.ends_with(h.as_str())) {
        return not_found();
    }
    let rel = path.split('?').next().unwrap_or("").trim_start_matches('/');
    let mut file = root.join(rel);
    let mut content_type = "application/octet-stream";
    if rel.ends_with('/') || rel.is_empty() {
        let wants_json = headers
            .get("accept")
            .is_some_and(|a| a.contains("application/vnd.pypi.simple.v1+json"));
        if wants_json && !faults.html_only && file.join("index.json").exists() {
            file = file.join("index.json");
            content_type = "application/vnd.pypi.simple.v1+json";
        } else {
            file = file.join("index.html");
            content_type = "text/html";
        }
        content_type = faults.page_content_type.unwrap_or(content_type);
    }
    let Ok(body) = std::fs::read(&file) else {
        return not_found();
    };
    if let (Some(range), false) = (headers.get("range"), faults.no_ranges) {
        if let Some((a, b)) = range.strip_prefix("bytes=").and_then(|r| r.split_once('-')) {
            let len = body.len();
            // `bytes=-N` is the last N bytes.
            let (start, end): (usize, usize) = if a.is_empty() {
                (len.saturating_sub(b.parse().unwrap_or(0)), len - 1)
            } else {
                (
                    a.parse().unwrap_or(0).min(len.saturating_sub(1)),
                    b.parse().unwrap_or(len - 1).min(len - 1),
                )
            };
            let part = body[start..=end].to_vec();
            return (
                "206 Partial Content",
                "application/octet-stream",
                part,
                format!("Content-Range: bytes {start}-{end}/{len}\r\n"),
            );
        }
    }
    ("200 OK", content_type, body, String::new())
}

/// Read all of a reader (helper for tests that fetch by hand).
#[allow(dead_code)]
pub fn read_all(mut r: impl Read) -> Vec<u8> {
    let mut v = Vec::new();
    let _ = r.read_to_end(&mut v);
    v
}
