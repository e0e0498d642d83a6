//! The order in which candidate choice judges a package's candidates: the preferred versions,
//! then the rest in the resolution order. One function for both the walk
//! ([`super::choose`]) and its replay ([`super::record`]), so the two cannot disagree.

use crate::pep::Version;
use crate::resolve::atoms::Atoms;
use crate::resolve::candidates::{Candidate, Candidates};

/// The candidates of every pass of candidate choice, one pass per entry of `passes` (its
/// `stable_only`), in the order they are judged, with their positions in the listing: the
/// walk and its replay both go this way.
pub(super) fn walk_order<'c>(
    preferred: &'c [Version],
    candidates: &'c Candidates,
    range: &'c Atoms,
    lowest_first: bool,
    passes: &'c [bool],
) -> impl Iterator<Item = (usize, &'c Candidate)> + 'c {
    (passes.iter()).flat_map(move |&stable_only| {
        tried(preferred, candidates, range, lowest_first, stable_only)
    })
}

/// The candidates of one pass of candidate choice, in the order they are judged: the
/// preferred versions, then those in `range` in the resolution order; only those in range,
/// usable, and stable when `stable_only`.
fn tried<'c>(
    preferred: &'c [Version],
    candidates: &'c Candidates,
    range: &'c Atoms,
    lowest_first: bool,
    stable_only: bool,
) -> impl Iterator<Item = (usize, &'c Candidate)> + 'c {
    ordered(preferred, candidates, range, lowest_first).filter(move |&(at, c)| {
        range.holds(at) && c.unusable.is_none() && (!stable_only || !c.version.any_prerelease())
    })
}

/// The preferred versions that are candidates, then the candidates in `range` in the
/// resolution order, with their positions in the listing. An iterator, not a list: projects
/// list thousands of versions and the solver usually takes the first that fits.
pub(super) fn ordered<'c>(
    preferred: &'c [Version],
    candidates: &'c Candidates,
    range: &'c Atoms,
    lowest_first: bool,
) -> impl Iterator<Item = (usize, &'c Candidate)> + 'c {
    let versions = &candidates.versions;
    let by_pref = preferred.iter().filter_map(|v| position(candidates, v));
    // The range's runs of positions, walked up or down: no version compared.
    let slices = || range.slices(versions.len());
    let up = lowest_first.then(|| slices().flatten());
    let down = (!lowest_first).then(|| slices().rev().flat_map(Iterator::rev));
    let rest = up.into_iter().flatten().chain(down.into_iter().flatten());
    by_pref.chain(rest).map(|at| (at, versions[at].as_ref()))
}

/// The position of `version` in the listing, if listed.
pub(super) fn position(candidates: &Candidates, version: &Version) -> Option<usize> {
    (candidates.versions)
        .binary_search_by(|c| c.version.cmp(version))
        .ok()
}
