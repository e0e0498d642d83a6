//! What a provider queues ahead of its solver: the older versions a backtracking solve will
//! try next, and, for a fork, the versions earlier forks' choices suggest it will take.

use std::sync::Arc;

use super::Provider;
use crate::pep::{PackageName, Range};
use crate::resolve::candidates::{Candidate, Candidates};
use crate::resolve::scope::{PythonFit, Scope};
use crate::util::lock;

/// How the solver has chosen one package's versions so far, in the order it tries them.
#[derive(Default)]
pub(super) struct Walk {
    /// Consecutive versions taken one after the other (a walk down after conflicts).
    steps: usize,
    /// Versions taken, each counted when it differs from the one taken before (steps and
    /// jumps alike).
    taken: usize,
    /// The position of the version taken last.
    last: Option<usize>,
    /// How far older versions were queued ahead.
    queued_to: usize,
    /// What the root requirements allow ([`Provider::root_range`]), worked out once: a
    /// requirements file may list thousands of exclusions of one package.
    allowed: Option<Arc<Range>>,
}

/// Consecutive steps down after which a walk's older versions are read ahead.
const AFTER: usize = 2;
/// Versions taken, however far apart, after which they are read ahead (uv reads ahead after
/// five tried versions; measured on fixtures/realworld large and backtrack: see
/// benches/README.md, session 12, walks).
const JUMPS: usize = 5;
/// Positions (in the order the solver tries versions) read ahead at a time, at most.
const BATCH: usize = 50;
/// Positions read ahead at a time per version taken, below [`BATCH`].
const GROWTH: usize = 4;
/// Versions only a whole download tells about (sdist-only) read ahead at a time.
const DOWNLOADS: usize = 4;

/// The intersection of `ranges`, pairwise in rounds: a requirements file may exclude
/// 100,000 versions of one package, and folding one range at a time into the growing
/// result is quadratic in them (minutes); rounds are `n log n`.
fn intersect_all(mut ranges: Vec<Range>) -> Range {
    while ranges.len() > 1 {
        ranges = (ranges.chunks(2))
            .map(|pair| match pair {
                [a, b] => a.intersection(b),
                [a] => a.clone(),
                _ => Range::full(),
            })
            .collect();
    }
    ranges.pop().unwrap_or_else(Range::full)
}

