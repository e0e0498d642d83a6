//! A version's dependencies as the solver sees them: its metadata read (the variant that
//! holds in this scope), its Requires-Python checked against the fork, its requirements
//! turned into edges and merged into one aligned constraint per node.

use std::sync::Arc;

use pubgrub::Dependencies;

use super::errors::unusable_metadata;
use super::{Provider, ProviderError};
use crate::index::IndexError;
use crate::pep::{MarkerTree, Range, Requirement, Version};
use crate::resolve::atoms::Atoms;
use crate::resolve::forks::sibling_split;
use crate::resolve::pkg::{Edge, Pkg};
use crate::resolve::scope::PythonFit;
use crate::util::lock;

/// The dependencies of the versions a solve asked for (edges, and their merged ranges),
/// handed from a solve to its restart: they depend only on the scope and the metadata, and
/// restarts ask for most of them again.
pub type DependencyMemo = rustc_hash::FxHashMap<(Pkg, Version), Arc<VersionDeps>>;

/// The dependencies of one version: its edges, and per node the merged range as written and
/// as handed to the solver.
pub struct VersionDeps {
    pub(super) edges: Arc<[Edge]>,
    pub(super) merged: Vec<(Pkg, Range, Atoms)>,
}

impl Provider<'_> {
    /// The dependencies of `package` at `version`.
    pub(super) fn dependencies_of(
        &self,
        package: &Pkg,
        version: &Version,
    ) -> Result<Dependencies<Pkg, Atoms, String>, ProviderError> {
        let name = match package {
            Pkg::Root => {
                self.sibling_fork(&self.root)?;
                return Ok(available(&*self.version_deps(package, version)?));
            }
            Pkg::Package(name) | Pkg::Extra(name, _) => name,
        };
        let Some(candidate) = self.candidates(name)?.and_then(|c| c.get(version).cloned()) else {
            return Ok(Dependencies::Unavailable(
                "is not listed by the index".into(),
            ));
        };
        let metadata = match self.metadata(name, &candidate) {
            Ok(m) => m,
            Err(e) => return Ok(Dependencies::Unavailable(unusable_metadata(e)?)),
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
        self.sibling_fork(&deps.edges)?;
        Ok(available(&deps))
    }

    /// A fork request when sibling `edges` need the fork split.
    fn sibling_fork(&self, edges: &[Edge]) -> Result<(), ProviderError> {
        match sibling_split(&self.scope, &self.inputs.uses, edges) {
            Some(parts) => Err(ProviderError::Fork(parts)),
            None => Ok(()),
        }
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
        let edges: Arc<[Edge]> = self.compute_edges(package, version).into();
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

    /// The solver edges leaving `pkg` at `version` (metadata must have been read): those the
    /// solve computed when it asked for the version's dependencies (every decided version),
    /// else computed now.
    pub fn edges_of(&self, pkg: &Pkg, version: &Version) -> Arc<[Edge]> {
        let key = (pkg.clone(), version.clone());
        if let Some(deps) = lock(&self.dependencies).get(&key) {
            return deps.edges.clone();
        }
        self.compute_edges(pkg, version).into()
    }

    /// The solver edges leaving `pkg` at `version`, from its metadata.
    fn compute_edges(&self, pkg: &Pkg, version: &Version) -> Vec<Edge> {
        let (name, extra) = match pkg {
            Pkg::Root => return self.root.clone(),
            Pkg::Package(name) => (name, None),
            Pkg::Extra(name, extra) => (name, Some(extra)),
        };
        let Some(metadata) = self.metadata_if_ready(name, version) else {
            return Vec::new();
        };
        let Some(extra) = extra else {
            return (self.inputs).edges(&self.scope, &metadata.requires_dist, Some(name), &[]);
        };
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
    // FxHash, as the provider's other maps over packages: one metadata file's edges, bounded.
    let mut groups: rustc_hash::FxHashMap<&Pkg, Vec<&Range>> = Default::default();
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
