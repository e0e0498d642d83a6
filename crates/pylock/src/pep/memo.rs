//! Ranges of specifiers, remembered per thread: the versions of one project mostly repeat
//! their requirements and their Requires-Python (1,466 botocore versions name the same four
//! ranges), and turning specifiers into a range allocates and compares for every bound, on
//! the solver's path, for every version it reads.
//!
//! Per thread, so that the fetch workers and the solver never wait on one another. Keys are
//! hashed with FxHash: with SipHash, hashing two specifiers cost as much as converting them
//! (`Version`'s hash writes each field apart). They come from index metadata, which may be
//! hostile: colliding keys can only make a lookup scan the memo, which is bounded (past
//! [`MAX`] entries it starts over), so the worst is a slower resolve of that index.

use std::cell::RefCell;

use rustc_hash::FxHashMap;

use super::{Range, VersionSpecifiers};

/// Most ranges one memo keeps.
const MAX: usize = 1_024;

/// Which conversion a memo holds.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    /// [`super::specifiers_range`].
    Specifiers,
    /// `pep440_rs::release_specifiers_to_ranges` (Requires-Python).
    Release,
}

type Memo = FxHashMap<VersionSpecifiers, Range>;

thread_local! {
    static MEMOS: RefCell<[Memo; 2]> = RefCell::new([Memo::default(), Memo::default()]);
}

/// `compute(specifiers)`, or the range remembered for the same specifiers on this thread.
///
/// "The same" is exact: `1.0` and `1.0.0` are equal versions, but a range keeps its bounds as
/// written and explanations print them, so a remembered range is only reused for specifiers
/// whose versions are written alike.
pub(super) fn range(
    kind: Kind,
    specifiers: &VersionSpecifiers,
    compute: impl FnOnce(&VersionSpecifiers) -> Range,
) -> Range {
    let hit = MEMOS.with(|memos| {
        let memos = memos.borrow();
        let (known, range) = memos[kind as usize].get_key_value(specifiers)?;
        written_alike(known, specifiers).then(|| range.clone())
    });
    if let Some(range) = hit {
        return range;
    }
    let range = compute(specifiers);
    MEMOS.with(|memos| {
        let memo = &mut memos.borrow_mut()[kind as usize];
        if memo.len() >= MAX {
            memo.clear();
        }
        // An equal key written otherwise is replaced, key and all (`insert` would keep the
        // old key beside the new range).
        memo.remove(specifiers);
        memo.insert(specifiers.clone(), range.clone());
    });
    range
}

/// Equal specifiers (`==`) whose versions also have the same release segments (equality
/// pads them with zeros; nothing else it ignores shows when a version is printed).
fn written_alike(a: &VersionSpecifiers, b: &VersionSpecifiers) -> bool {
    a == b
        && a.iter()
            .zip(b.iter())
            .all(|(x, y)| x.version().release() == y.version().release())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn specs(s: &str) -> VersionSpecifiers {
        VersionSpecifiers::from_str(s).expect("specifiers")
    }

    /// The range as converted without any memo.
    fn fresh(s: &VersionSpecifiers) -> Range {
        let ranges: Vec<Range> = s.iter().map(super::super::specifier_range).collect();
        super::super::intersect_all(&ranges.iter().collect::<Vec<_>>())
    }

    #[test]
    fn a_remembered_range_is_reused_only_for_specifiers_written_alike() {
        // Tests may share this thread (`--test-threads=1`): start from empty memos.
        MEMOS.with(|memos| memos.borrow_mut().iter_mut().for_each(Memo::clear));
        let computed = std::cell::Cell::new(0);
        let convert = |s: &VersionSpecifiers| {
            computed.set(computed.get() + 1);
            fresh(s)
        };
        let shown = |r: &Range| super::super::display_range(r);
        let first = range(Kind::Specifiers, &specs(">=1.0,<2"), convert);
        let again = range(Kind::Specifiers, &specs(">=1.0,<2"), convert);
        assert_eq!(
            (shown(&again), computed.get()),
            (shown(&first), 1),
            "reused"
        );
        // Equal, but printed apart: computed again, and printed as written, also when asked
        // for again after the other.
        for _ in 0..2 {
            for text in [">=1.0.0,<2", ">=1.0,<2"] {
                let r = range(Kind::Specifiers, &specs(text), convert);
                assert_eq!(shown(&r), shown(&fresh(&specs(text))), "{text}");
            }
        }
        assert_ne!(shown(&fresh(&specs(">=1.0.0,<2"))), shown(&first));
        // Each conversion has its own memo.
        let before = computed.get();
        let release = range(Kind::Release, &specs(">=1.0,<2"), |s| {
            pep440_rs::release_specifiers_to_ranges(s.clone())
        });
        assert_eq!(computed.get(), before);
        assert!(release.contains(&"1.5".parse().expect("version")));
    }
}
