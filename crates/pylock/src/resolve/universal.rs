//! Universal resolution: one lock for every Python in `requires-python` on every platform.
//!
//! pubgrub 0.4 cannot clone a half-finished solve, so forks are restarts over a shared cache: a
//! solve that meets sibling requirements with different markers, or a candidate whose
//! Requires-Python covers only part of the fork's Pythons, stops with a fork request; the
//! driver replaces the fork by its parts and solves each. Versions chosen by earlier forks are
//! preferred by later ones. Each solved fork then marks every package with where it is needed
//! (the union over incoming edges of parent marker and edge marker), and the forks merge.

use std::collections::{BTreeMap, HashMap};

use pubgrub::SelectedDependencies;

use super::inputs::Inputs;
use super::provider::{lock, Cache, Pkg, Preferences, Provider};
use super::scope::Scope;
use super::solve::{solve, Outcome};
use super::{Options, Resolution, ResolveError, ResolvedPackage};
use crate::index::{DistFile, Index};
use crate::manifest::Target;
use crate::pep::{and, lock_marker, or, python_marker, MarkerTree, PackageName, Version};

/// The most forks one resolve may create before it gives up.
const MAX_FORKS: usize = 10_000;

/// One locked (name, version) gathered over forks.
struct Entry {
    marker: MarkerTree,
    files: Vec<DistFile>,
    requires_python: Option<crate::pep::VersionSpecifiers>,
}

/// Resolve for every environment `target.requires_python` admits.
pub fn resolve_universal(
    inputs: &Inputs,
    target: &Target,
    options: &Options,
    index: &dyn Index,
) -> Result<Resolution, ResolveError> {
    let cache = Cache::default();
    let preferences = Preferences::default();
    let mut pending = vec![python_marker(&target.requires_python)];
    let mut entries: BTreeMap<(PackageName, Version), Entry> = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut forks = 0;
    while let Some(region) = pending.pop() {
        forks += 1;
        if forks > MAX_FORKS {
            return Err(ResolveError::Unsupported(format!(
                "the universal resolve split into more than {MAX_FORKS} forks; narrow the target with --python-version or --python-platform"
            )));
        }
        let scope = Scope::fork(region.clone());
        let (provider, solution) = match solve(&scope, inputs, options, index, &cache, &preferences)
        {
            Ok(Outcome::Solved(provider, solution)) => (provider, solution),
            Ok(Outcome::Fork(parts)) if parts.len() < 2 || parts.contains(&region) => {
                return Err(ResolveError::Unsupported(format!(
                    "cannot split the environments `{}` further",
                    region.try_to_string().unwrap_or_default()
                )));
            }
            Ok(Outcome::Fork(parts)) => {
                // Solve the parts in the order given: push in reverse onto the stack.
                pending.extend(parts.into_iter().rev());
                continue;
            }
            Err(ResolveError::NoSolution { explanation }) => {
                let explanation = match lock_marker(&region, &target.requires_python) {
                    Some(m) => format!("In the environments where `{m}`:\n{explanation}"),
                    None => explanation,
                };
                return Err(ResolveError::NoSolution { explanation });
            }
            Err(e) => return Err(e),
        };
        {
            let mut prefs = lock(&preferences);
            for (pkg, version) in solution.iter() {
                if let Pkg::Package(name) = pkg {
                    let list = prefs.entry(name.clone()).or_default();
                    list.retain(|v| v != version);
                    list.insert(0, version.clone());
                }
            }
        }
        let reach = reachability(&provider, &solution, &region);
        for (pkg, version) in solution.iter() {
            let Pkg::Package(name) = pkg else { continue };
            let Some(marker) = reach.get(pkg) else {
                continue;
            };
            if !crate::pep::is_possible(marker) {
                continue;
            }
            let entry = entries
                .entry((name.clone(), version.clone()))
                .or_insert_with(|| Entry {
                    marker: MarkerTree::FALSE,
                    files: provider
                        .candidate(name, version)
                        .map(|c| c.files)
                        .unwrap_or_default(),
                    requires_python: provider.requires_python(name, version),
                });
            entry.marker = or(&entry.marker, marker);
        }
        warnings.extend(provider.take_missing_extras().into_iter().map(
            |(name, version, extra)| {
                format!("{name}=={version} does not provide the extra `{extra}`")
            },
        ));
    }
    warnings.sort();
    warnings.dedup();
    let packages = entries
        .into_iter()
        .map(|((name, version), entry)| ResolvedPackage {
            marker: lock_marker(&entry.marker, &target.requires_python),
            name,
            version,
            requires_python: entry.requires_python,
            files: entry.files,
        })
        .collect();
    Ok(Resolution {
        requires_python: target.requires_python.clone(),
        environments: Vec::new(),
        packages,
        warnings,
    })
}

/// Where each selected node is needed within `region`: the least fixpoint of
/// `reach(dep) ⊇ reach(parent) ∧ marker(edge)` from the root.
fn reachability(
    provider: &Provider<'_>,
    solution: &SelectedDependencies<Pkg, Version>,
    region: &MarkerTree,
) -> HashMap<Pkg, MarkerTree> {
    let mut reach: HashMap<Pkg, MarkerTree> = HashMap::new();
    reach.insert(Pkg::Root, region.clone());
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
        for edge in provider.edges_of(&node, &version) {
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
