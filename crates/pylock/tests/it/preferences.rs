//! Re-locks that keep a universal lock's per-environment versions: where the existing lock
//! holds two versions of one package under different markers, each is kept in its own
//! environments (`Options::preference_markers`), not replaced by the newest of the two.

use std::path::Path;

use pylock::LockFile;
use pylock::{resolve, Lock, LockOptions, Manifest, MemoryIndex, Options, Role, Target};

fn index() -> MemoryIndex {
    let mut index = MemoryIndex::new();
    for v in ["1.0", "2.0", "3.0"] {
        index
            .add("b", v, "", &[], &[&format!("b-{v}-py3-none-any.whl")])
            .expect("add");
    }
    index
}

fn manifest(requirements: &[&str]) -> Manifest {
    let mut m = Manifest::default();
    for r in requirements {
        m.add_str(r, Role::Requirement).expect("requirement");
    }
    m
}

fn universal() -> Target {
    Target::universal(Some(">=3.10".parse().expect("spec")))
}

/// The locked (version, marker) pairs of `b`.
fn locked_b(lock: &Lock) -> Vec<(String, Option<String>)> {
    lock.packages
        .iter()
        .filter(|p| p.name == "b")
        .map(|p| (p.version.clone(), p.marker.clone()))
        .collect()
}

/// Preferences from a lock as the CLI takes them: every version, and the markers.
fn preferences(lock: &Lock, with_markers: bool) -> Options {
    let (pins, _) = LockFile::pins(Path::new("pylock.toml"), &lock.to_toml(), None).expect("reads");
    let mut options = Options::default();
    for (name, version, marker) in pins {
        if let (Some(tree), true) = (marker, with_markers) {
            options
                .preference_markers
                .push((name.clone(), version.clone(), tree));
        }
        options.preferences.push((name, version));
    }
    options
}

fn lock_of(m: &Manifest, target: &Target, options: &Options) -> Lock {
    let resolution = resolve(m, target, options, &index()).expect("resolves");
    Lock::from_resolution(&resolution, &LockOptions::default())
}

#[test]
fn each_locked_version_stays_in_its_environments() {
    // The existing lock: b 1.0 below Python 3.12, b 2.0 from 3.12 on.
    let old = lock_of(
        &manifest(&[
            "b<2; python_version < '3.12'",
            "b>=2,<3; python_version >= '3.12'",
        ]),
        &universal(),
        &Options::default(),
    );
    let below = Some("python_full_version < '3.12'".to_owned());
    let above = Some("python_full_version >= '3.12'".to_owned());
    assert_eq!(
        locked_b(&old),
        [("1.0".into(), below.clone()), ("2.0".into(), above.clone())]
    );

    // Re-locked for Python 3.10 alone, with `b` now free: 1.0 is the version locked there.
    let py310 = Target::single("3.10", "linux", None).expect("target");
    let free = manifest(&["b"]);
    let kept = lock_of(&free, &py310, &preferences(&old, true));
    assert_eq!(locked_b(&kept), [("1.0".into(), None)]);
    // Without the markers the newest preferred version wins everywhere (the old behaviour).
    let by_name = lock_of(&free, &py310, &preferences(&old, false));
    assert_eq!(locked_b(&by_name), [("2.0".into(), None)]);
    // For 3.13 the version locked there is kept.
    let py313 = Target::single("3.13", "linux", None).expect("target");
    let kept = lock_of(&free, &py313, &preferences(&old, true));
    assert_eq!(locked_b(&kept), [("2.0".into(), None)]);

    // A universal re-lock whose inputs still split at 3.12 but no longer force either
    // version keeps both, each where it was.
    let split = manifest(&[
        "b<3; python_version < '3.12'",
        "b; python_version >= '3.12'",
    ]);
    let kept = lock_of(&split, &universal(), &preferences(&old, true));
    assert_eq!(
        locked_b(&kept),
        [("1.0".into(), below), ("2.0".into(), above)]
    );
    let by_name = lock_of(&split, &universal(), &preferences(&old, false));
    assert_eq!(locked_b(&by_name).len(), 1, "{:?}", locked_b(&by_name));
}

/// A universal resolve records the regions it solved apart (`Resolution::forks`), and one
/// given them (`Options::forks`) starts from them: here the recorded split keeps each
/// locked version in its environments although the inputs alone would not split.
#[test]
fn forks_are_recorded_and_a_re_lock_starts_from_them() {
    let split = manifest(&[
        "b<2; python_version < '3.12'",
        "b>=2,<3; python_version >= '3.12'",
    ]);
    let resolution = resolve(&split, &universal(), &Options::default(), &index()).expect("ok");
    // In the order solved: the newer Pythons first (the split is at the first requirement
    // that differs; its parts are solved newest first).
    assert_eq!(
        resolution.forks,
        [
            ("python_full_version >= '3.12'".to_owned(), false),
            (
                "python_full_version >= '3.10' and python_full_version < '3.12'".to_owned(),
                false
            ),
        ]
    );
    let old = Lock::from_resolution(&resolution, &LockOptions::default());
    let seeded = |forks: &[(String, bool)]| {
        let mut options = preferences(&old, true);
        options.forks = forks
            .iter()
            .map(|(m, excludable)| (m.parse().expect("marker"), *excludable))
            .collect();
        locked_b(&lock_of(&manifest(&["b"]), &universal(), &options))
    };
    let two = [
        (
            "1.0".to_owned(),
            Some("python_full_version < '3.12'".to_owned()),
        ),
        (
            "2.0".to_owned(),
            Some("python_full_version >= '3.12'".to_owned()),
        ),
    ];
    assert_eq!(seeded(&resolution.forks), two);
    // Unseeded, the whole target is solved at once and takes the newest pin everywhere.
    assert_eq!(seeded(&[]), [("2.0".to_owned(), None)]);
    // Regions that do not divide the target exactly are ignored.
    let overlapping = [
        ("python_full_version >= '3.10'".to_owned(), false),
        ("python_full_version >= '3.12'".to_owned(), false),
    ];
    assert_eq!(seeded(&overlapping), [("2.0".to_owned(), None)]);
    let short = vec![("python_full_version >= '3.12'".to_owned(), false); 2];
    assert_eq!(seeded(&short), [("2.0".to_owned(), None)]);
}
