//! The facts a failed resolve rests on, as data: what [`ResolveError::NoSolution`] carries
//! beside its explanation, for programs that act on a conflict rather than show it.
//!
//! [`ResolveError::NoSolution`]: super::ResolveError::NoSolution

use pubgrub::{DerivationTree, External};

use super::provider::Pkg;
use crate::pep::{display_range, Range};

/// One fact of a failed resolve: a requirement, a dependency, a gap in the index or a reason
/// versions cannot be used. Packages are named as in explanations (`name` or `name[extra]`),
/// versions as PEP 440 specifiers (`>=1.0, <2`, `==1.5`) or `any version`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Fact {
    /// The manifest requires `package` at `versions`.
    Required {
        /// The package required.
        package: String,
        /// The versions required.
        versions: String,
    },
    /// `package` at `versions` depends on `dependency` at `dependency_versions`.
    Depends {
        /// The package that depends.
        package: String,
        /// Its versions that do.
        versions: String,
        /// The package depended on.
        dependency: String,
        /// The versions depended on.
        dependency_versions: String,
    },
    /// The index lists no version of `package` in `versions` (or has no `package` at all).
    NoVersions {
        /// The package.
        package: String,
        /// The versions not listed.
        versions: String,
    },
    /// `package` at `versions` cannot be used: `reason` (its Requires-Python, no file for
    /// the target, ...), in the explanation's words.
    Unusable {
        /// The package.
        package: String,
        /// The versions that cannot be used.
        versions: String,
        /// Why.
        reason: String,
    },
}

/// The facts at the leaves of a derivation, sorted and without repeats.
pub(crate) fn facts(tree: &DerivationTree<Pkg, Range, String>) -> Vec<Fact> {
    let mut out = Vec::new();
    collect(tree, &mut out);
    out.sort();
    out.dedup();
    out
}

fn collect(tree: &DerivationTree<Pkg, Range, String>, out: &mut Vec<Fact>) {
    match tree {
        DerivationTree::Derived(d) => {
            collect(&d.cause1, out);
            collect(&d.cause2, out);
        }
        DerivationTree::External(e) => out.extend(fact(e)),
    }
}

fn fact(external: &External<Pkg, Range, String>) -> Option<Fact> {
    Some(match external {
        External::NotRoot(..) => return None,
        External::NoVersions(pkg, range) => Fact::NoVersions {
            package: pkg.to_string(),
            versions: display_range(range),
        },
        External::FromDependencyOf(Pkg::Root, _, dep, dep_range) => Fact::Required {
            package: dep.to_string(),
            versions: display_range(dep_range),
        },
        External::FromDependencyOf(pkg, range, dep, dep_range) => Fact::Depends {
            package: pkg.to_string(),
            versions: display_range(range),
            dependency: dep.to_string(),
            dependency_versions: display_range(dep_range),
        },
        External::Custom(pkg, range, reason) => Fact::Unusable {
            package: pkg.to_string(),
            versions: display_range(range),
            reason: reason.clone(),
        },
    })
}
