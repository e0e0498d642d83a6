//! Whether one candidate fits the fork being solved: its Requires-Python, its files for the
//! fork's environments, its wheels' metadata. A candidate that fits only part of the fork
//! asks for a split (see [`crate::resolve::forks`]).

use std::sync::Arc;

use super::CauseKind;
use super::{Provider, ProviderError};
use crate::index::{DistFile, DistKind};
use crate::pep::tags::wheel_marker;
use crate::pep::{MarkerTree, PackageName, Version, VersionSpecifiers};
use crate::resolve::atoms::Atoms;
use crate::resolve::candidates::{Candidate, Candidates};
use crate::resolve::forks::coverage_split;
use crate::resolve::scope::{PythonFit, Scope};

/// A version that cannot be used here, and why.
pub(super) struct Rejection {
    /// The version.
    pub version: Version,
    /// Why, as the explanation says it.
    pub reason: String,
    /// What ruled it out, for the warnings of a fork left out (`None`: nothing about the
    /// environments).
    pub cause: Option<(CauseKind, String)>,
}

/// What one candidate is in the fork.
pub(super) enum Judgement {
    /// Take it.
    Take,
    /// It does not fit the fork's Pythons (a reason when its Requires-Python says so).
    Misfit(Option<Rejection>),
    /// It has no file for any checked environment; its wheels may install where the marker
    /// holds.
    Foreign(MarkerTree, Rejection),
}

impl Provider<'_> {
    /// Judge candidate `c` of `name` in this scope; a fork request when the fork must split
    /// on it (its Requires-Python, its files, its wheels' metadata).
    pub(super) fn judge(
        &self,
        name: &PackageName,
        candidates: &Candidates,
        c: &Candidate,
        range: &Atoms,
    ) -> Result<Judgement, ProviderError> {
        match self.page_python_fit(c) {
            (PythonFit::All, _) => {}
            (PythonFit::Part, Some(rp)) => return Err(self.python_fork(&rp)),
            (_, rp) => {
                return Ok(Judgement::Misfit(rp.map(|rp| {
                    let (reason, cause) = self.python_misfit(&rp);
                    Rejection {
                        version: c.version.clone(),
                        reason,
                        cause: Some(cause),
                    }
                })))
            }
        }
        self.prefetch_older(name, candidates, c, range);
        let Scope::Fork { envs, .. } = &self.scope else {
            return Ok(Judgement::Take);
        };
        let env_set = &self.inputs.env_set;
        let missing = env_set.uncovered(c.files(), envs);
        if missing.is_empty() {
            return match self.variant_fork(name, c, envs)? {
                Some(fork) => Err(fork),
                None => Ok(Judgement::Take),
            };
        }
        if missing.len() < envs.len() {
            let parts = coverage_split(&self.scope, env_set, &missing, &files_marker(c.files()));
            return Err(ProviderError::Fork(parts));
        }
        let note = env_set.baseline_note(c.all_files(), &missing);
        let reason = format!(
            "has no wheel for {} and no source distribution{}",
            env_set.describe(&missing),
            note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default()
        );
        Ok(Judgement::Foreign(
            files_marker(c.files()),
            Rejection {
                version: c.version.clone(),
                reason,
                cause: Some((CauseKind::NoFile, note.unwrap_or_default())),
            },
        ))
    }

    /// How a candidate's page-level Requires-Python fits the scope.
    pub(super) fn page_python_fit(
        &self,
        candidate: &Candidate,
    ) -> (PythonFit, Option<VersionSpecifiers>) {
        if matches!(self.scope, Scope::Single { .. }) {
            // Single environments judged each file already.
            return (PythonFit::All, None);
        }
        let mut best = (PythonFit::None, None);
        let mut any = false;
        for f in candidate.files() {
            let Some(rp) = f.requires_python() else {
                return (PythonFit::All, None);
            };
            any = true;
            match self.scope.python_fit(rp) {
                PythonFit::All => return (PythonFit::All, None),
                PythonFit::Part => best = (PythonFit::Part, Some(rp.clone())),
                PythonFit::None if best.1.is_none() => best = (PythonFit::None, Some(rp.clone())),
                PythonFit::None => {}
            }
        }
        if any {
            best
        } else {
            (PythonFit::All, None)
        }
    }

    /// The fork request splitting this fork where `requires_python` starts or stops holding.
    pub(super) fn python_fork(&self, requires_python: &VersionSpecifiers) -> ProviderError {
        ProviderError::Fork(crate::resolve::forks::python_split(
            &self.scope,
            requires_python,
        ))
    }
}

/// Where some of `files` may install, from their tags (an sdist: anywhere).
fn files_marker(files: &[Arc<DistFile>]) -> MarkerTree {
    files
        .iter()
        .fold(MarkerTree::FALSE, |acc, f| match &f.kind {
            DistKind::Wheel(tags) => crate::pep::or(&acc, &wheel_marker(tags)),
            DistKind::Sdist => MarkerTree::TRUE,
        })
}
