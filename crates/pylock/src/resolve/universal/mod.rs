//! Universal resolution: one lock for every Python in `requires-python` on every platform.
//!
//! pubgrub 0.4 cannot clone a half-finished solve, so forks are restarts over a shared cache: a
//! solve that meets sibling requirements with different markers, or a candidate whose
//! Requires-Python covers only part of the fork's Pythons, stops with a fork request; the
//! driver replaces the fork by its parts and solves each. Versions chosen by earlier forks are
//! preferred by later ones. Each solved fork then marks every package with where it is needed
//! (the union over incoming edges of parent marker and edge marker), and the forks merge.
//!
//! The driver is here; [`queue`] holds the forks still to solve, [`merge`] accumulates the
//! solved ones, [`finish`] turns them into the [`Resolution`]. Where a fork splits is
//! [`super::forks`].

mod finish;
mod merge;
mod queue;
mod speculate;
#[cfg(test)]
mod tests;

use pubgrub::SelectedDependencies;

use super::exclusion::Failure;
use super::fetch::Fetcher;
use super::forks::ForkPart;
use super::inputs::Inputs;
use super::pkg::Pkg;
use super::provider::Preferences;
use super::solve::Outcome;
use super::{Options, Resolution, ResolveError};
use crate::manifest::Target;
use crate::pep::{and, is_possible, lock_marker, python_marker, MarkerTree, Version};
use crate::util::lock;
use merge::Forks;
use queue::ForkQueue;
use speculate::{Ahead, Shared};

/// Resolve for every environment `target.requires_python` admits.
pub fn resolve_universal(
    inputs: &Inputs,
    target: &Target,
    options: &Options,
    fetcher: &Fetcher<'_>,
) -> Result<Resolution, ResolveError> {
    let whole = target_region(target);
    let asked = Asked {
        whole: &whole,
        target,
        options,
        inputs,
    };
    let forks = solve_forks(&asked, fetcher)?;
    finish::finish(forks, &asked)
}

/// What a resolve was asked for.
struct Asked<'a> {
    /// The target's whole region.
    whole: &'a MarkerTree,
    target: &'a Target,
    options: &'a Options,
    inputs: &'a Inputs,
}

/// Solve every fork of the target, leaving out those the environments rule out; the forks
/// queued next are solved ahead on other cores ([`speculate`]).
fn solve_forks(asked: &Asked<'_>, fetcher: &Fetcher<'_>) -> Result<Forks, ResolveError> {
    Ok(solve_forks_with(asked, fetcher, speculate::per_core())?.0)
}

/// [`solve_forks`], solving up to `width` forks at once; with how many forks solved ahead
/// were kept and how many solved again.
fn solve_forks_with(
    asked: &Asked<'_>,
    fetcher: &Fetcher<'_>,
    width: usize,
) -> Result<(Forks, (usize, usize)), ResolveError> {
    let Asked {
        whole,
        options,
        inputs,
        ..
    } = asked;
    let preferences = super::provider::preferences(options);
    let start = match seeds(options, inputs, whole) {
        Some(parts) => parts,
        None => (inputs.uses.regions(whole)?)
            .into_iter()
            .map(ForkPart::plain)
            .collect(),
    };
    let shared = Shared {
        inputs,
        options,
        fetcher,
        preferences: &preferences,
    };
    let mut ahead = Ahead::new(width);
    let mut queue = ForkQueue::new(start);
    let mut forks = Forks::new();
    while let Some(part) = queue.next()? {
        match ahead.turn(&part, queue.upcoming(), &shared)? {
            Outcome::Solved(provider, solution) => {
                // A fork that may be left out (above a Requires-Python cap, or without
                // files) took what was left for it, often old versions: other forks do not
                // prefer those.
                if !part.excludable {
                    publish_preferences(&preferences, &solution);
                }
                forks.add(&provider, &solution, &part.region);
                forks.leaves.push((part.region, part.excludable));
                // Every examined version's dependencies: freed off the solving thread.
                crate::util::release_in_background(provider.take_dependencies());
            }
            Outcome::Fork(parts) => queue.split(&part, parts)?,
            Outcome::Failed(failure) => on_failure(part, failure, asked, &mut forks, &mut queue)?,
        }
    }
    Ok((forks, (ahead.kept, ahead.redone)))
}

/// A fork with no solution: split where the culprits are required, or leave it out, or fail.
fn on_failure(
    part: ForkPart,
    failure: Failure,
    asked: &Asked<'_>,
    forks: &mut Forks,
    queue: &mut ForkQueue,
) -> Result<(), ResolveError> {
    let Asked {
        whole,
        target,
        options,
        inputs,
    } = asked;
    let ForkPart { region, excludable } = part;
    // Ruled out only where the culprits are required: solve the rest apart (first), then
    // that part, which may be left out.
    let needed = and(&region, &failure.needed_where);
    if failure.environmental() && is_possible(&needed) && needed != region {
        queue.solve_next(vec![
            ForkPart {
                region: and(&region, &failure.needed_where.negate()),
                excludable,
            },
            ForkPart {
                region: needed,
                excludable: true,
            },
        ]);
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
            forks.leaves.push((region, excludable));
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

/// The forks a re-lock starts from ([`Options::forks`]: an earlier resolve's, with the same
/// inputs) instead of the whole target: the splits an earlier resolve found are not found
/// again by solves that stop at each split (jupyter's universal lock: 7 solves, 3 of them
/// stopped). Only where they still divide the target exactly (disjoint, covering it, none
/// empty), and not for multi-use locks (whose regions carry selection items). More than
/// [`MAX_SEEDS`](super::MAX_SEEDS) regions are no seed at all (the forks come from a lock, which anyone can
/// write: a crafted one must not make a re-lock solve thousands of regions).
fn seeds(options: &Options, inputs: &Inputs, whole: &MarkerTree) -> Option<Vec<ForkPart>> {
    if !(2..=super::MAX_SEEDS).contains(&options.forks.len()) || !inputs.uses.vars.is_empty() {
        return None;
    }
    // One test per region against the union of those before it (not one per pair).
    let mut covered = MarkerTree::FALSE;
    for (region, _) in &options.forks {
        let inside = !is_possible(&and(region, &whole.negate()));
        let apart = !is_possible(&and(region, &covered));
        if !is_possible(region) || !inside || !apart {
            return None;
        }
        covered = crate::pep::or(&covered, region);
    }
    if is_possible(&and(whole, &covered.negate())) {
        return None;
    }
    let parts = options.forks.iter().map(|(region, excludable)| ForkPart {
        region: region.clone(),
        excludable: *excludable,
    });
    Some(parts.collect())
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
