//! pylock: resolve Python requirements into one deterministic PEP 751 `pylock.toml`.
//!
//! # The pipeline
//!
//! Data flows one way. A [`Manifest`] says what to install (requirements, constraints,
//! overrides: PEP 508 strings, requirements files or a `pyproject.toml`); a [`Target`] says
//! where (every Python in a `requires-python` on every platform, or one Python on one
//! platform). [`resolve()`] asks an [`Index`] for project pages and core metadata and runs a
//! PubGrub solve; the [`Resolution`] it returns becomes a [`Lock`], written as PEP 751 TOML.
//!
//! ```
//! use pylock::{resolve, Lock, LockOptions, Manifest, MemoryIndex, Options, Role, Target};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut index = MemoryIndex::new();
//! index.add("a", "1.0.0", "", &["b>=2"], &["a-1.0.0-py3-none-any.whl"])?;
//! index.add("b", "2.0.0", "", &[], &["b-2.0.0-py3-none-any.whl"])?;
//! index.add("b", "1.0.0", "", &[], &["b-1.0.0-py3-none-any.whl"])?;
//!
//! let mut manifest = Manifest::default();
//! manifest.add_str("a", Role::Requirement)?;
//! // Every CPython from 3.10 on, on Linux, macOS and Windows: markers say where each package
//! // is needed. `Target::single("3.12", "linux", None)?` narrows to one environment.
//! let target = Target::universal(Some(">=3.10".parse()?));
//!
//! let resolution = resolve(&manifest, &target, &Options::default(), &index)?;
//! let lock = Lock::from_resolution(&resolution, &LockOptions::default());
//! let toml = lock.to_toml();
//!
//! assert!(toml.starts_with("lock-version = \"1.0\"\n"));
//! let pins: Vec<_> = lock.packages.iter().map(|p| format!("{}=={}", p.name, p.version)).collect();
//! assert_eq!(pins, ["a==1.0.0", "b==2.0.0"]);
//! # Ok(())
//! # }
//! ```
//!
//! [`Lock::write`] writes it to a file so that a reader never sees a half-written lock. A
//! project's multi-use lock (every extra and dependency group in one lock, what `pylock lock`
//! writes) comes from [`Project::lock`] on a [`Project`] read from its `pyproject.toml`.
//!
//! # Walking the dependency graph
//!
//! Each [`ResolvedPackage`] carries its [`Dependency`] edges: the entry each of its
//! requirements resolved to (name and version: a package locked at two versions, one per
//! environment, gets an edge to each), the marker where the edge applies, the extras asked
//! of the dependency and the extra of the package that brings it. [`Resolution::roots`] are
//! the manifest's requirements as edges. They come from the same metadata, overrides and
//! constraints the solver used.
//!
//! ```
//! use pylock::{resolve, Manifest, MemoryIndex, Options, Role, Target};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut index = MemoryIndex::new();
//! let app_requires = ["lib[fast]", "colorama; sys_platform == 'win32'", "rich; extra == 'cli'"];
//! index.add("app", "1.0", "", &app_requires, &["app-1.0-py3-none-any.whl"])?;
//! index.add("lib", "1.0", "", &["speedup; extra == 'fast'"], &["lib-1.0-py3-none-any.whl"])?;
//! for name in ["colorama", "rich", "speedup"] {
//!     index.add(name, "1.0", "", &[], &[format!("{name}-1.0-py3-none-any.whl").as_str()])?;
//! }
//! let mut manifest = Manifest::default();
//! manifest.add_str("app[cli]", Role::Requirement)?;
//! let resolution = resolve(&manifest, &Target::universal(None), &Options::default(), &index)?;
//!
//! let app = resolution.packages.iter().find(|p| p.name.as_ref() == "app").expect("app");
//! let edges: Vec<String> = app
//!     .dependencies
//!     .iter()
//!     .map(|d| {
//!         let via = d.via_extra.as_ref().map(|e| format!(" (extra {e})")).unwrap_or_default();
//!         let marker = d.marker.as_ref().map(|m| format!(" ; {m}")).unwrap_or_default();
//!         format!("{} {} {:?}{via}{marker}", d.name, d.version, d.extras)
//!     })
//!     .collect();
//! assert_eq!(edges, [
//!     "colorama 1.0 [] ; sys_platform == 'win32'",
//!     "lib 1.0 [ExtraName(\"fast\")]",
//!     "rich 1.0 [] (extra cli)",
//! ]);
//! assert_eq!(resolution.roots[0].name.as_ref(), "app");
//! # Ok(())
//! # }
//! ```
//!
//! # Embedding with the HTTP index
//!
//! [`HttpIndex`] reads PyPI, or any Simple Repository API server (PEP 503 HTML or PEP 691
//! JSON), fetching in parallel. [`HttpOptions::default()`] is PyPI with no cache; set
//! `cache_dir` to keep pages and metadata between runs (HTTP caching rules apply), `offline`
//! to use only the cache, `index_urls` / `find_links` for other sources, and `limits` to bound
//! what a server can make the resolver read.
//!
//! ```no_run
//! use pylock::{resolve, HttpIndex, HttpOptions, Lock, LockOptions, Manifest, Options, Role, Target};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let index = HttpIndex::new(HttpOptions {
//!     cache_dir: HttpOptions::default_cache_dir(),
//!     ..HttpOptions::default()
//! })?;
//! let mut manifest = Manifest::default();
//! manifest.add_str("django>=5", Role::Requirement)?;
//! let resolution = resolve(&manifest, &Target::universal(None), &Options::default(), &index)?;
//! let lock_options = LockOptions {
//!     // Recorded on each package, without any credentials the URL carries.
//!     index_url: Some(HttpOptions::PYPI.into()),
//!     lock_dir: Some(".".into()),
//!     ..LockOptions::default()
//! };
//! Lock::from_resolution(&resolution, &lock_options).write("pylock.toml".as_ref())?;
//! # Ok(())
//! # }
//! ```
//!
//! # Writing your own index
//!
//! The resolver reads packages only through the [`Index`] trait: a project's page (its files)
//! and one file's core metadata. Implement it to read from your own storage or transport; the
//! crate's parsers turn the bytes of a PEP 691 JSON page ([`ProjectPage::from_json`]), a PEP
//! 503 HTML page ([`ProjectPage::from_html`]) or a `METADATA` file ([`CoreMetadata::parse`])
//! into the types the trait returns, with the limits and error messages the built-in indexes
//! have.
//!
//! ```
//! use std::collections::HashMap;
//!
//! use pylock::{
//!     resolve, CoreMetadata, DistFile, Index, IndexError, Manifest, Options, PackageName,
//!     ProjectPage, Role, Target,
//! };
//!
//! /// Pages and metadata files fetched beforehand, by project name and by file name.
//! struct Vendored {
//!     pages: HashMap<String, Vec<u8>>,
//!     metadata: HashMap<String, Vec<u8>>,
//! }
//!
//! impl Index for Vendored {
//!     fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
//!         let Some(bytes) = self.pages.get(name.as_ref()) else { return Ok(None) };
//!         // Relative file URLs on the page are resolved against the page's URL.
//!         let url = format!("https://vendored.invalid/simple/{name}/").parse().expect("url");
//!         ProjectPage::from_json(bytes, &url, name).map(Some)
//!     }
//!
//!     fn metadata(&self, file: &DistFile) -> Result<CoreMetadata, IndexError> {
//!         match self.metadata.get(file.filename()) {
//!             Some(bytes) => CoreMetadata::parse(bytes, &file.url()),
//!             None => Err(IndexError::NoMetadata { filename: file.filename().to_owned() }),
//!         }
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let page = br#"{"meta": {"api-version": "1.1"}, "name": "hello", "files": [
//!     {"filename": "hello-1.0-py3-none-any.whl", "url": "../../files/hello-1.0-py3-none-any.whl",
//!      "hashes": {"sha256": "0000000000000000000000000000000000000000000000000000000000000000"},
//!      "core-metadata": true}]}"#;
//! let metadata = b"Metadata-Version: 2.1\nName: hello\nVersion: 1.0\n";
//! let index = Vendored {
//!     pages: HashMap::from([("hello".to_owned(), page.to_vec())]),
//!     metadata: HashMap::from([("hello-1.0-py3-none-any.whl".to_owned(), metadata.to_vec())]),
//! };
//!
//! let mut manifest = Manifest::default();
//! manifest.add_str("hello", Role::Requirement)?;
//! let target = Target::single("3.12", "linux", None)?;
//! let resolution = resolve(&manifest, &target, &Options::default(), &index)?;
//! assert_eq!(resolution.packages[0].version.to_string(), "1.0");
//! assert_eq!(
//!     resolution.packages[0].files[0].url(),
//!     "https://vendored.invalid/files/hello-1.0-py3-none-any.whl"
//! );
//! # Ok(())
//! # }
//! ```
//!
//! [`LocalIndex`] reads a static index directory on disk (as `pylock index snapshot` writes
//! them) and [`MemoryIndex`] is built in code, for tests and examples.
//!
//! # Reading the explanation of a failure
//!
//! When no set of versions satisfies the requirements, [`resolve()`] returns
//! [`ResolveError::NoSolution`], whose `explanation` is the derivation in words, one step a
//! line, each naming the packages and version ranges involved and ending with the
//! requirement that cannot be met; its `facts` are the same derivation's leaves as data
//! ([`Fact`]: requirements, dependencies, gaps in the index, versions that cannot be used). [`ResolveError::Index`] names the file or URL at fault;
//! [`ResolveError::TooManyForks`], [`ResolveError::Unsplittable`] and
//! [`ResolveError::Backtracking`] are limits of the solver that a narrower target or tighter
//! requirements get around.
//!
//! ```
//! use pylock::{resolve, Fact, Manifest, MemoryIndex, Options, ResolveError, Role, Target};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut index = MemoryIndex::new();
//! index.add("web", "1.0", "", &["http<2"], &["web-1.0-py3-none-any.whl"])?;
//! index.add("api", "1.0", "", &["http>=2"], &["api-1.0-py3-none-any.whl"])?;
//! index.add("http", "1.5", "", &[], &["http-1.5-py3-none-any.whl"])?;
//! index.add("http", "2.0", "", &[], &["http-2.0-py3-none-any.whl"])?;
//!
//! let mut manifest = Manifest::default();
//! manifest.add_str("web", Role::Requirement)?;
//! manifest.add_str("api", Role::Requirement)?;
//! let target = Target::single("3.12", "linux", None)?;
//!
//! match resolve(&manifest, &target, &Options::default(), &index) {
//!     Err(ResolveError::NoSolution { explanation, facts }) => {
//!         assert!(explanation.contains("web==1.0 depends on http<2"), "{explanation}");
//!         assert!(explanation.contains("api==1.0 depends on http>=2"), "{explanation}");
//!         assert!(explanation.ends_with("your requirements cannot be satisfied."));
//!         // The same derivation as data: what the manifest requires, what depends on what.
//!         assert!(facts.contains(&Fact::Required { package: "web".into(), versions: "any version".into() }));
//!         assert!(facts.iter().any(|f| matches!(f,
//!             Fact::Depends { package, dependency, dependency_versions, .. }
//!                 if package == "api" && dependency == "http" && dependency_versions == ">=2"
//!         )), "{facts:?}");
//!     }
//!     other => panic!("expected a conflict, got {other:?}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Reading, comparing and checking locks
//!
//! [`LockFile`] reads any tool's PEP 751 lock (pylock's, uv's, pdm's, pip's) into the same
//! [`Lock`] model; [`LockFile::diff`] compares two ([`LockDiff`]: per package, as text or a
//! Markdown table), [`LockFile::select`] says what an installer takes from it in one
//! environment, and [`LockFile::verify`] checks that it installs in every environment it
//! claims, reading dependencies from an [`Index`] ([`VerifyReport`]).
//!
//! ```no_run
//! use pylock::{LocalIndex, LockFile, VerifyOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let old = LockFile::read("old/pylock.toml".as_ref())?;
//! let new = LockFile::read("pylock.toml".as_ref())?;
//! print!("{}", old.diff(&new).to_markdown());
//! let report = new.verify(&VerifyOptions::default(), &LocalIndex::new("index/simple")?)?;
//! for env in report.environments.iter().filter(|e| e.claimed) {
//!     println!("{}: {} problems", env.name, env.problems.len());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Caches
//!
//! What a resolve fetches and derives (project pages, core metadata, each version's
//! dependencies) lives in state owned by that [`resolve()`] call and is dropped when it
//! returns; [`HttpIndex`] keeps its HTTP cache on disk, where [`HttpOptions::cache_dir`]
//! says, and nowhere else. Besides, four pure functions of PEP 508 markers remember their
//! answers process-wide: whether a marker holds in some real environment, a marker with its
//! `extra`s decided, the shortest form of a marker within the environments a lock covers,
//! and the marker of a wheel tag. Each memo holds at most 10 000 or 100 000 answers and
//! starts over when full: far above what real resolves ask (the universal resolve of the
//! `large` benchmark set, a lock of 350 entries, fills at most 1 068 entries of any of
//! them). They are process-wide by design, not per resolve:
//! - an answer depends only on its arguments, so nothing one resolve remembers can change
//!   what another computes, and starting over only costs recomputing;
//! - the markers they are keyed on are handles into `pep508_rs`'s process-wide interner,
//!   which keeps every marker node built, and the result of every `and` of two, for the
//!   life of the process: a per-resolve memo would not bound that, and these memos only add
//!   handles to it;
//! - resolves in one process ask the same questions (a universal resolve's forks, solved in
//!   parallel; the separate resolves of a project's conflicting extras in
//!   [`Project::lock`]; an embedder locking one project for several targets), and a
//!   shared memo answers them once;
//! - a per-resolve memo would have to be passed to the 53 calls of these functions in 17
//!   files, and through every function between them and a resolve (from the solver's fork
//!   planning to the lock differ), for no gain in a process that resolves once, as the
//!   command line does: there the two hold the same entries.
//!
//! The ranges of version specifiers and of Requires-Python are remembered per thread (at most
//! 1 024 of each, starting over when full), so that the solver and the fetch workers never
//! wait on one another: a thread that called [`resolve()`] keeps at most those entries
//! afterwards, pure like the others.
//!
//! What a resolve no longer needs when it returns (the pages, metadata and dependencies it
//! read: tens of megabytes in thousands of pieces) is freed on a short-lived thread of its
//! own, so that [`resolve()`] returns without waiting for it; such a thread may still be
//! running, touching nothing of the caller's, just after `resolve()` returns.
//!
//! # What is stable
//!
//! Everything public is at the crate root (the modules are private), 39 items, each one
//! something an embedder names:
//! - the pipeline: [`Manifest`] (with [`Role`] and the requirements files' [`FileOptions`]),
//!   [`Project`] (with [`Selection`] and [`GroupName`]; [`Project::lock`] writes a multi-use
//!   lock), [`Target`], [`Options`] (with [`PrereleaseMode`] and [`ResolutionMode`]),
//!   [`resolve()`], [`Resolution`], [`ResolvedPackage`], [`Dependency`];
//! - the lock model and its writer: [`Lock`] ([`Lock::to_toml`], [`Lock::write`]),
//!   [`LockedPackage`], [`LockedFile`], [`Source`], and [`LockOptions`], which also says
//!   what a lock records of the run that wrote it (its `[tool.pylock]` table:
//!   [`LockOptions::record`], [`LockOptions::inputs_digest`]);
//! - lock reading: [`LockFile`] (with [`LockFile::pins`] for a re-lock), [`LockDiff`] and
//!   its [`PackageChange`]s, [`VerifyOptions`], [`VerifyReport`] and its
//!   [`EnvironmentReport`]s;
//! - the [`Index`] trait with its data types ([`ProjectPage`], [`DistFile`],
//!   [`CoreMetadata`], [`DirectDist`]) and implementations ([`LocalIndex`], with
//!   [`LocalIndex::snapshot`] to record one from a live index; [`HttpIndex`] with
//!   [`HttpOptions`] and [`Limits`]; [`MemoryIndex`]);
//! - the errors: [`ResolveError`] with its [`Fact`]s, [`IndexError`], [`ManifestError`].
//!
//! The PEP 440/508 types in their signatures are re-exported from `pep440_rs` 0.7 and
//! `pep508_rs` 0.9 ([`Version`], [`VersionSpecifiers`], [`PackageName`], [`ExtraName`],
//! [`Requirement`], [`MarkerTree`], [`MarkerEnvironment`]), [`Timestamp`] from `jiff` 0.2; no
//! `pubgrub` type appears in the API. The `fuzzing` module is hidden from the docs and not
//! part of the stable API: it exists for the crate's fuzz targets.
//!
//! What the crate keeps to itself, by design: the solver's types and its caches (see
//! "Caches" below), the HTTP client, the parsers' internals, and the record a lock keeps of
//! the run that wrote it (set through [`LockOptions`], read back through
//! [`LockFile::pins`]).
//!
//! Until 1.0, a release that changes these in an incompatible way bumps the minor version
//! (0.1 → 0.2), and so does moving to an incompatible release of a re-exported crate. Within
//! a minor version the API only grows:
//! - the error enums and [`Fact`], and the enums of options and lock entries
//!   ([`PrereleaseMode`], [`ResolutionMode`], [`Source`]), are `#[non_exhaustive]`: they may
//!   gain variants, so a `match` needs a wildcard arm; [`PackageChange::kind`] may return
//!   new words;
//! - the result types ([`Resolution`], [`ResolvedPackage`], [`Dependency`], [`Lock`] and its
//!   entries, [`LockDiff`], [`PackageChange`], [`VerifyReport`] and its
//!   [`EnvironmentReport`]s) and [`Options`] are `#[non_exhaustive]`: they may gain fields;
//!   start an [`Options`] from [`Options::default`] or [`Options::from_manifest`] and set
//!   its fields;
//! - [`HttpOptions`], [`Limits`], [`LockOptions`] and [`VerifyOptions`] may gain fields too:
//!   build them with `..Default::default()`, as the examples do;
//! - the [`Index`] trait may gain methods, always with a default.
//!
//! The text of explanations, warnings and error messages is for people and may change in
//! any release: match on error variants and read [`Fact`]s, not text.
//!
//! The library never prints and never panics on input: every failure is an error value that
//! names the file, line or URL at fault.

