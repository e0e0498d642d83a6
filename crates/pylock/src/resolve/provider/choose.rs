//! How `choose_version` judges one candidate in a fork, forks where only foreign wheels
//! exist, and offers a rejected version so that the explanation can say why it cannot be
//! used.

use std::sync::Arc;

use super::{lock, ForkPart, Provider, ProviderError};
use crate::index::{DistFile, DistKind};
use crate::pep::{and, is_possible, MarkerTree, PackageName, Range, Version};
use crate::resolve::candidates::{Candidate, Candidates, Unusable};
use crate::resolve::coverage::wheel_marker;
use crate::resolve::exclusion::CauseKind;
use crate::resolve::scope::{PythonFit, Scope};

/// A version that fits the resolution policy but not the fork, and why.
pub(super) struct Misfit {
    version: Version,
    reason: String,
    cause: Option<(CauseKind, String)>,
}

/// What one candidate is in the fork.
pub(super) enum Judgement {
    /// Take it.
    Take,
    /// It does not fit the fork's Pythons (a reason when its Requires-Python says so).
    Misfit(Option<Misfit>),
    /// It has no file for any checked environment; its wheels may install where the marker
    /// holds.
    Foreign(MarkerTree, Misfit),
}

impl Provider<'_> {
    /// Judge candidate `c` of `name` in this scope; a fork request when the fork must split
    /// on it (its Requires-Python, its files, its wheels' metadata).
    pub(super) fn judge(
        &self,
        name: &PackageName,
        candidates: &Candidates,
        c: &Candidate,
        range: &Range,
    ) -> Result<Judgement, ProviderError> {
        match self.page_python_fit(c) {
            (PythonFit::All, _) => {}
            (PythonFit::Part, Some(rp)) => return Err(self.python_fork(&rp)),
            (_, rp) => {
                return Ok(Judgement::Misfit(rp.map(|rp| {
                    let (reason, cause) = self.python_misfit(&rp);
                    Misfit {
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
        let missing = self.inputs.env_set.uncovered(&c.files, envs);
        if missing.is_empty() {
            return match self.variant_fork(name, c, envs)? {
                Some(fork) => Err(fork),
                None => Ok(Judgement::Take),
            };
        }
        if missing.len() < envs.len() {
            return Err(self.coverage_fork(&missing, &files_marker(&c.files)));
        }
        let note = self.inputs.env_set.baseline_note(&c.all_files, &missing);
        let reason = format!(
            "has no wheel for {} and no source distribution{}",
            self.inputs.env_set.describe(&missing),
            note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default()
        );
        Ok(Judgement::Foreign(
            files_marker(&c.files),
            Misfit {
                version: c.version.clone(),
                reason,
                cause: Some((CauseKind::NoFile, note.unwrap_or_default())),
            },
        ))
    }

    /// Versions exist, but only with wheels for environments outside the checked ones
    /// (another architecture, another interpreter): lock them for those environments and
    /// leave the checked ones out, rather than fail the whole lock.
    pub(super) fn foreign_fork(&self, foreign: &MarkerTree) -> Option<ProviderError> {
        let Scope::Fork { envs, region, .. } = &self.scope else {
            return None;
        };
        let checked = self.inputs.env_set.envs_marker(envs);
        let outside = and(&and(region, &checked.negate()), foreign);
        (!envs.is_empty() && is_possible(&outside)).then(|| {
            ProviderError::Fork(vec![
                ForkPart::plain(outside.clone()),
                ForkPart {
                    region: and(region, &outside.negate()),
                    excludable: true,
                },
            ])
        })
    }

    /// Nothing usable: offer a version anyway (the first misfit, else the first version in
    /// range) so that `get_dependencies` can say why it cannot be used; the explanation then
    /// names each rejected version.
    pub(super) fn reject<'c>(
        &self,
        name: &PackageName,
        misfit: Option<Misfit>,
        fallback: impl FnOnce() -> Option<&'c Candidate>,
    ) -> Option<Version> {
        let misfit = match misfit {
            Some(misfit) => misfit,
            None => {
                let c = fallback()?;
                let reason = match &c.unusable {
                    Some(why @ Unusable::RequiresPython(_)) => {
                        format!("{why} (the target is {})", self.scope.python_description())
                    }
                    Some(why @ Unusable::NoCompatibleFile) => {
                        let every = self.inputs.env_set.all();
                        match self.inputs.env_set.baseline_note(&c.all_files, &every) {
                            Some(note) => format!("{why} ({note})"),
                            None => why.to_string(),
                        }
                    }
                    Some(why) => why.to_string(),
                    None => format!(
                        "is a pre-release, which --prerelease={} does not allow here",
                        self.options.prerelease
                    ),
                };
                Misfit {
                    version: c.version.clone(),
                    reason,
                    cause: None,
                }
            }
        };
        let key = (name.clone(), misfit.version.clone());
        if let Some(cause) = misfit.cause {
            lock(&self.causes).insert(key.clone(), cause);
        }
        lock(&self.rejected).insert(key, misfit.reason);
        Some(misfit.version)
    }
}

/// Where some of `files` may install, from their tags (an sdist: anywhere).
pub(super) fn files_marker(files: &[Arc<DistFile>]) -> MarkerTree {
    files
        .iter()
        .fold(MarkerTree::FALSE, |acc, f| match &f.kind {
            DistKind::Wheel(tags) => crate::pep::or(&acc, &wheel_marker(tags)),
            DistKind::Sdist => MarkerTree::TRUE,
        })
}
