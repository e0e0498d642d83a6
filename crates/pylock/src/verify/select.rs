//! PEP 751 selection in one environment, as an installer does it: whether the lock claims
//! the environment, which entries apply (markers with the extras and groups installed), and
//! which file of each is installed.

use std::collections::BTreeMap;

use super::envs::Env;
use super::fetch::{Key, Want};
use super::{Problem, VerifyError, VerifyOptions};
use crate::index::{parse_filename, DistKind, WheelTags};
use crate::lock::{LockFile, LockMarker, LockedFile, LockedPackage, Source};
use crate::manifest::GroupName;
use crate::pep::{ExtraName, PackageName, Version, VersionSpecifiers};

/// One entry the lock selects in an environment.
pub(crate) struct Selected<'a> {
    /// Its name.
    pub name: PackageName,
    /// Its version (absent for sources without one).
    pub version: Option<Version>,
    /// The entry.
    pub package: &'a LockedPackage,
    /// The file installed (absent: a directory, VCS or archive source, or none fits).
    pub file: Option<&'a LockedFile>,
}

impl Selected<'_> {
    /// `name version`.
    pub fn label(&self) -> String {
        if self.package.version.is_empty() {
            self.name.to_string()
        } else {
            format!("{} {}", self.name, self.package.version)
        }
    }

    /// The metadata to read for it: that of the file installed.
    pub fn key(&self) -> Option<Key> {
        if self.package.source.is_some() {
            return None;
        }
        let file = self.file?;
        Some((
            self.name.clone(),
            self.package.version.clone(),
            file.file_name(),
        ))
    }

    /// What to ask the index for.
    pub fn want(&self) -> Option<Want> {
        Some(Want {
            key: self.key()?,
            version: self.version.clone()?,
        })
    }

    /// `a directory source`, for notes on what is not checked.
    pub fn source_kind(&self) -> &'static str {
        match &self.package.source {
            Some(Source::Directory { .. }) => "a directory source",
            Some(Source::Vcs { .. }) => "a VCS source",
            Some(Source::Archive { .. }) => "an archive source",
            None => "no file to read them from",
        }
    }
}

/// The groups installed: those asked for, else the lock's `default-groups`; each must be
/// declared, as the extras asked for (PEP 751 asks installers to refuse others).
pub(crate) fn groups(
    lock: &LockFile,
    options: &VerifyOptions,
) -> Result<Vec<GroupName>, VerifyError> {
    let lock = &lock.lock;
    let declared = |list: &[String], name: &str| {
        list.iter()
            .any(|d| d.parse::<ExtraName>().ok() == name.parse::<ExtraName>().ok())
    };
    for e in &options.extras {
        if !declared(&lock.extras, e.as_ref()) {
            return Err(VerifyError::Undeclared(format!(
                "the lock declares no extra `{e}` (its `extras`: {})",
                or_none(&lock.extras)
            )));
        }
    }
    let Some(groups) = &options.groups else {
        return Ok(lock
            .default_groups
            .iter()
            .filter_map(|g| g.parse().ok())
            .collect());
    };
    let all: Vec<String> = lock
        .dependency_groups
        .iter()
        .chain(&lock.default_groups)
        .cloned()
        .collect();
    for g in groups {
        if !declared(&all, g.as_ref()) {
            return Err(VerifyError::Undeclared(format!(
                "the lock declares no dependency group `{g}` (its `dependency-groups`: {})",
                or_none(&all)
            )));
        }
    }
    Ok(groups.clone())
}

