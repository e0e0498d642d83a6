//! The dependency edges of a resolution (`ResolvedPackage::dependencies`, `Resolution::roots`):
//! markers, extras (requested of a dependency, and the extra that brings one) and the version
//! each edge resolved to where a package is locked at several.

use pylock::{resolve, Dependency, Manifest, MemoryIndex, Options, Resolution, Role, Target};

fn index() -> MemoryIndex {
    let mut index = MemoryIndex::new();
    let requires = [
        "lib>=1",
        "cli-dep; extra == 'cli'",
        "winonly; sys_platform == 'win32'",
        "numpy<2; python_version < '3.12'",
        "numpy>=2; python_version >= '3.12'",
    ];
    index
        .add("app", "1.0", "", &requires, &["app-1.0-py3-none-any.whl"])
        .expect("app");
    index
        .add(
            "lib",
            "1.0",
            "",
            &["util[fast]>=1"],
            &["lib-1.0-py3-none-any.whl"],
        )
        .expect("lib");
    index
        .add(
            "util",
            "1.0",
            "",
            &["speedup; extra == 'fast'"],
            &["util-1.0-py3-none-any.whl"],
        )
        .expect("util");
    for (name, version, requires) in [
        ("speedup", "1.0", None),
        ("cli-dep", "1.0", None),
        ("winonly", "1.0", None),
        ("numpy", "1.26", Some("oldhelper")),
        ("numpy", "2.1", Some("newhelper")),
        ("oldhelper", "1.0", None),
        ("newhelper", "1.0", None),
        ("unused", "1.0", None),
    ] {
        let file = format!("{}-{version}-py3-none-any.whl", name.replace('-', "_"));
        let requires: Vec<&str> = requires.into_iter().collect();
        index
            .add(name, version, "", &requires, &[file.as_str()])
            .expect("release");
    }
    index
}

fn resolved(target: &Target) -> Resolution {
    let mut manifest = Manifest::default();
    manifest
        .add_str("app[cli]", Role::Requirement)
        .expect("req");
    resolve(&manifest, target, &Options::default(), &index()).expect("resolves")
}

/// `name version [extras] (via extra) ; marker`, one per edge.
fn show(deps: &[Dependency]) -> Vec<String> {
    deps.iter()
        .map(|d| {
            let mut s = format!("{} {}", d.name, d.version);
            if !d.extras.is_empty() {
                let extras: Vec<String> = d.extras.iter().map(ToString::to_string).collect();
                s.push_str(&format!(" [{}]", extras.join(",")));
            }
            if let Some(e) = &d.via_extra {
                s.push_str(&format!(" (via {e})"));
            }
            if let Some(m) = &d.marker {
                s.push_str(&format!(" ; {m}"));
            }
            s
        })
        .collect()
}

fn edges_of(r: &Resolution, name: &str) -> Vec<Vec<String>> {
    r.packages
        .iter()
        .filter(|p| p.name.as_ref() == name)
        .map(|p| show(&p.dependencies))
        .collect()
}

#[test]
fn universal_edges_carry_markers_extras_and_versions() {
    let r = resolved(&Target::universal(Some(">=3.10".parse().expect("spec"))));
    assert_eq!(show(&r.roots), ["app 1.0 [cli]"]);
    assert_eq!(
        edges_of(&r, "app"),
        [[
            "lib 1.0",
            "numpy 1.26 ; python_full_version < '3.12'",
            "numpy 2.1 ; python_full_version >= '3.12'",
            "winonly 1.0 ; sys_platform == 'win32'",
            "cli-dep 1.0 (via cli)",
        ]]
    );
    assert_eq!(edges_of(&r, "lib"), [["util 1.0 [fast]"]]);
    assert_eq!(edges_of(&r, "util"), [["speedup 1.0 (via fast)"]]);
    // Each entry of a package locked at two versions has its own edges.
    assert_eq!(
        edges_of(&r, "numpy"),
        [["oldhelper 1.0"], ["newhelper 1.0"]]
    );
    for leaf in ["cli-dep", "speedup", "winonly", "oldhelper", "newhelper"] {
        assert!(edges_of(&r, leaf).iter().all(Vec::is_empty), "{leaf}");
    }
    // Every edge points at an entry of the resolution.
    let all = r
        .packages
        .iter()
        .flat_map(|p| &p.dependencies)
        .chain(&r.roots);
    for d in all {
        assert!(
            r.packages
                .iter()
                .any(|p| p.name == d.name && p.version == d.version),
            "{d:?}"
        );
    }
}

#[test]
fn single_environment_edges_are_those_that_apply_there() {
    let target = Target::single("3.12", "linux", None).expect("target");
    let r = resolved(&target);
    assert_eq!(show(&r.roots), ["app 1.0 [cli]"]);
    assert_eq!(
        edges_of(&r, "app"),
        [["lib 1.0", "numpy 2.1", "cli-dep 1.0 (via cli)"]]
    );
    assert_eq!(edges_of(&r, "util"), [["speedup 1.0 (via fast)"]]);
}

#[test]
fn an_extra_nobody_requests_adds_no_edges() {
    let mut manifest = Manifest::default();
    manifest.add_str("app", Role::Requirement).expect("req");
    let target = Target::single("3.12", "linux", None).expect("target");
    let r = resolve(&manifest, &target, &Options::default(), &index()).expect("resolves");
    assert_eq!(show(&r.roots), ["app 1.0"]);
    assert_eq!(edges_of(&r, "app"), [["lib 1.0", "numpy 2.1"]]);
    assert!(r.packages.iter().all(|p| p.name.as_ref() != "cli-dep"));
}
