//! The facts a failed resolve rests on, as data: what [`ResolveError::NoSolution`] carries
//! beside its explanation, for programs that act on a conflict rather than show it.
//!
//! [`ResolveError::NoSolution`]: super::ResolveError::NoSolution

use pubgrub::{DerivationTree, External};

use super::pkg::Pkg;
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

/// The facts at the leaves of a derivation (its `externals`), sorted and without repeats.
pub(crate) fn facts(externals: &[&External<Pkg, Range, String>]) -> Vec<Fact> {
    let mut out: Vec<Fact> = externals.iter().filter_map(|e| fact(e)).collect();
    out.sort();
    out.dedup();
    out
}

/// The leaves of a derivation, each shared subtree visited once: pubgrub's trees share
/// nodes between branches, and a walk that follows every path is exponential in them.
/// Iterative, so a deep derivation cannot overflow the stack.
pub(crate) fn externals(
    tree: &DerivationTree<Pkg, Range, String>,
) -> Vec<&External<Pkg, Range, String>> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut todo = vec![tree];
    while let Some(node) = todo.pop() {
        match node {
            DerivationTree::External(e) => out.push(e),
            DerivationTree::Derived(d) => {
                for cause in [&d.cause2, &d.cause1] {
                    if seen.insert(std::sync::Arc::as_ptr(cause)) {
                        todo.push(cause);
                    }
                }
            }
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use pubgrub::Derived;

    use super::*;

    /// A derivation of 64 levels whose two causes are one shared node has 2^64 paths: each
    /// node is visited once.
    #[test]
    fn shared_subtrees_are_walked_once() {
        let pkg = Pkg::Package("a".parse().expect("name"));
        let leaf = DerivationTree::External(External::NoVersions(pkg, Range::full()));
        let mut tree = Arc::new(leaf);
        for _ in 0..64 {
            tree = Arc::new(DerivationTree::Derived(Derived {
                terms: Default::default(),
                shared_id: None,
                cause1: tree.clone(),
                cause2: tree,
            }));
        }
        let externals = externals(&tree);
        assert_eq!(externals.len(), 1);
        assert_eq!(
            facts(&externals),
            [Fact::NoVersions {
                package: "a".into(),
                versions: "any version".into(),
            }]
        );
    }
}
