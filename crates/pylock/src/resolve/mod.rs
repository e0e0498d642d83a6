//! Resolution: from a [`Manifest`] and a [`Target`] to a [`Resolution`], asking an [`Index`].

mod atoms;
mod candidates;
mod coverage;
mod derivation;
mod exclusion;
mod fetch;
mod forks;
mod graph;
mod inputs;
mod narrow;
mod options;
mod pkg;
mod provider;
mod report;
mod scope;
mod selections;
mod solve;
mod unalign;
mod universal;
mod uses;

pub(crate) use coverage::{PLATFORMS, PYTHON_MINORS};
pub use derivation::Fact;
pub(crate) use options::{exclude_newer_cutoff, inputs_digest, recorded_location, MAX_SEEDS};
pub use options::{Options, PrereleaseMode, ResolutionMode};

use crate::index::{DistFile, Index, IndexError};
use crate::manifest::{Manifest, Target};
use std::collections::{BTreeMap, BTreeSet};

use crate::pep::{ExtraName, PackageName, Version, VersionSpecifiers};
use fetch::{lowest_python, required_hashes, Fetcher, FilePolicy, FilterSpec};
use inputs::Inputs;
use pkg::Pkg;
use scope::Scope;
pub(crate) use uses::Uses;

/// A successful resolve: one version per package, with the files that install in the target.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Resolution {
    /// The Pythons the resolution is valid for.
    pub requires_python: VersionSpecifiers,
    /// PEP 508 markers of the environments the resolution is valid for (empty: all).
    pub environments: Vec<String>,
    /// Resolved packages sorted by name.
    pub packages: Vec<ResolvedPackage>,
    /// Things the user should know that did not stop the resolve.
    pub warnings: Vec<String>,
    /// The manifest's requirements as edges of the dependency graph, sorted: the entries of
    /// [`Resolution::packages`] the root depends on (each package's own edges are its
    /// [`ResolvedPackage::dependencies`]).
    pub roots: Vec<Dependency>,
    /// The packages locked from direct references (`name @ URL`, local files and
    /// projects) rather than from the index (the lock records them as `archive` and
    /// `directory` sources).
    pub(crate) direct: BTreeMap<PackageName, Direct>,
    /// The regions a universal resolve solved apart, as marker text, in the order solved,
    /// each with whether it could be left out (empty: solved whole, or a single
    /// environment): a re-lock with the same inputs starts from them ([`Options::forks`]).
    pub forks: Vec<(String, bool)>,
}

/// Where a package locked from a direct reference comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Direct {
    /// An archive (wheel or sdist) at a URL or local path: the package's one file.
    Archive,
    /// A local project directory: the URL of the package's one file.
    Directory {
        /// Whether it is installed editable (`-e`).
        editable: bool,
    },
}

/// One resolved package.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ResolvedPackage {
    /// Normalized name.
    pub name: PackageName,
    /// Chosen version.
    pub version: Version,
    /// Where the package is needed, in canonical PEP 508 form (`None`: everywhere the
    /// resolution applies).
    pub marker: Option<String>,
    /// `Requires-Python` of the version, from its metadata.
    pub requires_python: Option<VersionSpecifiers>,
    /// The files to lock: the sdist, if any, then the wheels that install in the target.
    pub files: Vec<DistFile>,
    /// Its edges in the dependency graph: the entries of [`Resolution::packages`] its
    /// metadata's requirements (with overrides and constraints applied) resolved to, its own
    /// first, then those of each extra requested of it.
    pub dependencies: Vec<Dependency>,
}

/// One edge of a resolution's dependency graph: a package (or the root) depends on an entry
/// of [`Resolution::packages`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dependency {
    /// The package depended on (normalized).
    pub name: PackageName,
    /// The version it resolved to. Where the resolution holds the package at several versions
    /// (under disjoint markers), the requirement is an edge to each version it reaches, each
    /// with its marker.
    pub version: Version,
    /// Where the edge applies, in canonical PEP 508 form (`None`: wherever the depending
    /// package is installed): the requirement's marker with the extras of the depending
    /// package decided, and the entry's marker where the package has several entries.
    pub marker: Option<String>,
    /// The extras requested of the dependency (`name[extra]`), sorted.
    pub extras: Vec<ExtraName>,
    /// The extra of the depending package that brings the edge (`None`: a dependency of the
    /// package itself, or of the root).
    pub via_extra: Option<ExtraName>,
}

