//! What a re-lock takes from the existing lock and records in the new one: the pins kept
//! (`-U`, `-P`), the `[tool.pylock]` record read back (its forks seed a re-lock with the same
//! inputs) and the record written (inputs, pins, pages and forks, for the check's fast path).

use std::path::PathBuf;

use std::str::FromStr;

use pylock::{Lock, Manifest, Options, Target};
use pylock::{PackageName, Version};

use crate::args::ResolveArgs;
use crate::resolve::{usage, Failure};

/// What a re-lock keeps of the existing lock.
#[derive(Default)]
pub(crate) struct Kept {
    /// Preferred versions.
    pub preferences: Vec<(PackageName, Version)>,
    /// The markers of the preferred versions the lock holds only somewhere.
    pub markers: Vec<(PackageName, Version, pylock::MarkerTree)>,
    /// pylock's record of the run that wrote the lock, if it wrote it and nobody edited it.
    pub record: Option<pylock::LockRecord>,
}

impl Kept {
    /// Set `options` to keep these pins.
    pub(crate) fn apply(self, options: &mut Options) -> Option<pylock::LockRecord> {
        options.preferences = self.preferences;
        options.preference_markers = self.markers;
        self.record
    }
}

/// The digest of the inputs, for the lock's record; none when `--exclude-newer` is a span
/// back from now (its cutoff moves from run to run).
pub(crate) fn inputs_digest(
    args: &ResolveArgs,
    manifest: &Manifest,
    target: &Target,
    options: &Options,
) -> Option<String> {
    // A span gives another cutoff for another `now`; an instant or a date does not.
    let relative = args.exclude_newer.as_deref().is_some_and(|t| {
        let at = |now| pylock::Options::exclude_newer_cutoff(t, now).ok();
        at(pylock::Timestamp::UNIX_EPOCH) != at(pylock::Timestamp::now())
    });
    if relative {
        return None;
    }
    let indexes = recorded_indexes(args, manifest);
    options.inputs_digest(manifest, target, &indexes)
}

/// A universal re-lock with the inputs the lock was made from starts from its forks.
pub(crate) fn seed_forks(
    options: &mut Options,
    previous: Option<&pylock::LockRecord>,
    inputs: Option<&str>,
) {
    let Some(previous) = previous.filter(|p| inputs.is_some() && p.inputs.as_deref() == inputs)
    else {
        return;
    };
    let forks: Option<Vec<_>> = (previous.forks.iter())
        .map(|(m, excludable)| Some((m.parse().ok()?, *excludable)))
        .collect();
    options.forks = forks.unwrap_or_default();
}

/// What the lock records of this run: nothing but its content digest when the inputs have
/// no digest (no later run can be told to be the same). The digest of the pins kept
/// (`preferences`) only when a re-lock from this lock would start from exactly what this
/// run started from: the pins kept are the new lock's own, and the forks it started from
/// (if any) are those it records. Then `--check` may skip the solve.
pub(crate) fn record(
    inputs: Option<String>,
    preferences: String,
    options: &Options,
    lock: &Lock,
    resolution: pylock::Resolution,
) -> pylock::LockRecord {
    if inputs.is_none() {
        return pylock::LockRecord::default();
    }
    let own = own_pins_digest(lock);
    let seeds: Option<Vec<(String, bool)>> = (options.forks.iter())
        .map(|(m, excludable)| Some((m.try_to_string()?, *excludable)))
        .collect();
    let fixpoint =
        own.as_deref() == Some(preferences.as_str()) && seeds.as_ref() == Some(&resolution.forks);
    pylock::LockRecord {
        inputs,
        preferences: fixpoint.then_some(preferences),
        index: resolution.pages,
        forks: resolution.forks,
    }
}

/// The digest of the pins a re-lock would read from `lock` (as [`lock_preferences`] keeps
/// them, nothing freed).
fn own_pins_digest(lock: &Lock) -> Option<String> {
    let mut options = Options::default();
    for (name, version, marker) in lock.pins()? {
        if let Some(tree) = marker {
            options
                .preference_markers
                .push((name.clone(), version.clone(), tree));
        }
        options.preferences.push((name, version));
    }
    Some(options.preferences_digest())
}

/// The index locations of `args` as a lock records them for its inputs digest: URLs without
/// credentials, local directories as `<local>` (a lock must not depend on where a checkout
/// lives).
pub(crate) fn recorded_indexes(args: &ResolveArgs, manifest: &Manifest) -> Vec<String> {
    let plan = crate::inputs::index_plan(args, manifest);
    let mut out = Vec::new();
    let indexes = std::iter::once(&plan.index_url)
        .filter(|_| !plan.no_index)
        .chain(&plan.extra_index_urls)
        .map(|u| ("index", u))
        .chain(plan.find_links.iter().map(|u| ("find-links", u)));
    for (kind, location) in indexes {
        let shown = match url::Url::parse(location) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {
                crate::resolve::without_credentials(&u)
            }
            _ => "<local>".to_owned(),
        };
        out.push(format!("{kind} {shown}"));
    }
    out
}

