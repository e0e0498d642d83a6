//! `pylock resolve`: read inputs, resolve, write the lock.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

use pylock::index::{HttpIndex, HttpOptions};
use pylock::pep::{PackageName, Version, VersionSpecifiers};
use pylock::{
    resolve, write_atomic, Baseline, Index, LocalIndex, Lock, LockOptions, Manifest, Options,
    Target,
};

use crate::args::ResolveArgs;

/// A failure and its exit code.
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

/// A failed resolve: exit 1 when no versions fit (the explanation follows), else 2.
pub(crate) fn resolve_failure(e: pylock::ResolveError) -> Failure {
    match e {
        pylock::ResolveError::NoSolution { .. } => Failure {
            code: 1,
            message: e.to_string(),
        },
        other => usage(other.to_string()),
    }
}

pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

/// Run `pylock resolve`; print errors and warnings to stderr.
pub fn run(args: &ResolveArgs) -> ExitCode {
    match run_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn run_inner(args: &ResolveArgs) -> Result<(), Failure> {
    let manifest = read_manifest(args)?;
    if manifest.requirements.is_empty() {
        return Err(usage(
            "no requirements given: pass REQ arguments or -r FILE",
        ));
    }
    let (index, index_url) = open_index(args, &manifest)?;
    let target = target(args, &manifest)?;
    let mut options = options(args, &manifest)?;
    let existing = prepare_output(args)?;
    let inputs = inputs_digest(args, &manifest, &target, &options);
    let previous = lock_preferences(args, existing.as_ref())?.apply(&mut options);
    let preferences = pylock::resolve::preferences_digest(&options);
    if crate::check::fresh_without_solving(
        args,
        previous.as_ref(),
        inputs.as_deref(),
        &preferences,
        index.as_ref(),
    ) {
        return Ok(());
    }
    seed_forks(&mut options, previous.as_ref(), inputs.as_deref());

    let progress = crate::progress::Progress::new(args.quiet);
    let index = crate::progress::Observed::new(
        index.as_ref(),
        &progress,
        args.concurrency.map(usize::from),
    );
    let result = resolve(&manifest, &target, &options, &index);
    progress.finish();
    let resolution = result.map_err(resolve_failure)?;
    if !args.quiet {
        for w in &resolution.warnings {
            eprintln!("warning: {w}");
        }
    }

    let output = PathBuf::from(args.output());
    let lock = Lock::from_resolution(
        &resolution,
        &LockOptions {
            index_url,
            lock_dir: lock_dir(args),
        },
    );
    let record = record(inputs, preferences, &options, &lock, resolution);
    if !emit(&lock.to_toml_recorded(&record), args, existing)? {
        return Ok(());
    }
    if !args.quiet {
        eprintln!(
            "Resolved {} into {}",
            count(lock.packages.len(), "package", "packages"),
            output.display()
        );
    }
    Ok(())
}

/// The directory files are recorded relative to: the output's (none for standard output).
pub(crate) fn lock_dir(args: &ResolveArgs) -> Option<PathBuf> {
    let output = match &args.lock {
        // `--check` compares with `--lock`: its files are recorded relative to it.
        Some(lock) if args.check => lock.as_path(),
        _ if args.output() == "-" => return None,
        _ => Path::new(args.output()),
    };
    let parent = output.parent().filter(|p| !p.as_os_str().is_empty());
    Some(parent.map_or_else(|| PathBuf::from("."), Path::to_path_buf))
}

/// Write the lock's text where `-o` says: standard output (`-`, then `false`) or a file,
/// atomically (`true`). With `--check`, compare with `existing` (read by
/// [`prepare_output`]) instead.
pub(crate) fn emit(
    text: &str,
    args: &ResolveArgs,
    existing: Option<crate::check::Existing>,
) -> Result<bool, Failure> {
    if args.check {
        let existing = match existing {
            Some(e) => e,
            None => check_failure(crate::check::Existing::read(
                args.lock.as_deref(),
                args.output(),
            ))?,
        };
        check_failure(existing.verdict(text))?;
        if !args.quiet {
            eprintln!("{} is up to date", existing.path.display());
        }
        return Ok(false);
    }
    if args.output() == "-" {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        return match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            // The reader went away (`pylock ... -o - | head`): nothing left to tell it.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
            Err(e) => Err(usage(format!(
                "cannot write the lock to standard output: {e}"
            ))),
            Ok(()) => Ok(false),
        };
    }
    let output = PathBuf::from(args.output());
    if !args.quiet && !is_pep751_name(&output) {
        eprintln!(
            "warning: {} is not named pylock.toml or pylock.<name>.toml as PEP 751 asks; installers may not find it",
            output.display()
        );
    }
    write_atomic(&output, text)
        .map_err(|e| usage(format!("cannot write {}: {e}", output.display())))?;
    Ok(true)
}

