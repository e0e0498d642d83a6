//! The version sets the solver works with: ranges aligned to the versions a project's page
//! lists, so that the versions of one project that share a dependency merge into one
//! segment.
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

use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

use pubgrub::VersionSet;

use super::candidates::Candidate;
use crate::pep::{Range, Version};

/// A version as the solver decides it: the version and the bounds of its atom.
#[derive(Clone, Debug)]
pub struct SolverVersion {
    /// The version.
    pub version: Version,
    /// Whether it is the first listed version (its atom reaches down to nothing).
    first: bool,
    /// The next listed version, if any (where its atom ends).
    next: Option<Version>,
    /// Why the version cannot be used, when the provider offers it only so that the solver
    /// learns that (see [`SolverVersion::rejected`]).
    rejection: Option<Arc<str>>,
}

impl SolverVersion {
    /// The version of the root (the only one of its node).
    pub fn root() -> Self {
        Self {
            version: Version::new([0]),
            first: true,
            next: None,
            rejection: None,
        }
    }

    /// The version at `index` of a project's ascending `versions`.
    pub fn listed(versions: &[Arc<Candidate>], index: usize) -> Self {
        Self {
            version: versions[index].version.clone(),
            first: index == 0,
            next: versions.get(index + 1).map(|c| c.version.clone()),
            rejection: None,
        }
    }

    /// A version of a project with no listing (never decided: for completeness).
    pub fn unlisted(version: Version) -> Self {
        Self {
            version,
            first: false,
            next: None,
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

    fn atom(&self) -> Range {
        let low = if self.first {
            Bound::Unbounded
        } else {
            Bound::Included(self.version.clone())
        };
        let high = self.next.clone().map_or(Bound::Unbounded, Bound::Excluded);
        Range::from_range_bounds((low, high))
    }
}

impl PartialEq for SolverVersion {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
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
        self.version.cmp(&other.version)
    }
}

impl fmt::Display for SolverVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.version.fmt(f)
    }
}

/// A union of atoms of one project (or any range, for a project nothing is listed for).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Atoms(Range);

impl Atoms {
    /// The versions as a plain range.
    pub fn range(&self) -> &Range {
        &self.0
    }

    /// The atoms of the `versions` (ascending) that `range` contains. With nothing listed, no
    /// version can be decided and `range` is kept as it is.
    pub fn align(range: &Range, versions: &[Arc<Candidate>]) -> Self {
        if versions.is_empty() {
            return Self(range.clone());
        }
        let mut out = Range::empty();
        for (start, end) in runs(range, versions) {
            let low = if start == 0 {
                Bound::Unbounded
            } else {
                Bound::Included(versions[start].version.clone())
            };
            let high = match versions.get(end) {
                Some(c) => Bound::Excluded(c.version.clone()),
                None => Bound::Unbounded,
            };
            out = out.union(&Range::from_range_bounds((low, high)));
        }
        Self(out)
    }

    /// How many of the `versions` (ascending) it holds.
    pub fn count_in(&self, versions: &[Arc<Candidate>]) -> usize {
        runs(&self.0, versions).iter().map(|(s, e)| e - s).sum()
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

impl fmt::Display for Atoms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::pep::display_range(&self.0))
    }
}

impl VersionSet for Atoms {
    type V = SolverVersion;

    fn empty() -> Self {
        Self(Range::empty())
    }

    fn singleton(v: SolverVersion) -> Self {
        Self(v.atom())
    }

    fn complement(&self) -> Self {
        Self(self.0.complement())
    }

    fn intersection(&self, other: &Self) -> Self {
        Self(self.0.intersection(&other.0))
    }

    fn contains(&self, v: &SolverVersion) -> bool {
        self.0.contains(&v.version)
    }

    fn full() -> Self {
        Self(Range::full())
    }

    fn union(&self, other: &Self) -> Self {
        Self(self.0.union(&other.0))
    }

    fn is_disjoint(&self, other: &Self) -> bool {
        self.0.is_disjoint(&other.0)
    }

    fn subset_of(&self, other: &Self) -> bool {
        self.0.subset_of(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::resolve::candidates::releases as listed;

    fn range(spec: &str) -> Range {
        crate::pep::specifiers_range(&spec.parse().expect("specifiers"))
    }

    #[test]
    fn consecutive_versions_merge_into_one_segment() {
        let versions = listed(&["1.0", "1.1", "1.2", "2.0"]);
        let atoms: Vec<Atoms> = (0..4)
            .map(|i| Atoms::singleton(SolverVersion::listed(&versions, i)))
            .collect();
        let merged = atoms[1].union(&atoms[2]);
        assert_eq!(merged.range().iter().count(), 1, "{merged}");
        assert_eq!(merged, Atoms::align(&range(">=1.1,<2"), &versions));
        let all = atoms.iter().fold(Atoms::empty(), |a, b| a.union(b));
        assert_eq!(all, Atoms::full());
    }

    #[test]
    fn aligned_ranges_hold_the_same_listed_versions() {
        let versions = listed(&["0.9", "1.0", "1.0.post1", "1.5", "2.0", "3.0a1"]);
        for spec in [
            "==1.0", "!=1.0", ">=1.0,<2", ">1.0", "<=1.5", "~=1.0", ">=4", "<0.5", "",
        ] {
            let plain = range(spec);
            let aligned = Atoms::align(&plain, &versions);
            for (i, c) in versions.iter().enumerate() {
                let v = SolverVersion::listed(&versions, i);
                assert_eq!(
                    aligned.contains(&v),
                    plain.contains(&c.version),
                    "{spec} {v}"
                );
                // A decided version lies wholly inside or outside every aligned range.
                let atom = Atoms::singleton(v);
                assert!(
                    atom.subset_of(&aligned) || atom.is_disjoint(&aligned),
                    "{spec} {atom}"
                );
            }
        }
        assert_eq!(Atoms::align(&Range::full(), &versions), Atoms::full());
        assert_eq!(Atoms::align(&range(">=4"), &versions), Atoms::empty());
    }
}
