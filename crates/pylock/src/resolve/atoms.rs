//! The version sets the solver works with: sets of *atoms* of a project's listed versions,
//! held as runs of positions in its listing, so that the versions of one project that share a
//! dependency merge into one segment and the solver's set algebra never touches a PEP 440
//! version.
//!
//! PubGrub merges the dependency incompatibilities of versions that depend on the same range
//! (`botocore 1.18.18 depends on urllib3 >=1.20,<1.26`, then 1.18.17, ...) into one whose
//! dependent side is the union of their singletons. Over PEP 440 versions that union never
//! coalesces (`[1.18.17, 1.18.17] ∪ [1.18.18, 1.18.18]` stays two pieces: versions such as
//! `1.18.17.post1` could lie between), so backtracking through 1,500 versions built 1,500
//! ever larger unions, each kept by the solver: 145 of the 215 MB peak of `urllib3<1.25.4 +
//! boto3`, and most of its time in range operations.
//!
//! Here the unit is an *atom*: a listed version and everything up to the next listed one
//! (the first atom reaches down to nothing, the last up to everything). A decided version is
//! its atom, and every range handed to the solver is a union of atoms of its project (see
//! [`Atoms::align`]), so PubGrub's set algebra is exact on the versions that exist, and
//! consecutive versions merge into one segment.
//!
//! An atom is named by its version's position in the listing (ascending, the same
//! [`Candidates`](super::candidates::Candidates) for the whole run: one fetch store serves
//! every fork and restart), and a set is its sorted, disjoint, non-adjacent runs
//! `[start, end)` of positions. The last listed version's atom ends at [`TOP`], so that every
//! set has one form and [`Atoms::full`] is `[0, TOP)` whatever the project (PubGrub compares
//! sets with `==`, and makes `full` and `empty` without knowing the project). Set operations
//! are merges of integer runs; the common one-run sets live inline.
//!
//! A project with no listed versions (not on the index, or an empty page) has no atoms: its
//! ranges stay PEP 440 ranges ([`Atoms::align`]), which the explanations then show as the
//! requirements wrote them. No version of it is ever decided.

use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

use pubgrub::VersionSet;
use smallvec::{smallvec, SmallVec};

use super::candidates::Candidate;
use crate::pep::{Range, Version};

/// Where the last listed version's atom ends: above every position.
const TOP: u32 = u32::MAX;

/// Positions `[start, end)` in a listing.
type Run = (u32, u32);

/// Sorted, disjoint, non-adjacent runs, as set operations build them (on the stack up to a
/// few).
type Runs = SmallVec<[Run; 4]>;

/// A position in a listing as a run bound. Listings are read from pages of bounded size, far
/// below `u32::MAX` versions; a larger one would merge its last versions into one atom.
fn position(index: usize) -> u32 {
    u32::try_from(index).map_or(TOP - 1, |p| p.min(TOP - 1))
}

/// A version as the solver decides it: the version and its atom's positions.
#[derive(Clone, Debug)]
pub struct SolverVersion {
    /// The version.
    pub version: Version,
    /// Its position in its project's listing (0 for the root).
    at: u32,
    /// Where its atom ends: the next position, or [`TOP`] for the last listed version.
    end: u32,
    /// Why the version cannot be used, when the provider offers it only so that the solver
    /// learns that (see [`SolverVersion::rejected`]).
    rejection: Option<Arc<str>>,
}

impl SolverVersion {
    /// The version of the root (the only one of its node: its atom is everything).
    pub fn root() -> Self {
        Self {
            version: Version::new([0]),
            at: 0,
            end: TOP,
            rejection: None,
        }
    }

    /// The version at `index` of a project's ascending `versions`.
    pub fn listed(versions: &[Arc<Candidate>], index: usize) -> Self {
        let last = index + 1 >= versions.len();
        Self {
            version: versions[index].version.clone(),
            at: position(index),
            end: if last { TOP } else { position(index + 1) },
            rejection: None,
        }
    }

