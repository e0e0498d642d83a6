//! Universal locks, checked the way installers see them: for each claimed environment
//! (CPython 3.8–3.15 that requires-python admits × Linux x86-64 and aarch64, macOS arm64 and
//! x86-64, Windows x86-64), `packaging.pylock` selects a set in which every applicable root
//! requirement and every dependency is present at a satisfying version, each with a file that
//! fits. See `tests/support/verify_lock.py`.

use pylock::{Lock, LockOptions, Manifest, Role, Target};

use crate::support::{environment_json, run_checker, scenarios, workspace};

/// Every checked CPython minor from `first` on, on every platform, as the checker takes them.
pub fn environments(first: u64) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for minor in first..=*pylock::Target::PYTHON_MINORS.end() {
        for platform in pylock::Target::PLATFORMS {
            let target = Target::single(&format!("3.{minor}"), platform, None).expect("target");
            out.push(environment_json(&target));
        }
    }
    out
}

struct Written {
    lock: std::path::PathBuf,
    requirements: Vec<String>,
    constraints: Vec<String>,
    overrides: Vec<String>,
}

/// Write the lock of `resolution` to `dir/name/pylock.toml`.
pub fn write_lock(
    dir: &std::path::Path,
    name: &str,
    resolution: &pylock::Resolution,
) -> std::path::PathBuf {
    let dir = dir.join(name);
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
    lock.write(&path).expect("write");
    path
}

#[test]
fn universal_locks_install_everywhere_they_claim() {
    let out = std::env::temp_dir().join(format!("pylock-validity-{}", std::process::id()));
    let mut written = Vec::new();
    for s in scenarios("packse")
        .into_iter()
        .chain(scenarios("packse-uv"))
    {
        if !s.universal || s.skip.is_some() || !s.expected.satisfiable {
            continue;
        }
        let resolution = s.run().unwrap_or_else(|e| panic!("{}: {e}", s.name));
        written.push(Written {
            lock: write_lock(&out, &s.name, &resolution),
            requirements: s.requirements.clone(),
            constraints: s.constraints.clone(),
            overrides: s.overrides.clone(),
        });
    }
    for set in ["black", "trio", "jupyter", "boto", "large"] {
        let dir = workspace().join("fixtures/realworld").join(set);
        let mut manifest = Manifest::default();
        manifest
            .add_file(&dir.join("requirements.in"), Role::Requirement)
            .expect("requirements");
        let index = pylock::LocalIndex::new(dir.join("index/simple")).expect("index");
        let resolution = pylock::resolve(
            &manifest,
            &Target::universal(Some(">=3.10".parse().expect("spec"))),
            &Default::default(),
            &index,
        )
        .unwrap_or_else(|e| panic!("{set}: {e}"));
        written.push(Written {
            lock: write_lock(&out, set, &resolution),
            requirements: manifest
                .requirements
                .iter()
                .map(ToString::to_string)
                .collect(),
            constraints: Vec::new(),
            overrides: Vec::new(),
        });
    }
    let envs = environments(*pylock::Target::PYTHON_MINORS.start());
    let jobs: Vec<serde_json::Value> = written
        .iter()
        .map(|w| {
            serde_json::json!({
                "lock": w.lock,
                "requirements": w.requirements,
                "constraints": w.constraints,
                "overrides": w.overrides,
                "environments": envs,
            })
        })
        .collect();
    let results = run_checker("verify_lock.py", &serde_json::json!({ "jobs": jobs }));
    let mut problems = Vec::new();
    let mut checked = 0;
    for r in results.as_array().expect("list") {
        checked += r["checked"].as_u64().expect("checked");
        for p in r["problems"].as_array().expect("problems") {
            problems.push(format!("{}: {}", r["lock"], p.as_str().unwrap_or_default()));
        }
    }
    std::fs::remove_dir_all(&out).ok();
    assert!(checked >= 100, "only {checked} environments checked");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
