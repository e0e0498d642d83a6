//! Pages and metadata for one resolve, shared by all its forks, fetched in parallel ahead of
//! the solver: when a version's dependencies become known, their project pages (and the
//! metadata of the version each is likely to get) are queued for worker threads, so the solver
//! rarely waits on a request it could have started earlier.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use jiff::Timestamp;

pub use super::candidates::required_hashes;
use super::candidates::{Candidate, Candidates, FileFilter};
use crate::index::{CoreMetadata, DistFile, Index, IndexError};
use crate::manifest::BinaryPolicy;
use crate::pep::tags::Tags;
use crate::pep::{
    requirement_range, restrict_extras, MarkerEnvironment, PackageName, Range, Version,
};
use crate::util::lock;

/// What decides which files of a page are usable, owned so workers can apply it.
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

enum Slot<T> {
    /// Queued for a worker that has not started: whoever needs it first does it.
    Queued,
    /// Someone is fetching it: wait.
    Running,
    Ready(T),
    /// A worker failed; whoever needs it fetches again and gets the error itself.
    Failed,
}

enum Job {
    /// A page, and the metadata of the version likely chosen within the range.
    Page(PackageName, Range),
    Metadata(PackageName, Arc<Candidate>),
    /// The metadata of one file (a wheel whose metadata may differ from its version's other
    /// wheels').
    FileMetadata(Arc<DistFile>),
}

struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
}

type Page = Option<Arc<Candidates>>;

/// Take a queued job's slot for this worker; `false` when someone else has taken it already.
fn claim<K: std::hash::Hash + Eq, T>(slots: &Mutex<HashMap<K, Slot<T>>>, key: &K) -> bool {
    let mut map = lock(slots);
    match map.get_mut(key) {
        Some(slot @ Slot::Queued) => {
            *slot = Slot::Running;
            true
        }
        _ => false,
    }
}

