//! Tests of the read-ahead: forks' likely versions and backtracking walks.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Mutex;

use pubgrub::VersionSet;

use super::super::{DependencyMemo, Preferences};
use super::*;
use crate::index::MemoryIndex;
use crate::manifest::{Manifest, Role, Target};
use crate::pep::{MarkerTree, Version};
use crate::resolve::fetch::{Fetcher, FilterSpec};
use crate::resolve::inputs::Inputs;
use crate::resolve::scope::Scope;
use crate::resolve::Options;

#[test]
fn intersect_all_is_the_fold_of_intersections() {
    let v = |s: &str| Version::from_str(s).expect("a version");
    let ranges: Vec<Range> = (0..7)
        .map(|i| Range::singleton(v(&format!("0.{i}"))).complement())
        .chain([
            Range::higher_than(v("0.2")),
            Range::strictly_lower_than(v("0.6")),
        ])
        .collect();
    let folded = (ranges.iter()).fold(Range::full(), |acc, r| acc.intersection(r));
    let intersect_all =
        |ranges: Vec<Range>| crate::pep::intersect_all(&ranges.iter().collect::<Vec<_>>());
    assert_eq!(intersect_all(ranges), folded);
    assert_eq!(intersect_all(Vec::new()), Range::full());
}

fn fetcher(index: &MemoryIndex) -> Fetcher<'_> {
    let spec = FilterSpec {
        python: None,
        tags: None,
        exclude_newer: None,
        allowed_yanks: HashSet::new(),
        env: None,
        lowest_python: None,
    };
    Fetcher::new(index, spec)
}

fn name(s: &str) -> PackageName {
    PackageName::from_str(s).expect("name")
}

fn v(s: &str) -> Version {
    Version::from_str(s).expect("version")
}

/// A universal resolve of `a` for Python >= 3.10, and a provider for the fork `region`.
fn with_fork<T>(
    index: &MemoryIndex,
    preferences: &Preferences,
    region: &str,
    test: impl FnOnce(&Fetcher<'_>, &Provider<'_>) -> T,
) -> T {
    with_fork_of("a", index, preferences, region, test)
}

/// [`with_fork`], resolving `requirement`.
fn with_fork_of<T>(
    requirement: &str,
    index: &MemoryIndex,
    preferences: &Preferences,
    region: &str,
    test: impl FnOnce(&Fetcher<'_>, &Provider<'_>) -> T,
) -> T {
    let mut manifest = Manifest::default();
    manifest
        .add_str(requirement, Role::Requirement)
        .expect("req");
    let target = Target::universal(Some(">=3.10".parse().expect("spec")));
    let inputs = Inputs::new(&manifest, &target);
    let fetcher = fetcher(index);
    let options = Options::default();
    let region = MarkerTree::from_str(region).expect("marker");
    let scope = Scope::fork(region, &inputs.env_set);
    let provider = Provider::new(
        scope,
        &inputs,
        &options,
        &fetcher,
        preferences,
        vec![],
        DependencyMemo::default(),
    );
    test(&fetcher, &provider)
}

#[test]
fn a_fork_prefetches_the_versions_it_will_take() {
    let mut index = MemoryIndex::new();
    index
        .add("a", "1.0", "", &[], &["a-1.0-py3-none-any.whl"])
        .expect("a 1.0");
    index
        .add("a", "2.0", ">=3.11", &[], &["a-2.0-py3-none-any.whl"])
        .expect("a 2.0");
    let a = name("a");
    // An earlier fork (Python >= 3.11) took a 2.0; this one is for Python 3.10.
    let preferences: Preferences = Mutex::new(HashMap::from([(a.clone(), vec![v("2.0")])]));
    with_fork(
        &index,
        &preferences,
        "python_full_version < '3.11'",
        |fetcher, provider| {
            fetcher.page(&a).expect("page");
            provider.prefetch_preferred();
            assert!(fetcher.metadata_requested(&a, &v("1.0")));
            assert!(!fetcher.metadata_requested(&a, &v("2.0")));
        },
    );
}

