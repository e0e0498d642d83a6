//! Resolution: from a [`Manifest`] and a [`Target`] to a [`Resolution`], asking an [`Index`].

mod candidates;
mod options;
mod provider;
mod report;

pub use candidates::Unusable;
pub use options::{InvalidOption, Options, PrereleaseMode, ResolutionMode};

use crate::index::{DistFile, Index, IndexError};
use crate::manifest::{Manifest, Target};
use crate::pep::{ExtraName, PackageName, Version, VersionSpecifiers};
use provider::{Cache, Pkg, Provider, ProviderError};

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
    let cache = Cache::default();
    let Some(provider) = Provider::new(manifest, target, options, index, &cache) else {
        return Err(ResolveError::Unsupported(
            "universal resolution (without both --python-version and --python-platform) is not \
             implemented yet; pass --python-version and --python-platform to lock for one \
             environment"
                .into(),
        ));
    };
    let solution = match pubgrub::resolve(&provider, Pkg::Root, Version::new([0])) {
        Ok(solution) => solution,
        Err(pubgrub::PubGrubError::NoSolution(tree)) => {
            return Err(ResolveError::NoSolution {
                explanation: report::explain(&tree, &provider),
            })
        }
        Err(pubgrub::PubGrubError::ErrorChoosingVersion { source, .. })
        | Err(pubgrub::PubGrubError::ErrorRetrievingDependencies { source, .. })
        | Err(pubgrub::PubGrubError::ErrorInShouldCancel(source)) => {
            let ProviderError::Index(e) = source;
            return Err(ResolveError::Index(e));
        }
    };
    let mut packages = Vec::new();
    for (pkg, version) in solution {
        let Pkg::Package(name) = pkg else { continue };
        let candidate = provider.candidate(&name, &version);
        let files = candidate.map(|c| c.files).unwrap_or_default();
        let requires_python = provider.requires_python(&name, &version);
        packages.push(ResolvedPackage {
            name,
            version,
            requires_python,
            files,
        });
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.version.cmp(&b.version)));
    let mut warnings: Vec<String> = provider
        .take_missing_extras()
        .into_iter()
        .map(
            |(name, version, extra): (PackageName, Version, ExtraName)| {
                format!("{name}=={version} does not provide the extra `{extra}`")
            },
        )
        .collect();
    warnings.sort();
    warnings.dedup();
    Ok(Resolution {
        requires_python: target.requires_python.clone(),
        environments: target.platform.iter().map(|p| p.marker()).collect(),
        packages,
        warnings,
    })
}
