//! `pylock resolve` inputs: projects with extras and groups, requirements files with pip's
//! options, `--exclude-newer` forms, and the output path checked before the resolve.

#![allow(missing_docs)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{assert_exit, serve, serve_pages_with, stderr, stdout, tempdir};

fn index() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/packse/example-toml/index")
        .canonicalize()
        .expect("fixture")
        .display()
        .to_string()
}

fn pylock(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pylock"))
        .current_dir(dir)
        .args([
            "resolve",
            "--python-version",
            "3.12",
            "--python-platform",
            "linux",
        ])
        .args(args)
        .output()
        .expect("pylock runs")
}

/// `name==version` of every locked package.
fn locked(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("lock written");
    let lock: toml::Value = toml::from_str(&text).expect("TOML");
    lock["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            format!(
                "{}=={}",
                p["name"].as_str().unwrap_or(""),
                p["version"].as_str().unwrap_or("")
            )
        })
        .collect()
}

const PROJECT: &str = "[project]\nname = \"app\"\nversion = \"1\"\ndependencies = []\n\n[project.optional-dependencies]\nx = [\"a\"]\n\n[dependency-groups]\nG = [\"b<2\"]\n";

#[test]
fn positional_project_with_extras_and_groups() {
    let dir = tempdir("project");
    std::fs::write(dir.join("pyproject.toml"), PROJECT).expect("write");
    let idx = index();
    let run = |extra: &[&str]| {
        let mut args = vec!["--index-url", &idx, "-o", "-"];
        args.extend(extra);
        pylock(&dir, &args)
    };
    let out = run(&["pyproject.toml", "--extra", "x"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("name = \"a\"") && text.contains("name = \"b\""),
        "{text}"
    );
    assert!(!text.contains("pyproject"), "{text}");

    // A directory means its project; groups by name or pip's PATH:NAME.
    for args in [
        &[".", "--group", "g"][..],
        &["--group", "pyproject.toml:g"][..],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            text.contains("version = \"1.0.0\"") && !text.contains("name = \"a\""),
            "{text}"
        );
    }
    // Nothing selected: the project has no dependencies.
    let out = run(&["pyproject.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["pyproject.toml", "--extra", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no extra named `nope`"),
        "{}",
        stderr(&out)
    );
    let out = run(&["missing/pyproject.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no such file"), "{}", stderr(&out));
    let out = run(&["a", "--extra", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("pass a pyproject.toml"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn requirements_file_options_apply() {
    let dir = tempdir("fileopts");
    std::fs::write(
        dir.join("requirements.txt"),
        format!(
            "-i {}\n--only-binary :all:\n--trusted-host example.org\n--prefer-binary\na\n",
            index()
        ),
    )
    .expect("write");
    let out = pylock(&dir, &["-r", "requirements.txt"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning: ") && err.contains("--trusted-host"),
        "{err}"
    );
    assert!(
        err.contains("note: ") && err.contains("--prefer-binary"),
        "{err}"
    );
    let text = std::fs::read_to_string(dir.join("pylock.toml")).expect("lock");
    assert!(!text.contains("[packages.sdist]"), "{text}");
    assert_eq!(locked(&dir.join("pylock.toml")), ["a==1.0.0", "b==2.0.0"]);

    // The command line's flags: --no-binary a, --no-index with find-links.
    let files = format!("{}/files", index());
    let out = pylock(
        &dir,
        &[
            "a",
            "--no-index",
            "-f",
            &files,
            "--no-binary",
            "a",
            "-o",
            "nb/pylock.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text =
        std::fs::read_to_string(dir.join("nb/pylock.toml")).expect("lock in a new directory");
    assert!(
        text.contains("a-1.0.0.tar.gz") && !text.contains("a-1.0.0-py3"),
        "{text}"
    );
    let out = pylock(&dir, &["a", "--no-index"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--find-links"), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn exclude_newer_takes_dates_and_spans() {
    let dir = tempdir("newer");
    let idx = index();
    // The fixture's files were uploaded at 2024-03-24T00:00:00Z: a date keeps its whole day.
    let exit = |when: &str| {
        let args = ["a", "--index-url", &idx, "--exclude-newer", when, "-o", "-"];
        let out = pylock(&dir, &args);
        (out.status.code(), stderr(&out))
    };
    let (code, err) = exit("2024-03-24");
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = exit("2024-03-22");
    assert_eq!(code, Some(1), "{err}");
    let (code, err) = exit("7 days");
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = exit("1 month");
    assert_eq!(code, Some(2), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unwritable_output_fails_before_the_resolve() {
    let dir = tempdir("unwritable");
    std::fs::write(dir.join("file"), "").expect("write");
    // `nonexistent-package` has no solution (exit 1) if the resolve ran first.
    let out = pylock(
        &dir,
        &[
            "nonexistent-package",
            "--index-url",
            &index(),
            "-o",
            "file/pylock.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("file"), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn hash_mismatch_names_the_requirement_and_only_binary_flag_applies() {
    let dir = tempdir("hashes");
    let zeros = "0".repeat(64);
    std::fs::write(
        dir.join("requirements.txt"),
        format!("a==1.0.0 \\\n    --hash=sha256:{zeros}\n"),
    )
    .expect("write");
    let idx = index();
    let out = pylock(&dir, &["requirements.txt", "--index-url", &idx]);
    assert_exit(&out, 1, "has no file with a hash given by `a==1.0.0 (");
    let out = pylock(
        &dir,
        &[
            "a",
            "--index-url",
            &idx,
            "--only-binary",
            ":all:",
            "-o",
            "-",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.contains(".tar.gz"), "{text}");
    let out = pylock(&dir, &["a", "--index-url", &idx, "--only-binary", "-x"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).ok();
}

/// Every option pip allows in a requirements file, in one file (remote indexes named but
/// unused: `--no-index` leaves the find-links directory, given through `${VAR}`).
const EVERY_OPTION: &str = "-i https://pypi.invalid/simple
--index-url=https://pypi.invalid/simple
--extra-index-url https://extra.invalid/simple
--no-index
-f ${PYLOCK_TEST_FIND_LINKS}
--pre
--only-binary :none:
--no-binary b
--prefer-binary
--require-hashes
--trusted-host pypi.invalid
--use-feature=truststore
-c constraints.txt
a==1.0.0 \\
    --hash=sha256:3a5ae429f951ccb2a1e22b2c6fcf7a199dab9ced1f4978018cd68d2b27ed5df4 \\
    --hash=sha256:075f30fc5bf4520964c0a0a8b253c01c69972790b62f8260b9cf845f03fd8a38
    # via -r requirements.txt
";

#[test]
fn a_file_with_every_option_resolves() {
    let dir = tempdir("every");
    std::fs::write(dir.join("requirements.txt"), EVERY_OPTION).expect("write");
    std::fs::write(dir.join("constraints.txt"), "b<3\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_pylock"))
        .current_dir(&dir)
        .env("PYLOCK_TEST_FIND_LINKS", format!("{}/files", index()))
        .args([
            "resolve",
            "--python-version",
            "3.12",
            "--python-platform",
            "linux",
        ])
        .args(["-r", "requirements.txt", "--no-cache", "-o", "-"])
        .output()
        .expect("pylock runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("a-1.0.0.tar.gz") && text.contains("a-1.0.0-py3-none-any.whl"),
        "{text}"
    );
    // b: below the constraint, and only its sdist (--no-binary b).
    assert!(
        text.contains("b-2.0.0.tar.gz") && !text.contains("b-2.0.0-py3"),
        "{text}"
    );
    assert_eq!(
        stderr(&out).matches("note: ").count(),
        3,
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn requirements_files_with_local_projects_and_archives() {
    let d = tempdir("direct");
    let app = d.join("app");
    std::fs::create_dir_all(app.join("sub")).expect("mkdir");
    std::fs::create_dir_all(app.join("dist")).expect("mkdir");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/direct");
    std::fs::copy(
        fixtures.join("dwheel-1.0-py3-none-any.whl"),
        app.join("dist/dwheel-1.0-py3-none-any.whl"),
    )
    .expect("copy");
    std::fs::write(
        app.join("pyproject.toml"),
        "[project]\nname = \"app\"\nversion = \"1.0\"\ndependencies = [\"sub\"]\n",
    )
    .expect("write");
    std::fs::write(
        app.join("sub/pyproject.toml"),
        "[project]\nname = \"sub\"\nversion = \"0.2\"\ndependencies = [\"a\"]\n",
    )
    .expect("write");
    // Relative paths are taken from the file's directory, not the current one.
    std::fs::write(
        app.join("requirements.txt"),
        ".\n-e ./sub\ndist/dwheel-1.0-py3-none-any.whl\n",
    )
    .expect("write");
    let out = pylock(
        &d,
        &[
            "-r",
            "app/requirements.txt",
            "--index-url",
            &index(),
            "-o",
            "app/pylock.toml",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(app.join("pylock.toml")).expect("lock");
    for entry in [
        "name = \"app\"\ndirectory = { path = \".\" }\n",
        "name = \"sub\"\ndirectory = { path = \"sub\", editable = true }\n",
        "archive = { path = \"dist/dwheel-1.0-py3-none-any.whl\", size = 805, hashes = { sha256 = \"10144d7c6fa0763337cb60b6db039865484f7bd3d96357cd6915ac41935bb93a\" } }\n",
    ] {
        assert!(text.contains(entry), "{entry}\n{text}");
    }
    let lock: toml::Value = toml::from_str(&text).expect("TOML");
    let versions: Vec<String> = lock["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let field = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("-");
            format!("{} {}", field("name"), field("version"))
        })
        .collect();
    // Directories have no version (PEP 751: a source tree's may change).
    assert_eq!(
        versions,
        ["a 1.0.0", "app -", "b 2.0.0", "dwheel 1.0", "sub -"]
    );

    // On the command line, relative to the current directory.
    let out = pylock(
        &app,
        &[
            "dist/dwheel-1.0-py3-none-any.whl",
            "--index-url",
            &index(),
            "-o",
            "-",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("archive = { path = \"dist/dwheel-1.0-py3-none-any.whl\""));

    std::fs::write(
        app.join("vcs.txt"),
        "a\nx @ git+https://example.com/x.git\n",
    )
    .expect("write");
    let out = pylock(&app, &["-r", "vcs.txt", "--index-url", &index(), "-o", "-"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "vcs.txt:2:1: `x @ git+https://example.com/x.git`: VCS requirements need a build; not supported"
        ),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn a_wheel_url_is_downloaded_and_locked_as_an_archive() {
    let base = serve(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures"));
    let d = tempdir("url");
    let out = pylock(
        &d,
        &[
            &format!("dwheel @ {base}/direct/dwheel-1.0-py3-none-any.whl#sha256=10144d7c6fa0763337cb60b6db039865484f7bd3d96357cd6915ac41935bb93a"),
            "--index-url",
            &format!("{base}/packse/example-toml/index/simple"),
            "--no-cache",
            "-o",
            "-",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("name = \"dwheel\"\nversion = \"1.0\"\nrequires-python = \">=3.8\"\narchive = {{ url = \"{base}/direct/dwheel-1.0-py3-none-any.whl\", size = 805, hashes = {{ sha256 = \"10144d7c6fa0763337cb60b6db039865484f7bd3d96357cd6915ac41935bb93a\" }} }}\n")),
        "{text}"
    );
    assert!(text.contains("name = \"b\"\nversion = \"2.0.0\""), "{text}");
}

/// Local projects that reference each other, or themselves from a group, are each read once:
/// a lock or a clear error, not a stack overflow (each reference used to read the whole
/// referenced project, its references included, without end).
#[test]
fn cyclic_and_self_referencing_local_projects() {
    let d = tempdir("cycle");
    for (name, deps) in [("a", "b @ file:../b"), ("b", "a @ file:../a")] {
        std::fs::create_dir_all(d.join(name)).expect("mkdir");
        std::fs::write(
            d.join(name).join("pyproject.toml"),
            format!(
                "[project]\nname = \"{name}\"\nversion = \"1.0\"\ndependencies = [\"{deps}\"]\n"
            ),
        )
        .expect("write");
    }
    let out = pylock(&d, &["--offline", "./a", "-o", "cycle.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(d.join("cycle.toml")).expect("lock written");
    let lock: toml::Value = toml::from_str(&text).expect("TOML");
    let mut names: Vec<&str> = lock["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["a", "b"]);

    let s = d.join("self");
    std::fs::create_dir_all(&s).expect("mkdir");
    std::fs::write(
        s.join("pyproject.toml"),
        "[project]\nname = \"s\"\nversion = \"1.0\"\ndependencies = []\n\n[dependency-groups]\ndev = [\"s @ file:.\"]\n",
    )
    .expect("write");
    let out = pylock(&d, &["--offline", "./self", "--group", "dev"]);
    assert_exit(&out, 2, "no requirements given");
    let out = Command::new(env!("CARGO_BIN_EXE_pylock"))
        .current_dir(&s)
        .args(["lock", "--offline"])
        .output()
        .expect("pylock runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let lock: toml::Value =
        toml::from_str(&std::fs::read_to_string(s.join("pylock.toml")).expect("lock"))
            .expect("TOML");
    assert_eq!(lock["dependency-groups"].as_array().map(Vec::len), Some(1));
}

/// A local project depended on is read for what it publishes: a path its dependency groups
/// reference (a dev checkout) need not exist (it was an error naming the missing path).
#[test]
fn a_local_dependency_s_groups_are_not_read() {
    let d = tempdir("depgroups");
    for (name, body) in [
        ("a", "dependencies = [\"b @ file:../b\"]\n"),
        (
            "b",
            "dependencies = []\n\n[dependency-groups]\ndev = [\"d @ file:../missing\"]\n",
        ),
    ] {
        std::fs::create_dir_all(d.join(name)).expect("mkdir");
        std::fs::write(
            d.join(name).join("pyproject.toml"),
            format!("[project]\nname = \"{name}\"\nversion = \"1.0\"\n{body}"),
        )
        .expect("write");
    }
    let out = pylock(&d, &["--offline", "./a", "-o", "lock.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(d.join("lock.toml")).expect("lock written");
    assert!(text.contains("name = \"b\""), "{text}");
}

/// A token in an index URL's query (`?token=...`) goes with every page request (the served
/// index refuses pages without it) but never into the lock or a message: the lock records
/// the index without its query, as it does without a user name and password.
#[test]
fn a_query_token_in_the_index_url_is_sent_but_never_recorded_or_shown() {
    const SECRET: &str = "token=s3cr3t";
    let base = serve_pages_with(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures"),
        Some(SECRET),
    );
    let simple = format!("{base}/packse/example-toml/index/simple");
    let d = tempdir("query-token");
    let index_url = format!("{simple}/?{SECRET}");
    let out = pylock(
        &d,
        &["b", "--index-url", &index_url, "--no-cache", "-o", "-"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "version = \"2.0.0\"\nrequires-python = \">=3.12\"\nindex = \"{simple}\"\n"
        )),
        "{text}"
    );
    assert!(!text.contains("s3cr3t"), "{text}");
    // An error that names a page (which was asked for with the token): no token either.
    let cache = d.join("empty-cache").display().to_string();
    let out = pylock(
        &d,
        &[
            "b",
            "--index-url",
            &index_url,
            "--offline",
            "--cache-dir",
            &cache,
            "-o",
            "-",
        ],
    );
    assert!(
        stderr(&out).contains(&format!("error: {simple}/b/ is not in the cache")),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("s3cr3t"), "{}", stderr(&out));
    // Without the token the index refuses the page: the token is what was sent above.
    let out = pylock(&d, &["b", "--index-url", &simple, "--no-cache", "-o", "-"]);
    assert!(!out.status.success(), "{}", stdout(&out));
    std::fs::remove_dir_all(&d).ok();
}
