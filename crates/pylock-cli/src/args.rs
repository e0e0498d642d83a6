//! Command-line arguments. Flag names follow `uv pip compile`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Resolve Python requirements into one deterministic PEP 751 pylock.toml.
#[derive(Parser, Debug)]
#[command(name = "pylock", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Resolve requirements and write a pylock.toml.
    Resolve(ResolveArgs),
    /// Work with package indexes.
    #[command(subcommand)]
    Index(IndexCommand),
    // `pylock lock` (issue 11): multi-use project locks.
    /// Lock a project for every selection of its extras and dependency groups: one universal,
    /// multi-use pylock.toml (PEP 751) beside its pyproject.toml.
    ///
    /// The lock lists every extra (`extras`) and dependency group (`dependency-groups`);
    /// `default-groups` is `["dev"]` when the project declares a `dev` group (uv installs it
    /// by default), else absent. Each package's marker says which selections need it
    /// (`'gpu' in extras`, `'test' in dependency_groups`, with environment markers). Extras
    /// and groups that need incompatible versions (found by themselves, or declared in
    /// `[tool.pylock] conflicts = [[{ extra = "a" }, { extra = "b" }], [{ group = "x" }, ...]]`)
    /// are resolved apart; selecting them together is impossible, said in a warning, and an
    /// installer asked for that finds two versions of a package and refuses. The project
    /// itself is the lock's root, not a package of the lock. The flags of `pylock resolve`
    /// apply, but for inputs and selections (REQ, -r, --extra, --group, ...): the lock is
    /// for all of them. `-c`/`--override` files apply to every selection.
    #[command(
        mut_arg("requirements", |a| a.hide(true)),
        mut_arg("requirement_files", |a| a.hide(true)),
        mut_arg("extras", |a| a.hide(true)),
        mut_arg("all_extras", |a| a.hide(true)),
        mut_arg("groups", |a| a.hide(true)),
        mut_arg("all_groups", |a| a.hide(true)),
        mut_arg("only_groups", |a| a.hide(true))
    )]
    Lock(LockArgs),

    // Lock lifecycle (issue 12).
    /// Show what changes between two PEP 751 locks (any tool's): packages added, removed,
    /// upgraded, downgraded, moved to other environments or offering other files.
    Diff(DiffArgs),
    /// Check that a PEP 751 lock (any tool's) installs in every environment it claims.
    Verify(VerifyArgs),
}

/// `pylock lock`.
#[derive(Args, Debug)]
pub struct LockArgs {
    /// The project directory (the one with pyproject.toml). Without -o the lock is
    /// written there as pylock.toml (`-o FILE` is relative to the current directory).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub project: PathBuf,

    /// Where packages come from, for which environments, and how (the flags of
    /// `pylock resolve`).
    #[command(flatten)]
    pub resolve: ResolveArgs,
}

/// `pylock diff`.
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The old lock.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,

    /// The new lock.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,

    /// How to write the differences: aligned text, or a Markdown table for a pull request.
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "markdown"])]
    pub format: String,

    /// Exit 1 when the locks differ (default: exit 0 whatever the difference).
    #[arg(long)]
    pub exit_code: bool,
}

/// `pylock verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The lock to check.
    #[arg(value_name = "LOCK", default_value = "pylock.toml")]
    pub lock: PathBuf,

    /// The requirements the lock must satisfy (pip requirements syntax, or a
    /// pyproject.toml or its directory); without any, only the dependencies of what the
    /// lock selects are checked.
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    pub requirement_files: Vec<PathBuf>,

    /// Constraints that must hold for the selected packages.
    #[arg(short = 'c', long = "constraint", value_name = "FILE")]
    pub constraint_files: Vec<PathBuf>,

    /// The index to read dependencies from: a Simple API root URL or a local directory
    /// (default: a requirements file's `-i`, else https://pypi.org/simple).
    #[arg(
        long,
        short = 'i',
        visible_alias = "index-dir",
        value_name = "URL_OR_PATH"
    )]
    pub index_url: Option<String>,

    /// Further indexes, after --index-url.
    #[arg(long, value_name = "URL")]
    pub extra_index_url: Vec<String>,

    /// Where to cache HTTP responses (default: the platform cache directory).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Use no network at all: everything must come from the cache.
    #[arg(long)]
    pub offline: bool,

    /// Check only this Python version (X.Y or X.Y.Z).
    #[arg(long, value_name = "X.Y[.Z]")]
    pub python_version: Option<String>,

    /// Check only this platform (as `pylock resolve --python-platform`).
    #[arg(long, value_name = "PLATFORM")]
    pub python_platform: Option<String>,

    /// Install this extra (repeatable): selects the lock's `'x' in extras` entries, and
    /// the extra of pyproject.toml inputs.
    #[arg(long = "extra", value_name = "NAME")]
    pub extras: Vec<String>,

    /// Install this dependency group (repeatable; default: the lock's default-groups).
    #[arg(long = "group", value_name = "NAME")]
    pub groups: Vec<String>,

    /// Print only failures.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `pylock index ...`.
