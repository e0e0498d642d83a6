//! Fork planning: where a universal solve must stop and split its region into parts solved
//! apart, and in which order. Pure functions of the fork's scope and what the provider saw
//! (a Requires-Python, the environments a version has files for, sibling requirements, the
//! environments of wheels with different metadata); the provider turns a plan into a fork
//! request and [`super::universal`] solves the parts.

use std::cmp::Reverse;

use super::coverage::EnvSet;
use super::pkg::Edge;
use super::scope::Scope;
use super::uses::Uses;
use crate::pep::{
    and, is_possible, or, python_marker_below_4, MarkerTree, PackageName, Version,
    VersionSpecifiers,
};

/// One part of a split fork.
#[derive(Clone, Debug)]
pub struct ForkPart {
    /// Its region.
    pub region: MarkerTree,
    /// Whether the part may be left out of the lock when nothing installs there: the part
    /// above a Requires-Python cap, or the environments a version has no file for.
    pub excludable: bool,
}

impl ForkPart {
    /// A part that must be locked.
    pub fn plain(region: MarkerTree) -> Self {
        Self {
            region,
            excludable: false,
        }
    }
}

/// Split the fork where `requires_python` starts or stops holding.
/// The part outside the requirement may be excluded from the lock when it lies above (a
/// cap such as `<3.12`); below the range, older versions are expected to serve it.
pub fn python_split(scope: &Scope, requires_python: &VersionSpecifiers) -> Vec<ForkPart> {
    let Scope::Fork { region, .. } = scope else {
        return Vec::new();
    };
    let inside_marker = python_marker_below_4(requires_python);
    let universe = super::scope::python_universe();
    let usable =
        |p: &MarkerTree| is_possible(p) && !crate::pep::python_range(p).is_disjoint(&universe);
    let inside = and(region, &inside_marker);
    let outside = and(region, &inside_marker.negate());
    // Outside a range bounded on both sides (`>=3.10,<3.15`) lie two regions, the Pythons
    // below and those above: solved apart, the lower one can still take the versions
    // that fit it (one fork for `<3.10 or >=3.15` would give both the oldest).
    let outside_parts = match below_and_above(&inside_marker) {
        Some((below, above)) if and(&outside, &or(&below, &above)) == outside => {
            vec![and(&outside, &below), and(&outside, &above)]
        }
        _ => vec![outside],
    };
    // The part where the version fits is solved first; the others then prefer its
    // versions where they fit and look further where they do not.
    let mut parts: Vec<ForkPart> = Vec::new();
    let inside_low = python_low(&inside);
    if usable(&inside) {
        parts.push(ForkPart::plain(inside));
    }
    for part in outside_parts {
        if usable(&part) {
            parts.push(ForkPart {
                excludable: python_low(&part) > inside_low,
                region: part,
            });
        }
    }
    parts
}

/// Split the fork between the known environments `missing` (where a candidate has no
/// file) and the rest; the first part is solved first, the second may be excluded. The
/// first part keeps only the environments where the candidate's files (`fits`) may
/// install: a lock never claims a platform its wheels do not name.
pub fn coverage_split(
    scope: &Scope,
    env_set: &EnvSet,
    missing: &[usize],
    fits: &MarkerTree,
) -> Vec<ForkPart> {
    let Scope::Fork { region, envs, .. } = scope else {
        return Vec::new();
    };
    // Widened where every platform of a Python lacks a file, unless nothing is left.
    let widened = env_set.envs_marker_widened(missing, envs);
    let uncovered = if is_possible(&and(region, &widened.negate())) {
        widened
    } else {
        env_set.envs_marker(missing)
    };
    let mut served = and(region, &uncovered.negate());
    let fitting = and(&served, fits);
    if is_possible(&fitting) {
        served = fitting;
    }
    let parts = [
        ForkPart::plain(served.clone()),
        ForkPart {
            region: and(region, &served.negate()),
            excludable: true,
        },
    ];
    parts
        .into_iter()
        .filter(|p| is_possible(&p.region))
        .collect()
}

/// Versions exist, but only with wheels for environments outside the checked ones
/// (another architecture, another interpreter; their wheels install where `foreign`
/// holds): lock them for those environments and leave the checked ones out, rather than
/// fail the whole lock. `None` when no such environment lies in the fork.
pub fn foreign_split(
    scope: &Scope,
    env_set: &EnvSet,
    foreign: &MarkerTree,
) -> Option<Vec<ForkPart>> {
    let Scope::Fork { envs, region, .. } = scope else {
        return None;
    };
    let checked = env_set.envs_marker(envs);
    let outside = and(&and(region, &checked.negate()), foreign);
    (!envs.is_empty() && is_possible(&outside)).then(|| {
        vec![
            ForkPart::plain(outside.clone()),
            ForkPart {
                region: and(region, &outside.negate()),
                excludable: true,
            },
        ]
    })
}

