//! What a resolve knows before it starts, shared by every fork: overrides, constraints, the
//! versions root requirements pin (which may be yanked) or name as pre-releases.

use std::collections::{HashMap, HashSet};

use super::coverage::EnvSet;
use crate::manifest::{Manifest, Target};
use crate::pep::{
    names_prerelease, pinned_version, requirement_range, ExtraName, MarkerTree, PackageName, Range,
    Requirement, Version,
};

use super::pkg::{Edge, Pkg};
use super::scope::Scope;
use super::uses::Uses;

/// The manifest digested for solving.
pub struct Inputs {
    /// Root requirements.
    pub requirements: Vec<Requirement>,
    overrides: HashMap<PackageName, Vec<Requirement>>,
    constraints: HashMap<PackageName, Vec<Requirement>>,
    /// Versions pinned by root requirements (`==`/`===`): their yanked files are allowed.
    pub allowed_yanks: HashSet<(PackageName, Version)>,
    /// Packages whose root requirements name a pre-release.
    pub explicit_prereleases: HashSet<PackageName>,
    /// Names of root requirements.
    pub direct: HashSet<PackageName>,
    /// The environments universal locks are checked against.
    pub env_set: EnvSet,
    /// A multi-use lock's selection items and their conflicts (none for single-use locks).
    pub uses: Uses,
}

impl Inputs {
    /// Digest a manifest for `target`.
    pub fn new(manifest: &Manifest, target: &Target) -> Self {
        let group = |reqs: &[Requirement]| {
            let mut map: HashMap<PackageName, Vec<Requirement>> = HashMap::new();
            for r in reqs {
                map.entry(r.name.clone()).or_default().push(r.clone());
            }
            map
        };
        let all = || {
            manifest
                .requirements
                .iter()
                .chain(&manifest.constraints)
                .chain(&manifest.overrides)
        };
        Self {
            requirements: manifest.requirements.clone(),
            overrides: group(&manifest.overrides),
            constraints: group(&manifest.constraints),
            allowed_yanks: all()
                .filter_map(|r| pinned_version(r).map(|v| (r.name.clone(), v.clone())))
                .collect(),
            explicit_prereleases: all()
                .filter(|r| names_prerelease(r))
                .map(|r| r.name.clone())
                .collect(),
            direct: manifest.direct_names().cloned().collect(),
            env_set: EnvSet::new(
                target
                    .python
                    .as_ref()
                    .and_then(|p| p.release().get(1).copied()),
                target.platform,
                &target.baseline,
            ),
            uses: Uses::default(),
        }
    }

    /// The root's solver edges within `scope`: the selection items of a multi-use lock stay
    /// variables of their markers.
    pub fn root_edges(&self, scope: &Scope) -> Vec<Edge> {
        self.edges_keeping(scope, &self.requirements, None, &[], &self.uses.vars)
    }

    /// Solver edges for `requirements` declared by `parent` with `extras` enabled, within
    /// `scope`: requirements that cannot apply are dropped, overrides replace requirements on
    /// their package, constraints narrow ranges.
    pub fn edges(
        &self,
        scope: &Scope,
        requirements: &[Requirement],
        parent: Option<&PackageName>,
        extras: &[ExtraName],
    ) -> Vec<Edge> {
        self.edges_keeping(scope, requirements, parent, extras, &[])
    }

    /// [`Inputs::edges`], the extras in `free` left undecided in the markers.
    fn edges_keeping(
        &self,
        scope: &Scope,
        requirements: &[Requirement],
        parent: Option<&PackageName>,
        extras: &[ExtraName],
        free: &[ExtraName],
    ) -> Vec<Edge> {
        let mut out = Vec::new();
        for req in requirements {
            let Some(marker) = scope.applies_keeping(req, extras, free) else {
                continue;
            };
            match self.overrides.get(&req.name) {
                Some(overrides) => {
                    for o in overrides {
                        let Some(o_marker) = scope.applies(o, &[]) else {
                            continue;
                        };
                        let marker = crate::pep::and(&marker, &o_marker);
                        if scope.applies_marker(&marker) {
                            self.push_edges(&mut out, scope, o, parent, marker);
                        }
                    }
                }
                None => self.push_edges(&mut out, scope, req, parent, marker),
            }
        }
        out
    }

    fn push_edges(
        &self,
        out: &mut Vec<Edge>,
        scope: &Scope,
        req: &Requirement,
        parent: Option<&PackageName>,
        marker: MarkerTree,
    ) {
        let own = requirement_range(req);
        let constraints: Vec<Range> = (self.constraints.get(&req.name).into_iter().flatten())
            .filter(|c| scope.applies(c, &[]).is_some())
            .map(requirement_range)
            .collect();
        let mut ranges: Vec<&Range> = constraints.iter().collect();
        ranges.push(&own);
        let range = crate::pep::intersect_all(&ranges);
        if parent != Some(&req.name) {
            out.push(Edge {
                pkg: Pkg::Package(req.name.clone()),
                range: range.clone(),
                marker: marker.clone(),
            });
        }
        for extra in &req.extras {
            out.push(Edge {
                pkg: Pkg::Extra(req.name.clone(), extra.clone()),
                range: range.clone(),
                marker: marker.clone(),
            });
        }
    }
}