#[derive(Subcommand, Debug)]
pub enum IndexCommand {
    /// Resolve requirements against a live index (universal, and for CPython 3.12 on Linux)
    /// and write what the resolves read as a closed static index (the contract.md layout),
    /// for offline tests and benchmarks. Pass --exclude-newer to make it reproducible.
    Snapshot(SnapshotArgs),
}

/// `pylock index snapshot`.
#[derive(Args, Debug)]
pub struct SnapshotArgs {
    /// The directory to write (`<out>/simple`, `<out>/files`, `<out>/snapshot.json`).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// What to resolve and where from (the flags of `pylock resolve`).
    #[command(flatten)]
    pub resolve: ResolveArgs,
}

/// `pylock resolve`.
#[derive(Args, Debug)]
pub struct ResolveArgs {
    /// Requirements (PEP 508), such as `requests>=2` or `black[d]; python_version >= "3.10"`.
    /// An existing file named `*.txt`, `*.in` or `*.toml`, or a directory with a
    /// `pyproject.toml`, is read as with `-r`.
    #[arg(value_name = "REQ")]
    pub requirements: Vec<String>,

    /// Read requirements from a file (pip requirements syntax, or a pyproject.toml).
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    pub requirement_files: Vec<PathBuf>,

    /// Add a project extra (repeatable; applies to every pyproject.toml input).
    #[arg(long = "extra", value_name = "NAME")]
    pub extras: Vec<String>,

    /// Add every extra of the pyproject.toml inputs.
    #[arg(long)]
    pub all_extras: bool,

    /// Add a dependency group (PEP 735; repeatable): `NAME` for every pyproject.toml input,
    /// or `PATH:NAME` (pip's spelling) for that file only, which is then an input too.
    #[arg(long = "group", value_name = "[PATH:]NAME")]
    pub groups: Vec<String>,

    /// Add every dependency group of the pyproject.toml inputs.
    #[arg(long)]
    pub all_groups: bool,

    /// Lock only this dependency group, without the project's dependencies (repeatable).
    #[arg(long = "only-group", value_name = "NAME")]
    pub only_groups: Vec<String>,

    /// Constrain versions with a file: limits a package's versions if it is installed.
    #[arg(short = 'c', long = "constraint", value_name = "FILE")]
    pub constraint_files: Vec<PathBuf>,

    /// Override requirements with a file: an override replaces every requirement on its package.
    #[arg(long = "override", alias = "overrides", value_name = "FILE")]
    pub override_files: Vec<PathBuf>,

    /// The package index: a Simple API root URL or a local directory (`<index>/simple`).
    /// Default: a requirements file's `-i`, else https://pypi.org/simple.
    #[arg(long, short = 'i', value_name = "URL_OR_PATH")]
    pub index_url: Option<String>,

    /// Use no index, only --find-links (also from a requirements file).
    #[arg(long)]
    pub no_index: bool,

    /// Further indexes, after --index-url. The first index that has a project supplies all
    /// of its versions; later indexes are not consulted for it, so a public index cannot
    /// shadow a private package of the same name (dependency confusion).
    #[arg(long, value_name = "URL")]
    pub extra_index_url: Vec<String>,

    /// Directories or pages of distribution files to consider besides the indexes.
    #[arg(long, short = 'f', value_name = "DIR_OR_URL")]
    pub find_links: Vec<String>,

    /// Where to cache HTTP responses (default: the platform cache directory, e.g.
    /// ~/.cache/pylock).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<std::path::PathBuf>,

    /// Do not read or write the HTTP cache.
    #[arg(long, conflicts_with_all = ["offline", "cache_dir"])]
    pub no_cache: bool,

    /// Revalidate every cached response with the server.
    #[arg(long)]
    pub refresh: bool,

    /// Use no network at all: everything must come from the cache (however old).
    #[arg(long)]
    pub offline: bool,

    /// The longest one HTTP request may take, its retries included; a request that failed
    /// is not tried again in the same run.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0, value_parser = parse_timeout)]
    pub timeout: f64,

    /// How many index requests may run at once (default: 32 over HTTP, one per core for a
    /// local directory). Over HTTP this is the most per server: fewer run while a server's
    /// answers slow down under load.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: Option<u16>,

