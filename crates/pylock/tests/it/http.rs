//! The HTTP index against a loopback server: the same lock as from disk, a cache that makes
//! warm runs cheap and `--offline` possible, and clear errors or retries for every fault.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pylock::{resolve, IndexError, LocalIndex, Manifest, ResolveError, Role, Target};
use pylock::{HttpIndex, HttpOptions};
use sha2::{Digest as _, Sha256};

use crate::server::{Faults, Server};
use crate::support::workspace;

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pylock-http-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

fn http_index(urls: &[String], cache: Option<&Path>, offline: bool) -> HttpIndex {
    HttpIndex::new(HttpOptions {
        index_urls: urls.iter().map(|u| u.parse().expect("url")).collect(),
        cache_dir: cache.map(Path::to_path_buf),
        offline,
        ..HttpOptions::default()
    })
    .expect("client")
}

fn trio() -> (Manifest, PathBuf) {
    let dir = workspace().join("fixtures/realworld/trio");
    let mut m = Manifest::default();
    m.add_file(&dir.join("requirements.in"), Role::Requirement)
        .expect("requirements");
    (m, dir.join("index"))
}

fn linux() -> Target {
    Target::single("3.12", "linux", None).expect("target")
}

type Summary = Vec<(String, String, Vec<(String, Option<String>)>)>;