/// Run `pylock index snapshot`.
pub fn snapshot(args: &crate::args::SnapshotArgs) -> ExitCode {
    match snapshot_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn snapshot_inner(args: &crate::args::SnapshotArgs) -> Result<(), Failure> {
    let r = &args.resolve;
    let manifest = read_manifest(r)?;
    if manifest.requirements.is_empty() {
        return Err(usage(
            "no requirements given: pass REQ arguments or -r FILE",
        ));
    }
    let (index, source) = open_index(r, &manifest)?;
    let options = options(r, &manifest)?;
    let recorder = pylock::index::RecordingIndex::new(index.as_ref());
    let requires_python = match &r.requires_python {
        Some(spec) => Some(
            VersionSpecifiers::from_str(spec)
                .map_err(|e| usage(format!("invalid --requires-python `{spec}`: {e}")))?,
        ),
        None => manifest.requires_python.clone(),
    };
    let baseline = baseline(r)?;
    let targets = [
        Target::universal(requires_python.clone()).with_baseline(baseline, false),
        Target::single(
            "3.12",
            "linux"
                .parse()
                .map_err(|e: pylock::TargetError| usage(e.to_string()))?,
            None,
        )
        .map_err(|e| usage(e.to_string()))?
        .with_baseline(baseline, false),
    ];
    for target in &targets {
        resolve(&manifest, target, &options, &recorder).map_err(|e| match e {
            pylock::ResolveError::NoSolution { .. } => Failure {
                code: 1,
                message: e.to_string(),
            },
            other => usage(other.to_string()),
        })?;
    }
    let (projects, versions) = recorder
        .write(&args.out)
        .map_err(|e| usage(format!("cannot write {}: {e}", args.out.display())))?;
    let requirements: Vec<String> = manifest
        .requirements
        .iter()
        .map(ToString::to_string)
        .collect();
    let record = serde_json::json!({
        "requirements": requirements,
        "constraints": manifest.constraints.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "overrides": manifest.overrides.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "requires_python": requires_python.map(|r| r.to_string()),
        "exclude_newer": r.exclude_newer,
        "source": source,
        "targets": ["universal", "cpython-3.12-linux"],
    });
    pylock::write_atomic(
        &args.out.join("snapshot.json"),
        &format!(
            "{}\n",
            serde_json::to_string_pretty(&record).unwrap_or_default()
        ),
    )
    .map_err(|e| usage(format!("cannot write {}: {e}", args.out.display())))?;
    pylock::write_atomic(
        &args.out.join("requirements.in"),
        &requirements
            .iter()
            .map(|r| format!("{r}\n"))
            .collect::<String>(),
    )
    .map_err(|e| usage(format!("cannot write {}: {e}", args.out.display())))?;
    if !r.quiet {
        eprintln!(
            "Wrote {projects} projects ({versions} versions) to {}",
            args.out.display()
        );
    }
    Ok(())
}

fn read_manifest(args: &ResolveArgs) -> Result<Manifest, Failure> {
    let manifest = crate::inputs::read_manifest(args).map_err(usage)?;
    if !args.quiet {
        for w in &manifest.warnings {
            eprintln!("warning: {w}");
        }
        for n in &manifest.notes {
            eprintln!("note: {n}");
        }
    }
    Ok(manifest)
}

/// The index to read: a local directory (`--index-url PATH`), or HTTP(S) indexes with
/// extra indexes and find-links. Also the index URL to record in the lock (remote only).
pub(crate) fn open_index(
    args: &ResolveArgs,
    manifest: &Manifest,
) -> Result<(Box<dyn Index>, Option<String>), Failure> {
    let network = Network {
        cache_dir: (!args.no_cache)
            .then(|| {
                args.cache_dir
                    .clone()
                    .or_else(HttpOptions::default_cache_dir)
            })
            .flatten(),
        refresh: args.refresh,
        offline: args.offline,
        timeout: args.timeout,
    };
    open_plan(crate::inputs::index_plan(args, manifest), &network).map_err(usage)
}

/// How HTTP indexes are read.
pub(crate) struct Network {
    /// The HTTP cache (`None`: none).
    pub cache_dir: Option<PathBuf>,
    /// Revalidate every cached response.
    pub refresh: bool,
    /// No network: the cache only.
    pub offline: bool,
    /// Seconds one request may take.
    pub timeout: f64,
}

/// The index of `plan` (see `open_index`); errors are usage errors.
pub(crate) fn open_plan(
    plan: crate::inputs::IndexPlan,
    network: &Network,
) -> Result<(Box<dyn Index>, Option<String>), String> {
    fn usage(message: impl Into<String>) -> String {
        message.into()
    }
    let remote = |s: &str| s.starts_with("http://") || s.starts_with("https://");
    if plan.no_index && plan.find_links.is_empty() {
        return Err(usage(
            "--no-index leaves nothing to read packages from: add --find-links",
        ));
    }
    if !plan.no_index && !remote(&plan.index_url) {
        if !plan.extra_index_urls.is_empty() || !plan.find_links.is_empty() {
            return Err(usage(
                "--extra-index-url and --find-links need an HTTP(S) --index-url; a local index directory stands alone",
            ));
        }
        let root = local_index_root(&plan.index_url);
        let index = LocalIndex::new(&root).map_err(|e| usage(e.to_string()))?;
        return Ok((Box::new(index), None));
    }
    let mut index_urls = Vec::new();
    // `--no-index`: find-links only.
    let indexes = std::iter::once(&plan.index_url).chain(&plan.extra_index_urls);
    for u in indexes.filter(|_| !plan.no_index) {
        let url = url::Url::parse(u).map_err(|e| usage(format!("invalid index URL: {e}")))?;
        index_urls.push(url);
    }
    let recorded = index_urls.first().map(pylock::index::redact);
    let index = HttpIndex::new(HttpOptions {
        index_urls,
        find_links: plan.find_links,
        cache_dir: network.cache_dir.clone(),
        refresh: network.refresh,
        offline: network.offline,
        timeout: std::time::Duration::from_secs_f64(network.timeout),
        ..HttpOptions::default()
    })
    .map_err(|e| usage(e.to_string()))?;
    Ok((
        Box::new(index),
        recorded.map(|r| r.trim_end_matches('/').to_owned()),
    ))
}

/// The Simple API root of a local index given as a path or `file://` URL: `<index>/simple`,
/// or `<index>` when it has a `simple` folder.
fn local_index_root(location: &str) -> PathBuf {
    let path = match location.strip_prefix("file://") {
        Some(rest) => PathBuf::from(rest),
        None => PathBuf::from(location),
    };
    let nested = path.join("simple");
    if !path.join("index.html").exists() && nested.is_dir() {
        return nested;
    }
    path
}

pub(crate) fn target(args: &ResolveArgs, manifest: &Manifest) -> Result<Target, Failure> {
    let requires_python = match &args.requires_python {
        Some(spec) => Some(
            VersionSpecifiers::from_str(spec)
                .map_err(|e| usage(format!("invalid --requires-python `{spec}`: {e}")))?,
        ),
        None => manifest.requires_python.clone(),
    };
    let platform = args
        .python_platform
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e: pylock::TargetError| usage(e.to_string()))?;
    let target = Target::new(args.python_version.as_deref(), platform, requires_python)
        .map_err(|e| usage(e.to_string()))?;
    let gives_glibc = args
        .python_platform
        .as_deref()
        .is_some_and(|p| p.contains("manylinux"));
    Ok(target.with_baseline(baseline(args)?, gives_glibc))
}

