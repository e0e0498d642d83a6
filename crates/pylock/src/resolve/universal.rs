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
use super::exclusion::{Exclusions, Failure};
use super::fetch::Fetcher;
use super::inputs::Inputs;
use super::narrow::{equivalent_within, narrowed_requires_python, shortest_within};
use super::provider::{ForkPart, Pkg, Preferences, Provider};
use super::scope::Scope;
use super::solve::{solve, Outcome};
use super::{Options, Resolution, ResolveError, ResolvedPackage};
use crate::index::{DistFile, DistKind};
use crate::manifest::Target;
use crate::pep::{
    and, is_possible, lock_marker, or, python_marker, MarkerTree, PackageName, Version,
    VersionSpecifiers,
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

/// What the forks of one resolve add up to.
struct Forks {
    entries: BTreeMap<(PackageName, Version), Entry>,
    exclusions: Exclusions,
    warnings: Vec<String>,
}

/// Resolve for every environment `target.requires_python` admits.
pub fn resolve_universal(
    inputs: &Inputs,
    target: &Target,
    options: &Options,
    fetcher: &Fetcher<'_>,
) -> Result<Resolution, ResolveError> {
    let whole = target_region(target);
    let forks = solve_forks(&whole, inputs, target, options, fetcher)?;
    // A multi-use lock claims no environment that some selection cannot install in.
    let excluded = inputs.uses.project_out(&forks.exclusions.region);
    let claimed = and(&whole, &excluded.negate());
    if !is_possible(&claimed) {
        return Err(ResolveError::NoSolution {
            explanation: format!(
                "no environment of the target can be locked:\n\n{}",
                forks.exclusions.explanation()
            ),
            facts: forks.exclusions.facts(),
        });
    }
    let requires_python = narrowed_requires_python(&claimed, &target.requires_python);
    let within = and(&python_marker(&requires_python), &claimed);
    let packages = forks
        .entries
        .into_iter()
        .map(|((name, version), mut entry)| {
            entry.marker = inputs.uses.widen(&entry.marker);
            entry.plain = inputs.uses.widen(&entry.plain);
            package(name, version, entry, &within, &requires_python)
        })
        .collect();
    // Said without the combinations no real machine has (`sys_platform == 'linux' and
    // platform_system != 'Linux'`), which splits on markers leave behind.
    let said = shortest_within(&claimed, &python_marker(&requires_python));
    let environments: Vec<String> = lock_marker(&said, &requires_python).into_iter().collect();
    let applies = match environments.first() {
        Some(env) => format!("Python {requires_python} where `{env}`"),
        None => format!("Python {requires_python}"),
    };
    let mut warnings = forks.exclusions.warnings(&inputs.env_set, &applies);
    warnings.extend(forks.warnings);
    Ok(Resolution {
        requires_python,
        environments,
        packages,
        warnings,
        roots: Vec::new(),
        direct: std::collections::BTreeMap::new(),
    })
}

/// Solve every fork of `whole`, leaving out those the environments rule out.
fn solve_forks(
    whole: &MarkerTree,
    inputs: &Inputs,
    target: &Target,
    options: &Options,
    fetcher: &Fetcher<'_>,
) -> Result<Forks, ResolveError> {
    let preferences = super::provider::preferences(options);
    // Solved in the order given: pushed in reverse onto the stack.
    let mut pending: Vec<ForkPart> = (inputs.uses.regions(whole)?)
        .into_iter()
        .rev()
        .map(|region| ForkPart {
            region,
            excludable: false,
        })
        .collect();
    let mut forks = Forks {
        entries: BTreeMap::new(),
        exclusions: Exclusions::new(),
        warnings: Vec::new(),
    };
    let mut count = 0;
    while let Some(ForkPart { region, excludable }) = pending.pop() {
        count += 1;
        if count > MAX_FORKS {
            return Err(ResolveError::TooManyForks { limit: MAX_FORKS });
        }
        let scope = Scope::fork(region.clone(), &inputs.env_set);
        let (provider, solution) = match solve(&scope, inputs, options, fetcher, &preferences)? {
            Outcome::Solved(provider, solution) => (provider, solution),
            Outcome::Fork(parts) if parts.len() < 2 || parts.iter().any(|p| p.region == region) => {
                return Err(ResolveError::Unsplittable {
                    environments: region.try_to_string().unwrap_or_default(),
                });
            }
            Outcome::Fork(parts) => {
                // Solve the parts in the order given: push in reverse onto the stack.
                // Parts of an excludable fork stay excludable.
                pending.extend(parts.into_iter().rev().map(|p| ForkPart {
                    excludable: p.excludable || excludable,
                    region: p.region,
                }));
                continue;
            }
            Outcome::Failed(failure) => {
                let part = ForkPart { region, excludable };
                let asked = Asked {
                    whole,
                    target,
                    options,
                    inputs,
                };
                on_failure(part, failure, &asked, &mut forks, &mut pending)?;
                continue;
            }
        };
        // A fork that may be left out (above a Requires-Python cap, or without files) took
        // what was left for it, often old versions: other forks do not prefer those.
        if !excludable {
            publish_preferences(&preferences, &solution);
        }
        add_entries(&mut forks.entries, &provider, &solution, &region);
        forks.warnings.extend(provider.missing_extra_warnings());
    }
    forks.warnings.sort();
    forks.warnings.dedup();
    Ok(forks)
}

/// What a resolve was asked for.
struct Asked<'a> {
    /// The target's whole region.
    whole: &'a MarkerTree,
    target: &'a Target,
    options: &'a Options,
    inputs: &'a Inputs,
}

