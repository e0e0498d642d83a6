//! Every packse scenario in `fixtures/packse` and `fixtures/packse-uv`, one `#[test]` each (so
//! that a failure names its case and hides no other), judged as the outside suite judges it: a
//! satisfiable case must give exactly the expected (name, version) set, an unsatisfiable one must
//! fail with an explanation. `fixtures/packse-uv` holds more cases, with uv 0.13.8's results as
//! the expectation. A case the fixture marks `skip` is `#[ignore]`d with the fixture's reason;
//! `every_scenario_is_listed` keeps the lists below equal to the fixture directories.

use crate::support::{pairs, workspace, Scenario};
use pylock::{Fact, ResolveError};

/// Cases that are expected to fail, with the reason. None at present: the list stays so that a
/// known failure is written down here rather than skipped silently.
const EXPECTED_FAILURES: &[(&str, &str)] = &[];

/// One `#[test]` per case of a fixture group: `name` is the case's directory with `-` written
/// `_`; `name: ignore = "reason"` for a case the fixture skips (the reason is the fixture's).
macro_rules! cases {
    ($group:literal, $module:ident { $($name:ident $(: ignore = $reason:literal)?),* $(,)? }) => {
        mod $module {
            /// The listed cases and the reasons of the ignored ones.
            pub const LISTED: &[(&str, Option<&str>)] =
                &[$((stringify!($name), cases!(@reason $($reason)?))),*];
            $(
                #[test]
                $(#[ignore = $reason])?
                fn $name() {
                    super::run_case($group, stringify!($name));
                }
            )*
        }
    };
    (@reason) => { None };
    (@reason $reason:literal) => { Some($reason) };
}

/// The scenario `fixtures/<group>/<name>` (`ident` with `_` for `-`).
fn load(group: &str, ident: &str) -> Scenario {
    let dir = workspace()
        .join("fixtures")
        .join(group)
        .join(ident.replace('_', "-"));
    let text = std::fs::read_to_string(dir.join("scenario.json"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut s: Scenario = serde_json::from_str(&text).expect("scenario.json parses");
    s.dir = dir;
    s
}

/// Run one case; panics with what went wrong.
fn run_case(group: &str, ident: &str) {
    let s = load(group, ident);
    let outcome = s.run();
    if let Some((_, reason)) = EXPECTED_FAILURES.iter().find(|(n, _)| *n == s.name) {
        match outcome {
            Err(_) => return,
            other => panic!(
                "{}: listed as an expected failure ({reason}) but gave {:?}; update the list",
                s.name,
                other.map(|r| pairs(&r))
            ),
        }
    }
    match (s.expected.satisfiable, outcome) {
        (true, Ok(resolution)) => {
            if let Some(want) = s.expected_pairs() {
                assert_eq!(pairs(&resolution), want, "{}", s.name);
            }
        }
        (true, Err(e)) => panic!("{}: expected a solution, got: {e}", s.name),
        (false, Ok(r)) => panic!("{}: expected no solution, got {:?}", s.name, pairs(&r)),
        (false, Err(ResolveError::NoSolution { explanation, facts })) => {
            assert!(
                !explanation.trim().is_empty(),
                "{}: empty explanation",
                s.name
            );
            // The structured derivation starts from a requirement of the manifest.
            assert!(
                facts.iter().any(|f| matches!(f, Fact::Required { .. })),
                "{}: no requirement among the facts {facts:?}",
                s.name
            );
        }
        (false, Err(e)) => panic!(
            "{}: expected a no-solution explanation, got another error: {e}",
            s.name
        ),
    }
}

/// The lists of cases are the fixture directories, the ignored ones exactly those the fixture
/// skips, with its reason; every expected failure names a listed case.
#[test]
fn every_scenario_is_listed() {
    for (group, listed) in [("packse", packse::LISTED), ("packse-uv", packse_uv::LISTED)] {
        let on_disk: Vec<(String, Option<String>)> = crate::support::scenarios(group)
            .into_iter()
            .map(|s| (s.name.replace('-', "_"), s.skip))
            .collect();
        let listed: Vec<(String, Option<String>)> = listed
            .iter()
            .map(|(n, r)| ((*n).to_owned(), r.map(str::to_owned)))
            .collect();
        assert_eq!(
            listed, on_disk,
            "fixtures/{group}: update the list in scenarios.rs"
        );
    }
    for (name, _) in EXPECTED_FAILURES {
        let ident = name.replace('-', "_");
        assert!(
            packse::LISTED
                .iter()
                .chain(packse_uv::LISTED)
                .any(|(n, _)| *n == ident),
            "expected failure {name} is no listed case"
        );
    }
}

cases!("packse", packse {
    all_extras_required,
    compatible_python_incompatible_override,
    dependency_excludes_range_of_compatible_versions,
    example_toml,
    extra_does_not_exist_backtrack,
    extra_incompatible_with_root,
    fork_allows_non_conflicting_repeated_dependencies,
    fork_filter_sibling_dependencies,
    fork_marker_disjoint,
    fork_marker_inherit_combined_allowed,
    fork_marker_inherit_transitive,
    fork_marker_track,
    fork_non_local_fork_marker_transitive,
    fork_requires_python,
    fork_requires_python_patch_overlap,
    incompatible_python_compatible_override_available_no_wheels,
    incompatible_python_compatible_override_unavailable_no_wheels,
    local_less_than,
    local_not_used_with_sdist,
    local_transitive_backtrack,
    local_transitive_greater_than,
    local_transitive_less_than_or_equal,
    missing_extra,
    no_build: ignore = "needs --only-binary a (build options are not in the pylock CLI contract)",
    no_sdist_no_wheels_with_matching_python,
    no_wheels_with_matching_platform,
    package_multiple_prereleases_kinds,
    package_only_prereleases_boundary,
    package_only_yanked_in_range,
    package_prerelease_specified_only_prerelease_available,
    package_prereleases_specifier_boundary: ignore = "uv disagrees with packse's expectation: uv>=0.12 prefers the stable a==0.1.0 at the range boundary; packse expects a==0.2.0a1",
    post_equal_not_available,
    post_greater_than_or_equal_post,
    post_less_than,
    post_local_greater_than_post,
    preferences_dependent_forking_bistable,
    python_greater_than_current,
    python_greater_than_current_many,
    python_patch_override_no_patch,
    requires_exact_version_does_not_exist,
    requires_package_does_not_exist,
    requires_package_yanked_and_unyanked_any,
    specific_architecture,
    transitive_incompatible_with_root_version,
    transitive_package_only_prereleases_in_range: ignore = "uv disagrees with packse's expectation: uv>=0.12 expects b==1.0.0a1 (only a pre-release satisfies b>0.1); packse expects unsatisfiable",
    transitive_package_only_yanked_in_range,
    transitive_prerelease_and_stable_dependency_many_versions: ignore = "uv disagrees with packse's expectation: uv>=0.12 expects c==2.0.0b9 (transitive pre-release opt-in); packse expects unsatisfiable",
    transitive_requires_package_does_not_exist,
    unreachable_package,
    wrong_backtracking_basic,
});

cases!(
    "packse-uv",
    packse_uv {
        conflict_in_fork,
        fork_allows_non_conflicting_non_overlapping_dependencies,
        fork_basic,
        fork_incomplete_markers,
        fork_marker_inherit,
        fork_marker_inherit_combined,
        fork_marker_inherit_combined_disallowed,
        fork_marker_inherit_isolated,
        fork_marker_limited_inherit,
        fork_overlapping_markers_basic,
        fork_python_and_platform,
        fork_requires_python_full,
        fork_requires_python_full_prerelease,
        fork_threeway,
        fork_upgrade,
        local_transitive_conflicting,
        local_transitive_confounding,
        no_sdist_no_wheels_with_matching_abi,
        package_multiple_prereleases_numbers,
        package_prerelease_specified_mixed_available,
        preferences_dependent_forking,
        preferences_dependent_forking_conflicting,
        preferences_dependent_forking_tristable,
        prerelease_disallow_only_prereleases,
        prerelease_explicit_mode,
        prerelease_if_necessary_or_explicit,
        python_greater_than_current_excluded,
        requires_package_prerelease_and_final_any,
        requires_python_wheels,
        resolution_lowest,
        resolution_lowest_direct,
        transitive_package_only_prereleases,
        transitive_package_only_prereleases_in_range_opt_in,
        transitive_prerelease_and_stable_dependency,
        universal_constraint_with_marker,
        universal_extras_markers,
        universal_newer_python_newer_version,
        universal_only_foreign_wheels,
        universal_override,
        universal_override_with_marker,
        universal_python_split_deps,
        universal_transitive_marker_conflict,
        unreachable_wheels,
        yanked_pinned_root,
        yanked_pinned_transitive,
    }
);

/// The real PyPI snapshots resolve for Linux / CPython 3.12 to exactly the versions uv 0.13.8
/// chose on the same index.
#[test]
fn realworld_single_environment_matches_uv() {
    for set in ["black", "trio", "jupyter"] {
        let dir = crate::support::workspace()
            .join("fixtures/realworld")
            .join(set);
        let mut manifest = pylock::Manifest::default();
        manifest
            .add_file(&dir.join("requirements.in"), pylock::Role::Requirement)
            .expect("requirements");
        let target = pylock::Target::single("3.12", "linux", None).expect("target");
        let index = pylock::LocalIndex::new(dir.join("index/simple")).expect("index");
        let resolution = pylock::resolve(&manifest, &target, &Default::default(), &index)
            .unwrap_or_else(|e| panic!("{set}: {e}"));
        let uv: toml::Value = toml::from_str(
            &std::fs::read_to_string(dir.join("uv-linux-py312.pylock.toml")).expect("uv lock"),
        )
        .expect("uv lock parses");
        let mut want: Vec<(String, String)> = uv["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().expect("name").to_owned(),
                    p["version"].as_str().expect("version").to_owned(),
                )
            })
            .collect();
        want.sort();
        let got: Vec<(String, String)> = resolution
            .packages
            .iter()
            .map(|p| (p.name.to_string(), p.version.to_string()))
            .collect();
        assert_eq!(got, want, "{set}");
    }
}

/// Universal locks of the real snapshots hold uv 0.13.8's (name, version) pairs. The one
/// difference is deliberate: apache-airflow 3.3.2 requires `!=3.15` (Python 3.15.0 exactly),
/// which uv ignores; pylock gives Python 3.15.0 versions that install there.
#[test]
fn realworld_universal_matches_uv() {
    use std::collections::BTreeSet;
    for set in ["black", "trio", "jupyter", "boto", "large", "backtrack"] {
        let dir = crate::support::workspace()
            .join("fixtures/realworld")
            .join(set);
        let mut manifest = pylock::Manifest::default();
        manifest
            .add_file(&dir.join("requirements.in"), pylock::Role::Requirement)
            .expect("requirements");
        let index = pylock::LocalIndex::new(dir.join("index/simple")).expect("index");
        let target = pylock::Target::universal(Some(">=3.10".parse().expect("spec")));
        let resolution = pylock::resolve(&manifest, &target, &Default::default(), &index)
            .unwrap_or_else(|e| panic!("{set}: {e}"));
        let uv: toml::Value = toml::from_str(
            &std::fs::read_to_string(dir.join("uv-universal.pylock.toml")).expect("uv lock"),
        )
        .expect("uv lock parses");
        let want: BTreeSet<(String, String)> = uv["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().expect("name").to_owned(),
                    p["version"].as_str().expect("version").to_owned(),
                )
            })
            .collect();
        let mut got = BTreeSet::new();
        for p in &resolution.packages {
            let pair = (p.name.to_string(), p.version.to_string());
            let at_315_only = p.marker.as_deref().is_some_and(|m| {
                let tree: pylock::MarkerTree = m.parse().expect("marker");
                only_at_python_315(&tree)
            });
            if !want.contains(&pair) && set == "large" && at_315_only {
                continue;
            }
            got.insert(pair);
        }
        assert_eq!(got, want, "{set}");
    }
}

/// Whether `marker` holds only on Python 3.15: in no checked environment of an older Python.
fn only_at_python_315(marker: &pylock::MarkerTree) -> bool {
    let minors = pylock::Target::PYTHON_MINORS;
    (*minors.start()..15).all(|minor| {
        pylock::Target::PLATFORMS.iter().all(|platform| {
            let target =
                pylock::Target::single(&format!("3.{minor}"), platform, None).expect("target");
            let env = target.environment().expect("single environment");
            !marker.evaluate(&env, &[])
        })
    })
}
