//! Hostile indexes: pages that point at local files, credentials that must stay with their
//! origin, servers that stall or never stop sending. Each must end in a clear error naming
//! the URL (or a correct resolve), quickly and within bounded memory.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pylock::{resolve, Manifest, Resolution, ResolveError, Role, Target};
use pylock::{HttpIndex, HttpOptions, Limits};

use crate::server::{Faults, Server};
use crate::support::workspace;

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pylock-hostile-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

fn manifest() -> Manifest {
    let mut m = Manifest::default();
    m.add_str("a", Role::Requirement).expect("req");
    m
}

fn linux() -> Target {
    Target::single("3.12", "linux", None).expect("target")
}

fn example() -> PathBuf {
    workspace().join("fixtures/packse/example-toml/index")
}

fn index(url: &str, options: HttpOptions) -> HttpIndex {
    HttpIndex::new(HttpOptions {
        index_urls: vec![url.parse().expect("url")],
        ..options
    })
    .expect("client")
}

/// Resolve `a` for CPython 3.12 on Linux against the index at `url`.
fn resolve_a(url: &str, options: HttpOptions) -> Result<Resolution, ResolveError> {
    resolve(
        &manifest(),
        &linux(),
        &Default::default(),
        &index(url, options),
    )
}

/// A copy of the example index whose JSON pages give file URLs as `rewrite(relative URL)`.
fn rewritten_index(tag: &str, rewrite: impl Fn(&str) -> String) -> PathBuf {
    let root = tempdir(tag);
    for project in ["a", "b"] {
        let dir = root.join("simple").join(project);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let page = example().join("simple").join(project).join("index.json");
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(page).expect("page")).expect("json");
        for file in json["files"].as_array_mut().expect("files") {
            let url = file["url"].as_str().expect("url").to_owned();
            file["url"] = rewrite(&url).into();
        }
        std::fs::write(dir.join("index.json"), json.to_string()).expect("write");
    }
    root
}

#[test]
fn a_remote_page_cannot_point_at_local_files() {
    let root = rewritten_index("file-url", |_| "file:///dev/zero".into());
    let server = Server::start(root.clone(), Faults::default());
    let url = format!("{}/simple", server.base);
    let err = resolve_a(&url, HttpOptions::default()).expect_err("refused");
    let msg = err.to_string();
    assert!(msg.contains("may only point at http(s) URLs"), "{msg}");
    assert!(msg.contains(&server.base), "{msg}");
    std::fs::remove_dir_all(&root).ok();
}

/// A server cannot have its answer read as pylock's own cache format (a decoder made for
/// trusted bytes) by naming that format's Content-Type: it is read as a page.
#[test]
fn a_server_cannot_claim_the_cache_format() {
    let server = Server::start(
        example(),
        Faults {
            html_only: true,
            page_content_type: Some("application/x.pylock-page.v1"),
            ..Faults::default()
        },
    );
    let url = format!("{}/simple", server.base);
    let r = resolve_a(&url, HttpOptions::default()).expect("read as HTML");
    assert_eq!(r.packages.len(), 2);
}

#[test]
fn credentials_stay_with_their_origin() {
    let files = Server::start(example(), Faults::default());
    let base = files.base.clone();
    let root = rewritten_index("origin", |u| {
        format!("{base}/files/{}", u.rsplit('/').next().expect("name"))
    });
    let pages = Server::start(root.clone(), Faults::default());
    let with_password = format!(
        "http://user:s3cret@{}/simple",
        pages.base.trim_start_matches("http://")
    );
    let r = resolve_a(&with_password, HttpOptions::default()).expect("resolves");
    assert_eq!(r.packages.len(), 2);
    assert!(
        pages.authorized.load(Ordering::Relaxed) > 0,
        "the index gets them"
    );
    assert!(
        files.requests.load(Ordering::Relaxed) > 0,
        "files come from the other port"
    );
    assert_eq!(
        files.authorized.load(Ordering::Relaxed),
        0,
        "another port is another origin"
    );
    std::fs::remove_dir_all(&root).ok();
}

/// Accepts connections and never answers; counts them.
fn stalled_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::Relaxed);
            held.push(stream);
        }
    });
    (base, accepted)
}

#[test]
fn a_stalled_server_fails_within_the_timeout_naming_the_url() {
    let (base, accepted) = stalled_server();
    let options = HttpOptions {
        timeout: Duration::from_secs(2),
        ..HttpOptions::default()
    };
    let started = Instant::now();
    let err = resolve_a(&format!("{base}/simple"), options).expect_err("times out");
    let took = started.elapsed();
    let msg = err.to_string();
    assert!(msg.contains(&format!("{base}/simple/a/")), "{msg}");
    assert!(msg.contains("no answer within 2 s"), "{msg}");
    // One budget for the request and its retries; asked again, it fails at once.
    assert!(took < Duration::from_secs(6), "{took:?}");
    assert!(
        accepted.load(Ordering::Relaxed) <= 3,
        "{}",
        accepted.load(Ordering::Relaxed)
    );
}

