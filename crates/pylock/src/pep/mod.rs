//! The PEP 440 / PEP 508 types of the public API, re-exported from `pep440_rs` and `pep508_rs`
//! (whose documentation applies), and [`parse::value`], a parser for untrusted text that
//! never panics.
//!
//! Inside the crate, this is the thin layer over those crates that the rest of the crate uses,
//! with our fixes to their known gaps.
//!
//! The conversion from PEP 440 specifiers to PubGrub ranges lives here and only here:
//! `pep440_rs` 0.7 converts `==1.0`, `!=1.0` and `<=1.0` so that they exclude `1.0+local`,
//! although PEP 440 says a specifier without a local label ignores the candidate's local label
//! (`torch==2.4.0` must match `2.4.0+cpu`).

#[cfg(test)]
mod agreement;
mod lenient;
mod markers;
mod memo;
pub(crate) mod parse;
#[cfg(test)]
mod props;
pub(crate) mod tags;

use std::fmt::Write as _;
use std::ops::Bound;

pub(crate) use lenient::parse_lenient;
pub(crate) use markers::{
    and, is_possible, lock_marker, or, python_bounds, python_marker, python_marker_below_4,
    python_range, restrict_extras,
};
pub(crate) use markers::{assign_extras, restrict_extras_keeping};
pub(crate) use pep440_rs::{Operator, VersionSpecifier};
pub use pep440_rs::{Version, VersionSpecifiers};
pub(crate) use pep508_rs::VersionOrUrl;
pub use pep508_rs::{ExtraName, MarkerEnvironment, MarkerTree, PackageName, Requirement};

/// A set of versions as the solver sees it.
pub(crate) type Range = pubgrub::Ranges<Version>;

/// The smallest version that sorts after `version` and after every local variant of it
/// (`1.0` → `1.0.post0.dev0`, which sorts after `1.0+anything`).
pub(crate) fn after_locals(version: &Version) -> Version {
    let public = version.clone().without_local();
    if let Some(dev) = public.dev() {
        public.with_dev(Some(dev + 1))
    } else if let Some(post) = public.post() {
        public.with_post(Some(post + 1)).with_dev(Some(0))
    } else {
        public.with_post(Some(0)).with_dev(Some(0))
    }
}

/// The versions one specifier admits, with PEP 440's local-version rule applied.
pub(crate) fn specifier_range(specifier: &VersionSpecifier) -> Range {
    let version = specifier.version();
    let local_blind = version.local().is_empty();
    match specifier.operator() {
        Operator::Equal if local_blind => Range::between(version.clone(), after_locals(version)),
        Operator::NotEqual if local_blind => {
            Range::between(version.clone(), after_locals(version)).complement()
        }
        Operator::LessThanEqual if local_blind => Range::strictly_lower_than(after_locals(version)),
        // `>1.0.post1` admits later post-releases and their dev releases (`1.0.post2.dev1`);
        // `pep440_rs` starts the range at `1.0.post2`.
        Operator::GreaterThan if local_blind && version.is_post() && !version.is_dev() => {
            Range::higher_than(after_locals(version))
        }
        // `<V.postN` is `< V.postN.dev0` (packaging's reading of PEP 440: only a pre-release
        // bound admits the dev releases just below it); `pep440_rs` also drops every version
        // of V's release (`1.0 < 1.0.post1` is true).
        Operator::LessThan if version.is_post() && !version.any_prerelease() => {
            Range::strictly_lower_than(version.clone().with_dev(Some(0)))
        }
        Operator::ExactEqual => Range::singleton(version.clone()),
        _ => Range::from(specifier.clone()),
    }
}

/// The versions a list of specifiers admits (their intersection; empty list admits all).
pub(crate) fn specifiers_range(specifiers: &VersionSpecifiers) -> Range {
    memo::range(memo::Kind::Specifiers, specifiers, |specifiers| {
        let ranges: Vec<Range> = specifiers.iter().map(specifier_range).collect();
        intersect_all(&ranges.iter().collect::<Vec<_>>())
    })
}

