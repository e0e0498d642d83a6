//! The order in which candidate choice judges a package's candidates: the preferred versions,
//! then the rest in the resolution order. One function for both the walk
//! ([`super::choose`]) and its replay ([`super::record`]), so the two cannot disagree.

use crate::pep::{Range, Version};
use crate::resolve::candidates::{Candidate, Candidates};

/// The candidates of every pass of candidate choice, one pass per entry of `passes` (its
/// `stable_only`), in the order they are judged: the walk and its replay both go this way.
pub(super) fn walk_order<'c>(
    preferred: &'c [Version],
    candidates: &'c Candidates,
    range: &'c Range,
    lowest_first: bool,
    passes: &'c [bool],
) -> impl Iterator<Item = &'c Candidate> + 'c {
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
    range: &'c Range,
    lowest_first: bool,
    stable_only: bool,
) -> impl Iterator<Item = &'c Candidate> + 'c {
    ordered(preferred, candidates, range, lowest_first).filter(move |c| {
        range.contains(&c.version)
            && c.unusable.is_none()
            && (!stable_only || !c.version.any_prerelease())
    })
}

/// The preferred versions that are candidates, then the candidates in `range` in the
/// resolution order. An iterator, not a list: projects list thousands of versions and the
/// solver usually takes the first that fits.
pub(super) fn ordered<'c>(
    preferred: &'c [Version],
    candidates: &'c Candidates,
    range: &'c Range,
    lowest_first: bool,
) -> impl Iterator<Item = &'c Candidate> + 'c {
    let by_pref = preferred
        .iter()
        .filter_map(|v| candidates.get(v).map(AsRef::as_ref));
    let rest = candidates.within(range, lowest_first).map(AsRef::as_ref);
    by_pref.chain(rest)
}
