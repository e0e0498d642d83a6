//! The PubGrub dependency provider: one solve over one [`Scope`].
//!
//! This file is the adapter only: the provider's state and the three calls PubGrub makes.
//! The policies behind them live beside it:
//! - [`priority`]: which package the solver decides next, and when a solve restarts;
//! - [`choose`] and [`judge`]: which version to try (pre-releases, resolution mode,
//!   preferences, whether a version fits the fork), or which one to offer as rejected;
//! - [`preferences`]: the versions earlier forks and an existing lock chose;
//! - [`deps`]: a version's dependencies as solver constraints;
//! - [`variants`]: wheels of one version with different metadata;
//! - [`errors`]: what stops a solve, and the reasons a version cannot be used;
//! - [`query`]: what the result and the failure reports read from a finished solve;
//! - [`prefetch`]: what is read ahead of the solver.
//!
//! Fork planning (where a fork splits) is [`super::forks`].

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use pubgrub::{Dependencies, DependencyProvider, PackageResolutionStatistics};
// The provider's maps are looked up on every call the solver makes: FxHash, as PubGrub's own
// maps over the same packages (see `fetch::slots` on hostile names).
use rustc_hash::FxHashMap as HashMap;

mod choose;
mod deps;
mod errors;
mod judge;
mod order;
mod preferences;
mod prefetch;
mod priority;
mod query;
mod record;
mod variants;

pub use deps::DependencyMemo;
pub use errors::{CauseKind, ProviderError};
pub use preferences::{preferences, Preferences};
pub use priority::Priority;
pub use record::Decisions;

use super::atoms::{Atoms, SolverVersion};
use super::fetch::Fetcher;
use super::inputs::Inputs;
use super::options::Options;
use super::pkg::{Edge, Pkg};
use super::scope::Scope;
use crate::pep::{ExtraName, PackageName, Version};
use choose::Choice;

/// The provider for one solve.
pub struct Provider<'a> {
    fetcher: &'a Fetcher<'a>,
    options: &'a Options,
    inputs: &'a Inputs,
    preferences: &'a Preferences,
    /// The environments the solve covers.
    pub scope: Scope,
    root: Vec<Edge>,
    discovery: Mutex<HashMap<Pkg, usize>>,
    /// Why versions were ruled out in this scope, for the warnings of a fork left out.
    causes: Mutex<HashMap<(PackageName, Version), (CauseKind, String)>>,
    /// Versions whose wheels carry different metadata: the file whose metadata holds in
    /// this scope.
    variants: Mutex<HashMap<(PackageName, Version), Arc<crate::index::DistFile>>>,
    missing_extras: Mutex<Vec<(PackageName, Version, ExtraName)>>,
    boosted: Vec<PackageName>,
    restart: Mutex<Option<PackageName>>,
    /// The version the solver holds for each project now ([`priority`]): an extra of the
    /// project is tried at that version first.
    taken: Mutex<HashMap<PackageName, Version>>,
    /// How each package's versions were chosen in this solve (backtracking shows here),
    /// and how far, in the order versions are tried, older versions were queued ahead.
    choices: Mutex<HashMap<PackageName, prefetch::Walk>>,
    dependencies: Mutex<DependencyMemo>,
    /// Preferred versions locked only outside this scope ([`Options::preference_markers`]).
    elsewhere: HashSet<(PackageName, Version)>,
    /// The preference-dependent choices of this solve, when it is recorded
    /// ([`Provider::recorded`]).
    decisions: Option<Mutex<Decisions>>,
}

impl<'a> Provider<'a> {
    /// A provider for `scope`.
    pub fn new(
        scope: Scope,
        inputs: &'a Inputs,
        options: &'a Options,
        fetcher: &'a Fetcher<'a>,
        preferences: &'a Preferences,
        boosted: Vec<PackageName>,
        dependencies: DependencyMemo,
    ) -> Self {
        let root = inputs.root_edges(&scope);
        let elsewhere = preferences::locked_elsewhere(&options.preference_markers, &scope);
        fetcher.prefetch_ranges(
            root.iter()
                .filter_map(|e| Some((e.pkg.name()?, e.range.clone()))),
        );
        Self {
            fetcher,
            options,
            inputs,
            preferences,
            scope,
            root,
            discovery: Mutex::new(HashMap::default()),
            causes: Mutex::new(HashMap::default()),
            variants: Mutex::new(HashMap::default()),
            missing_extras: Mutex::new(Vec::new()),
            boosted,
            restart: Mutex::new(None),
            taken: Mutex::new(HashMap::default()),
            choices: Mutex::new(HashMap::default()),
            dependencies: Mutex::new(dependencies),
            elsewhere,
            decisions: None,
        }
    }

    /// The same provider, recording every choice the preferences could change: a solve
    /// started before earlier forks published their choices is kept only if the record holds
    /// under them ([`Decisions::hold_under`]).
    pub fn recorded(self) -> Self {
        let decisions = Decisions::new(self.elsewhere.clone());
        Self {
            decisions: Some(Mutex::new(decisions)),
            ..self
        }
    }

    /// The choices recorded so far (nothing unless [`Provider::recorded`]).
    pub fn take_decisions(&self) -> Decisions {
        match &self.decisions {
            Some(decisions) => std::mem::take(&mut *crate::util::lock(decisions)),
            None => Decisions::default(),
        }
    }
}

impl DependencyProvider for Provider<'_> {
    type P = Pkg;
    type V = SolverVersion;
    type VS = Atoms;
    type M = String;
    type Err = ProviderError;
    type Priority = Priority;

    fn prioritize(
        &self,
        package: &Pkg,
        range: &Atoms,
        stats: &PackageResolutionStatistics,
    ) -> Priority {
        self.priority(package, range, stats)
    }

    fn choose_version(
        &self,
        package: &Pkg,
        range: &Atoms,
    ) -> Result<Option<SolverVersion>, ProviderError> {
        Ok(match self.choose(package, range)? {
            Choice::Take(version) => Some(version),
            // Offered anyway, with the reason: `get_dependencies` below answers with it.
            Choice::Reject(version, rejection) => {
                let reason = self.record_rejection(package, rejection);
                Some(version.rejected(reason))
            }
            Choice::Nothing => None,
        })
    }

    fn get_dependencies(
        &self,
        package: &Pkg,
        version: &SolverVersion,
    ) -> Result<Dependencies<Pkg, Atoms, String>, ProviderError> {
        if let Some(reason) = version.rejection() {
            return Ok(Dependencies::Unavailable(reason.to_owned()));
        }
        self.dependencies_of(package, &version.version)
    }
}