/// One part per group of environments whose wheels carry the same metadata (`variants`,
/// at least two): the first keeps whatever environments the others do not name.
pub fn variant_split(scope: &Scope, env_set: &EnvSet, variants: &[&[usize]]) -> Vec<ForkPart> {
    let Scope::Fork { region, .. } = scope else {
        return Vec::new();
    };
    let markers: Vec<MarkerTree> = variants
        .iter()
        .map(|envs| env_set.envs_marker(envs))
        .collect();
    let others = markers[1..]
        .iter()
        .fold(MarkerTree::FALSE, |acc, m| or(&acc, m));
    let mut parts = vec![ForkPart::plain(and(region, &others.negate()))];
    parts.extend(markers[1..].iter().map(|m| ForkPart::plain(and(region, m))));
    parts.retain(|p| is_possible(&p.region));
    parts
}

/// In a fork, sibling requirements on one package with different markers and different
/// version ranges or extras split the fork by those markers. `None` when they need no
/// split.
pub fn sibling_split(scope: &Scope, uses: &Uses, edges: &[Edge]) -> Option<Vec<ForkPart>> {
    let Scope::Fork { region, .. } = scope else {
        return None;
    };
    let mut by_name: Vec<(&PackageName, Vec<&Edge>)> = Vec::new();
    for e in edges {
        let Some(name) = e.pkg.name() else { continue };
        match by_name.iter_mut().find(|(n, _)| *n == name) {
            Some((_, list)) => list.push(e),
            None => by_name.push((name, vec![e])),
        }
    }
    // A multi-use lock's selection items count as all selected: every extra and group
    // is solved together unless they conflict (then the fork's region decides them).
    let marker_of = |e: &Edge| uses.all_selected(&e.marker);
    for (_, group) in by_name {
        // Markers as they hold within the fork.
        let effective: Vec<MarkerTree> = group.iter().map(|e| and(&marker_of(e), region)).collect();
        let mut markers: Vec<&MarkerTree> = Vec::new();
        for m in &effective {
            if m != region && !markers.contains(&m) {
                markers.push(m);
            }
        }
        if markers.is_empty() {
            continue;
        }
        // Same requirement under different markers needs no fork.
        let differs = group.iter().any(|a| {
            group
                .iter()
                .any(|b| marker_of(a) != marker_of(b) && (a.range != b.range || a.pkg != b.pkg))
        });
        if !differs {
            continue;
        }
        let mut parts = vec![region.clone()];
        for m in &markers {
            parts = parts
                .into_iter()
                .flat_map(|p| [and(&p, m), and(&p, &m.negate())])
                .filter(is_possible)
                .collect();
        }
        if parts.len() > 1 {
            sort_siblings(&mut parts, edges, &marker_of);
            return Some(parts.into_iter().map(ForkPart::plain).collect());
        }
    }
    None
}

/// Solve order of sibling parts (later forks prefer earlier forks' versions), as uv does:
/// forks for higher Pythons first, then forks whose requirements carry more upper bounds
/// (`numpy<2` before `numpy>=1`: the older choice may serve both); ties in the order of the
/// markers, the part outside them all last.
fn sort_siblings(
    parts: &mut [MarkerTree],
    edges: &[Edge],
    marker_of: &dyn Fn(&Edge) -> MarkerTree,
) {
    let key = |part: &MarkerTree| {
        let bounded = edges
            .iter()
            .filter(|e| {
                is_possible(&and(&marker_of(e), part))
                    && e.range
                        .bounding_range()
                        .is_some_and(|(_, high)| !matches!(high, std::ops::Bound::Unbounded))
            })
            .count();
        (Reverse(python_low(part)), Reverse(bounded))
    };
    parts.sort_by_cached_key(key);
}

/// The Pythons below and above the range of a Python marker, when it is bounded on both
/// sides.
fn below_and_above(python: &MarkerTree) -> Option<(MarkerTree, MarkerTree)> {
    use std::ops::Bound;
    let range = crate::pep::python_range(python);
    let (low, high) = range.bounding_range()?;
    let below = match low {
        Bound::Included(v) => format!("python_full_version < '{v}'"),
        Bound::Excluded(v) => format!("python_full_version <= '{v}'"),
        Bound::Unbounded => return None,
    };
    let above = match high {
        Bound::Excluded(v) => format!("python_full_version >= '{v}'"),
        Bound::Included(v) => format!("python_full_version > '{v}'"),
        Bound::Unbounded => return None,
    };
    Some((below.parse().ok()?, above.parse().ok()?))
}

/// The lowest Python a region admits, `None` if unbounded below.
fn python_low(region: &MarkerTree) -> Option<Version> {
    match crate::pep::python_range(region).bounding_range() {
        Some((std::ops::Bound::Included(v) | std::ops::Bound::Excluded(v), _)) => Some(v.clone()),
        _ => None,
    }
}
