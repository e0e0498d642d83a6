//! Multi-use project locks (`pylock::Project::lock`, what `pylock lock` writes) on the fixture
//! projects of `fixtures/projects` (written by `fixtures/tools/project_fixtures.py`): every
//! selection of extras and groups, in every environment of CPython 3.10–3.15 × 5 platforms,
//! gets a consistent set from `packaging.pylock`; conflicting extras and groups are resolved
//! apart and selecting them together is refused.

use std::path::{Path, PathBuf};

use pylock::ExtraName;
use pylock::{GroupName, Project, Selection};
use pylock::{LocalIndex, Lock, LockOptions, Manifest, Options, ResolveError, Target};

use crate::support::{run_checker, workspace};
use crate::validity::environments;

fn fixture(name: &str) -> PathBuf {
    workspace().join("fixtures/projects").join(name)
}

fn lock_with(
    pyproject: &Path,
    index: &Path,
    target: &Target,
    lock_dir: &Path,
) -> Result<(Project, ProjectLock), ResolveError> {
    let project = Project::read(pyproject).expect("project reads");
    let index = LocalIndex::new(index).expect("index");
    let (lock, warnings) = project.lock(
        &Manifest::default(),
        target,
        &Options::default(),
        &index,
        &LockOptions {
            index_url: None,
            lock_dir: Some(lock_dir.to_owned()),
            ..LockOptions::default()
        },
    )?;
    Ok((project, ProjectLock { lock, warnings }))
}

/// What `Project::lock` returns, named for the assertions.
#[derive(Debug)]
struct ProjectLock {
    lock: Lock,
    warnings: Vec<String>,
}

