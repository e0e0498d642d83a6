//! A static index read straight from disk (the layout in `contract.md`).

use std::path::{Path, PathBuf};

use url::Url;

use super::{
    parse_html_page, parse_json_page, parse_metadata, verify_sha256, CoreMetadata, DistFile, Index,
    IndexError, ProjectPage,
};
use crate::pep::PackageName;

/// An index in a local directory: `<root>/<name>/index.json` (PEP 691) or `index.html`
/// (PEP 503), files and their `.metadata` where the pages link them.
#[derive(Clone, Debug)]
pub struct LocalIndex {
    root: Url,
}

impl LocalIndex {
    /// Open the index whose Simple API root (the directory holding one folder per project) is
    /// `root`.
    pub fn new(root: impl AsRef<Path>) -> Result<Self, IndexError> {
        let root = root.as_ref();
        let invalid = |reason: &str| IndexError::InvalidLocation {
            location: root.display().to_string(),
            reason: reason.to_owned(),
        };
        if !root.is_dir() {
            return Err(invalid("not a directory"));
        }
        let absolute = std::path::absolute(root).map_err(|e| invalid(&e.to_string()))?;
        let root = Url::from_directory_path(&absolute)
            .map_err(|()| invalid("cannot be expressed as a file URL"))?;
        Ok(Self { root })
    }
}

fn read(url: &Url) -> Result<Option<Vec<u8>>, IndexError> {
    let path: PathBuf = url
        .to_file_path()
        .map_err(|()| IndexError::InvalidLocation {
            location: url.to_string(),
            reason: "not a local file".into(),
        })?;
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(IndexError::Io {
            url: url.to_string(),
            source,
        }),
    }
}

impl Index for LocalIndex {
    fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
        let page_url =
            self.root
                .join(&format!("{name}/"))
                .map_err(|e| IndexError::InvalidLocation {
                    location: self.root.to_string(),
                    reason: e.to_string(),
                })?;
        let join = |f: &str| {
            page_url.join(f).map_err(|e| IndexError::InvalidLocation {
                location: page_url.to_string(),
                reason: e.to_string(),
            })
        };
        let json = join("index.json")?;
        if let Some(bytes) = read(&json)? {
            return parse_json_page(&bytes, &page_url, name).map(Some);
        }
        let html = join("index.html")?;
        match read(&html)? {
            Some(bytes) => parse_html_page(&bytes, &page_url, name).map(Some),
            None => Ok(None),
        }
    }

    fn metadata(&self, file: &DistFile) -> Result<CoreMetadata, IndexError> {
        let Some(expected) = &file.core_metadata else {
            return Err(IndexError::NoMetadata {
                filename: file.filename().to_owned(),
            });
        };
        let mut url = file.url.parse()?;
        url.set_path(&format!("{}.metadata", url.path()));
        let Some(bytes) = read(&url)? else {
            return Err(IndexError::Io {
                url: url.to_string(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the page advertises core metadata but the file is missing",
                ),
            });
        };
        verify_sha256(&bytes, *expected, url.as_str())?;
        parse_metadata(&bytes, url.as_str())
    }
}