    /// This version offered as one that cannot be used, and why: the solver hands the
    /// version it chose back to `get_dependencies`, which answers with the reason, so that
    /// the explanation names each rejected version. Equality and order ignore it.
    pub fn rejected(self, reason: String) -> Self {
        Self {
            rejection: Some(reason.into()),
            ..self
        }
    }

    /// Why the version cannot be used, if it was offered as [`SolverVersion::rejected`].
    pub fn rejection(&self) -> Option<&str> {
        self.rejection.as_deref()
    }
}

// Versions of one project compare by position, which orders them as their versions (the
// listing is ascending); versions of different projects are never compared.
impl PartialEq for SolverVersion {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for SolverVersion {}

impl PartialOrd for SolverVersion {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SolverVersion {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at.cmp(&other.at)
    }
}

impl fmt::Display for SolverVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.version.fmt(f)
    }
}

/// A union of atoms of one project (or a PEP 440 range, for a project nothing is listed for).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Atoms(Repr);

/// The runs of positions in the project's listing by their number, so that the common sets
/// (one segment) compare, copy and drop as two integers: PubGrub compares the dependency
/// terms of every pair of versions of a dependent (`merge_dependents`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Repr {
    /// No version.
    Empty,
    /// One run.
    One(Run),
    /// Two runs or more.
    Many(Box<[Run]>),
    /// A range of a project with no listed versions, neither empty nor full (those are
    /// runs, so that each set has one form).
    Plain(Box<Range>),
}

impl Repr {
    /// Runs in their one form.
    fn runs(runs: &[Run]) -> Self {
        match runs {
            [] => Self::Empty,
            [one] => Self::One(*one),
            many => Self::Many(many.into()),
        }
    }
}

impl Atoms {
    /// The atoms of the `versions` (ascending) that `range` contains. With nothing listed, no
    /// version can be decided and `range` is kept as it is.
    pub fn align(range: &Range, versions: &[Arc<Candidate>]) -> Self {
        if versions.is_empty() {
            return Self::plain(range.clone());
        }
        let len = versions.len();
        let runs: Runs = runs(range, versions)
            .into_iter()
            .map(|(start, end)| {
                let end = if end >= len { TOP } else { position(end) };
                (position(start), end)
            })
            .collect();
        Self(Repr::runs(&runs))
    }

    /// `range` of a project with no listed versions, in its one form.
    fn plain(range: Range) -> Self {
        if range.is_empty() {
            Self::empty()
        } else if range == Range::full() {
            Self::full()
        } else {
            Self(Repr::Plain(Box::new(range)))
        }
    }

    /// The versions as a PEP 440 range, given the project's ascending `versions` (those the
    /// set was aligned to): each run from its first version up to the next listed one.
    pub fn range_in(&self, versions: &[Arc<Candidate>]) -> Range {
        if let Repr::Plain(range) = &self.0 {
            return Range::clone(range);
        }
        let mut out = Range::empty();
        for &(start, end) in self.runs() {
            let low = match start {
                0 => Bound::Unbounded,
                s => match versions.get(s as usize) {
                    Some(c) => Bound::Included(c.version.clone()),
                    // Not a position of this listing: nothing listed there.
                    None => continue,
                },
            };
            let high = match versions.get(end as usize).filter(|_| end != TOP) {
                Some(c) => Bound::Excluded(c.version.clone()),
                None => Bound::Unbounded,
            };
            out = out.union(&Range::from_range_bounds((low, high)));
        }
        out
    }

    /// The runs of positions (none for a project with no listed versions).
    fn runs(&self) -> &[Run] {
        match &self.0 {
            Repr::Empty | Repr::Plain(_) => &[],
            Repr::One(run) => std::slice::from_ref(run),
            Repr::Many(runs) => runs,
        }
    }

    /// Whether it holds the version at position `index` of the listing it was aligned to.
    pub fn holds(&self, index: usize) -> bool {
        contains_at(self.runs(), position(index))
    }