/// The versions to keep: those of the existing lock (`--lock`, else the output file if it
/// exists; any PEP 751 lock, pylock's or another tool's), but for `--upgrade` and the
/// `--upgrade-package` names (whose `==VERSION`, if given, is preferred instead); and where
/// the lock holds them, for a lock with several versions of one package under different
/// markers. `existing` is that lock when `--check` has read it already (it is not read
/// again).
pub(crate) fn lock_preferences(
    args: &ResolveArgs,
    existing: Option<&crate::check::Existing>,
) -> Result<Kept, Failure> {
    let mut freed: Vec<(PackageName, Option<Version>)> = Vec::new();
    for spec in &args.upgrade_package {
        let (name, version) = match spec.split_once("==") {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (spec.trim(), None),
        };
        let bad = |e: String| usage(format!("invalid --upgrade-package `{spec}`: {e}"));
        let name = PackageName::from_str(name).map_err(|e| bad(e.to_string()))?;
        let version = version
            .map(|v| Version::from_str(v).map_err(|e| e.to_string()))
            .transpose()
            .map_err(bad)?;
        freed.push((name, version));
    }
    let mut out: Vec<(PackageName, Version)> = freed
        .iter()
        .filter_map(|(n, v)| Some((n.clone(), v.clone()?)))
        .collect();
    let path = match &args.lock {
        Some(path) => Some(path.clone()),
        None if args.output() != "-" => Some(PathBuf::from(args.output())),
        None => None,
    };
    let only_freed = |out| {
        Ok(Kept {
            preferences: out,
            ..Kept::default()
        })
    };
    if args.upgrade {
        return only_freed(out);
    }
    use pylock::LockFile;
    let read = match existing {
        Some(e) => LockFile::pins(&e.path, &e.text).map_err(|e| e.to_string()),
        None => match path.filter(|p| p.is_file()) {
            Some(path) => LockFile::read_text(&path)
                .map_err(|e| e.to_string())
                .and_then(|text| LockFile::pins(&path, &text).map_err(|e| e.to_string())),
            None => return only_freed(out),
        },
    };
    let (pins, record) = match read {
        Ok(read) => read,
        Err(e) if args.lock.is_some() => return Err(usage(e)),
        Err(e) => {
            if !args.quiet {
                eprintln!("warning: the existing lock is not used: {e}");
            }
            return only_freed(out);
        }
    };
    let mut markers = Vec::new();
    for (name, version, marker) in pins {
        if freed.iter().any(|(n, _)| *n == name) {
            continue;
        }
        if let Some(m) = marker {
            markers.push((name.clone(), version.clone(), m));
        }
        out.push((name, version));
    }
    Ok(Kept {
        preferences: out,
        markers,
        // `-P` frees pins: the run differs from the one recorded.
        record: record.filter(|_| freed.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    fn digest(extra: &[&str]) -> Option<String> {
        let mut argv = vec!["pylock", "resolve", "b<3"];
        if !extra.contains(&"--index-url") {
            argv.extend(["--index-url", "https://example.invalid/simple"]);
        }
        argv.extend(extra);
        let crate::args::Command::Resolve(args) = crate::args::Cli::parse_from(argv).command else {
            unreachable!("a resolve command")
        };
        let manifest = crate::resolve::read_manifest(&args).ok()?;
        let target = crate::resolve::target(&args, &manifest).ok()?;
        let options = crate::resolve::options(&args, &manifest).ok()?;
        inputs_digest(&args, &manifest, &target, &options)
    }

    /// A span back from now moves the cutoff from run to run: no digest can say two runs
    /// had the same inputs. An instant or a date can.
    #[test]
    fn a_relative_exclude_newer_has_no_inputs_digest() {
        let plain = digest(&[]).expect("digest");
        let date = digest(&["--exclude-newer", "2024-03-25"]).expect("digest");
        assert_ne!(plain, date);
        assert_eq!(digest(&["--exclude-newer", "2024-03-25"]), Some(date));
        assert_eq!(digest(&["--exclude-newer", "7 days"]), None);
        assert_eq!(digest(&["--exclude-newer", "P1D"]), None);
        // Credentials are not part of the index's identity.
        assert_eq!(
            digest(&["--index-url", "https://user:secret@example.invalid/simple"]),
            Some(plain)
        );
    }
}
