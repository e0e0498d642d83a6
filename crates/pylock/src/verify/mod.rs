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

mod envs;
mod fetch;
mod select;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::index::{Index, IndexError};
use crate::lock::LockFile;
use crate::manifest::{Baseline, GroupName, Platform};
use crate::pep::{ExtraName, PackageName, Requirement, Version};

use envs::Env;
use select::Selected;

/// What to check a lock against, and where.
#[derive(Clone, Debug, Default)]
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
    /// Check only this Python (else every CPython minor pylock knows).
    pub python: Option<Version>,
    /// Check only this platform (else the five platforms of universal locks).
    pub platform: Option<Platform>,
    /// The OS releases the five platforms stand for.
    pub baseline: Baseline,
}

/// The verdict on a lock, per environment checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Every environment checked, by Python then platform.
    pub environments: Vec<EnvironmentReport>,
}

/// The verdict in one environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentReport {
    /// `CPython 3.12 on Linux x86_64`.
    pub name: String,
    /// Whether the lock claims it (`requires-python`, `environments`); an environment it
    /// does not claim is not checked further.
    pub claimed: bool,
    /// How many packages the lock selects there.
    pub selected: usize,
    /// What fails there (empty: the lock installs there).
    pub problems: Vec<Problem>,
    /// What could not be checked there (dependencies of directory or VCS sources).
    pub unchecked: Vec<String>,
}

/// One failure in one environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
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
#[non_exhaustive]
pub enum VerifyError {
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

/// Check `lock` in every environment of `options`, reading dependencies from `index`.
pub fn verify(
    lock: &LockFile,
    options: &VerifyOptions,
    index: &dyn Index,
) -> Result<VerifyReport, VerifyError> {
    let groups = select::groups(lock, options)?;
    let envs = envs::environments(options.python.as_ref(), options.platform, &options.baseline);
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
        let mut unchecked = Vec::new();
        let walk = Walk {
            env,
            options,
            metadata: &metadata,
            selected: selected
                .iter()
                .map(|s| (s.name.clone(), s))
                .collect::<BTreeMap<_, _>>(),
        };
        walk.run(&mut problems, &mut unchecked);
        out.push(EnvironmentReport {
            name: env.name.clone(),
            claimed: true,
            selected: walk.selected.len(),
            problems,
            unchecked,
        });
    }
    Ok(VerifyReport { environments: out })
}

/// The dependency walk in one environment.
struct Walk<'a> {
    env: &'a Env,
    options: &'a VerifyOptions,
    metadata: &'a fetch::Metadata,
    selected: BTreeMap<PackageName, &'a Selected<'a>>,
}

/// Who asks for a requirement.
enum Asker<'a> {
    /// The root requirements.
    Root,
    /// A selected package that is checked without a root (closure-only checks).
    Seed,
    /// A selected package's dependency.
    Package(&'a Selected<'a>),
}

