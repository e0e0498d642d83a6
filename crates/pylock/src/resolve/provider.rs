//! The PubGrub dependency provider for one target environment.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pubgrub::{Dependencies, DependencyProvider, PackageResolutionStatistics};

use super::candidates::{Candidate, Candidates, FileFilter, Unusable};
use super::options::{Options, PrereleaseMode, ResolutionMode};
use crate::index::{CoreMetadata, DistFile, Index, IndexError};
use crate::manifest::{Manifest, Tags, Target};
use crate::pep::{
    names_prerelease, pinned_version, requirement_range, ExtraName, MarkerEnvironment, PackageName,
    Range, Requirement, Version,
};

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
}

/// Pages and metadata already fetched, shared by every solve over one index.
#[derive(Default)]
pub struct Cache {
    pages: Mutex<HashMap<PackageName, Option<Arc<Candidates>>>>,
    metadata: Mutex<HashMap<(PackageName, Version), Arc<CoreMetadata>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Priority: pinned packages first, then those that keep conflicting, then discovery order
/// (breadth-first).
pub type Priority = (bool, u32, Reverse<usize>);

/// The provider for one single-environment solve.
pub struct Provider<'a> {
    index: &'a dyn Index,
    cache: &'a Cache,
    options: &'a Options,
    env: MarkerEnvironment,
    python: Version,
    tags: Tags,
    root: Vec<(Pkg, Range)>,
    overrides: HashMap<PackageName, Vec<Requirement>>,
    constraints: HashMap<PackageName, Range>,
    allowed_yanks: HashSet<(PackageName, Version)>,
    explicit_prereleases: HashSet<PackageName>,
    direct: HashSet<PackageName>,
    discovery: Mutex<HashMap<Pkg, usize>>,
    rejected: Mutex<HashMap<(PackageName, Version), String>>,
    missing_extras: Mutex<Vec<(PackageName, Version, ExtraName)>>,
}

impl<'a> Provider<'a> {
    /// A provider for a single-environment `target`.
    pub fn new(
        manifest: &Manifest,
        target: &Target,
        options: &'a Options,
        index: &'a dyn Index,
        cache: &'a Cache,
    ) -> Option<Self> {
        let env = target.environment()?;
        let tags = target.tags()?;
        let python = target.python.clone()?;
        let mut overrides: HashMap<PackageName, Vec<Requirement>> = HashMap::new();
        for r in &manifest.overrides {
            overrides.entry(r.name.clone()).or_default().push(r.clone());
        }
        let mut constraints: HashMap<PackageName, Range> = HashMap::new();
        for c in manifest
            .constraints
            .iter()
            .filter(|c| c.evaluate_markers(&env, &[]))
        {
            let range = constraints
                .entry(c.name.clone())
                .or_insert_with(Range::full);
            *range = range.intersection(&requirement_range(c));
        }
        let all = || {
            manifest
                .requirements
                .iter()
                .chain(&manifest.constraints)
                .chain(&manifest.overrides)
        };
        let allowed_yanks = all()
            .filter_map(|r| pinned_version(r).map(|v| (r.name.clone(), v.clone())))
            .collect();
        let explicit_prereleases = all()
            .filter(|r| names_prerelease(r))
            .map(|r| r.name.clone())
            .collect();
        let mut provider = Self {
            index,
            cache,
            options,
            env,
            python,
            tags,
            root: Vec::new(),
            overrides,
            constraints,
            allowed_yanks,
            explicit_prereleases,
            direct: manifest.direct_names().cloned().collect(),
            discovery: Mutex::new(HashMap::new()),
            rejected: Mutex::new(HashMap::new()),
            missing_extras: Mutex::new(Vec::new()),
        };
        provider.root = provider.edges(&manifest.requirements, None, &[]);
        Some(provider)
    }

    /// Solver edges for `requirements` as seen from `parent` (to skip self-references), with
    /// markers evaluated for `extras`, overrides and constraints applied.
    fn edges(
        &self,
        requirements: &[Requirement],
        parent: Option<&PackageName>,
        extras: &[ExtraName],
    ) -> Vec<(Pkg, Range)> {
        let mut out: Vec<(Pkg, Range)> = Vec::new();
        let mut add = |pkg: Pkg, range: Range| match out.iter_mut().find(|(p, _)| *p == pkg) {
            Some((_, r)) => *r = r.intersection(&range),
            None => out.push((pkg, range)),
        };
        let mut seen_overrides = HashSet::new();
        for req in requirements {
            let replaced: Vec<&Requirement> = match self.overrides.get(&req.name) {
                Some(overrides) => {
                    if !req.evaluate_markers(&self.env, extras)
                        || !seen_overrides.insert(req.name.clone())
                    {
                        continue;
                    }
                    overrides
                        .iter()
                        .filter(|o| o.evaluate_markers(&self.env, &[]))
                        .collect()
                }
                None if req.evaluate_markers(&self.env, extras) => vec![req],
                None => continue,
            };
            for req in replaced {
                let mut range = requirement_range(req);
                if let Some(c) = self.constraints.get(&req.name) {
                    range = range.intersection(c);
                }
                if parent != Some(&req.name) {
                    add(Pkg::Package(req.name.clone()), range.clone());
                }
                for extra in &req.extras {
                    add(Pkg::Extra(req.name.clone(), extra.clone()), range.clone());
                }
            }
        }
        out
    }

