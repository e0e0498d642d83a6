//! Whether the index still serves what a lock was made from: the pages a resolve's solver
//! read, recorded as one digest (see `Resolution::pages`), compared later by reading them
//! again ([`pages_unchanged`]). Core metadata needs no digest of its own: every file a page lists
//! carries its sha256 (a page with a file without one cannot be pinned), and metadata is read
//! from those files or from PEP 658 files whose hash the page gives.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::index::{Index, IndexError};
use crate::pep::PackageName;
use crate::resolve::pages::{combine, page_digest};
use crate::util::lock;

/// Whether `index` serves the pages of `projects` exactly as when `digest` was taken (by
/// a resolve, `Resolution::pages`): read again, `index.concurrency()` at a time. A name that is not
/// a valid project name, or a page that cannot be pinned, is a change.
pub(crate) fn pages_unchanged(
    index: &dyn Index,
    projects: &[String],
    digest: &str,
) -> Result<bool, IndexError> {
    let mut names = Vec::with_capacity(projects.len());
    for p in projects {
        match crate::pep::parse::value::<PackageName>(p) {
            Ok(name) => names.push(name),
            Err(_) => return Ok(false),
        }
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let pages = Mutex::new(BTreeMap::new());
    let failed: Mutex<Option<IndexError>> = Mutex::new(None);
    let workers = index.concurrency().clamp(1, 32).min(names.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(name) = names.get(i) else { break };
                if lock(&failed).is_some() {
                    break;
                }
                match crate::util::catch_panic(|| index.project(name)) {
                    Ok(Ok(page)) => {
                        lock(&pages).insert(name.clone(), page_digest(page.as_ref()));
                    }
                    Ok(Err(e)) => *lock(&failed) = Some(e),
                    Err(message) => {
                        *lock(&failed) = Some(IndexError::Internal {
                            what: format!("the page of {name}"),
                            message,
                        });
                    }
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let pages = pages.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok(combine(&pages).as_deref() == Some(digest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use crate::index::MemoryIndex;
    use crate::pep::PackageName;

    fn index(b_version: &str) -> MemoryIndex {
        let mut index = MemoryIndex::new();
        index
            .add("a", "1.0", "", &["b"], &["a-1.0-py3-none-any.whl"])
            .expect("a");
        let wheel = format!("b-{b_version}-py3-none-any.whl");
        index
            .add("b", b_version, "", &[], &[wheel.as_str()])
            .expect("b");
        index
    }

    fn record(index: &MemoryIndex, names: &[&str]) -> (String, Vec<String>) {
        let pages: BTreeMap<PackageName, Option<[u8; 32]>> = names
            .iter()
            .map(|n| {
                let name: PackageName = n.parse().expect("name");
                let page = index.project(&name).expect("page");
                (name, page_digest(page.as_ref()))
            })
            .collect();
        let digest = combine(&pages).expect("pinned");
        (digest, pages.keys().map(ToString::to_string).collect())
    }

    #[test]
    fn pages_read_are_digested_and_compared() {
        let before = index("1.0");
        let (digest, projects) = record(&before, &["b", "a", "missing"]);
        assert_eq!(projects, ["a", "b", "missing"]);
        assert!(pages_unchanged(&before, &projects, &digest).expect("read"));
        // A new release of b: a change.
        let mut after = index("1.0");
        after
            .add("b", "2.0", "", &[], &["b-2.0-py3-none-any.whl"])
            .expect("b 2.0");
        assert!(!pages_unchanged(&after, &projects, &digest).expect("read"));
        // Another project now exists where none did.
        let mut appeared = index("1.0");
        appeared
            .add("missing", "1.0", "", &[], &["missing-1.0-py3-none-any.whl"])
            .expect("missing");
        assert!(!pages_unchanged(&appeared, &projects, &digest).expect("read"));
        // A locked version yanked.
        let mut yanked = index("1.0");
        yanked.yank_last("b");
        assert!(!pages_unchanged(&yanked, &projects, &digest).expect("read"));
        assert!(!pages_unchanged(&before, &["not a name!".into()], &digest).expect("read"));
    }
}