impl Walk<'_> {
    fn run(&self, problems: &mut Vec<Problem>, unchecked: &mut Vec<String>) {
        let env = &self.env.markers;
        for c in &self.options.constraints {
            let Some(s) = self.selected.get(&c.name) else {
                continue;
            };
            if c.marker.evaluate(env, &[]) && !admits(c, s) {
                problems.push(Problem {
                    package: Some(s.label()),
                    reason: format!("the constraint `{}` does not hold", req_text(c)),
                });
            }
        }
        let mut queue: Vec<(Asker, Requirement)> = Vec::new();
        if self.options.requirements.is_empty() {
            for s in self.selected.values() {
                let bare: Option<Requirement> = crate::pep::parse::value(s.name.as_ref()).ok();
                queue.extend(bare.map(|r| (Asker::Seed, r)));
            }
        } else {
            for r in self.effective(&self.options.requirements) {
                if r.marker.evaluate(env, &[]) {
                    queue.push((Asker::Root, r));
                }
            }
        }
        let mut extras_of: BTreeMap<PackageName, BTreeSet<ExtraName>> = BTreeMap::new();
        let mut reported: BTreeSet<String> = BTreeSet::new();
        while let Some((asker, req)) = queue.pop() {
            let found = self.selected.get(&req.name).copied();
            let problem = match (&asker, found) {
                (Asker::Seed, _) => None,
                (Asker::Root, None) => Some((
                    None,
                    format!(
                        "the requirement `{}` is not met: the lock selects no {} here",
                        req_text(&req),
                        req.name
                    ),
                )),
                (Asker::Root, Some(s)) if !admits(&req, s) => Some((
                    None,
                    format!(
                        "the requirement `{}` is not met: the lock has {}",
                        req_text(&req),
                        s.label()
                    ),
                )),
                (Asker::Package(p), None) => Some((
                    Some(p.label()),
                    format!(
                        "needs `{}`, and the lock selects no {} here",
                        req_text(&req),
                        req.name
                    ),
                )),
                (Asker::Package(p), Some(s)) if !admits(&req, s) => Some((
                    Some(p.label()),
                    format!("needs `{}`, the lock has {}", req_text(&req), s.label()),
                )),
                _ => None,
            };
            if let Some((package, reason)) = problem {
                let p = Problem { package, reason };
                if reported.insert(p.to_string()) {
                    problems.push(p);
                }
            }
            let Some(s) = found else { continue };
            let known = extras_of.get(&req.name);
            let new = req
                .extras
                .iter()
                .any(|e| known.is_none_or(|k| !k.contains(e)));
            if known.is_some() && !new {
                continue;
            }
            let extras = extras_of.entry(req.name.clone()).or_default();
            extras.extend(req.extras.iter().cloned());
            let extras: Vec<ExtraName> = extras.iter().cloned().collect();
            let Some(key) = s.key() else {
                if s.details.source.is_some() {
                    let note = format!("the dependencies of {} ({})", s.label(), s.source_kind());
                    if !unchecked.contains(&note) {
                        unchecked.push(note);
                    }
                }
                continue;
            };
            let deps = match self.metadata.get(&key) {
                Some(Ok(deps)) => deps,
                Some(Err(reason)) => {
                    let p = Problem {
                        package: Some(s.label()),
                        reason: reason.clone(),
                    };
                    if reported.insert(p.to_string()) {
                        problems.push(p);
                    }
                    continue;
                }
                None => continue,
            };
            for dep in deps.iter().filter(|d| d.marker.evaluate(env, &extras)) {
                for eff in self.effective(std::slice::from_ref(dep)) {
                    let same = eff.name == dep.name && eff.marker == dep.marker;
                    if same || eff.marker.evaluate(env, &[]) {
                        queue.push((Asker::Package(s), eff));
                    }
                }
            }
        }
    }

    /// `reqs` with overrides applied: an override replaces every requirement on its name.
    fn effective(&self, reqs: &[Requirement]) -> Vec<Requirement> {
        let overrides = &self.options.overrides;
        let mut out = Vec::new();
        for r in reqs {
            if overrides.iter().any(|o| o.name == r.name) {
                out.extend(overrides.iter().filter(|o| o.name == r.name).cloned());
            } else {
                out.push(r.clone());
            }
        }
        out
    }
}

/// Whether the selected version meets `req`'s specifiers (pre-releases included, as an
/// installer given a lock takes what it says).
fn admits(req: &Requirement, s: &Selected<'_>) -> bool {
    s.version
        .as_ref()
        .is_none_or(|v| crate::pep::requirement_range(req).contains(v))
}

/// `name[extras]specifiers`, without the marker.
fn req_text(r: &Requirement) -> String {
    let mut out = r.name.to_string();
    if !r.extras.is_empty() {
        let extras: Vec<String> = r.extras.iter().map(ToString::to_string).collect();
        out.push_str(&format!("[{}]", extras.join(",")));
    }
    if let Some(crate::pep::VersionOrUrl::VersionSpecifier(s)) = &r.version_or_url {
        out.push_str(&s.to_string());
    }
    out
}