    /// The positions of the listing (of `len` versions) it holds, as index ranges, lowest
    /// first.
    pub fn slices(
        &self,
        len: usize,
    ) -> impl DoubleEndedIterator<Item = std::ops::Range<usize>> + '_ {
        self.runs().iter().filter_map(move |&(start, end)| {
            let (start, end) = (start as usize, (end as usize).min(len));
            (start < end).then_some(start..end)
        })
    }

    /// How many versions of a listing of `len` versions it holds.
    pub fn count_in(&self, len: usize) -> usize {
        self.slices(len).map(|s| s.len()).sum()
    }

    /// Whether it holds no version at all.
    pub fn is_empty(&self) -> bool {
        matches!(&self.0, Repr::Empty)
    }

    /// The set as a PEP 440 range when only its own form tells (a project with no listed
    /// versions: full, empty or plain). A set of positions mixed with a plain range would be
    /// two projects' sets mixed, which the solver never does; such a set counts as full.
    fn as_plain(&self) -> Range {
        match &self.0 {
            Repr::Plain(range) => Range::clone(range),
            Repr::Empty => Range::empty(),
            Repr::One(run) => {
                debug_assert_eq!(*run, (0, TOP), "positions mixed with a range");
                Range::full()
            }
            Repr::Many(_) => {
                debug_assert!(false, "positions mixed with a range");
                Range::full()
            }
        }
    }
}

/// The runs of `versions` (ascending) that `range` holds, as index ranges `[start, end)`,
/// found by binary search (projects list thousands of versions).
fn runs(range: &Range, versions: &[Arc<Candidate>]) -> Vec<(usize, usize)> {
    let first_at_or_after = |bound: Bound<&Version>| match bound {
        Bound::Included(v) => versions.partition_point(|c| c.version < *v),
        Bound::Excluded(v) => versions.partition_point(|c| c.version <= *v),
        Bound::Unbounded => 0,
    };
    let end_before = |bound: Bound<&Version>| match bound {
        Bound::Included(v) => versions.partition_point(|c| c.version <= *v),
        Bound::Excluded(v) => versions.partition_point(|c| c.version < *v),
        Bound::Unbounded => versions.len(),
    };
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (low, high) in range.iter() {
        let (start, end) = (first_at_or_after(low.as_ref()), end_before(high.as_ref()));
        if start >= end {
            continue;
        }
        match runs.last_mut() {
            Some(last) if last.1 == start => last.1 = end,
            _ => runs.push((start, end)),
        }
    }
    runs
}

fn contains_at(runs: &[Run], at: u32) -> bool {
    if let [(start, end)] = runs {
        return *start <= at && at < *end;
    }
    let i = runs.partition_point(|&(_, end)| end <= at);
    runs.get(i).is_some_and(|&(start, _)| start <= at)
}

fn complement(runs: &[Run]) -> Runs {
    let mut out = Runs::new();
    let mut from = 0;
    for &(start, end) in runs {
        if start > from {
            out.push((from, start));
        }
        from = end;
    }
    if from < TOP {
        out.push((from, TOP));
    }
    out
}