    /// The candidates of a project, `None` when the index does not have it.
    pub fn candidates(&self, name: &PackageName) -> Result<Option<Arc<Candidates>>, IndexError> {
        if let Some(c) = lock(&self.cache.pages).get(name) {
            return Ok(c.clone());
        }
        let page = self.index.project(name)?;
        let filter = FileFilter {
            python: Some(&self.python),
            tags: Some(&self.tags),
            exclude_newer: self.options.exclude_newer,
            allowed_yanks: &self.allowed_yanks,
        };
        let candidates = page.map(|p| Arc::new(Candidates::new(&p, &filter)));
        lock(&self.cache.pages).insert(name.clone(), candidates.clone());
        Ok(candidates)
    }

    /// The chosen candidate of a resolved package.
    pub fn candidate(&self, name: &PackageName, version: &Version) -> Option<Candidate> {
        let pages = lock(&self.cache.pages);
        let c = pages.get(name)?.as_ref()?;
        c.versions.iter().find(|c| &c.version == version).cloned()
    }

    /// `Requires-Python` of a version, from its metadata if it was read.
    pub fn requires_python(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Option<crate::pep::VersionSpecifiers> {
        lock(&self.cache.metadata)
            .get(&(name.clone(), version.clone()))
            .and_then(|m| m.requires_python.clone())
    }

    /// The extras requested of versions that do not provide them.
    pub fn take_missing_extras(&self) -> Vec<(PackageName, Version, ExtraName)> {
        std::mem::take(&mut *lock(&self.missing_extras))
    }

    /// The listed versions of `name` inside `range`, from what was already fetched.
    pub fn listed_versions(&self, name: &PackageName, range: &Range) -> Vec<Version> {
        let pages = lock(&self.cache.pages);
        let Some(Some(c)) = pages.get(name) else {
            return Vec::new();
        };
        c.versions
            .iter()
            .filter(|c| range.contains(&c.version))
            .map(|c| c.version.clone())
            .collect()
    }

    /// Whether the index has no page for `name` (after it was asked).
    pub fn is_missing(&self, name: &PackageName) -> bool {
        matches!(lock(&self.cache.pages).get(name), Some(None))
    }

    fn metadata(
        &self,
        name: &PackageName,
        candidate: &Candidate,
    ) -> Result<Arc<CoreMetadata>, IndexError> {
        let key = (name.clone(), candidate.version.clone());
        if let Some(m) = lock(&self.cache.metadata).get(&key) {
            return Ok(m.clone());
        }
        // All wheels of a version share metadata: read one, preferring an installable wheel.
        let has_metadata = |f: &&DistFile| f.core_metadata.is_some();
        let file = candidate
            .files
            .iter()
            .rev()
            .find(has_metadata)
            .or_else(|| {
                candidate
                    .all_files
                    .iter()
                    .filter(|f| f.is_wheel())
                    .find(has_metadata)
            })
            .or_else(|| candidate.all_files.iter().find(has_metadata))
            .or_else(|| candidate.all_files.first())
            .ok_or_else(|| IndexError::NoMetadata {
                filename: format!("{name}=={}", candidate.version),
            })?;
        let metadata = Arc::new(self.index.metadata(file)?);
        lock(&self.cache.metadata).insert(key, metadata.clone());
        Ok(metadata)
    }

    fn prerelease_allowed(&self, name: &PackageName) -> (bool, bool) {
        // (take pre-releases freely, take them when no stable version fits)
        let explicit = self.explicit_prereleases.contains(name);
        match self.options.prerelease {
            PrereleaseMode::Allow => (true, true),
            PrereleaseMode::Disallow => (false, false),
            PrereleaseMode::IfNecessary => (false, true),
            PrereleaseMode::Explicit => (explicit, explicit),
            PrereleaseMode::IfNecessaryOrExplicit => (explicit, true),
        }
    }

    fn lowest_first(&self, name: &PackageName) -> bool {
        match self.options.resolution {
            ResolutionMode::Highest => false,
            ResolutionMode::Lowest => true,
            ResolutionMode::LowestDirect => self.direct.contains(name),
        }
    }
}

impl DependencyProvider for Provider<'_> {
    type P = Pkg;
    type V = Version;
    type VS = Range;
    type M = String;
    type Err = ProviderError;
    type Priority = Priority;

