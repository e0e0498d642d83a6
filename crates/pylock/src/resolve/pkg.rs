//! The solver's vocabulary: the nodes of its graph ([`Pkg`]) and the dependency edges
//! between them ([`Edge`]). Shared by the digested inputs, the provider and the reports.

use std::fmt;

use crate::pep::{ExtraName, MarkerTree, PackageName, Range};

/// A node of the solver's graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pkg {
    /// The manifest itself.
    Root,
    /// A project.
    Package(PackageName),
    /// A project with one extra enabled; tied to the project's version.
    Extra(PackageName, ExtraName),
}

impl Pkg {
    /// The project behind a node.
    pub fn name(&self) -> Option<&PackageName> {
        match self {
            Pkg::Root => None,
            Pkg::Package(n) | Pkg::Extra(n, _) => Some(n),
        }
    }
}

impl fmt::Display for Pkg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pkg::Root => f.write_str("your requirements"),
            Pkg::Package(n) => write!(f, "{n}"),
            Pkg::Extra(n, e) => write!(f, "{n}[{e}]"),
        }
    }
}

/// One solver edge: a dependency on `pkg` in `range`, where `marker` holds.
#[derive(Clone, Debug)]
pub struct Edge {
    /// The node depended on.
    pub pkg: Pkg,
    /// The versions allowed.
    pub range: Range,
    /// Where the edge applies, extras decided (`TRUE` for single environments); not narrowed
    /// to the scope.
    pub marker: MarkerTree,
}
