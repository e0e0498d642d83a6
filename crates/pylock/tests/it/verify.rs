//! `pylock::verify` against the independent Python checker (`tests/support/verify_lock.py`,
//! `packaging.pylock` underneath): on real-world locks written by pylock and by uv
//! (`fixtures/realworld`, the same snapshots as `/work/shared/realworld`; uv's
//! single-platform locks of trio, jupyter and large fail on other platforms), and on a lock
//! broken on purpose, both must agree, environment by environment, on which environments
//! the lock claims and which of them fail.

use std::path::{Path, PathBuf};

use pylock::LockFile;
use pylock::{LocalIndex, Manifest, Role, Target};
use pylock::{VerifyOptions, VerifyReport};

use crate::support::{run_checker, workspace};
use crate::validity::{environments, write_lock};

/// A lock to check, with the index it was made from and the requirements it must meet.
struct Case {
    name: String,
    lock: PathBuf,
    index: PathBuf,
    requirements: Vec<String>,
}

fn requirements(set_dir: &Path) -> Manifest {
    let mut manifest = Manifest::default();
    manifest
        .add_file(&set_dir.join("requirements.in"), Role::Requirement)
        .expect("requirements");
    manifest
}

fn strings(m: &Manifest) -> Vec<String> {
    m.requirements.iter().map(ToString::to_string).collect()
}

/// A copy of `lock` in `out/name` whose `{index}` URLs (uv's, for wherever the index was
/// served) point at the index's files on disk, where the Python checker reads metadata.
fn localized(out: &Path, name: &str, lock: &Path, index: &Path) -> PathBuf {
    let dir = out.join(name);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let root = std::fs::canonicalize(index.join("..")).expect("index root");
    let text = std::fs::read_to_string(lock).expect("read lock");
    let text = text.replace("{index}", &format!("file://{}", root.display()));
    let path = dir.join("pylock.toml");
    std::fs::write(&path, text).expect("write");
    path
}

/// `lock` without the `[[packages]]` entry of `package` (a lock broken on purpose).
fn without_package(out: &Path, name: &str, lock: &Path, package: &str) -> PathBuf {
    let text = std::fs::read_to_string(lock).expect("read lock");
    let blocks: Vec<&str> = text.split("\n[[packages]]\n").collect();
    let kept: Vec<&str> = blocks
        .iter()
        .filter(|b| !b.starts_with(&format!("name = \"{package}\"\n")))
        .copied()
        .collect();
    assert_eq!(
        kept.len() + 1,
        blocks.len(),
        "{package} not in {}",
        lock.display()
    );
    let dir = out.join(name);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("pylock.toml");
    std::fs::write(&path, kept.join("\n[[packages]]\n")).expect("write");
    path
}

fn rust_verify(case: &Case) -> VerifyReport {
    let lock = LockFile::read(&case.lock).expect("lock reads");
    let mut manifest = Manifest::default();
    for r in &case.requirements {
        manifest.add_str(r, Role::Requirement).expect("requirement");
    }
    let options = VerifyOptions {
        requirements: manifest.requirements,
        ..VerifyOptions::default()
    };
    let index = LocalIndex::new(&case.index).expect("index");
    lock.verify(&options, &index)
        .unwrap_or_else(|e| panic!("{}: {e}", case.name))
}

fn cases(out: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    // (set, whether to lock it with pylock too): `large` is left to uv's locks, whose
    // single-platform one fails in 19 environments, to keep the test quick.
    let sets = [
        ("black", true),
        ("trio", true),
        ("jupyter", true),
        ("large", false),
    ];
    for (set, ours) in sets {
        let dir = workspace().join("fixtures/realworld").join(set);
        let index = dir.join("index/simple");
        let manifest = requirements(&dir);
        let mut add = |name: String, lock: PathBuf| {
            cases.push(Case {
                name,
                lock,
                index: index.clone(),
                requirements: strings(&manifest),
            });
        };
        if ours {
            let resolution = pylock::resolve(
                &manifest,
                &Target::universal(Some(">=3.10".parse().expect("spec"))),
                &Default::default(),
                &LocalIndex::new(&index).expect("index"),
            )
            .unwrap_or_else(|e| panic!("{set}: {e}"));
            add(
                format!("{set}: pylock"),
                write_lock(out, &format!("{set}-pylock"), &resolution),
            );
        }
        for uv in ["uv-universal", "uv-linux-py312"] {
            let lock = dir.join(format!("{uv}.pylock.toml"));
            add(
                format!("{set}: {uv}"),
                localized(out, &format!("{set}-{uv}"), &lock, &index),
            );
        }
    }
    // Broken on purpose: a dependency left out (black needs packaging).
    let black = workspace().join("fixtures/realworld/black");
    let index = black.join("index/simple");
    let ours = out.join("black-pylock/pylock.toml");
    cases.push(Case {
        name: "black: pylock without packaging".into(),
        lock: without_package(out, "black-broken", &ours, "packaging"),
        index,
        requirements: strings(&requirements(&black)),
    });
    cases
}

