//! `verify`: does a PEP 751 lock (any tool's) install in every environment it claims?
//!
//! For each environment checked (CPython minors on the platforms of universal locks, or the
//! ones asked for) that the lock claims (its `requires-python` and `environments`), the lock
//! is read as an installer reads it (PEP 751 selection: package markers with the extras and
//! groups asked for, package `requires-python`, one entry per name, a wheel whose tags fit
//! or an sdist), and then:
//! - every root requirement that applies there is selected at a version it admits;
//! - every dependency of a selected package, read from the index's core metadata (never from
//!   the lock's informational `dependencies`), with the extras requested of it and markers
//!   evaluated there, is selected at a version it admits (without root requirements, this
//!   closure is all that is checked);
//! - every selected file has a hash; constraints hold for the selected packages.
//!
//! The result is a [`VerifyReport`]: per environment, the problems found.
//!
//! ```no_run
//! use pylock::{LocalIndex, LockFile, VerifyOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let old = LockFile::read("old/pylock.toml".as_ref())?;
//! let new = LockFile::read("pylock.toml".as_ref())?; // pylock's, uv's, pdm's or pip's
//! print!("{}", old.diff(&new).to_markdown());
//!
//! let index = LocalIndex::new("index/simple")?;
//! let report = new.verify(&VerifyOptions::default(), &index)?;
//! for env in report.environments.iter().filter(|e| e.claimed) {
//!     println!("{}: {} problems", env.name, env.problems.len());
//! }
//! # Ok(())
//! # }
//! ```

mod envs;
mod fetch;
mod select;
mod walk;

use std::fmt;

use crate::index::{Index, IndexError};
use crate::lock::{LockFile, LockedPackage};
use crate::manifest::{GroupName, Target};
use crate::pep::{ExtraName, Requirement};
use crate::resolve::ResolveError;
use crate::ManifestError;

use select::Selected;

/// What to check a lock against, and where.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Root requirements that must be met (empty: check the dependency closure only).
    pub requirements: Vec<Requirement>,
    /// Constraints that must hold for selected packages.
    pub constraints: Vec<Requirement>,
    /// Overrides: each replaces every requirement on its package.
    pub overrides: Vec<Requirement>,
    /// The extras installed (PEP 751 `'x' in extras`).
    pub extras: Vec<ExtraName>,
    /// The dependency groups installed (`None`: the lock's `default-groups`).
    pub groups: Option<Vec<GroupName>>,
    /// Where to check: every CPython minor of [`Target::PYTHON_MINORS`] on each of
    /// [`Target::PLATFORMS`] (with the target's macOS and glibc releases), narrowed to the
    /// target's Python and platform when it has them. Its `requires_python` is not used:
    /// the lock says which Pythons it claims.
    pub target: Target,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            requirements: Vec::new(),
            constraints: Vec::new(),
            overrides: Vec::new(),
            extras: Vec::new(),
            groups: None,
            target: Target::universal(None),
        }
    }
}

/// The verdict on a lock, per environment checked.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyReport {
    /// Every environment checked, by Python then platform.
    pub environments: Vec<EnvironmentReport>,
}

/// The verdict in one environment.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnvironmentReport {
    /// `CPython 3.12 on Linux x86_64`.
    pub name: String,
    /// Whether the lock claims it (`requires-python`, `environments`); an environment it
    /// does not claim is not checked further.
    pub claimed: bool,
    /// How many packages the lock selects there.
    pub selected: usize,
    /// What fails there, one line each (`name version: what is wrong`, or what is wrong
    /// with the lock's own fields); empty: the lock installs there.
    pub problems: Vec<String>,
    /// What could not be checked there (dependencies of directory or VCS sources).
    pub unchecked: Vec<String>,
}

