//! Benchmark support for pylock: an index preloaded into memory, so that benches time the
//! solver and not the disk. The benches are in `benches/pylock.rs`; the A/B script against uv
//! is `benches/ab.py` (see `benches/README.md`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pylock::LocalIndex;
use pylock::PackageName;
use pylock::{CoreMetadata, DistFile, Index, IndexError, ProjectPage};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every page and metadata file of a local fixture index, read once into memory.
pub struct PreloadedIndex {
    pages: HashMap<PackageName, Option<ProjectPage>>,
    metadata: HashMap<String, CoreMetadata>,
}

impl PreloadedIndex {
    /// Read every project of the index at `root` (the `simple` directory).
    pub fn load(root: &Path) -> Result<Self, IndexError> {
        let local = LocalIndex::new(root)?;
        let mut pages = HashMap::new();
        let mut metadata = HashMap::new();
        let entries = std::fs::read_dir(root).map_err(|source| IndexError::Io {
            url: root.display().to_string(),
            source,
        })?;
        for entry in entries.flatten() {
            let Some(name) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<PackageName>().ok())
            else {
                continue;
            };
            if !entry.path().is_dir() {
                continue;
            }
            let page = local.project(&name)?;
            for file in page.iter().flat_map(|p| &p.files) {
                if let Ok(m) = local.metadata(file) {
                    metadata.insert(file.filename().to_owned(), m);
                }
            }
            pages.insert(name, page);
        }
        Ok(Self { pages, metadata })
    }
}

impl Index for PreloadedIndex {
    fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
        Ok(self.pages.get(name).cloned().flatten())
    }

    fn metadata(&self, file: &DistFile) -> Result<CoreMetadata, IndexError> {
        self.metadata
            .get(file.filename())
            .cloned()
            .ok_or_else(|| IndexError::NoMetadata {
                filename: file.filename().to_owned(),
            })
    }

    fn concurrency(&self) -> usize {
        1
    }
}
