//! What a re-lock takes from the existing lock and records in the new one: the pins kept
//! (`-U`, `-P`), the forks its `[tool.pylock]` record holds (they seed a re-lock with the same
//! inputs) and the digest of this run's inputs ([`LockOptions::inputs_digest`]).

use std::path::PathBuf;

use std::str::FromStr;

use pylock::{LockOptions, Manifest, Options, Target};
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
    /// The forks pylock recorded in the lock when it wrote it from the same inputs (and
    /// nobody edited it since).
    pub forks: Vec<(pylock::MarkerTree, bool)>,
}

impl Kept {
    /// Set `options` to keep these pins and start from these forks.
    pub(crate) fn apply(self, options: &mut Options) {
        options.preferences = self.preferences;
        options.preference_markers = self.markers;
        options.forks = self.forks;
    }
}

/// The digest of this run's inputs: the indexes as `args` and the manifest's requirements
/// files name them, and the `--exclude-newer` text.
pub(crate) fn inputs(
    args: &ResolveArgs,
    manifest: &Manifest,
    target: &Target,
    options: &Options,
) -> Option<String> {
    let plan = crate::inputs::index_plan(args, manifest);
    let index_urls: Vec<&str> = std::iter::once(plan.index_url.as_str())
        .filter(|_| !plan.no_index)
        .chain(plan.extra_index_urls.iter().map(String::as_str))
        .collect();
    let find_links: Vec<&str> = plan.find_links.iter().map(String::as_str).collect();
    LockOptions::inputs_digest(
        manifest,
        target,
        options,
        &index_urls,
        &find_links,
        args.exclude_newer.as_deref(),
    )
}

/// The versions to keep: those of the existing lock (`--lock`, else the output file if it
/// exists; any PEP 751 lock, pylock's or another tool's), but for `--upgrade` and the
/// `--upgrade-package` names (whose `==VERSION`, if given, is preferred instead); and where
/// the lock holds them, for a lock with several versions of one package under different
/// markers; and the forks it records for a run with the digest `inputs`. `existing` is that
/// lock when `--check` has read it already (it is not read again).
pub(crate) fn lock_preferences(
    args: &ResolveArgs,
    existing: Option<&crate::check::Existing>,
    inputs: Option<&str>,
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
        Some(e) => LockFile::pins(&e.path, &e.text, inputs).map_err(|e| e.to_string()),
        None => match path.filter(|p| p.is_file()) {
            Some(path) => LockFile::read_text(&path)
                .map_err(|e| e.to_string())
                .and_then(|text| LockFile::pins(&path, &text, inputs).map_err(|e| e.to_string())),
            None => return only_freed(out),
        },
    };
    let (pins, forks) = match read {
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
        forks: if freed.is_empty() { forks } else { Vec::new() },
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
        inputs(&args, &manifest, &target, &options)
    }

    /// The CLI hands the library its `--exclude-newer` text and index locations: a span
    /// back from now gives no digest; credentials do not count.
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