impl Provider<'_> {
    /// Before a fork's solve: queue the metadata of the version the fork will likely take
    /// for each package earlier forks resolved (the version they chose if it fits this
    /// fork's Pythons, else the newest stable one that does). Where a fork decides
    /// differently, it then reads those in parallel rather than one round trip per package.
    pub fn prefetch_preferred(&self) {
        let names: Vec<PackageName> = lock(self.preferences).keys().cloned().collect();
        for name in names {
            let preferred = self.preferred_versions(&name, self.lowest_first(&name));
            let Some(Some(candidates)) = self.fetcher.page_if_ready(&name) else {
                continue;
            };
            let fits = |c: &&Arc<Candidate>| {
                c.unusable.is_none() && self.page_python_fit(c).0 == PythonFit::All
            };
            let by_preference = preferred.iter().filter_map(|v| candidates.get(v));
            let newest_stable = candidates
                .versions
                .iter()
                .rev()
                .filter(|c| !c.version.any_prerelease());
            if let Some(pick) = by_preference.chain(newest_stable).find(fits) {
                self.fetcher
                    .prefetch_metadata(&name, std::slice::from_ref(pick));
            }
        }
    }

    /// When the solver keeps coming back to a package (backtracking), fetch the metadata of
    /// the next versions it will try, in parallel, instead of one round trip per version.
    ///
    /// It reads ahead once the solver has stepped down twice in a row, or has taken
    /// [`JUMPS`] versions of the package however far apart: the apache-airflow-providers
    /// walks of a live airflow resolve jump (a merged incompatibility rules out several
    /// versions at once) and were read one round trip per version. Versions whose metadata
    /// only a whole download tells (sdist-only releases) are read ahead too, [`DOWNLOADS`]
    /// at a time.
    pub(super) fn prefetch_older(
        &self,
        name: &PackageName,
        candidates: &Candidates,
        chosen: &Candidate,
        range: &Range,
    ) {
        let lowest_first = self.lowest_first(name);
        let len = candidates.versions.len();
        // Positions in the order the solver tries versions.
        let Ok(at) = candidates
            .versions
            .binary_search_by(|c| c.version.cmp(&chosen.version))
        else {
            return;
        };
        let tried = if lowest_first { at } else { len - 1 - at };
        let position = |t: usize| {
            if lowest_first {
                &candidates.versions[t]
            } else {
                &candidates.versions[len - 1 - t]
            }
        };
        // The solver takes stable versions first: the pre-releases between two stable ones
        // (airflow's providers publish an rc before every release) are passed over.
        let stable = !chosen.version.any_prerelease();
        let passed_over =
            |c: &Candidate| c.unusable.is_some() || (stable && c.version.any_prerelease());
        let batch = {
            let mut choices = lock(&self.choices);
            let walk = choices.entry(name.clone()).or_default();
            // A step of a walk: the next version the solver may take after the one it took
            // last (only versions it passes over in between). Taking the same version again
            // (a restart, another branch) is no walk; jumping over versions a conflict ruled
            // out restarts the count of steps.
            let step = match walk.last {
                None => true,
                Some(last) => tried > last && (last + 1..tried).all(|t| passed_over(position(t))),
            };
            if walk.last != Some(tried) {
                walk.taken += 1;
            }
            if step {
                walk.steps += 1;
            } else if walk.last.is_some_and(|last| tried != last) {
                walk.steps = 1;
            }
            walk.last = Some(tried);
            if walk.steps < AFTER && walk.taken < JUMPS {
                return;
            }
            // A batch grows with the walk, up to [`BATCH`] positions: where a walk stops
            // is unknown (an airflow provider's walk ends after a dozen versions, boto3's
            // after a thousand), and what is read past its end is wasted.
            let size = BATCH.min(GROWTH * walk.taken);
            // Queue a new batch only when fewer than half a batch is queued ahead: the
            // solver walks down one version at a time, and each step would otherwise look
            // at the same versions again.
            (walk.queued_to < tried + size / 2).then(|| {
                let from = walk.queued_to.max(tried + 1);
                let to = (tried + 1 + size).min(len);
                walk.queued_to = to;
                (from, to)
            })
        };
        let fits = |c: &&Arc<Candidate>| !passed_over(c) && self.installs_here(c);
        if let Some((from, to)) = batch {
            let window = (from..to)
                .map(position)
                .filter(fits)
                .filter(|c| c.cheap_metadata());
            let next = self.likely_next(name, window.collect(), range);
            self.fetcher.prefetch_metadata(name, &next);
        }
        // The next few versions only a whole download tells about, on every step (queued
        // ones are not queued again): a batch of fifty sdists would be megabytes read for
        // versions the solver may never reach.
        let ahead = (tried + 1..(tried + 1 + BATCH).min(len)).map(position);
        let downloads = ahead.filter(|c| !c.cheap_metadata()).filter(fits);
        let mut next = self.likely_next(name, downloads.collect(), range);
        next.truncate(DOWNLOADS);
        self.fetcher.prefetch_downloads(name, &next);
    }

    /// Of `window` (versions below the one taken, in the order the solver tries them), those
    /// it will likely take next: those in `range`, the solver's range for `name`, unless it
    /// holds (almost) none of them.
    fn likely_next(
        &self,
        name: &PackageName,
        window: Vec<&Arc<Candidate>>,
        range: &Range,
    ) -> Vec<Arc<Candidate>> {
        if window.is_empty() {
            return Vec::new();
        }
        let in_range: Vec<Arc<Candidate>> = (window.iter())
            .filter(|c| range.contains(&c.version))
            .map(|c| Arc::clone(c))
            .collect();
        // A walk whose range holds (almost) nothing below the version taken is a walk in
        // step with another package's: each boto3 version pins botocore to its own release,
        // so botocore's range holds one version at a time and the next one it takes is the
        // next older one, out of today's range. Read those ahead in order (within what the
        // root requirements allow), or each is one round trip the solver waits for.
        if in_range.len() >= AFTER {
            return in_range;
        }
        let allowed = {
            let mut choices = lock(&self.choices);
            let walk = choices.entry(name.clone()).or_default();
            let allowed = walk
                .allowed
                .get_or_insert_with(|| Arc::new(self.root_range(name)));
            Arc::clone(allowed)
        };
        (window.into_iter())
            .filter(|c| allowed.contains(&c.version))
            .cloned()
            .collect()
    }

    /// The versions of `name` every root requirement of this scope allows (those that hold
    /// everywhere in it): no solve can take another.
    fn root_range(&self, name: &PackageName) -> Range {
        let ranges = (self.root.iter())
            .filter(|e| e.pkg.name() == Some(name) && e.marker.is_true())
            .map(|e| e.range.clone());
        intersect_all(ranges.collect())
    }

    /// Whether `c` can be taken somewhere in this scope without its metadata saying so: its
    /// files fit the scope's Pythons and install in at least one of its environments. The
    /// versions a fork rejects on their files alone (torch 1.x in a Python 3.15 fork, with
    /// 1.2 MB of zip directory to range-read per version where the index has no PEP 658
    /// file) are never worth reading ahead.
    fn installs_here(&self, c: &Candidate) -> bool {
        if self.page_python_fit(c).0 != PythonFit::All {
            return false;
        }
        match &self.scope {
            Scope::Fork { envs, .. } => {
                envs.is_empty() || self.inputs.env_set.uncovered(&c.files, envs).len() < envs.len()
            }
            Scope::Single { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::str::FromStr;
    use std::sync::Mutex;

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
                    provider.prefetch_older(&a, &page, &newest, &Range::full());
                }
                assert!(!fetcher.metadata_requested(&a, &v("2.0")));
                // The solver steps down to the next version: the batch is queued then.
                let next = page.versions[page.versions.len() - 2].clone();
                provider.prefetch_older(&a, &page, &next, &Range::full());
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
        let mut index = MemoryIndex::new();
        for minor in 0..10 {
            let version = format!("1.{minor}");
            let wheel = format!("a-{version}-py3-none-any.whl");
            index
                .add("a", &version, "", &[], &[wheel.as_str()])
                .expect("release");
        }
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
                    let pinned = Range::singleton(v(version));
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
        let mut index = MemoryIndex::new();
        for version in versions {
            let wheel = format!("a-{version}-py3-none-any.whl");
            index
                .add("a", version, "", &[], &[wheel.as_str()])
                .expect("release");
        }
        index
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
                    provider.prefetch_older(&a, &page, &taken, &Range::full());
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
        let mut index = MemoryIndex::new();
        for minor in 0..10 {
            let version = format!("1.{minor}");
            let sdist = format!("a-{version}.tar.gz");
            index
                .add("a", &version, "", &[], &[sdist.as_str()])
                .expect("release");
        }
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
                    let mut c = (**c).clone();
                    c.files = c.files.iter().map(strip).collect();
                    c.all_files = c.all_files.iter().map(strip).collect();
                    Arc::new(c)
                };
                let page = Candidates {
                    versions: listed.versions.iter().map(unadvertised).collect(),
                };
                assert!(!page.versions[0].cheap_metadata());
                for version in ["1.9", "1.8"] {
                    let taken = page.get(&v(version)).expect("listed").clone();
                    provider.prefetch_older(&a, &page, &taken, &Range::full());
                }
                let read: Vec<&str> = ["1.7", "1.6", "1.5", "1.4", "1.3", "1.2"]
                    .into_iter()
                    .filter(|version| fetcher.metadata_requested(&a, &v(version)))
                    .collect();
                assert_eq!(read, ["1.7", "1.6", "1.5", "1.4"]);
                // One more step down reads one more.
                let taken = page.get(&v("1.7")).expect("listed").clone();
                provider.prefetch_older(&a, &page, &taken, &Range::full());
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

        let mut index = MemoryIndex::new();
        for version in ["1.0", "2.0"] {
            let wheel = format!("a-{version}-py3-none-any.whl");
            index
                .add("a", version, "", &[], &[wheel.as_str()])
                .expect("release");
        }
        let preferences: Preferences = Mutex::new(HashMap::new());
        with_fork(
            &index,
            &preferences,
            "python_full_version >= '3.10'",
            |fetcher, provider| {
                let a = name("a");
                assert!(fetcher.page_if_ready(&a).is_none(), "nothing read yet");
                let one = Atoms::align(&Range::singleton(v("1.0")), &[]);
                let stats = PackageResolutionStatistics::default();
                let (pinned, ..) = provider.prioritize(&Pkg::Package(a), &one, &stats);
                assert!(pinned);
            },
        );
    }
}