/// The platform baselines of `--macos-version` and `--manylinux`.
fn baseline(args: &ResolveArgs) -> Result<Baseline, Failure> {
    let mut baseline = Baseline::default();
    for (flag, value, slot) in [
        ("--macos-version", &args.macos_version, &mut baseline.macos),
        ("--manylinux", &args.manylinux, &mut baseline.manylinux),
    ] {
        if let Some(text) = value {
            *slot = Baseline::parse_release(text).ok_or_else(|| {
                usage(format!(
                    "invalid {flag} `{text}`: expected X or X.Y, such as 14 or 2.28"
                ))
            })?;
        }
    }
    Ok(baseline)
}

pub(crate) fn options(args: &ResolveArgs, manifest: &Manifest) -> Result<Options, Failure> {
    let mut options = Options {
        strict: args.strict,
        binary: manifest.file_options.binary.clone(),
        hashes: manifest.hashes.clone(),
        ..Options::default()
    };
    for (values, only) in [(&args.no_binary, false), (&args.only_binary, true)] {
        for v in values {
            let applied = if only {
                options.binary.only_binary(v)
            } else {
                options.binary.no_binary(v)
            };
            applied.map_err(|e| {
                usage(format!(
                    "invalid --{}-binary: {e}",
                    if only { "only" } else { "no" }
                ))
            })?;
        }
    }
    if args.pre || manifest.file_options.pre {
        options.prerelease = pylock::PrereleaseMode::Allow;
    }
    if let Some(p) = &args.prerelease {
        options.prerelease = p
            .parse()
            .map_err(|e: pylock::resolve::InvalidOption| usage(e.to_string()))?;
    }
    if let Some(r) = &args.resolution {
        options.resolution = r
            .parse()
            .map_err(|e: pylock::resolve::InvalidOption| usage(e.to_string()))?;
    }
    if let Some(t) = &args.exclude_newer {
        options.exclude_newer = Some(
            pylock::resolve::exclude_newer_cutoff(t, pylock::Timestamp::now())
                .map_err(|e| usage(format!("invalid --exclude-newer: {e}")))?,
        );
    }
    Ok(options)
}

