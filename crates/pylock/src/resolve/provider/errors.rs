//! Error translation: what stops a solve ([`ProviderError`], as opposed to conflicts, which
//! PubGrub explains), the reasons the explanation gives for a version that cannot be used
//! (unreadable metadata, a Requires-Python outside the target), and their kinds
//! ([`CauseKind`]) for the warnings of a fork left out.

use super::Provider;
use crate::index::IndexError;
use crate::pep::PackageName;
use crate::pep::VersionSpecifiers;
use crate::resolve::forks::ForkPart;

/// Errors that stop a solve (as opposed to conflicts, which PubGrub explains).
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The fork must split into these parts and each be solved on its own, in this order.
    #[error("the solve must fork")]
    Fork(Vec<ForkPart>),
    /// The package keeps conflicting: restart deciding it earlier.
    #[error("restart with {0} first")]
    Boost(PackageName),
}

/// Why versions of a package serve no environment of a fork.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CauseKind {
    /// Its Requires-Python ends below the fork's Pythons.
    PythonCap,
    /// Its Requires-Python starts above the fork's Pythons: not a reason to leave them out.
    PythonFloor,
    /// No wheel for the fork's platforms and Pythons, and no sdist.
    NoFile,
    /// The index does not have the project (a dependency of another package).
    Missing,
    /// The index does not have a project the user asked for: a typo, never left out.
    MissingDirect,
}

impl CauseKind {
    /// Whether a fork that fails for this reason may be left out of the lock.
    pub fn excludable(self) -> bool {
        matches!(self, Self::PythonCap | Self::NoFile | Self::Missing)
    }
}

/// The reason a version whose metadata could not be used is unavailable, or the error when
/// the index failed.
pub(super) fn unusable_metadata(error: IndexError) -> Result<String, IndexError> {
    match error {
        // Old releases on real indexes carry metadata that no longer parses: such a
        // version cannot be used, but older or newer ones may (pip and uv skip it too).
        IndexError::Malformed { url, reason } => {
            // The parser's first line says what is wrong; the rest (the text with a caret
            // under it) would be repeated for every such version of the explanation.
            let first = reason.lines().next().unwrap_or_default();
            Ok(format!("has invalid metadata ({url}: {first})"))
        }
        // Only a source distribution whose dependencies a build would decide: skipped,
        // as pylock builds nothing (the resolution says so if it mattered).
        IndexError::DynamicMetadata { reason, .. } => Ok(format!(
            "has dependencies known only after a build, which pylock does not do ({reason})"
        )),
        e => Err(e),
    }
}

impl Provider<'_> {
    /// The reason a version whose Requires-Python admits none of the scope's Pythons cannot
    /// be used, and its cause: a cap when the scope's Pythons lie above the range.
    pub(super) fn python_misfit(
        &self,
        requires_python: &VersionSpecifiers,
    ) -> (String, (CauseKind, String)) {
        let text = format!(
            "requires Python {requires_python} (the target is {})",
            self.scope.python_description()
        );
        let kind = if self.scope.is_above(requires_python) {
            CauseKind::PythonCap
        } else {
            CauseKind::PythonFloor
        };
        (text, (kind, requires_python.to_string()))
    }
}