/// Why a resolve failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// No set of versions satisfies the requirements.
    #[error("no solution found:\n{explanation}")]
    NoSolution {
        /// A human explanation of the conflict.
        explanation: String,
        /// The facts it rests on, sorted (empty when the target itself holds no
        /// environment).
        facts: Vec<Fact>,
    },
    /// The index could not be read.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The universal resolve needed more forks (solves of groups of environments) than
    /// `limit`; a narrower target needs fewer.
    #[error("the universal resolve split into more than {limit} forks; narrow the target with --python-version or --python-platform")]
    TooManyForks {
        /// The most forks one resolve may solve.
        limit: usize,
    },
    /// The requirements need different versions in parts of a group of environments that the
    /// solver cannot split along those requirements' markers.
    #[error("cannot split the environments `{environments}` further")]
    Unsplittable {
        /// The group of environments, as a PEP 508 marker.
        environments: String,
    },
    /// The solver kept backtracking over one package after restarting with it first as many
    /// times as it may.
    #[error("the solver kept backtracking over {package} after {restarts} restarts")]
    Backtracking {
        /// The package the solver kept backtracking over.
        package: PackageName,
        /// How many times it restarted.
        restarts: usize,
    },
    /// The project's extras and groups could not be read into requirements (an unknown or
    /// cyclic group).
    #[error(transparent)]
    Project(#[from] crate::ManifestError),
    /// A multi-use lock's conflicting extras and groups would need more separate resolves
    /// than `limit`.
    #[error("the conflicting extras and groups ask for more than {limit} separate resolves")]
    TooManyConflicts {
        /// The most separate resolves the conflicts may ask for.
        limit: usize,
    },
    /// A state the resolver should never reach (a bug; please report it with the inputs).
    #[error("internal error: {0}")]
    Internal(String),
    /// What was resolved could not be written ([`LocalIndex::snapshot`](crate::LocalIndex::snapshot)).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or directory written.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Target {
    /// The platforms a universal lock is checked against (uv-style triples): each locked
    /// version must have a file for each of them where the lock claims to apply.
    pub const PLATFORMS: [&'static str; 5] = coverage::PLATFORMS;
    /// The CPython minor versions (of 3.x) a universal lock is checked against: 3.8 up to
    /// the newest CPython released, which also stands for later ones.
    pub const PYTHON_MINORS: std::ops::RangeInclusive<u64> = coverage::PYTHON_MINORS;
}

/// Resolve `manifest` for `target` with `options`, reading packages from `index`.
pub fn resolve(
    manifest: &Manifest,
    target: &Target,
    options: &Options,
    index: &dyn Index,
) -> Result<Resolution, ResolveError> {
    let inputs = Inputs::new(manifest, target);
    resolve_inputs(manifest, inputs, target, options, index)
}

/// Resolve a multi-use lock: `manifest`'s root requirements carry the selection items
/// `uses.vars` as `extra` terms of their markers (see [`selections`]), `uses.conflicts` the
/// sets declared conflicting. Always a universal resolve (over the target's region), so that
/// the items stay variables of the lock's markers.
pub(crate) fn resolve_multi_use(
    manifest: &Manifest,
    target: &Target,
    options: &Options,
    index: &dyn Index,
    uses: uses::Uses,
) -> Result<Resolution, ResolveError> {
    let mut inputs = Inputs::new(manifest, target);
    inputs.uses = uses;
    resolve_inputs(manifest, inputs, target, options, index)
}

/// Resolve digested inputs: one environment, or a universal resolve (multi-use locks always).
fn resolve_inputs(
    manifest: &Manifest,
    mut inputs: Inputs,
    target: &Target,
    options: &Options,
    index: &dyn Index,
) -> Result<Resolution, ResolveError> {
    if let Some(explanation) = universal::impossible_target(target) {
        return Err(ResolveError::NoSolution {
            explanation,
            facts: Vec::new(),
        });
    }
    let overlay = crate::index::Overlay::read(manifest, index)?;
    let index: &dyn Index = &overlay;
    let multi_use = !inputs.uses.vars.is_empty();
    let single = match (target.environment(), target.tags(), target.python.clone()) {
        (Some(env), Some(tags), Some(python)) if !multi_use => {
            Some(Scope::Single { env, python, tags })
        }
        _ => None,
    };
    let filter = match &single {
        Some(Scope::Single { python, tags, env }) => FilterSpec {
            python: Some(python.clone()),
            tags: Some(tags.clone()),
            exclude_newer: options.exclude_newer,
            allowed_yanks: inputs.allowed_yanks.clone(),
            env: Some(env.clone()),
            lowest_python: None,
        },
        _ => FilterSpec {
            python: None,
            tags: None,
            exclude_newer: options.exclude_newer,
            allowed_yanks: inputs.allowed_yanks.clone(),
            env: None,
            lowest_python: lowest_python(&target.requires_python),
        },
    };
    let single_scope = single.clone();
    // The solver ignores preferences under a lowest resolution: so does the read-ahead.
    let lowest = options.resolution == ResolutionMode::Lowest;
    let fetcher = Fetcher::new(index, filter)
        .with_policy(FilePolicy {
            binary: options.binary.clone(),
            hashes: required_hashes(&manifest.hashes),
            direct: overlay.dists().keys().cloned().collect(),
        })
        .with_preferences(if lowest { &[] } else { &options.preferences });
    let resolution = fetcher.with_workers(index.concurrency(), || match single {
        Some(scope) => resolve_single(&scope, &inputs, target, options, &fetcher),
        None if multi_use => selections::solve(&mut inputs, target, options, &fetcher),
        // Universal, or narrowed to one Python on every platform or one platform on every
        // Python: both are forks of the universal resolve over a smaller region.
        None => universal::resolve_universal(&inputs, target, options, &fetcher),
    });
    let resolution = resolution.map(|mut r| {
        let metadata =
            |name: &PackageName, version: &Version| fetcher.metadata_if_ready(name, version);
        // Edges are judged where the resolution applies: its environment, or its Pythons.
        let scope = single_scope.clone().unwrap_or_else(|| {
            let region = crate::pep::python_marker(&r.requires_python);
            Scope::fork(region, &inputs.env_set)
        });
        graph::add_edges(&mut r, &inputs, &scope, &metadata);
        r
    });
    let resolution = resolution
        .map(|r| warn_unbuilt(r, &fetcher))
        .map_err(|e| note_direct(e, &overlay));
    let resolution = resolution.map(|mut r| {
        r.direct = direct_sources(&overlay, manifest);
        r
    });
    fetcher.release_in_background();
    resolution
}

/// A conflict that involves a package from a direct reference says where its one version
/// comes from.
fn note_direct(error: ResolveError, overlay: &crate::index::Overlay<'_>) -> ResolveError {
    match error {
        ResolveError::NoSolution {
            mut explanation,
            facts,
        } => {
            for note in overlay.notes(&explanation) {
                explanation.push('\n');
                explanation.push_str(&note);
            }
            ResolveError::NoSolution { explanation, facts }
        }
        other => other,
    }
}

/// Where the packages from direct references come from.
fn direct_sources(
    overlay: &crate::index::Overlay<'_>,
    manifest: &Manifest,
) -> BTreeMap<PackageName, Direct> {
    overlay
        .dists()
        .iter()
        .map(|(name, d)| {
            let source = if d.directory {
                Direct::Directory {
                    editable: manifest.editable.contains(name),
                }
            } else {
                Direct::Archive
            };
            (name.clone(), source)
        })
        .collect()
}

/// Say where a version left out for needing a build may have changed the lock (its package
/// is locked at another version), and which locked versions have dependencies read from a
/// source distribution without a build.
fn warn_unbuilt(mut resolution: Resolution, fetcher: &Fetcher<'_>) -> Resolution {
    let before = resolution.warnings.len();
    for p in &resolution.packages {
        if let Some(why) = fetcher
            .metadata_if_ready(&p.name, &p.version)
            .and_then(|m| m.approximate.clone())
        {
            resolution.warnings.push(format!(
                "{} {}: {why} (pylock builds nothing; a build could find other dependencies)",
                p.name, p.version
            ));
        }
    }
    // One line per package: the versions left out as a range, the reasons they give.
    let mut unbuilt: std::collections::BTreeMap<
        PackageName,
        (BTreeSet<Version>, BTreeSet<String>),
    > = std::collections::BTreeMap::new();
    for ((name, version), reason) in fetcher.unbuilt() {
        let entry = unbuilt.entry(name).or_default();
        entry.0.insert(version);
        entry.1.insert(reason);
    }
    for (name, (versions, reasons)) in unbuilt {
        let locked: Vec<&Version> = resolution
            .packages
            .iter()
            .filter(|p| p.name == name)
            .map(|p| &p.version)
            .collect();
        let left: BTreeSet<Version> = versions
            .into_iter()
            .filter(|v| !locked.contains(&v))
            .collect();
        if locked.is_empty() || left.is_empty() {
            continue;
        }
        let (shown, count) = exclusion::versions_text(&left);
        let verb = if left.len() == 1 { "was" } else { "were" };
        let reasons: Vec<String> = reasons.into_iter().collect();
        let locked: Vec<String> = locked.iter().map(ToString::to_string).collect();
        resolution.warnings.push(format!(
            "{name} {shown}{} {verb} left out: its dependencies are known only after a build, which pylock does not do ({}); the lock has {name} {}",
            count.map(|c| format!(" ({c})")).unwrap_or_default(),
            reasons.join("; "),
            locked.join(", ")
        ));
    }
    // What the resolve said first (where the lock applies, then why) keeps its order.
    let first = resolution.warnings.len().min(before);
    resolution.warnings[first..].sort();
    let mut seen = std::collections::HashSet::new();
    resolution.warnings.retain(|w| seen.insert(w.clone()));
    resolution
}

/// Resolve for one environment.
fn resolve_single(
    scope: &Scope,
    inputs: &Inputs,
    target: &Target,
    options: &Options,
    fetcher: &Fetcher<'_>,
) -> Result<Resolution, ResolveError> {
    let preferences = provider::preferences(options);
    let (provider, solution) = match solve::solve(scope, inputs, options, fetcher, &preferences)? {
        solve::Outcome::Solved(provider, solution) => (provider, solution),
        solve::Outcome::Fork(_) => {
            return Err(ResolveError::Internal(
                "a single-environment solve cannot fork".into(),
            ))
        }
        solve::Outcome::Failed(failure) => {
            return Err(ResolveError::NoSolution {
                explanation: failure.explanation,
                facts: failure.facts,
            })
        }
    };
    let mut packages = Vec::new();
    for (pkg, version) in solution {
        let Pkg::Package(name) = pkg else { continue };
        let files = provider
            .candidate(&name, &version)
            .map(|c| c.owned_files())
            .unwrap_or_default();
        let requires_python = provider.requires_python(&name, &version);
        packages.push(ResolvedPackage {
            name,
            version,
            marker: None,
            requires_python,
            files,
            dependencies: Vec::new(),
        });
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.version.cmp(&b.version)));
    let mut warnings = provider.missing_extra_warnings();
    warnings.sort();
    warnings.dedup();
    // Every examined version's dependencies: freed off the solving thread.
    crate::util::release_in_background(provider.take_dependencies());
    Ok(Resolution {
        requires_python: target.requires_python.clone(),
        environments: target.platform.iter().map(|p| p.marker()).collect(),
        packages,
        warnings,
        roots: Vec::new(),
        direct: BTreeMap::new(),
        forks: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed errors that replaced `Unsupported(String)` print what it printed, so the CLI's
    /// messages do not change.
    #[test]
    fn typed_errors_keep_their_messages() {
        let name = PackageName::new("numpy".to_owned()).expect("name");
        for (error, text) in [
            (
                ResolveError::TooManyForks { limit: 10_000 },
                "the universal resolve split into more than 10000 forks; narrow the target with --python-version or --python-platform",
            ),
            (
                ResolveError::Unsplittable {
                    environments: "sys_platform == 'win32'".into(),
                },
                "cannot split the environments `sys_platform == 'win32'` further",
            ),
            (
                ResolveError::Backtracking {
                    package: name,
                    restarts: 8,
                },
                "the solver kept backtracking over numpy after 8 restarts",
            ),
        ] {
            assert_eq!(error.to_string(), text);
        }
    }
}
