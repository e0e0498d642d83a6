//! Interoperability: every lock these tests write loads with Python's `packaging.pylock`
//! (packaging >= 26, the reference PEP 751 reader), and `Pylock.select()` for the target
//! environment picks exactly the locked packages, each with a file that fits.
//!
//! Needs a Python with packaging >= 26: `$PYLOCK_TEST_PYTHON`, else `<workspace>/.venv`
//! (which `.ci/run` creates).

use std::path::PathBuf;

use pylock::{Lock, LockOptions, Target};

use crate::support::{environment_json, run_checker, scenarios, workspace};

struct Job {
    lock: PathBuf,
    target: Target,
    names: Vec<(String, String)>,
}

fn job_json(job: &Job) -> serde_json::Value {
    let mut value = environment_json(&job.target);
    value["lock"] = serde_json::json!(job.lock);
    value
}

#[test]
fn locks_load_and_select_with_packaging() {
    let out = std::env::temp_dir().join(format!("pylock-interop-{}", std::process::id()));
    std::fs::create_dir_all(&out).expect("mkdir");
    let mut jobs = Vec::new();
    let mut write = |name: &str, resolution: &pylock::Resolution, target: Target| {
        let dir = out.join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let lock = Lock::from_resolution(
            resolution,
            &LockOptions {
                index_url: None,
                lock_dir: Some(dir.clone()),
                ..LockOptions::default()
            },
        );
        let path = dir.join("pylock.toml");
        lock.write(&path).expect("write lock");
        jobs.push(Job {
            lock: path,
            target,
            names: lock
                .packages
                .iter()
                .map(|p| (p.name.clone(), p.version.clone()))
                .collect(),
        });
    };
    for s in scenarios("packse") {
        if s.universal || s.skip.is_some() || !s.expected.satisfiable {
            continue;
        }
        let resolution = s.run().unwrap_or_else(|e| panic!("{}: {e}", s.name));
        write(&s.name, &resolution, s.target().expect("target"));
    }
    for set in ["black", "trio", "jupyter"] {
        let dir = workspace().join("fixtures/realworld").join(set);
        let mut manifest = pylock::Manifest::default();
        manifest
            .add_file(&dir.join("requirements.in"), pylock::Role::Requirement)
            .expect("requirements");
        for (py, platform) in [("3.12", "linux"), ("3.11", "macos"), ("3.13", "windows")] {
            let target = Target::single(py, platform, None).expect("target");
            let index = pylock::LocalIndex::new(dir.join("index/simple")).expect("index");
            let resolution = pylock::resolve(&manifest, &target, &Default::default(), &index)
                .unwrap_or_else(|e| panic!("{set}: {e}"));
            write(&format!("{set}-{py}-{platform}"), &resolution, target);
        }
    }
    let input = serde_json::Value::Array(jobs.iter().map(job_json).collect());
    let results = run_checker("check_lock.py", &input);
    let results = results.as_array().expect("list");
    assert_eq!(results.len(), jobs.len());
    let mut problems = Vec::new();
    for (job, result) in jobs.iter().zip(results) {
        if let Some(err) = result.get("error") {
            problems.push(format!("{}: {err}", job.lock.display()));
            continue;
        }
        let selected = result["selected"].as_array().expect("selected");
        let mut got: Vec<(String, String)> = selected
            .iter()
            .map(|s| {
                (
                    s[0].as_str().expect("n").to_owned(),
                    s[1].as_str().expect("v").to_owned(),
                )
            })
            .collect();
        got.sort();
        let mut want = job.names.clone();
        want.sort();
        if got != want {
            problems.push(format!(
                "{}: selected {got:?}, locked {want:?}",
                job.lock.display()
            ));
        }
        for s in selected {
            if s[2].is_null() {
                problems.push(format!("{}: no file selected for {s}", job.lock.display()));
            }
        }
    }
    std::fs::remove_dir_all(&out).ok();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