#[test]
fn backtracking_reads_ahead_only_versions_the_fork_can_install() {
    // Versions 1.x have wheels only for Python 2 (as torch 1.x has none for 3.15), 2.x
    // for any Python 3. Reading 1.x's metadata ahead would be wasted: the fork rejects
    // them on their files alone.
    let mut index = MemoryIndex::new();
    for version in ["1.0", "1.1", "1.2"] {
        let wheel = format!("a-{version}-py2-none-any.whl");
        index
            .add("a", version, "", &[], &[wheel.as_str()])
            .expect("py2 release");
    }
    for version in ["2.0", "2.1", "2.2", "2.3"] {
        let wheel = format!("a-{version}-py3-none-any.whl");
        index
            .add("a", version, "", &[], &[wheel.as_str()])
            .expect("py3 release");
    }
    let a = name("a");
    let preferences: Preferences = Mutex::new(HashMap::new());
    with_fork(
        &index,
        &preferences,
        "python_full_version >= '3.10'",
        |fetcher, provider| {
            let page = fetcher.page(&a).expect("page").expect("listed");
            let newest = page.versions.last().expect("versions").clone();
            // Taking the newest version again (a restart) is no walk: nothing is queued.
            for _ in 0..3 {
                provider.prefetch_older(&a, &page, &newest, &Atoms::full());
            }
            assert!(!fetcher.metadata_requested(&a, &v("2.0")));
            // The solver steps down to the next version: the batch is queued then.
            let next = page.versions[page.versions.len() - 2].clone();
            provider.prefetch_older(&a, &page, &next, &Atoms::full());
            for version in ["2.0", "2.1"] {
                assert!(fetcher.metadata_requested(&a, &v(version)), "{version}");
            }
            for version in ["1.0", "1.1", "1.2"] {
                assert!(!fetcher.metadata_requested(&a, &v(version)), "{version}");
            }
        },
    );
}

#[test]
fn a_walk_pinned_one_version_at_a_time_reads_older_versions_ahead() {
    // As boto3 pins botocore: the range holds one version each time the solver steps
    // down, so the next version it takes is outside today's range.
    let index = wheels_of_a(&ten_minors());
    let a = name("a");
    let preferences: Preferences = Mutex::new(HashMap::new());
    with_fork_of(
        "a>=1.3",
        &index,
        &preferences,
        "python_full_version >= '3.10'",
        |fetcher, provider| {
            let page = fetcher.page(&a).expect("page").expect("listed");
            for version in ["1.9", "1.8"] {
                let taken = page.get(&v(version)).expect("listed").clone();
                let pinned = Atoms::align(&Range::singleton(v(version)), &page.versions);
                provider.prefetch_older(&a, &page, &taken, &pinned);
            }
            for version in ["1.7", "1.5", "1.3"] {
                assert!(fetcher.metadata_requested(&a, &v(version)), "{version}");
            }
            // Below what the root requirement allows: never taken, never read.
            assert!(!fetcher.metadata_requested(&a, &v("1.2")));
        },
    );
}

/// An index of `a` with a py3 wheel for each of `versions`.
fn wheels_of_a(versions: &[String]) -> MemoryIndex {
    releases_of_a(versions, |version| format!("a-{version}-py3-none-any.whl"))
}

/// An index of `a` with one file for each of `versions`, named by `file`.
fn releases_of_a(versions: &[String], file: impl Fn(&str) -> String) -> MemoryIndex {
    let mut index = MemoryIndex::new();
    for version in versions {
        index
            .add("a", version, "", &[], &[file(version).as_str()])
            .expect("release");
    }
    index
}

/// `1.0` to `1.9`.
fn ten_minors() -> Vec<String> {
    (0..10).map(|minor| format!("1.{minor}")).collect()
}

