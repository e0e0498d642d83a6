//! The PubGrub dependency provider: one solve over one [`Scope`].

use std::cmp::Reverse;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use pubgrub::{Dependencies, DependencyProvider, PackageResolutionStatistics};

mod choose;
mod forks;
mod variants;

use super::atoms::{Atoms, SolverVersion};
use super::candidates::{Candidate, Candidates};
use super::exclusion::CauseKind;
use super::fetch::Fetcher;
use super::inputs::{Edge, Inputs};
use super::options::{Options, PrereleaseMode, ResolutionMode};
use super::scope::{PythonFit, Scope};
use crate::index::IndexError;
use crate::pep::{
    ExtraName, MarkerTree, PackageName, Range, Requirement, Version, VersionSpecifiers,
};
use choose::{Judgement, Misfit};

/// A node of the solver's graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pkg {
    /// The manifest itself.
    Root,
    /// A project.
    Package(PackageName),
    /// A project with one extra enabled; tied to the project's version.
    Extra(PackageName, ExtraName),
}

impl Pkg {
    /// The project behind a node.
    pub fn name(&self) -> Option<&PackageName> {
        match self {
            Pkg::Root => None,
            Pkg::Package(n) | Pkg::Extra(n, _) => Some(n),
        }
    }
}

impl fmt::Display for Pkg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pkg::Root => f.write_str("your requirements"),
            Pkg::Package(n) => write!(f, "{n}"),
            Pkg::Extra(n, e) => write!(f, "{n}[{e}]"),
        }
    }
}

/// Errors that stop a solve (as opposed to conflicts, which PubGrub explains).
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The fork must split into these parts and each be solved on its own, in this order.
    #[error("the solve must fork")]
    Fork(Vec<ForkPart>),
    /// The package keeps conflicting: restart deciding it earlier.
    #[error("restart with {0} first")]
    Boost(PackageName),
}

/// One part of a split fork.
#[derive(Clone, Debug)]
pub struct ForkPart {
    /// Its region.
    pub region: MarkerTree,
    /// Whether the part may be left out of the lock when nothing installs there: the part
    /// above a Requires-Python cap, or the environments a version has no file for.
    pub excludable: bool,
}

impl ForkPart {
    fn plain(region: MarkerTree) -> Self {
        Self {
            region,
            excludable: false,
        }
    }
}

use crate::util::lock;

/// Versions chosen by forks solved earlier, newest choice first: later forks prefer them, so a
/// universal lock keeps one version of a package wherever it can.
pub type Preferences = Mutex<HashMap<PackageName, Vec<Version>>>;

/// Preferences seeded with the versions `options` asks to keep.
pub fn preferences(options: &Options) -> Preferences {
    let mut out: HashMap<PackageName, Vec<Version>> = HashMap::new();
    for (name, version) in &options.preferences {
        out.entry(name.clone()).or_default().push(version.clone());
    }
    Mutex::new(out)
}

/// Priority: pinned packages first, then packages moved ahead after repeated conflicts (the
/// latest move first), then those that keep conflicting, then discovery order (breadth-first).
pub type Priority = (bool, usize, u32, Reverse<usize>);

/// Conflicts after which a package not yet moved ahead triggers a restart.
const CONFLICT_THRESHOLD: u32 = 5;

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
    rejected: Mutex<HashMap<(PackageName, Version), String>>,
    /// Why versions were ruled out in this scope, for the warnings of a fork left out.
    causes: Mutex<HashMap<(PackageName, Version), (CauseKind, String)>>,
    /// Versions whose wheels carry different metadata: the file whose metadata holds in
    /// this scope.
    variants: Mutex<HashMap<(PackageName, Version), Arc<crate::index::DistFile>>>,
    missing_extras: Mutex<Vec<(PackageName, Version, ExtraName)>>,
    boosted: Vec<PackageName>,
    restart: Mutex<Option<PackageName>>,
    /// How often each package's version was chosen in this solve (backtracking shows here),
    /// and how far, in the order versions are tried, older versions were queued ahead.
    choices: Mutex<HashMap<PackageName, (usize, usize)>>,
    dependencies: Mutex<DependencyMemo>,
}

