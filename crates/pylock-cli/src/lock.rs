//! `pylock lock`: read a project, lock every selection of its extras and groups, write the
//! multi-use lock.

use std::path::Path;
use std::process::ExitCode;

use pylock::Project;
use pylock::{LockOptions, Manifest, Role};

use crate::args::{LockArgs, ResolveArgs};
use crate::resolve::{usage, Failure};

/// Run `pylock lock`; print errors and warnings to stderr.
pub fn run(args: LockArgs) -> ExitCode {
    match run_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn run_inner(mut args: LockArgs) -> Result<(), Failure> {
    refuse_selections(&args.resolve)?;
    let project = read_project(&mut args)?;
    let args = &args.resolve;
    let mut manifest = constraints(args)?;
    manifest
        .requires_python
        .clone_from(&project.requires_python);
    let (opened, index_url) = crate::resolve::open_index(args, &manifest)?;
    let target = crate::resolve::target(args, &manifest)?;
    let mut options = crate::resolve::options(args, &manifest)?;
    let existing = crate::resolve::prepare_output(args)?;
    // The project's content is an input no digest of the arguments covers yet: no inputs
    // digest, so no forks recorded or read back (the lock still records its content digest,
    // by which a re-lock reads it back fast).
    crate::relock::lock_preferences(args, existing.as_ref(), None)?.apply(&mut options);

    let progress = crate::progress::Progress::new(args.quiet);
    let index = crate::progress::Observed::new(
        opened.as_ref(),
        &progress,
        args.concurrency.map(usize::from),
    );
    let lock_options = LockOptions {
        index_url,
        lock_dir: crate::resolve::lock_dir(args),
        record: true,
        inputs: None,
    };
    let result = project.lock(&manifest, &target, &options, &index, &lock_options);
    progress.finish();
    let (lock, warnings) = result.map_err(crate::resolve::resolve_failure)?;
    if !args.quiet {
        for w in &warnings {
            eprintln!("warning: {w}");
        }
    }
    if crate::resolve::emit(&lock, args, existing)? && !args.quiet {
        eprintln!(
            "Locked {} for {} and {} into {}",
            crate::resolve::count(lock.packages.len(), "package", "packages"),
            crate::resolve::count(lock.extras.len(), "extra", "extras"),
            crate::resolve::count(
                lock.dependency_groups.len(),
                "dependency group",
                "dependency groups"
            ),
            args.output()
        );
    }
    crate::alloc::keep_until_exit(index);
    crate::alloc::keep_until_exit((opened, lock, manifest, project));
    Ok(())
}

/// The project `args` names (`--project DIR` or `DIR/pyproject.toml`), with the output set
/// to `pylock.toml` beside it unless `-o` is given.
fn read_project(args: &mut LockArgs) -> Result<Project, Failure> {
    // `--project DIR/pyproject.toml` means DIR, as `pylock resolve` reads either.
    if args.project.file_name() == Some("pyproject.toml".as_ref()) && args.project.is_file() {
        args.project = args
            .project
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
    }
    let pyproject = args.project.join("pyproject.toml");
    if !pyproject.is_file() {
        return Err(usage(format!(
            "{}: no such file (pylock lock reads the project's pyproject.toml; pass --project DIR)",
            pyproject.display()
        )));
    }
    let project = Project::read(&pyproject).map_err(|e| usage(e.to_string()))?;
    // Only an absent `-o` means the project's directory: a given `-o` is relative to the
    // current directory, as every other path argument.
    if args.resolve.output_file.is_none() {
        args.resolve.output_file = Some(args.project.join("pylock.toml").display().to_string());
    }
    Ok(project)
}

/// The manifest of `-c` and `--override` files (the project gives the requirements),
/// its warnings printed.
fn constraints(args: &ResolveArgs) -> Result<Manifest, Failure> {
    let mut manifest = Manifest::default();
    for (files, role) in [
        (&args.constraint_files, Role::Constraint),
        (&args.override_files, Role::Override),
    ] {
        for f in files {
            manifest
                .add_file(f, role)
                .map_err(|e| usage(e.to_string()))?;
        }
    }
    if !args.quiet {
        for w in &manifest.warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(manifest)
}

/// `pylock lock` is for every input and selection of the project: the flags that pick
/// inputs or selections are usage errors.
fn refuse_selections(args: &ResolveArgs) -> Result<(), Failure> {
    let given = [
        (!args.requirements.is_empty(), "REQ arguments"),
        (!args.requirement_files.is_empty(), "-r/--requirement"),
        (!args.extras.is_empty(), "--extra"),
        (args.all_extras, "--all-extras"),
        (!args.groups.is_empty(), "--group"),
        (args.all_groups, "--all-groups"),
        (!args.only_groups.is_empty(), "--only-group"),
    ];
    match given.iter().find(|(set, _)| *set) {
        Some((_, flag)) => Err(usage(format!(
            "{flag}: pylock lock locks the project (--project DIR) for every extra and group; to lock one selection, use pylock resolve"
        ))),
        None => Ok(()),
    }
}
