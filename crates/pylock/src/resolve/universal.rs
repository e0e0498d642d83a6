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

use super::coverage::wheel_marker;
use super::fetch::Fetcher;
use super::inputs::Inputs;
use super::provider::{ForkPart, Pkg, Preferences, Provider};
use super::scope::Scope;
use super::solve::{solve, Outcome};
use super::{Options, Resolution, ResolveError, ResolvedPackage};
use crate::index::{DistFile, DistKind};
use crate::manifest::Target;
use crate::pep::{
    and, is_possible, lock_marker, or, python_marker, MarkerTree, PackageName, Version,
};
use crate::util::lock;

/// The most forks one resolve may create before it gives up.
const MAX_FORKS: usize = 10_000;

/// One locked (name, version) gathered over forks.
struct Entry {
    /// Where it is needed: over forks, the fork's region and the requirements' markers.
    marker: MarkerTree,
    /// The requirements' markers alone, over forks: often the same within the lock's
    /// environments, and much shorter.
    plain: MarkerTree,
    files: Vec<DistFile>,
    requires_python: Option<crate::pep::VersionSpecifiers>,
}

/// Resolve for every environment `target.requires_python` admits.
pub fn resolve_universal(
    inputs: &Inputs,
    target: &Target,
    options: &Options,
    fetcher: &Fetcher<'_>,
) -> Result<Resolution, ResolveError> {
    let preferences = Preferences::default();
    let mut pending = vec![ForkPart {
        region: target_region(target),
        excludable: false,
    }];
    let mut excluded = MarkerTree::FALSE;
    let mut entries: BTreeMap<(PackageName, Version), Entry> = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut forks = 0;
    while let Some(ForkPart { region, excludable }) = pending.pop() {
        forks += 1;
        if forks > MAX_FORKS {
            return Err(ResolveError::Unsupported(format!(
                "the universal resolve split into more than {MAX_FORKS} forks; narrow the target with --python-version or --python-platform"
            )));
        }
        let scope = Scope::fork(region.clone(), &inputs.env_set);
        let (provider, solution) = match solve(&scope, inputs, options, fetcher, &preferences) {
            Ok(Outcome::Solved(provider, solution)) => (provider, solution),
            Ok(Outcome::Fork(parts))
                if parts.len() < 2 || parts.iter().any(|p| p.region == region) =>
            {
                return Err(ResolveError::Unsupported(format!(
                    "cannot split the environments `{}` further",
                    region.try_to_string().unwrap_or_default()
                )));
            }
            Ok(Outcome::Fork(parts)) => {
                // Solve the parts in the order given: push in reverse onto the stack.
                // Parts of an excludable fork stay excludable.
                pending.extend(parts.into_iter().rev().map(|p| ForkPart {
                    excludable: p.excludable || excludable,
                    region: p.region,
                }));
                continue;
            }
            Err(ResolveError::NoSolution { explanation }) => {
                let place = lock_marker(&region, &target.requires_python);
                if let (true, false, Some(place)) = (excludable, options.strict, &place) {
                    warnings.push(format!(
                        "no versions install where `{place}`; the lock leaves those environments out (use --strict to fail instead):\n{explanation}"
                    ));
                    excluded = or(&excluded, &region);
                    continue;
                }
                return Err(ResolveError::NoSolution {
                    explanation: match place {
                        Some(place) => {
                            format!("In the environments where `{place}`:\n{explanation}")
                        }
                        None => explanation,
                    },
                });
            }
            Err(e) => return Err(e),
        };
        // A fork that may be left out (above a Requires-Python cap, or without files) took
        // what was left for it, often old versions: other forks do not prefer those.
        if !excludable {
            let mut prefs = lock(&preferences);
            for (pkg, version) in solution.iter() {
                if let Pkg::Package(name) = pkg {
                    let list = prefs.entry(name.clone()).or_default();
                    list.retain(|v| v != version);
                    list.insert(0, version.clone());
                }
            }
        }
        let reach = reachability(&provider, &solution);
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
                    plain: MarkerTree::FALSE,
                    files: provider
                        .candidate(name, version)
                        .map(|c| c.owned_files())
                        .unwrap_or_default(),
                    requires_python: provider.requires_python(name, version),
                });
            entry.marker = or(&entry.marker, &and(marker, &region));
            entry.plain = or(&entry.plain, marker);
        }
        warnings.extend(provider.missing_extra_warnings());
    }
    warnings.sort();
    warnings.dedup();
    let within = and(&python_marker(&target.requires_python), &excluded.negate());
    let packages = entries
        .into_iter()
        .map(|((name, version), entry)| {
            // Only the wheels some environment of the package's marker can install.
            let needed = and(&entry.marker, &within);
            let files = entry
                .files
                .into_iter()
                .filter(|f| match &f.kind {
                    DistKind::Wheel(tags) => is_possible(&and(&needed, &wheel_marker(tags))),
                    DistKind::Sdist => true,
                })
                .collect();
            let marker = if and(&entry.plain, &within) == and(&entry.marker, &within) {
                &entry.plain
            } else {
                &entry.marker
            };
            ResolvedPackage {
                marker: lock_marker(marker, &target.requires_python),
                name,
                version,
                requires_python: entry.requires_python,
                files,
            }
        })
        .collect();
    let mut claimed = target_region(target);
    claimed = and(&claimed, &excluded.negate());
    let environments = lock_marker(&claimed, &target.requires_python)
        .into_iter()
        .collect();
    Ok(Resolution {
        requires_python: target.requires_python.clone(),
        environments,
        packages,
        warnings,
    })
}

/// The environments a universal target covers: its Pythons, narrowed to one Python series
/// and/or one platform when the target says so.
fn target_region(target: &Target) -> MarkerTree {
    let mut region = python_marker(&target.requires_python);
    if let Some(python) = &target.python {
        let release = python.release();
        let series = format!(
            "python_full_version == '{}.{}.*'",
            release[0],
            release.get(1).copied().unwrap_or(0)
        );
        if let Ok(m) = series.parse::<MarkerTree>() {
            region = and(&region, &m);
        }
    }
    if let Some(platform) = &target.platform {
        if let Ok(m) = platform.marker().parse::<MarkerTree>() {
            region = and(&region, &m);
        }
    }
    region
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
