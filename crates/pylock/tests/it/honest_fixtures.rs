//! The patterns of real projects whose universal locks can serve only part of the target
//! (`fixtures/honest`, written by `fixtures/tools/honest_fixtures.py`): each lock is written,
//! installs in every environment it claims of CPython 3.10–3.15 × 5 platforms, serves exactly
//! the environments expected, and its warnings name the packages, versions and reasons;
//! `--strict` fails instead.

use crate::support::{run_checker, scenarios, workspace};
use crate::validity::{environments, write_lock};
use pylock::{LocalIndex, ResolveError};

/// What a fixture expects beyond the contract's fields.
struct Expected {
    served: u64,
    warnings: Vec<String>,
}

fn expected(dir: &std::path::Path) -> Expected {
    let text = std::fs::read_to_string(dir.join("scenario.json")).expect("scenario");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let e = &doc["expected"];
    Expected {
        served: e["environments_served"]
            .as_u64()
            .expect("environments_served"),
        warnings: e["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .map(|w| w.as_str().expect("text").to_owned())
            .collect(),
    }
}

#[test]
fn partial_locks_serve_what_can_be_served() {
    let out = std::env::temp_dir().join(format!("pylock-honest-{}", std::process::id()));
    let cases = scenarios("honest");
    assert!(cases.len() >= 3, "fixtures/honest is missing");
    let mut jobs = Vec::new();
    let mut wanted = Vec::new();
    for s in &cases {
        let r = s.run().unwrap_or_else(|e| panic!("{}: {e}", s.name));
        let want = expected(&s.dir);
        let warnings = r.warnings.join("\n");
        for w in &want.warnings {
            assert!(warnings.contains(w), "{}: no `{w}` in:\n{warnings}", s.name);
        }
        // One line per package and reason, after the line saying where the lock applies.
        assert!(r.warnings.len() <= 4, "{}: {warnings}", s.name);
        let lock = write_lock(&out, &s.name, &r);
        jobs.push(serde_json::json!({
            "lock": lock,
            "requirements": s.requirements,
            "environments": environments(10),
        }));
        wanted.push((s.name.clone(), want.served));

        let target = s.target().expect("target");
        let index = LocalIndex::new(s.index_root()).expect("index");
        let mut strict = s.options();
        strict.strict = true;
        assert!(
            matches!(
                pylock::resolve(&s.manifest(), &target, &strict, &index),
                Err(ResolveError::NoSolution { .. })
            ),
            "{}: --strict must fail",
            s.name
        );
    }
    let results = run_checker("verify_lock.py", &serde_json::json!({ "jobs": jobs }));
    std::fs::remove_dir_all(&out).ok();
    for (r, (name, served)) in results.as_array().expect("list").iter().zip(wanted) {
        let problems = r["problems"].as_array().expect("problems");
        assert!(problems.is_empty(), "{name}: {problems:?}");
        assert_eq!(
            r["checked"].as_u64(),
            Some(served),
            "{name}: environments served"
        );
    }
}

/// The checked CPython versions follow CPython's releases: none of the fixture indexes has
/// wheels for a CPython newer than the newest checked one.
#[test]
fn checked_pythons_reach_the_newest_cpython_in_the_fixtures() {
    let newest_checked = *pylock::Target::PYTHON_MINORS.end();
    let mut newest_seen = (0, String::new());
    let mut stack = vec![workspace().join("fixtures")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("list").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.file_name().and_then(|n| n.to_str()) != Some("index.json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            for minor in cpython_minors(&text) {
                if minor > newest_seen.0 {
                    newest_seen = (minor, path.display().to_string());
                }
            }
        }
    }
    assert!(newest_seen.0 >= 15, "no fixture has cp315 wheels");
    assert!(
        newest_seen.0 <= newest_checked,
        "{} has wheels for CPython 3.{}; PYTHON_MINORS stops at 3.{newest_checked}",
        newest_seen.1,
        newest_seen.0
    );
}

/// The minors of `cp3XY` wheel tags in a page.
fn cpython_minors(page: &str) -> Vec<u64> {
    page.match_indices("-cp3")
        .filter_map(|(i, _)| {
            let digits: String = page[i + 4..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect()
}
