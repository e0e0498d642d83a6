//! Closed fixture indexes from live ones: an [`Index`] wrapper that records what a resolve
//! reads, and a writer for the contract.md layout. Only versions whose metadata was read are
//! kept (with every file of those versions, real hashes, sizes, upload times, Requires-Python
//! and yank flags), each file with a `.metadata` rebuilt from the fields resolution uses (no
//! long description), so a resolve against the snapshot reads exactly what it read live.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::{CoreMetadata, DistFile, Index, IndexError, ProjectPage};
use crate::pep::{PackageName, Version};
use crate::util::lock;

/// An index that remembers the pages and metadata it served.
pub(crate) struct RecordingIndex<'a> {
    inner: &'a dyn Index,
    pages: Mutex<BTreeMap<PackageName, Option<ProjectPage>>>,
    metadata: Mutex<BTreeMap<(PackageName, Version), CoreMetadata>>,
}

impl<'a> RecordingIndex<'a> {
    /// Record what is read from `inner`.
    pub(crate) fn new(inner: &'a dyn Index) -> Self {
        Self {
            inner,
            pages: Mutex::new(BTreeMap::new()),
            metadata: Mutex::new(BTreeMap::new()),
        }
    }

    /// Write what was recorded as a static index under `out` (`out/simple`, `out/files`).
    /// Returns the number of projects and versions written.
    pub(crate) fn write(&self, out: &Path) -> std::io::Result<(usize, usize)> {
        let pages = lock(&self.pages);
        let metadata = lock(&self.metadata);
        let files_dir = out.join("files");
        std::fs::create_dir_all(&files_dir)?;
        std::fs::create_dir_all(out.join("simple"))?;
        let mut projects = Vec::new();
        let mut versions = 0;
        for (name, page) in pages.iter() {
            let Some(page) = page else { continue };
            let kept: BTreeSet<&Version> = metadata
                .keys()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v)
                .collect();
            if kept.is_empty() {
                continue;
            }
            versions += kept.len();
            let mut entries = Vec::new();
            let mut files: Vec<&DistFile> = page
                .files
                .iter()
                .filter(|f| kept.contains(&f.version))
                .collect();
            files.sort_by(|a, b| (&a.version, a.filename()).cmp(&(&b.version, b.filename())));
            files.dedup_by(|a, b| a.filename() == b.filename());
            for f in files {
                let Some(m) = metadata.get(&(name.clone(), f.version.clone())) else {
                    continue;
                };
                let text = render_metadata(m);
                let sha = hex(&Sha256::digest(text.as_bytes()));
                crate::util::write_atomic(
                    &files_dir.join(format!("{}.metadata", f.filename())),
                    text.as_bytes(),
                )?;
                entries.push((f, sha));
            }
            write_pages(out, name, &entries)?;
            projects.push(name.to_string());
        }
        let root: String = projects
            .iter()
            .map(|p| format!("    <a href=\"{p}/\">{p}</a><br>\n"))
            .collect();
        crate::util::write_atomic(
            &out.join("simple/index.html"),
            format!("<!DOCTYPE html>\n<html>\n  <body>\n{root}  </body>\n</html>\n").as_bytes(),
        )?;
        Ok((projects.len(), versions))
    }
}

impl Index for RecordingIndex<'_> {
    fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
        let page = self.inner.project(name)?;
        lock(&self.pages).insert(name.clone(), page.clone());
        Ok(page)
    }

    fn metadata(&self, file: &DistFile) -> Result<CoreMetadata, IndexError> {
        let m = self.inner.metadata(file)?;
        lock(&self.metadata).insert((m.name.clone(), file.version.clone()), m.clone());
        Ok(m)
    }

    fn concurrency(&self) -> usize {
        self.inner.concurrency()
    }

    fn direct(&self, name: &PackageName, url: &url::Url) -> Result<super::DirectDist, IndexError> {
        self.inner.direct(name, url)
    }
}

/// Core metadata with the fields resolution reads.
fn render_metadata(m: &CoreMetadata) -> String {
    let mut out = format!(
        "Metadata-Version: 2.1\nName: {}\nVersion: {}\n",
        m.name, m.version
    );
    if let Some(rp) = &m.requires_python {
        out.push_str(&format!("Requires-Python: {rp}\n"));
    }
    for r in &m.requires_dist {
        out.push_str(&format!("Requires-Dist: {r}\n"));
    }
    for e in &m.provides_extra {
        out.push_str(&format!("Provides-Extra: {e}\n"));
    }
    out
}

fn write_pages(
    out: &Path,
    name: &PackageName,
    entries: &[(&DistFile, String)],
) -> std::io::Result<()> {
    let dir = out.join("simple").join(name.to_string());
    std::fs::create_dir_all(&dir)?;
    let versions: BTreeSet<String> = entries.iter().map(|(f, _)| f.version.to_string()).collect();
    let files: Vec<serde_json::Value> = entries
        .iter()
        .map(|(f, meta)| {
            let mut v = serde_json::json!({
                "filename": f.filename(),
                "url": format!("../../files/{}", f.filename()),
                "hashes": f.sha256().map_or_else(|| serde_json::json!({}), |h| serde_json::json!({"sha256": h})),
                "requires-python": f.requires_python().map(ToString::to_string),
                "yanked": f.yanked,
                "core-metadata": {"sha256": meta},
                "dist-info-metadata": {"sha256": meta},
            });
            if let Some(size) = f.size {
                v["size"] = serde_json::json!(size);
            }
            if let Some(t) = f.upload_time {
                v["upload-time"] = serde_json::json!(t.to_string());
            }
            v
        })
        .collect();
    let json = serde_json::json!({
        "meta": {"api-version": "1.1"},
        "name": name.to_string(),
        "versions": versions,
        "files": files,
    });
    crate::util::write_atomic(
        &dir.join("index.json"),
        serde_json::to_string_pretty(&json)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    let mut html = format!(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    <title>Links for {name}</title>\n  </head>\n  <body>\n    <h1>Links for {name}</h1>\n"
    );
    for (f, meta) in entries {
        let mut attrs = format!("href=\"../../files/{}", f.filename());
        if let Some(h) = f.sha256() {
            attrs.push_str(&format!("#sha256={h}"));
        }
        attrs.push('"');
        if let Some(rp) = f.requires_python() {
            attrs.push_str(&format!(
                " data-requires-python=\"{}\"",
                html_escape::encode_double_quoted_attribute(&rp.to_string())
            ));
        }
        if f.yanked {
            attrs.push_str(" data-yanked=\"\"");
        }
        attrs.push_str(&format!(
            " data-core-metadata=\"sha256={meta}\" data-dist-info-metadata=\"sha256={meta}\""
        ));
        html.push_str(&format!("    <a {attrs}>{}</a><br>\n", f.filename()));
    }
    html.push_str("  </body>\n</html>\n");
    crate::util::write_atomic(&dir.join("index.html"), html.as_bytes())
}

use crate::util::hex;
