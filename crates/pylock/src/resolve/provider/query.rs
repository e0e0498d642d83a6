//! What a solve leaves for its readers: the result (candidates, files, Requires-Python of
//! the chosen versions), the failure reports (listed versions, why versions were ruled out,
//! the ranges as written) and the restart (the dependencies learnt).

use std::collections::HashMap;
use std::sync::Arc;

use super::CauseKind;
use super::{DependencyMemo, Provider};
use crate::index::IndexError;
use crate::pep::{MarkerTree, PackageName, Range, Version, VersionSpecifiers};
use crate::resolve::atoms::Atoms;
use crate::resolve::candidates::{Candidate, Candidates};
use crate::resolve::pkg::Pkg;
use crate::util::lock;

impl Provider<'_> {
    /// What this solve learnt of dependencies, for its restart.
    pub fn take_dependencies(&self) -> DependencyMemo {
        std::mem::take(&mut lock(&self.dependencies))
    }

    /// The candidates of a project, `None` when the index does not have it.
    pub fn candidates(&self, name: &PackageName) -> Result<Option<Arc<Candidates>>, IndexError> {
        self.fetcher.page(name)
    }

    /// The candidate of a resolved package.
    pub fn candidate(&self, name: &PackageName, version: &Version) -> Option<Arc<Candidate>> {
        let page = self.fetcher.page_if_ready(name)??;
        page.versions
            .iter()
            .find(|c| &c.version == version)
            .cloned()
    }

    /// `Requires-Python` of a version, from its metadata if it was read.
    pub fn requires_python(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Option<VersionSpecifiers> {
        self.metadata_if_ready(name, version)
            .and_then(|m| m.requires_python.clone())
    }

    /// Metadata already read of a version, from the file whose metadata holds in this scope
    /// where its wheels differ.
    pub(super) fn metadata_if_ready(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Option<Arc<crate::index::CoreMetadata>> {
        let variant = lock(&self.variants)
            .get(&(name.clone(), version.clone()))
            .cloned();
        match variant {
            Some(file) => self.fetcher.file_metadata_if_ready(&file),
            None => self.fetcher.metadata_if_ready(name, version),
        }
    }

    /// Where requirements on `name` apply, over the root's and every dependency read in
    /// this solve: the union of their markers.
    pub fn markers_into(&self, name: &PackageName) -> MarkerTree {
        let memo = lock(&self.dependencies);
        memo.values()
            .flat_map(|deps| deps.edges.iter())
            .chain(&self.root)
            .filter(|e| e.pkg.name() == Some(name))
            .fold(MarkerTree::FALSE, |acc, e| crate::pep::or(&acc, &e.marker))
    }

    /// Why versions of `name` in `range` were ruled out in this scope.
    pub fn causes_of(
        &self,
        name: &PackageName,
        range: &Range,
    ) -> Vec<(Version, CauseKind, String)> {
        let mut out: Vec<(Version, CauseKind, String)> = lock(&self.causes)
            .iter()
            .filter(|((n, v), _)| n == name && range.contains(v))
            .map(|((_, v), (kind, detail))| (v.clone(), *kind, detail.clone()))
            .collect();
        out.sort();
        out
    }

    /// Warnings for the extras requested of versions that do not provide them.
    pub fn missing_extra_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.missing_extras))
            .into_iter()
            .map(|(name, version, extra)| {
                format!("{name}=={version} does not provide the extra `{extra}`")
            })
            .collect()
    }

    /// The listed versions of `name` inside `range`, from what was already fetched.
    pub fn listed_versions(&self, name: &PackageName, range: &Range) -> Vec<Version> {
        let Some(Some(page)) = self.fetcher.page_if_ready(name) else {
            return Vec::new();
        };
        page.versions
            .iter()
            .filter(|c| range.contains(&c.version))
            .map(|c| c.version.clone())
            .collect()
    }

    /// Whether the index has no page for `name` (after it was asked).
    pub fn is_missing(&self, name: &PackageName) -> bool {
        matches!(self.fetcher.page_if_ready(name), Some(None))
    }

    /// The ranges as requirements wrote them, for the solver's aligned ones, per (dependent,
    /// dependency, atoms): explanations say "you require a<2", not the atoms that stand for
    /// it. Where a dependent's versions wrote several alike, the shortest text is shown.
    pub fn written_ranges(&self) -> HashMap<(Pkg, Pkg, Atoms), Range> {
        let memo = lock(&self.dependencies);
        let mut written: Vec<(&Pkg, &Pkg, &Range, &Atoms)> = memo
            .iter()
            .flat_map(|((parent, _), d)| {
                (d.merged.iter()).map(move |(dep, range, atoms)| (parent, dep, range, atoms))
            })
            .collect();
        written.sort_by_cached_key(|(parent, dep, range, _)| {
            let text = crate::pep::display_range(range);
            (parent.to_string(), dep.to_string(), text.len(), text)
        });
        let mut out = HashMap::new();
        for (parent, dep, range, atoms) in written {
            out.entry((parent.clone(), dep.clone(), atoms.clone()))
                .or_insert_with(|| range.clone());
        }
        out
    }
}
