use std::ops::Bound;
use std::str::FromStr;

use proptest::prelude::*;

use super::*;
use crate::resolve::candidates::releases as listed;

fn range(spec: &str) -> Range {
    crate::pep::specifiers_range(&spec.parse().expect("specifiers"))
}

fn v(s: &str) -> Version {
    Version::from_str(s).expect("version")
}

/// The aligned range as PEP 440 ranges: each run of listed versions from its first version
/// (nothing below, for the first listed) up to the next listed one (everything, past the
/// last). What positions must stand for, computed without them.
fn aligned_range(range: &Range, versions: &[Arc<Candidate>]) -> Range {
    let mut out = Range::empty();
    for (start, end) in runs(range, versions) {
        let low = match start {
            0 => Bound::Unbounded,
            s => Bound::Included(versions[s].version.clone()),
        };
        let high = match versions.get(end) {
            Some(c) => Bound::Excluded(c.version.clone()),
            None => Bound::Unbounded,
        };
        out = out.union(&Range::from_range_bounds((low, high)));
    }
    out
}

#[test]
fn consecutive_versions_merge_into_one_segment() {
    let versions = listed(&["1.0", "1.1", "1.2", "2.0"]);
    let atoms: Vec<Atoms> = (0..4)
        .map(|i| Atoms::singleton(SolverVersion::listed(&versions, i)))
        .collect();
    let merged = atoms[1].union(&atoms[2]);
    assert_eq!(merged.runs(), &[(1, 3)], "{merged}");
    assert_eq!(merged, Atoms::align(&range(">=1.1,<2"), &versions));
    assert_eq!(
        merged.range_in(&versions),
        Range::between(v("1.1"), v("2.0")),
        "one segment, from the first version up to the next listed one"
    );
    let all = atoms.iter().fold(Atoms::empty(), |a, b| a.union(b));
    assert_eq!(all, Atoms::full());
    // The last atom reaches past every position: its complement is the rest, in one form.
    assert_eq!(atoms[3].complement(), Atoms::align(&range("<2"), &versions));
    assert_eq!(atoms[3].complement().complement(), atoms[3]);
}

#[test]
fn aligned_ranges_hold_the_same_listed_versions() {
    let versions = listed(&["0.9", "1.0", "1.0.post1", "1.5", "2.0", "3.0a1"]);
    for spec in [
        "==1.0", "!=1.0", ">=1.0,<2", ">1.0", "<=1.5", "~=1.0", ">=4", "<0.5", "",
    ] {
        let plain = range(spec);
        let aligned = Atoms::align(&plain, &versions);
        assert_eq!(
            aligned.range_in(&versions),
            aligned_range(&plain, &versions)
        );
        for (i, c) in versions.iter().enumerate() {
            let v = SolverVersion::listed(&versions, i);
            assert_eq!(
                aligned.contains(&v),
                plain.contains(&c.version),
                "{spec} {v}"
            );
            assert_eq!(aligned.holds(i), plain.contains(&c.version), "{spec} {v}");
            // A decided version lies wholly inside or outside every aligned range.
            let atom = Atoms::singleton(v);
            assert!(
                atom.subset_of(&aligned) || atom.is_disjoint(&aligned),
                "{spec} {atom}"
            );
        }
        let count = versions
            .iter()
            .filter(|c| plain.contains(&c.version))
            .count();
        assert_eq!(aligned.count_in(versions.len()), count, "{spec}");
    }
    assert_eq!(Atoms::align(&Range::full(), &versions), Atoms::full());
    assert_eq!(Atoms::align(&range(">=4"), &versions), Atoms::empty());
    assert!(Atoms::align(&range(">=4"), &versions).is_empty());
}

#[test]
fn the_root_is_everything() {
    let root = Atoms::singleton(SolverVersion::root());
    assert_eq!(root, Atoms::full());
    assert!(Atoms::full().contains(&SolverVersion::root()));
    assert_eq!(root.complement(), Atoms::empty());
    assert_eq!(Atoms::empty().range_in(&[]), Range::empty());
    assert_eq!(Atoms::full().range_in(&[]), Range::full());
}