/// The value at `key`: waiting for whoever is producing it, or produced here by `produce`.
/// An error is not kept: whoever asks next tries again and gets the error itself.
fn get_or_produce<K: std::hash::Hash + Eq + Clone, T: Clone>(
    slots: &Mutex<HashMap<K, Slot<T>>>,
    ready: &Condvar,
    key: &K,
    produce: impl FnOnce() -> Result<T, IndexError>,
) -> Result<T, IndexError> {
    let mut map = lock(slots);
    loop {
        match map.get(key) {
            Some(Slot::Ready(v)) => return Ok(v.clone()),
            Some(Slot::Running) => {
                map = ready
                    .wait(map)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            Some(Slot::Queued | Slot::Failed) | None => break,
        }
    }
    map.insert(key.clone(), Slot::Running);
    drop(map);
    // Producers guard their index reads (see `guarded`): whoever waits for this slot is
    // released whatever happens there.
    let result = produce();
    let mut map = lock(slots);
    match &result {
        Ok(v) => map.insert(key.clone(), Slot::Ready(v.clone())),
        Err(_) => map.remove(key),
    };
    ready.notify_all();
    result
}

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

/// The value at `key` if it is ready.
fn if_ready<K: std::hash::Hash + Eq, T: Clone>(
    slots: &Mutex<HashMap<K, Slot<T>>>,
    key: &K,
) -> Option<T> {
    match lock(slots).get(key) {
        Some(Slot::Ready(v)) => Some(v.clone()),
        _ => None,
    }
}

/// The version a solve usually picks within `range`: the newest usable stable one, else the
/// newest usable one. The range's versions are found by binary search: a backtracking solve
/// asks this for every version it tries (1,500 boto3 versions, each naming an old botocore
/// range among 1,500 versions), and a scan from the newest down cost more than the solve.
///
/// `preferred` versions (an existing lock's, newest first) come first: a re-lock takes them,
/// and reading the newest version's metadata (and, from it, its dependencies' pages) would be
/// wasted.
fn likely(candidates: &Candidates, range: &Range, preferred: &[Version]) -> Option<Arc<Candidate>> {
    let usable = |c: &&Arc<Candidate>| c.unusable.is_none();
    let kept = preferred
        .iter()
        .filter(|v| range.contains(v))
        .filter_map(|v| candidates.get(v))
        .find(usable);
    if kept.is_some() {
        return kept.cloned();
    }
    candidates
        .within(range, false)
        .filter(usable)
        .find(|c| !c.version.any_prerelease())
        .or_else(|| candidates.within(range, false).find(usable))
        .cloned()
}

/// A job longer than this waited on the network (a cached answer takes well under it).
const SLOW_JOB: std::time::Duration = std::time::Duration::from_millis(15);
type MetadataSlots = HashMap<(PackageName, Version), Slot<Arc<CoreMetadata>>>;

/// The shared store of fetched pages and metadata, with its prefetch queue.
pub struct Fetcher<'a> {
    index: &'a dyn Index,
    filter: FilterSpec,
    policy: FilePolicy,
    pages: Mutex<HashMap<PackageName, Slot<Page>>>,
    pages_ready: Condvar,
    metadata: Mutex<MetadataSlots>,
    metadata_ready: Condvar,
    queue: Mutex<Queue>,
    work: Condvar,
    /// Versions whose dependencies are known only after a build, with the reason: asked
    /// once, not again for every fork and restart (an sdist download each).
    unbuilt: Mutex<BTreeMap<(PackageName, Version), String>>,
    /// Metadata of single files, keyed by file URL: for versions whose wheels differ.
    file_metadata: Mutex<HashMap<String, Slot<Arc<CoreMetadata>>>>,
    /// Versions to read ahead first (an existing lock's), newest first.
    preferred: HashMap<PackageName, Vec<Version>>,
    /// A digest of every page read (`None`: it cannot pin what it lists).
    page_digests: Mutex<HashMap<PackageName, Option<[u8; 32]>>>,
    /// The pages the solver asked for (read ahead or not): what its answer depends on.
    consulted: Mutex<BTreeSet<PackageName>>,
}

