//! Metamorphic properties of the solver on generated in-memory indexes: the same problem gives
//! the same answer twice and whatever the order of the index's listings; dropping a dependency
//! never makes a solvable problem unsolvable; every lock installs where it claims to (the
//! checker of `validity.rs`, on a fixed batch).

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::strategy::ValueTree as _;
use proptest::test_runner::TestRunner;
use pylock::{resolve, Lock, LockOptions, Manifest, MemoryIndex, Options, Role, Target};

use crate::support::run_checker;
use crate::validity::environments;

const NAMES: &[&str] = &["a", "b", "c", "d", "e"];
const VERSIONS: &[&str] = &["1.0", "1.1", "2.0", "2.1", "3.0"];
const SPECS: &[&str] = &[
    "", "", "", ">=1.1", "<2", "==2.0", "!=1.0", ">=2, <3", "~=1.0", ">=3",
];
/// Root specifiers: mostly open, so that most problems have a solution.
const ROOT_SPECS: &[&str] = &["", "", "", ">=1.1", "<2", "!=1.0"];
const MARKERS: &[&str] = &[
    "",
    "",
    "",
    "sys_platform == 'win32'",
    "python_version < '3.12'",
];

/// One dependency: (package index, specifier, marker).
type Dep = (usize, &'static str, &'static str);

/// One release in a generated index.
#[derive(Clone, Debug)]
struct Release {
    package: usize,
    version: &'static str,
    requires_python: &'static str,
    deps: Vec<Dep>,
    /// Only a Windows wheel (the release installs nowhere else), instead of a pure one.
    windows_only: bool,
}

impl Release {
    fn requirements(&self) -> Vec<String> {
        self.deps
            .iter()
            .map(|&(p, spec, marker)| requirement(p, spec, marker))
            .collect()
    }

    fn filename(&self) -> String {
        let tag = if self.windows_only {
            "win_amd64"
        } else {
            "any"
        };
        format!(
            "{}-{}-py3-none-{tag}.whl",
            NAMES[self.package], self.version
        )
    }
}

fn requirement(package: usize, spec: &str, marker: &str) -> String {
    let mut r = format!("{}{spec}", NAMES[package]);
    if !marker.is_empty() {
        r.push_str(&format!(" ; {marker}"));
    }
    r
}

/// A generated problem: an index, the root requirements and the target.
#[derive(Clone, Debug)]
struct Problem {
    releases: Vec<Release>,
    roots: Vec<(usize, &'static str)>,
    universal: bool,
}

impl Problem {
    fn index(&self) -> MemoryIndex {
        let mut index = MemoryIndex::new();
        for r in &self.releases {
            let deps = r.requirements();
            let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
            index
                .add(
                    NAMES[r.package],
                    r.version,
                    r.requires_python,
                    &deps,
                    &[&r.filename()],
                )
                .expect("generated releases are valid");
        }
        index
    }

    fn root_requirements(&self) -> Vec<String> {
        self.roots
            .iter()
            .map(|&(p, spec)| requirement(p, spec, ""))
            .collect()
    }

    fn target(&self) -> Target {
        if self.universal {
            Target::universal(Some(">=3.10".parse().expect("spec")))
        } else {
            Target::single("3.12", "linux", None).expect("target")
        }
    }

    /// The resolve's outcome: the lock's bytes, or the error's text.
    fn outcome(&self) -> Result<String, String> {
        let mut manifest = Manifest::default();
        for r in self.root_requirements() {
            manifest
                .add_str(&r, Role::Requirement)
                .expect("root parses");
        }
        let resolution = resolve(
            &manifest,
            &self.target(),
            &Options::default(),
            &self.index(),
        )
        .map_err(|e| e.to_string())?;
        Ok(Lock::from_resolution(&resolution, &LockOptions::default()).to_toml())
    }