fn intersection(a: &[Run], b: &[Run]) -> Runs {
    if let ([(s1, e1)], [(s2, e2)]) = (a, b) {
        let (start, end) = ((*s1).max(*s2), (*e1).min(*e2));
        return if start < end {
            smallvec![(start, end)]
        } else {
            Runs::new()
        };
    }
    let mut out = Runs::new();
    let (mut i, mut j) = (0, 0);
    while let (Some(&(s1, e1)), Some(&(s2, e2))) = (a.get(i), b.get(j)) {
        let (start, end) = (s1.max(s2), e1.min(e2));
        if start < end {
            out.push((start, end));
        }
        if e1 < e2 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn union(a: &[Run], b: &[Run]) -> Runs {
    let mut out = Runs::new();
    let (mut i, mut j) = (0, 0);
    loop {
        let next = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x.0 <= y.0 => {
                i += 1;
                x
            }
            (_, Some(&y)) => {
                j += 1;
                y
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, None) => return out,
        };
        match out.last_mut() {
            // Overlapping or adjacent: one run.
            Some(last) if next.0 <= last.1 => last.1 = last.1.max(next.1),
            _ => out.push(next),
        }
    }
}

/// Whether every run of `a` lies in `b` (in one run of it: `b`'s runs are apart).
fn subset_of(a: &[Run], b: &[Run]) -> bool {
    let mut j = 0;
    for &(start, end) in a {
        while b.get(j).is_some_and(|&(_, e)| e <= start) {
            j += 1;
        }
        match b.get(j) {
            Some(&(s, e)) if s <= start && end <= e => {}
            _ => return false,
        }
    }
    true
}

fn is_disjoint(a: &[Run], b: &[Run]) -> bool {
    let (mut i, mut j) = (0, 0);
    while let (Some(&(s1, e1)), Some(&(s2, e2))) = (a.get(i), b.get(j)) {
        if s1.max(s2) < e1.min(e2) {
            return false;
        }
        if e1 < e2 {
            i += 1;
        } else {
            j += 1;
        }
    }
    true
}

impl fmt::Display for Atoms {
    /// Positions (`#3..#7`, `#12..`): the solver's own view, for its logs. Explanations show
    /// versions ([`Atoms::range_in`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Plain(range) => f.write_str(&crate::pep::display_range(range)),
            Repr::Empty => f.write_str("∅"),
            Repr::One(_) | Repr::Many(_) => {
                for (i, &(start, end)) in self.runs().iter().enumerate() {
                    let sep = if i == 0 { "" } else { " | " };
                    match end {
                        TOP => write!(f, "{sep}#{start}..")?,
                        _ => write!(f, "{sep}#{start}..#{end}")?,
                    }
                }
                Ok(())
            }
        }
    }
}

impl VersionSet for Atoms {
    type V = SolverVersion;

    fn empty() -> Self {
        Self(Repr::Empty)
    }

    fn singleton(v: SolverVersion) -> Self {
        Self(Repr::One((v.at, v.end)))
    }

    fn complement(&self) -> Self {
        match &self.0 {
            Repr::Plain(range) => Self::plain(range.complement()),
            _ => Self(Repr::runs(&complement(self.runs()))),
        }
    }

    fn intersection(&self, other: &Self) -> Self {
        match (&self.0, &other.0) {
            (Repr::Plain(_), _) | (_, Repr::Plain(_)) => {
                Self::plain(self.as_plain().intersection(&other.as_plain()))
            }
            _ => Self(Repr::runs(&intersection(self.runs(), other.runs()))),
        }
    }

    fn contains(&self, v: &SolverVersion) -> bool {
        match &self.0 {
            Repr::Plain(range) => range.contains(&v.version),
            _ => contains_at(self.runs(), v.at),
        }
    }

    fn full() -> Self {
        Self(Repr::One((0, TOP)))
    }

    fn union(&self, other: &Self) -> Self {
        match (&self.0, &other.0) {
            (Repr::Plain(_), _) | (_, Repr::Plain(_)) => {
                Self::plain(self.as_plain().union(&other.as_plain()))
            }
            _ => Self(Repr::runs(&union(self.runs(), other.runs()))),
        }
    }

    fn is_disjoint(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::Plain(_), _) | (_, Repr::Plain(_)) => {
                self.as_plain().is_disjoint(&other.as_plain())
            }
            _ => is_disjoint(self.runs(), other.runs()),
        }
    }

    fn subset_of(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::Plain(_), _) | (_, Repr::Plain(_)) => {
                self.as_plain().subset_of(&other.as_plain())
            }
            _ => subset_of(self.runs(), other.runs()),
        }
    }
}

#[cfg(test)]
mod tests;