    fn prioritize(
        &self,
        package: &Pkg,
        range: &Range,
        stats: &PackageResolutionStatistics,
    ) -> Priority {
        let mut discovery = lock(&self.discovery);
        let next = discovery.len();
        let order = *discovery.entry(package.clone()).or_insert(next);
        let pinned = *package == Pkg::Root || range.as_singleton().is_some();
        (pinned, stats.conflict_count(), Reverse(order))
    }

    fn choose_version(
        &self,
        package: &Pkg,
        range: &Range,
    ) -> Result<Option<Version>, ProviderError> {
        let Some(name) = package.name() else {
            return Ok(Some(Version::new([0])));
        };
        let Some(candidates) = self.candidates(name)? else {
            return Ok(None);
        };
        let in_range = || {
            let iter = candidates
                .versions
                .iter()
                .filter(|c| range.contains(&c.version));
            let boxed: Box<dyn Iterator<Item = &Candidate>> = if self.lowest_first(name) {
                Box::new(iter)
            } else {
                Box::new(iter.rev())
            };
            boxed
        };
        let (free, if_necessary) = self.prerelease_allowed(name);
        let usable = |c: &&Candidate| c.unusable.is_none();
        let chosen = if free {
            in_range().find(usable)
        } else {
            in_range()
                .filter(|c| !c.version.any_prerelease())
                .find(usable)
                .or_else(|| {
                    if if_necessary {
                        in_range().find(usable)
                    } else {
                        None
                    }
                })
        };
        if let Some(c) = chosen {
            return Ok(Some(c.version.clone()));
        }
        // Nothing usable: offer the best version anyway so that `get_dependencies` can say why
        // it cannot be used; the explanation then names each rejected version.
        let Some(c) = in_range().next() else {
            return Ok(None);
        };
        let reason = match &c.unusable {
            Some(why @ Unusable::RequiresPython(_)) => {
                format!("{why} (the target is Python {})", self.python)
            }
            Some(why) => why.to_string(),
            None => format!(
                "is a pre-release, which --prerelease={} does not allow here",
                self.options.prerelease
            ),
        };
        lock(&self.rejected).insert((name.clone(), c.version.clone()), reason);
        Ok(Some(c.version.clone()))
    }

    fn get_dependencies(
        &self,
        package: &Pkg,
        version: &Version,
    ) -> Result<Dependencies<Pkg, Range, String>, ProviderError> {
        let (name, extra) = match package {
            Pkg::Root => return Ok(Dependencies::Available(self.root.iter().cloned().collect())),
            Pkg::Package(name) => (name, None),
            Pkg::Extra(name, extra) => (name, Some(extra)),
        };
        if let Some(reason) = lock(&self.rejected).get(&(name.clone(), version.clone())) {
            return Ok(Dependencies::Unavailable(reason.clone()));
        }
        let Some(candidate) = self
            .candidates(name)?
            .and_then(|c| c.versions.iter().find(|c| &c.version == version).cloned())
        else {
            return Ok(Dependencies::Unavailable(
                "is not listed by the index".into(),
            ));
        };
        let metadata = self.metadata(name, &candidate)?;
        if let Some(spec) = &metadata.requires_python {
            if !spec.contains(&self.python) {
                return Ok(Dependencies::Unavailable(format!(
                    "requires Python {spec} (the target is Python {})",
                    self.python
                )));
            }
        }
        let deps = match extra {
            None => self.edges(&metadata.requires_dist, Some(name), &[]),
            Some(extra) => {
                if !metadata.provides_extra.contains(extra) {
                    lock(&self.missing_extras).push((name.clone(), version.clone(), extra.clone()));
                }
                let with_extra: Vec<Requirement> = metadata
                    .requires_dist
                    .iter()
                    .filter(|r| {
                        r.evaluate_markers(&self.env, std::slice::from_ref(extra))
                            && !r.evaluate_markers(&self.env, &[])
                    })
                    .cloned()
                    .collect();
                let mut deps = vec![(
                    Pkg::Package(name.clone()),
                    Range::singleton(version.clone()),
                )];
                deps.extend(
                    self.edges(&with_extra, None, std::slice::from_ref(extra))
                        .into_iter()
                        .filter(|(p, _)| *p != Pkg::Extra(name.clone(), extra.clone())),
                );
                deps
            }
        };
        Ok(Dependencies::Available(deps.into_iter().collect()))
    }
}
