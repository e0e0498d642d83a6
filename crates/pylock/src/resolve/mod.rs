//! Resolution: from a [`Manifest`] and a [`Target`] to a [`Resolution`], asking an [`Index`].

mod candidates;
mod coverage;
mod fetch;
mod inputs;
mod options;
mod provider;
mod report;
mod scope;
mod solve;
mod universal;

pub use candidates::Unusable;
pub use options::{exclude_newer_cutoff, InvalidOption, Options, PrereleaseMode, ResolutionMode};

use crate::index::{DistFile, Index, IndexError};
use crate::manifest::{Manifest, Target};
use crate::pep::{PackageName, Version, VersionSpecifiers};
use fetch::{required_hashes, Fetcher, FilePolicy, FilterSpec};
use inputs::Inputs;
use provider::{Pkg, Preferences};
use scope::Scope;

/// A successful resolve: one version per package, with the files that install in the target.
#[derive(Clone, Debug)]
pub struct Resolution {
    /// The Pythons the resolution is valid for.
    pub requires_python: VersionSpecifiers,
    /// PEP 508 markers of the environments the resolution is valid for (empty: all).
    pub environments: Vec<String>,
    /// Resolved packages sorted by name.
    pub packages: Vec<ResolvedPackage>,
    /// Things the user should know that did not stop the resolve.
    pub warnings: Vec<String>,
}

/// One resolved package.
#[derive(Clone, Debug)]
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
    },
    /// The index could not be read.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// A target this version cannot resolve for.
    #[error("{0}")]
    Unsupported(String),
}

/// Resolve `manifest` for `target` with `options`, reading packages from `index`.
pub fn resolve(
    manifest: &Manifest,
    target: &Target,
    options: &Options,
    index: &dyn Index,
) -> Result<Resolution, ResolveError> {
    let inputs = Inputs::new(manifest, target);
    let single = match (target.environment(), target.tags(), target.python.clone()) {
        (Some(env), Some(tags), Some(python)) => Some(Scope::Single { env, python, tags }),
        _ => None,
    };
    let filter = match &single {
        Some(Scope::Single { python, tags, env }) => FilterSpec {
            python: Some(python.clone()),
            tags: Some(tags.clone()),
            exclude_newer: options.exclude_newer,
            allowed_yanks: inputs.allowed_yanks.clone(),
            env: Some(env.clone()),
        },
        _ => FilterSpec {
            python: None,
            tags: None,
            exclude_newer: options.exclude_newer,
            allowed_yanks: inputs.allowed_yanks.clone(),
            env: None,
        },
    };
    let fetcher = Fetcher::new(index, filter).with_policy(FilePolicy {
        binary: options.binary.clone(),
        hashes: required_hashes(&options.hashes),
    });
    let resolution = fetcher.with_workers(index.concurrency(), || match single {
        Some(scope) => resolve_single(&scope, &inputs, target, options, &fetcher),
        // Universal, or narrowed to one Python on every platform or one platform on every
        // Python: both are forks of the universal resolve over a smaller region.
        None => universal::resolve_universal(&inputs, target, options, &fetcher),
    });
    let resolution = resolution.map(|r| warn_unbuilt(r, &fetcher));
    fetcher.release_in_background();
    resolution
}

/// Say where a version left out for needing a build may have changed the lock (its package
/// is locked at another version), and which locked versions have dependencies read from a
/// source distribution without a build.
fn warn_unbuilt(mut resolution: Resolution, fetcher: &Fetcher<'_>) -> Resolution {
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
    for ((name, version), reason) in fetcher.unbuilt() {
        let locked: Vec<String> = resolution
            .packages
            .iter()
            .filter(|p| p.name == name)
            .map(|p| p.version.to_string())
            .collect();
        if !locked.is_empty() && !locked.contains(&version.to_string()) {
            resolution.warnings.push(format!(
                "{name} {version} was left out: its dependencies are known only after a build, which pylock does not do ({reason}); the lock has {name} {}",
                locked.join(", ")
            ));
        }
    }
    resolution.warnings.sort();
    resolution.warnings.dedup();
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
    let preferences = Preferences::default();
    let (provider, solution) = match solve::solve(scope, inputs, options, fetcher, &preferences)? {
        solve::Outcome::Solved(provider, solution) => (provider, solution),
        solve::Outcome::Fork(_) => {
            return Err(ResolveError::Unsupported(
                "a single-environment solve cannot fork".into(),
            ))
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
        });
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.version.cmp(&b.version)));
    let mut warnings = provider.missing_extra_warnings();
    warnings.sort();
    warnings.dedup();
    Ok(Resolution {
        requires_python: target.requires_python.clone(),
        environments: target.platform.iter().map(|p| p.marker()).collect(),
        packages,
        warnings,
    })
}
