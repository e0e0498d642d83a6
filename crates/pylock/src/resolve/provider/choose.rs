//! Candidate choice: the version `choose_version` tries for a package within a range, under
//! the pre-release and resolution policies, earlier forks' choices first; or, when nothing
//! can be used, a version offered as rejected so that the explanation says why.

use super::judge::{Judgement, Rejection};
use super::order::{ordered, walk_order};
use super::preferences::hint_first;
use super::record::{Trail, Walked};
use super::{Provider, ProviderError};
use crate::pep::{MarkerTree, PackageName, Version};
use crate::resolve::atoms::{Atoms, SolverVersion};
use crate::resolve::candidates::{Candidate, Unusable};
use crate::resolve::options::{PrereleaseMode, ResolutionMode};
use crate::resolve::pkg::Pkg;
use crate::util::lock;

/// What candidate choice decided for one package and range.
pub(super) enum Choice {
    /// Try this version.
    Take(SolverVersion),
    /// No version can be used: offer this one, which the solver then learns is unusable.
    Reject(SolverVersion, Rejection),
    /// The range holds no listed version.
    Nothing,
}

impl Provider<'_> {
    /// The version to try for `package` within `range`.
    pub(super) fn choose(&self, package: &Pkg, range: &Atoms) -> Result<Choice, ProviderError> {
        if let Some(restart) = lock(&self.restart).take() {
            return Err(ProviderError::Boost(restart));
        }
        let Some(name) = package.name() else {
            return Ok(Choice::Take(SolverVersion::root()));
        };
        let Some(candidates) = self.candidates(name)? else {
            return Ok(Choice::Nothing);
        };
        let (free, if_necessary) = self.prerelease_allowed(name);
        // Versions earlier forks chose come first, then the resolution order.
        let lowest_first = self.lowest_first(name);
        let mut preferred = self.preferred_versions(name, lowest_first);
        let hint = self.extra_hint(package);
        hint_first(&mut preferred, hint.as_ref());
        // Stable versions first unless pre-releases are free; then pre-releases if need be.
        let passes: &'static [bool] = match (free, if_necessary) {
            (true, _) => &[false],
            (false, true) => &[true, false],
            (false, false) => &[true],
        };
        let walked = Walked {
            name,
            range,
            candidates: &candidates,
            lowest_first,
            passes,
            preferred: &preferred,
            hint: hint.as_ref(),
        };
        let mut trail = Trail::new(self.decisions.is_some());
        let choice = self.walk(&walked, &mut trail);
        if let Some(decisions) = &self.decisions {
            lock(decisions).push(walked, trail);
        }
        if let Pkg::Package(name) = package {
            let mut taken = lock(&self.taken);
            match &choice {
                Ok(Choice::Take(v)) => taken.insert(name.clone(), v.version.clone()),
                _ => taken.remove(name),
            };
        }
        choice
    }

    /// The version an extra of a project is tried at first: the one the solver holds for the
    /// project itself. `name[x]` at `v` depends on `name == v`, so while `name` is decided
    /// every other version of the extra is rejected, one incompatibility (and one metadata
    /// read) at a time: the large set walked `fastapi[all]` down 66 versions that way. The
    /// version is known from candidate choice, and forgotten when the solver weighs the
    /// project again (it weighs undecided packages only, so a backtrack past its decision
    /// or a rejection of its dependencies shows there).
    fn extra_hint(&self, package: &Pkg) -> Option<Version> {
        let Pkg::Extra(name, _) = package else {
            return None;
        };
        lock(&self.taken).get(name).cloned()
    }

    /// Walk the candidates in the order [`walk_order`] gives (one pass per entry of
    /// `walked.passes`), and take the first that fits the fork; the versions judged and
    /// passed over, and where the walk stopped, go to `trail`.
    fn walk(&self, walked: &Walked<'_>, trail: &mut Trail) -> Result<Choice, ProviderError> {
        let &Walked {
            name,
            range,
            candidates,
            lowest_first,
            passes,
            preferred,
            ..
        } = walked;
        let listed = |at: usize| SolverVersion::listed(&candidates.versions, at);
        // The first version that fits the resolution policy but not the fork, and why.
        let mut misfit: Option<(usize, Rejection)> = None;
        // Where the wheels of versions that fit no checked environment may install.
        let mut foreign = MarkerTree::FALSE;
        for (at, c) in walk_order(preferred, candidates, range, lowest_first, passes) {
            let judgement = self.judge(name, candidates, c, range);
            match judgement {
                Ok(Judgement::Misfit(_) | Judgement::Foreign(..)) => trail.passed(&c.version),
                Ok(Judgement::Take) | Err(_) => trail.stopped(&c.version),
            }
            match judgement? {
                Judgement::Take => return Ok(Choice::Take(listed(at))),
                Judgement::Misfit(m) => misfit = misfit.or(m.map(|m| (at, m))),
                Judgement::Foreign(where_, m) => {
                    foreign = crate::pep::or(&foreign, &where_);
                    misfit = misfit.or(Some((at, m)));
                }
            }
        }
        let split =
            crate::resolve::forks::foreign_split(&self.scope, &self.inputs.env_set, &foreign);
        if let Some(parts) = split {
            return Err(ProviderError::Fork(parts));
        }
        let fallback = || {
            let (at, c) = ordered(preferred, candidates, range, lowest_first)
                .find(|&(at, _)| range.holds(at))?;
            Some((at, self.unusable(c)))
        };
        Ok(match misfit.or_else(fallback) {
            Some((at, rejection)) => Choice::Reject(listed(at), rejection),
            None => Choice::Nothing,
        })
    }

    /// Why `c`, the first version in range when none is usable and none misfits the fork,
    /// cannot be used.
    fn unusable(&self, c: &Candidate) -> Rejection {
        let reason = match &c.unusable {
            Some(why @ Unusable::RequiresPython(_)) => {
                format!("{why} (the target is {})", self.scope.python_description())
            }
            Some(why @ Unusable::NoCompatibleFile) => {
                let every = self.inputs.env_set.all();
                match self.inputs.env_set.baseline_note(c.all_files(), &every) {
                    Some(note) => format!("{why} ({note})"),
                    None => why.to_string(),
                }
            }
            Some(why) => why.to_string(),
            None => format!(
                "is a pre-release, which --prerelease={} does not allow here",
                self.options.prerelease
            ),
        };
        Rejection {
            version: c.version.clone(),
            reason,
            cause: None,
        }
    }

    /// Keep what ruled out a rejected version of `package` for the reports; the reason the
    /// solver is told.
    pub(super) fn record_rejection(&self, package: &Pkg, rejection: Rejection) -> String {
        let Rejection {
            version,
            reason,
            cause,
        } = rejection;
        if let (Some(name), Some(cause)) = (package.name(), cause) {
            lock(&self.causes).insert((name.clone(), version), cause);
        }
        reason
    }

    /// (take pre-releases freely, take them when no stable version fits). As uv (0.12 and
    /// later) does, stable versions are preferred in every mode but `allow`, even for packages
    /// whose requirements name a pre-release: being explicit makes pre-releases possible (in
    /// `explicit` mode), not preferred.
    fn prerelease_allowed(&self, name: &PackageName) -> (bool, bool) {
        let explicit = self.inputs.explicit_prereleases.contains(name);
        match self.options.prerelease {
            PrereleaseMode::Allow => (true, true),
            PrereleaseMode::Disallow => (false, false),
            PrereleaseMode::IfNecessary | PrereleaseMode::IfNecessaryOrExplicit => (false, true),
            PrereleaseMode::Explicit => (false, explicit),
        }
    }

    /// Whether versions of `name` are tried lowest first (the resolution mode).
    pub(super) fn lowest_first(&self, name: &PackageName) -> bool {
        match self.options.resolution {
            ResolutionMode::Highest => false,
            ResolutionMode::Lowest => true,
            ResolutionMode::LowestDirect => self.inputs.direct.contains(name),
        }
    }
}
