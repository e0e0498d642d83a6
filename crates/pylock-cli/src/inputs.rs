//! What `pylock resolve` reads: requirement arguments, requirements files and projects
//! (with their extras and groups), and how the options the files give combine with the
//! command line.

use std::path::{Path, PathBuf};

use pylock::ExtraName;
use pylock::{GroupName, Project, Selection};
use pylock::{Manifest, Role};

use crate::args::ResolveArgs;

/// Where packages come from, after requirements files had their say.
pub struct IndexPlan {
    /// The index (a URL or a local directory).
    pub index_url: String,
    /// Further indexes: the command line's, then the files'.
    pub extra_index_urls: Vec<String>,
    /// Find-links: the command line's, then the files'.
    pub find_links: Vec<String>,
    /// No index at all: find-links only.
    pub no_index: bool,
}

/// The default index.
pub const PYPI: &str = "https://pypi.org/simple";

/// Read every input of `args` into one manifest.
pub fn read_manifest(args: &ResolveArgs) -> Result<Manifest, String> {
    let mut manifest = Manifest::default();
    let err = |e: pylock::ManifestError| e.to_string();
    let (selection, scoped) = selection(args)?;
    let mut files: Vec<PathBuf> = Vec::new();
    for r in &args.requirements {
        if is_input(r) {
            files.push(PathBuf::from(r));
        } else if looks_like_file(r) {
            return Err(format!(
                "{r}: no such file (an argument named like a requirements file or pyproject.toml is not taken for a package name)"
            ));
        } else {
            manifest.add_str(r, Role::Requirement).map_err(err)?;
        }
    }
    files.extend(args.requirement_files.iter().cloned());
    let mut projects: Vec<(PathBuf, Selection)> = Vec::new();
    for f in files {
        match project_file(&f)? {
            Some(pyproject) => projects.push((pyproject, selection.clone())),
            None => manifest.add_file(&f, Role::Requirement).map_err(err)?,
        }
    }
    for (path, group) in scoped {
        let canonical = std::fs::canonicalize(&path).ok();
        let same = |p: &PathBuf| std::fs::canonicalize(p).ok() == canonical;
        match projects
            .iter_mut()
            .find(|(p, _)| canonical.is_some() && same(p))
        {
            Some((_, sel)) => sel.groups.push(group),
            // pip: `--group PATH:NAME` installs that group of that file, not the project.
            None => projects.push((
                path,
                Selection {
                    only_groups: vec![group],
                    ..Selection::default()
                },
            )),
        }
    }
    if projects.is_empty() && selection != Selection::default() {
        return Err("--extra, --all-extras, --group, --all-groups and --only-group select parts of a project: pass a pyproject.toml (or its directory) as an input".into());
    }
    for (path, sel) in &projects {
        let project = Project::read(path).map_err(err)?;
        manifest
            .add_project(&project, sel, Role::Requirement)
            .map_err(err)?;
    }
    for (files, role) in [
        (&args.constraint_files, Role::Constraint),
        (&args.override_files, Role::Override),
    ] {
        for f in files {
            manifest.add_file(f, role).map_err(err)?;
        }
    }
    Ok(manifest)
}

/// A positional argument that names an existing file (`*.txt`, `*.in`, `*.toml`) or a
/// directory is an input, not a requirement (`pyproject.toml` is not the PyPI package
/// `pyproject-toml`).
fn is_input(arg: &str) -> bool {
    let path = Path::new(arg);
    path.is_dir()
        || (path.is_file()
            && path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "txt" | "in" | "toml")))
}

/// A name such as `requirements.txt` or `pyproject.toml`: a valid PEP 508 name, but surely
/// a file that is missing.
fn looks_like_file(arg: &str) -> bool {
    [".txt", ".in", ".toml"]
        .iter()
        .any(|ext| arg.to_ascii_lowercase().ends_with(ext))
}

/// The `pyproject.toml` an input means, if it is a project (a `*.toml` file, or a directory
/// holding a `pyproject.toml`).
fn project_file(path: &Path) -> Result<Option<PathBuf>, String> {
    if path.is_dir() {
        let pyproject = path.join("pyproject.toml");
        if !pyproject.is_file() {
            return Err(format!(
                "{} is a directory without a pyproject.toml",
                path.display()
            ));
        }
        return Ok(Some(pyproject));
    }
    Ok((path.extension().is_some_and(|e| e == "toml")).then(|| path.to_owned()))
}

/// The selection for every project, and the groups scoped to one file (`PATH:NAME`).
fn selection(args: &ResolveArgs) -> Result<(Selection, Vec<(PathBuf, GroupName)>), String> {
    let group = |s: &str| {
        s.parse::<GroupName>()
            .map_err(|e| format!("invalid group: {e}"))
    };
    let mut sel = Selection {
        all_extras: args.all_extras,
        all_groups: args.all_groups,
        ..Selection::default()
    };
    for e in &args.extras {
        let extra: ExtraName = e.parse().map_err(|_| format!("invalid extra name `{e}`"))?;
        sel.extras.push(extra);
    }
    let mut scoped = Vec::new();
    for g in &args.groups {
        match g.rsplit_once(':') {
            Some((path, name)) if path.ends_with(".toml") => {
                scoped.push((PathBuf::from(path), group(name)?));
            }
            _ => sel.groups.push(group(g)?),
        }
    }
    for g in &args.only_groups {
        sel.only_groups.push(group(g)?);
    }
    Ok((sel, scoped))
}

/// Index settings: the command line's `--index-url` wins over a file's `-i`, which wins over
/// the default; extra indexes and find-links are the command line's then the files';
/// `--no-index` from either applies.
pub fn index_plan(args: &ResolveArgs, manifest: &Manifest) -> IndexPlan {
    let file = &manifest.file_options;
    let index_url = args
        .index_url
        .clone()
        .or_else(|| file.index_url.clone())
        .unwrap_or_else(|| PYPI.to_owned());
    IndexPlan {
        index_url,
        extra_index_urls: args
            .extra_index_url
            .iter()
            .chain(&file.extra_index_urls)
            .cloned()
            .collect(),
        find_links: args
            .find_links
            .iter()
            .chain(&file.find_links)
            .cloned()
            .collect(),
        no_index: args.no_index || file.no_index,
    }
}

/// Create the output's directory and check that a lock can be written there, before the
/// resolve rather than after it.
pub fn prepare_output(output: &Path) -> Result<(), String> {
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if output.is_dir() {
        return Err(format!(
            "cannot write {}: it is a directory",
            output.display()
        ));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the directory {}: {e}", dir.display()))?;
    let probe = dir.join(format!(".pylock-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| format!("cannot write {}: {e}", output.display()))?;
    std::fs::remove_file(&probe).ok();
    Ok(())
}
