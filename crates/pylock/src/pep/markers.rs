//! Marker algebra the resolver needs on top of `pep508_rs`: fixing extras, the Python range of
//! a marker, markers for Requires-Python, knowledge of impossible platform combinations, and
//! the canonical text written into locks.

use std::ops::Bound;
use std::str::FromStr;
use std::sync::OnceLock;

use pep508_rs::marker::{ExtraOperator, MarkerExpression, MarkerTreeKind, MarkerValueExtra};
use pep508_rs::MarkerValueVersion;

use super::Operator;
use super::{ExtraName, MarkerTree, Range, Version, VersionSpecifiers};
use crate::util::Memo;

/// Platform facts `pep508_rs` does not know: `sys_platform` and `platform_system` name the
/// same operating system, so `sys_platform == 'win32' and platform_system == 'Linux'` holds
/// nowhere. (`os_name` is left free, as uv leaves it: locks then agree with uv's where
/// requirements mix `os_name` with `sys_platform`.)
const PLATFORM_FACTS: &[&str] = &[
    "sys_platform != 'win32' or platform_system == 'Windows'",
    "sys_platform != 'linux' or platform_system == 'Linux'",
    "sys_platform != 'darwin' or platform_system == 'Darwin'",
    "platform_system != 'Windows' or sys_platform == 'win32'",
    "platform_system != 'Linux' or sys_platform == 'linux'",
    "platform_system != 'Darwin' or sys_platform == 'darwin'",
];

/// The most answers each memo of this module keeps (see [`Memo`]).
const MAX_MEMO: usize = 100_000;

fn platform_facts() -> &'static MarkerTree {
    static FACTS: OnceLock<MarkerTree> = OnceLock::new();
    FACTS.get_or_init(|| {
        let mut all = MarkerTree::TRUE;
        for fact in PLATFORM_FACTS {
            if let Ok(m) = MarkerTree::from_str(fact) {
                all.and(m);
            }
        }
        all
    })
}

/// Whether some real environment satisfies `marker` (it is not false, nor false once the
/// platform facts are taken into account). Memoized per marker.
pub(crate) fn is_possible(marker: &MarkerTree) -> bool {
    if marker.is_false() {
        return false;
    }
    if marker.is_true() {
        return true;
    }
    static MEMO: Memo<MarkerTree, bool> = Memo::new(MAX_MEMO);
    if let Some(b) = MEMO.get(marker) {
        return b;
    }
    let possible = !marker.is_disjoint(platform_facts());
    MEMO.insert(marker.clone(), possible);
    possible
}

/// `a and b`.
pub(crate) fn and(a: &MarkerTree, b: &MarkerTree) -> MarkerTree {
    let mut out = a.clone();
    out.and(b.clone());
    out
}

/// `a or b`.
pub(crate) fn or(a: &MarkerTree, b: &MarkerTree) -> MarkerTree {
    let mut out = a.clone();
    out.or(b.clone());
    out
}

/// The marker with every `extra` expression decided: true for `extras`, false for any other.
/// Memoized: resolves ask this for the same few hundred markers again and again.
pub(crate) fn restrict_extras(marker: &MarkerTree, extras: &[ExtraName]) -> MarkerTree {
    if marker.is_true() || marker.is_false() {
        return marker.clone();
    }
    static MEMO: Memo<(MarkerTree, Vec<ExtraName>), MarkerTree> = Memo::new(MAX_MEMO);
    let key = (marker.clone(), extras.to_vec());
    if let Some(m) = MEMO.get(&key) {
        return m;
    }
    let out = restrict_extras_uncached(marker, extras);
    MEMO.insert(key, out.clone());
    out
}

fn restrict_extras_uncached(marker: &MarkerTree, extras: &[ExtraName]) -> MarkerTree {
    decide_extras(marker, &|name| {
        Some(matches!(name, MarkerValueExtra::Extra(n) if extras.contains(n)))
    })
}

/// [`restrict_extras`], but the extras named in `free` are left undecided: they stay
/// variables of the marker (a multi-use lock's selection items, see `resolve::selections`).
pub(crate) fn restrict_extras_keeping(
    marker: &MarkerTree,
    extras: &[ExtraName],
    free: &[ExtraName],
) -> MarkerTree {
    if free.is_empty() {
        return restrict_extras(marker, extras);
    }
    decide_extras(marker, &|name| match name {
        MarkerValueExtra::Extra(n) if free.contains(n) => None,
        MarkerValueExtra::Extra(n) => Some(extras.contains(n)),
        MarkerValueExtra::Arbitrary(_) => Some(false),
    })
}

/// The marker with the extras of `assignment` decided (the named extra selected or not), every
/// other `extra` expression kept: a cofactor of the marker.
pub(crate) fn assign_extras(marker: &MarkerTree, assignment: &[(ExtraName, bool)]) -> MarkerTree {
    decide_extras(marker, &|name| match name {
        MarkerValueExtra::Extra(n) => assignment.iter().find(|(a, _)| a == n).map(|(_, v)| *v),
        MarkerValueExtra::Arbitrary(_) => None,
    })
}