    /// The Requires-Dist of every file, as the validity checker takes it.
    fn metadata(&self) -> BTreeMap<String, Vec<String>> {
        self.releases
            .iter()
            .map(|r| (r.filename(), r.requirements()))
            .collect()
    }
}

fn dep(packages: usize) -> impl Strategy<Value = Dep> {
    (
        0..packages,
        prop::sample::select(SPECS),
        prop::sample::select(MARKERS),
    )
}

fn releases_of(package: usize, packages: usize) -> impl Strategy<Value = Vec<Release>> {
    prop::collection::vec(
        (
            prop::sample::select(vec!["", "", "", "", ">=3.11"]),
            prop::collection::vec(dep(packages), 0..=2),
            prop::bool::weighted(0.1),
        ),
        VERSIONS.len(),
    )
    .prop_flat_map(move |details| {
        prop::sample::subsequence(VERSIONS, 1..=3).prop_map(move |versions| {
            versions
                .iter()
                .zip(&details)
                .map(|(version, (requires_python, deps, windows_only))| Release {
                    package,
                    version,
                    requires_python,
                    // No release depends on its own project.
                    deps: deps.iter().filter(|d| d.0 != package).copied().collect(),
                    windows_only: *windows_only,
                })
                .collect()
        })
    })
}

fn problem() -> impl Strategy<Value = Problem> {
    (2..=NAMES.len())
        .prop_flat_map(|n| {
            (
                (0..n)
                    .map(|p| releases_of(p, n))
                    .collect::<Vec<_>>()
                    .prop_map(|r| r.concat()),
                prop::collection::vec((0..n, prop::sample::select(ROOT_SPECS)), 1..=2),
                any::<bool>(),
            )
        })
        .prop_map(|(releases, roots, universal)| Problem {
            releases,
            roots,
            universal,
        })
}

/// A problem and the same problem with its index listed in another order (releases shuffled
/// across and within projects).
fn problem_and_shuffled() -> impl Strategy<Value = (Problem, Problem)> {
    problem().prop_flat_map(|p| {
        let releases = p.releases.clone();
        (Just(p), Just(releases).prop_shuffle()).prop_map(|(p, releases)| {
            let shuffled = Problem {
                releases,
                ..p.clone()
            };
            (p, shuffled)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The same problem gives the same lock bytes (or the same error) twice.
    #[test]
    fn same_problem_same_answer(p in problem()) {
        prop_assert_eq!(p.outcome(), p.outcome());
    }

    /// The order in which the index lists releases changes neither the lock's bytes nor the
    /// error.
    #[test]
    fn listing_order_does_not_matter((p, shuffled) in problem_and_shuffled()) {
        prop_assert_eq!(p.outcome(), shuffled.outcome());
    }

    /// The order of a release's dependencies does not change whether there is a solution,
    /// nor, for one environment, the lock's bytes. (The explanation of a failure may differ:
    /// it follows the first dependency that cannot be met.)
    ///
    /// Known limitation, not asserted: a universal lock may differ when two locks are both
    /// valid, since the order forks are solved in (later forks prefer earlier forks'
    /// versions) follows the order requirements are met in. The saved case in
    /// `proptest-regressions/props_solver.txt` (`d 3.0` needs `c` below Python 3.12 and
    /// `a!=1.0` on Windows, `c 3.0` needs `a~=1.0`) locks `a 1.1, c 3.0` one way and
    /// `a 2.0 (Windows), c 2.1` the other; both install everywhere they claim. Found by this
    /// test in session 12; the same at the session's start.
    #[test]
    fn dependency_order_does_not_change_the_lock(p in problem()) {
        let mut reversed = p.clone();
        for r in &mut reversed.releases {
            r.deps.reverse();
        }
        match (p.outcome(), reversed.outcome()) {
            (Ok(a), Ok(b)) if !p.universal => prop_assert_eq!(a, b),
            (Ok(_), Ok(_)) => {}
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "{:?} but reversed {:?}", a, b),
        }
    }

    /// Removing one dependency of one release never makes a solvable problem unsolvable.
    #[test]
    fn removing_a_dependency_keeps_a_solution(p in problem(), which in any::<prop::sample::Index>()) {
        let edges: Vec<(usize, usize)> = p
            .releases
            .iter()
            .enumerate()
            .flat_map(|(r, release)| (0..release.deps.len()).map(move |d| (r, d)))
            .collect();
        prop_assume!(!edges.is_empty());
        prop_assume!(p.outcome().is_ok());
        let (r, d) = edges[which.index(edges.len())];
        let mut fewer = p.clone();
        fewer.releases[r].deps.remove(d);
        let outcome = fewer.outcome();
        prop_assert!(outcome.is_ok(), "without {:?}: {:?}", p.releases[r].deps[d], outcome);
    }
}

/// 60 generated problems, from a fixed seed: every lock that resolves installs in every
/// environment it claims, as `packaging.pylock` selects it (one checker call for the batch).
#[test]
fn generated_locks_install_everywhere_they_claim() {
    let out = std::env::temp_dir().join(format!("pylock-props-{}", std::process::id()));
    let mut runner = TestRunner::deterministic();
    let strategy = problem();
    let envs = environments(*pylock::Target::PYTHON_MINORS.start());
    let mut jobs = Vec::new();
    let mut failed = 0;
    for i in 0..60 {
        let p = strategy.new_tree(&mut runner).expect("generated").current();
        let Ok(lock) = p.outcome() else {
            failed += 1;
            continue;
        };
        let dir = out.join(i.to_string());
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("pylock.toml");
        std::fs::write(&path, lock).expect("write lock");
        let envs: Vec<serde_json::Value> = if p.universal {
            envs.clone()
        } else {
            vec![crate::support::environment_json(&p.target())]
        };
        jobs.push(serde_json::json!({
            "lock": path,
            "requirements": p.root_requirements(),
            "environments": envs,
            "metadata": p.metadata(),
        }));
    }
    let results = run_checker("verify_lock.py", &serde_json::json!({ "jobs": jobs }));
    std::fs::remove_dir_all(&out).ok();
    let mut problems = Vec::new();
    let mut checked = 0;
    for r in results.as_array().expect("list") {
        checked += r["checked"].as_u64().expect("checked");
        for p in r["problems"].as_array().expect("problems") {
            problems.push(format!("{}: {}", r["lock"], p.as_str().unwrap_or_default()));
        }
    }
    // Both outcomes are exercised: most problems resolve, some do not.
    assert!(jobs.len() >= 30, "only {} of 60 resolved", jobs.len());
    assert!(
        failed > 0,
        "no generated problem failed: the generator is too tame"
    );
    assert!(checked >= 300, "only {checked} environments checked");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