/// Which of the checked environments the Python checker says the lock claims and fails.
fn oracle(cases: &[Case]) -> Vec<(u64, Vec<bool>)> {
    let envs = environments(*pylock::Target::PYTHON_MINORS.start());
    let jobs: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| {
            serde_json::json!({
                "lock": c.lock,
                "requirements": c.requirements,
                "environments": envs,
            })
        })
        .collect();
    let results = run_checker("verify_lock.py", &serde_json::json!({ "jobs": jobs }));
    results
        .as_array()
        .expect("list")
        .iter()
        .map(|r| {
            let problems: Vec<&str> = r["problems"]
                .as_array()
                .expect("problems")
                .iter()
                .filter_map(|p| p.as_str())
                .collect();
            let failing = envs
                .iter()
                .map(|e| {
                    let prefix = format!("{}: ", e["name"].as_str().expect("name"));
                    problems.iter().any(|p| p.starts_with(&prefix))
                })
                .collect();
            (r["checked"].as_u64().expect("checked"), failing)
        })
        .collect()
}

#[test]
fn verify_agrees_with_the_python_checker_per_environment() {
    let out = std::env::temp_dir().join(format!("pylock-verify-{}", std::process::id()));
    let cases = cases(&out);
    let expected = oracle(&cases);
    let mut failing_locks = 0;
    let mut passing_locks = 0;
    for (case, (checked, oracle_failing)) in cases.iter().zip(&expected) {
        let report = rust_verify(case);
        let claimed = report.environments.iter().filter(|e| e.claimed).count();
        assert_eq!(
            claimed as u64, *checked,
            "{}: environments claimed",
            case.name
        );
        assert_eq!(report.environments.len(), oracle_failing.len());
        for (env, oracle_fails) in report.environments.iter().zip(oracle_failing) {
            assert_eq!(
                !env.problems.is_empty(),
                *oracle_fails,
                "{}: {}: pylock says {:?}",
                case.name,
                env.name,
                env.problems
            );
        }
        if report.is_ok() {
            passing_locks += 1;
        } else {
            failing_locks += 1;
        }
    }
    std::fs::remove_dir_all(&out).ok();
    // Both verdicts are exercised: pylock's locks pass, the broken ones fail.
    assert!(passing_locks >= 6, "{passing_locks} locks pass");
    assert!(failing_locks >= 4, "{failing_locks} locks fail");
}

/// The reasons name the package, the environment and what is wrong.
#[test]
fn failures_say_what_and_where() {
    let out = std::env::temp_dir().join(format!("pylock-verify-why-{}", std::process::id()));
    let black = workspace().join("fixtures/realworld/black");
    let index = black.join("index/simple");
    let resolution = pylock::resolve(
        &requirements(&black),
        &Target::universal(Some(">=3.10".parse().expect("spec"))),
        &Default::default(),
        &LocalIndex::new(&index).expect("index"),
    )
    .expect("resolves");
    let ours = write_lock(&out, "black", &resolution);
    let case = Case {
        name: "black".into(),
        lock: without_package(&out, "broken", &ours, "packaging"),
        index: index.clone(),
        requirements: Vec::new(),
    };
    let report = rust_verify(&case);
    let first = report
        .environments
        .iter()
        .find(|e| e.claimed)
        .expect("claimed");
    assert_eq!(first.name, "CPython 3.10 on Linux x86_64");
    let problems: Vec<String> = first.problems.iter().map(ToString::to_string).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("black 26.10.1: needs `packaging>=22.0`")
                && p.ends_with("the lock selects no packaging here")),
        "{problems:?}"
    );
    // Not claimed: below the lock's requires-python.
    assert!(!report.environments[0].claimed);

    // A wheel-only package without a wheel for one platform.
    let text = std::fs::read_to_string(&ours).expect("lock");
    let lock = LockFile::parse(Path::new("x.toml"), &text).expect("parses");
    let mut edited = lock.clone();
    for p in &mut edited.lock.packages {
        if p.name == "black" {
            p.sdist = None;
            p.wheels.retain(|w| {
                let Some(s) = w.path() else {
                    return true;
                };
                !s.contains("win_amd64") && !s.ends_with("py3-none-any.whl")
            });
        }
    }
    let index = LocalIndex::new(&index).expect("index");
    let report = edited
        .verify(&VerifyOptions::default(), &index)
        .expect("verify");
    // Without its Windows wheels, sdist and pure-Python wheel, black installs only where a
    // binary wheel fits: every claimed Windows environment fails (and others where black
    // has no binary wheel), each saying so; Linux x86-64 still passes.
    for e in report.environments.iter().filter(|e| e.claimed) {
        if e.name.ends_with("on Windows x86_64") {
            assert!(!e.problems.is_empty(), "{}", e.name);
        }
        if e.name.ends_with("on Linux x86_64") && !e.name.starts_with("CPython 3.15") {
            assert!(e.problems.is_empty(), "{}: {:?}", e.name, e.problems);
        }
        for p in &e.problems {
            assert_eq!(
                p.to_string(),
                format!("black 26.10.1: no wheel for {}, and no sdist", e.name)
            );
        }
    }
    std::fs::remove_dir_all(&out).ok();
}