fn summary(r: &pylock::Resolution) -> Summary {
    r.packages
        .iter()
        .map(|p| {
            (
                p.name.to_string(),
                p.version.to_string(),
                p.files
                    .iter()
                    .map(|f| (f.filename().to_owned(), f.sha256()))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn same_resolution_over_http_as_from_disk_json_and_html() {
    let (manifest, root) = trio();
    let disk = resolve(
        &manifest,
        &linux(),
        &Default::default(),
        &LocalIndex::new(root.join("simple")).expect("index"),
    )
    .expect("disk");
    for html_only in [false, true] {
        let server = Server::start(
            root.clone(),
            Faults {
                html_only,
                ..Faults::default()
            },
        );
        let index = http_index(&[format!("{}/simple", server.base)], None, false);
        let http = resolve(&manifest, &linux(), &Default::default(), &index).expect("http");
        assert_eq!(summary(&http), summary(&disk), "html_only={html_only}");
        let universal = Target::universal(Some(">=3.10".parse().expect("spec")));
        let a = resolve(&manifest, &universal, &Default::default(), &index).expect("universal");
        let b = resolve(
            &manifest,
            &universal,
            &Default::default(),
            &LocalIndex::new(root.join("simple")).expect("index"),
        )
        .expect("universal disk");
        assert_eq!(summary(&a), summary(&b));
    }
}

#[test]
fn warm_cache_makes_no_requests_and_offline_works() {
    let (manifest, root) = trio();
    let cache = tempdir("cache");
    let server = Server::start(
        root,
        Faults {
            delay: Some(Duration::from_millis(50)),
            ..Faults::default()
        },
    );
    let url = format!("{}/simple", server.base);
    let t0 = std::time::Instant::now();
    let cold = resolve(
        &manifest,
        &linux(),
        &Default::default(),
        &http_index(std::slice::from_ref(&url), Some(&cache), false),
    )
    .expect("cold");
    let cold_time = t0.elapsed();
    let cold_requests = server.requests.load(std::sync::atomic::Ordering::Relaxed);
    assert!(cold_requests > 40, "{cold_requests}");
    let before = server.hits.lock().expect("hits").clone();
    // Pages are cached parsed (a compact binary form), not as the JSON the server sent.
    let pages = before.keys().filter(|p| p.starts_with("/simple/")).count();
    // Each in its project's pack, beside the metadata kept from it: no file of its own.
    let parsed = pack_records(&cache)
        .iter()
        .filter(|(_, page, content)| {
            *page
                && content
                    .windows(b"x.pylock-page.v2".len())
                    .any(|w| w == b"x.pylock-page.v2")
        })
        .count();
    assert!(pages > 10 && parsed == pages, "{parsed} of {pages} pages");
    assert!(!cache.join("http-v3").exists());
    let t1 = std::time::Instant::now();
    let warm = resolve(
        &manifest,
        &linux(),
        &Default::default(),
        &http_index(std::slice::from_ref(&url), Some(&cache), false),
    )
    .expect("warm");
    let warm_time = t1.elapsed();
    assert_eq!(summary(&cold), summary(&warm));
    let after = server.hits.lock().expect("hits").clone();
    let extra: Vec<_> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(v))
        .collect();
    assert_eq!(
        server.requests.load(std::sync::atomic::Ordering::Relaxed),
        cold_requests,
        "fresh cache entries need no request: {extra:?}"
    );
    // No request at all is the guarantee; with 50 ms per response the cold run pays for its
    // chains of requests and the warm one does not. (Exact ratios: benches/README.md; this
    // test runs beside others in a debug build.)
    assert!(
        warm_time * 2 < cold_time,
        "warm {warm_time:?} vs cold {cold_time:?}"
    );
    drop(server);
    let offline = resolve(
        &manifest,
        &linux(),
        &Default::default(),
        &http_index(&[url], Some(&cache), true),
    )
    .expect("offline after a warm run");
    assert_eq!(summary(&offline), summary(&cold));

    let empty = tempdir("empty-cache");
    let err = resolve(
        &manifest,
        &linux(),
        &Default::default(),
        &http_index(&["http://127.0.0.1:9/simple".into()], Some(&empty), true),
    )
    .expect_err("nothing cached");
    assert!(
        err.to_string().contains("not in the cache") && err.to_string().contains("127.0.0.1:9"),
        "{err}"
    );
    std::fs::remove_dir_all(&cache).ok();
}

#[test]
fn refresh_revalidates_every_cached_response() {
    let (manifest, root) = trio();
    let cache = tempdir("refresh");
    let server = Server::start(root.clone(), Faults::default());
    let url = format!("{}/simple", server.base);
    let cold = resolve(
        &manifest,
        &linux(),
        &Default::default(),
        &http_index(std::slice::from_ref(&url), Some(&cache), false),
    )
    .expect("cold");
    let requests = server.requests.load(std::sync::atomic::Ordering::Relaxed);
    let bytes = server.bytes.load(std::sync::atomic::Ordering::Relaxed);
    let kept_records_after_cold = kept_records(&cache);
    let refreshing = HttpIndex::new(HttpOptions {
        index_urls: vec![url.parse().expect("url")],
        cache_dir: Some(cache.clone()),
        refresh: true,
        ..HttpOptions::default()
    })
    .expect("client");
    let refreshed =
        resolve(&manifest, &linux(), &Default::default(), &refreshing).expect("refresh");
    assert_eq!(summary(&cold), summary(&refreshed));
    assert_eq!(
        server.requests.load(std::sync::atomic::Ordering::Relaxed),
        2 * requests,
        "every cached response is asked for again"
    );
    // Pages are answered 304 Not Modified: no body is sent again. Metadata files are kept
    // by their hash only (no HTTP entry to revalidate): read again whole.
    let metadata_bytes: usize = (server.hits.lock().expect("hits").keys())
        .filter(|p| p.ends_with(".metadata"))
        .map(|p| {
            let path = root.join(p.trim_start_matches('/'));
            std::fs::metadata(&path).expect("served file").len() as usize
        })
        .sum();
    assert!(metadata_bytes > 1000, "{metadata_bytes}");
    assert_eq!(
        server.bytes.load(std::sync::atomic::Ordering::Relaxed),
        bytes + metadata_bytes,
    );
    // And not kept twice.
    assert_eq!(kept_records(&cache), kept_records_after_cold);
    std::fs::remove_dir_all(&cache).ok();
}

/// Metadata files the index lists a hash for are kept by that hash in the resolver's form,
/// in one pack file per project and nowhere else (no HTTP cache entry): a warm run reads
/// them from the packs (and hashes and scans nothing), and so does an offline run.
#[test]
fn metadata_is_kept_by_its_hash() {
    let (manifest, root) = trio();
    let cache = tempdir("kept-metadata");
    let server = Server::start(root, Faults::default());
    let url = format!("{}/simple", server.base);
    let cold = resolve(
        &manifest,
        &linux(),
        &Default::default(),
        &http_index(std::slice::from_ref(&url), Some(&cache), false),
    )
    .expect("cold");
    let fetched: Vec<String> = (server.hits.lock().expect("hits").keys())
        .filter(|p| p.ends_with(".metadata"))
        .cloned()
        .collect();
    assert!(fetched.len() > 10, "{}", fetched.len());
    assert_eq!(kept_records(&cache), fetched.len());
    // One pack per project, named as its wheels' files name it, holding its page and the
    // metadata kept from it, and no other file.
    let pages: Vec<String> = (server.hits.lock().expect("hits").keys())
        .filter_map(|p| p.strip_prefix("/simple/")?.strip_suffix('/'))
        .map(|name| name.replace('-', "_"))
        .collect();
    let mut projects: Vec<String> = fetched
        .iter()
        .filter_map(|p| p.rsplit('/').next()?.split_once('-'))
        .map(|(name, _)| name.to_ascii_lowercase().replace('.', "_"))
        .chain(pages.iter().cloned())
        .collect();
    projects.sort();
    projects.dedup();
    assert!(pages.len() > 10, "{pages:?}");
    assert_eq!(pack_names(&cache), projects);
    assert_eq!(kept_pages(&cache), pages.len());
    assert!(!cache.join("http-v3").exists(), "metadata kept twice");
    let requests = server.requests.load(std::sync::atomic::Ordering::Relaxed);
    let index = http_index(std::slice::from_ref(&url), Some(&cache), false);
    let warm = resolve(&manifest, &linux(), &Default::default(), &index).expect("warm");
    assert_eq!(summary(&cold), summary(&warm));
    assert_eq!(
        server.requests.load(std::sync::atomic::Ordering::Relaxed),
        requests
    );
    drop(server);
    let offline = http_index(std::slice::from_ref(&url), Some(&cache), true);
    let warm = resolve(&manifest, &linux(), &Default::default(), &offline).expect("offline");
    assert_eq!(summary(&cold), summary(&warm));
    // `--refresh` means nothing offline: the packs are read.
    let offline_refresh = HttpIndex::new(HttpOptions {
        index_urls: vec![url.parse().expect("url")],
        cache_dir: Some(cache.clone()),
        offline: true,
        refresh: true,
        ..HttpOptions::default()
    })
    .expect("client");
    let warm = resolve(&manifest, &linux(), &Default::default(), &offline_refresh)
        .expect("offline refresh");
    assert_eq!(summary(&cold), summary(&warm));
    std::fs::remove_dir_all(&cache).ok();
}

/// Two runs sharing a cache, at once, append to the same packs: every record lands whole
/// and the next run (offline) reads them all.
#[test]
fn concurrent_runs_share_the_packs() {
    let (manifest, root) = trio();
    let cache = tempdir("concurrent-packs");
    let server = Server::start(root, Faults::default());
    let url = format!("{}/simple", server.base);
    let runs: Vec<Summary> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let index = http_index(std::slice::from_ref(&url), Some(&cache), false);
                    summary(
                        &resolve(&manifest, &linux(), &Default::default(), &index).expect("run"),
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("run"))
            .collect()
    });
    assert_eq!(runs[0], runs[1]);
    let fetched = (server.hits.lock().expect("hits").keys())
        .filter(|p| p.ends_with(".metadata"))
        .count();
    let kept = kept_records(&cache);
    assert!(
        kept >= fetched && kept <= 2 * fetched,
        "{kept} of {fetched}"
    );
    drop(server);
    let offline = http_index(&[url], Some(&cache), true);
    let warm = resolve(&manifest, &linux(), &Default::default(), &offline).expect("offline");
    assert_eq!(summary(&warm), runs[0]);
    std::fs::remove_dir_all(&cache).ok();
}

/// The packs of kept metadata in `cache`, by name.
fn pack_names(cache: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cache.join("metadata-v2"))
        .expect("packs")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The records of the packs in `cache`, by pack (each starts with `PLKr`, its length, its
/// key and its seal), in file order: whether each keeps a page (an HTTP cache entry, which
/// starts with `pylock-http-v3`) and its content.
fn pack_records(cache: &Path) -> Vec<(String, bool, Vec<u8>)> {
    let mut out = Vec::new();
    for name in pack_names(cache) {
        let bytes = std::fs::read(cache.join("metadata-v2").join(&name)).expect("pack");
        let mut at = b"pylock-metadata-pack-v2\n".len();
        while at < bytes.len() {
            assert_eq!(&bytes[at..at + 4], b"PLKr", "{name}");
            let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4"));
            let content = bytes[at + 72..at + 72 + len as usize].to_vec();
            out.push((
                name.clone(),
                content.starts_with(b"pylock-http-v3\n"),
                content,
            ));
            at += 72 + len as usize;
        }
        assert_eq!(at, bytes.len(), "{name}");
    }
    out
}

/// How many metadata records the packs in `cache` hold.
fn kept_records(cache: &Path) -> usize {
    pack_records(cache)
        .iter()
        .filter(|(_, page, _)| !page)
        .count()
}

/// How many page records the packs in `cache` hold.
fn kept_pages(cache: &Path) -> usize {
    pack_records(cache)
        .iter()
        .filter(|(_, page, _)| *page)
        .count()
}

/// Responses that say neither how long they stay fresh nor how to revalidate them exactly
/// are kept as fresh for a while: a warm run asks nothing, and `--offline` works after a run
/// against such a server (a static mirror, `python -m http.server`).
#[test]
fn responses_without_cache_headers_are_kept_for_warm_and_offline_runs() {
    let (manifest, root) = trio();
    let cache = tempdir("nocacheheaders");
    let server = Server::start(
        root,
        Faults {
            no_cache_headers: true,
            ..Faults::default()
        },
    );
    let url = format!("{}/simple", server.base);
    let index = || http_index(std::slice::from_ref(&url), Some(&cache), false);
    let first = resolve(&manifest, &linux(), &Default::default(), &index()).expect("first");
    let requests = server.requests.load(std::sync::atomic::Ordering::Relaxed);
    let second = resolve(&manifest, &linux(), &Default::default(), &index()).expect("second");
    assert_eq!(summary(&first), summary(&second));
    assert_eq!(
        server.requests.load(std::sync::atomic::Ordering::Relaxed),
        requests,
        "a warm run asks nothing"
    );
    drop(server);
    let offline = http_index(std::slice::from_ref(&url), Some(&cache), true);
    let third = resolve(&manifest, &linux(), &Default::default(), &offline).expect("offline");
    assert_eq!(summary(&first), summary(&third));
    std::fs::remove_dir_all(&cache).ok();
}

/// Cache entries cut short (the cache is not synced to disk) are fetched again, not used.
#[test]
fn damaged_cache_entries_are_fetched_again() {
    let (manifest, root) = trio();
    let cache = tempdir("damaged");
    let server = Server::start(root, Faults::default());
    let url = format!("{}/simple", server.base);
    let index = || http_index(std::slice::from_ref(&url), Some(&cache), false);
    let cold = resolve(&manifest, &linux(), &Default::default(), &index()).expect("cold");
    let requests = server.requests.load(std::sync::atomic::Ordering::Relaxed);
    // Packs cut short (the cache is not synced to disk): their last record is refused and
    // what it kept (a page, or a metadata file) fetched again, once.
    let packs = pack_names(&cache);
    let records = kept_records(&cache);
    let mut cut = 0;
    for name in &packs {
        let path = cache.join("metadata-v2").join(name);
        let bytes = std::fs::read(&path).expect("read");
        std::fs::write(&path, &bytes[..bytes.len() - 1]).expect("cut");
        cut += 1;
    }
    assert!(packs.len() > 10, "{}", packs.len());
    let warm = resolve(&manifest, &linux(), &Default::default(), &index()).expect("warm");
    assert_eq!(summary(&cold), summary(&warm));
    assert_eq!(
        server.requests.load(std::sync::atomic::Ordering::Relaxed),
        requests + cut,
        "each damaged entry is fetched once more"
    );
    assert_eq!(kept_records(&cache), records, "and kept again, once");
    // Pages kept in another pylock version's form (same length and sealed anew, so only
    // the form is wrong) are fetched again, not errors.
    let requests = server.requests.load(std::sync::atomic::Ordering::Relaxed);
    let mut older = 0;
    for name in pack_names(&cache) {
        let path = cache.join("metadata-v2").join(&name);
        let mut bytes = std::fs::read(&path).expect("read");
        let mut at = b"pylock-metadata-pack-v2\n".len();
        while at < bytes.len() {
            let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4")) as usize;
            let (start, end) = (at + 72, at + 72 + len);
            let marker = b"x.pylock-page.v2";
            if let Some(m) = bytes[start..end]
                .windows(marker.len())
                .position(|w| w == marker)
            {
                bytes[start + m + marker.len() - 1] = b'0';
                let mut seal = Sha256::new();
                seal.update(&bytes[at + 8..at + 40]);
                seal.update(&bytes[start..end]);
                bytes[at + 40..at + 72].copy_from_slice(&seal.finalize());
                older += 1;
            }
            at = end;
        }
        std::fs::write(&path, bytes).expect("rewrite");
    }
    assert!(older > 10, "{older}");
    let again = resolve(&manifest, &linux(), &Default::default(), &index()).expect("refetched");
    assert_eq!(summary(&cold), summary(&again));
    assert_eq!(
        server.requests.load(std::sync::atomic::Ordering::Relaxed),
        requests + older,
        "each page kept in another form is fetched once more"
    );
    std::fs::remove_dir_all(&cache).ok();
}

fn small_case() -> (Manifest, PathBuf) {
    let mut m = Manifest::default();
    m.add_str("a", Role::Requirement).expect("req");
    (m, workspace().join("fixtures/packse/example-toml/index"))
}

fn http_error(faults: Faults) -> Result<pylock::Resolution, ResolveError> {
    let (manifest, root) = small_case();
    let server = Server::start(root, faults);
    let index = http_index(&[format!("{}/simple", server.base)], None, false);
    resolve(&manifest, &linux(), &Default::default(), &index)
}

#[test]
fn transient_failures_are_retried() {
    for faults in [
        Faults {
            fail_first: 2,
            ..Faults::default()
        },
        Faults {
            reset_first: 1,
            ..Faults::default()
        },
        Faults {
            busy_first: 2,
            ..Faults::default()
        },
    ] {
        let r = http_error(faults).expect("retried");
        assert_eq!(r.packages.len(), 2);
    }
}

#[test]
fn persistent_faults_are_errors_naming_the_url() {
    let err = http_error(Faults {
        fail_first: 100,
        ..Faults::default()
    })
    .expect_err("500s");
    let msg = err.to_string();
    assert!(msg.contains("/simple/a/") && msg.contains("500"), "{msg}");

    let err = http_error(Faults {
        truncate: true,
        ..Faults::default()
    })
    .expect_err("truncated");
    assert!(err.to_string().contains("/simple/a/"), "{err}");

    let err = http_error(Faults {
        hide: vec!["/b/".into()],
        ..Faults::default()
    })
    .expect_err("missing b");
    assert!(matches!(err, ResolveError::NoSolution { .. }), "{err}");
    assert!(err.to_string().contains("b was not found"), "{err}");
}

#[test]
fn wrong_metadata_hash_is_an_error() {
    let dir = tempdir("badhash");
    copy_dir(
        &workspace().join("fixtures/packse/example-toml/index"),
        &dir,
    );
    let meta = dir.join("files/b-2.0.0-py3-none-any.whl.metadata");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&meta)
        .expect("open");
    f.write_all(b"Requires-Dist: evil\n").expect("tamper");
    let (manifest, _) = small_case();
    let server = Server::start(dir.clone(), Faults::default());
    let err = resolve(
        &manifest,
        &linux(),
        &Default::default(),
        &http_index(&[format!("{}/simple", server.base)], None, false),
    )
    .expect_err("tampered");
    assert!(
        matches!(err, ResolveError::Index(IndexError::HashMismatch { .. })),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("b-2.0.0-py3-none-any.whl.metadata"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A wheel laid out as bdist_wheel writes it (the `.dist-info` members last, `RECORD` after
/// `METADATA`) with a directory larger than the tail fetched first has its metadata read in
/// two requests: the members right before the directory come with it (apache-airflow,
/// botocore and pandas wheels took three).
#[test]
fn the_metadata_before_a_large_directory_comes_with_it() {
    let dir = tempdir("record");
    let wheel = many_wheel(|zip, files| {
        for file in files {
            writeln!(zip, "{file},,").expect("record");
        }
    });
    assert_eq!(
        wheel_requests_to_lock_many(&dir, &wheel).0,
        2,
        "range requests for one METADATA"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A wheel laid out as torch's (a directory of ~100 KB, then `METADATA` with ~700 KB of
/// `RECORD` between it and the directory) has its metadata read in two small requests: the
/// tail, whose last directory entries locate `METADATA`, then `METADATA` alone. Reading the
/// whole directory took three requests and ~900 KB (the rest of the directory, then
/// everything from `METADATA` up to it).
#[test]
fn the_metadata_far_before_a_large_directory_is_found_from_the_tail() {
    let dir = tempdir("torchlike");
    let wheel = many_wheel(|zip, _| {
        for i in 0..7000 {
            writeln!(
                zip,
                "many/package/module_number_{i:05}.py,sha256={:064x},6",
                i
            )
            .expect("record");
        }
    });
    assert!(wheel.len() > 700_000, "{}", wheel.len());
    let (requests, bytes) = wheel_requests_to_lock_many(&dir, &wheel);
    assert_eq!(requests, 2, "range requests for one METADATA");
    // The tail (64 KiB) and `METADATA` with its header; not the directory, nor `RECORD`.
    assert!(bytes < 80_000, "{bytes} bytes sent for one METADATA");
    std::fs::remove_dir_all(&dir).ok();
}

/// A wheel of `many 1.0` laid out as bdist_wheel writes it: 1,500 modules, then
/// `.dist-info/METADATA`, then `RECORD`, written by `record` (given the modules' names).
fn many_wheel(
    record: impl FnOnce(&mut zip::ZipWriter<std::io::Cursor<Vec<u8>>>, &[String]),
) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let files: Vec<String> = (0..1500)
        .map(|i| format!("many/package/module_number_{i:05}.py"))
        .collect();
    for file in &files {
        zip.start_file(file.as_str(), opts).expect("file");
        zip.write_all(b"x = 1\n").expect("write");
    }
    zip.start_file("many-1.0.dist-info/METADATA", opts)
        .expect("file");
    zip.write_all(b"Metadata-Version: 2.1\nName: many\nVersion: 1.0\n")
        .expect("metadata");
    zip.start_file("many-1.0.dist-info/RECORD", opts)
        .expect("file");
    record(&mut zip, &files);
    zip.finish().expect("zip").into_inner()
}

/// Serve `wheel` as `many 1.0` (no `.metadata` file) from `dir`, lock `many` from it, and
/// count the requests that went to the wheel, and the bytes sent (pages included).
fn wheel_requests_to_lock_many(dir: &Path, wheel: &[u8]) -> (usize, usize) {
    std::fs::create_dir_all(dir.join("files")).expect("mkdir");
    std::fs::create_dir_all(dir.join("simple/many")).expect("mkdir");
    std::fs::write(dir.join("files/many-1.0-py3-none-any.whl"), wheel).expect("wheel");
    std::fs::write(
        dir.join("simple/many/index.html"),
        "<a href=\"../../files/many-1.0-py3-none-any.whl\">many</a>",
    )
    .expect("page");
    let mut manifest = Manifest::default();
    manifest.add_str("many", Role::Requirement).expect("req");
    let server = Server::start(dir.to_path_buf(), Faults::default());
    let r = resolve(
        &manifest,
        &linux(),
        &Default::default(),
        &http_index(&[format!("{}/simple", server.base)], None, false),
    )
    .expect("resolves");
    assert_eq!(r.packages.len(), 1);
    let bytes = server.bytes.load(std::sync::atomic::Ordering::Relaxed);
    (server.hits_ending(".whl"), bytes)
}

/// A one-project index whose wheel has no `.metadata` file: metadata must come from the wheel.
fn wheel_only_index(dir: &Path) {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("big/data.bin", opts).expect("file");
    zip.write_all(&vec![7u8; 300_000]).expect("padding");
    zip.start_file("big-1.0.dist-info/METADATA", opts)
        .expect("file");
    zip.write_all(b"Metadata-Version: 2.1\nName: big\nVersion: 1.0\nRequires-Dist: six\n")
        .expect("metadata");
    let wheel = zip.finish().expect("zip").into_inner();
    let sha = hex(&sha2::Sha256::digest(&wheel));
    std::fs::create_dir_all(dir.join("files")).expect("mkdir");
    std::fs::create_dir_all(dir.join("simple/big")).expect("mkdir");
    std::fs::create_dir_all(dir.join("simple/six")).expect("mkdir");
    std::fs::write(dir.join("files/big-1.0-py3-none-any.whl"), &wheel).expect("wheel");
    std::fs::write(
        dir.join("simple/big/index.html"),
        format!("<a href=\"../../files/big-1.0-py3-none-any.whl#sha256={sha}\">big</a>"),
    )
    .expect("page");
    std::fs::write(
        dir.join("files/six-1.0-py3-none-any.whl.metadata"),
        "Metadata-Version: 2.1\nName: six\nVersion: 1.0\n",
    )
    .expect("meta");
    std::fs::write(
        dir.join("simple/six/index.html"),
        "<a href=\"../../files/six-1.0-py3-none-any.whl\" data-core-metadata=\"true\">six</a>",
    )
    .expect("page");
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A wheel of 6,000 files (a zip directory of ~400 KB) has its metadata read in a few
/// requests: the directory in one, not one per 64 KiB.
#[test]
fn a_large_zip_directory_is_read_in_one_request() {
    let dir = tempdir("bigdir");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..6000 {
        zip.start_file(format!("many/package/module_number_{i:05}.py"), opts)
            .expect("file");
        zip.write_all(b"x = 1\n").expect("write");
    }
    zip.start_file("many-1.0.dist-info/METADATA", opts)
        .expect("file");
    zip.write_all(b"Metadata-Version: 2.1\nName: many\nVersion: 1.0\n")
        .expect("metadata");
    let wheel = zip.finish().expect("zip").into_inner();
    let wheel_requests = wheel_requests_to_lock_many(&dir, &wheel).0;
    assert!(
        wheel_requests <= 3,
        "{wheel_requests} range requests for one METADATA"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn wheel_metadata_by_range_requests_or_whole_download() {
    let dir = tempdir("ranges");
    wheel_only_index(&dir);
    let mut manifest = Manifest::default();
    manifest.add_str("big", Role::Requirement).expect("req");
    for no_ranges in [false, true] {
        let server = Server::start(
            dir.clone(),
            Faults {
                no_ranges,
                ..Faults::default()
            },
        );
        let r = resolve(
            &manifest,
            &linux(),
            &Default::default(),
            &http_index(&[format!("{}/simple", server.base)], None, false),
        )
        .expect("resolves");
        let names: Vec<String> = r.packages.iter().map(|p| p.name.to_string()).collect();
        assert_eq!(names, ["big", "six"]);
        let sent = server.bytes.load(std::sync::atomic::Ordering::Relaxed);
        if no_ranges {
            assert!(sent > 300_000, "whole wheel expected, sent {sent}");
        } else {
            assert!(sent < 100_000, "ranges should fetch little, sent {sent}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Metadata read from wheels with range requests (no PEP 658 file) is kept in the project's
/// pack beside its page: one cache file per project, and an offline run reads it there.
#[test]
fn range_read_metadata_is_kept_in_the_project_packs() {
    let dir = tempdir("ranges-kept");
    wheel_only_index(&dir);
    let cache = tempdir("ranges-kept-cache");
    let mut manifest = Manifest::default();
    manifest.add_str("big", Role::Requirement).expect("req");
    let server = Server::start(dir.clone(), Faults::default());
    let url = format!("{}/simple", server.base);
    let cold = resolve(
        &manifest,
        &linux(),
        &Default::default(),
        &http_index(std::slice::from_ref(&url), Some(&cache), false),
    )
    .expect("cold");
    let mut entries: Vec<String> = std::fs::read_dir(&cache)
        .expect("cache")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && n != "cleaned")
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        ["metadata-v2"],
        "no file of its own for derived metadata"
    );
    assert_eq!(pack_names(&cache), ["big", "six"]);
    // Each pack: the page and the metadata read from the wheel.
    let records = pack_records(&cache);
    assert_eq!(
        records.len(),
        4,
        "{:?}",
        records.iter().map(|r| (&r.0, r.1)).collect::<Vec<_>>()
    );
    drop(server);
    let offline = http_index(std::slice::from_ref(&url), Some(&cache), true);
    let warm = resolve(&manifest, &linux(), &Default::default(), &offline).expect("offline");
    assert_eq!(summary(&cold), summary(&warm));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&cache).ok();
}

#[test]
fn credentials_are_sent_but_never_shown() {
    let (manifest, root) = small_case();
    let server = Server::start(
        root,
        Faults {
            auth: Some("Basic dXNlcjpzM2NyZXQ=".into()),
            ..Faults::default()
        },
    );
    let with = format!(
        "http://user:s3cret@{}/simple",
        server.base.trim_start_matches("http://")
    );
    let r = resolve(
        &manifest,
        &linux(),
        &Default::default(),
        &http_index(&[with], None, false),
    )
    .expect("authenticated");
    let lock = pylock::Lock::from_resolution(
        &r,
        &pylock::LockOptions {
            index_url: None,
            lock_dir: None,
            ..pylock::LockOptions::default()
        },
    )
    .to_toml();
    assert!(
        !lock.contains("s3cret") && !lock.contains("user@"),
        "{lock}"
    );
    let wrong = format!(
        "http://user:wrong@{}/simple",
        server.base.trim_start_matches("http://")
    );
    let err = resolve(
        &manifest,
        &linux(),
        &Default::default(),
        &http_index(&[wrong], None, false),
    )
    .expect_err("401");
    assert!(!err.to_string().contains("wrong"), "{err}");
}

#[test]
fn first_index_with_a_project_wins() {
    // The second index has `a` too, with other versions; only the first one's count.
    let (manifest, root) = small_case();
    let first = Server::start(root, Faults::default());
    let second = Server::start(
        workspace().join("fixtures/packse/transitive-incompatible-with-root-version/index"),
        Faults::default(),
    );
    let index = http_index(
        &[
            format!("{}/simple", first.base),
            format!("{}/simple", second.base),
        ],
        None,
        false,
    );
    let r = resolve(&manifest, &linux(), &Default::default(), &index).expect("resolves");
    let got: Vec<String> = r
        .packages
        .iter()
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect();
    assert_eq!(got, ["a==1.0.0", "b==2.0.0"]);
    assert_eq!(second.hits_ending("/a/"), 0);
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn a_snapshot_resolves_offline_to_the_live_result() {
    let (manifest, root) = trio();
    let server = Server::start(root, Faults::default());
    let live = http_index(&[format!("{}/simple", server.base)], None, false);
    let targets = [
        Target::universal(Some(">=3.10".parse().expect("spec"))),
        linux(),
    ];
    let from_live: Vec<Summary> = targets
        .iter()
        .map(|t| summary(&resolve(&manifest, t, &Default::default(), &live).expect("live")))
        .collect();
    let out = tempdir("snapshot");
    // The source is recorded without the credentials a private index's URL carries.
    let source = format!(
        "{}/simple/?token=s3cr3t",
        server.base.replace("http://", "http://user:pa55@")
    );
    let (projects, _) = LocalIndex::snapshot(
        &manifest,
        &targets,
        &Default::default(),
        &live,
        Some(&source),
        &out,
    )
    .expect("write snapshot");
    assert!(projects >= 37, "{projects}");
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("snapshot.json")).expect("record"))
            .expect("json");
    assert_eq!(record["source"], format!("{}/simple", server.base));
    assert_eq!(record["targets"][0], "universal");
    assert_eq!(record["requires_python"], ">=3.10");
    let listed = std::fs::read_to_string(out.join("requirements.in")).expect("requirements");
    let requirements: Vec<String> = (manifest.requirements.iter())
        .map(|r| format!("{r}\n"))
        .collect();
    assert_eq!(listed, requirements.concat());
    drop(server);
    let offline = LocalIndex::new(out.join("simple")).expect("snapshot index");
    for (target, expected) in targets.iter().zip(&from_live) {
        let got = resolve(&manifest, target, &Default::default(), &offline).expect("offline");
        assert_eq!(&summary(&got), expected);
    }
    // Closed: every listed file has its metadata.
    for entry in std::fs::read_dir(out.join("simple")).expect("ls") {
        let page = entry.expect("entry").path().join("index.json");
        if !page.exists() {
            continue;
        }
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&page).expect("page")).expect("json");
        for f in json["files"].as_array().expect("files") {
            let name = f["filename"].as_str().expect("filename");
            assert!(
                out.join("files").join(format!("{name}.metadata")).exists(),
                "{name}"
            );
        }
    }
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn find_links_directory_adds_files() {
    // A local directory of wheels beside an index that lacks the project.
    let dir = tempdir("findlinks");
    wheel_only_index(&dir);
    let (mut manifest, root) = small_case();
    manifest.add_str("big", Role::Requirement).expect("req");
    let server = Server::start(root, Faults::default());
    let index = HttpIndex::new(HttpOptions {
        index_urls: vec![format!("{}/simple", server.base).parse().expect("url")],
        find_links: vec![dir.join("files").display().to_string()],
        ..HttpOptions::default()
    })
    .expect("client");
    // `big` depends on `six`, which neither source has: the explanation says so.
    let err = resolve(&manifest, &linux(), &Default::default(), &index).expect_err("six missing");
    assert!(err.to_string().contains("six was not found"), "{err}");
    let mut manifest = Manifest::default();
    manifest.add_str("big", Role::Requirement).expect("req");
    manifest.add_str("six", Role::Requirement).expect("req");
    let err = resolve(&manifest, &linux(), &Default::default(), &index).expect_err("six missing");
    assert!(!err.to_string().contains("big was not found"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_missing_find_links_directory_says_so() {
    let (manifest, root) = small_case();
    let server = Server::start(root, Faults::default());
    let missing = tempdir("findlinks-missing").join("nowhere");
    let index = HttpIndex::new(HttpOptions {
        index_urls: vec![format!("{}/simple", server.base).parse().expect("url")],
        find_links: vec![missing.display().to_string()],
        ..HttpOptions::default()
    })
    .expect("client");
    let err = resolve(&manifest, &linux(), &Default::default(), &index).expect_err("missing");
    let msg = err.to_string();
    assert!(
        msg.contains("nowhere") && msg.contains("not a directory"),
        "{msg}"
    );
}

#[test]
fn concurrent_runs_share_one_cache() {
    let (manifest, root) = trio();
    let cache = tempdir("shared-cache");
    let server = Server::start(root, Faults::default());
    let url = format!("{}/simple", server.base);
    let results: Vec<Summary> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let index = http_index(std::slice::from_ref(&url), Some(&cache), false);
                    summary(
                        &resolve(&manifest, &linux(), &Default::default(), &index)
                            .expect("resolves"),
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert!(results.windows(2).all(|w| w[0] == w[1]));
    drop(server);
    let offline = resolve(
        &manifest,
        &linux(),
        &Default::default(),
        &http_index(&[url], Some(&cache), true),
    )
    .expect("the shared cache is complete and readable");
    assert_eq!(summary(&offline), results[0]);
    std::fs::remove_dir_all(&cache).ok();
}