#[test]
fn a_walk_that_jumps_reads_ahead_once_a_few_versions_were_taken() {
    // As the apache-airflow-providers walks of a live airflow resolve: each conflict rules
    // out several versions at once, and the solver jumps down.
    let versions: Vec<String> = (0..20).map(|minor| format!("1.{minor}")).collect();
    let index = wheels_of_a(&versions);
    let a = name("a");
    let preferences: Preferences = Mutex::new(HashMap::new());
    with_fork(
        &index,
        &preferences,
        "python_full_version >= '3.10'",
        |fetcher, provider| {
            let page = fetcher.page(&a).expect("page").expect("listed");
            let take = |version: &str| {
                let taken = page.get(&v(version)).expect("listed").clone();
                let below =
                    Range::strictly_lower_than(v(version)).union(&Range::singleton(v(version)));
                let below = Atoms::align(&below, &page.versions);
                provider.prefetch_older(&a, &page, &taken, &below);
            };
            for version in ["1.19", "1.16", "1.13", "1.10"] {
                take(version);
            }
            for version in ["1.9", "1.8", "1.1"] {
                assert!(
                    !fetcher.metadata_requested(&a, &v(version)),
                    "{version} after 4"
                );
            }
            take("1.7");
            for version in ["1.6", "1.3", "1.0"] {
                assert!(fetcher.metadata_requested(&a, &v(version)), "{version}");
            }
            assert!(
                !fetcher.metadata_requested(&a, &v("1.8")),
                "above the one taken"
            );
        },
    );
}

#[test]
fn pre_releases_between_releases_do_not_break_a_walk() {
    // Each release has an rc before it; the solver takes stable versions first, so 1.2
    // after 1.3 is the next step down, and the rcs are never read ahead.
    let versions: Vec<String> = (0..4)
        .flat_map(|minor| [format!("1.{minor}rc1"), format!("1.{minor}")])
        .collect();
    let index = wheels_of_a(&versions);
    let a = name("a");
    let preferences: Preferences = Mutex::new(HashMap::new());
    with_fork(
        &index,
        &preferences,
        "python_full_version >= '3.10'",
        |fetcher, provider| {
            let page = fetcher.page(&a).expect("page").expect("listed");
            for version in ["1.3", "1.2"] {
                let taken = page.get(&v(version)).expect("listed").clone();
                provider.prefetch_older(&a, &page, &taken, &Atoms::full());
            }
            for version in ["1.1", "1.0"] {
                assert!(fetcher.metadata_requested(&a, &v(version)), "{version}");
            }
            for version in ["1.1rc1", "1.0rc1"] {
                assert!(!fetcher.metadata_requested(&a, &v(version)), "{version}");
            }
        },
    );
}

#[test]
fn a_walk_reads_a_few_sdist_only_versions_ahead() {
    // Old releases with an sdist only and no PEP 658 file: each one's metadata is a
    // whole download, read ahead a few at a time.
    let index = releases_of_a(&ten_minors(), |version| format!("a-{version}.tar.gz"));
    let a = name("a");
    let preferences: Preferences = Mutex::new(HashMap::new());
    with_fork(
        &index,
        &preferences,
        "python_full_version >= '3.10'",
        |fetcher, provider| {
            let listed = fetcher.page(&a).expect("page").expect("listed");
            // The memory index advertises metadata for every file; PyPI's old sdists
            // have none.
            let unadvertised = |c: &Arc<Candidate>| {
                let strip = |f: &Arc<crate::index::DistFile>| {
                    let mut file = (**f).clone();
                    file.core_metadata = None;
                    Arc::new(file)
                };
                Arc::new(Candidate::new(
                    c.version.clone(),
                    c.files().iter().map(strip).collect(),
                    c.all_files().iter().map(strip).collect(),
                    c.unusable.clone(),
                ))
            };
            let page = Candidates {
                versions: listed.versions.iter().map(unadvertised).collect(),
            };
            assert!(!page.versions[0].cheap_metadata());
            for version in ["1.9", "1.8"] {
                let taken = page.get(&v(version)).expect("listed").clone();
                provider.prefetch_older(&a, &page, &taken, &Atoms::full());
            }
            let read: Vec<&str> = ["1.7", "1.6", "1.5", "1.4", "1.3", "1.2"]
                .into_iter()
                .filter(|version| fetcher.metadata_requested(&a, &v(version)))
                .collect();
            assert_eq!(read, ["1.7", "1.6", "1.5", "1.4"]);
            // One more step down reads one more.
            let taken = page.get(&v("1.7")).expect("listed").clone();
            provider.prefetch_older(&a, &page, &taken, &Atoms::full());
            assert!(fetcher.metadata_requested(&a, &v("1.3")));
            assert!(!fetcher.metadata_requested(&a, &v("1.2")));
        },
    );
}

