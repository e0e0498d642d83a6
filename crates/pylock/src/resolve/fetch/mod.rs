//! Pages and metadata for one resolve, shared by all its forks, fetched in parallel ahead of
//! the solver: when a version's dependencies become known, their project pages (and the
//! metadata of the version each is likely to get) are queued for worker threads, so the solver
//! rarely waits on a request it could have started earlier.
//!
//! Each kind of value (pages, versions' metadata, single files' metadata) is a
//! [`SlotMap`](slots::SlotMap): fetched once, by a worker or by whoever needs it first, the
//! others waiting. The [`executor`] runs the prefetch jobs on worker threads; [`prefetch`]
//! decides what is read ahead, and when.

mod executor;
mod prefetch;
mod slots;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;

pub use super::candidates::required_hashes;
use super::candidates::{Candidate, Candidates, FileFilter};
use crate::index::{CoreMetadata, DistFile, Index, IndexError};
use crate::manifest::BinaryPolicy;
use crate::pep::tags::Tags;
use crate::pep::{MarkerEnvironment, PackageName, Range, Version};
use crate::util::lock;
use executor::Executor;
pub(crate) use prefetch::lowest_python;
use slots::SlotMap;

/// What decides which files of a page are usable, owned so workers can apply it.
#[derive(Default)]
pub struct FilterSpec {
    /// The target Python (single-environment targets).
    pub python: Option<Version>,
    /// The target wheel tags (single-environment targets).
    pub tags: Option<Tags>,
    /// `--exclude-newer`.
    pub exclude_newer: Option<Timestamp>,
    /// Versions whose yanked files are allowed.
    pub allowed_yanks: HashSet<(PackageName, Version)>,
    /// The target's marker values (single-environment targets): which dependencies to
    /// prefetch.
    pub env: Option<MarkerEnvironment>,
    /// The lowest Python of a universal target: the version its fork takes is read ahead
    /// too where the newest one's Requires-Python leaves that Python out.
    pub lowest_python: Option<Version>,
}

/// The user's restrictions on files, beside the target's: formats and hashes.
#[derive(Default)]
pub struct FilePolicy {
    /// `--only-binary` / `--no-binary`.
    pub binary: BinaryPolicy,
    /// Required hashes per package (see [`required_hashes`]).
    pub hashes: HashMap<PackageName, (BTreeSet<String>, String)>,
    /// Packages from direct references (see [`FileFilter::direct`]).
    pub direct: HashSet<PackageName>,
}

/// A job for the workers.
enum Job {
    /// A page, and the metadata of the version likely chosen within the range.
    Page(PackageName, Range),
    Metadata(PackageName, Arc<Candidate>),
    /// The metadata of one file (a wheel whose metadata may differ from its version's other
    /// wheels').
    FileMetadata(Arc<DistFile>),
}

type Page = Option<Arc<Candidates>>;

/// `produce`, a panic in it (a bug, here or in an index implementation) turned into an error
/// naming `what`.
fn guarded<T>(
    what: &str,
    produce: impl FnOnce() -> Result<T, IndexError>,
) -> Result<T, IndexError> {
    crate::util::catch_panic(produce).unwrap_or_else(|message| {
        Err(IndexError::Internal {
            what: what.to_owned(),
            message,
        })
    })
}

/// The shared store of fetched pages and metadata, with its prefetch queue.
pub struct Fetcher<'a> {
    index: &'a dyn Index,
    filter: FilterSpec,
    policy: FilePolicy,
    pages: SlotMap<PackageName, Page>,
    metadata: SlotMap<(PackageName, Version), Arc<CoreMetadata>>,
    /// The prefetch jobs and the threads that run them.
    executor: Executor<Job>,
    /// Versions whose dependencies are known only after a build, with the reason: asked
    /// once, not again for every fork and restart (an sdist download each).
    unbuilt: Mutex<BTreeMap<(PackageName, Version), String>>,
    /// Metadata of single files, keyed by file URL: for versions whose wheels differ.
    file_metadata: SlotMap<String, Arc<CoreMetadata>>,
    /// Versions to read ahead first (an existing lock's), newest first.
    preferred: HashMap<PackageName, Vec<Version>>,
}

