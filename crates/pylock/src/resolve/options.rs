//! Candidate choice policy: pre-releases, resolution direction, upload cutoff.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;

use crate::manifest::{BinaryPolicy, RequirementHashes};
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
    /// Hashes required by requirements (pip's hash-checking mode): for each package named
    /// here only files whose sha256 is listed (in every entry on that package) are
    /// candidates, and a version left without a file is not one. Packages not named are
    /// not checked. Usually [`Manifest::hashes`](crate::Manifest::hashes).
    pub hashes: Vec<RequirementHashes>,
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
    /// The regions a universal resolve starts from instead of the whole target, in order,
    /// each with whether it may be left out: an earlier resolve's
    /// [`Resolution::forks`](crate::Resolution::forks), for a re-lock with the same inputs
    /// (the splits are not found again). Ignored unless they divide the target exactly;
    /// a region still splits where its solve asks to.
    pub forks: Vec<(MarkerTree, bool)>,
}

/// The digest (`sha256:<hex>`) of everything that decides a lock beside the index: the
/// requirements, constraints and overrides in order, the target, the options that change
/// the result (not the preferences: they are the lock itself), the `indexes` as recorded
/// (credentials removed, local directories as `<local>`: the lock must not depend on where
/// a checkout lives), and pylock's version. Two runs with the same digest differ only by
/// what the index serves. `None` when the inputs name local files or projects (`name @
/// file://...`, `-e ./pkg`): their content is an input no digest of the arguments pins.
pub fn inputs_digest(
    manifest: &crate::Manifest,
    target: &crate::Target,
    options: &Options,
    indexes: &[String],
) -> Option<String> {
    use sha2::{Digest, Sha256};
    use std::fmt::Write as _;
    let direct = |r: &crate::pep::Requirement| {
        matches!(r.version_or_url, Some(pep508_rs::VersionOrUrl::Url(_)))
    };
    let all = || {
        (manifest.requirements.iter())
            .chain(&manifest.constraints)
            .chain(&manifest.overrides)
    };
    if all().any(direct) || !manifest.editable.is_empty() {
        return None;
    }
    let mut text = format!("pylock {}\n", env!("CARGO_PKG_VERSION"));
    for (role, list) in [
        ("requirement", &manifest.requirements),
        ("constraint", &manifest.constraints),
        ("override", &manifest.overrides),
    ] {
        for r in list {
            let _ = writeln!(text, "{role} {r}");
        }
    }
    let _ = writeln!(
        text,
        "target {:?} {:?} {} {:?}",
        target.python, target.platform, target.requires_python, target.baseline
    );
    let _ = writeln!(
        text,
        "options {} {:?} {:?} {} {:?} {:?}",
        options.prerelease,
        options.resolution,
        options.exclude_newer.map(|t| t.to_string()),
        options.strict,
        options.binary,
        options.hashes
    );
    for index in indexes {
        let _ = writeln!(text, "index {index}");
    }
    Some(format!(
        "sha256:{}",
        crate::util::hex(&Sha256::digest(text.as_bytes()))
    ))
}

/// The digest (`sha256:<hex>`) of the versions `options` keeps (its preferences and their
/// markers, in any order): with the inputs and the pages read, what a resolve's answer
/// depends on.
pub fn preferences_digest(options: &Options) -> String {
    use sha2::{Digest, Sha256};
    let mut lines: Vec<String> = (options.preferences.iter())
        .map(|(n, v)| format!("{n} {v}"))
        .chain(
            (options.preference_markers.iter())
                .map(|(n, v, m)| format!("{n} {v} {}", m.try_to_string().unwrap_or_default())),
        )
        .collect();
    lines.sort();
    let digest = Sha256::digest(lines.join("\n").as_bytes());
    format!("sha256:{}", crate::util::hex(&digest))
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

/// The cutoff an `--exclude-newer` value means, as uv reads it: an RFC 3339 instant
/// (`2024-03-25T00:00:00Z`); a date (`2024-03-25`: files uploaded that day, in UTC, are
/// kept, so the cutoff is the next midnight UTC — uv uses the local time zone, pylock UTC so
/// that the same command gives the same lock everywhere); or a span back from `now`, friendly
/// (`7 days`, `24 hours`, `1 week`) or ISO 8601 (`P7D`, `PT24H`), days being 24 hours and
/// months and years refused.
pub fn exclude_newer_cutoff(text: &str, now: Timestamp) -> Result<Timestamp, InvalidOption> {
    let invalid = || {
        InvalidOption {
        value: text.to_owned(),
        expected: "an RFC 3339 instant (2024-03-25T00:00:00Z), a date (2024-03-25) or a span (7 days, P7D)",
    }
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