/// The solver's priorities must not depend on which pages have arrived: a package whose
/// range holds one listed version is pinned whether or not its page was read before.
#[test]
fn priority_does_not_depend_on_what_has_arrived() {
    use pubgrub::{DependencyProvider, PackageResolutionStatistics};

    use crate::resolve::atoms::Atoms;
    use crate::resolve::pkg::Pkg;

    let index = wheels_of_a(&["1.0".to_owned(), "2.0".to_owned()]);
    let preferences: Preferences = Mutex::new(HashMap::new());
    with_fork(
        &index,
        &preferences,
        "python_full_version >= '3.10'",
        |fetcher, provider| {
            let a = name("a");
            assert!(fetcher.page_if_ready(&a).is_none(), "nothing read yet");
            // The solver's range, aligned to the listing it will get.
            let listing = crate::resolve::candidates::releases(&["1.0", "2.0"]);
            let one = Atoms::align(&Range::singleton(v("1.0")), &listing);
            let stats = PackageResolutionStatistics::default();
            let (pinned, ..) = provider.prioritize(&Pkg::Package(a), &one, &stats);
            assert!(pinned);
        },
    );
}

/// The edges of a version the solve asked dependencies for are computed once: the merge of
/// a solved fork walks every decided version's edges again (where each node is needed), and
/// read them from its metadata a second time (31M instructions of 393M on the solver thread
/// of a warm universal `large` resolve).
#[test]
fn a_decided_version_s_edges_are_computed_once() {
    use std::sync::Arc;

    use pubgrub::DependencyProvider;

    use crate::resolve::atoms::SolverVersion;
    use crate::resolve::pkg::Pkg;

    let mut index = MemoryIndex::new();
    index
        .add("a", "1.0", "", &["b>=1"], &["a-1.0-py3-none-any.whl"])
        .expect("a 1.0");
    index
        .add("b", "1.0", "", &[], &["b-1.0-py3-none-any.whl"])
        .expect("b 1.0");
    let preferences: Preferences = Mutex::new(HashMap::new());
    with_fork(
        &index,
        &preferences,
        "python_full_version >= '3.10'",
        |fetcher, provider| {
            let a = Pkg::Package(name("a"));
            let page = fetcher.page(&name("a")).expect("page").expect("listed");
            let before = provider.edges_of(&a, &v("1.0"));
            assert!(before.is_empty(), "metadata not read yet: no edges");
            let version = SolverVersion::listed(&page.versions, 0);
            provider
                .get_dependencies(&a, &version)
                .expect("dependencies");
            let edges = provider.edges_of(&a, &v("1.0"));
            assert_eq!(edges.len(), 1);
            assert_eq!(edges[0].pkg, Pkg::Package(name("b")));
            assert!(
                Arc::ptr_eq(&edges, &provider.edges_of(&a, &v("1.0"))),
                "the solve's edges, not computed again"
            );
        },
    );
}
