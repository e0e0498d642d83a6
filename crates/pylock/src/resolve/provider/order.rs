//! The order candidate choice tries versions in: the versions earlier forks chose (newest
//! first), then the range in the resolution order. One place for both the walk
//! ([`super::choose`]) and its replay under other preferences ([`super::record`]).

use std::collections::{HashMap, HashSet};

use crate::pep::{PackageName, Range, Version};
use crate::resolve::candidates::{Candidate, Candidates};

/// The versions `preferences` holds for `name`, in the order candidate choice tries them:
/// newest first, those in `elsewhere` (locked only for other environments) after the others;
/// none when versions are tried lowest first.
pub(super) fn preference_order(
    preferences: &HashMap<PackageName, Vec<Version>>,
    name: &PackageName,
    lowest_first: bool,
    elsewhere: &HashSet<(PackageName, Version)>,
) -> Vec<Version> {
    if lowest_first {
        return Vec::new();
    }
    let mut preferred = preferences.get(name).cloned().unwrap_or_default();
    preferred.sort();
    preferred.reverse();
    if !elsewhere.is_empty() {
        // Versions locked for other environments only come after those locked here.
        let key = |v: &Version| elsewhere.contains(&(name.clone(), v.clone()));
        preferred.sort_by_key(key);
    }
    preferred
}

/// The candidates of one pass of candidate choice, in the order they are judged: the
/// preferred versions, then those in `range` in the resolution order; only those in range,
/// usable, and stable when `stable_only`.
pub(super) fn tried<'c>(
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
