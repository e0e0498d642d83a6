//! The dependency walk in one environment: root requirements and every selected package,
//! then the dependencies of each selected package from the index's
//! metadata, with the extras asked of it, each checked against the selected version.

use std::collections::{BTreeMap, BTreeSet};

use super::envs::Env;
use super::fetch::Metadata;
use super::select::Selected;
use super::{Problem, VerifyOptions};
use crate::pep::{ExtraName, PackageName, Requirement};

/// The walk over one environment's selection.
pub(crate) struct Walk<'a> {
    env: &'a Env,
    options: &'a VerifyOptions,
    metadata: &'a Metadata,
    selected: BTreeMap<PackageName, &'a Selected<'a>>,
}

/// Who asks for a requirement.
enum Asker<'a> {
    /// The root requirements.
    Root,
    /// A selected package (each is installed, so each one's dependencies are checked).
    Seed,
    /// A selected package's dependency.
    Package(&'a Selected<'a>),
}

/// Problems found, each once, in the order found.
#[derive(Default)]
struct Found {
    seen: BTreeSet<String>,
    list: Vec<Problem>,
}

impl Found {
    fn push(&mut self, package: Option<String>, reason: String) {
        let p = Problem { package, reason };
        if self.seen.insert(p.to_string()) {
            self.list.push(p);
        }
    }
}

impl<'a> Walk<'a> {
    /// A walk over `selected`, in `env`.
    pub fn new(
        env: &'a Env,
        options: &'a VerifyOptions,
        metadata: &'a Metadata,
        selected: &'a [Selected<'a>],
    ) -> Self {
        Self {
            env,
            options,
            metadata,
            selected: selected.iter().map(|s| (s.name.clone(), s)).collect(),
        }
    }

    /// Add what fails to `problems`; return what could not be checked.
    pub fn run(&self, problems: &mut Vec<Problem>) -> Vec<String> {
        let mut found = Found::default();
        let mut unchecked = Vec::new();
        self.check_constraints(&mut found);
        let mut queue = self.starts();
        let mut extras_of: BTreeMap<PackageName, BTreeSet<ExtraName>> = BTreeMap::new();
        while let Some((asker, req)) = queue.pop() {
            let selected = self.selected.get(&req.name).copied();
            if let Some((package, reason)) = judge(&asker, &req, selected) {
                found.push(package, reason);
            }
            let Some(s) = selected else { continue };
            let Some(extras) = newly_asked(&mut extras_of, &req) else {
                continue;
            };
            let Some(key) = s.key() else {
                if s.package.source.is_some() {
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
                    found.push(Some(s.label()), reason.clone());
                    continue;
                }
                None => continue,
            };
            let env = &self.env.markers;
            for dep in deps.iter().filter(|d| d.marker.evaluate(env, &extras)) {
                for eff in self.effective(std::slice::from_ref(dep)) {
                    let same = eff.name == dep.name && eff.marker == dep.marker;
                    if same || eff.marker.evaluate(env, &[]) {
                        queue.push((Asker::Package(s), eff));
                    }
                }
            }
        }
        problems.extend(found.list);
        unchecked
    }

    /// Constraints that apply here must hold for the selected version.
    fn check_constraints(&self, found: &mut Found) {
        for c in &self.options.constraints {
            let Some(s) = self.selected.get(&c.name) else {
                continue;
            };
            if c.marker.evaluate(&self.env.markers, &[]) && !admits(c, s) {
                found.push(
                    Some(s.label()),
                    format!("the constraint `{}` does not hold", req_text(c)),
                );
            }
        }
    }

    /// Where the walk starts: every selected package (an installer installs each, so the
    /// dependencies of each are checked, whether or not a root requirement reaches it), and
    /// the root requirements that apply here (popped first, so their extras are asked).
    fn starts(&self) -> Vec<(Asker<'a>, Requirement)> {
        let mut starts: Vec<(Asker<'a>, Requirement)> = self
            .selected
            .values()
            .filter_map(|s| crate::pep::parse::value(s.name.as_ref()).ok())
            .map(|r| (Asker::Seed, r))
            .collect();
        starts.extend(
            self.effective(&self.options.requirements)
                .into_iter()
                .filter(|r| r.marker.evaluate(&self.env.markers, &[]))
                .map(|r| (Asker::Root, r)),
        );
        starts
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

/// What is wrong with `req` (asked by `asker`) given what is selected for its name: the
/// package at fault and the reason.
fn judge(
    asker: &Asker<'_>,
    req: &Requirement,
    selected: Option<&Selected<'_>>,
) -> Option<(Option<String>, String)> {
    let wanted = req_text(req);
    match (asker, selected) {
        (Asker::Seed, _) => None,
        (Asker::Root, None) => Some((
            None,
            format!(
                "the requirement `{wanted}` is not met: the lock selects no {} here",
                req.name
            ),
        )),
        (Asker::Root, Some(s)) if !admits(req, s) => Some((
            None,
            format!(
                "the requirement `{wanted}` is not met: the lock has {}",
                s.label()
            ),
        )),
        (Asker::Package(p), None) => Some((
            Some(p.label()),
            format!(
                "needs `{wanted}`, and the lock selects no {} here",
                req.name
            ),
        )),
        (Asker::Package(p), Some(s)) if !admits(req, s) => Some((
            Some(p.label()),
            format!("needs `{wanted}`, the lock has {}", s.label()),
        )),
        _ => None,
    }
}

/// The extras asked of `req.name` so far, when `req` asks for the package for the first
/// time or with an extra not asked before (its dependencies are then walked again);
/// `None` when it adds nothing.
fn newly_asked(
    extras_of: &mut BTreeMap<PackageName, BTreeSet<ExtraName>>,
    req: &Requirement,
) -> Option<Vec<ExtraName>> {
    let known = extras_of.get(&req.name);
    let new = req
        .extras
        .iter()
        .any(|e| known.is_none_or(|k| !k.contains(e)));
    if known.is_some() && !new {
        return None;
    }
    let extras = extras_of.entry(req.name.clone()).or_default();
    extras.extend(req.extras.iter().cloned());
    Some(extras.iter().cloned().collect())
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
