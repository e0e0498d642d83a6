//! The names of a project's selectable parts: extras and PEP 735 dependency groups, as
//! selections and `[tool.pylock] conflicts` name them.

use std::fmt;
use std::str::FromStr;

use crate::pep::{ExtraName, PackageName};

/// A dependency group name, normalized as PEP 735 says (as package names are: lowercase, runs
/// of `-`, `_`, `.` as one `-`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupName(String);

impl FromStr for GroupName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let name: PackageName = crate::pep::parse::value(s)
            .map_err(|_| format!("`{s}` is not a valid dependency group name"))?;
        Ok(Self(name.to_string()))
    }
}

impl fmt::Display for GroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for GroupName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An extra or a dependency group of a project: what a multi-use lock's selections hold.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    /// An extra (`[project.optional-dependencies]`).
    Extra(ExtraName),
    /// A dependency group (`[dependency-groups]`).
    Group(GroupName),
}