    /// Lock for this Python version (X.Y or X.Y.Z).
    #[arg(long, value_name = "X.Y[.Z]")]
    pub python_version: Option<String>,

    /// Lock for this platform: linux, macos, windows, or a triple such as
    /// x86_64-unknown-linux-gnu, aarch64-apple-darwin, x86_64-manylinux_2_17.
    #[arg(long, value_name = "PLATFORM")]
    pub python_platform: Option<String>,

    /// The oldest macOS the lock must install on (default: 14, the oldest release Apple
    /// still supports). macOS wheels built for a newer release (torch's `macosx_14_0_arm64`
    /// needs 14) are used only when this admits them; warnings say when it is why macOS is
    /// left out. Also applies to --python-platform macos and the *-apple-darwin triples.
    #[arg(long, value_name = "X[.Y]")]
    pub macos_version: Option<String>,

    /// The glibc version of the oldest Linux the lock must install on, as manylinux wheel
    /// tags name it (default: 2.28, RHEL 8 / Debian 11 and later, the floor of current
    /// manylinux images). Wheels tagged for a newer glibc are not used. Also applies to
    /// --python-platform linux and the *-linux-gnu triples (an `x86_64-manylinux_2_17`
    /// platform keeps its own).
    #[arg(long, value_name = "X.Y")]
    pub manylinux: Option<String>,

    /// The Pythons the lock must support (default: the target Python's minor version).
    #[arg(long, value_name = "SPEC")]
    pub requires_python: Option<String>,

    /// Allow pre-releases, as pip's --pre (the same as --prerelease allow, which wins).
    #[arg(long)]
    pub pre: bool,

    /// Use only wheels for these packages (comma-separated names, `:all:` or `:none:`,
    /// as pip; applied after a requirements file's, --no-binary values first).
    #[arg(long, value_name = "NAMES")]
    pub only_binary: Vec<String>,

    /// Use only source distributions for these packages (as --only-binary).
    #[arg(long, value_name = "NAMES")]
    pub no_binary: Vec<String>,

    /// When to choose pre-release versions.
    #[arg(long, value_name = "MODE", value_parser = ["disallow", "allow", "if-necessary", "explicit", "if-necessary-or-explicit"])]
    pub prerelease: Option<String>,

    /// Which version to prefer.
    #[arg(long, value_name = "MODE", value_parser = ["highest", "lowest", "lowest-direct"])]
    pub resolution: Option<String>,

    /// Ignore files uploaded after this instant: RFC 3339 (2024-03-25T00:00:00Z), a date
    /// (2024-03-25: files of that day, UTC, are kept) or a span back from now (`7 days`,
    /// `24 hours`, `P7D`).
    #[arg(long, value_name = "WHEN")]
    pub exclude_newer: Option<String>,

    /// Ignore the existing lock (the output file, or --lock): take the newest versions that
    /// fit. By default each version the existing lock holds is kept where it still fits.
    #[arg(short = 'U', long)]
    pub upgrade: bool,

    /// Let this package move while the rest of the existing lock is kept (repeatable);
    /// `NAME==VERSION` prefers that version instead.
    #[arg(short = 'P', long = "upgrade-package", value_name = "NAME[==VERSION]")]
    pub upgrade_package: Vec<String>,

    /// The existing lock whose versions are kept where they fit (default: the output file).
    #[arg(long = "lock", value_name = "FILE")]
    pub lock: Option<PathBuf>,

    /// Fail when a universal lock would leave out environments where no version installs
    /// (above a package's Requires-Python cap, or without a file for a platform) instead of
    /// leaving them out with a warning.
    #[arg(long)]
    pub strict: bool,

    /// Where to write the lock, relative to the current directory; `-` for standard
    /// output [default: pylock.toml; for `pylock lock`, pylock.toml in the project
    /// directory].
    #[arg(short = 'o', long = "output-file", value_name = "FILE")]
    pub output_file: Option<String>,

    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,

    // Lock lifecycle (issue 12).
    /// Write nothing: exit 0 when the existing lock (--lock, else the output file) is
    /// byte-identical to the one this run would write with it as preferences, else exit 1
    /// with what would change. A missing lock fails too.
    #[arg(long, alias = "locked")]
    pub check: bool,
}

impl ResolveArgs {
    /// Where the lock goes: `-o`, else `pylock.toml` (`-` is standard output).
    pub fn output(&self) -> &str {
        self.output_file.as_deref().unwrap_or("pylock.toml")
    }
}

/// A timeout in seconds: positive and finite.
fn parse_timeout(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Ok(s),
        _ => Err(format!(
            "`{text}` is not a number of seconds between 0 and 86400"
        )),
    }
}