impl<'a> Fetcher<'a> {
    /// A store over `index`, judging files with `filter`.
    pub fn new(index: &'a dyn Index, filter: FilterSpec) -> Self {
        Self {
            index,
            filter,
            policy: FilePolicy::default(),
            pages: SlotMap::new(),
            metadata: SlotMap::new(),
            executor: Executor::new(),
            unbuilt: Mutex::new(BTreeMap::new()),
            file_metadata: SlotMap::new(),
            preferred: HashMap::new(),
        }
    }

    /// The same store, also applying the user's file `policy`.
    pub fn with_policy(self, policy: FilePolicy) -> Self {
        Self { policy, ..self }
    }

    /// The same store, reading ahead the `preferred` versions (an existing lock's) where
    /// they fit, rather than the newest ones.
    pub fn with_preferences(mut self, preferred: &[(PackageName, Version)]) -> Self {
        for (name, version) in preferred {
            self.preferred
                .entry(name.clone())
                .or_default()
                .push(version.clone());
        }
        for versions in self.preferred.values_mut() {
            versions.sort_by(|a, b| b.cmp(a));
        }
        self
    }

    /// The preferred versions of `name`, newest first.
    fn preferred(&self, name: &PackageName) -> &[Version] {
        self.preferred.get(name).map_or(&[], Vec::as_slice)
    }

    fn build(&self, name: &PackageName) -> Result<Page, IndexError> {
        // Index reads run on worker threads that the solver waits for: a panic must become
        // an answer, not a slot left running forever.
        guarded(&format!("the page of {name}"), || {
            self.build_unguarded(name)
        })
    }

    fn build_unguarded(&self, name: &PackageName) -> Result<Page, IndexError> {
        let page = self.index.project(name)?;
        let filter = FileFilter {
            python: self.filter.python.as_ref(),
            tags: self.filter.tags.as_ref(),
            exclude_newer: self.filter.exclude_newer,
            allowed_yanks: &self.filter.allowed_yanks,
            binary: &self.policy.binary,
            hashes: &self.policy.hashes,
            direct: &self.policy.direct,
        };
        Ok(page.map(|p| Arc::new(Candidates::new(p, &filter))))
    }

    /// The candidates of `name` (`None`: the index has no such project), waiting for a
    /// worker that is fetching them, or fetching them here.
    pub fn page(&self, name: &PackageName) -> Result<Page, IndexError> {
        self.pages.get_or_produce(name, || self.build(name))
    }

    /// The candidates of `name` if already fetched (`Some(None)`: the index has no such
    /// project).
    pub fn page_if_ready(&self, name: &PackageName) -> Option<Page> {
        self.pages.if_ready(name)
    }

    /// The core metadata of `candidate` of `name`, read from one of its files.
    pub fn metadata(
        &self,
        name: &PackageName,
        candidate: &Candidate,
    ) -> Result<Arc<CoreMetadata>, IndexError> {
        let key = (name.clone(), candidate.version.clone());
        (self.metadata).get_or_produce(&key, || self.read_metadata(name, candidate))
    }

    /// The metadata of one file (for versions whose wheels carry different metadata).
    pub fn file_metadata(&self, file: &DistFile) -> Result<Arc<CoreMetadata>, IndexError> {
        (self.file_metadata).get_or_produce(&file.url.to_string(), || self.index_metadata(file))
    }

    /// The metadata of one file, if already read.
    pub fn file_metadata_if_ready(&self, file: &DistFile) -> Option<Arc<CoreMetadata>> {
        self.file_metadata.if_ready(&file.url.to_string())
    }