/// Answers every request with a chunked body that never ends.
fn endless_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n";
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let body = "x".repeat(64 * 1024);
                let chunk = format!("{:x}\r\n{body}\r\n", body.len());
                while stream.write_all(chunk.as_bytes()).is_ok() {}
            });
        }
    });
    base
}

#[test]
fn an_endless_page_stops_at_the_page_limit() {
    let base = endless_server();
    let options = HttpOptions {
        limits: Limits {
            page_bytes: 4 * 1024 * 1024,
            ..Limits::default()
        },
        ..HttpOptions::default()
    };
    let started = Instant::now();
    let err = resolve_a(&format!("{base}/simple"), options).expect_err("too large");
    let msg = err.to_string();
    assert!(
        msg.contains("larger than the limit of 4194304 bytes"),
        "{msg}"
    );
    assert!(msg.contains(&base), "{msg}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn abandoned_temporary_cache_files_are_removed() {
    let cache = tempdir("tmp-cleanup");
    let entries = cache.join("http-v3");
    // A pack of kept metadata rewritten by a run that was killed.
    let packs = cache.join("metadata-v2");
    std::fs::create_dir_all(&entries).expect("mkdir");
    std::fs::create_dir_all(&packs).expect("mkdir");
    let old = entries.join(".abc.123.0.tmp");
    let old_pack = packs.join(".boto3.123.1.tmp");
    let fresh = entries.join(".abc.124.0.tmp");
    std::fs::write(&fresh, b"partial").expect("write");
    let day_ago = std::time::SystemTime::now() - Duration::from_secs(86_400);
    for path in [&old, &old_pack] {
        std::fs::write(path, b"partial").expect("write");
        std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(day_ago))
            .expect("age it");
    }
    let _index = index(
        "http://127.0.0.1:9/simple",
        HttpOptions {
            cache_dir: Some(cache.clone()),
            ..HttpOptions::default()
        },
    );
    assert!(!old.exists(), "a day-old temporary file is removed");
    assert!(!old_pack.exists(), "in the packs' directory too");
    assert!(fresh.exists(), "a write in progress is left alone");
    std::fs::remove_dir_all(&cache).ok();
}

/// A one-project local index whose only file's core metadata is `metadata`.
fn index_with_metadata(tag: &str, metadata: &str) -> PathBuf {
    use sha2::Digest as _;
    let root = tempdir(tag);
    let hex = |b: &[u8]| {
        sha2::Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
    };
    std::fs::create_dir_all(root.join("simple/a")).expect("mkdir");
    std::fs::create_dir_all(root.join("files")).expect("mkdir");
    let file = "a-1.0-py3-none-any.whl";
    std::fs::write(
        root.join("files").join(format!("{file}.metadata")),
        metadata,
    )
    .expect("w");
    let page = serde_json::json!({
        "meta": {"api-version": "1.1"},
        "name": "a",
        "files": [{
            "filename": file,
            "url": format!("../../files/{file}"),
            "hashes": {"sha256": "0".repeat(64)},
            "core-metadata": {"sha256": hex(metadata.as_bytes())},
        }],
    });
    std::fs::write(root.join("simple/a/index.json"), page.to_string()).expect("w");
    root
}

/// Metadata from an index is parsed like any untrusted text: what panicked inside the PEP
/// 508 parser (and hung the resolve, on a worker thread) or took minutes is an error naming
/// the metadata file.
#[test]
fn hostile_metadata_is_an_error_naming_the_file() {
    let many: String = (0..300_000)
        .map(|i| format!("Requires-Dist: c{i}; python_version != '3.{i}'\n"))
        .collect();
    let deep = format!(
        "x; {}os_name == 'a'{}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let cases = [
        (
            "panic",
            "Requires-Dist: n.*\n".to_owned(),
            "a package name must end",
        ),
        (
            "display",
            "Requires-Dist: x; python_full_version<''\u{FFFD}'3\n".into(),
            "ASCII",
        ),
        ("many", many, "more than 5000 Requires-Dist entries"),
        ("deep", format!("Requires-Dist: {deep}\n"), "Requires-Dist"),
    ];
    for (tag, requires, expected) in cases {
        let metadata = format!("Metadata-Version: 2.1\nName: a\nVersion: 1.0\n{requires}");
        let root = index_with_metadata(tag, &metadata);
        let local = pylock::LocalIndex::new(root.join("simple")).expect("index");
        let started = Instant::now();
        let err = resolve(&manifest(), &linux(), &Default::default(), &local).expect_err("refused");
        let msg = err.to_string();
        assert!(msg.contains(expected), "{tag}: {msg}");
        assert!(
            msg.contains("a-1.0-py3-none-any.whl.metadata"),
            "{tag}: {msg}"
        );
        assert!(started.elapsed() < Duration::from_secs(20), "{tag}");
        std::fs::remove_dir_all(&root).ok();
    }
}
