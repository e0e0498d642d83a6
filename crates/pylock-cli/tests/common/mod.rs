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
