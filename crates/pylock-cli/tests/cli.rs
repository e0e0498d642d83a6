//! The `pylock` binary as CI jobs and the outside judge call it: exit codes, outputs, errors.

#![allow(missing_docs)]

mod common;

use std::path::Path;

use common::{assert_exit, packse_index, pylock, stderr, tempdir, workspace};

const LINUX_312: [&str; 4] = ["--python-version", "3.12", "--python-platform", "linux"];

#[test]
fn writes_a_lock_and_exits_zero() {
    let dir = tempdir("ok");
    let idx = packse_index("example-toml");
    let mut args = vec!["resolve", "a", "--index-url", &idx];
    args.extend(LINUX_312);
    let out = pylock(&dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.join("pylock.toml")).expect("lock written");
    let lock: toml::Value = toml::from_str(&text).expect("valid TOML");
    assert_eq!(lock["created-by"].as_str(), Some("pylock"));
    assert_eq!(lock["packages"].as_array().map(Vec::len), Some(2));
    // Files are recorded relative to the lock, never as absolute local paths.
    assert!(!text.contains("path = \"/"), "{text}");
    assert!(text.contains("path = \"../"), "{text}");
    // A second run into the same file writes the same bytes, its record included.
    assert_eq!(pylock(&dir, &args).status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.join("pylock.toml")).expect("lock"),
        text
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn dash_writes_to_stdout() {
    let dir = tempdir("stdout");
    let idx = packse_index("example-toml");
    let mut args = vec!["resolve", "a", "--index-url", &idx, "-o", "-"];
    args.extend(LINUX_312);
    let out = pylock(&dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(text.starts_with("lock-version = \"1.0\""), "{text}");
    assert!(!dir.join("pylock.toml").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn no_solution_exits_one_with_explanation_and_keeps_old_lock() {
    let dir = tempdir("nosolution");
    std::fs::write(dir.join("pylock.toml"), "old").expect("write");
    let idx = packse_index("transitive-incompatible-with-root-version");
    let mut args = vec!["resolve", "a", "b==1.0.0", "--index-url", &idx];
    args.extend(LINUX_312);
    let out = pylock(&dir, &args);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("a==1.0.0 depends on b==2.0.0"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("pylock.toml")).expect("read"),
        "old"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn input_errors_exit_two_and_say_where() {
    let dir = tempdir("input");
    std::fs::write(dir.join("req.in"), "a\nb >== 2\n").expect("write");
    let idx = packse_index("example-toml");
    let cases: Vec<(Vec<&str>, &str)> =
        vec![
        (
            vec!["resolve", "-r", "req.in", "--index-url", &idx],
            "req.in:2:",
        ),
        (
            vec!["resolve", "a", "--index-url", "/nonexistent/simple"],
            "/nonexistent/simple",
        ),
        (
            vec![
                "resolve",
                "a",
                "--index-url",
                &idx,
                "--python-version",
                "3.12",
                "--python-platform",
                "beos",
            ],
            "unknown platform `beos`",
        ),
        (
            vec![
                "resolve",
                "a",
                "--index-url",
                &idx,
                "--python-version",
                "three",
                "--python-platform",
                "linux",
            ],
            "invalid Python version",
        ),
        (
            vec![
                "resolve",
                "a",
                "--index-url",
                &idx,
                "--exclude-newer",
                "yesterday",
                "--python-version",
                "3.12",
                "--python-platform",
                "linux",
            ],
            "--exclude-newer",
        ),
        (
            vec![
                "resolve",
                "a",
                "--index-url",
                "http://127.0.0.1:9/simple",
                "--offline",
                "--cache-dir",
                "empty-cache",
            ],
            "http://127.0.0.1:9/simple/a/ is not in the cache, and --offline forbids the network",
        ),
        (
            vec!["resolve", "a", "--index-url", &idx, "--concurrency", "0"],
            "--concurrency",
        ),
        (
            vec!["resolve", "a", "--index-url", &idx, "--extra-index-url", "http://x/simple"],
            "need an HTTP(S) --index-url",
        ),
    ];
    for (args, needle) in cases {
        let out = pylock(&dir, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    assert!(!dir.join("pylock.toml").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn warns_about_non_pep751_file_names() {
    let dir = tempdir("name");
    let idx = packse_index("example-toml");
    for (name, warned) in [
        ("lock.toml", true),
        ("pylock.dev.toml", false),
        ("pylock.toml", false),
    ] {
        let mut args = vec!["resolve", "a", "--index-url", &idx, "-o", name];
        args.extend(LINUX_312);
        let out = pylock(&dir, &args);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            stderr(&out).contains("PEP 751"),
            warned,
            "{name}: {}",
            stderr(&out)
        );
        assert!(dir.join(name).exists());
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn missing_extra_is_a_warning() {
    let dir = tempdir("extra");
    let idx = packse_index("missing-extra");
    let mut args = vec!["resolve", "a[extra]", "--index-url", &idx];
    args.extend(LINUX_312);
    let out = pylock(&dir, &args);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("does not provide the extra `extra`"),
        "{}",
        stderr(&out)
    );
    let quiet = pylock(&dir, &[args.as_slice(), &["--quiet"]].concat());
    assert!(stderr(&quiet).is_empty(), "{}", stderr(&quiet));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn narrowed_targets_say_where_they_apply() {
    let dir = tempdir("narrow");
    let idx = packse_index("example-toml");
    let cases: [(&[&str], &str); 3] = [
        (
            &["--python-version", "3.12"],
            "requires-python = \"==3.12.*\"",
        ),
        (
            &[
                "--python-platform",
                "windows",
                "--requires-python",
                ">=3.12",
            ],
            "environments = [\"platform_machine == 'AMD64' and sys_platform == 'win32'\"]",
        ),
        (
            &["--requires-python", ">=3.12"],
            "requires-python = \">=3.12\"",
        ),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["resolve", "a", "--index-url", &idx, "-o", "-"];
        args.extend(extra);
        let out = pylock(&dir, &args);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {}", stderr(&out));
        let text = String::from_utf8(out.stdout).expect("utf8");
        assert!(text.contains(needle), "{extra:?}: {text}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_impossible_target_exits_one_and_writes_nothing() {
    let dir = tempdir("impossible");
    let idx = packse_index("example-toml");
    let out = pylock(
        &dir,
        &[
            "resolve",
            "a",
            "--index-url",
            &idx,
            "--requires-python",
            ">=3.13",
            "--python-version",
            "3.12",
        ],
    );
    assert_exit(&out, 1, "outside requires-python `>=3.13`");
    assert!(!dir.join("pylock.toml").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_partial_universal_lock_says_what_it_leaves_out() {
    let dir = tempdir("partial");
    let idx = workspace()
        .join("fixtures/honest/pinned-wheels-only/index/simple")
        .display()
        .to_string();
    let args = ["resolve", "tensorflow==2.13.0", "--index-url", &idx];
    let out = pylock(&dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning: tensorflow 2.13.0: no wheel and no source distribution for CPython 3.12–3.15 on every platform"),
        "{err}"
    );
    assert!(err.contains("tensorflow-cpu-aws"), "{err}");
    let text = std::fs::read_to_string(dir.join("pylock.toml")).expect("lock");
    assert!(
        text.contains("requires-python = \">=3.10, <3.12\""),
        "{text}"
    );
    let mut strict = args.to_vec();
    strict.push("--strict");
    assert_eq!(pylock(&dir, &strict).status.code(), Some(1));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn platform_baselines_are_flags() {
    let dir = tempdir("baseline");
    let help = pylock(&dir, &["resolve", "--help"]);
    let text = String::from_utf8_lossy(&help.stdout).into_owned();
    assert!(text.contains("--macos-version"), "{text}");
    assert!(text.contains("--manylinux"), "{text}");
    assert!(text.contains("default: 14"), "{text}");
    assert!(text.contains("default: 2.28"), "{text}");
    let idx = packse_index("example-toml");
    let bad = pylock(
        &dir,
        &["resolve", "a", "--index-url", &idx, "--macos-version", "x"],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("--macos-version"), "{}", stderr(&bad));
    // torch 2.12's Apple silicon wheels need macOS 14: locked by default, not for macOS 13.
    let torch = workspace()
        .join("fixtures/honest/platform-dropped/index/simple")
        .display()
        .to_string();
    for (macos, want) in [(None, "2.12.0"), (Some("13"), "2.11.0")] {
        let mut args = vec!["resolve", "torch", "--index-url", &torch, "-o", "-"];
        args.extend(["--python-version", "3.12", "--python-platform", "macos"]);
        if let Some(v) = macos {
            args.extend(["--macos-version", v]);
        }
        let out = pylock(&dir, &args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            text.contains(&format!("name = \"torch\"\nversion = \"{want}\"")),
            "{macos:?}: {text}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Requirement files a pull request could change: inputs that panicked, overflowed the stack
/// or ran for minutes end with exit 2 and the file, line and column, the old lock untouched.
#[test]
fn hostile_requirement_files_are_clear_errors() {
    let dir = tempdir("hostile");
    let idx = packse_index("example-toml");
    std::fs::write(dir.join("pylock.toml"), "old lock\n").expect("old lock");
    let deep = format!(
        "a; {}python_version > '3'{}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let wide: Vec<String> = (0..20_000)
        .map(|i| format!("(python_version == '3.{i}' and os_name == 'n{i}')"))
        .collect();
    let wide = format!("a; {}", wide.join(" or "));
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "name",
            "a\nn.*\n".into(),
            "req.txt:2:2: a package name must end",
        ),
        (
            "quote",
            "c-'\n".into(),
            "req.txt:1:2: a package name must end",
        ),
        (
            "extra",
            "i[i-\n".into(),
            "req.txt:1:4: an extra name must end",
        ),
        (
            "unicode",
            "2;extra==''é\n".into(),
            "req.txt:1:12: unexpected character 'é'",
        ),
        ("nested", format!("{deep}\n"), "req.txt:1:"),
        ("wide", format!("{wide}\n"), "req.txt:1:"),
    ];
    for (tag, text, expected) in cases {
        std::fs::write(dir.join("req.txt"), text).expect("write");
        let started = std::time::Instant::now();
        let mut args = vec!["resolve", "-r", "req.txt", "--index-url", &idx];
        args.extend(LINUX_312);
        let out = pylock(&dir, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{tag}: {err}");
        assert!(err.contains(expected), "{tag}: {err}");
        assert!(!err.contains("panicked"), "{tag}: {err}");
        assert!(started.elapsed().as_secs() < 10, "{tag}");
    }
    // A chain of includes deeper than the limit.
    for i in 0..100 {
        std::fs::write(
            dir.join(format!("r{i}.txt")),
            format!("-r r{}.txt\n", i + 1),
        )
        .expect("w");
    }
    std::fs::write(dir.join("r100.txt"), "a\n").expect("write");
    let mut args = vec!["resolve", "-r", "r0.txt", "--index-url", &idx];
    args.extend(LINUX_312);
    let out = pylock(&dir, &args);
    assert_exit(&out, 2, "nest more than 64 deep");
    assert_eq!(
        std::fs::read_to_string(dir.join("pylock.toml")).expect("lock"),
        "old lock\n"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `a` plus 100,000 `b!=0.N` lines: linear, not quadratic (it took minutes).
#[test]
fn long_exclusion_lists_resolve_quickly() {
    let dir = tempdir("many");
    let idx = packse_index("example-toml");
    let mut text = String::from("a\n");
    for i in 0..100_000 {
        text.push_str(&format!("b!=0.{i}\n"));
    }
    std::fs::write(dir.join("req.txt"), text).expect("write");
    let started = std::time::Instant::now();
    let mut args = vec!["resolve", "-r", "req.txt", "--index-url", &idx, "-o", "-"];
    args.extend(LINUX_312);
    let out = pylock(&dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
    std::fs::remove_dir_all(&dir).ok();
}

/// A re-lock keeps what the existing lock holds where it still fits; `--upgrade` and
/// `--upgrade-package` let versions move.
#[test]
fn relocks_keep_the_existing_pins() {
    let dir = tempdir("relock");
    let idx = packse_index("example-toml");
    let locked_b = |dir: &Path| -> String {
        let text = std::fs::read_to_string(dir.join("pylock.toml")).expect("lock");
        let lock: toml::Value = toml::from_str(&text).expect("toml");
        let packages = lock["packages"].as_array().expect("packages");
        let b = packages.iter().find(|p| p["name"].as_str() == Some("b"));
        b.and_then(|p| p["version"].as_str())
            .expect("b locked")
            .to_owned()
    };
    let run = |extra: &[&str]| {
        let mut args = vec!["resolve", "--index-url", &idx, "-q"];
        args.extend(LINUX_312);
        args.extend(extra);
        let out = pylock(&dir, &args);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {}", stderr(&out));
    };
    // b 3.0.0 needs a package the index lacks: 2.0.0 is the newest that works.
    run(&["b<2"]);
    assert_eq!(locked_b(&dir), "1.0.0");
    run(&["b"]);
    assert_eq!(locked_b(&dir), "1.0.0", "kept");
    run(&["b>=2"]);
    assert_eq!(
        locked_b(&dir),
        "2.0.0",
        "moved where the pin no longer fits"
    );
    run(&["b<2"]);
    run(&["b", "--upgrade"]);
    assert_eq!(locked_b(&dir), "2.0.0", "--upgrade ignores the lock");
    run(&["b<2"]);
    run(&["b", "-P", "b"]);
    assert_eq!(locked_b(&dir), "2.0.0", "-P frees the package");
    run(&["b", "-P", "b==1.0.0"]);
    assert_eq!(
        locked_b(&dir),
        "1.0.0",
        "-P NAME==VERSION prefers that version"
    );
    // Another lock file given with --lock is read instead of the output.
    std::fs::rename(dir.join("pylock.toml"), dir.join("old.toml")).expect("rename");
    run(&["b", "--lock", "old.toml"]);
    assert_eq!(locked_b(&dir), "1.0.0");
    std::fs::remove_dir_all(&dir).ok();
}