impl<'a> Fetcher<'a> {
    /// A store over `index`, judging files with `filter`.
    pub fn new(index: &'a dyn Index, filter: FilterSpec) -> Self {
        Self {
            index,
            filter,
            policy: FilePolicy::default(),
            pages: Mutex::new(HashMap::new()),
            pages_ready: Condvar::new(),
            metadata: Mutex::new(HashMap::new()),
            metadata_ready: Condvar::new(),
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                closed: false,
            }),
            work: Condvar::new(),
            unbuilt: Mutex::new(BTreeMap::new()),
            file_metadata: Mutex::new(HashMap::new()),
            preferred: HashMap::new(),
            page_digests: Mutex::new(HashMap::new()),
            consulted: Mutex::new(BTreeSet::new()),
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
        let digest = super::pages::page_digest(page.as_ref());
        lock(&self.page_digests).insert(name.clone(), digest);
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
        lock(&self.consulted).insert(name.clone());
        get_or_produce(&self.pages, &self.pages_ready, name, || self.build(name))
    }

    /// The projects whose pages the solver asked for (sorted; the same from run to run,
    /// whatever was read ahead) and one digest of those pages as the index served them;
    /// `None` when one could not be read or cannot pin the metadata read through it.
    pub fn consulted_pages(&self) -> Option<(String, Vec<String>)> {
        let digests = lock(&self.page_digests);
        let pages: BTreeMap<PackageName, Option<[u8; 32]>> = lock(&self.consulted)
            .iter()
            .map(|n| Some((n.clone(), *digests.get(n)?)))
            .collect::<Option<_>>()?;
        let digest = super::pages::combine(&pages)?;
        Some((digest, pages.keys().map(ToString::to_string).collect()))
    }

    /// The candidates of `name` if already fetched (`Some(None)`: the index has no such
    /// project).
    pub fn page_if_ready(&self, name: &PackageName) -> Option<Page> {
        if_ready(&self.pages, name)
    }

    /// The core metadata of `candidate` of `name`, read from one of its files.
    pub fn metadata(
        &self,
        name: &PackageName,
        candidate: &Candidate,
    ) -> Result<Arc<CoreMetadata>, IndexError> {
        let key = (name.clone(), candidate.version.clone());
        get_or_produce(&self.metadata, &self.metadata_ready, &key, || {
            self.read_metadata(name, candidate)
        })
    }

    /// The metadata of one file (for versions whose wheels carry different metadata).
    pub fn file_metadata(&self, file: &DistFile) -> Result<Arc<CoreMetadata>, IndexError> {
        get_or_produce(
            &self.file_metadata,
            &self.metadata_ready,
            &file.url.to_string(),
            || self.index_metadata(file),
        )
    }

    /// For a universal resolve, queue the wheels of `candidate` that the provider's variant
    /// check will read one by one (see [`Candidate::unadvertised_variants`]): read as soon as
    /// the version is likely, in parallel with the other packages' (the nvidia packages of a
    /// live torch resolve were read one package after the other, two round trips each).
    fn prefetch_variants(&self, candidate: &Candidate) {
        if self.filter.env.is_none() {
            self.prefetch_file_metadata(candidate.unadvertised_variants());
        }
    }

    /// Queue the metadata of `files` not yet read or queued, for the workers to read in
    /// parallel: the wheels of a version whose platforms may carry different metadata are
    /// each read (torch has no PEP 658 file: a range read of a 1.2 MB zip directory per
    /// platform, three round trips each), and one after the other they were most of a live
    /// torch resolve.
    pub fn prefetch_file_metadata<'f>(&self, files: impl IntoIterator<Item = &'f Arc<DistFile>>) {
        let jobs: Vec<Job> = {
            let mut map = lock(&self.file_metadata);
            files
                .into_iter()
                .filter(|f| match map.entry(f.url.to_string()) {
                    std::collections::hash_map::Entry::Occupied(_) => false,
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(Slot::Queued);
                        true
                    }
                })
                .map(|f| Job::FileMetadata(f.clone()))
                .collect()
        };
        self.enqueue(jobs);
    }

    /// The metadata of one file, if already read.
    pub fn file_metadata_if_ready(&self, file: &DistFile) -> Option<Arc<CoreMetadata>> {
        if_ready(&self.file_metadata, &file.url.to_string())
    }

    /// Metadata already read for `name` at `version`.
    pub fn metadata_if_ready(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Option<Arc<CoreMetadata>> {
        if_ready(&self.metadata, &(name.clone(), version.clone()))
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
            .files
            .iter()
            .rev()
            .find(has_metadata)
            .or_else(|| {
                candidate
                    .all_files
                    .iter()
                    .filter(|f| f.is_wheel())
                    .find(has_metadata)
            })
            .or_else(|| candidate.all_files.iter().find(has_metadata))
            .or_else(|| candidate.files.iter().rev().find(|f| f.is_wheel()))
            .or_else(|| candidate.all_files.iter().find(|f| f.is_wheel()))
            .or_else(|| candidate.all_files.first())
            .ok_or_else(|| IndexError::NoMetadata {
                filename: format!("{name}=={}", candidate.version),
            })?;
        self.index_metadata(file)
    }

    /// The index's metadata of `file`, a panic in the index turned into an error.
    fn index_metadata(&self, file: &DistFile) -> Result<Arc<CoreMetadata>, IndexError> {
        let what = format!("the metadata of {}", file.filename);
        Ok(Arc::new(guarded(&what, || self.index.metadata(file))?))
    }

    /// Queue the pages of the packages not yet fetched or queued, and the metadata of the
    /// version each is likely to get within the range asked for (the newest usable one).
    pub fn prefetch_ranges<'n>(&self, wanted: impl IntoIterator<Item = (&'n PackageName, Range)>) {
        let mut jobs = Vec::new();
        let mut variants = Vec::new();
        {
            let mut pages = lock(&self.pages);
            for (name, range) in wanted {
                match pages.get(name) {
                    None => {
                        pages.insert(name.clone(), Slot::Queued);
                        jobs.push(Job::Page(name.clone(), range));
                    }
                    Some(Slot::Ready(Some(candidates))) => {
                        if let Some(c) = likely(candidates, &range, self.preferred(name)) {
                            variants.push(c.clone());
                            jobs.push(Job::Metadata(name.clone(), c));
                        }
                    }
                    _ => {}
                }
            }
        }
        for candidate in &variants {
            self.prefetch_variants(candidate);
        }
        let (pages, metadata): (Vec<Job>, Vec<Job>) =
            jobs.into_iter().partition(|j| matches!(j, Job::Page(..)));
        let mut jobs = pages;
        jobs.extend(self.unqueued_metadata(metadata));
        self.enqueue(jobs);
    }

    /// Of metadata jobs, those for versions not read nor queued yet, now marked queued.
    /// Versions whose metadata only a whole sdist download tells are never read ahead.
    fn unqueued_metadata(&self, jobs: Vec<Job>) -> Vec<Job> {
        let mut map = lock(&self.metadata);
        jobs.into_iter()
            .filter(|job| match job {
                Job::Metadata(_, c) if !c.cheap_metadata() => false,
                Job::Metadata(name, c) => match map.entry((name.clone(), c.version.clone())) {
                    std::collections::hash_map::Entry::Occupied(_) => false,
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(Slot::Queued);
                        true
                    }
                },
                Job::Page(..) | Job::FileMetadata(_) => true,
            })
            .collect()
    }

    fn enqueue(&self, jobs: Vec<Job>) {
        if jobs.is_empty() {
            return;
        }
        lock(&self.queue).jobs.extend(jobs);
        self.work.notify_all();
    }

    /// Queue the metadata of `candidates` of `name` not yet read or queued (older versions
    /// a backtracking solve is about to try).
    pub fn prefetch_metadata(&self, name: &PackageName, candidates: &[Arc<Candidate>]) {
        let jobs = candidates
            .iter()
            .map(|c| Job::Metadata(name.clone(), c.clone()))
            .collect();
        let jobs = self.unqueued_metadata(jobs);
        self.enqueue(jobs);
    }

    fn fill_metadata(&self, name: &PackageName, candidate: &Candidate) {
        let result = self.read_metadata(name, candidate);
        // The dependencies of a version we read are very likely needed next: queue their
        // pages now (and, once a page is in, the metadata of the version likely chosen in
        // the range asked for) rather than when the solver asks: one round trip less per
        // level of the graph. Dependencies behind extras wait for the solver.
        if let Ok(m) = &result {
            // Only a guess: a panic here must not leave the slot below unanswered.
            let _ = crate::util::catch_panic(|| {
                let deps: Vec<(&PackageName, Range)> = m
                    .requires_dist
                    .iter()
                    .filter(|r| match &self.filter.env {
                        Some(env) => r.evaluate_markers(env, &[]),
                        None => !restrict_extras(&r.marker, &[]).is_false(),
                    })
                    .map(|r| (&r.name, requirement_range(r)))
                    .collect();
                self.prefetch_ranges(deps);
            });
        }
        let key = (name.clone(), candidate.version.clone());
        let mut map = lock(&self.metadata);
        match result {
            Ok(m) => map.insert(key, Slot::Ready(m)),
            Err(_) => map.insert(key, Slot::Failed),
        };
        self.metadata_ready.notify_all();
    }

    /// Work the queue until [`Fetcher::close`]; run on worker threads. A job that waited on
    /// the network adds a worker (up to `max`): answers from a warm cache are CPU-bound and
    /// want one thread per core, requests over the network want many in flight.
    fn work<'scope, 'env>(
        &'scope self,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        workers: &'scope AtomicUsize,
        max: usize,
    ) where
        'a: 'scope,
    {
        loop {
            let job = {
                let mut queue = lock(&self.queue);
                loop {
                    if let Some(job) = queue.jobs.pop_front() {
                        break job;
                    }
                    if queue.closed {
                        return;
                    }
                    queue = self
                        .work
                        .wait(queue)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
            };
            let started = std::time::Instant::now();
            match job {
                Job::Page(name, range) => {
                    if claim(&self.pages, &name) {
                        self.run_page_job(&name, &range);
                    }
                }
                Job::Metadata(name, candidate) => {
                    if claim(&self.metadata, &(name.clone(), candidate.version.clone())) {
                        self.fill_metadata(&name, &candidate);
                    }
                }
                Job::FileMetadata(file) => {
                    let key = file.url.to_string();
                    if claim(&self.file_metadata, &key) {
                        let result = self.index_metadata(&file);
                        let mut map = lock(&self.file_metadata);
                        match result {
                            Ok(m) => map.insert(key, Slot::Ready(m)),
                            Err(_) => map.insert(key, Slot::Failed),
                        };
                        self.metadata_ready.notify_all();
                    }
                }
            }
            if started.elapsed() > SLOW_JOB {
                // Requests wait on the network: give every queued job a thread (up to `max`).
                let queued = lock(&self.queue).jobs.len();
                let mut current = workers.load(Ordering::Relaxed);
                while current < max.min(current + queued.max(1)) {
                    match workers.compare_exchange(
                        current,
                        current + 1,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => {
                            scope.spawn(move || self.work(scope, workers, max));
                            current += 1;
                        }
                        Err(actual) => current = actual,
                    }
                }
            }
        }
    }

    fn run_page_job(&self, name: &PackageName, range: &Range) {
        let result = self.build(name);
        let likely = result
            .as_ref()
            .ok()
            .and_then(|p| p.as_ref())
            .and_then(|c| likely(c, range, self.preferred(name)))
            .filter(|c| c.cheap_metadata());
        {
            let mut pages = lock(&self.pages);
            match result {
                Ok(p) => pages.insert(name.clone(), Slot::Ready(p)),
                Err(_) => pages.insert(name.clone(), Slot::Failed),
            };
            self.pages_ready.notify_all();
        }
        if let Some(candidate) = likely {
            self.prefetch_variants(&candidate);
            let key = (name.clone(), candidate.version.clone());
            {
                let mut map = lock(&self.metadata);
                if map.contains_key(&key) {
                    return;
                }
                map.insert(key.clone(), Slot::Running);
            }
            self.fill_metadata(name, &candidate);
        }
    }

    /// Stop the workers once the queue is empty. Queued pages are still fetched: they are
    /// dependencies of versions the solve considered, and having them cached keeps the next
    /// run's requests the same as this one's (a warm cache then needs no network at all).
    pub fn close(&self) {
        lock(&self.queue).closed = true;
        self.work.notify_all();
    }

    /// Run `solve` with up to `max` prefetching threads (starting with one per core, at least
    /// four), stopping them when it returns.
    pub fn with_workers<T>(&self, max: usize, solve: impl FnOnce() -> T) -> T {
        let max = max.max(1);
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let initial = max.min(cores.max(4));
        let workers = AtomicUsize::new(initial);
        /// Closes the queue when the solve ends, also by a panic: the scope waits for the
        /// workers, which wait for the queue to close.
        struct CloseOnDrop<'f, 'a>(&'f Fetcher<'a>);
        impl Drop for CloseOnDrop<'_, '_> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        std::thread::scope(|s| {
            for _ in 0..initial {
                s.spawn(|| self.work(s, &workers, max));
            }
            let _close = CloseOnDrop(self);
            solve()
        })
    }

    /// Whether the metadata of `name` `version` was read or queued (for tests).
    #[cfg(test)]
    pub(crate) fn metadata_requested(&self, name: &PackageName, version: &Version) -> bool {
        lock(&self.metadata).contains_key(&(name.clone(), version.clone()))
    }

    /// Free what was fetched on another thread: hundreds of pages and metadata take
    /// milliseconds to free, which the caller need not wait for.
    pub fn release_in_background(self) {
        let pages = std::mem::take(&mut *lock(&self.pages));
        let metadata = std::mem::take(&mut *lock(&self.metadata));
        // If no thread can be started, the closure (and the store) is dropped right here.
        let _detached = std::thread::Builder::new()
            .name("pylock-free".into())
            .spawn(move || drop((pages, metadata)));
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
                python: None,
                tags: None,
                exclude_newer: None,
                allowed_yanks: HashSet::new(),
                env,
            },
        );
        let a: PackageName = "a".parse().expect("name");
        let page = fetcher.page(&a).expect("page").expect("exists");
        fetcher.fill_metadata(&a, &page.versions[0]);
        let jobs: Vec<Job> = lock(&fetcher.queue).jobs.drain(..).collect();
        let mut pages = Vec::new();
        for job in jobs {
            if let Job::Page(name, range) = job {
                fetcher.run_page_job(&name, &range);
                pages.push(name.to_string());
            }
        }
        let mut metadata: Vec<String> = lock(&fetcher.metadata)
            .keys()
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
            panic!("cannot read {}", file.filename)
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
            Target::single("3.12", "linux".parse().expect("platform"), None).expect("target"),
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
        let fetcher = Fetcher::new(
            &index,
            FilterSpec {
                python: None,
                tags: None,
                exclude_newer: None,
                allowed_yanks: HashSet::new(),
                env: None,
            },
        );
        let big: PackageName = "big".parse().expect("name");
        let small: PackageName = "small".parse().expect("name");
        let pages = fetcher.page(&big).expect("page").expect("exists");
        fetcher.prefetch_metadata(&big, &pages.versions);
        fetcher.prefetch_ranges([(&big, Range::full()), (&small, Range::full())]);
        for job in lock(&fetcher.queue).jobs.drain(..).collect::<Vec<_>>() {
            if let Job::Page(name, range) = job {
                fetcher.run_page_job(&name, &range);
            }
        }
        let requested: Vec<String> = lock(&fetcher.metadata)
            .keys()
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
        let spec = || FilterSpec {
            python: None,
            tags: None,
            exclude_newer: None,
            allowed_yanks: HashSet::new(),
            env: None,
        };
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

    #[test]
    fn file_metadata_is_read_ahead_by_the_workers_once() {
        let index = index();
        let fetcher = Fetcher::new(
            &index,
            FilterSpec {
                python: None,
                tags: None,
                exclude_newer: None,
                allowed_yanks: HashSet::new(),
                env: None,
            },
        );
        let capped: PackageName = "capped".parse().expect("name");
        let page = fetcher.page(&capped).expect("page").expect("exists");
        let files: Vec<Arc<DistFile>> = page.versions.iter().map(|c| c.files[0].clone()).collect();
        fetcher.prefetch_file_metadata(&files);
        fetcher.prefetch_file_metadata(&files);
        assert_eq!(lock(&fetcher.queue).jobs.len(), 2, "each file queued once");
        fetcher.with_workers(2, || {
            for file in &files {
                let m = fetcher.file_metadata(file).expect("read");
                assert_eq!(m.name, capped);
            }
        });
        assert!(files
            .iter()
            .all(|f| fetcher.file_metadata_if_ready(f).is_some()));
        assert!(lock(&fetcher.queue).jobs.is_empty());
    }

    #[test]
    fn dependencies_that_apply_are_prefetched_with_their_ranges() {
        let linux = Target::single("3.12", "linux".parse().expect("platform"), None)
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