fn or_none(list: &[String]) -> String {
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

/// Whether the lock claims `env`: its `requires-python` admits the Python and one of its
/// `environments` (if any) holds.
pub(crate) fn claims(lock: &LockFile, env: &Env) -> bool {
    let rp = &lock.lock.requires_python;
    let python_ok =
        rp.is_empty() || crate::pep::parse::specifiers(rp).is_ok_and(|s| s.contains(&env.python));
    let envs = &lock.lock.environments;
    python_ok
        && (envs.is_empty()
            || envs.iter().any(|m| {
                m.parse::<LockMarker>()
                    .is_ok_and(|m| m.tree().evaluate(&env.markers, &[]))
            }))
}

/// What selection needs of a `[[packages]]` entry, parsed once for every environment.
pub(crate) struct Parsed {
    name: Option<PackageName>,
    version: Option<Version>,
    requires_python: Option<VersionSpecifiers>,
    /// The tags of each wheel, in the order of `wheels` (`None`: not a wheel name).
    wheel_tags: Vec<Option<WheelTags>>,
}

/// [`Parsed`] for every entry of `lock`, in order.
pub(crate) fn parse(lock: &LockFile) -> Vec<Parsed> {
    lock.lock
        .packages
        .iter()
        .map(|p| {
            let name = crate::pep::parse::value::<PackageName>(&p.name).ok();
            let wheel_tags = p
                .wheels
                .iter()
                .map(
                    |w| match parse_filename(&w.file_name(), name.as_ref()?)?.kind {
                        DistKind::Wheel(tags) => Some(tags),
                        DistKind::Sdist => None,
                    },
                )
                .collect();
            Parsed {
                version: crate::pep::parse::value::<Version>(&p.version).ok(),
                requires_python: p
                    .requires_python
                    .as_deref()
                    .and_then(|rp| crate::pep::parse::specifiers(rp).ok()),
                wheel_tags,
                name,
            }
        })
        .collect()
}

/// The entries `env` installs, and what is wrong with them there.
pub(crate) fn select<'a>(
    lock: &'a LockFile,
    parsed: &[Parsed],
    env: &Env,
    extras: &[ExtraName],
    groups: &[GroupName],
) -> (Vec<Selected<'a>>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut chosen: BTreeMap<PackageName, Selected<'a>> = BTreeMap::new();
    let entries = lock.lock.packages.iter().zip(&lock.details).zip(parsed);
    for ((package, details), parsed) in entries {
        if let Some(m) = &details.marker {
            if !m.evaluate(&env.markers, extras, groups) {
                continue;
            }
        }
        let Some(name) = parsed.name.clone() else {
            continue;
        };
        let mut s = Selected {
            name,
            version: parsed.version.clone(),
            package,
            file: None,
        };
        if let Some(spec) = &parsed.requires_python {
            if !spec.contains(&env.python) {
                problems.push(Problem {
                    package: Some(s.label()),
                    reason: format!(
                        "requires Python {}, not {}",
                        package.requires_python.as_deref().unwrap_or_default(),
                        env.interpreter
                    ),
                });
            }
        }
        if let Some(other) = chosen.get(&s.name) {
            problems.push(Problem {
                package: Some(s.name.to_string()),
                reason: format!(
                    "two entries apply here ({} and {}); an installer refuses the lock",
                    other.package.version, package.version
                ),
            });
            continue;
        }
        choose_file(&mut s, &parsed.wheel_tags, env, &mut problems);
        chosen.insert(s.name.clone(), s);
    }
    (chosen.into_values().collect(), problems)
}

/// Pick the file `env` installs (a wheel whose tags fit, else the sdist) and check its hash.
fn choose_file(
    s: &mut Selected<'_>,
    wheel_tags: &[Option<WheelTags>],
    env: &Env,
    problems: &mut Vec<Problem>,
) {
    let hashed = |f: &LockedFile| f.sha256.is_some();
    if let Some(source) = &s.package.source {
        if let Source::Archive { file, .. } = source {
            if !hashed(file) {
                problems.push(Problem {
                    package: Some(s.label()),
                    reason: format!("its archive {} has no sha256 hash", file.file_name()),
                });
            }
        }
        return;
    }
    let package = s.package;
    let wheel = package
        .wheels
        .iter()
        .zip(wheel_tags)
        .find(|(_, tags)| tags.as_ref().is_some_and(|t| env.tags.is_compatible(t)))
        .map(|(w, _)| w);
    let Some(file) = wheel.or(package.sdist.as_ref()) else {
        problems.push(Problem {
            package: Some(s.label()),
            reason: format!("no wheel for {}, and no sdist", env.name),
        });
        return;
    };
    if !hashed(file) {
        problems.push(Problem {
            package: Some(s.label()),
            reason: format!("{} has no sha256 hash", file.file_name()),
        });
    }
    s.file = Some(file);
}
