//! Where a universal lock applies, said as plainly as possible: `requires-python` narrowed
//! to the Pythons it serves, and each marker the shortest one that holds in the same
//! environments of the lock.

use std::ops::Bound;
use std::str::FromStr;

use pep508_rs::marker::MarkerExpression;

use super::scope::python_universe;
use crate::pep::{and, is_possible, or, python_range, MarkerTree, Version, VersionSpecifiers};
use crate::util::Memo;

/// `requires` narrowed to the Pythons of `claimed` when they form one interval (a lock left
/// out above a cap: `>=3.10` becomes `>=3.10, <3.12`); otherwise `requires` itself.
pub fn narrowed_requires_python(
    claimed: &MarkerTree,
    requires: &VersionSpecifiers,
) -> VersionSpecifiers {
    let admitted = pep440_rs::release_specifiers_to_ranges(requires.clone());
    let within = python_range(claimed)
        .intersection(&admitted)
        .intersection(&python_universe());
    if within == admitted.intersection(&python_universe()) {
        return requires.clone();
    }
    let mut pieces = within.iter();
    let (Some((low, high)), None) = (pieces.next(), pieces.next()) else {
        return requires.clone();
    };
    let mut parts = Vec::new();
    match low {
        Bound::Included(v) => parts.push(format!(">={}", release(v))),
        Bound::Excluded(v) => parts.push(format!(">{}", release(v))),
        Bound::Unbounded => {}
    }
    match high {
        // The universe's own bound (below 4) says nothing.
        Bound::Excluded(v) if v.release().first() >= Some(&4) => {}
        Bound::Excluded(v) => parts.push(format!("<{}", release(v))),
        Bound::Included(v) => parts.push(format!("<={}", release(v))),
        Bound::Unbounded => {}
    }
    VersionSpecifiers::from_str(&parts.join(", ")).unwrap_or_else(|_| requires.clone())
}

/// A version's release only (`3.12.0a0` from marker algebra becomes `3.12`), trailing zeros
/// after the minor dropped.
fn release(v: &Version) -> String {
    let mut r: Vec<u64> = v.release().to_vec();
    while r.len() > 2 && r.last() == Some(&0) {
        r.pop();
    }
    r.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// Whether `a` and `b` hold in the same environments of `within`.
pub fn equivalent_within(a: &MarkerTree, b: &MarkerTree, within: &MarkerTree) -> bool {
    let differ = or(&and(a, &b.negate()), &and(b, &a.negate()));
    !is_possible(&and(&differ, within))
}

/// The most expressions a marker's DNF may have for [`shortest_within`] to try dropping
/// them one by one (each try is a few marker operations).
const MAX_EXPRESSIONS: usize = 128;

/// `marker` with every expression and clause dropped that makes no difference within
/// `within`: `python_full_version >= '3.10' and python_full_version < '3.11' and
/// sys_platform == 'linux' and platform_machine == 'x86_64'` is `sys_platform == 'linux'`
/// where the lock only holds for Python 3.10 and x86-64.
pub fn shortest_within(marker: &MarkerTree, within: &MarkerTree) -> MarkerTree {
    if marker.is_true() || marker.is_false() {
        return marker.clone();
    }
    // Memoized: the packages of a lock share a few dozen markers.
    static MEMO: Memo<(MarkerTree, MarkerTree), MarkerTree> = Memo::new(10_000);
    let key = (marker.clone(), within.clone());
    if let Some(m) = MEMO.get(&key) {
        return m;
    }
    let out = shortest_uncached(marker, within);
    MEMO.insert(key, out.clone());
    out
}

fn shortest_uncached(marker: &MarkerTree, within: &MarkerTree) -> MarkerTree {
    let mut clauses: Vec<Vec<MarkerExpression>> = marker.to_dnf();
    if clauses.iter().map(Vec::len).sum::<usize>() > MAX_EXPRESSIONS {
        return marker.clone();
    }
    let holds = |cl: &[Vec<MarkerExpression>]| equivalent_within(&build(cl), marker, within);
    let mut i = 0;
    while i < clauses.len() {
        let mut trial = clauses.clone();
        trial.remove(i);
        if holds(&trial) {
            clauses = trial;
        } else {
            i += 1;
        }
    }
    for i in 0..clauses.len() {
        let mut j = 0;
        while j < clauses[i].len() {
            let mut trial = clauses.clone();
            trial[i].remove(j);
            if holds(&trial) {
                clauses = trial;
            } else {
                j += 1;
            }
        }
    }
    build(&clauses)
}

fn build(clauses: &[Vec<MarkerExpression>]) -> MarkerTree {
    clauses.iter().fold(MarkerTree::FALSE, |acc, clause| {
        let conj = clause.iter().fold(MarkerTree::TRUE, |c, e| {
            and(&c, &MarkerTree::expression(e.clone()))
        });
        or(&acc, &conj)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> MarkerTree {
        MarkerTree::from_str(s).expect("marker")
    }

    #[test]
    fn requires_python_narrows_to_the_pythons_served() {
        let rp = VersionSpecifiers::from_str(">=3.10").expect("spec");
        let got = narrowed_requires_python(&m("python_full_version < '3.12'"), &rp);
        assert_eq!(got.to_string(), ">=3.10, <3.12");
        let all = narrowed_requires_python(&m("sys_platform == 'linux'"), &rp);
        assert_eq!(all.to_string(), ">=3.10");
        let gap = narrowed_requires_python(
            &m("python_full_version < '3.11' or python_full_version >= '3.12'"),
            &rp,
        );
        assert_eq!(gap.to_string(), ">=3.10");
    }

    #[test]
    fn markers_shrink_within_the_lock() {
        let within = m("python_full_version >= '3.10' and python_full_version < '3.12' and platform_machine == 'x86_64'");
        let long = m("python_full_version >= '3.10' and python_full_version < '3.11' and sys_platform == 'linux' and platform_machine == 'x86_64'");
        let short = shortest_within(&long, &within);
        assert_eq!(
            short.try_to_string().as_deref(),
            Some("python_full_version == '3.10.*' and sys_platform == 'linux'")
        );
        assert!(equivalent_within(&short, &long, &within));
        assert!(!equivalent_within(&short, &long, &MarkerTree::TRUE));
    }
}