/// PEP 751 selection with extras and groups (pdm's multi-use lock): the default group when
/// none is given, the groups given otherwise; undeclared ones are refused.
#[test]
fn extras_and_groups_select_entries() {
    let lock =
        LockFile::read(&workspace().join("crates/pylock/tests/data/locks/pylock.pdm-multi.toml"))
            .expect("lock");
    let index =
        LocalIndex::new(workspace().join("fixtures/realworld/black/index/simple")).expect("index");
    let selected = |extras: &[&str], groups: Option<&[&str]>| -> usize {
        let options = VerifyOptions {
            extras: extras.iter().map(|e| e.parse().expect("extra")).collect(),
            groups: groups.map(|g| g.iter().map(|g| g.parse().expect("group")).collect()),
            target: Target::single("3.10", "linux", None).expect("target"),
            ..VerifyOptions::default()
        };
        let report = lock.verify(&options, &index).expect("verify");
        assert!(report.is_ok(), "{report:?}");
        assert_eq!(report.environments.len(), 1);
        report.environments[0].selected
    };
    assert_eq!(selected(&[], None), 1, "the default group: click");
    assert_eq!(
        selected(&["fmt"], None),
        9,
        "black and its dependencies on 3.10"
    );
    assert_eq!(
        selected(&[], Some(&["dev"])),
        2,
        "packaging, and pathspec through lint"
    );
    assert_eq!(selected(&[], Some(&["lint"])), 1);
    let undeclared = VerifyOptions {
        extras: vec!["nope".parse().expect("extra")],
        ..VerifyOptions::default()
    };
    let err = lock
        .verify(&undeclared, &index)
        .expect_err("undeclared extra");
    assert!(err.to_string().contains("no extra `nope`"), "{err}");
}

/// The reviewer's repro: a lock whose default group selects `a 1.0.0` (which needs
/// `b>1.0.0`) beside `b 1.0.0`. With a root requirement on `b` only, `a` is still selected,
/// so its dependencies must be checked (the walk starts from every selected entry too).
pub(crate) const BROKEN_DEV_LOCK: &str = r#"lock-version = "1.0"
created-by = "test"
requires-python = ">=3.12"
dependency-groups = ["dev"]
default-groups = ["dev"]

[[packages]]
name = "a"
version = "1.0.0"
marker = "'dev' in dependency_groups"
wheels = [{ name = "a-1.0.0-py3-none-any.whl", path = "a-1.0.0-py3-none-any.whl", hashes = { sha256 = "3a5ae429f951ccb2a1e22b2c6fcf7a199dab9ced1f4978018cd68d2b27ed5df4" } }]

[[packages]]
name = "b"
version = "1.0.0"
wheels = [{ name = "b-1.0.0-py3-none-any.whl", path = "b-1.0.0-py3-none-any.whl", hashes = { sha256 = "be02a3e644951cb92ede98c34cc31bf7bd28390b1396e43a0d84c213b912b673" } }]
"#;

#[test]
fn selected_entries_no_root_reaches_are_checked() {
    let lock = LockFile::parse(Path::new("pylock.toml"), BROKEN_DEV_LOCK).expect("lock");
    let index = LocalIndex::new(workspace().join("fixtures/packse/example-toml/index/simple"))
        .expect("index");
    let mut manifest = Manifest::default();
    manifest
        .add_str("b", Role::Requirement)
        .expect("requirement");
    for requirements in [Vec::new(), manifest.requirements] {
        let options = VerifyOptions {
            requirements,
            target: Target::single("3.12", "linux", None).expect("target"),
            ..VerifyOptions::default()
        };
        let report = lock.verify(&options, &index).expect("verify");
        assert!(!report.is_ok(), "{report:?}");
        let problems: Vec<String> = report.environments[0]
            .problems
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems,
            ["a 1.0.0: needs `b>1.0.0`, the lock has b 1.0.0"],
            "{:?}",
            options.requirements
        );
    }
}

/// `extras`, `dependency-groups` and `default-groups` live in one place, `LockFile.lock`:
/// an edit there is what verify sees (a stale copy on `LockFile` used to win).
#[test]
fn verify_reads_groups_from_the_lock_model() {
    let mut lock =
        LockFile::read(&workspace().join("crates/pylock/tests/data/locks/pylock.pdm-multi.toml"))
            .expect("lock");
    let index =
        LocalIndex::new(workspace().join("fixtures/realworld/black/index/simple")).expect("index");
    let options = VerifyOptions {
        target: Target::single("3.10", "linux", None).expect("target"),
        ..VerifyOptions::default()
    };
    let selected =
        |lock: &LockFile| lock.verify(&options, &index).expect("verify").environments[0].selected;
    assert_eq!(selected(&lock), 1, "the default group: click");
    lock.lock.default_groups.clear();
    assert_eq!(selected(&lock), 0, "no default group");
    lock.lock.extras.clear();
    let fmt = VerifyOptions {
        extras: vec!["fmt".parse().expect("extra")],
        ..options.clone()
    };
    let err = lock
        .verify(&fmt, &index)
        .expect_err("extra no longer declared");
    assert!(err.to_string().contains("no extra `fmt`"), "{err}");
}