    /// Metadata already read for `name` at `version`.
    pub fn metadata_if_ready(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Option<Arc<CoreMetadata>> {
        self.metadata.if_ready(&(name.clone(), version.clone()))
    }

    fn read_metadata(
        &self,
        name: &PackageName,
        candidate: &Candidate,
    ) -> Result<Arc<CoreMetadata>, IndexError> {
        let key = (name.clone(), candidate.version.clone());
        if let Some(reason) = lock(&self.unbuilt).get(&key) {
            return Err(IndexError::DynamicMetadata {
                project: format!("{name} {}", candidate.version),
                reason: reason.clone(),
            });
        }
        let result = self.read_any_metadata(name, candidate);
        if let Err(IndexError::DynamicMetadata { reason, .. }) = &result {
            lock(&self.unbuilt).insert(key, reason.clone());
        }
        result
    }

    /// Versions found to need a build to know their dependencies, with the reason.
    pub fn unbuilt(&self) -> BTreeMap<(PackageName, Version), String> {
        lock(&self.unbuilt).clone()
    }

    fn read_any_metadata(
        &self,
        name: &PackageName,
        candidate: &Candidate,
    ) -> Result<Arc<CoreMetadata>, IndexError> {
        // All wheels of a version share metadata: read one, preferring an installable wheel.
        let has_metadata = |f: &&Arc<DistFile>| f.core_metadata.is_some();
        let file = candidate
            .files()
            .iter()
            .rev()
            .find(has_metadata)
            .or_else(|| {
                candidate
                    .all_files()
                    .iter()
                    .filter(|f| f.is_wheel())
                    .find(has_metadata)
            })
            .or_else(|| candidate.all_files().iter().find(has_metadata))
            .or_else(|| candidate.files().iter().rev().find(|f| f.is_wheel()))
            .or_else(|| candidate.all_files().iter().find(|f| f.is_wheel()))
            .or_else(|| candidate.all_files().first())
            .ok_or_else(|| IndexError::NoMetadata {
                filename: format!("{name}=={}", candidate.version),
            })?;
        self.index_metadata(file)
    }

    /// The index's metadata of `file`, a panic in the index turned into an error.
    fn index_metadata(&self, file: &DistFile) -> Result<Arc<CoreMetadata>, IndexError> {
        let what = format!("the metadata of {}", file.filename());
        Ok(Arc::new(guarded(&what, || self.index.metadata(file))?))
    }

    /// Run `solve` with up to `max` prefetching threads (starting with one per core, at least
    /// four), stopping them when it returns. Jobs queued by then still run: they are
    /// dependencies of versions the solve considered, and having them cached keeps the next
    /// run's requests the same as this one's (a warm cache then needs no network at all).
    pub fn with_workers<T>(&self, max: usize, solve: impl FnOnce() -> T) -> T {
        self.executor.run(max, &|job| self.run_job(job), solve)
    }

    /// Whether the metadata of `name` `version` was read or queued (for tests).
    #[cfg(test)]
    pub(crate) fn metadata_requested(&self, name: &PackageName, version: &Version) -> bool {
        self.metadata.contains(&(name.clone(), version.clone()))
    }

    /// Free what was fetched on another thread: hundreds of pages and metadata take
    /// milliseconds to free, which the caller need not wait for.
    pub fn release_in_background(self) {
        crate::util::release_in_background((self.pages.take(), self.metadata.take()));
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::index::{MemoryIndex, ProjectPage};
    use crate::manifest::Target;

    fn index() -> MemoryIndex {
        let mut index = MemoryIndex::new();
        let any = |n: &str, v: &str| format!("{}-{v}-py3-none-any.whl", n.replace('-', "_"));
        index
            .add(
                "a",
                "1.0",
                "",
                &[
                    "on-linux; sys_platform == 'linux'",
                    "on-windows; sys_platform == 'win32'",
                    "with-extra; extra == 'x'",
                    "capped<2",
                ],
                &[&any("a", "1.0")],
            )
            .expect("a");
        for (n, v) in [
            ("on-linux", "1.0"),
            ("on-windows", "1.0"),
            ("with-extra", "1.0"),
            ("capped", "1.0"),
            ("capped", "2.0"),
        ] {
            index.add(n, v, "", &[], &[&any(n, v)]).expect("release");
        }
        index
    }

    /// What reading `a`'s metadata queues, for a single-environment target or a universal one.
    fn queued_after_reading_a(env: Option<MarkerEnvironment>) -> (Vec<String>, Vec<String>) {
        let index = index();
        let fetcher = Fetcher::new(
            &index,
            FilterSpec {
                env,
                ..FilterSpec::default()
            },
        );
        let a: PackageName = "a".parse().expect("name");
        let page = fetcher.page(&a).expect("page").expect("exists");
        fetcher.fill_metadata(&a, &page.versions[0]);
        let jobs: Vec<Job> = fetcher.executor.drain();
        let mut pages = Vec::new();
        for job in jobs {
            if let Job::Page(name, range) = job {
                fetcher.run_page_job(&name, &range);
                pages.push(name.to_string());
            }
        }
        let mut metadata: Vec<String> = fetcher
            .metadata
            .keys()
            .iter()
            .map(|(n, v)| format!("{n} {v}"))
            .collect();
        pages.sort();
        metadata.sort();
        (pages, metadata)
    }

    /// An index without PEP 658 files for sdists: their metadata means downloading them.
    struct NoSdistMetadata(MemoryIndex);

    impl Index for NoSdistMetadata {
        fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
            Ok(self.0.project(name)?.map(|mut page| {
                for f in page.files.iter_mut().filter(|f| !f.is_wheel()) {
                    f.core_metadata = None;
                }
                page
            }))
        }
        fn metadata(&self, file: &DistFile) -> Result<CoreMetadata, IndexError> {
            self.0.metadata(file)
        }
    }

    /// An index that panics when asked for metadata (a bug in an embedder's index, or in a
    /// parser underneath).
    struct PanickingIndex(MemoryIndex);

    impl Index for PanickingIndex {
        fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
            self.0.project(name)
        }
        fn metadata(&self, file: &DistFile) -> Result<CoreMetadata, IndexError> {
            panic!("cannot read {}", file.filename())
        }
    }