/// The marker with each `extra` expression that `decide` gives a value for replaced by that
/// value (whether the extra is selected); the others kept.
fn decide_extras(
    marker: &MarkerTree,
    decide: &dyn Fn(&MarkerValueExtra) -> Option<bool>,
) -> MarkerTree {
    if !mentions_extra(marker) {
        return marker.clone();
    }
    let mut out = MarkerTree::FALSE;
    'clauses: for clause in marker.to_dnf() {
        let mut conj = MarkerTree::TRUE;
        for expr in clause {
            match &expr {
                MarkerExpression::Extra { operator, name } => match decide(name) {
                    Some(present) => {
                        let holds = match operator {
                            ExtraOperator::Equal => present,
                            ExtraOperator::NotEqual => !present,
                        };
                        if !holds {
                            continue 'clauses;
                        }
                    }
                    None => conj.and(MarkerTree::expression(expr.clone())),
                },
                _ => conj.and(MarkerTree::expression(expr.clone())),
            }
        }
        out.or(conj);
    }
    out
}

fn mentions_extra(marker: &MarkerTree) -> bool {
    match marker.kind() {
        MarkerTreeKind::True | MarkerTreeKind::False => false,
        MarkerTreeKind::Extra(_) => true,
        MarkerTreeKind::Version(n) => n.edges().any(|(_, c)| mentions_extra(&c)),
        MarkerTreeKind::String(n) => n.children().any(|(_, c)| mentions_extra(&c)),
        MarkerTreeKind::In(n) => n.children().any(|(_, c)| mentions_extra(&c)),
        MarkerTreeKind::Contains(n) => n.children().any(|(_, c)| mentions_extra(&c)),
    }
}

/// The Python versions (`python_full_version`) for which `marker` can hold.
pub(crate) fn python_range(marker: &MarkerTree) -> Range {
    let union = |it: &mut dyn Iterator<Item = MarkerTree>| {
        it.fold(Range::empty(), |acc, c| acc.union(&python_range(&c)))
    };
    match marker.kind() {
        MarkerTreeKind::True => Range::full(),
        MarkerTreeKind::False => Range::empty(),
        MarkerTreeKind::Version(node) if *node.key() == MarkerValueVersion::PythonFullVersion => {
            node.edges().fold(Range::empty(), |acc, (range, child)| {
                acc.union(&range.intersection(&python_range(&child)))
            })
        }
        MarkerTreeKind::Version(node) => union(&mut node.edges().map(|(_, c)| c)),
        MarkerTreeKind::String(node) => union(&mut node.children().map(|(_, c)| c)),
        MarkerTreeKind::In(node) => union(&mut node.children().map(|(_, c)| c)),
        MarkerTreeKind::Contains(node) => union(&mut node.children().map(|(_, c)| c)),
        MarkerTreeKind::Extra(node) => union(&mut node.children().map(|(_, c)| c)),
    }
}

/// The marker `python_full_version` satisfies `specifiers`.
pub(crate) fn python_marker(specifiers: &VersionSpecifiers) -> MarkerTree {
    let mut out = MarkerTree::TRUE;
    for spec in specifiers.iter() {
        let text = spec.to_string();
        let op = spec.operator().to_string();
        let version = text[op.len()..].trim();
        if let Ok(m) = MarkerTree::from_str(&format!("python_full_version {op} '{version}'")) {
            out.and(m);
        }
    }
    out
}

/// [`python_marker`] without upper bounds at 4 or above (`<4`, `<=4.0`, `==3.*`): universal
/// locks are for Pythons below 4 (see `python_universe`), so such caps say nothing, and
/// splitting on them would make forks for Python 4 (the part "outside" `>=3.11,<4` would be
/// `<3.11 or >=4`).
pub(crate) fn python_marker_below_4(specifiers: &VersionSpecifiers) -> MarkerTree {
    let kept: Vec<_> = specifiers
        .iter()
        .filter(|spec| {
            let major = spec.version().release().first().copied().unwrap_or(0);
            let cap_at_4 = match spec.operator() {
                Operator::LessThan | Operator::LessThanEqual => major >= 4,
                Operator::EqualStar => major == 3 && spec.version().release().len() == 1,
                _ => false,
            };
            !cap_at_4
        })
        .cloned()
        .collect();
    python_marker(&kept.into_iter().collect())
}

/// The lower and upper bounds of a specifier set's Python range.
pub(crate) fn python_bounds(specifiers: &VersionSpecifiers) -> (Bound<Version>, Bound<Version>) {
    // Requires-Python compares releases: `==3.12.*` is [3.12, 3.13), not a range of dev
    // releases.
    let range = pep440_rs::release_specifiers_to_ranges(specifiers.clone());
    range
        .bounding_range()
        .map(|(l, h)| (l.cloned(), h.cloned()))
        .unwrap_or((Bound::Unbounded, Bound::Unbounded))
}

