//! `pylock verify [LOCK]`: check that a lock installs in every environment it claims, and
//! print a per-environment table and the failures.
//!
//! Exit codes: 0 every claimed environment passes, 1 a failure (or no environment claimed),
//! 2 bad input (an unreadable lock or requirements file, an unknown platform, an index that
//! cannot be read).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use pylock::ExtraName;
use pylock::LockFile;
use pylock::{GroupName, Project, Selection};
use pylock::{HttpOptions, Manifest, Role, Target};
use pylock::{VerifyOptions, VerifyReport};

use crate::args::VerifyArgs;

/// Run `pylock verify`.
pub fn run(args: &VerifyArgs) -> ExitCode {
    match run_inner(args) {
        Ok(report) => {
            let text = render(&args.lock, &report, args.quiet);
            if let Err(e) = crate::check::print_stdout(&text) {
                eprintln!("error: cannot write to standard output: {e}");
                return ExitCode::from(2);
            }
            ExitCode::from(if report.is_ok() { 0 } else { 1 })
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run_inner(args: &VerifyArgs) -> Result<VerifyReport, String> {
    let lock = LockFile::read(&args.lock).map_err(|e| e.to_string())?;
    let mut extras: Vec<ExtraName> = Vec::new();
    for e in &args.extras {
        extras.push(e.parse().map_err(|_| format!("invalid extra name `{e}`"))?);
    }
    let mut groups: Vec<GroupName> = Vec::new();
    for g in &args.groups {
        groups.push(g.parse().map_err(|e| format!("invalid group: {e}"))?);
    }
    let manifest = manifest(args, &extras, &groups, &lock)?;
    if !args.quiet {
        for w in &manifest.warnings {
            eprintln!("warning: {w}");
        }
    }
    let file = &manifest.file_options;
    let plan = crate::inputs::IndexPlan {
        index_url: args
            .index_url
            .clone()
            .or_else(|| file.index_url.clone())
            .unwrap_or_else(|| crate::inputs::PYPI.to_owned()),
        extra_index_urls: args
            .extra_index_url
            .iter()
            .chain(&file.extra_index_urls)
            .cloned()
            .collect(),
        find_links: file.find_links.clone(),
        no_index: file.no_index,
    };
    let network = crate::resolve::Network {
        cache_dir: args
            .cache_dir
            .clone()
            .or_else(HttpOptions::default_cache_dir),
        refresh: false,
        offline: args.offline,
        timeout: 60.0,
        concurrency: None,
    };
    let (index, _) = crate::resolve::open_plan(plan, &network)?;
    let target = Target::new(
        args.python_version.as_deref(),
        args.python_platform.as_deref(),
        None,
    )
    .map_err(|e| e.to_string())?;
    let options = VerifyOptions {
        requirements: manifest.requirements,
        constraints: manifest.constraints,
        overrides: manifest.overrides,
        extras,
        groups: (!groups.is_empty()).then_some(groups),
        target,
    };
    lock.verify(&options, index.as_ref())
        .map_err(|e| e.to_string())
}

/// The root requirements: requirements files, and projects (a `*.toml` file or a directory
/// with a `pyproject.toml`) with the extras and groups asked for; without `--group`, the
/// groups installed are the lock's `default-groups`, so a project's roots include those of
/// them it declares.
fn manifest(
    args: &VerifyArgs,
    extras: &[ExtraName],
    groups: &[GroupName],
    lock: &LockFile,
) -> Result<Manifest, String> {
    let mut manifest = Manifest::default();
    let err = |e: pylock::ManifestError| e.to_string();
    for f in &args.requirement_files {
        let pyproject = if f.is_dir() {
            Some(f.join("pyproject.toml"))
        } else {
            (f.extension().is_some_and(|e| e == "toml")).then(|| f.clone())
        };
        match pyproject {
            Some(p) => {
                let project = Project::read(&p).map_err(err)?;
                let groups = if groups.is_empty() {
                    default_groups(lock, &project)
                } else {
                    groups.to_vec()
                };
                let selection = Selection {
                    extras: extras.to_vec(),
                    groups,
                    ..Selection::default()
                };
                manifest
                    .add_project(&project, &selection, Role::Requirement)
                    .map_err(err)?;
            }
            None => manifest.add_file(f, Role::Requirement).map_err(err)?,
        }
    }
    for f in &args.constraint_files {
        manifest.add_file(f, Role::Constraint).map_err(err)?;
    }
    Ok(manifest)
}

/// The lock's `default-groups` that `project` declares (those it does not declare have no
/// root requirements there).
fn default_groups(lock: &LockFile, project: &Project) -> Vec<GroupName> {
    lock.lock
        .default_groups
        .iter()
        .filter_map(|g| g.parse::<GroupName>().ok())
        .filter(|g| project.groups.contains_key(g))
        .collect()
}

/// The table (claimed environments), the environments not claimed, and each failure.
fn render(lock: &Path, report: &VerifyReport, quiet: bool) -> String {
    let claimed: Vec<_> = report.environments.iter().filter(|e| e.claimed).collect();
    let failing = claimed.iter().filter(|e| !e.problems.is_empty()).count();
    let mut out = String::new();
    if claimed.is_empty() {
        let _ = writeln!(
            out,
            "{}: the lock claims none of the {} environments checked",
            lock.display(),
            report.environments.len()
        );
        return out;
    }
    let _ = writeln!(
        out,
        "{}: {} of {} environments checked are claimed; {} pass, {failing} fail",
        lock.display(),
        claimed.len(),
        report.environments.len(),
        claimed.len() - failing
    );
    if !quiet {
        let width = claimed.iter().map(|e| e.name.len()).max().unwrap_or(0);
        let _ = writeln!(out, "\n{:width$}  packages  result", "environment");
        for e in &claimed {
            let result = match e.problems.len() {
                0 => "ok".to_owned(),
                1 => "FAIL (1 problem)".to_owned(),
                n => format!("FAIL ({n} problems)"),
            };
            let _ = writeln!(out, "{:width$}  {:>8}  {result}", e.name, e.selected);
        }
        let unclaimed = not_claimed(report);
        if !unclaimed.is_empty() {
            let _ = writeln!(out, "not claimed by the lock: {unclaimed}");
        }
    }
    for e in claimed.iter().filter(|e| !e.problems.is_empty()) {
        let _ = writeln!(out, "\n{}:", e.name);
        for p in &e.problems {
            let _ = writeln!(out, "  {p}");
        }
    }
    let mut unchecked: Vec<&String> = claimed.iter().flat_map(|e| &e.unchecked).collect();
    unchecked.sort();
    unchecked.dedup();
    if !quiet && !unchecked.is_empty() {
        let _ = writeln!(out, "\nnot checked:");
        for u in unchecked {
            let _ = writeln!(out, "  {u}");
        }
    }
    out
}

/// `CPython 3.8, 3.9 on every platform; CPython 3.15 on Windows x86_64`.
fn not_claimed(report: &VerifyReport) -> String {
    let mut platforms: Vec<&str> = Vec::new();
    let mut by_python: BTreeMap<(u64, String), Vec<&str>> = BTreeMap::new();
    for e in &report.environments {
        let Some((python, platform)) = e.name.split_once(" on ") else {
            continue;
        };
        if !platforms.contains(&platform) {
            platforms.push(platform);
        }
        if !e.claimed {
            let minor = python
                .rsplit('.')
                .next()
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            by_python
                .entry((minor, python.to_owned()))
                .or_default()
                .push(platform);
        }
    }
    let mut groups: Vec<(Vec<&str>, Vec<String>)> = Vec::new();
    for ((_, python), ps) in by_python {
        let version = python.trim_start_matches("CPython ").to_owned();
        match groups.iter_mut().find(|(p, _)| *p == ps) {
            Some((_, versions)) => versions.push(version),
            None => groups.push((ps, vec![version])),
        }
    }
    groups
        .into_iter()
        .map(|(ps, versions)| {
            let on = if ps.len() == platforms.len() && platforms.len() > 1 {
                "every platform".to_owned()
            } else {
                ps.join(", ")
            };
            format!("CPython {} on {on}", versions.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}