#![warn(unnameable_types)]

/// The crate README's examples, compiled and run as doctests so that they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[doc(hidden)]
pub mod fuzzing;
mod index;
mod lock;
mod manifest;
mod pep;
mod project;
mod resolve;
mod snapshot;
mod util;
mod verify;

pub use index::{
    CoreMetadata, DirectDist, DistFile, HttpIndex, HttpOptions, Index, IndexError, Limits,
    LocalIndex, MemoryIndex, ProjectPage,
};
pub use lock::{
    Lock, LockDiff, LockFile, LockOptions, LockedFile, LockedPackage, PackageChange, Source,
};
pub use manifest::{
    FileOptions, GroupName, Manifest, ManifestError, Project, Role, Selection, Target,
};
pub use resolve::{
    resolve, Dependency, Fact, Options, PrereleaseMode, Resolution, ResolutionMode, ResolveError,
    ResolvedPackage,
};
pub use verify::{EnvironmentReport, VerifyOptions, VerifyReport};

/// An instant (UTC), as in [`Options::exclude_newer`] (`jiff`'s type).
#[doc(no_inline)]
pub use jiff::Timestamp;
/// PEP 440 versions and specifiers (`pep440_rs`'s types), as in [`ResolvedPackage::version`]
/// and [`Target::universal`].
#[doc(no_inline)]
pub use pep440_rs::{Version, VersionSpecifiers};
/// PEP 508 names, extras, requirements and markers (`pep508_rs`'s types).
#[doc(no_inline)]
pub use pep508_rs::{ExtraName, MarkerEnvironment, MarkerTree, PackageName, Requirement};
