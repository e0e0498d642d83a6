//! Helpers every `pylock` CLI test binary shares: where the fixtures are, scratch
//! directories, running the binary, its output as text.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (fixtures live under it).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `index/simple` directory of a packse fixture case.
pub fn packse_index(case: &str) -> String {
    workspace()
        .join("fixtures/packse")
        .join(case)
        .join("index/simple")
        .display()
        .to_string()
}

/// A scratch directory for one test, distinct per test binary, tag and process.
pub fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "pylock-{}-{tag}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

/// Run the `pylock` binary in `dir` with `args`.
pub fn pylock(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pylock"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("pylock runs")
}

/// What a run printed on stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// What a run printed on stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Serve files under `root` over loopback HTTP/1.0 (`dir/` serves `dir/index.html`), one
/// connection at a time, for as long as the test runs; the base URL.
pub fn serve(root: PathBuf) -> String {
    serve_pages_with(root, None)
}

/// [`serve`], but a page (a path ending in `/`) is served only when asked for with the query
/// `query` (as a private index taking a token in its URL does): 403 otherwise. Files are
/// looked up without the query.
pub fn serve_pages_with(root: PathBuf, query: Option<&'static str>) -> String {
    use std::io::{BufRead as _, BufReader, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let (path, asked) = match target.split_once('?') {
                Some((path, asked)) => (path, Some(asked)),
                None => (target.as_str(), None),
            };
            let mut file = root.join(path.trim_start_matches('/'));
            if path.ends_with('/') {
                file = file.join("index.html");
            }
            let mut out = &stream;
            if query.is_some() && path.ends_with('/') && asked != query {
                let _ = out.write_all(
                    b"HTTP/1.0 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                continue;
            }
            let _ = match std::fs::read(&file) {
                Ok(body) => out
                    .write_all(
                        format!(
                            "HTTP/1.0 200 OK\r\nContent-Length: {}\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|()| out.write_all(&body)),
                Err(_) => out.write_all(
                    b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            };
        }
    });
    base
}

/// Assert that `out` exited with `code` and that its stderr says `said`.
pub fn assert_exit(out: &Output, code: i32, said: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", stderr(out));
    assert!(stderr(out).contains(said), "{}", stderr(out));
}
