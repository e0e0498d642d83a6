//! Honest universal locks: where uv locks versions that cannot install on some of the
//! environments it claims, pylock forks to find versions that do, and leaves out (with a
//! warning) the environments where none does.

use pylock::MemoryIndex;
use pylock::{resolve, Manifest, Options, Resolution, ResolveError, Role, Target};

fn manifest(reqs: &[&str]) -> Manifest {
    let mut m = Manifest::default();
    for r in reqs {
        m.add_str(r, Role::Requirement).expect("requirement");
    }
    m
}

fn universal(index: &MemoryIndex, reqs: &[&str], strict: bool) -> Result<Resolution, ResolveError> {
    let mut options = Options::default();
    options.strict = strict;
    resolve(
        &manifest(reqs),
        &Target::universal(Some(">=3.10".parse().expect("spec"))),
        &options,
        index,
    )
}

fn locked(r: &Resolution) -> Vec<(String, String, Option<String>)> {
    r.packages
        .iter()
        .map(|p| (p.name.to_string(), p.version.to_string(), p.marker.clone()))
        .collect()
}

#[test]
fn a_requires_python_cap_forks_to_an_older_version_above_it() {
    let mut index = MemoryIndex::new();
    index
        .add("numpy", "1.26.0", ">=3.9", &[], &["numpy-1.26.0.tar.gz"])
        .expect("release")
        .add(
            "numpy",
            "2.0.0",
            ">=3.10,<3.13",
            &[],
            &["numpy-2.0.0.tar.gz"],
        )
        .expect("release");
    let r = universal(&index, &["numpy"], false).expect("resolves");
    assert_eq!(
        locked(&r),
        [
            (
                "numpy".into(),
                "1.26.0".into(),
                Some("python_full_version >= '3.13'".into())
            ),
            (
                "numpy".into(),
                "2.0.0".into(),
                Some("python_full_version < '3.13'".into())
            ),
        ]
    );
    assert!(r.environments.is_empty() && r.warnings.is_empty());
}

#[test]
fn a_newer_version_for_newer_pythons() {
    let mut index = MemoryIndex::new();
    index
        .add(
            "platformdirs",
            "4.1.0",
            ">=3.8",
            &[],
            &["platformdirs-4.1.0.tar.gz"],
        )
        .expect("release")
        .add(
            "platformdirs",
            "4.5.0",
            ">=3.11",
            &[],
            &["platformdirs-4.5.0.tar.gz"],
        )
        .expect("release");
    let r = universal(&index, &["platformdirs"], false).expect("resolves");
    assert_eq!(
        locked(&r),
        [
            (
                "platformdirs".into(),
                "4.1.0".into(),
                Some("python_full_version < '3.11'".into())
            ),
            (
                "platformdirs".into(),
                "4.5.0".into(),
                Some("python_full_version >= '3.11'".into())
            ),
        ]
    );
}

#[test]
fn pythons_above_a_cap_with_no_version_are_left_out_with_a_warning() {
    let mut index = MemoryIndex::new();
    index
        .add(
            "scipy",
            "1.10.1",
            ">=3.8,<3.12",
            &[],
            &["scipy-1.10.1.tar.gz"],
        )
        .expect("release")
        .add("scipy", "1.11.0", ">=3.9", &[], &["scipy-1.11.0.tar.gz"])
        .expect("release");
    let r = universal(&index, &["scipy<1.11"], false).expect("resolves");
    assert_eq!(locked(&r), [("scipy".into(), "1.10.1".into(), None)]);
    // The lock says where it applies in its requires-python.
    assert_eq!(r.requires_python.to_string(), ">=3.10, <3.12");
    assert!(r.environments.is_empty(), "{:?}", r.environments);
    let warning = r.warnings.join("\n");
    assert!(
        warning.contains("it is for Python >=3.10, <3.12"),
        "{warning}"
    );
    assert!(
        warning.contains("scipy 1.10.1: Requires-Python >=3.8, <3.12 leaves out CPython 3.12–3.15 on every platform"),
        "{warning}"
    );

    let Err(ResolveError::NoSolution { explanation, .. }) =
        universal(&index, &["scipy<1.11"], true)
    else {
        panic!("--strict must fail");
    };
    assert!(
        explanation.contains("python_full_version >= '3.12'"),
        "{explanation}"
    );
}

