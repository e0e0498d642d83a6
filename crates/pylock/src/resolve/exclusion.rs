//! What a universal lock leaves out, and why. A fork with no solution is left out when the
//! environments themselves rule it out: a Requires-Python cap below its Pythons, no file for
//! its platforms and Pythons, a dependency the index lacks. A conflict between requirements,
//! a Requires-Python floor above the target's Pythons (raise `requires-python` instead) or a
//! direct requirement the index lacks (a typo) stays an error. The warnings say, one line per
//! package and reason, which versions were ruled out where, and through which requirements.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use pubgrub::{DerivationTree, External};

use super::coverage::EnvSet;
use super::derivation::Fact;
use super::pkg::Pkg;
use super::provider::{CauseKind, Provider};
use crate::pep::{or, MarkerTree, PackageName, Range, Version};

/// One reason found in a failed fork.
#[derive(Clone, Debug)]
pub struct Cause {
    /// The package.
    pub package: PackageName,
    /// The version ruled out (`None` for a missing project).
    pub version: Option<Version>,
    /// Why.
    pub kind: CauseKind,
    /// The Requires-Python of the version, or a note on the platform baseline.
    pub detail: String,
    /// The packages through which the requirements reach it, from a root requirement.
    pub chain: Vec<String>,
}

/// A fork with no solution.
#[derive(Clone, Debug)]
pub struct Failure {
    /// PubGrub's explanation.
    pub explanation: String,
    /// The environmental reasons in it.
    pub causes: Vec<Cause>,
    /// Where the packages of those reasons are required at all (the union of the markers of
    /// the requirements on them): outside, the fork may still have a solution.
    pub needed_where: MarkerTree,
    /// The facts the failure rests on.
    pub facts: Vec<Fact>,
}

impl Failure {
    /// The causes in `tree`, a failed solve of `provider`.
    pub fn new(
        explanation: String,
        tree: &DerivationTree<Pkg, Range, String>,
        provider: &Provider<'_>,
    ) -> Self {
        let externals = super::derivation::externals(tree);
        let mut edges: HashMap<Pkg, Vec<Pkg>> = HashMap::new();
        for e in &externals {
            if let External::FromDependencyOf(p, _, dep, _) = e {
                edges.entry(p.clone()).or_default().push(dep.clone());
            }
        }
        let mut causes = Vec::new();
        for e in &externals {
            match e {
                External::Custom(pkg, range, _) => {
                    let Some(name) = pkg.name() else { continue };
                    for (version, kind, detail) in provider.causes_of(name, range) {
                        causes.push(Cause {
                            package: name.clone(),
                            version: Some(version),
                            kind,
                            detail,
                            chain: chain(&edges, pkg),
                        });
                    }
                }
                External::NoVersions(pkg, _) => {
                    let Some(name) = pkg.name() else { continue };
                    if provider.is_missing(name) {
                        let direct = edges.get(&Pkg::Root).is_some_and(|d| d.contains(pkg));
                        causes.push(Cause {
                            package: name.clone(),
                            version: None,
                            kind: if direct {
                                CauseKind::MissingDirect
                            } else {
                                CauseKind::Missing
                            },
                            detail: String::new(),
                            chain: chain(&edges, pkg),
                        });
                    }
                }
                _ => {}
            }
        }
        let mut needed_where = MarkerTree::FALSE;
        let mut seen: Vec<&PackageName> = Vec::new();
        for c in causes.iter().filter(|c| c.kind.excludable()) {
            if !seen.contains(&&c.package) {
                seen.push(&c.package);
                needed_where = or(&needed_where, &provider.markers_into(&c.package));
            }
        }
        Self {
            explanation,
            causes,
            needed_where,
            facts: super::derivation::facts(&externals),
        }
    }

    /// Whether the environments alone rule the fork out: some cause may be left out, and no
    /// direct requirement is missing from the index.
    pub fn environmental(&self) -> bool {
        self.causes.iter().any(|c| c.kind.excludable())
            && !self
                .causes
                .iter()
                .any(|c| c.kind == CauseKind::MissingDirect)
    }
}

/// The shortest path of dependencies from the root to `to`, without either end.
fn chain(edges: &HashMap<Pkg, Vec<Pkg>>, to: &Pkg) -> Vec<String> {
    let mut parent: HashMap<&Pkg, &Pkg> = HashMap::new();
    let mut queue = VecDeque::from([&Pkg::Root]);
    while let Some(node) = queue.pop_front() {
        if node == to {
            break;
        }
        let mut next: Vec<&Pkg> = edges.get(node).into_iter().flatten().collect();
        next.sort();
        for n in next {
            if *n != Pkg::Root && !parent.contains_key(n) {
                parent.insert(n, node);
                queue.push_back(n);
            }
        }
    }
    let mut path = Vec::new();
    let mut at = parent.get(to).copied();
    while let Some(p) = at.filter(|p| **p != Pkg::Root) {
        path.push(p.to_string());
        at = parent.get(p).copied();
    }
    path.reverse();
    path
}

