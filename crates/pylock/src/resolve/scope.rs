//! Where one solve applies: a single marker environment, or one fork (a marker region) of a
//! universal resolve. Requirements are judged against it: dropped where they cannot apply,
//! kept (with the marker where they apply) otherwise.

use crate::pep::tags::Tags;
use crate::pep::{
    and, is_possible, python_range, restrict_extras_keeping, ExtraName, MarkerEnvironment,
    MarkerTree, Range, Requirement, Version, VersionSpecifiers,
};

/// The environments one solve covers.
#[derive(Clone, Debug)]
pub enum Scope {
    /// One environment (Python version and platform fixed).
    Single {
        /// Its marker values.
        env: MarkerEnvironment,
        /// Its Python.
        python: Version,
        /// Its wheel tags.
        tags: Tags,
    },
    /// A fork of a universal resolve.
    Fork {
        /// The marker region the fork covers.
        region: MarkerTree,
        /// The Pythons the region admits (below 4, the universe of Pythons we lock for).
        python: Range,
        /// The checked environments (see [`super::coverage`]) inside the region.
        envs: Vec<usize>,
    },
}

/// The Pythons a universal lock is for: every release below 4 (`<4` in PEP 440 terms, so no
/// 4.0 pre-release either). Requires-Python caps at 4 are common and say nothing about the
/// Pythons that exist.
pub fn python_universe() -> Range {
    Range::strictly_lower_than(Version::new([4]).with_min(Some(0)))
}

/// How a Requires-Python relates to a scope.
#[derive(Debug, PartialEq, Eq)]
pub enum PythonFit {
    /// Every Python of the scope is admitted.
    All,
    /// None is.
    None,
    /// Some are: the scope must split where the requirement's range ends.
    Part,
}

impl Scope {
    /// A fork over `region`, checking files against `env_set`.
    pub fn fork(region: MarkerTree, env_set: &super::coverage::EnvSet) -> Self {
        let python = python_range(&region).intersection(&python_universe());
        let envs = env_set.envs_in(&region);
        Scope::Fork {
            region,
            python,
            envs,
        }
    }

    /// Where `requirement` applies, given the enabled `extras` of the package that declares
    /// it: `None` if nowhere in the scope, else its marker with extras decided (always `TRUE`
    /// for a single environment). The marker is not narrowed to the scope, so that locks can
    /// say where a package is needed in the requirements' own terms.
    pub fn applies(&self, requirement: &Requirement, extras: &[ExtraName]) -> Option<MarkerTree> {
        self.applies_keeping(requirement, extras, &[])
    }

    /// [`Scope::applies`], the extras in `free` left undecided in a fork's marker (a
    /// multi-use lock's selection items; a single environment decides them as unselected).
    pub fn applies_keeping(
        &self,
        requirement: &Requirement,
        extras: &[ExtraName],
        free: &[ExtraName],
    ) -> Option<MarkerTree> {
        match self {
            Scope::Single { env, .. } => requirement
                .evaluate_markers(env, extras)
                .then_some(MarkerTree::TRUE),
            Scope::Fork { region, .. } => {
                let marker = restrict_extras_keeping(&requirement.marker, extras, free);
                is_possible(&and(&marker, region)).then_some(marker)
            }
        }
    }

    /// Whether `marker` can hold somewhere in the scope.
    pub fn applies_marker(&self, marker: &MarkerTree) -> bool {
        match self {
            Scope::Single { env, .. } => marker.evaluate(env, &[]),
            Scope::Fork { region, .. } => is_possible(&and(marker, region)),
        }
    }

    /// How `requires_python` fits the scope's Pythons.
    pub fn python_fit(&self, requires_python: &VersionSpecifiers) -> PythonFit {
        match self {
            Scope::Single { python, .. } => {
                if requires_python.contains(python) {
                    PythonFit::All
                } else {
                    PythonFit::None
                }
            }
            Scope::Fork { python, .. } => {
                // Requires-Python compares releases: `<3.12` says nothing of 3.12.0rc1.
                let admitted = crate::pep::release_range(requires_python);
                if python.subset_of(&admitted) {
                    PythonFit::All
                } else if python.is_disjoint(&admitted) {
                    PythonFit::None
                } else {
                    PythonFit::Part
                }
            }
        }
    }

    /// Whether every Python of the scope lies above what `requires_python` admits (a cap,
    /// such as `<3.12` for Pythons 3.12 and later).
    pub fn is_above(&self, requires_python: &VersionSpecifiers) -> bool {
        use std::ops::Bound;
        let admitted = crate::pep::release_range(requires_python);
        let above = match admitted.bounding_range() {
            Some((_, Bound::Excluded(v))) => Range::higher_than(v.clone()),
            Some((_, Bound::Included(v))) => Range::strictly_higher_than(v.clone()),
            _ => return false,
        };
        match self {
            Scope::Single { python, .. } => above.contains(python),
            Scope::Fork { python, .. } => !python.is_empty() && python.subset_of(&above),
        }
    }

    /// A short description of the Pythons of the scope, for explanations.
    pub fn python_description(&self) -> String {
        match self {
            Scope::Single { python, .. } => format!("Python {python}"),
            Scope::Fork { python, .. } => {
                format!("Python {}", crate::pep::display_range(python))
            }
        }
    }
}
