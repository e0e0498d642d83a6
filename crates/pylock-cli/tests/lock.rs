//! `pylock lock`: a project's multi-use lock from the command line (default directory,
//! `--project`, `-o`, exit codes, warnings, re-locks), on `fixtures/projects/app`.

#![allow(missing_docs)]

mod common;

use std::path::{Path, PathBuf};

use common::{assert_exit, pylock, stderr};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/projects/app")
}

fn index() -> String {
    fixture().join("index/simple").display().to_string()
}

/// A fresh directory holding the fixture's pyproject.toml (or `pyproject`, if given).
fn project(tag: &str, pyproject: Option<&str>) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pylock-lock-{tag}-{}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    std::fs::create_dir_all(&d).expect("mkdir");
    let text = match pyproject {
        Some(t) => t.to_owned(),
        None => std::fs::read_to_string(fixture().join("pyproject.toml")).expect("fixture"),
    };
    std::fs::write(d.join("pyproject.toml"), text).expect("write");
    d
}

fn versions(lock: &str, name: &str) -> Vec<String> {
    let value: toml::Value = toml::from_str(lock).expect("valid TOML");
    let packages = value["packages"].as_array().expect("packages");
    packages
        .iter()
        .filter(|p| p["name"].as_str() == Some(name))
        .map(|p| p["version"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn locks_the_current_directory_and_warns_about_conflicts() {
    let dir = project("default", None);
    let idx = index();
    let out = pylock(&dir, &["lock", "--index-url", &idx]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning: extra `new` and extra `old` need versions that exclude each other"),
        "{err}"
    );
    assert!(
        err.contains("Locked 15 packages for 4 extras and 4 dependency groups"),
        "{err}"
    );
    let text = std::fs::read_to_string(dir.join("pylock.toml")).expect("lock written");
    assert!(
        text.contains("\nextras = [\"cli\", \"gpu\", \"new\", \"old\"]\n"),
        "{text}"
    );
    assert!(
        text.contains("\ndependency-groups = [\"dev\", \"docs\", \"lint\", \"test\"]\n"),
        "{text}"
    );
    assert!(text.contains("\ndefault-groups = [\"dev\"]\n"), "{text}");
    assert_eq!(versions(&text, "lib"), ["1.5", "2.1"]);
    assert!(text.contains("marker = \"'old' in extras\""), "{text}");
    assert!(!text.contains("path = \"/"), "{text}");

    // --project from elsewhere writes the same bytes beside the project; -o - prints them.
    let elsewhere = project("elsewhere", Some("[project]\nname = \"other\"\n"));
    let target = dir.display().to_string();
    let out = pylock(
        &elsewhere,
        &["lock", "--project", &target, "--index-url", &idx, "-q"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("pylock.toml")).expect("lock"),
        text
    );
    assert!(!elsewhere.join("pylock.toml").exists());
    let out = pylock(&dir, &["lock", "--index-url", &idx, "-o", "-", "-q"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), text);
    for d in [dir, elsewhere] {
        std::fs::remove_dir_all(d).ok();
    }
}

/// `pylock lock --project fixtures/projects/app` run twice into one file writes the same
/// bytes, `[tool.pylock]` record included.
#[test]
fn a_second_lock_of_the_project_is_byte_identical() {
    let dir = project("twice", Some("[project]\nname = \"unused\"\n"));
    let (idx, app) = (index(), fixture().display().to_string());
    let args = [
        "lock",
        "--project",
        &app,
        "--index-url",
        &idx,
        "-o",
        "pylock.toml",
        "-q",
    ];
    assert_eq!(pylock(&dir, &args).status.code(), Some(0));
    let first = std::fs::read(dir.join("pylock.toml")).expect("lock");
    assert_eq!(pylock(&dir, &args).status.code(), Some(0));
    assert_eq!(std::fs::read(dir.join("pylock.toml")).expect("lock"), first);
    let out = pylock(&dir, &[&args[..], &["--check"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn usage_and_input_errors_exit_two_and_no_solution_exits_one() {
    let dir = project("errors", None);
    let idx = index();
    for (args, says) in [
        (
            vec!["lock", "--project", "missing"],
            "missing/pyproject.toml: no such file",
        ),
        (
            vec!["lock", "--extra", "gpu"],
            "--extra: pylock lock locks the project",
        ),
        (
            vec!["lock", "--all-groups"],
            "--all-groups: pylock lock locks the project",
        ),
        (
            vec!["lock", "requests"],
            "REQ arguments: pylock lock locks the project",
        ),
    ] {
        let out = pylock(&dir, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    let cycle = project(
        "cycle",
        Some("[project]\nname = \"x\"\n[dependency-groups]\na = [{include-group = \"b\"}]\nb = [{include-group = \"a\"}]\n"),
    );
    let out = pylock(&cycle, &["lock", "--index-url", &idx]);
    assert_exit(
        &out,
        2,
        "pyproject.toml:4:1: dependency group `a` includes itself",
    );
    let unknown = project(
        "unknown-conflict",
        Some("[project]\nname = \"x\"\n[project.optional-dependencies]\na = []\n[tool.pylock]\nconflicts = [[{ extra = \"a\" }, { extra = \"zz\" }]]\n"),
    );
    let out = pylock(&unknown, &["lock", "--index-url", &idx]);
    assert_exit(
        &out,
        2,
        "pyproject.toml:6:42: conflicts name the extra `zz`",
    );
    let impossible = project(
        "impossible",
        Some("[project]\nname = \"x\"\ndependencies = [\"core\"]\n[dependency-groups]\nnext = [\"lib>=3\"]\n"),
    );
    let out = pylock(&impossible, &["lock", "--index-url", &idx]);
    assert_exit(&out, 1, "group `next` cannot be installed");
    assert!(!impossible.join("pylock.toml").exists());
    for d in [dir, cycle, unknown, impossible] {
        std::fs::remove_dir_all(d).ok();
    }
}

#[test]
fn resolve_flags_apply_targets_constraints_and_existing_pins() {
    let dir = project("flags", None);
    let idx = index();
    // One platform: the Linux-only extra is gone, the Windows-only dependency is plain.
    let out = pylock(
        &dir,
        &[
            "lock",
            "--index-url",
            &idx,
            "--python-platform",
            "windows",
            "-o",
            "pylock.windows.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.join("pylock.windows.toml")).expect("lock");
    assert!(versions(&text, "accel").is_empty(), "{text}");
    assert!(
        text.contains(
            "environments = [\"platform_machine == 'AMD64' and sys_platform == 'win32'\"]"
        ),
        "{text}"
    );
    assert!(
        text.contains("name = \"colorama\"\nversion = \"0.4.6\"\nrequires-python"),
        "{text}"
    );
    // A constraint holds in every selection, and the next lock keeps its versions ...
    std::fs::write(dir.join("constraints.txt"), "core<2\nlib<2.1\n").expect("write");
    let out = pylock(
        &dir,
        &["lock", "--index-url", &idx, "-c", "constraints.txt"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pinned = std::fs::read_to_string(dir.join("pylock.toml")).expect("lock");
    assert_eq!(versions(&pinned, "core"), ["1.0"]);
    assert_eq!(versions(&pinned, "lib"), ["1.5", "2.0"]);
    let out = pylock(&dir, &["lock", "--index-url", &idx]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let kept = std::fs::read_to_string(dir.join("pylock.toml")).expect("lock");
    assert_eq!(versions(&kept, "core"), ["1.0"]);
    // ... unless upgraded.
    let out = pylock(&dir, &["lock", "--index-url", &idx, "-U"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let upgraded = std::fs::read_to_string(dir.join("pylock.toml")).expect("lock");
    assert_eq!(versions(&upgraded, "core"), ["2.0"]);
    assert_eq!(versions(&upgraded, "lib"), ["1.5", "2.1"]);
    // --requires-python overrides the project's.
    let out = pylock(
        &dir,
        &[
            "lock",
            "--index-url",
            &idx,
            "--requires-python",
            ">=3.12",
            "-o",
            "-",
            "-q",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("requires-python = \">=3.12\"\n"));
    std::fs::remove_dir_all(&dir).ok();
}

/// `-o FILE` is relative to the current directory, `-o pylock.toml` included; only an
/// absent `-o` writes into the project directory.
#[test]
fn output_is_relative_to_the_current_directory() {
    let dir = project("output", None);
    let cwd = dir.join("elsewhere");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    let idx = index();
    let project_arg = dir.display().to_string();
    let out = pylock(
        &cwd,
        &[
            "lock",
            "--project",
            &project_arg,
            "--index-url",
            &idx,
            "-o",
            "pylock.toml",
            "-q",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(cwd.join("pylock.toml").is_file(), "written where -o says");
    assert!(!dir.join("pylock.toml").exists(), "not into the project");
    let out = pylock(
        &cwd,
        &["lock", "--project", &project_arg, "--index-url", &idx, "-q"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.join("pylock.toml").is_file(), "no -o: the project's");
    std::fs::remove_dir_all(&dir).ok();
}