/// The dependencies of the versions a solve asked for (edges, and their merged ranges),
/// handed from a solve to its restart: they depend only on the scope and the metadata, and
/// restarts ask for most of them again.
pub type DependencyMemo = HashMap<(Pkg, Version), Arc<VersionDeps>>;

/// The dependencies of one version: its edges, and per node the merged range as written and
/// as handed to the solver.
pub struct VersionDeps {
    edges: Vec<Edge>,
    merged: Vec<(Pkg, Range, Atoms)>,
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
            discovery: Mutex::new(HashMap::new()),
            rejected: Mutex::new(HashMap::new()),
            causes: Mutex::new(HashMap::new()),
            variants: Mutex::new(HashMap::new()),
            missing_extras: Mutex::new(Vec::new()),
            boosted,
            restart: Mutex::new(None),
            choices: Mutex::new(HashMap::new()),
            dependencies: Mutex::new(dependencies),
        }
    }

    /// What this solve learnt of dependencies, for its restart.
    pub fn take_dependencies(&self) -> DependencyMemo {
        std::mem::take(&mut lock(&self.dependencies))
    }

    /// The candidates of a project, `None` when the index does not have it.
    pub fn candidates(&self, name: &PackageName) -> Result<Option<Arc<Candidates>>, IndexError> {
        self.fetcher.page(name)
    }

    /// The versions earlier forks chose for `name`, newest first: where several fit a fork,
    /// it takes the one a solve of its own would, not merely the last one chosen (which may
    /// be an old version an unrelated part of the lock needed). None under a lowest
    /// resolution: there each fork takes the lowest version that works in it, as uv does
    /// (a version an earlier fork had to take, above a cap, is no lower bound here).
    pub fn preferred_versions(&self, name: &PackageName, lowest_first: bool) -> Vec<Version> {
        if lowest_first {
            return Vec::new();
        }
        let mut preferred = lock(self.preferences)
            .get(name)
            .cloned()
            .unwrap_or_default();
        preferred.sort();
        preferred.reverse();
        preferred
    }

    /// The candidate of a resolved package.
    pub fn candidate(&self, name: &PackageName, version: &Version) -> Option<Arc<Candidate>> {
        let page = self.fetcher.page_if_ready(name)??;
        page.versions
            .iter()
            .find(|c| &c.version == version)
            .cloned()
    }

    /// `Requires-Python` of a version, from its metadata if it was read.
    pub fn requires_python(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Option<VersionSpecifiers> {
        self.metadata_if_ready(name, version)
            .and_then(|m| m.requires_python.clone())
    }

    /// Metadata already read of a version, from the file whose metadata holds in this scope
    /// where its wheels differ.
    fn metadata_if_ready(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Option<Arc<crate::index::CoreMetadata>> {
        let variant = lock(&self.variants)
            .get(&(name.clone(), version.clone()))
            .cloned();
        match variant {
            Some(file) => self.fetcher.file_metadata_if_ready(&file),
            None => self.fetcher.metadata_if_ready(name, version),
        }
    }

    /// Where requirements on `name` apply, over the root's and every dependency read in
    /// this solve: the union of their markers.
    pub fn markers_into(&self, name: &PackageName) -> MarkerTree {
        let memo = lock(&self.dependencies);
        memo.values()
            .flat_map(|deps| deps.edges.iter())
            .chain(&self.root)
            .filter(|e| e.pkg.name() == Some(name))
            .fold(MarkerTree::FALSE, |acc, e| crate::pep::or(&acc, &e.marker))
    }

    /// Why versions of `name` in `range` were ruled out in this scope.
    pub fn causes_of(
        &self,
        name: &PackageName,
        range: &Range,
    ) -> Vec<(Version, CauseKind, String)> {
        let mut out: Vec<(Version, CauseKind, String)> = lock(&self.causes)
            .iter()
            .filter(|((n, v), _)| n == name && range.contains(v))
            .map(|((_, v), (kind, detail))| (v.clone(), *kind, detail.clone()))
            .collect();
        out.sort();
        out
    }

    /// Warnings for the extras requested of versions that do not provide them.
    pub fn missing_extra_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.missing_extras))
            .into_iter()
            .map(|(name, version, extra)| {
                format!("{name}=={version} does not provide the extra `{extra}`")
            })
            .collect()
    }

    /// The listed versions of `name` inside `range`, from what was already fetched.
    pub fn listed_versions(&self, name: &PackageName, range: &Range) -> Vec<Version> {
        let Some(Some(page)) = self.fetcher.page_if_ready(name) else {
            return Vec::new();
        };
        page.versions
            .iter()
            .filter(|c| range.contains(&c.version))
            .map(|c| c.version.clone())
            .collect()
    }

    /// Whether the index has no page for `name` (after it was asked).
    pub fn is_missing(&self, name: &PackageName) -> bool {
        matches!(self.fetcher.page_if_ready(name), Some(None))
    }

    /// The solver edges leaving `pkg` at `version` (metadata must have been read).
    pub fn edges_of(&self, pkg: &Pkg, version: &Version) -> Vec<Edge> {
        let (name, extra) = match pkg {
            Pkg::Root => return self.root.clone(),
            Pkg::Package(name) => (name, None),
            Pkg::Extra(name, extra) => (name, Some(extra)),
        };
        let Some(metadata) = self.metadata_if_ready(name, version) else {
            return Vec::new();
        };
        match extra {
            None => self
                .inputs
                .edges(&self.scope, &metadata.requires_dist, Some(name), &[]),
            Some(extra) => {
                let extras = std::slice::from_ref(extra);
                // The requirements the extra adds: those that apply with it and not without.
                let added: Vec<Requirement> = metadata
                    .requires_dist
                    .iter()
                    .filter(
                        |r| match (self.scope.applies(r, extras), self.scope.applies(r, &[])) {
                            (Some(_), None) => true,
                            (Some(with), Some(without)) => with != without,
                            _ => false,
                        },
                    )
                    .cloned()
                    .collect();
                let mut edges = vec![Edge {
                    pkg: Pkg::Package(name.clone()),
                    range: Range::singleton(version.clone()),
                    marker: MarkerTree::TRUE,
                }];
                edges.extend(
                    self.inputs
                        .edges(&self.scope, &added, None, extras)
                        .into_iter()
                        .filter(|e| e.pkg != *pkg),
                );
                edges
            }
        }
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

    fn lowest_first(&self, name: &PackageName) -> bool {
        match self.options.resolution {
            ResolutionMode::Highest => false,
            ResolutionMode::Lowest => true,
            ResolutionMode::LowestDirect => self.inputs.direct.contains(name),
        }
    }

    /// How a candidate's page-level Requires-Python fits the scope.
    fn page_python_fit(&self, candidate: &Candidate) -> (PythonFit, Option<VersionSpecifiers>) {
        if matches!(self.scope, Scope::Single { .. }) {
            // Single environments judged each file already.
            return (PythonFit::All, None);
        }
        let mut best = (PythonFit::None, None);
        let mut any = false;
        for f in &candidate.files {
            let Some(rp) = &f.requires_python else {
                return (PythonFit::All, None);
            };
            any = true;
            match self.scope.python_fit(rp) {
                PythonFit::All => return (PythonFit::All, None),
                PythonFit::Part => best = (PythonFit::Part, Some(rp.clone())),
                PythonFit::None if best.1.is_none() => best = (PythonFit::None, Some(rp.clone())),
                PythonFit::None => {}
            }
        }
        if any {
            best
        } else {
            (PythonFit::All, None)
        }
    }
}