/// What one package's causes add up to over the forks left out.
#[derive(Default)]
struct Group {
    versions: BTreeSet<Version>,
    details: BTreeSet<String>,
    envs: BTreeSet<usize>,
    chain: Vec<String>,
}

/// The forks left out of a universal lock.
#[derive(Default)]
pub struct Exclusions {
    /// Where the lock does not apply.
    pub region: MarkerTree,
    groups: BTreeMap<(PackageName, CauseKind), Group>,
    /// Each left-out region with its explanation, for when nothing is left to lock.
    explanations: Vec<(String, String)>,
    /// Forks left out for reasons none of the causes tells (a conflict inside a fork that
    /// was excludable from the start).
    others: Vec<String>,
    /// The facts of every left-out fork's failure.
    facts: Vec<Fact>,
}

impl Exclusions {
    /// Nothing left out yet.
    pub fn new() -> Self {
        Self {
            region: MarkerTree::FALSE,
            ..Self::default()
        }
    }

    /// Leave out `region` (the checked environments `envs`, described as `place`).
    pub fn add(&mut self, region: &MarkerTree, envs: &[usize], place: String, failure: Failure) {
        self.region = or(&self.region, region);
        let mut told = false;
        for cause in failure.causes.iter().filter(|c| c.kind.excludable()) {
            told = true;
            let group = self
                .groups
                .entry((cause.package.clone(), cause.kind))
                .or_default();
            group.versions.extend(cause.version.clone());
            if !cause.detail.is_empty() {
                group.details.insert(cause.detail.clone());
            }
            group.envs.extend(envs.iter().copied());
            if group.chain.is_empty() || cause.chain.len() < group.chain.len() {
                group.chain.clone_from(&cause.chain);
            }
        }
        if !told {
            let first = failure.explanation.lines().next().unwrap_or_default();
            self.others.push(format!(
                "where `{place}`, no versions install together: {first}"
            ));
        }
        self.explanations
            .push((place, failure.explanation.trim_end().to_owned()));
        self.facts.extend(failure.facts);
    }

    /// The facts of every left-out fork's failure, sorted and without repeats.
    pub fn facts(&self) -> Vec<Fact> {
        let mut facts = self.facts.clone();
        facts.sort();
        facts.dedup();
        facts
    }

    /// Whether anything was left out.
    pub fn is_empty(&self) -> bool {
        self.explanations.is_empty()
    }

    /// Every left-out region's explanation, for a resolve where nothing is left.
    pub fn explanation(&self) -> String {
        self.explanations
            .iter()
            .map(|(place, why)| format!("In the environments where `{place}`:\n{why}"))
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    /// The warnings: a first line saying where the lock applies, then one line per package
    /// and reason.
    pub fn warnings(&self, env_set: &EnvSet, applies: &str) -> Vec<String> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut out = vec![format!(
            "the lock leaves out the environments where no version installs (--strict: fail instead); it is for {applies}"
        )];
        for ((package, kind), g) in &self.groups {
            let envs: Vec<usize> = g.envs.iter().copied().collect();
            let where_ = env_set.describe_grouped(&envs);
            let (versions, count) = versions_text(&g.versions);
            let mut notes: Vec<String> = count.into_iter().collect();
            if !g.chain.is_empty() {
                notes.push(format!("required through {}", g.chain.join(" -> ")));
            }
            let via = if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join("; "))
            };
            let details: Vec<&str> = g.details.iter().map(String::as_str).collect();
            out.push(match kind {
                CauseKind::PythonCap => format!(
                    "{package} {versions}{via}: Requires-Python {} leaves out {where_}",
                    details.join(" / ")
                ),
                CauseKind::NoFile => format!(
                    "{package} {versions}{via}: no wheel and no source distribution for {where_}{}",
                    details.iter().map(|d| format!("; {d}")).collect::<String>()
                ),
                _ => format!("{package}{via}: not on the index, so the lock leaves out {where_}"),
            });
        }
        out.extend(self.others.iter().cloned());
        out
    }
}

/// `1.0`, `1.0, 1.1, 1.2`, or `1.0–2.3` with `7 versions`.
pub fn versions_text(versions: &BTreeSet<Version>) -> (String, Option<String>) {
    let list: Vec<String> = versions.iter().map(ToString::to_string).collect();
    match list.len() {
        0..=3 => (list.join(", "), None),
        n => (
            format!("{}–{}", list[0], list[n - 1]),
            Some(format!("{n} versions")),
        ),
    }
}