#[test]
fn platforms_without_a_file_are_left_out_with_a_warning() {
    let mut index = MemoryIndex::new();
    index
        .add(
            "app",
            "1.0",
            "",
            &["linuxonly"],
            &["app-1.0-py3-none-any.whl"],
        )
        .expect("release")
        .add(
            "linuxonly",
            "1.0",
            ">=3.10",
            &[],
            &[
                "linuxonly-1.0-cp310-abi3-manylinux_2_17_x86_64.whl",
                "linuxonly-1.0-cp310-abi3-manylinux_2_17_aarch64.whl",
            ],
        )
        .expect("release");
    let r = universal(&index, &["app"], false).expect("resolves");
    assert_eq!(r.packages.len(), 2);
    let env = r.environments.join(" ");
    assert!(env.contains("sys_platform"), "{env}");
    let warning = r.warnings.join("\n");
    assert!(
        warning.contains("linuxonly 1.0 (required through app): no wheel and no source distribution for CPython 3.10–3.15 on aarch64-apple-darwin"),
        "{warning}"
    );
    assert!(warning.contains("x86_64-pc-windows-msvc"), "{warning}");
    assert!(!warning.contains("manylinux_2_28"), "{warning}");
    assert!(universal(&index, &["app"], true).is_err());
}

#[test]
fn an_older_version_with_a_file_serves_the_platforms_the_newest_lacks() {
    let mut index = MemoryIndex::new();
    index
        .add("fast", "1.0", "", &[], &["fast-1.0.tar.gz"])
        .expect("release")
        .add(
            "fast",
            "2.0",
            "",
            &[],
            &[
                "fast-2.0-cp310-abi3-manylinux_2_17_x86_64.whl",
                "fast-2.0-cp310-abi3-win_amd64.whl",
            ],
        )
        .expect("release");
    let r = universal(&index, &["fast"], false).expect("resolves");
    let versions: Vec<String> = r.packages.iter().map(|p| p.version.to_string()).collect();
    assert_eq!(versions, ["1.0", "2.0"]);
    assert!(r.environments.is_empty(), "{:?}", r.environments);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn wheels_only_for_where_the_package_is_needed() {
    let mut index = MemoryIndex::new();
    index
        .add(
            "app",
            "1.0",
            "",
            &["winonly; sys_platform == 'win32'"],
            &["app-1.0.tar.gz"],
        )
        .expect("release")
        .add(
            "winonly",
            "1.0",
            "",
            &[],
            &[
                "winonly-1.0.tar.gz",
                "winonly-1.0-cp312-cp312-win_amd64.whl",
                "winonly-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
                "winonly-1.0-cp39-cp39-win_amd64.whl",
            ],
        )
        .expect("release");
    let r = universal(&index, &["app"], false).expect("resolves");
    let winonly = &r.packages[1];
    assert_eq!(winonly.marker.as_deref(), Some("sys_platform == 'win32'"));
    let files: Vec<&str> = winonly.files.iter().map(|f| f.filename()).collect();
    assert_eq!(
        files,
        [
            "winonly-1.0.tar.gz",
            "winonly-1.0-cp312-cp312-win_amd64.whl"
        ]
    );
}

#[test]
fn a_version_installable_nowhere_checked_gives_way_to_one_that_is() {
    // uv would lock 2.0 (its only wheel is for PowerPC macOS); pylock takes 1.0, which
    // installs everywhere the lock claims.
    let mut index = MemoryIndex::new();
    index
        .add("a", "1.0", "", &[], &["a-1.0.tar.gz"])
        .expect("release")
        .add(
            "a",
            "2.0",
            "",
            &[],
            &["a-2.0-py3-none-macosx_10_0_ppc64.whl"],
        )
        .expect("release");
    let r = universal(&index, &["a"], false).expect("resolves");
    assert_eq!(locked(&r), [("a".into(), "1.0".into(), None)]);
    assert!(r.environments.is_empty() && r.warnings.is_empty());
}

#[test]
fn only_foreign_wheels_lock_for_the_environments_they_fit() {
    let mut index = MemoryIndex::new();
    index
        .add(
            "a",
            "1.0",
            "",
            &[],
            &["a-1.0-py3-none-macosx_10_0_ppc64.whl"],
        )
        .expect("release");
    let r = universal(&index, &["a"], false).expect("resolves");
    assert_eq!(r.packages.len(), 1);
    // The checked environments are left out, with a warning naming the version.
    let env: pylock::MarkerTree = r.environments[0].parse().expect("marker");
    let linux = "sys_platform == 'linux' and platform_machine == 'x86_64' and python_full_version == '3.12.1' and implementation_name == 'cpython' and platform_python_implementation == 'CPython'"
        .parse::<pylock::MarkerTree>()
        .expect("marker");
    assert!(env.is_disjoint(&linux), "{}", r.environments[0]);
    assert!(
        r.warnings.join("\n").contains(
            "a 1.0: no wheel and no source distribution for CPython 3.10–3.15 on every platform"
        ),
        "{:?}",
        r.warnings
    );
    assert!(universal(&index, &["a"], true).is_err());
}

/// A Requires-Python capped at 4 (`>=3.11,<4`) says nothing about the Pythons a lock is for:
/// the fork it causes splits at 3.11 only, so no part of the lock is for Python 4 (where a
/// dependency reachable only there would be locked too; uv locks no such thing).
#[test]
fn a_requires_python_cap_at_4_makes_no_fork_for_python_4() {
    let mut index = MemoryIndex::new();
    index
        .add(
            "a",
            "1.0",
            ">=3.10",
            &["b; sys_platform == 'emscripten'"],
            &["a-1.0-py3-none-any.whl"],
        )
        .expect("a 1.0");
    index
        .add(
            "a",
            "2.0",
            ">=3.11,<4",
            &["b; sys_platform == 'emscripten' and python_version >= '3.12'"],
            &["a-2.0-py3-none-any.whl"],
        )
        .expect("a 2.0");
    for v in ["0.1", "1.0"] {
        let rp = if v == "1.0" { ">=3.12" } else { ">=3.10" };
        index
            .add("b", v, rp, &[], &[&format!("b-{v}-py3-none-any.whl")])
            .expect("b");
    }
    let r = universal(&index, &["a"], false).expect("resolves");
    let got = locked(&r);
    assert!(
        got.iter()
            .all(|(_, _, m)| !m.as_deref().unwrap_or("").contains("4.0")),
        "{got:?}"
    );
    assert_eq!(
        got,
        [
            (
                "a".into(),
                "1.0".into(),
                Some("python_full_version < '3.11'".into())
            ),
            (
                "a".into(),
                "2.0".into(),
                Some("python_full_version >= '3.11'".into())
            ),
            (
                "b".into(),
                "0.1".into(),
                Some("python_full_version < '3.11' and sys_platform == 'emscripten'".into())
            ),
            (
                "b".into(),
                "1.0".into(),
                Some("python_full_version >= '3.12' and sys_platform == 'emscripten'".into())
            ),
        ]
    );
}

/// A fork above a Requires-Python cap takes old versions; forks below do not prefer them:
/// Python 3.10 gets the newest versions that support it, as a lock for 3.10 alone would.
#[test]
fn forks_do_not_prefer_what_a_fork_above_a_cap_took() {
    let mut index = MemoryIndex::new();
    let wheel = |n: &str, v: &str| format!("{n}-{v}-py3-none-any.whl");
    for (v, rp, deps) in [
        ("1.0", ">=3.8", vec!["b<1.5"]),
        ("2.0", ">=3.10,<3.15", vec!["b"]),
    ] {
        index.add("a", v, rp, &deps, &[&wheel("a", v)]).expect("a");
    }
    for (v, rp) in [("0.9", ">=3.8"), ("1.0", ">=3.11,<3.16")] {
        index.add("c", v, rp, &[], &[&wheel("c", v)]).expect("c");
    }
    for (v, rp) in [("1.0", ">=3.8"), ("1.5", ">=3.10"), ("2.0", ">=3.11")] {
        index.add("b", v, rp, &[], &[&wheel("b", v)]).expect("b");
    }
    let r = universal(&index, &["c", "a"], false).expect("resolves");
    let b_for_310: Vec<String> = r
        .packages
        .iter()
        .filter(|p| p.name.to_string() == "b")
        .filter(|p| {
            p.marker
                .as_deref()
                .is_some_and(|m| m.contains("< '3.11'") || m.contains("3.10"))
        })
        .map(|p| p.version.to_string())
        .collect();
    assert_eq!(b_for_310, ["1.5"], "{:?}", locked(&r));
}