impl Provider<'_> {
    /// The solver's version for `version` of `package`, with the bounds of its atom.
    fn solver_version(&self, package: &Pkg, version: Version) -> SolverVersion {
        let listed = package
            .name()
            .and_then(|n| self.fetcher.page_if_ready(n))
            .flatten();
        match listed {
            Some(c) => match c.versions.binary_search_by(|c| c.version.cmp(&version)) {
                Ok(i) => SolverVersion::listed(&c.versions, i),
                Err(_) => SolverVersion::unlisted(version),
            },
            None if *package == Pkg::Root => SolverVersion::root(),
            None => SolverVersion::unlisted(version),
        }
    }

    /// Solver constraints aligned to the versions their projects list (see `atoms`): waits
    /// for the pages of the dependencies, which were queued when the metadata was read.
    fn aligned(&self, merged: Vec<(Pkg, Range)>) -> Result<Vec<(Pkg, Range, Atoms)>, IndexError> {
        merged
            .into_iter()
            .map(|(pkg, range)| {
                let listed = match pkg.name() {
                    Some(name) => self.candidates(name)?,
                    None => None,
                };
                let atoms = Atoms::align(&range, listed.as_ref().map_or(&[], |c| &c.versions));
                Ok((pkg, range, atoms))
            })
            .collect()
    }

    /// The ranges as requirements wrote them, for the solver's aligned ones, per (dependent,
    /// dependency, atoms): explanations say "you require a<2", not the atoms that stand for
    /// it. Where a dependent's versions wrote several alike, the shortest text is shown.
    pub fn written_ranges(&self) -> HashMap<(Pkg, Pkg, Atoms), Range> {
        let memo = lock(&self.dependencies);
        let mut written: Vec<(&Pkg, &Pkg, &Range, &Atoms)> = memo
            .iter()
            .flat_map(|((parent, _), d)| {
                (d.merged.iter()).map(move |(dep, range, atoms)| (parent, dep, range, atoms))
            })
            .collect();
        written.sort_by_cached_key(|(parent, dep, range, _)| {
            let text = crate::pep::display_range(range);
            (parent.to_string(), dep.to_string(), text.len(), text)
        });
        let mut out = HashMap::new();
        for (parent, dep, range, atoms) in written {
            out.entry((parent.clone(), dep.clone(), atoms.clone()))
                .or_insert_with(|| range.clone());
        }
        out
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
        let order = {
            let mut discovery = lock(&self.discovery);
            let next = discovery.len();
            *discovery.entry(package.clone()).or_insert(next)
        };
        let pinned = *package == Pkg::Root
            || package
                .name()
                .and_then(|n| self.fetcher.page_if_ready(n).flatten())
                .is_some_and(|c| range.count_in(&c.versions) == 1);
        let boost = package
            .name()
            .and_then(|n| self.boosted.iter().position(|b| b == n))
            .map_or(0, |i| i + 1);
        if boost == 0 && stats.conflict_count() >= CONFLICT_THRESHOLD {
            if let Some(name) = package.name() {
                lock(&self.restart).get_or_insert_with(|| name.clone());
            }
        }
        (pinned, boost, stats.conflict_count(), Reverse(order))
    }

    fn choose_version(
        &self,
        package: &Pkg,
        range: &Atoms,
    ) -> Result<Option<SolverVersion>, ProviderError> {
        let chosen = self.choose(package, range.range())?;
        Ok(chosen.map(|v| self.solver_version(package, v)))
    }

    fn get_dependencies(
        &self,
        package: &Pkg,
        version: &SolverVersion,
    ) -> Result<Dependencies<Pkg, Atoms, String>, ProviderError> {
        self.dependencies_of(package, &version.version)
    }
}

