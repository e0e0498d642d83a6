//! Candidate choice policy: pre-releases, resolution direction, upload cutoff.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;

use crate::manifest::{BinaryPolicy, ManifestError};
use crate::pep::{MarkerTree, PackageName, Version};

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
    /// Versions to keep where they still fit, such as those of an existing lock: the solver
    /// tries them before any other (not under a lowest resolution). A re-lock then changes
    /// only what must change.
    pub preferences: Vec<(PackageName, Version)>,
    /// Where preferred versions were locked, for locks that hold several versions of one
    /// package under different markers (a universal lock's per-environment versions): in a
    /// fork (or single environment) that none of a version's markers reaches, that version
    /// is tried only after the preferred versions that were locked there, so each keeps
    /// its own environments. Preferences without an entry here apply everywhere alike.
    pub preference_markers: Vec<(PackageName, Version, MarkerTree)>,
}

/// An option value that does not parse.
fn invalid_option(value: &str, expected: &str) -> ManifestError {
    ManifestError::InvalidOption {
        value: value.to_owned(),
        expected: expected.to_owned(),
    }
}

impl FromStr for PrereleaseMode {
    type Err = ManifestError;
    fn from_str(s: &str) -> Result<Self, ManifestError> {
        Ok(match s {
            "disallow" => Self::Disallow,
            "allow" => Self::Allow,
            "if-necessary" => Self::IfNecessary,
            "explicit" => Self::Explicit,
            "if-necessary-or-explicit" => Self::IfNecessaryOrExplicit,
            _ => {
                return Err(invalid_option(
                    s,
                    "disallow, allow, if-necessary, explicit, if-necessary-or-explicit",
                ))
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
    type Err = ManifestError;
    fn from_str(s: &str) -> Result<Self, ManifestError> {
        Ok(match s {
            "highest" => Self::Highest,
            "lowest" => Self::Lowest,
            "lowest-direct" => Self::LowestDirect,
            _ => return Err(invalid_option(s, "highest, lowest, lowest-direct")),
        })
    }
}

impl Options {
    /// The cutoff an `--exclude-newer` value means (see [`Options::exclude_newer`]): an RFC
    /// 3339 instant (`2024-03-25T00:00:00Z`); a date (`2024-03-25`: files uploaded that day,
    /// in UTC, are kept); or a span back from `now` (`7 days`, `24 hours`, `P7D`; days are 24
    /// hours, months and years are refused).
    pub fn exclude_newer_cutoff(text: &str, now: Timestamp) -> Result<Timestamp, ManifestError> {
        exclude_newer_cutoff(text, now)
    }
}

/// The cutoff an `--exclude-newer` value means, as uv reads it: an RFC 3339 instant
/// (`2024-03-25T00:00:00Z`); a date (`2024-03-25`: files uploaded that day, in UTC, are
/// kept, so the cutoff is the next midnight UTC — uv uses the local time zone, pylock UTC so
/// that the same command gives the same lock everywhere); or a span back from `now`, friendly
/// (`7 days`, `24 hours`, `1 week`) or ISO 8601 (`P7D`, `PT24H`), days being 24 hours and
/// months and years refused.
pub(crate) fn exclude_newer_cutoff(text: &str, now: Timestamp) -> Result<Timestamp, ManifestError> {
    let invalid = || {
        invalid_option(
            text,
            "an RFC 3339 instant (2024-03-25T00:00:00Z), a date (2024-03-25) or a span (7 days, P7D)",
        )
    };
    let text = text.trim();
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        return date
            .tomorrow()
            .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC))
            .map(|z| z.timestamp())
            .map_err(|_| invalid());
    }
    let span: jiff::Span = text.parse().map_err(|_| invalid())?;
    if span.get_years() != 0 || span.get_months() != 0 || span.is_negative() {
        return Err(invalid());
    }
    let duration = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| invalid())?;
    now.checked_sub(duration).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclude_newer_takes_instants_dates_and_spans() {
        let now: Timestamp = "2026-11-26T12:00:00Z".parse().expect("ts");
        let at = |s: &str| exclude_newer_cutoff(s, now).map(|t| t.to_string());
        assert_eq!(
            at("2024-03-25T10:00:00Z").ok().as_deref(),
            Some("2024-03-25T10:00:00Z")
        );
        assert_eq!(
            at("2024-03-25").ok().as_deref(),
            Some("2024-03-26T00:00:00Z")
        );
        assert_eq!(at("7 days").ok().as_deref(), Some("2026-11-19T12:00:00Z"));
        assert_eq!(at("P7D").ok().as_deref(), Some("2026-11-19T12:00:00Z"));
        assert_eq!(at("1 week").ok().as_deref(), Some("2026-11-19T12:00:00Z"));
        assert_eq!(at("PT24H").ok().as_deref(), Some("2026-11-25T12:00:00Z"));
        for bad in ["1 month", "P1Y", "yesterday", "", "-7 days"] {
            assert!(at(bad).is_err(), "{bad}");
        }
    }
}