/// A project with no listed versions keeps its ranges as written, in one form with `full`
/// and `empty` (which PubGrub makes without knowing the project).
#[test]
fn a_project_with_nothing_listed_keeps_its_ranges() {
    let written = range(">=1,<2");
    let atoms = Atoms::align(&written, &[]);
    assert_eq!(atoms.range_in(&[]), written);
    assert!(!atoms.is_empty());
    assert_eq!(atoms.count_in(0), 0);
    assert_eq!(atoms.slices(0).count(), 0);
    assert_eq!(Atoms::align(&Range::full(), &[]), Atoms::full());
    assert_eq!(Atoms::align(&Range::empty(), &[]), Atoms::empty());
    // Set algebra with `full` and `empty`, and among plain ranges.
    assert_eq!(atoms.intersection(&Atoms::full()), atoms);
    assert_eq!(atoms.union(&Atoms::empty()), atoms);
    assert_eq!(atoms.union(&Atoms::full()), Atoms::full());
    assert_eq!(atoms.intersection(&Atoms::empty()), Atoms::empty());
    assert!(atoms.subset_of(&Atoms::full()));
    assert!(Atoms::empty().subset_of(&atoms));
    assert!(atoms.is_disjoint(&Atoms::empty()));
    assert_eq!(atoms.complement().complement(), atoms);
    assert_eq!(atoms.union(&atoms.complement()), Atoms::full());
    assert_eq!(atoms.intersection(&atoms.complement()), Atoms::empty());
    let other = Atoms::align(&range(">=3"), &[]);
    assert!(atoms.is_disjoint(&other));
    assert_eq!(atoms.intersection(&other), Atoms::empty());
    assert_eq!(
        atoms.union(&other).range_in(&[]),
        written.union(&range(">=3"))
    );
}

#[test]
fn positions_show_as_runs() {
    let versions = listed(&["1.0", "1.1", "1.2", "2.0"]);
    let atoms = Atoms::align(&range("==1.0,!=1.1").union(&range(">=1.2")), &versions);
    assert_eq!(atoms.to_string(), "#0..#1 | #2..");
    assert_eq!(Atoms::empty().to_string(), "∅");
}

/// Versions listed by the generated projects, and versions between them that are not.
const POOL: [&str; 10] = [
    "0.1",
    "0.9",
    "1.0",
    "1.0.post1",
    "1.1",
    "1.2",
    "2.0a1",
    "2.0",
    "2.5",
    "3.0",
];

fn listing() -> impl Strategy<Value = Vec<Arc<Candidate>>> {
    prop::collection::btree_set(0..POOL.len(), 1..=7).prop_map(|picked| {
        let mut versions: Vec<&str> = picked.into_iter().map(|i| POOL[i]).collect();
        versions.sort_by_key(|s| v(s));
        listed(&versions)
    })
}

fn bound() -> impl Strategy<Value = Bound<Version>> {
    (0..POOL.len(), 0..3u8).prop_map(|(i, kind)| match kind {
        0 => Bound::Included(v(POOL[i])),
        1 => Bound::Excluded(v(POOL[i])),
        _ => Bound::Unbounded,
    })
}

/// Unions of up to three intervals over listed and unlisted versions.
fn ranges() -> impl Strategy<Value = Range> {
    prop::collection::vec((bound(), bound()), 0..=3).prop_map(|intervals| {
        intervals
            .into_iter()
            .fold(Range::empty(), |acc, (low, high)| {
                acc.union(&Range::from_range_bounds((low, high)))
            })
    })
}

proptest! {
    /// Positions are the aligned PEP 440 ranges, operation by operation: each result, read
    /// back as versions, is what the same operation gives on the aligned ranges (the sets the
    /// solver worked with before positions), and each test answers alike.
    #[test]
    fn positions_compute_as_aligned_ranges(versions in listing(), a in ranges(), b in ranges()) {
        let (x, y) = (Atoms::align(&a, &versions), Atoms::align(&b, &versions));
        let (ra, rb) = (aligned_range(&a, &versions), aligned_range(&b, &versions));
        let back = |atoms: &Atoms| atoms.range_in(&versions);
        prop_assert_eq!(back(&x), ra.clone());
        prop_assert_eq!(back(&x.complement()), ra.complement());
        prop_assert_eq!(back(&x.intersection(&y)), ra.intersection(&rb));
        prop_assert_eq!(back(&x.union(&y)), ra.union(&rb));
        prop_assert_eq!(x.subset_of(&y), ra.subset_of(&rb));
        prop_assert_eq!(x.is_disjoint(&y), ra.is_disjoint(&rb));
        // One form: equal sets are equal values, whichever way they were made.
        prop_assert_eq!(x.intersection(&y), Atoms::align(&a.intersection(&b), &versions));
        prop_assert_eq!(x.union(&y), Atoms::align(&a.union(&b), &versions));
        prop_assert_eq!(x.complement(), Atoms::align(&a.complement(), &versions));
        prop_assert_eq!(x == y, ra == rb);
        for i in 0..versions.len() {
            let version = SolverVersion::listed(&versions, i);
            let atom = Atoms::singleton(version.clone());
            prop_assert_eq!(x.contains(&version), ra.contains(&versions[i].version));
            prop_assert_eq!(x.holds(i), ra.contains(&versions[i].version));
            prop_assert_eq!(back(&atom), aligned_range(&Range::singleton(versions[i].version.clone()), &versions));
        }
        let slices: Vec<usize> = x.slices(versions.len()).flatten().collect();
        let held: Vec<usize> = (0..versions.len()).filter(|&i| a.contains(&versions[i].version)).collect();
        prop_assert_eq!(slices, held);
    }
}
