//! The dependency edges of a resolution: for the root and each resolved package, the entries
//! it depends on, where, and with which extras.
//!
//! They are worked out after the solve from the same data the solver used (each version's core
//! metadata, the manifest's overrides and constraints, the scope's marker algebra), walking
//! from the root so that only the extras actually requested of a package add edges. An edge
//! names the entry it resolved to; where a package is locked at several versions (one per
//! fork), an edge goes to each version whose marker meets the edge's and the depending
//! package's, with the conjunction as its marker.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::inputs::Inputs;
use super::pkg::{Edge, Pkg};
use super::scope::Scope;
use super::{Dependency, Resolution};
use crate::index::CoreMetadata;
use crate::pep::{
    and, is_possible, lock_marker, ExtraName, MarkerTree, PackageName, Requirement, Version,
    VersionSpecifiers,
};

/// One locked entry, as edges see it.
struct Entry {
    version: Version,
    marker: MarkerTree,
}

/// Fill in [`Resolution::roots`] and each package's `dependencies`, reading each version's
/// metadata with `metadata` (`None`: not read, no edges).
pub(crate) fn add_edges(
    resolution: &mut Resolution,
    inputs: &Inputs,
    scope: &Scope,
    metadata: &dyn Fn(&PackageName, &Version) -> Option<Arc<CoreMetadata>>,
) {
    let mut entries: BTreeMap<PackageName, Vec<Entry>> = BTreeMap::new();
    for p in &resolution.packages {
        let marker = (p.marker.as_deref())
            .and_then(|m| m.parse::<MarkerTree>().ok())
            .unwrap_or(MarkerTree::TRUE);
        entries.entry(p.name.clone()).or_default().push(Entry {
            version: p.version.clone(),
            marker,
        });
    }
    let graph = Graph {
        entries: &entries,
        requires_python: &resolution.requires_python,
    };
    let mut requested: BTreeMap<PackageName, BTreeSet<ExtraName>> = BTreeMap::new();
    let roots = inputs.root_edges(scope);
    resolution.roots = graph.dependencies(&roots, &MarkerTree::TRUE, None, &mut requested);
    // Base edges first, then the extras requested of each package until no new one is.
    let mut done: BTreeSet<(PackageName, Version, Option<ExtraName>)> = BTreeSet::new();
    loop {
        let mut progressed = false;
        for p in &mut resolution.packages {
            let extras = requested.get(&p.name).cloned().unwrap_or_default();
            let wanted = std::iter::once(None).chain(extras.into_iter().map(Some));
            for extra in wanted {
                if !done.insert((p.name.clone(), p.version.clone(), extra.clone())) {
                    continue;
                }
                progressed = true;
                let Some(md) = metadata(&p.name, &p.version) else {
                    continue;
                };
                let edges = match &extra {
                    None => inputs.edges(scope, &md.requires_dist, Some(&p.name), &[]),
                    Some(e) => extra_edges(inputs, scope, &md.requires_dist, &p.name, e),
                };
                let parent = (p.marker.as_deref())
                    .and_then(|m| m.parse::<MarkerTree>().ok())
                    .unwrap_or(MarkerTree::TRUE);
                let deps = graph.dependencies(&edges, &parent, extra.as_ref(), &mut requested);
                p.dependencies.extend(deps);
            }
        }
        if !progressed {
            break;
        }
    }
    sort(&mut resolution.roots);
    for p in &mut resolution.packages {
        sort(&mut p.dependencies);
    }
}

/// Edges in a fixed order, each once: the package's own first, then by extra; by name and
/// version within.
fn sort(deps: &mut Vec<Dependency>) {
    fn key(d: &Dependency) -> impl Ord + '_ {
        (&d.via_extra, &d.name, &d.version, &d.marker, &d.extras)
    }
    deps.sort_by(|a, b| key(a).cmp(&key(b)));
    deps.dedup();
}

/// The edges `extra` of `name` adds: its requirements that apply with the extra and not (or
/// not as) without it.
fn extra_edges(
    inputs: &Inputs,
    scope: &Scope,
    requires_dist: &[Requirement],
    name: &PackageName,
    extra: &ExtraName,
) -> Vec<Edge> {
    let extras = std::slice::from_ref(extra);
    let added: Vec<Requirement> = requires_dist
        .iter()
        .filter(
            |r| match (scope.applies(r, extras), scope.applies(r, &[])) {
                (Some(_), None) => true,
                (Some(with), Some(without)) => with != without,
                _ => false,
            },
        )
        .cloned()
        .collect();
    let own = Pkg::Package(name.clone());
    (inputs.edges(scope, &added, None, extras).into_iter())
        .filter(|e| e.pkg != own)
        .collect()
}

/// The locked entries edges point at.
struct Graph<'a> {
    entries: &'a BTreeMap<PackageName, Vec<Entry>>,
    requires_python: &'a VersionSpecifiers,
}

impl Graph<'_> {
    /// The dependencies solver `edges` of a package with marker `parent` (brought by its
    /// extra `via`) stand for; the extras they request are added to `requested`.
    fn dependencies(
        &self,
        edges: &[Edge],
        parent: &MarkerTree,
        via: Option<&ExtraName>,
        requested: &mut BTreeMap<PackageName, BTreeSet<ExtraName>>,
    ) -> Vec<Dependency> {
        // A requirement `b[x,y]` is one edge to `b` and one to each of `b[x]`, `b[y]`, in a
        // row, with the same range and marker: they are one dependency. (Only the last group
        // is compared: a manifest may hold thousands of requirements on one package.)
        let mut grouped: Vec<(&Edge, BTreeSet<ExtraName>)> = Vec::new();
        for edge in edges {
            let (name, extra) = match &edge.pkg {
                Pkg::Package(name) => (name, None),
                Pkg::Extra(name, extra) => (name, Some(extra)),
                Pkg::Root => continue,
            };
            if let Some(extra) = extra {
                requested
                    .entry(name.clone())
                    .or_default()
                    .insert(extra.clone());
            }
            let same = grouped.last_mut().filter(|(e, _)| {
                extra.is_some()
                    && e.pkg.name() == Some(name)
                    && e.marker == edge.marker
                    && e.range == edge.range
            });
            match same {
                Some((_, extras)) => extras.extend(extra.cloned()),
                None => grouped.push((edge, extra.cloned().into_iter().collect())),
            }
        }
        let mut out = Vec::new();
        for (edge, extras) in grouped {
            let Some(name) = edge.pkg.name() else {
                continue;
            };
            let Some(entries) = self.entries.get(name) else {
                continue;
            };
            let fitting: Vec<&Entry> = entries
                .iter()
                .filter(|e| edge.range.contains(&e.version))
                .filter(|e| {
                    entries.len() == 1 || is_possible(&and(&and(parent, &edge.marker), &e.marker))
                })
                .collect();
            for entry in &fitting {
                let marker = if fitting.len() == 1 && entries.len() == 1 {
                    edge.marker.clone()
                } else {
                    and(&edge.marker, &entry.marker)
                };
                out.push(Dependency {
                    name: name.clone(),
                    version: entry.version.clone(),
                    marker: lock_marker(&marker, self.requires_python),
                    extras: extras.iter().cloned().collect(),
                    via_extra: via.cloned(),
                });
            }
        }
        out
    }
}