/// The Pythons a Requires-Python admits, comparing releases only (`<3.12` says nothing of
/// 3.12.0rc1), as `pep440_rs::release_specifiers_to_ranges` gives them.
pub(crate) fn release_range(requires_python: &VersionSpecifiers) -> Range {
    memo::range(memo::Kind::Release, requires_python, |specifiers| {
        pep440_rs::release_specifiers_to_ranges(specifiers.clone())
    })
}

/// The intersection of `ranges`, halving the list at each step: `n log n` range steps where
/// folding one by one costs `n²` when each range adds a hole (`!=` lists).
pub(crate) fn intersect_all(ranges: &[&Range]) -> Range {
    match ranges {
        [] => Range::full(),
        [one] => (*one).clone(),
        _ => {
            let (left, right) = ranges.split_at(ranges.len() / 2);
            intersect_all(left).intersection(&intersect_all(right))
        }
    }
}

/// The versions a requirement admits (`Range::full()` for a bare name).
pub(crate) fn requirement_range(requirement: &Requirement) -> Range {
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers_range(specifiers),
        _ => Range::full(),
    }
}

/// Whether a requirement pins one exact version (`==1.0` or `===1.0`, no wildcard).
pub(crate) fn pinned_version(requirement: &Requirement) -> Option<&Version> {
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers.iter().find_map(|s| {
            matches!(s.operator(), Operator::Equal | Operator::ExactEqual).then(|| s.version())
        }),
        _ => None,
    }
}

/// Whether any specifier of the requirement names a pre-release (`>=1.0a1`).
pub(crate) fn names_prerelease(requirement: &Requirement) -> bool {
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
            specifiers.iter().any(|s| s.version().any_prerelease())
        }
        _ => false,
    }
}

/// Render a solver range in PEP 440 words: `==1.0`, `>=1.0, <2.0`, `any version`.
pub(crate) fn display_range(range: &Range) -> String {
    let mut out = String::new();
    for (i, (low, high)) in range.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        match (low, high) {
            (Bound::Unbounded, Bound::Unbounded) => out.push_str("any version"),
            (Bound::Included(l), Bound::Excluded(h)) if *h == after_locals(l) => {
                let _ = write!(out, "=={l}");
            }
            (Bound::Included(l), Bound::Included(h)) if l == h => {
                let _ = write!(out, "=={l}");
            }
            (low, high) => {
                let mut parts = Vec::new();
                match low {
                    Bound::Included(l) => match before_locals(l) {
                        Some(v) => parts.push(format!(">{v}")),
                        None => parts.push(format!(">={l}")),
                    },
                    Bound::Excluded(l) => parts.push(format!(">{}", strip_internal(l))),
                    Bound::Unbounded => {}
                }
                match high {
                    Bound::Included(h) => parts.push(format!("<={h}")),
                    Bound::Excluded(h) => match before_locals(h) {
                        Some(v) => parts.push(format!("<={v}")),
                        None => parts.push(format!("<{}", strip_internal(h))),
                    },
                    Bound::Unbounded => {}
                }
                out.push_str(&parts.join(", "));
            }
        }
    }
    if out.is_empty() {
        out.push_str("no version");
    }
    out
}

/// The version whose local variants end just below `bound`, when `bound` is of the form
/// [`after_locals`] makes for a release or post-release (`1.0.post2.dev0` → `1.0.post1`).
fn before_locals(bound: &Version) -> Option<Version> {
    let post = bound.post()?;
    if bound.dev() != Some(0) || bound.is_local() {
        return None;
    }
    let base = bound.clone().with_dev(None);
    Some(if post == 0 {
        base.with_post(None)
    } else {
        base.with_post(Some(post - 1))
    })
}

