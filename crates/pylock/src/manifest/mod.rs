//! What to resolve: requirements, constraints and overrides ([`Manifest`]), read from
//! arguments, pip-style requirements files or `pyproject.toml`; and for where ([`Target`]).

mod conflicts;
mod direct;
mod options;
mod part;
mod pyproject;
mod requirements_txt;
mod target;
pub(crate) mod toml_doc;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub(crate) use options::BinaryPolicy;
pub use options::FileOptions;
pub(crate) use options::RequirementHashes;
pub use part::GroupName;
pub(crate) use part::Part;
pub use pyproject::{Project, Selection};
pub(crate) use target::Os;

pub use target::Target;
pub(crate) use target::{Baseline, Platform};
pub(crate) use toml_doc::TomlError;

use crate::pep::{PackageName, Requirement, VersionSpecifiers};

/// The role a requirement plays in a resolve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Must be installed.
    Requirement,
    /// Limits the versions of a package if it is installed, never adds it.
    Constraint,
    /// Replaces every requirement on its package, wherever it appears.
    Override,
}

/// The inputs of a resolve.
#[derive(Clone, Debug, Default)]
pub struct Manifest {
    /// Root requirements.
    pub requirements: Vec<Requirement>,
    /// Constraints (`-c`).
    pub constraints: Vec<Requirement>,
    /// Overrides (`--override`).
    pub overrides: Vec<Requirement>,
    /// `requires-python` declared by an input (`pyproject.toml`), if any.
    pub requires_python: Option<VersionSpecifiers>,
    /// Options given in requirements files (`-i`, `--pre`, `--only-binary`, ...).
    pub file_options: FileOptions,
    /// Hashes given with requirements (`--hash`), one entry per requirement that has any.
    pub(crate) hashes: Vec<RequirementHashes>,
    /// Packages to install editable (`-e ./pkg`): local project directories.
    pub editable: BTreeSet<PackageName>,
    /// Things in the inputs that deserve the user's attention (`file:line: ...`).
    pub warnings: Vec<String>,
    /// Things in the inputs that have no effect on a lock (`file:line: ...`).
    pub notes: Vec<String>,
}

/// An input that cannot be used, with where it is: a requirements file, `pyproject.toml` or
/// lock file ([`LockFile::read`](crate::LockFile::read)), a target ([`Target::new`]) or an
/// option value ([`Options::exclude_newer_cutoff`](crate::Options::exclude_newer_cutoff)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// A file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A line or value does not parse or is not supported.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        /// The file (`<command line>` for arguments).
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// An unknown platform name (`--python-platform`).
    #[error("unknown platform `{0}`; expected linux, macos, windows or a target triple such as x86_64-unknown-linux-gnu, aarch64-apple-darwin, x86_64-pc-windows-msvc, x86_64-manylinux_2_17")]
    UnknownPlatform(String),
    /// A Python version that is not `X.Y` or `X.Y.Z` (`--python-version`).
    #[error("invalid Python version `{0}`: expected X.Y or X.Y.Z, such as 3.12")]
    InvalidPython(String),
    /// An option value that does not parse ([`PrereleaseMode`](crate::PrereleaseMode),
    /// [`ResolutionMode`](crate::ResolutionMode), an `--exclude-newer` cut-off).
    #[error("invalid value `{value}`; expected one of: {expected}")]
    InvalidOption {
        /// The value given.
        value: String,
        /// What is accepted.
        expected: String,
    },
    /// An extra or dependency group asked of a lock that does not declare it
    /// ([`LockFile::verify`](crate::LockFile::verify)).
    #[error("{0}")]
    Undeclared(String),
    /// A selection (extra, dependency group) that a project does not declare.
    #[error("{}: {message}", path.display())]
    Selection {
        /// The project's `pyproject.toml`.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl TomlError {
    /// The error as a [`ManifestError::Parse`].
    pub(crate) fn into_manifest(self) -> ManifestError {
        let e = self;
        ManifestError::Parse {
            path: e.path,
            line: e.line,
            column: e.column,
            message: e.message,
        }
    }
}

impl Manifest {
    /// Add one requirement string (as given on the command line) in `role`.
    pub fn add_str(&mut self, requirement: &str, role: Role) -> Result<(), ManifestError> {
        let (req, _) = parse_requirement(
            requirement,
            Path::new("<command line>"),
            1,
            0,
            &current_dir(),
        )?;
        self.push(req, role);
        Ok(())
    }