/// A fork with no solution: split where the culprits are required, or leave it out, or fail.
fn on_failure(
    part: ForkPart,
    failure: Failure,
    asked: &Asked<'_>,
    forks: &mut Forks,
    pending: &mut Vec<ForkPart>,
) -> Result<(), ResolveError> {
    let Asked {
        whole,
        target,
        options,
        inputs,
    } = asked;
    let ForkPart { region, excludable } = part;
    // Ruled out only where the culprits are required: solve the rest apart.
    let needed = and(&region, &failure.needed_where);
    if failure.environmental() && is_possible(&needed) && needed != region {
        pending.push(ForkPart {
            region: needed,
            excludable: true,
        });
        pending.push(ForkPart {
            region: and(&region, &failure.needed_where.negate()),
            excludable,
        });
        return Ok(());
    }
    // A proper part of the target that the environments rule out is left out; so is a part
    // split off as excludable (above a cap, without files).
    let leave_out = excludable || (region != **whole && failure.environmental());
    // Said without a multi-use lock's selection items: the environments are what matters.
    let shown = lock_marker(&inputs.uses.project_out(&region), &target.requires_python);
    match lock_marker(&region, &target.requires_python) {
        Some(place) if leave_out && !options.strict => {
            let envs = inputs.env_set.envs_in(&region);
            forks
                .exclusions
                .add(&region, &envs, shown.unwrap_or(place), failure);
            Ok(())
        }
        Some(_) => Err(ResolveError::NoSolution {
            explanation: match shown {
                Some(place) => format!(
                    "In the environments where `{place}`:\n{}",
                    failure.explanation
                ),
                None => failure.explanation,
            },
            facts: failure.facts,
        }),
        None => Err(ResolveError::NoSolution {
            explanation: failure.explanation,
            facts: failure.facts,
        }),
    }
}

/// Later forks prefer the versions this one chose, newest choice first.
fn publish_preferences(preferences: &Preferences, solution: &SelectedDependencies<Pkg, Version>) {
    let mut prefs = lock(preferences);
    for (pkg, version) in solution.iter() {
        if let Pkg::Package(name) = pkg {
            let list = prefs.entry(name.clone()).or_default();
            list.retain(|v| v != version);
            list.insert(0, version.clone());
        }
    }
}

/// Record where each package of a fork's solution is needed.
fn add_entries(
    entries: &mut BTreeMap<(PackageName, Version), Entry>,
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
        entry.marker = or(&entry.marker, &and(marker, region));
        entry.plain = or(&entry.plain, marker);
    }
}

/// A locked package: only the wheels some environment of its marker installs, and the
/// shortest marker that holds where it is needed within the lock's environments `within`.
fn package(
    name: PackageName,
    version: Version,
    entry: Entry,
    within: &MarkerTree,
    requires_python: &VersionSpecifiers,
) -> ResolvedPackage {
    let needed = and(&entry.marker, within);
    let files = entry
        .files
        .into_iter()
        .filter(|f| match &f.kind {
            DistKind::Wheel(tags) => is_possible(&and(&needed, &wheel_marker(tags))),
            DistKind::Sdist => true,
        })
        .collect();
    let mut options = vec![entry.marker.clone()];
    if equivalent_within(&entry.plain, &entry.marker, within) {
        options.insert(0, entry.plain.clone());
    }
    let shortest = shortest_within(&options[0], within);
    options.push(shortest);
    let marker = options
        .iter()
        .map(|m| lock_marker(m, requires_python))
        .min_by_key(|text| text.as_ref().map_or(0, String::len))
        .flatten();
    ResolvedPackage {
        marker,
        name,
        version,
        requires_python: entry.requires_python,
        files,
        dependencies: Vec::new(),
    }
}

/// Why a target has no environment at all to lock: its Python is outside its
/// `requires-python`, or its `requires-python` admits no Python.
pub fn impossible_target(target: &Target) -> Option<String> {
    let rp = &target.requires_python;
    if let Some(python) = &target.python {
        let admitted = pep440_rs::release_specifiers_to_ranges(rp.clone());
        if !admitted.contains(python) {
            return Some(format!(
                "the target Python {python} (--python-version) is outside requires-python `{rp}`: there is no environment to lock"
            ));
        }
    }
    let pythons = pep440_rs::release_specifiers_to_ranges(rp.clone())
        .intersection(&super::scope::python_universe());
    pythons.is_empty().then(|| {
        format!("requires-python `{rp}` admits no Python: there is no environment to lock")
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
