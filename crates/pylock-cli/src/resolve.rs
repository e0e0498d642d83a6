//! `pylock resolve`: read inputs, resolve, write the lock.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

use pylock::{
    resolve, HttpIndex, HttpOptions, Index, LocalIndex, Lock, LockOptions, Manifest, Options,
    Target, VersionSpecifiers,
};

use crate::args::ResolveArgs;
use crate::relock;

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
    let (opened, index_url) = open_index(args, &manifest)?;
    let target = target(args, &manifest)?;
    let mut options = options(args, &manifest)?;
    let existing = prepare_output(args)?;
    let inputs = relock::inputs(args, &manifest, &target, &options);
    relock::lock_preferences(args, existing.as_ref(), inputs.as_deref())?.apply(&mut options);

    let progress = crate::progress::Progress::new(args.quiet);
    let index = crate::progress::Observed::new(
        opened.as_ref(),
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
            record: true,
            inputs,
        },
    );
    let written = emit(&lock, args, existing)?;
    if written && !args.quiet {
        eprintln!(
            "Resolved {} into {}",
            count(lock.packages.len(), "package", "packages"),
            output.display()
        );
    }
    crate::alloc::keep_until_exit(index);
    crate::alloc::keep_until_exit((opened, resolution, lock, manifest));
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

/// Write the lock where `-o` says: standard output (`-`, then `false`) or a file,
/// atomically (`true`). With `--check`, compare with `existing` (read by
/// [`prepare_output`]) instead.
pub(crate) fn emit(
    lock: &Lock,
    args: &ResolveArgs,
    existing: Option<crate::check::Existing>,
) -> Result<bool, Failure> {
    if args.check {
        let text = &lock.to_toml();
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
        let text = lock.to_toml();
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
    lock.write(&output)
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
    let requires_python = match &r.requires_python {
        Some(spec) => Some(
            VersionSpecifiers::from_str(spec)
                .map_err(|e| usage(format!("invalid --requires-python `{spec}`: {e}")))?,
        ),
        None => manifest.requires_python.clone(),
    };
    let targets = [
        with_baseline(Target::universal(requires_python), r)?,
        with_baseline(
            Target::single("3.12", "linux", None).map_err(|e| usage(e.to_string()))?,
            r,
        )?,
    ];
    let (projects, versions) = LocalIndex::snapshot(
        &manifest,
        &targets,
        &options,
        index.as_ref(),
        source.as_deref(),
        &args.out,
    )
    .map_err(resolve_failure)?;
    if !r.quiet {
        eprintln!(
            "Wrote {projects} projects ({versions} versions) to {}",
            args.out.display()
        );
    }
    Ok(())
}

pub(crate) fn read_manifest(args: &ResolveArgs) -> Result<Manifest, Failure> {
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
/// extra indexes and find-links. Also the index URL to record in the lock (remote only; the
/// library records it without credentials).
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
        concurrency: args.concurrency.map(usize::from),
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
    /// `--concurrency`: the most requests in flight to one origin (default: the library's).
    pub concurrency: Option<usize>,
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
    let recorded = index_urls.first().map(ToString::to_string);
    let index = HttpIndex::new(HttpOptions {
        index_urls,
        find_links: plan.find_links,
        cache_dir: network.cache_dir.clone(),
        refresh: network.refresh,
        offline: network.offline,
        timeout: std::time::Duration::from_secs_f64(network.timeout),
        concurrency: (network.concurrency).unwrap_or(HttpOptions::default().concurrency),
        ..HttpOptions::default()
    })
    .map_err(|e| usage(e.to_string()))?;
    Ok((Box::new(index), recorded))
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
    let target = Target::new(
        args.python_version.as_deref(),
        args.python_platform.as_deref(),
        requires_python,
    )
    .map_err(|e| usage(e.to_string()))?;
    with_baseline(target, args)
}

/// `target` for the OS releases of `--macos-version` and `--manylinux`.
fn with_baseline(mut target: Target, args: &ResolveArgs) -> Result<Target, Failure> {
    let flags = [
        ("--macos-version", &args.macos_version, false),
        ("--manylinux", &args.manylinux, true),
    ];
    for (flag, value, linux) in flags {
        let Some(text) = value else { continue };
        let set = if linux {
            target.with_manylinux(text)
        } else {
            target.with_macos_version(text)
        };
        target = set.map_err(|_| {
            usage(format!(
                "invalid {flag} `{text}`: expected X or X.Y, such as 14 or 2.28"
            ))
        })?;
    }
    Ok(target)
}

pub(crate) fn options(args: &ResolveArgs, manifest: &Manifest) -> Result<Options, Failure> {
    // The requirements files' `--pre`, `--only-binary`, `--no-binary` first.
    let mut options = Options::from_manifest(manifest);
    options.strict = args.strict;
    for (values, only) in [(&args.no_binary, false), (&args.only_binary, true)] {
        for v in values {
            let applied = if only {
                options.only_binary(v)
            } else {
                options.no_binary(v)
            };
            applied.map_err(|e| {
                usage(format!(
                    "invalid --{}-binary: {e}",
                    if only { "only" } else { "no" }
                ))
            })?;
        }
    }
    if args.pre {
        options.prerelease = pylock::PrereleaseMode::Allow;
    }
    if let Some(p) = &args.prerelease {
        options.prerelease = p
            .parse()
            .map_err(|e: pylock::ManifestError| usage(e.to_string()))?;
    }
    if let Some(r) = &args.resolution {
        options.resolution = r
            .parse()
            .map_err(|e: pylock::ManifestError| usage(e.to_string()))?;
    }
    if let Some(t) = &args.exclude_newer {
        options.exclude_newer = Some(
            pylock::Options::exclude_newer_cutoff(t, pylock::Timestamp::now())
                .map_err(|e| usage(format!("invalid --exclude-newer: {e}")))?,
        );
    }
    Ok(options)
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