    #[test]
    fn a_panicking_index_is_an_error_not_a_hang() {
        let index = PanickingIndex(index());
        let mut manifest = crate::Manifest::default();
        manifest
            .add_str("a", crate::Role::Requirement)
            .expect("requirement");
        for target in [
            Target::universal(None),
            Target::single("3.12", "linux", None).expect("target"),
        ] {
            let err = crate::resolve(&manifest, &target, &crate::Options::default(), &index)
                .expect_err("the panic is an error");
            assert!(
                err.to_string()
                    .contains("internal error while reading the metadata of a-1.0"),
                "{err}"
            );
        }
    }

    #[test]
    fn sdist_only_versions_are_not_read_ahead() {
        let mut memory = MemoryIndex::new();
        for v in ["1.0", "2.0"] {
            memory
                .add("big", v, "", &[], &[&format!("big-{v}.tar.gz")])
                .expect("sdist-only release");
        }
        memory
            .add(
                "small",
                "1.0",
                "",
                &[],
                &["small-1.0-py3-none-any.whl", "small-1.0.tar.gz"],
            )
            .expect("release with a wheel");
        let index = NoSdistMetadata(memory);
        let fetcher = Fetcher::new(&index, FilterSpec::default());
        let big: PackageName = "big".parse().expect("name");
        let small: PackageName = "small".parse().expect("name");
        let pages = fetcher.page(&big).expect("page").expect("exists");
        fetcher.prefetch_metadata(&big, &pages.versions);
        fetcher.prefetch_ranges([(&big, Range::full()), (&small, Range::full())]);
        for job in fetcher.executor.drain() {
            if let Job::Page(name, range) = job {
                fetcher.run_page_job(&name, &range);
            }
        }
        let requested: Vec<String> = fetcher
            .metadata
            .keys()
            .iter()
            .map(|(n, v)| format!("{n} {v}"))
            .collect();
        assert_eq!(
            requested,
            ["small 1.0"],
            "no sdist-only version is read ahead"
        );
    }

    /// A re-lock reads ahead the locked version, not the newest: `capped` 1.0 is kept.
    #[test]
    fn read_ahead_takes_preferred_versions_first() {
        let index = index();
        let spec = || FilterSpec::default();
        let capped: PackageName = "capped".parse().expect("name");
        let v = |s: &str| Version::from_str(s).expect("version");
        for (preferred, read, not_read) in [(vec![], "2.0", "1.0"), (vec![v("1.0")], "1.0", "2.0")]
        {
            let prefs: Vec<(PackageName, Version)> =
                preferred.into_iter().map(|p| (capped.clone(), p)).collect();
            let fetcher = Fetcher::new(&index, spec()).with_preferences(&prefs);
            fetcher.run_page_job(&capped, &Range::full());
            assert!(fetcher.metadata_requested(&capped, &v(read)), "{read}");
            assert!(
                !fetcher.metadata_requested(&capped, &v(not_read)),
                "{not_read}"
            );
        }
    }

