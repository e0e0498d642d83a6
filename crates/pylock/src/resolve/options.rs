//! Candidate choice policy: pre-releases, resolution direction, upload cutoff.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;

use crate::manifest::{BinaryPolicy, ManifestError};
use crate::pep::{MarkerTree, PackageName, Version};

/// When pre-release versions may be chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
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
    /// Which formats may be used per package (`--only-binary` / `--no-binary`, see
    /// [`Options::only_binary`]): a version with no allowed file is not a candidate.
    pub(crate) binary: BinaryPolicy,
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
pub(crate) fn inputs_digest(
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
        manifest.hashes
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
pub(crate) fn preferences_digest(options: &Options) -> String {
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
    /// The digest (`sha256:<hex>`) of the versions these options keep (their preferences
    /// and preference markers, in any order), for
    /// [`LockRecord::preferences`](crate::LockRecord::preferences).
    pub fn preferences_digest(&self) -> String {
        preferences_digest(self)
    }

    /// The options `manifest`'s requirements files ask for (`--pre`: pre-releases allowed;
    /// `--only-binary`, `--no-binary`), the rest the defaults: what a caller starts from
    /// before applying its own.
    pub fn from_manifest(manifest: &crate::Manifest) -> Self {
        let files = &manifest.file_options;
        Self {
            prerelease: if files.pre {
                PrereleaseMode::Allow
            } else {
                PrereleaseMode::default()
            },
            binary: files.binary.clone(),
            ..Self::default()
        }
    }

    /// Apply one `--only-binary VALUE` after those already applied, as pip does: a
    /// comma-separated list of package names whose source distributions must not be used,
    /// `:all:` or `:none:`. The error says what is wrong with `value`.
    pub fn only_binary(&mut self, value: &str) -> Result<(), String> {
        self.binary.only_binary(value)
    }

    /// Apply one `--no-binary VALUE` (names whose wheels must not be used, `:all:`,
    /// `:none:`), as [`Options::only_binary`] does.
    pub fn no_binary(&mut self, value: &str) -> Result<(), String> {
        self.binary.no_binary(value)
    }

    /// The digest (`sha256:<hex>`) of everything that decides a lock beside the index, for
    /// [`LockRecord::inputs`](crate::LockRecord::inputs): `manifest`'s requirements,
    /// constraints, overrides and `--hash` entries, `target`, these options (not the
    /// preferences), the `indexes` as the lock should record them (credentials removed),
    /// and pylock's version. `None` when the inputs name local files or projects, whose
    /// content no digest of the arguments pins.
    pub fn inputs_digest(
        &self,
        manifest: &crate::Manifest,
        target: &crate::Target,
        indexes: &[String],
    ) -> Option<String> {
        inputs_digest(manifest, target, self, indexes)
    }

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