    /// Read a requirements file (or a `pyproject.toml`) and add what it lists in `role`;
    /// nested `-r` files keep the role, nested `-c` files are constraints.
    pub fn add_file(&mut self, path: &Path, role: Role) -> Result<(), ManifestError> {
        if path.file_name().is_some_and(|n| n == "pyproject.toml") {
            return self.add_pyproject(path, role);
        }
        let mut includes = requirements_txt::Includes::default();
        requirements_txt::read(path, role, &mut includes, self)
    }

    fn push(&mut self, req: Requirement, role: Role) {
        match role {
            Role::Requirement => self.requirements.push(req),
            Role::Constraint => self.constraints.push(req),
            Role::Override => self.overrides.push(req),
        }
    }

    /// `[project] dependencies` and `requires-python` of a `pyproject.toml`.
    fn add_pyproject(&mut self, path: &Path, role: Role) -> Result<(), ManifestError> {
        let project = Project::read(path)?;
        self.add_project(&project, &Selection::default(), role)
    }

    /// Add what `selection` installs of `project` in `role`; its `requires-python` becomes
    /// the manifest's (the last project's wins).
    pub fn add_project(
        &mut self,
        project: &Project,
        selection: &Selection,
        role: Role,
    ) -> Result<(), ManifestError> {
        for req in project.select(selection)? {
            self.push(req, role);
        }
        if project.requires_python.is_some() {
            self.requires_python.clone_from(&project.requires_python);
        }
        Ok(())
    }

    /// The names of the root requirements.
    pub fn direct_names(&self) -> impl Iterator<Item = &PackageName> {
        self.requirements.iter().map(|r| &r.name)
    }
}

/// Parse one PEP 508 requirement found at `line`, starting at byte `column0` of that line.
/// Direct references (URLs, local files and directories, see [`direct`]) come back as
/// `name @ URL` with an absolute URL, relative paths taken from `base`; the flag says whether
/// it is a local project directory.
fn parse_requirement(
    text: &str,
    path: &Path,
    line: usize,
    column0: usize,
    base: &Path,
) -> Result<(Requirement, bool), ManifestError> {
    parse_requirement_in(text, path, line, column0, base, direct::Local::MustExist)
}

/// [`parse_requirement`], local paths checked as `local` says.
fn parse_requirement_in(
    text: &str,
    path: &Path,
    line: usize,
    column0: usize,
    base: &Path,
    local: direct::Local,
) -> Result<(Requirement, bool), ManifestError> {
    // Credentials in a URL are never printed, whichever error quotes it.
    let at = |column: usize, message: String| ManifestError::Parse {
        path: path.to_owned(),
        line,
        column,
        message: direct::redact_text(&message),
    };
    let rewritten = direct::rewrite(text, base, local)
        .map_err(|message| at(column0 + 1, format!("`{}`: {message}", text.trim())))?;
    let (parsed, directory) = match &rewritten {
        Some(r) => (r.text.as_str(), r.directory),
        None => (text, false),
    };
    let req = crate::pep::parse::requirement(parsed).map_err(|e| {
        // Offsets into the rewritten text mean nothing to the user: point at the start.
        let column = if rewritten.is_some() { 0 } else { e.offset };
        at(column0 + column + 1, e.message)
    })?;
    Ok((req, directory))
}

/// The text of `path` (a requirements or pyproject file), at most [`requirements_txt::MAX_FILE_LEN`] bytes of
/// UTF-8.
fn read_text(path: &Path) -> Result<String, ManifestError> {
    crate::util::read_text(path, requirements_txt::MAX_FILE_LEN, "a requirements file").map_err(
        |source| ManifestError::Io {
            path: path.to_owned(),
            source,
        },
    )
}

