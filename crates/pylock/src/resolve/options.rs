//! Candidate choice policy: pre-releases, resolution direction, upload cutoff.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;

use crate::manifest::{BinaryPolicy, RequirementHashes};

/// When pre-release versions may be chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PrereleaseMode {
    /// Never.
    Disallow,
    /// Always: the best version, stable or not.
    Allow,
    /// Only for a package where no stable version fits (the default, as uv does since 0.12).
    #[default]
    IfNecessary,
    /// Only for packages whose root requirements name a pre-release, and only when no stable
    /// version fits.
    Explicit,
    /// Where no stable version fits (pre-releases named by root requirements are allowed,
    /// but stable versions are still preferred, as uv does since 0.12).
    IfNecessaryOrExplicit,
}

/// Which version of a package to prefer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResolutionMode {
    /// The newest fitting version.
    #[default]
    Highest,
    /// The oldest fitting version.
    Lowest,
    /// The oldest fitting version of root requirements, the newest of everything else.
    LowestDirect,
}

/// How a resolve picks among fitting versions.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Pre-release policy.
    pub prerelease: PrereleaseMode,
    /// Direction of preference.
    pub resolution: ResolutionMode,
    /// Ignore files uploaded after this instant (PEP 700 `upload-time`); a file without an
    /// upload time is ignored when this is set.
    pub exclude_newer: Option<Timestamp>,
    /// Fail instead of leaving out of a universal lock the environments where no version
    /// installs (above a Requires-Python cap, or without a file for the platform).
    pub strict: bool,
    /// Which formats may be used per package (`--only-binary` / `--no-binary`): a version
    /// with no allowed file is not a candidate.
    pub binary: BinaryPolicy,
    /// Hashes required by requirements (pip's hash-checking mode): for each package named
    /// here only files whose sha256 is listed (in every entry on that package) are
    /// candidates, and a version left without a file is not one. Packages not named are
    /// not checked. Usually [`Manifest::hashes`](crate::Manifest::hashes).
    pub hashes: Vec<RequirementHashes>,
}

/// An option value that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("invalid value `{value}`; expected one of: {expected}")]
pub struct InvalidOption {
    value: String,
    expected: &'static str,
}

impl FromStr for PrereleaseMode {
    type Err = InvalidOption;
    fn from_str(s: &str) -> Result<Self, InvalidOption> {
        Ok(match s {
            "disallow" => Self::Disallow,
            "allow" => Self::Allow,
            "if-necessary" => Self::IfNecessary,
            "explicit" => Self::Explicit,
            "if-necessary-or-explicit" => Self::IfNecessaryOrExplicit,
            _ => {
                return Err(InvalidOption {
                    value: s.to_owned(),
                    expected: "disallow, allow, if-necessary, explicit, if-necessary-or-explicit",
                })
            }
        })
    }
}

impl fmt::Display for PrereleaseMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Disallow => "disallow",
            Self::Allow => "allow",
            Self::IfNecessary => "if-necessary",
            Self::Explicit => "explicit",
            Self::IfNecessaryOrExplicit => "if-necessary-or-explicit",
        })
    }
}

impl FromStr for ResolutionMode {
    type Err = InvalidOption;
    fn from_str(s: &str) -> Result<Self, InvalidOption> {
        Ok(match s {
            "highest" => Self::Highest,
            "lowest" => Self::Lowest,
            "lowest-direct" => Self::LowestDirect,
            _ => {
                return Err(InvalidOption {
                    value: s.to_owned(),
                    expected: "highest, lowest, lowest-direct",
                })
            }
        })
    }
}