/// One failure in one environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    /// The package at fault, `name version` (absent: the lock's own fields).
    pub package: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.package {
            Some(p) => write!(f, "{p}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

/// Why a lock could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub(crate) enum VerifyError {
    /// The index could not be read (network, cache, I/O).
    #[error(transparent)]
    Index(#[from] IndexError),
    /// An extra or group asked for that the lock does not declare.
    #[error("{0}")]
    Undeclared(String),
}

impl VerifyReport {
    /// Whether the lock installs in every environment it claims, and claims at least one.
    pub fn is_ok(&self) -> bool {
        self.environments.iter().any(|e| e.claimed)
            && self.environments.iter().all(|e| e.problems.is_empty())
    }
}

impl LockFile {
    /// Check that this lock installs in every environment of `options` that it claims, reading
    /// dependencies from `index` (see [`VerifyReport`]). Fails only when the check cannot be
    /// made: [`ResolveError::Index`] when the index cannot be read,
    /// [`ResolveError::Project`] ([`ManifestError::Undeclared`]) when an extra or group asked
    /// for is not one the lock declares.
    pub fn verify(
        &self,
        options: &VerifyOptions,
        index: &dyn Index,
    ) -> Result<VerifyReport, ResolveError> {
        verify(self, options, index).map_err(|e| match e {
            VerifyError::Index(e) => ResolveError::Index(e),
            VerifyError::Undeclared(message) => {
                ResolveError::Project(ManifestError::Undeclared(message))
            }
        })
    }

    /// The entries an installer selects from this lock in the one environment of `target`
    /// (`None` for a target of several environments) for `extras` and `groups`, by name:
    /// PEP 751 selection by package markers (`'x' in extras`, `'g' in dependency_groups`
    /// with exactly the groups given, not the lock's `default-groups`), one entry per name
    /// (the first where several apply).
    pub fn select(
        &self,
        target: &Target,
        extras: &[ExtraName],
        groups: &[GroupName],
    ) -> Option<Vec<&LockedPackage>> {
        let (python, platform) = (target.python.as_ref()?, target.platform?);
        let envs = envs::environments(Some(python), Some(platform), &target.baseline);
        let env = envs.first()?;
        let (selected, _) = select::select(self, &select::parse(self), env, extras, groups);
        Some(selected.into_iter().map(|s| s.package).collect())
    }
}

/// Check `lock` in every environment of `options`, reading dependencies from `index`.
pub(crate) fn verify(
    lock: &LockFile,
    options: &VerifyOptions,
    index: &dyn Index,
) -> Result<VerifyReport, VerifyError> {
    let groups = select::groups(lock, options)?;
    let target = &options.target;
    let envs = envs::environments(target.python.as_ref(), target.platform, &target.baseline);
    let parsed = select::parse(lock);
    let mut selections: Vec<Option<(Vec<Selected<'_>>, Vec<Problem>)>> = Vec::new();
    for env in &envs {
        let claimed = select::claims(lock, env);
        selections
            .push(claimed.then(|| select::select(lock, &parsed, env, &options.extras, &groups)));
    }
    let wanted: Vec<fetch::Want> = selections
        .iter()
        .zip(&envs)
        .filter_map(|(s, env)| Some((s.as_ref()?.0.as_slice(), env)))
        .flat_map(|(sel, _)| sel.iter().filter_map(Selected::want))
        .collect();
    let metadata = fetch::fetch_all(index, wanted)?;
    let mut out = Vec::new();
    for (env, selection) in envs.iter().zip(selections) {
        let Some((selected, mut problems)) = selection else {
            out.push(EnvironmentReport {
                name: env.name.clone(),
                claimed: false,
                selected: 0,
                problems: Vec::new(),
                unchecked: Vec::new(),
            });
            continue;
        };
        let walk = walk::Walk::new(env, options, &metadata, &selected);
        let unchecked = walk.run(&mut problems);
        out.push(EnvironmentReport {
            name: env.name.clone(),
            claimed: true,
            selected: selected.len(),
            problems: problems.iter().map(ToString::to_string).collect(),
            unchecked,
        });
    }
    Ok(VerifyReport { environments: out })
}