/// `pep440_rs` marks bounds with internal `min`/`max` segments that PEP 440 cannot spell; show
/// the public version they bound.
fn strip_internal(version: &Version) -> Version {
    if version.min().is_some() {
        version.clone().with_min(None)
    } else if version.max().is_some() {
        version.clone().with_max(None)
    } else {
        version.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn v(s: &str) -> Version {
        Version::from_str(s).expect("valid version")
    }
    fn r(s: &str) -> Range {
        specifiers_range(&VersionSpecifiers::from_str(s).expect("valid specifiers"))
    }

    #[test]
    fn equal_matches_local_versions() {
        assert!(r("==1.0").contains(&v("1.0+cpu")));
        assert!(r("==1.0").contains(&v("1.0")));
        assert!(!r("==1.0").contains(&v("1.0.post0")));
        assert!(!r("==1.0").contains(&v("1.0.1")));
        assert!(r("==2.4.0").contains(&v("2.4.0+cu121.x")));
        // A local in the specifier must match exactly.
        assert!(r("==1.0+foo").contains(&v("1.0+foo")));
        assert!(!r("==1.0+foo").contains(&v("1.0+bar")));
    }

    #[test]
    fn not_equal_excludes_local_versions() {
        assert!(!r("!=1.0").contains(&v("1.0+cpu")));
        assert!(r("!=1.0").contains(&v("1.0.post1")));
        assert!(r("!=1.0").contains(&v("0.9")));
    }

    #[test]
    fn less_equal_includes_local_versions() {
        assert!(r("<=2.0.0").contains(&v("2.0.0+foo")));
        assert!(!r("<=2.0.0").contains(&v("2.0.0.post1")));
        assert!(!r("<2.0.0").contains(&v("2.0.0+foo")));
        assert!(!r("<1.2.3").contains(&v("1.2.3+foo")));
    }

    #[test]
    fn post_and_dev_and_pre_ordering() {
        assert!(r(">=1.2.3.post0").contains(&v("1.2.3.post1")));
        assert!(!r(">1.2.3.post1").contains(&v("1.2.3.post1+local")));
        assert!(r(">1.2.3.post1").contains(&v("1.2.3.post2.dev1")));
        assert!(!r("<1.2.3").contains(&v("1.2.3.post0")));
        assert!(!r("<1.2.3").contains(&v("1.2.3a1")));
        assert!(r("<1.2.3a2").contains(&v("1.2.3a1")));
        assert!(r("<1.0.post1").contains(&v("1.0")));
        assert!(r("<1.0.post1").contains(&v("1.0+cpu")));
        assert!(r("<1.0.post1").contains(&v("1.0a1")));
        assert!(r("<1.0.post1").contains(&v("1.0.post0.dev1")));
        assert!(!r("<1.0.post1").contains(&v("1.0.post1.dev0")));
        assert!(r("==1.0.dev1").contains(&v("1.0.dev1+x")));
        assert!(!r("==1.0.dev1").contains(&v("1.0.dev2")));
        assert!(r("==1.0.post1").contains(&v("1.0.post1+x")));
        assert!(!r("==1.0.post1").contains(&v("1.0.post2")));
        assert!(r("~=1.4").contains(&v("1.9")));
        assert!(!r("~=1.4").contains(&v("2.0")));
        assert!(r("==1.*").contains(&v("1.5")));
        assert!(r("===1.0").contains(&v("1.0")));
        assert!(!r("===1.0").contains(&v("1.0+x")));
    }

    #[test]
    fn ranges_display_as_specifiers() {
        assert_eq!(display_range(&r("==1.0")), "==1.0");
        assert_eq!(display_range(&r(">=1.0,<2.0")), ">=1.0, <2.0");
        assert_eq!(display_range(&Range::full()), "any version");
        assert_eq!(display_range(&Range::empty()), "no version");
        assert_eq!(display_range(&r(">1.0")), ">1.0");
        assert_eq!(display_range(&r("<1.0")), "<1.0");
        assert_eq!(display_range(&r(">1.2.3.post1")), ">1.2.3.post1");
        assert_eq!(display_range(&r("<=2.0")), "<=2.0");
        assert_eq!(display_range(&r("!=1.0")), "<1.0 or >1.0");
    }
}
