//! What a provider queues ahead of its solver: the older versions a backtracking solve will
//! try next, and, for a fork, the versions earlier forks' choices suggest it will take.

use std::sync::Arc;

use super::order::position;
use super::Provider;
use crate::pep::{PackageName, Range};
use crate::resolve::atoms::Atoms;
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
        range: &Atoms,
    ) {
        let lowest_first = self.lowest_first(name);
        let len = candidates.versions.len();
        let Some(at) = position(candidates, &chosen.version) else {
            return;
        };
        // Positions in the order the solver tries versions, and in the listing.
        let tried = if lowest_first { at } else { len - 1 - at };
        let index = |t: usize| if lowest_first { t } else { len - 1 - t };
        let position = |t: usize| &candidates.versions[index(t)];
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
        let fits = |&(_, c): &(usize, &Arc<Candidate>)| !passed_over(c) && self.installs_here(c);
        let listed = |t: usize| (index(t), position(t));
        if let Some((from, to)) = batch {
            let window = (from..to)
                .map(listed)
                .filter(fits)
                .filter(|(_, c)| c.cheap_metadata());
            let next = self.likely_next(name, window.collect(), range);
            self.fetcher.prefetch_metadata(name, &next);
        }
        // The next few versions only a whole download tells about, on every step (queued
        // ones are not queued again): a batch of fifty sdists would be megabytes read for
        // versions the solver may never reach.
        let ahead = (tried + 1..(tried + 1 + BATCH).min(len)).map(listed);
        let downloads = ahead.filter(|(_, c)| !c.cheap_metadata()).filter(fits);
        let mut next = self.likely_next(name, downloads.collect(), range);
        next.truncate(DOWNLOADS);
        self.fetcher.prefetch_downloads(name, &next);
    }

    /// Of `window` (versions below the one taken, in the order the solver tries them, with
    /// their positions in the listing), those it will likely take next: those in `range`, the
    /// solver's range for `name`, unless it holds (almost) none of them.
    fn likely_next(
        &self,
        name: &PackageName,
        window: Vec<(usize, &Arc<Candidate>)>,
        range: &Atoms,
    ) -> Vec<Arc<Candidate>> {
        if window.is_empty() {
            return Vec::new();
        }
        let in_range: Vec<Arc<Candidate>> = (window.iter())
            .filter(|(at, _)| range.holds(*at))
            .map(|(_, c)| Arc::clone(c))
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
            .filter(|(_, c)| allowed.contains(&c.version))
            .map(|(_, c)| Arc::clone(c))
            .collect()
    }

    /// The versions of `name` every root requirement of this scope allows (those that hold
    /// everywhere in it): no solve can take another.
    fn root_range(&self, name: &PackageName) -> Range {
        // Halving, not folding: a requirements file may exclude 100,000 versions of one
        // package, and a fold is quadratic in them (minutes).
        let ranges: Vec<&Range> = (self.root.iter())
            .filter(|e| e.pkg.name() == Some(name) && e.marker.is_true())
            .map(|e| &e.range)
            .collect();
        crate::pep::intersect_all(&ranges)
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
                envs.is_empty() || self.inputs.env_set.uncovered(c.files(), envs).len() < envs.len()
            }
            Scope::Single { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests;