/// The canonical text of `marker` once what `requires_python` guarantees is dropped; `None`
/// when nothing is left (the marker always holds within `requires_python`).
pub(crate) fn lock_marker(
    marker: &MarkerTree,
    requires_python: &VersionSpecifiers,
) -> Option<String> {
    let (low, high) = python_bounds(requires_python);
    let simplified = marker
        .clone()
        .simplify_python_versions(low.as_ref(), high.as_ref());
    simplified.contents().map(|c| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> MarkerTree {
        MarkerTree::from_str(s).expect("marker parses")
    }
    fn extra(s: &str) -> ExtraName {
        ExtraName::from_str(s).expect("extra")
    }

    #[test]
    fn impossible_platform_combinations() {
        assert!(!is_possible(&m(
            "sys_platform == 'win32' and platform_system == 'Linux'"
        )));
        assert!(!is_possible(&m(
            "platform_system == 'Darwin' and sys_platform == 'linux'"
        )));
        // os_name is left free, as uv leaves it.
        assert!(is_possible(&m(
            "os_name == 'nt' and sys_platform == 'linux'"
        )));
        assert!(!is_possible(&m(
            "sys_platform == 'linux' and sys_platform == 'darwin'"
        )));
        assert!(is_possible(&m(
            "sys_platform == 'win32' and platform_system == 'Windows'"
        )));
        assert!(is_possible(&m("sys_platform == 'emscripten'")));
        assert!(is_possible(&MarkerTree::TRUE));
    }

    #[test]
    fn extras_are_decided() {
        let marker = m("extra == 'socks' and python_version >= '3.8' or extra == 'x'");
        assert_eq!(
            restrict_extras(&marker, &[extra("socks")])
                .try_to_string()
                .as_deref(),
            Some("python_full_version >= '3.8'")
        );
        assert!(restrict_extras(&marker, &[]).is_false());
        assert!(restrict_extras(&marker, &[extra("x")]).is_true());
        assert!(restrict_extras(&m("extra != 'a'"), &[]).is_true());
        assert_eq!(
            restrict_extras(&m("os_name == 'nt'"), &[]),
            m("os_name == 'nt'")
        );
    }

    #[test]
    fn some_extras_stay_free() {
        let marker = m("extra == 'e-x' and extra == 'socks' or extra == 'other'");
        let kept = restrict_extras_keeping(&marker, &[extra("socks")], &[extra("e-x")]);
        assert_eq!(kept, m("extra == 'e-x'"));
        let both = m("(extra == 'e-a' and sys_platform == 'linux') or extra == 'e-b'");
        assert_eq!(
            assign_extras(&both, &[(extra("e-a"), true), (extra("e-b"), false)]),
            m("sys_platform == 'linux'")
        );
        assert_eq!(
            assign_extras(&both, &[(extra("e-b"), false)]),
            m("extra == 'e-a' and sys_platform == 'linux'")
        );
        assert!(assign_extras(&both, &[(extra("e-b"), true)]).is_true());
    }

    #[test]
    fn python_ranges_of_markers() {
        let r = python_range(&m(
            "python_full_version >= '3.10' and sys_platform == 'linux'",
        ));
        assert!(r.contains(&Version::from_str("3.10.0").expect("v")));
        assert!(!r.contains(&Version::from_str("3.9.9").expect("v")));
        let r = python_range(&m("python_version < '3.12' or sys_platform == 'win32'"));
        assert_eq!(r, Range::full());
        let spec = VersionSpecifiers::from_str(">=3.11, <3.13").expect("spec");
        let r = python_range(&python_marker(&spec));
        assert!(r.contains(&Version::from_str("3.12.5").expect("v")));
        assert!(!r.contains(&Version::from_str("3.13.0").expect("v")));
    }

    #[test]
    fn lock_markers_drop_what_requires_python_guarantees() {
        let rp = VersionSpecifiers::from_str(">=3.10").expect("spec");
        assert_eq!(lock_marker(&m("python_full_version >= '3.10'"), &rp), None);
        assert_eq!(
            lock_marker(
                &m("python_full_version >= '3.10' and sys_platform == 'win32'"),
                &rp
            )
            .as_deref(),
            Some("sys_platform == 'win32'")
        );
        assert_eq!(
            lock_marker(&m("python_version < '3.11'"), &rp).as_deref(),
            Some("python_full_version < '3.11'")
        );
        let series = VersionSpecifiers::from_str("==3.12.*").expect("spec");
        assert_eq!(
            lock_marker(&m("python_full_version == '3.12.*'"), &series),
            None
        );
    }
}