    /// A universal resolve reads ahead, beside the newest version, those the forks of the
    /// target's lowest Pythons will take where the newest one's Requires-Python leaves them
    /// out (torch 2.15 needs 3.11: the 3.10 fork takes 2.14.1), minor by minor; a target
    /// without a lowest Python (or a version that admits it) reads the newest alone.
    #[test]
    fn the_lowest_pythons_versions_are_read_ahead_too() {
        let mut index = MemoryIndex::new();
        for (v, requires) in [
            ("1.0", ">=3.8"),
            ("2.0", ">=3.10"),
            ("2.1", ">=3.10"),
            ("3.0", ">=3.12"),
            ("4.0", ">=3.13"),
        ] {
            let wheel = format!("t-{v}-py3-none-any.whl");
            index
                .add("t", v, requires, &[], &[&wheel])
                .expect("release");
        }
        let t: PackageName = "t".parse().expect("name");
        let v = |s: &str| Version::from_str(s).expect("version");
        for (lowest, read) in [
            (None, vec!["4.0"]),
            (Some("3.10"), vec!["2.1", "3.0", "4.0"]),
            (Some("3.12"), vec!["3.0", "4.0"]),
            (Some("3.13"), vec!["4.0"]),
        ] {
            let spec = || FilterSpec {
                lowest_python: lowest.map(v),
                ..FilterSpec::default()
            };
            // A page a worker reads, and a page in when a dependency on it is read.
            let by_job = Fetcher::new(&index, spec());
            by_job.run_page_job(&t, &Range::full());
            let by_range = Fetcher::new(&index, spec());
            by_range.page(&t).expect("page").expect("exists");
            by_range.prefetch_ranges([(&t, Range::full())]);
            for fetcher in [by_job, by_range] {
                let requested: Vec<&str> = ["1.0", "2.0", "2.1", "3.0", "4.0"]
                    .into_iter()
                    .filter(|s| fetcher.metadata_requested(&t, &v(s)))
                    .collect();
                assert_eq!(requested, read, "lowest Python {lowest:?}");
            }
        }
    }

    /// The solver asks for the pages of every package it weighs, often before a worker has
    /// come to them: the likely version's metadata is still read ahead.
    #[test]
    fn a_page_the_solver_took_first_still_has_its_likely_metadata_read_ahead() {
        let index = index();
        let fetcher = Fetcher::new(&index, FilterSpec::default());
        let capped: PackageName = "capped".parse().expect("name");
        let below_2 = Range::strictly_lower_than(Version::from_str("2").expect("version"));
        fetcher.prefetch_ranges([(&capped, below_2)]);
        fetcher.page(&capped).expect("page").expect("exists");
        for job in fetcher.executor.drain() {
            fetcher.run_job(job);
        }
        let v = |s: &str| Version::from_str(s).expect("version");
        assert!(fetcher.metadata_requested(&capped, &v("1.0")));
        assert!(!fetcher.metadata_requested(&capped, &v("2.0")));
    }

    #[test]
    fn file_metadata_is_read_ahead_by_the_workers_once() {
        let index = index();
        let fetcher = Fetcher::new(&index, FilterSpec::default());
        let capped: PackageName = "capped".parse().expect("name");
        let page = fetcher.page(&capped).expect("page").expect("exists");
        let files: Vec<Arc<DistFile>> =
            page.versions.iter().map(|c| c.files()[0].clone()).collect();
        fetcher.prefetch_file_metadata(&files);
        fetcher.prefetch_file_metadata(&files);
        assert_eq!(fetcher.executor.queued(), 2, "each file queued once");
        fetcher.with_workers(2, || {
            for file in &files {
                let m = fetcher.file_metadata(file).expect("read");
                assert_eq!(m.name, capped);
            }
        });
        assert!(files
            .iter()
            .all(|f| fetcher.file_metadata_if_ready(f).is_some()));
        assert!(fetcher.executor.queued() == 0);
    }

    #[test]
    fn dependencies_that_apply_are_prefetched_with_their_ranges() {
        let linux = Target::single("3.12", "linux", None)
            .expect("target")
            .environment();
        let (pages, metadata) = queued_after_reading_a(linux);
        // Not the Windows-only one, nor the one behind an extra nobody asked for yet.
        assert_eq!(pages, ["capped", "on-linux"]);
        // The version the requirement allows (capped<2), not the newest.
        assert_eq!(metadata, ["a 1.0", "capped 1.0", "on-linux 1.0"]);

        let (pages, _) = queued_after_reading_a(None);
        assert_eq!(pages, ["capped", "on-linux", "on-windows"]);
    }
}