impl Provider<'_> {
    /// The version to try for `package` within `range`.
    fn choose(&self, package: &Pkg, range: &Range) -> Result<Option<Version>, ProviderError> {
        if let Some(restart) = lock(&self.restart).take() {
            return Err(ProviderError::Boost(restart));
        }
        let Some(name) = package.name() else {
            return Ok(Some(Version::new([0])));
        };
        let Some(candidates) = self.candidates(name)? else {
            return Ok(None);
        };
        let (free, if_necessary) = self.prerelease_allowed(name);
        let allowed = |c: &Candidate, stable_only: bool| {
            range.contains(&c.version)
                && c.unusable.is_none()
                && (!stable_only || !c.version.any_prerelease())
        };
        // Versions earlier forks chose come first, then the resolution order.
        let lowest_first = self.lowest_first(name);
        let preferred = self.preferred_versions(name, lowest_first);
        // An iterator, not a list: projects list thousands of versions and the solver
        // usually takes the first that fits.
        let ordered = || {
            let by_pref = preferred
                .iter()
                .filter_map(|v| candidates.get(v).map(AsRef::as_ref));
            let rest = candidates.within(range, lowest_first).map(AsRef::as_ref);
            by_pref.chain(rest)
        };
        let mut passes: Vec<bool> = Vec::new();
        if free {
            passes.push(false);
        } else {
            passes.push(true);
            if if_necessary {
                passes.push(false);
            }
        }
        // The first version that fits the resolution policy but not the fork, and why.
        let mut misfit: Option<Misfit> = None;
        // Where the wheels of versions that fit no checked environment may install.
        let mut foreign = MarkerTree::FALSE;
        for stable_only in passes {
            for c in ordered().filter(|c| allowed(c, stable_only)) {
                match self.judge(name, &candidates, c, range)? {
                    Judgement::Take => return Ok(Some(c.version.clone())),
                    Judgement::Misfit(m) => misfit = misfit.or(m),
                    Judgement::Foreign(where_, m) => {
                        foreign = crate::pep::or(&foreign, &where_);
                        misfit = misfit.or(Some(m));
                    }
                }
            }
        }
        if let Some(fork) = self.foreign_fork(&foreign) {
            return Err(fork);
        }
        let fallback = || ordered().find(|c| range.contains(&c.version));
        Ok(self.reject(name, misfit, fallback))
    }

    /// The dependencies of `package` at `version`.
    fn dependencies_of(
        &self,
        package: &Pkg,
        version: &Version,
    ) -> Result<Dependencies<Pkg, Atoms, String>, ProviderError> {
        let name = match package {
            Pkg::Root => {
                if let Some(fork) = self.sibling_fork(&self.root) {
                    return Err(fork);
                }
                return Ok(available(&*self.version_deps(package, version)?));
            }
            Pkg::Package(name) | Pkg::Extra(name, _) => name,
        };
        if let Some(reason) = lock(&self.rejected).get(&(name.clone(), version.clone())) {
            return Ok(Dependencies::Unavailable(reason.clone()));
        }
        let Some(candidate) = self.candidates(name)?.and_then(|c| c.get(version).cloned()) else {
            return Ok(Dependencies::Unavailable(
                "is not listed by the index".into(),
            ));
        };
        let metadata = match self.metadata(name, &candidate) {
            Ok(m) => m,
            // Old releases on real indexes carry metadata that no longer parses: such a
            // version cannot be used, but older or newer ones may (pip and uv skip it too).
            Err(IndexError::Malformed { url, reason }) => {
                // The parser's first line says what is wrong; the rest (the text with a caret
                // under it) would be repeated for every such version of the explanation.
                let first = reason.lines().next().unwrap_or_default();
                return Ok(Dependencies::Unavailable(format!(
                    "has invalid metadata ({url}: {first})"
                )));
            }
            // Only a source distribution whose dependencies a build would decide: skipped,
            // as pylock builds nothing (the resolution says so if it mattered).
            Err(IndexError::DynamicMetadata { reason, .. }) => {
                return Ok(Dependencies::Unavailable(format!(
                    "has dependencies known only after a build, which pylock does not do ({reason})"
                )))
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(rp) = &metadata.requires_python {
            match self.scope.python_fit(rp) {
                PythonFit::All => {}
                PythonFit::Part => return Err(self.python_fork(rp)),
                PythonFit::None => {
                    let (text, cause) = self.python_misfit(rp);
                    lock(&self.causes).insert((name.clone(), version.clone()), cause);
                    return Ok(Dependencies::Unavailable(text));
                }
            }
        }
        if let Pkg::Extra(_, extra) = package {
            if !metadata.provides_extra.contains(extra) {
                lock(&self.missing_extras).push((name.clone(), version.clone(), extra.clone()));
            }
        }
        let deps = self.version_deps(package, version)?;
        if let Some(fork) = self.sibling_fork(&deps.edges) {
            return Err(fork);
        }
        Ok(available(&deps))
    }

    /// The edges of `package` at `version` (its metadata read) and their aligned constraints,
    /// computed once per scope (restarts included); the root's too, so that explanations
    /// find every written range in one place.
    fn version_deps(
        &self,
        package: &Pkg,
        version: &Version,
    ) -> Result<Arc<VersionDeps>, IndexError> {
        let key = (package.clone(), version.clone());
        if let Some(deps) = lock(&self.dependencies).get(&key) {
            return Ok(deps.clone());
        }
        let edges = self.edges_of(package, version);
        if *package != Pkg::Root {
            // The root's pages were queued when the provider was made.
            let wanted = edges
                .iter()
                .filter_map(|e| Some((e.pkg.name()?, e.range.clone())));
            self.fetcher.prefetch_ranges(wanted);
        }
        let merged = self.aligned(merge(&edges))?;
        let deps = Arc::new(VersionDeps { edges, merged });
        lock(&self.dependencies).insert(key, deps.clone());
        Ok(deps)
    }
}

/// The solver's view of a version's dependencies.
fn available(deps: &VersionDeps) -> Dependencies<Pkg, Atoms, String> {
    let constraints = (deps.merged.iter()).map(|(pkg, _, atoms)| (pkg.clone(), atoms.clone()));
    Dependencies::Available(constraints.collect())
}

/// One solver constraint per node: ranges of repeated edges intersect. Edges whose ranges
/// exclude each other stay apart, so the explanation can name both.
///
/// Linear in the edges for the usual case: edges are grouped by node (first-seen order), and
/// a node's ranges are intersected pairwise in a balanced tree, so that 100,000 `c!=0.N`
/// lines cost `n log n` range steps instead of `n²`. Only a node whose ranges have an empty
/// intersection is merged edge by edge, to keep the conflicting ranges apart.
fn merge(edges: &[Edge]) -> Vec<(Pkg, Range)> {
    let mut order: Vec<&Pkg> = Vec::new();
    let mut groups: HashMap<&Pkg, Vec<&Range>> = HashMap::new();
    for e in edges {
        groups
            .entry(&e.pkg)
            .or_insert_with(|| {
                order.push(&e.pkg);
                Vec::new()
            })
            .push(&e.range);
    }
    let mut out: Vec<(Pkg, Range)> = Vec::new();
    for pkg in order {
        let ranges = &groups[pkg];
        let all = crate::pep::intersect_all(ranges);
        if !all.is_empty() || ranges.len() > MAX_APART {
            out.push((pkg.clone(), all));
            continue;
        }
        let mut apart: Vec<Range> = Vec::new();
        for range in ranges {
            match apart.iter_mut().find(|r| !r.is_disjoint(range)) {
                Some(r) => *r = r.intersection(range),
                None => apart.push((*range).clone()),
            }
        }
        out.extend(apart.into_iter().map(|r| (pkg.clone(), r)));
    }
    out
}

/// Past this many edges on one node, conflicting ranges are not kept apart for the
/// explanation (doing so is quadratic).
const MAX_APART: usize = 1_000;

mod prefetch;