/// The directory relative paths on the command line are taken from.
fn current_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyproject_dependencies_and_requires_python() {
        let dir = std::env::temp_dir().join(format!("pylock-pyproject-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("pyproject.toml");
        std::fs::write(
            &path,
            "[project]\nname = \"app\"\nrequires-python = \">=3.10\"\ndependencies = [\n  \"a>=1\",\n  \"b[x]; python_version < '3.12'\",\n]\n",
        )
        .expect("write");
        let mut m = Manifest::default();
        m.add_file(&path, Role::Requirement).expect("reads");
        assert_eq!(m.requirements.len(), 2);
        assert_eq!(
            m.requires_python
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some(">=3.10")
        );

        std::fs::write(
            &path,
            "[project]\ndependencies = [\n  \"a>=1\",\n  \"b >>= 2\",\n]\n",
        )
        .expect("write");
        let err = Manifest::default()
            .add_file(&path, Role::Requirement)
            .expect_err("bad requirement");
        let msg = err.to_string();
        assert!(msg.contains("pyproject.toml:4:"), "{msg}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn direct_references_become_absolute_urls_from_where_they_are_written() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/direct");
        let reqs = std::env::temp_dir().join(format!("pylock-direct-req-{}", std::process::id()));
        std::fs::create_dir_all(&reqs).expect("mkdir");
        let file = reqs.join("requirements.txt");
        let rel = |p: &str| format!("{}/{p}", fixtures.display());
        std::fs::write(
            &file,
            format!(
                "-e {}\n{} ; python_version > '3'\nx @ https://h.example/x-1.0.tar.gz\n",
                rel("pkg"),
                rel("dwheel-1.0-py3-none-any.whl")
            ),
        )
        .expect("write");
        let mut m = Manifest::default();
        m.add_file(&file, Role::Requirement).expect("reads");
        let texts: Vec<String> = m.requirements.iter().map(ToString::to_string).collect();
        assert!(
            texts[0].starts_with("pkg @ file:///") && texts[0].ends_with("/tests/data/direct/pkg"),
            "{texts:?}"
        );
        assert!(
            texts[1].starts_with("dwheel @ file:///") && texts[1].contains(" ; python"),
            "{texts:?}"
        );
        assert_eq!(texts[2], "x @ https://h.example/x-1.0.tar.gz");
        assert_eq!(
            m.editable
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["pkg"]
        );
        // A relative path in a file is relative to the file: here, nothing is there.
        std::fs::write(&file, "./dwheel-1.0-py3-none-any.whl\n").expect("write");
        let err = Manifest::default()
            .add_file(&file, Role::Requirement)
            .expect_err("not beside the file")
            .to_string();
        assert!(
            err.contains("requirements.txt:1:1: `./dwheel-1.0-py3-none-any.whl`: cannot read"),
            "{err}"
        );
        std::fs::remove_dir_all(&reqs).ok();

        let err = Manifest::default()
            .add_str("git+https://h/x@v1", Role::Requirement)
            .expect_err("vcs")
            .to_string();
        assert!(
            err.contains("<command line>:1:1: `git+https://h/x@v1`: VCS requirements need a build"),
            "{err}"
        );
        Manifest::default()
            .add_str("x[a]>=1; python_version > '3'", Role::Requirement)
            .expect("plain requirement");
    }

    #[test]
    fn credentials_in_a_reference_are_never_in_an_error() {
        for bad in [
            "x @ https://alice:s3cretTOKEN@h.example/x-1.0.tar.gz#md5=00",
            "x @ https://alice:s3cretTOKEN@h.example/x-1.0.tar.gz junk",
            "x @ https://alice:s3cretTOKEN@h.example/y-1.0.tar.gz",
            "x @ https://s3cretTOKEN@h.example/x-1.0.tar.gz ; python_version >>",
            "https://alice:s3cretTOKEN@h.example/y-1.0.tar.gz[",
            "x @ ftp://alice:s3cretTOKEN@h.example/x-1.0.tar.gz",
        ] {
            let err = Manifest::default()
                .add_str(bad, Role::Requirement)
                .expect_err(bad)
                .to_string();
            assert!(!err.contains("s3cret"), "{err}");
            assert!(!err.contains("alice"), "{err}");
        }
        let err = Manifest::default()
            .add_str(
                "x @ https://alice:s3cretTOKEN@h.example/x-1.0.tar.gz#md5=00",
                Role::Requirement,
            )
            .expect_err("md5")
            .to_string();
        assert!(
            err.contains("`x @ https://h.example/x-1.0.tar.gz#md5=00`: `#md5=` hashes"),
            "{err}"
        );
        assert_eq!(
            direct::redact_text("`a @ https://u:p@h/x` and http://h2/y, git+ssh://git@h3`"),
            "`a @ https://h/x` and http://h2/y, git+ssh://h3`"
        );
    }

    #[test]
    fn command_line_errors_have_a_column() {
        let err = Manifest::default()
            .add_str("numpy >>= 1", Role::Requirement)
            .expect_err("bad");
        assert!(err.to_string().starts_with("<command line>:1:"), "{err}");
    }
}