/// What a re-lock keeps of the existing lock.
#[derive(Default)]
pub(crate) struct Kept {
    /// Preferred versions.
    pub preferences: Vec<(PackageName, Version)>,
    /// The markers of the preferred versions the lock holds only somewhere.
    pub markers: Vec<(PackageName, Version, pylock::pep::MarkerTree)>,
    /// pylock's record of the run that wrote the lock, if it wrote it and nobody edited it.
    pub record: Option<pylock::lock::LockRecord>,
}

impl Kept {
    /// Set `options` to keep these pins.
    pub(crate) fn apply(self, options: &mut Options) -> Option<pylock::lock::LockRecord> {
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
        let at = |now| pylock::resolve::exclude_newer_cutoff(t, now).ok();
        at(pylock::Timestamp::UNIX_EPOCH) != at(pylock::Timestamp::now())
    });
    if relative {
        return None;
    }
    let indexes = recorded_indexes(args, manifest);
    pylock::resolve::inputs_digest(manifest, target, options, &indexes)
}

/// A universal re-lock with the inputs the lock was made from starts from its forks.
pub(crate) fn seed_forks(
    options: &mut Options,
    previous: Option<&pylock::lock::LockRecord>,
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
) -> pylock::lock::LockRecord {
    if inputs.is_none() {
        return pylock::lock::LockRecord::default();
    }
    let own = own_pins_digest(lock);
    let seeds: Option<Vec<(String, bool)>> = (options.forks.iter())
        .map(|(m, excludable)| Some((m.try_to_string()?, *excludable)))
        .collect();
    let fixpoint =
        own.as_deref() == Some(preferences.as_str()) && seeds.as_ref() == Some(&resolution.forks);
    pylock::lock::LockRecord {
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
    for p in &lock.packages {
        let (Ok(name), Ok(version)) = (
            pylock::pep::parse::value::<PackageName>(&p.name),
            pylock::pep::parse::value::<Version>(&p.version),
        ) else {
            continue;
        };
        if let Some(m) = &p.marker {
            let marker = m.parse::<pylock::lock::LockMarker>().ok()?;
            let entry = (name.clone(), version.clone(), marker.tree().clone());
            options.preference_markers.push(entry);
        }
        options.preferences.push((name, version));
    }
    Some(pylock::resolve::preferences_digest(&options))
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
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => pylock::index::redact(&u),
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
        let name = pylock::pep::parse::value::<PackageName>(name).map_err(bad)?;
        let version = version
            .map(pylock::pep::parse::value::<Version>)
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
    use pylock::lock::LockFile;
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

/// Before resolving: with `--check`, the lock to compare with is read, once (now, not
/// after the resolve: it must exist), and nothing is prepared for writing; else the output
/// must be writable.
pub(crate) fn prepare_output(
    args: &ResolveArgs,
) -> Result<Option<crate::check::Existing>, Failure> {
    if args.check {
        return check_failure(crate::check::Existing::read(
            args.lock.as_deref(),
            args.output(),
        ))
        .map(Some);
    }
    if args.output() != "-" {
        crate::inputs::prepare_output(Path::new(args.output())).map_err(usage)?;
    }
    Ok(None)
}

/// A `--check` failure as the commands' failure.
fn check_failure<T>(result: Result<T, crate::check::CheckFailure>) -> Result<T, Failure> {
    result.map_err(|f| Failure {
        code: f.code,
        message: f.message,
    })
}

/// `pylock.toml` or `pylock.<name>.toml`.
fn is_pep751_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name == "pylock.toml"
        || name
            .strip_prefix("pylock.")
            .and_then(|rest| rest.strip_suffix(".toml"))
            .is_some_and(|middle| !middle.is_empty() && !middle.contains('.'))
}

/// `n` with the word that fits it: "1 package", "2 packages".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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
        let manifest = read_manifest(&args).ok()?;
        let target = target(&args, &manifest).ok()?;
        let options = options(&args, &manifest).ok()?;
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
