//! Digests of project pages: what a lock records of the pages its resolve's solver read, so
//! that a check can tell whether the index still serves them unchanged
//! ([`crate::lock::pages_unchanged`]).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::index::ProjectPage;
use crate::pep::PackageName;

/// What one page says, as a digest (`None`: a file without a sha256, so the metadata read
/// through it is not pinned by the page, or a local file). A project the index does not have has a digest
/// too: its appearance changes the resolve.
pub(crate) fn page_digest(page: Option<&ProjectPage>) -> Option<[u8; 32]> {
    let mut h = Sha256::new();
    let Some(page) = page else {
        h.update(b"absent");
        return Some(h.finalize().into());
    };
    for f in &page.files {
        let sha256 = f.sha256.as_deref()?;
        // A local file's URL is where the checkout lives, which a lock must not depend on,
        // and the lock records it relative to where the lock is: not pinned here.
        if f.url.scheme() == "file" {
            return None;
        }
        let fields = [
            f.filename.as_str(),
            f.url.as_str(),
            sha256,
            &f.requires_python
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            if f.yanked { "yanked" } else { "" },
            &format!("{:?}", f.core_metadata),
            &format!("{:?}", f.size),
            &f.upload_time.map(|t| t.to_string()).unwrap_or_default(),
        ];
        for field in fields {
            h.update(field.as_bytes());
            h.update([0]);
        }
        h.update([1]);
    }
    Some(h.finalize().into())
}

/// The digest of pages by project (sorted by name), `None` when one cannot be pinned.
pub(crate) fn combine(pages: &BTreeMap<PackageName, Option<[u8; 32]>>) -> Option<String> {
    let mut h = Sha256::new();
    for (name, digest) in pages {
        h.update(name.as_ref().as_bytes());
        h.update([0]);
        h.update((*digest)?);
    }
    Some(format!("sha256:{}", crate::util::hex(&h.finalize())))
}
