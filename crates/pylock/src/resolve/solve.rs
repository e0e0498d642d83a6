//! One PubGrub solve over one scope, restarted with a new package priority when the solver
//! keeps backtracking over the same package.

use pubgrub::SelectedDependencies;

use super::atoms::SolverVersion;
use super::exclusion::Failure;
use super::fetch::Fetcher;
use super::forks::ForkPart;
use super::inputs::Inputs;
use super::pkg::Pkg;
use super::provider::{Decisions, DependencyMemo, Preferences, Provider, ProviderError};
use super::scope::Scope;
use super::{report, Options, ResolveError};
use crate::pep::{PackageName, Version};

/// How many times one scope may restart with new priorities.
const MAX_RESTARTS: usize = 64;

/// What one solve ended with.
pub enum Outcome<'a> {
    /// A solution, with the provider that holds its metadata.
    Solved(Box<Provider<'a>>, SelectedDependencies<Pkg, Version>),
    /// The scope must split into these parts.
    Fork(Vec<ForkPart>),
    /// No solution, with the explanation and what the environments had to do with it.
    Failed(Failure),
}

/// Solve `scope`. A package that conflicts again and again is moved ahead of the others and
/// the solve restarts (pubgrub 0.4 cannot reorder a running solve): deciding it first avoids
/// walking down all its versions after a bad early decision (uv does the same).
pub fn solve<'a>(
    scope: &Scope,
    inputs: &'a Inputs,
    options: &'a Options,
    fetcher: &'a Fetcher<'a>,
    preferences: &'a Preferences,
) -> Result<Outcome<'a>, ResolveError> {
    solve_with(scope, inputs, options, fetcher, preferences, None)
}

/// [`solve`], recording into `decisions` (when given) every choice the preferences could
/// change, over all restarts.
pub fn solve_with<'a>(
    scope: &Scope,
    inputs: &'a Inputs,
    options: &'a Options,
    fetcher: &'a Fetcher<'a>,
    preferences: &'a Preferences,
    mut decisions: Option<&mut Decisions>,
) -> Result<Outcome<'a>, ResolveError> {
    let mut boosted: Vec<PackageName> = Vec::new();
    let mut dependencies = DependencyMemo::default();
    loop {
        let mut provider = Provider::new(
            scope.clone(),
            inputs,
            options,
            fetcher,
            preferences,
            boosted.clone(),
            std::mem::take(&mut dependencies),
        );
        if decisions.is_some() {
            provider = provider.recorded();
        }
        if boosted.is_empty() {
            provider.prefetch_preferred();
        }
        let result = pubgrub::resolve(&provider, Pkg::Root, SolverVersion::root());
        if let Some(decisions) = decisions.as_deref_mut() {
            decisions.extend(provider.take_decisions());
        }
        let failure = match result {
            Ok(solution) => {
                let solution = solution.into_iter().map(|(p, v)| (p, v.version)).collect();
                return Ok(Outcome::Solved(Box::new(provider), solution));
            }
            Err(pubgrub::PubGrubError::NoSolution(tree)) => {
                let tree = super::unalign::plain_tree(&tree, &provider);
                let explanation = report::explain(&tree, &provider);
                return Ok(Outcome::Failed(Failure::new(explanation, &tree, &provider)));
            }
            Err(pubgrub::PubGrubError::ErrorChoosingVersion { source, .. })
            | Err(pubgrub::PubGrubError::ErrorRetrievingDependencies { source, .. })
            | Err(pubgrub::PubGrubError::ErrorInShouldCancel(source)) => source,
        };
        match failure {
            ProviderError::Index(e) => return Err(ResolveError::Index(e)),
            ProviderError::Fork(parts) => return Ok(Outcome::Fork(parts)),
            ProviderError::Boost(name) => {
                if boosted.len() >= MAX_RESTARTS || boosted.contains(&name) {
                    return Err(ResolveError::Backtracking {
                        package: name,
                        restarts: boosted.len(),
                    });
                }
                boosted.push(name);
                dependencies = provider.take_dependencies();
            }
        }
    }
}