fn lock_fixture(name: &str, lock_dir: &Path) -> (Project, ProjectLock) {
    let dir = fixture(name);
    let project = Project::read(&dir.join("pyproject.toml")).expect("project reads");
    let target = Target::universal(project.requires_python.clone());
    lock_with(
        &dir.join("pyproject.toml"),
        &dir.join("index/simple"),
        &target,
        lock_dir,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn extra(s: &str) -> ExtraName {
    s.parse().expect("extra")
}
fn group(s: &str) -> GroupName {
    s.parse().expect("group")
}

/// A selection for the checker: its extras and groups (`None`: the lock's default groups),
/// and the requirements the project says it installs.
fn selection(
    project: &Project,
    name: &str,
    extras: &[&str],
    groups: Option<&[&str]>,
    impossible: bool,
) -> serde_json::Value {
    let chosen = Selection {
        extras: extras.iter().map(|e| extra(e)).collect(),
        groups: groups
            .unwrap_or(&["dev"])
            .iter()
            .filter(|g| project.groups.contains_key(&group(g)))
            .map(|g| group(g))
            .collect(),
        ..Selection::default()
    };
    let requirements: Vec<String> = project
        .select(&chosen)
        .expect("selection")
        .iter()
        .map(ToString::to_string)
        .collect();
    serde_json::json!({
        "name": name,
        "extras": extras,
        "groups": groups,
        "requirements": requirements,
        "impossible": impossible,
    })
}

/// Extras and groups selected together (that cannot be).
type Together<'a> = (&'a [&'a str], &'a [&'a str]);

/// Every selection worth checking: none, the default groups, each extra, each group, all
/// that go together, and the impossible ones.
fn selections(project: &Project, impossible: &[Together<'_>]) -> Vec<serde_json::Value> {
    let extras: Vec<String> = project.extras.keys().map(ToString::to_string).collect();
    let groups: Vec<String> = project.groups.keys().map(ToString::to_string).collect();
    let mut out = vec![
        selection(project, "none", &[], Some(&[]), false),
        selection(project, "default groups", &[], None, false),
    ];
    for e in &extras {
        out.push(selection(
            project,
            &format!("extra {e}"),
            &[e],
            Some(&[]),
            false,
        ));
    }
    for g in &groups {
        out.push(selection(
            project,
            &format!("group {g}"),
            &[],
            Some(&[g]),
            false,
        ));
    }
    // All together, but for the second item of each impossible pair.
    let left_out: Vec<&str> = impossible
        .iter()
        .flat_map(|(e, g)| e.iter().skip(1).chain(g.iter().skip(1)).copied())
        .collect();
    let all_extras: Vec<&str> = (extras.iter().map(String::as_str))
        .filter(|e| !left_out.contains(e))
        .collect();
    let all_groups: Vec<&str> = (groups.iter().map(String::as_str))
        .filter(|g| !left_out.contains(g))
        .collect();
    out.push(selection(
        project,
        "all that fit",
        &all_extras,
        Some(&all_groups),
        false,
    ));
    for (e, g) in impossible {
        out.push(selection(
            project,
            &format!("{e:?} {g:?} together"),
            e,
            Some(g),
            true,
        ));
    }
    out
}

fn check(jobs: Vec<serde_json::Value>) -> u64 {
    let results = run_checker("verify_lock.py", &serde_json::json!({ "jobs": jobs }));
    let mut problems = Vec::new();
    let mut checked = 0;
    for r in results.as_array().expect("list") {
        checked += r["checked"].as_u64().expect("checked");
        for p in r["problems"].as_array().expect("problems") {
            problems.push(format!("{}: {}", r["lock"], p.as_str().unwrap_or_default()));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    checked
}

#[test]
fn every_selection_installs_a_consistent_set_everywhere() {
    let out = std::env::temp_dir().join(format!("pylock-project-{}", std::process::id()));
    let mut jobs = Vec::new();
    let cases: [(&str, Vec<Together<'_>>); 2] = [
        (
            "app",
            vec![(&["old", "new"], &[]), (&["new", "old", "cli"], &["dev"])],
        ),
        (
            "declared",
            vec![(&["old", "new"], &[]), (&[], &["low", "high"])],
        ),
    ];
    let mut count = 0;
    for (name, impossible) in &cases {
        let dir = out.join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        // Files are recorded relative to the lock; the checker reads metadata beside them.
        let (project, lock) = lock_fixture(name, &dir);
        let path = dir.join("pylock.toml");
        lock.lock.write(&path).expect("write");
        let sels = selections(&project, impossible);
        count += sels.len();
        jobs.push(serde_json::json!({
            "lock": path,
            "requirements": [],
            "environments": environments(10),
            "selections": sels,
        }));
    }
    let checked = check(jobs);
    std::fs::remove_dir_all(&out).ok();
    // 6 Pythons x 5 platforms for each selection.
    assert_eq!(checked, 30 * count as u64);
}

/// A real project's shape on a real PyPI snapshot (`fixtures/realworld/large`, recorded for
/// the same requirements all together): `fixtures/projects/service`.
#[test]
fn a_real_snapshot_project_serves_every_selection() {
    let out = std::env::temp_dir().join(format!("pylock-project-real-{}", std::process::id()));
    std::fs::create_dir_all(&out).expect("mkdir");
    let dir = fixture("service");
    let project = Project::read(&dir.join("pyproject.toml")).expect("project reads");
    let index = workspace().join("fixtures/realworld/large/index/simple");
    let target = Target::universal(project.requires_python.clone());
    let (project, lock) =
        lock_with(&dir.join("pyproject.toml"), &index, &target, &out).expect("locks");
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    assert!(
        lock.lock.packages.len() > 300,
        "{}",
        lock.lock.packages.len()
    );
    let path = out.join("pylock.toml");
    lock.lock.write(&path).expect("write");
    let sels = selections(&project, &[]);
    let checked = check(vec![serde_json::json!({
        "lock": path,
        "requirements": [],
        "environments": environments(10),
        "selections": sels,
    })]);
    std::fs::remove_dir_all(&out).ok();
    assert_eq!(checked, 30 * sels.len() as u64);
}

#[test]
fn the_lock_lists_extras_and_groups_and_marks_each_package() {
    let dir = fixture("app");
    let (_, lock) = lock_fixture("app", &dir);
    let l = &lock.lock;
    assert_eq!(l.extras, ["cli", "gpu", "new", "old"]);
    assert_eq!(l.dependency_groups, ["dev", "docs", "lint", "test"]);
    assert_eq!(l.default_groups, ["dev"]);
    // The lock reads back into the same model, and its markers select per selection.
    let text = l.to_toml();
    let read = pylock::LockFile::parse(&dir.join("pylock.toml"), &text).expect("reads");
    assert_eq!(&read.lock, l);
    let target = Target::single("3.12", "linux", None).expect("target");
    let selected = |extras: &[&str], groups: &[&str]| -> Vec<String> {
        let extras: Vec<ExtraName> = extras.iter().map(|e| extra(e)).collect();
        let groups: Vec<GroupName> = groups.iter().map(|g| group(g)).collect();
        (read
            .select(&target, &extras, &groups)
            .expect("one environment"))
        .iter()
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect()
    };
    assert_eq!(selected(&[], &[]), ["core==2.0", "util==1.5"]);
    assert_eq!(
        selected(&["old", "gpu"], &["lint"]),
        [
            "accel==1.0",
            "core==2.0",
            "helper==1.0",
            "lib==1.5",
            "ruff==0.5.0",
            "util==1.5"
        ]
    );
    let marker = |name: &str, version: &str| {
        let p = (l.packages.iter())
            .find(|p| p.name == name && p.version == version)
            .unwrap_or_else(|| panic!("{name} {version} is not locked"));
        p.marker.clone().unwrap_or_default()
    };
    // The conflicting extras get their own versions, each with its marker.
    assert_eq!(marker("lib", "1.5"), "'old' in extras");
    assert_eq!(marker("lib", "2.1"), "'new' in extras");
    assert_eq!(marker("helper", "1.0"), "'old' in extras");
    // Environment markers and selection markers combine.
    assert_eq!(
        marker("accel", "1.0"),
        "sys_platform == 'linux' and 'gpu' in extras"
    );
    assert_eq!(
        marker("sphinx", "7.0"),
        "python_full_version >= '3.11' and 'docs' in dependency_groups"
    );
    // Through `include-group` and the project's own extra in a group.
    assert_eq!(
        marker("ruff", "0.5.0"),
        "'dev' in dependency_groups or 'lint' in dependency_groups or 'test' in dependency_groups"
    );
    assert_eq!(
        marker("click", "8.1"),
        "'cli' in extras or 'dev' in dependency_groups"
    );
    // The base is needed everywhere; the project itself is the root, not a package.
    assert_eq!(marker("core", "2.0"), "");
    assert!(l.packages.iter().all(|p| p.name != "app"));
    assert_eq!(
        lock.warnings,
        ["extra `new` and extra `old` need versions that exclude each other: the lock resolves each apart, and selecting them together is impossible (an installer asked for that finds two versions of a package and refuses)"]
    );
}

#[test]
fn declared_conflicts_are_used_as_declared() {
    let dir = fixture("declared");
    let (_, lock) = lock_fixture("declared", &dir);
    let text = lock.lock.to_toml();
    assert!(
        text.contains("marker = \"'low' in dependency_groups\""),
        "{text}"
    );
    assert!(
        text.contains("marker = \"'high' in dependency_groups\""),
        "{text}"
    );
    assert_eq!(lock.warnings.len(), 2, "{:?}", lock.warnings);
    assert!(lock
        .warnings
        .iter()
        .all(|w| w.contains("declared conflicting")));
    // No default group: the project declares no `dev`.
    assert!(lock.lock.default_groups.is_empty());
}

#[test]
fn project_locks_are_deterministic() {
    let dir = fixture("app");
    let first = lock_fixture("app", &dir).1.lock.to_toml();
    for _ in 0..2 {
        assert_eq!(lock_fixture("app", &dir).1.lock.to_toml(), first);
    }
}

#[test]
fn narrowed_targets_keep_selection_markers() {
    let dir = fixture("app");
    let target = Target::single("3.12", "linux", None).expect("target");
    let (_, lock) = lock_with(
        &dir.join("pyproject.toml"),
        &dir.join("index/simple"),
        &target,
        &dir,
    )
    .expect("locks");
    let accel = (lock.lock.packages.iter())
        .find(|p| p.name == "accel")
        .expect("accel");
    assert_eq!(accel.marker.as_deref(), Some("'gpu' in extras"));
    let lib: Vec<_> = (lock.lock.packages.iter())
        .filter(|p| p.name == "lib")
        .collect();
    assert_eq!(lib.len(), 2);
    assert!(lock.lock.packages.iter().all(|p| p.name != "colorama"));
}

#[test]
fn chains_of_conflicts_are_all_found() {
    let dir = std::env::temp_dir().join(format!("pylock-project-chain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let pyproject = dir.join("pyproject.toml");
    // `y` conflicts with `x` and with `z`, which go together.
    std::fs::write(
        &pyproject,
        "[project]\nname = \"x\"\nrequires-python = \">=3.10\"\ndependencies = [\"core\"]\n[project.optional-dependencies]\nx = [\"lib<2\"]\ny = [\"lib>=2\"]\nz = [\"lib<1.5\"]\n",
    )
    .expect("write");
    let index = fixture("app").join("index/simple");
    let target = Target::universal(Some(">=3.10".parse().expect("spec")));
    let (project, lock) = lock_with(&pyproject, &index, &target, &dir).expect("locks");
    let warned: Vec<&str> = lock.warnings.iter().map(|w| &w[..23]).collect();
    assert_eq!(
        warned,
        ["extra `x` and extra `y`", "extra `y` and extra `z`"]
    );
    let path = dir.join("pylock.toml");
    lock.lock.write(&path).expect("write");
    let mut sels = selections(&project, &[(&["x", "y"], &[]), (&["z", "y"], &[])]);
    sels.push(selection(
        &project,
        "x and z",
        &["x", "z"],
        Some(&[]),
        false,
    ));
    let checked = check(vec![serde_json::json!({
        "lock": path,
        "requirements": [],
        "environments": environments(10),
        "selections": sels,
    })]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(checked, 30 * sels.len() as u64);
}

#[test]
fn an_extra_that_cannot_install_is_an_error_naming_it() {
    let dir = std::env::temp_dir().join(format!("pylock-project-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let pyproject = dir.join("pyproject.toml");
    std::fs::write(
        &pyproject,
        "[project]\nname = \"x\"\ndependencies = [\"core\"]\n[project.optional-dependencies]\nfine = [\"lib\"]\nbad = [\"lib>=3\"]\n",
    )
    .expect("write");
    let index = fixture("app").join("index/simple");
    let target = Target::universal(Some(">=3.10".parse().expect("spec")));
    let err = lock_with(&pyproject, &index, &target, &dir).expect_err("no lib>=3");
    std::fs::remove_dir_all(&dir).ok();
    let msg = err.to_string();
    assert!(matches!(err, ResolveError::NoSolution { .. }), "{msg}");
    assert!(msg.contains("extra `bad` cannot be installed"), "{msg}");
    assert!(msg.contains("lib>=3"), "{msg}");
    // Said without the selection items' encoding.
    assert!(!msg.contains("e-bad") && !msg.contains("extra =="), "{msg}");
}
