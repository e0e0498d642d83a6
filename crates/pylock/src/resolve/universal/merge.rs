//! The merge accumulator: what the solved forks of one resolve add up to. Each locked
//! (name, version) gathers where it is needed over the forks: per fork, the fork's region and
//! the requirements' markers on the way from the root.

use std::collections::{BTreeMap, HashMap};

use pubgrub::SelectedDependencies;

use crate::index::DistFile;
use crate::pep::{and, is_possible, or, MarkerTree, PackageName, Version, VersionSpecifiers};
use crate::resolve::exclusion::Exclusions;
use crate::resolve::pkg::Pkg;
use crate::resolve::provider::Provider;

/// One locked (name, version) gathered over forks.
pub(super) struct Entry {
    /// Where it is needed: over forks, the fork's region and the requirements' markers.
    pub marker: MarkerTree,
    /// The requirements' markers alone, over forks: often the same within the lock's
    /// environments, and much shorter.
    pub plain: MarkerTree,
    /// Its files, all of them (the finish keeps those its environments install).
    pub files: Vec<DistFile>,
    /// Its Requires-Python, from its metadata.
    pub requires_python: Option<VersionSpecifiers>,
}

/// What the forks of one resolve add up to.
pub(super) struct Forks {
    /// The locked packages, by name and version.
    pub entries: BTreeMap<(PackageName, Version), Entry>,
    /// The forks left out of the lock, and why.
    pub exclusions: Exclusions,
    /// Warnings of the solved forks (extras not provided), sorted and deduplicated by
    /// [`Forks::warnings`].
    warnings: Vec<String>,
    /// The regions solved or left out, in that order, each with whether it was excludable:
    /// where a re-lock with the same inputs starts ([`crate::Options::forks`]).
    pub leaves: Vec<(crate::pep::MarkerTree, bool)>,
}

impl Forks {
    /// Nothing solved yet.
    pub(super) fn new() -> Self {
        Self {
            entries: BTreeMap::new(),
            exclusions: Exclusions::new(),
            warnings: Vec::new(),
            leaves: Vec::new(),
        }
    }

    /// Add a solved fork of region `region`: where each package of its solution is needed.
    pub(super) fn add(
        &mut self,
        provider: &Provider<'_>,
        solution: &SelectedDependencies<Pkg, Version>,
        region: &MarkerTree,
    ) {
        let reach = reachability(provider, solution);
        for (pkg, version) in solution.iter() {
            let Pkg::Package(name) = pkg else { continue };
            let Some(marker) = reach.get(pkg) else {
                continue;
            };
            if !is_possible(marker) {
                continue;
            }
            let entry = self
                .entries
                .entry((name.clone(), version.clone()))
                .or_insert_with(|| Entry {
                    marker: MarkerTree::FALSE,
                    plain: MarkerTree::FALSE,
                    files: provider
                        .candidate(name, version)
                        .map(|c| c.owned_files())
                        .unwrap_or_default(),
                    requires_python: provider.requires_python(name, version),
                });
            entry.marker = or(&entry.marker, &and(marker, region));
            entry.plain = or(&entry.plain, marker);
        }
        self.warnings.extend(provider.missing_extra_warnings());
    }

    /// The solved forks' warnings, sorted, each once.
    pub(super) fn warnings(&self) -> Vec<String> {
        let mut warnings = self.warnings.clone();
        warnings.sort();
        warnings.dedup();
        warnings
    }
}

/// Where each selected node is needed by the requirements' markers: the least fixpoint of
/// `reach(dep) ⊇ reach(parent) ∧ marker(edge)` from the root.
fn reachability(
    provider: &Provider<'_>,
    solution: &SelectedDependencies<Pkg, Version>,
) -> HashMap<Pkg, MarkerTree> {
    let mut reach: HashMap<Pkg, MarkerTree> = HashMap::new();
    reach.insert(Pkg::Root, MarkerTree::TRUE);
    let mut work = vec![Pkg::Root];
    let version_of = |p: &Pkg| -> Option<Version> {
        match p {
            Pkg::Root => Some(Version::new([0])),
            _ => solution.get(p).cloned(),
        }
    };
    while let Some(node) = work.pop() {
        let Some(version) = version_of(&node) else {
            continue;
        };
        let from = reach.get(&node).cloned().unwrap_or(MarkerTree::FALSE);
        for edge in provider.edges_of(&node, &version).iter() {
            if solution.get(&edge.pkg).is_none() {
                continue;
            }
            let add = and(&from, &edge.marker);
            if add.is_false() {
                continue;
            }
            let old = reach.get(&edge.pkg).cloned().unwrap_or(MarkerTree::FALSE);
            let new = or(&old, &add);
            if new != old {
                reach.insert(edge.pkg.clone(), new);
                work.push(edge.pkg.clone());
            }
        }
    }
    reach
}
