//! An index held in memory: for tests, benchmarks and programs that already have package
//! metadata. Files get `https://files.invalid/` URLs and, as the index holds no file contents,
//! the sha256 of their name as hash, so that locks made from it are valid PEP 751 (which
//! requires a hash for every file).

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use sha2::{Digest as _, Sha256};
use url::Url;

use super::{
    parse_filename, CoreMetadata, DistFile, FileParts, Index, IndexError, ProjectPage, Sha256Hash,
};
use crate::pep::{parse, PackageName, Requirement, Version, VersionSpecifiers};

/// One release of a project in a [`MemoryIndex`].
#[derive(Clone, Debug)]
pub struct Release {
    version: Version,
    requires_python: Option<VersionSpecifiers>,
    requires_dist: Vec<Requirement>,
    provides_extra: Vec<crate::pep::ExtraName>,
    filenames: Vec<String>,
    yanked: bool,
}

/// An index held in memory.
#[derive(Clone, Debug, Default)]
pub struct MemoryIndex {
    projects: BTreeMap<PackageName, Vec<Release>>,
}

impl MemoryIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a release of `name` at `version` with `requires_python` (empty: none), its
    /// dependencies (PEP 508 strings, markers and extras allowed) and its file names (wheels
    /// and sdists, such as `pkg-1.0-py3-none-any.whl`, `pkg-1.0.tar.gz`). Extras named in
    /// `extra == '...'` markers are provided.
    pub fn add(
        &mut self,
        name: &str,
        version: &str,
        requires_python: &str,
        requires_dist: &[&str],
        filenames: &[&str],
    ) -> Result<&mut Self, IndexError> {
        let err = |reason: String| IndexError::InvalidRelease {
            release: format!("{name} {version}"),
            reason,
        };
        let package = parse::value::<PackageName>(name).map_err(err)?;
        let version = parse::value::<Version>(version).map_err(err)?;
        let requires_python = if requires_python.is_empty() {
            None
        } else {
            Some(parse::specifiers(requires_python).map_err(|e| err(e.message))?)
        };
        let requires_dist = requires_dist
            .iter()
            .map(|r| parse::requirement(r).map_err(|e| err(format!("`{r}`: {}", e.message))))
            .collect::<Result<Vec<_>, _>>()?;
        let mut provides_extra = Vec::new();
        for r in &requires_dist {
            let text = r.marker.try_to_string().unwrap_or_default();
            for part in text.split("extra == '").skip(1) {
                if let Some(extra) = part.split('\'').next() {
                    if let Ok(e) = crate::pep::ExtraName::from_str(extra) {
                        if !provides_extra.contains(&e) {
                            provides_extra.push(e);
                        }
                    }
                }
            }
        }
        for f in filenames {
            if parse_filename(f, &package).is_none() {
                return Err(err(format!(
                    "`{f}` is not a wheel or sdist name of {package}"
                )));
            }
        }
        self.projects.entry(package).or_default().push(Release {
            version,
            requires_python,
            requires_dist,
            provides_extra,
            filenames: filenames.iter().map(|f| (*f).to_owned()).collect(),
            yanked: false,
        });
        Ok(self)
    }

    /// Mark the last added release of `name` as yanked.
    pub fn yank_last(&mut self, name: &str) -> &mut Self {
        if let Ok(name) = PackageName::from_str(name) {
            if let Some(r) = self.projects.get_mut(&name).and_then(|v| v.last_mut()) {
                r.yanked = true;
            }
        }
        self
    }
}

impl Index for MemoryIndex {
    fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
        let Some(releases) = self.projects.get(name) else {
            return Ok(None);
        };
        let mut files = Vec::new();
        for r in releases {
            for f in &r.filenames {
                let Some(parsed) = parse_filename(f, name) else {
                    continue;
                };
                let url = Url::parse(&format!("https://files.invalid/{f}")).map_err(|e| {
                    IndexError::Malformed {
                        url: f.clone(),
                        reason: e.to_string(),
                    }
                })?;
                files.push(DistFile::new(FileParts {
                    filename: f.into(),
                    version: parsed.version,
                    kind: parsed.kind,
                    url: url.into(),
                    sha256: Some(Sha256Hash::from_bytes(Sha256::digest(f.as_bytes()).into())),
                    requires_python: r.requires_python.clone().map(Arc::new),
                    yanked: r.yanked,
                    core_metadata: Some(None),
                    size: None,
                    upload_time: None,
                }));
            }
        }
        Ok(Some(ProjectPage {
            name: name.clone(),
            files,
        }))
    }

    fn metadata(&self, file: &DistFile) -> Result<CoreMetadata, IndexError> {
        let missing = || IndexError::NoMetadata {
            filename: file.filename().to_owned(),
        };
        let (name, release) = self
            .projects
            .iter()
            .find_map(|(name, releases)| {
                releases
                    .iter()
                    .find(|r| r.filenames.iter().any(|f| f == file.filename()))
                    .map(|r| (name, r))
            })
            .ok_or_else(missing)?;
        Ok(CoreMetadata {
            name: name.clone(),
            version: release.version.clone(),
            requires_python: release.requires_python.clone(),
            requires_dist: release.requires_dist.clone(),
            provides_extra: release.provides_extra.clone(),
            approximate: None,
        })
    }
}
