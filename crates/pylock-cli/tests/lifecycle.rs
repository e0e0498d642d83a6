//! The lock lifecycle from the command line: `resolve --check`, `pylock diff`,
//! `pylock verify`: exit codes, what they print, and that a check writes nothing.

#![allow(missing_docs)]

mod common;

use std::path::Path;

use common::{assert_exit, packse_index, pylock, stderr, stdout, tempdir, workspace};

const LINUX_312: [&str; 4] = ["--python-version", "3.12", "--python-platform", "linux"];

#[test]
fn check_passes_on_a_fresh_lock_fails_on_a_stale_one_and_writes_nothing() {
    let dir = tempdir("check");
    let idx = packse_index("example-toml");
    let run = |extra: &[&str]| {
        let mut args = vec!["resolve", "--index-url", &idx];
        args.extend(LINUX_312);
        args.extend(extra);
        pylock(&dir, &args)
    };
    // No lock yet: the check fails and says so, and creates nothing.
    let out = run(&["b<2", "--check"]);
    assert_exit(&out, 1, "there is no lock at pylock.toml");
    assert!(!dir.join("pylock.toml").exists());

    let out = run(&["b<2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lock = dir.join("pylock.toml");
    let before = std::fs::read(&lock).expect("lock");
    let mtime = std::fs::metadata(&lock)
        .and_then(|m| m.modified())
        .expect("mtime");
    std::thread::sleep(std::time::Duration::from_millis(20));

    // Fresh: the same inputs.
    for same in [&["b<2", "--check"][..], &["b<2", "--locked"][..]] {
        let out = run(same);
        assert_eq!(out.status.code(), Some(0), "{same:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("pylock.toml is up to date"),
            "{}",
            stderr(&out)
        );
    }
    // Inputs the locked versions still satisfy: the same packages, but the record names
    // other inputs (the check compares every byte).
    let out = run(&["b", "--locked"]);
    assert_exit(&out, 1, "other fields or pylock's record differ");
    // Stale: a requirement changed.
    let out = run(&["b>=2", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("pylock.toml is out of date: a re-lock would change it (1 upgraded)"),
        "{err}"
    );
    assert!(err.contains("upgraded    b  1.0.0 -> 2.0.0"), "{err}");
    // Also with --upgrade: the newest versions differ from the pins.
    let out = run(&["b", "--check", "--upgrade"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // Nothing was written by any check.
    assert_eq!(std::fs::read(&lock).expect("lock"), before);
    assert_eq!(
        std::fs::metadata(&lock)
            .and_then(|m| m.modified())
            .expect("mtime"),
        mtime
    );
    let entries = std::fs::read_dir(&dir).expect("ls").count();
    assert_eq!(entries, 1, "only the lock in {}", dir.display());
    // `-o -` has no file to compare with unless --lock names one.
    let out = run(&["b<2", "--check", "-o", "-"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    std::fs::rename(&lock, dir.join("old.toml")).expect("rename");
    let out = run(&["b<2", "--check", "-o", "-", "--lock", "old.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    // A file too large for a lock is refused once 64 MiB are read (a sparse file).
    let huge = std::fs::File::create(dir.join("huge.toml")).expect("create");
    huge.set_len(64 * 1024 * 1024 + 1).expect("size");
    let out = run(&["b<2", "--check", "--lock", "huge.toml", "-o", "-"]);
    assert_exit(
        &out,
        2,
        "larger than the limit of 67108864 bytes for a lock",
    );
    std::fs::remove_dir_all(&dir).ok();
}

fn lock_fixture(name: &str) -> String {
    workspace()
        .join("crates/pylock/tests/data/locks")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn diff_prints_text_or_markdown_and_exits_zero_unless_asked() {
    let dir = tempdir("diff");
    let old = lock_fixture("pylock.pylock.toml");
    let new = lock_fixture("pylock.uv-pip-compile.toml");
    let out = pylock(&dir, &["diff", &old, &new]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.lines().any(|l| l.starts_with("removed ")), "{text}");
    let out = pylock(&dir, &["diff", &old, &new, "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("| Package | Change | Old | New | Where |"),
        "{}",
        stdout(&out)
    );
    let out = pylock(&dir, &["diff", &old, &new, "--exit-code"]);
    assert_eq!(out.status.code(), Some(1));
    let out = pylock(&dir, &["diff", &old, &old, "--exit-code"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "no changes\n");
    let out = pylock(&dir, &["diff", &old, "missing.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.toml"), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn verify_prints_a_table_and_exits_by_verdict() {
    let dir = tempdir("verify");
    let black = workspace().join("fixtures/realworld/black");
    let idx = black.join("index/simple").display().to_string();
    let req = black.join("requirements.in").display().to_string();
    let good = lock_fixture("pylock.pylock.toml");
    let out = pylock(&dir, &["verify", &good, "--index-url", &idx, "-r", &req]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("30 of 40 environments checked are claimed; 30 pass, 0 fail"),
        "{text}"
    );
    assert!(text.contains("CPython 3.10 on Linux x86_64"), "{text}");
    assert!(
        text.contains("not claimed by the lock: CPython 3.8, 3.9 on every platform"),
        "{text}"
    );
    // One environment only (`--index-dir` is `--index-url`).
    let out = pylock(
        &dir,
        &[
            "verify",
            &good,
            "--index-dir",
            &idx,
            "--python-version",
            "3.12",
            "--python-platform",
            "windows",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 of 1 environments checked are claimed"));

    // A lock without one of black's dependencies fails everywhere, naming it.
    let text = std::fs::read_to_string(&good).expect("lock");
    let broken: Vec<&str> = text
        .split("\n[[packages]]\n")
        .filter(|b| !b.starts_with("name = \"click\"\n"))
        .collect();
    std::fs::write(dir.join("pylock.toml"), broken.join("\n[[packages]]\n")).expect("write");
    let out = pylock(&dir, &["verify", "--index-url", &idx]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("0 pass, 30 fail"), "{text}");
    assert!(
        text.contains("black 26.10.1: needs `click>=8.0.0`, and the lock selects no click here"),
        "{text}"
    );
    // Bad input exits 2.
    let out = pylock(&dir, &["verify", "missing.toml", "--index-url", &idx]);
    assert_eq!(out.status.code(), Some(2));
    let out = pylock(
        &dir,
        &[
            "verify",
            &good,
            "--index-url",
            &idx,
            "--python-platform",
            "solaris",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}

/// `pylock lock --check`: the same helper as `resolve --check`.
#[test]
fn lock_check_passes_fresh_and_fails_after_a_change() {
    let dir = tempdir("lock-check");
    let app = workspace().join("fixtures/projects/app");
    let idx = app.join("index/simple").display().to_string();
    let pyproject = std::fs::read_to_string(app.join("pyproject.toml")).expect("fixture");
    std::fs::write(dir.join("pyproject.toml"), &pyproject).expect("write");
    let out = pylock(&dir, &["lock", "--index-url", &idx, "--check", "-q"]);
    assert_exit(&out, 1, "there is no lock at");
    let out = pylock(&dir, &["lock", "--index-url", &idx, "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = std::fs::read(dir.join("pylock.toml")).expect("lock");
    let out = pylock(&dir, &["lock", "--index-url", &idx, "--locked"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("is up to date"), "{}", stderr(&out));
    // The project's `cli` extra gains a dependency: the lock is stale, and stays as it was.
    let changed = pyproject.replace(
        "cli = [\"click>=8\"]",
        "cli = [\"click>=8\", \"iniconfig\"]",
    );
    assert_ne!(changed, pyproject);
    std::fs::write(dir.join("pyproject.toml"), changed).expect("write");
    let out = pylock(&dir, &["lock", "--index-url", &idx, "--check", "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("is out of date"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(dir.join("pylock.toml")).expect("lock"),
        before
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `a 1.0.0` (needs `b>1.0.0`) in the default group `dev`, beside `b 1.0.0`.
const A_WHEEL: &str = r#"wheels = [{ name = "a-1.0.0-py3-none-any.whl", path = "a-1.0.0-py3-none-any.whl", hashes = { sha256 = "3a5ae429f951ccb2a1e22b2c6fcf7a199dab9ced1f4978018cd68d2b27ed5df4" } }]"#;
const B_WHEEL: &str = r#"wheels = [{ name = "b-1.0.0-py3-none-any.whl", path = "b-1.0.0-py3-none-any.whl", hashes = { sha256 = "be02a3e644951cb92ede98c34cc31bf7bd28390b1396e43a0d84c213b912b673" } }]"#;

fn dev_lock(with_a: bool) -> String {
    let mut text = String::from(
        "lock-version = \"1.0\"\ncreated-by = \"test\"\nrequires-python = \">=3.12\"\n\
         dependency-groups = [\"dev\"]\ndefault-groups = [\"dev\"]\n",
    );
    if with_a {
        text.push_str(&format!(
            "\n[[packages]]\nname = \"a\"\nversion = \"1.0.0\"\n\
             marker = \"'dev' in dependency_groups\"\n{A_WHEEL}\n"
        ));
    }
    text.push_str(&format!(
        "\n[[packages]]\nname = \"b\"\nversion = \"1.0.0\"\n{B_WHEEL}\n"
    ));
    text
}

/// The reviewer's repro: `verify -r proj` on a broken lock must fail. The lock's default
/// group selects `a`, whose dependency `b>1.0.0` the lock's `b 1.0.0` does not meet; the
/// project's roots are `b`, and (its default groups, no `--group` given) `dev`'s.
#[test]
fn verify_with_a_project_checks_every_selected_entry_and_the_default_groups() {
    let dir = tempdir("verify-roots");
    let idx = packse_index("example-toml");
    let proj = dir.join("proj");
    std::fs::create_dir_all(&proj).expect("mkdir");
    let verify = |dev: &str, with_a: bool| {
        std::fs::write(
            proj.join("pyproject.toml"),
            format!(
                "[project]\nname = \"proj\"\nversion = \"0\"\ndependencies = [\"b\"]\n\n\
                 [dependency-groups]\ndev = [\"{dev}\"]\n"
            ),
        )
        .expect("write");
        std::fs::write(dir.join("pylock.toml"), dev_lock(with_a)).expect("write");
        let mut args = vec!["verify", "--index-url", &idx, "-r", "proj"];
        args.extend(LINUX_312);
        pylock(&dir, &args)
    };
    // The repro: `a` is selected (default group), its dependency is not met.
    let out = verify("a", true);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("a 1.0.0: needs `b>1.0.0`, the lock has b 1.0.0"),
        "{}",
        stdout(&out)
    );
    // The default group's own root requirements are checked too.
    let out = verify("b>=2", false);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("the requirement `b>=2` is not met: the lock has b 1.0.0"),
        "{}",
        stdout(&out)
    );
    // And a lock that meets them passes.
    let out = verify("b", false);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Locks differing only in `default-groups` differ: `--exit-code` exits 1.
#[test]
fn diff_sees_default_groups() {
    let dir = tempdir("diff-groups");
    std::fs::write(dir.join("old.toml"), dev_lock(false)).expect("write");
    let new = dev_lock(false).replace("default-groups = [\"dev\"]", "default-groups = []");
    std::fs::write(dir.join("new.toml"), new).expect("write");
    let out = pylock(&dir, &["diff", "old.toml", "new.toml", "--exit-code"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("default-groups: `dev` -> (none)"),
        "{}",
        stdout(&out)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `--check` reads the lock with the library's bound: an endless file (`/dev/zero`) is
/// refused after 64 MiB (it was read whole: memory without end), exit 2.
#[test]
fn check_reads_the_lock_with_a_bound() {
    let zero = Path::new("/dev/zero");
    if !zero.exists() {
        return;
    }
    let dir = tempdir("check-bound");
    let idx = packse_index("example-toml");
    for cmd in [&["resolve", "b"][..], &["lock"][..]] {
        if cmd[0] == "lock" {
            std::fs::write(
                dir.join("pyproject.toml"),
                "[project]\nname = \"p\"\nversion = \"0\"\ndependencies = [\"b\"]\n",
            )
            .expect("write");
        }
        let mut args = cmd.to_vec();
        args.extend(["--index-url", &idx, "--lock", "/dev/zero", "--check"]);
        if cmd[0] == "resolve" {
            args.extend(LINUX_312);
        }
        let out = pylock(&dir, &args);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("cannot read /dev/zero: larger than the limit of 67108864 bytes"),
            "{cmd:?}: {}",
            stderr(&out)
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The lock with its `[tool.pylock]` content digest recomputed, as anyone can.
fn redigest(text: &str) -> String {
    use sha2::Digest as _;
    let body = &text[..text.rfind("content = \"sha256:").expect("content line")];
    let digest: String = (sha2::Sha256::digest(body.as_bytes()).iter())
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{body}content = \"sha256:{digest}\"\n")
}

/// `--check` always solves and compares every byte: a lock edited with its record's
/// content digest recomputed (a keyless digest proves nothing about who wrote the file)
/// is out of date, and a re-lock into it writes the lock pylock makes.
#[test]
fn a_forged_lock_fails_the_check_and_a_relock_rewrites_it() {
    let dir = tempdir("forged");
    let url = format!(
        "{}/simple",
        common::serve(workspace().join("fixtures/packse/example-toml/index"))
    );
    let run = |extra: &[&str]| {
        let mut args = vec!["resolve", "b<3", "--index-url", &url, "--no-cache"];
        args.extend(LINUX_312);
        args.extend(extra);
        pylock(&dir, &args)
    };
    assert_eq!(run(&[]).status.code(), Some(0));
    let lock = dir.join("pylock.toml");
    let text = std::fs::read_to_string(&lock).expect("lock");
    assert_eq!(run(&["--check"]).status.code(), Some(0));
    let wheel = format!("{url}/../files/b-2.0.0-py3-none-any.whl");
    let wheel = text
        .lines()
        .find_map(|l| {
            let at = l.find("url = \"")? + 7;
            let u = &l[at..at + l[at..].find('"')?];
            u.ends_with("b-2.0.0-py3-none-any.whl")
                .then(|| u.to_owned())
        })
        .unwrap_or(wheel);
    let hash = "457ebff69e7f7982f45b415502c15e9f3726e33fc416fa2d8d2f610d52631fcf";
    assert!(text.contains(&wheel) && text.contains(hash), "{text}");
    let evil = "https://evil.example/b-2.0.0-py3-none-any.whl";
    let forged = [
        // Another URL and hash for the locked wheel.
        redigest(&text.replace(&wheel, evil).replace(hash, &"0".repeat(64))),
        // A package nobody asked for.
        redigest(&text.replace(
            "\n[tool.pylock]\n",
            "\n[[packages]]\nname = \"invented\"\nversion = \"1.0\"\nwheels = [{ url = \"https://evil.example/invented-1.0-py3-none-any.whl\", hashes = { sha256 = \"00\" } }]\n\n[tool.pylock]\n",
        )),
    ];
    for forgery in &forged {
        assert_ne!(forgery, &text);
        std::fs::write(&lock, forgery).expect("write");
        let out = run(&["--check"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("is out of date"), "{}", stderr(&out));
        assert_eq!(&std::fs::read_to_string(&lock).expect("lock"), forgery);
        // A re-lock into the file rewrites it: the lock pylock makes, byte for byte.
        let out = run(&[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(std::fs::read_to_string(&lock).expect("lock"), text);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The forks a lock records seed a re-lock only up to a bound: a crafted lock recording
/// hundreds of regions that divide the target exactly does not make the re-lock solve
/// each of them (nor record them again).
#[test]
fn a_lock_recording_too_many_forks_is_not_a_seed() {
    let dir = tempdir("forks");
    let idx = packse_index("example-toml");
    let run = || {
        let args = [
            "resolve",
            "b<3",
            "--requires-python",
            ">=3.12",
            "--index-url",
            &idx,
        ];
        pylock(&dir, &args)
    };
    assert_eq!(run().status.code(), Some(0));
    let lock = dir.join("pylock.toml");
    let text = std::fs::read_to_string(&lock).expect("lock");
    assert!(!text.contains("\nforks = ["), "{text}");
    let at = text.rfind("content = \"sha256:").expect("content");
    let mut crafted = text[..at].to_owned();
    crafted.push_str(
        "forks = [\n    { marker = \"python_full_version >= '3.12' and python_full_version < '3.12.1'\" },\n",
    );
    for k in 1..100 {
        crafted.push_str(&format!(
            "    {{ marker = \"python_full_version >= '3.12.{k}' and python_full_version < '3.12.{}'\" }},\n",
            k + 1
        ));
    }
    crafted.push_str("    { marker = \"python_full_version >= '3.12.100'\" },\n]\n");
    let crafted = redigest(&format!("{crafted}content = \"sha256:\"\n"));
    std::fs::write(&lock, &crafted).expect("write");
    let started = std::time::Instant::now();
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&lock).expect("lock"), text);
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    std::fs::remove_dir_all(&dir).ok();
}

/// The inputs digest names the `--hash` entries by package and digests: the requirements
/// file read through another spelling of its path gives the same record.
#[test]
fn hashes_are_recorded_whatever_the_requirements_path() {
    let dir = tempdir("hashes");
    let idx = packse_index("example-toml");
    std::fs::write(
        dir.join("requirements.txt"),
        "# pinned\nb==2.0.0 \\\n    --hash=sha256:457ebff69e7f7982f45b415502c15e9f3726e33fc416fa2d8d2f610d52631fcf\n",
    )
    .expect("write");
    let absolute = dir.join("requirements.txt").display().to_string();
    let mut records = Vec::new();
    for path in ["requirements.txt", "./requirements.txt", absolute.as_str()] {
        let mut args = vec!["resolve", "-r", path, "--index-url", &idx, "-o", "-"];
        args.extend(LINUX_312);
        let out = pylock(&dir, &args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        let record = text[text.find("\n[tool.pylock]\n").expect("record")..].to_owned();
        assert!(record.contains("\ninputs = \"sha256:"), "{record}");
        records.push(record);
    }
    assert_eq!(records[0], records[1]);
    assert_eq!(records[0], records[2]);
    // Another digest is another input.
    std::fs::write(
        dir.join("requirements.txt"),
        "b==2.0.0 --hash=sha256:457ebff69e7f7982f45b415502c15e9f3726e33fc416fa2d8d2f610d52631fcf --hash=sha256:92785ba0a6ef702ec9ab0b0bf244c411a0ce35d862ea3dac7416766fed6f395a\n",
    )
    .expect("write");
    let mut args = vec![
        "resolve",
        "-r",
        "requirements.txt",
        "--index-url",
        &idx,
        "-o",
        "-",
    ];
    args.extend(LINUX_312);
    let out = pylock(&dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stdout(&out).ends_with(&records[0]));
    std::fs::remove_dir_all(&dir).ok();
}
