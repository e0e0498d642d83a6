//! The dependencies of the selected files, from the index's core metadata (through
//! [`Index`], so a cache or an offline run works): each project page and each file's
//! metadata read once for every environment, several at a time.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::index::{DistFile, DistKind, Index, IndexError, ProjectPage};
use crate::pep::{PackageName, Requirement, Version};

/// A selected file: name, version as written, file name.
pub(crate) type Key = (PackageName, String, String);

/// Per selected file: its `Requires-Dist`, or why they cannot be read (a problem of the
/// package, such as a version the index does not have).
pub(crate) type Metadata = HashMap<Key, Result<Vec<Requirement>, String>>;

/// A file whose dependencies are needed.
pub(crate) struct Want {
    /// Which file.
    pub key: Key,
    /// Its version.
    pub version: Version,
}

/// Read the dependencies of every wanted file. Errors reading the index (network, cache,
/// I/O) stop the check; what the index says about one package is that package's problem.
pub(crate) fn fetch_all(index: &dyn Index, wants: Vec<Want>) -> Result<Metadata, IndexError> {
    let mut unique: BTreeMap<Key, Version> = BTreeMap::new();
    for w in wants {
        unique.entry(w.key).or_insert(w.version);
    }
    let names: Vec<PackageName> = unique
        .keys()
        .map(|k| k.0.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let threads = index.concurrency();
    let pages: Vec<Result<Option<ProjectPage>, IndexError>> =
        parallel(&names, threads, |n| index.project(n));
    let mut by_name: HashMap<PackageName, Option<ProjectPage>> = HashMap::new();
    for (name, page) in names.into_iter().zip(pages) {
        by_name.insert(name, page?);
    }
    let mut out: Metadata = HashMap::new();
    let mut reads: Vec<(Key, DistFile)> = Vec::new();
    for (key, version) in unique {
        match by_name.get(&key.0).and_then(Option::as_ref) {
            None => {
                out.insert(
                    key,
                    Err(
                        "the index does not have this project: its dependencies cannot be read"
                            .into(),
                    ),
                );
            }
            Some(page) => {
                match page_file(page, &key.2, &version) {
                    Some(file) => reads.push((key, file.clone())),
                    None => {
                        out.insert(
                        key,
                        Err("the index does not have this version: its dependencies cannot be read"
                            .into()),
                    );
                    }
                }
            }
        }
    }
    let metadata = parallel(&reads, threads, |(_, file)| index.metadata(file));
    for ((key, _), result) in reads.into_iter().zip(metadata) {
        let value = match result {
            Ok(m) => Ok(m.requires_dist),
            Err(
                e @ (IndexError::Io { .. }
                | IndexError::Http { .. }
                | IndexError::NotCached { .. }
                | IndexError::InvalidLocation { .. }
                | IndexError::Internal { .. }),
            ) => return Err(e),
            Err(e) => Err(format!("cannot read its dependencies: {e}")),
        };
        out.insert(key, value);
    }
    Ok(out)
}

/// The file of `page` with this name, else another file of the same version (its sdist,
/// else its first wheel by name): the index's metadata of what the lock installs.
fn page_file<'p>(page: &'p ProjectPage, filename: &str, version: &Version) -> Option<&'p DistFile> {
    if let Some(f) = page.files.iter().find(|f| f.filename() == filename) {
        return Some(f);
    }
    let same: Vec<&DistFile> = page
        .files
        .iter()
        .filter(|f| f.version == *version)
        .collect();
    same.iter()
        .find(|f| f.kind == DistKind::Sdist)
        .or_else(|| same.iter().min_by(|a, b| a.filename().cmp(b.filename())))
        .copied()
}

/// `f` over `items` on up to `threads` threads; results in the order of `items`. A panic in
/// `f` (an index implementation's bug) becomes an internal error.
fn parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> Result<R, IndexError> + Sync,
) -> Vec<Result<R, IndexError>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<R, IndexError>>>> =
        Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = crate::util::catch_panic(|| f(item)).unwrap_or_else(|message| {
                    Err(IndexError::Internal {
                        what: "the index".into(),
                        message,
                    })
                });
                crate::util::lock(&results)[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(IndexError::Internal {
                    what: "the index".into(),
                    message: "no answer".into(),
                })
            })
        })
        .collect()
}
