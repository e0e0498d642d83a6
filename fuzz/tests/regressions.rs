//! Every saved input (`fuzz/regressions/<target>/*`, crashes the fuzzers found, and the seed
//! corpus `fuzz/corpus/<target>/*`) replayed through its target's entry point in
//! `pylock::fuzzing`, each in its own process (the target binary built without afl), so that
//! a stack overflow or an abort fails one case instead of the whole test binary, and a hang
//! is cut off.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one input may take (a debug build, on a loaded machine).
const TIMEOUT: Duration = Duration::from_secs(60);

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["regressions", "corpus"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        files.extend(
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file()),
        );
    }
    files.sort();
    files
}

/// Why `input` fails through `exe`, if it does.
fn failure(exe: &str, input: &Path) -> Option<String> {
    let stderr_path = std::env::temp_dir().join(format!(
        "pylock-fuzz-regression-{}-{}.stderr",
        std::process::id(),
        input.file_name()?.to_string_lossy()
    ));
    let stderr = std::fs::File::create(&stderr_path).ok()?;
    let mut child = match Command::new(exe)
        .arg(input)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return Some(format!("cannot run {exe}: {e}")),
    };
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_file(&stderr_path);
                return Some(format!("still running after {TIMEOUT:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Some(format!("cannot wait: {e}")),
        }
    };
    let text = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let _ = std::fs::remove_file(&stderr_path);
    if status.success() {
        return None;
    }
    // The panic message, or the last line (a stack overflow's).
    let why = text
        .lines()
        .skip_while(|l| !l.contains("panicked at"))
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let why = if why.is_empty() {
        text.lines().last().unwrap_or("").to_owned()
    } else {
        why
    };
    Some(format!("{status}: {why}"))
}

fn check(target: &str, exe: &str) {
    let inputs = inputs(target);
    assert!(!inputs.is_empty(), "no inputs for {target}");
    let failures: Vec<String> = inputs
        .iter()
        .filter_map(|input| failure(exe, input).map(|why| format!("  {}: {why}", input.display())))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} inputs fail through pylock::fuzzing::{target}:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}

macro_rules! targets {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name), env!(concat!("CARGO_BIN_EXE_fuzz_", stringify!($name))));
            }
        )*

        #[test]
        fn every_target_is_tested() {
            let tested = [$(stringify!($name)),*];
            let listed: Vec<&str> = pylock::fuzzing::TARGETS.iter().map(|(n, _)| *n).collect();
            assert_eq!(listed, tested);
        }
    };
}

targets!(
    pep508,
    requirements_txt,
    pyproject,
    html_page,
    json_page,
    metadata,
    wheel,
    sdist,
    zipdir
);
