//! PEP 751 locks: the model built from a [`Resolution`], its deterministic TOML writer, and an
//! atomic file writer.

mod diff;
mod read;
mod record;
mod toml_writer;

pub use diff::{ChangeKind, LockDiff, PackageChange};
pub use read::LockFile;
pub(crate) use read::{render_lock_marker, LockMarker};
pub use record::LockRecord;

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use jiff::Timestamp;

use url::Url;

use crate::index::{DistFile, FileUrl};
use crate::pep::{MarkerTree, PackageName, Version};
use crate::resolve::{Direct, Resolution, ResolvedPackage};

/// The PEP 751 lock format version written.
pub(crate) const LOCK_VERSION: &str = "1.0";

/// A PEP 751 lock.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lock {
    /// Markers of the environments the lock is for (empty: every environment).
    pub environments: Vec<String>,
    /// The Pythons the lock is for.
    pub requires_python: String,
    /// The extras a multi-use lock serves (PEP 751 `extras`; empty: none listed).
    pub extras: Vec<String>,
    /// The dependency groups a multi-use lock serves (`dependency-groups`).
    pub dependency_groups: Vec<String>,
    /// The groups an installer selects when asked for none (`default-groups`).
    pub default_groups: Vec<String>,
    /// Locked packages, sorted by name then version.
    pub packages: Vec<LockedPackage>,
}

/// One `[[packages]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockedPackage {
    /// Normalized name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Where the package is needed (absent: everywhere the lock applies).
    pub marker: Option<String>,
    /// `Requires-Python` of the version.
    pub requires_python: Option<String>,
    /// The index the package came from (absent for local directory indexes).
    pub index: Option<String>,
    /// The source distribution, if there is one.
    pub sdist: Option<LockedFile>,
    /// Wheels, sorted by file name.
    pub wheels: Vec<LockedFile>,
    /// Where the package comes from when it is not index files (a direct reference: an
    /// archive, a local project directory, a VCS checkout); then `sdist` and `wheels` are
    /// empty.
    pub source: Option<Source>,
}

/// An sdist or wheel entry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockedFile {
    /// File name, when the location does not end in it.
    pub name: Option<String>,
    /// Upload time (PEP 700).
    pub upload_time: Option<Timestamp>,
    /// Where to get it (also [`LockedFile::url`], [`LockedFile::path`]).
    pub location: Location,
    /// Size in bytes.
    pub size: Option<u64>,
    /// sha256, lowercase hex.
    pub sha256: Option<String>,
}

/// A package source other than index files.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// `directory = { path, editable, subdirectory }`.
    Directory {
        /// The path, relative to the lock's directory.
        path: String,
        /// Whether it is installed editable.
        editable: bool,
        /// The project's subdirectory.
        subdirectory: Option<String>,
    },
    /// `vcs = { type, url | path, requested-revision, commit-id, subdirectory }`.
    Vcs {
        /// `git`, `hg`, ...
        kind: String,
        /// Where the repository is.
        location: Location,
        /// The revision asked for.
        requested_revision: Option<String>,
        /// The commit locked.
        commit_id: String,
        /// The project's subdirectory.
        subdirectory: Option<String>,
    },
    /// `archive = { url | path, size, hashes, subdirectory }`.
    Archive {
        /// The archive file.
        file: LockedFile,
        /// The project's subdirectory.
        subdirectory: Option<String>,
    },
}

/// Where a locked file lives.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// A URL.
    Url(String),
    /// A path, relative to the lock file's directory where possible (`/`-separated).
    Path(String),
}

/// How resolved files are recorded.
#[derive(Clone, Debug, Default)]
pub struct LockOptions {
    /// The index URL to record on each package (`None` for a local directory index).
    pub index_url: Option<String>,
    /// The directory the lock is written to: local files are recorded relative to it, so the
    /// lock holds no absolute local paths. `None`: relative to the current directory.
    pub lock_dir: Option<PathBuf>,
}

impl Lock {
    /// Build the lock of a resolution.
    pub fn from_resolution(resolution: &Resolution, options: &LockOptions) -> Self {
        let base = options
            .lock_dir
            .clone()
            .or_else(|| std::env::current_dir().ok())
            .and_then(|d| std::path::absolute(d).ok());
        let mut locations = Locations {
            base: base.as_deref(),
            dirs: HashMap::new(),
        };
        let mut packages: Vec<LockedPackage> = Vec::with_capacity(resolution.packages.len());
        for p in &resolution.packages {
            if let Some(direct) = resolution.direct.get(&p.name) {
                packages.push(direct_package(p, direct, &mut locations));
                continue;
            }
            let mut lock_file = |f: &DistFile| LockedFile {
                name: None,
                upload_time: f.upload_time,
                location: locations.of(&f.url),
                size: f.size,
                sha256: f.sha256(),
            };
            let mut wheels: Vec<LockedFile> = p
                .files
                .iter()
                .filter(|f| f.is_wheel())
                .map(&mut lock_file)
                .collect();
            wheels.sort_by(|a, b| a.location.cmp_key().cmp(b.location.cmp_key()));
            packages.push(LockedPackage {
                name: p.name.to_string(),
                version: p.version.to_string(),
                marker: p.marker.clone(),
                requires_python: p.requires_python.as_ref().map(ToString::to_string),
                index: options.index_url.clone(),
                sdist: p.files.iter().find(|f| !f.is_wheel()).map(lock_file),
                wheels,
                source: None,
            });
        }
        packages.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        let mut environments = resolution.environments.clone();
        environments.sort();
        Lock {
            environments,
            requires_python: resolution.requires_python.to_string(),
            extras: Vec::new(),
            dependency_groups: Vec::new(),
            default_groups: Vec::new(),
            packages,
        }
    }

    /// The lock as PEP 751 TOML: keys in the specification's order, byte-identical for equal
    /// locks.
    pub fn to_toml(&self) -> String {
        toml_writer::write(self)
    }

    /// [`Lock::to_toml`] followed by a `[tool.pylock]` table holding `record` and the
    /// digest of all the text before its last line: a re-lock reads such a lock's pins by
    /// scanning lines ([`LockFile::pins`]) rather than parsing it, and its record only
    /// while that digest holds. The digest has no key: it tells an unedited lock from an
    /// edited one, not pylock's from a forgery, and nothing is trusted on its word (the
    /// pins and forks read back only steer a solve that checks them against the index).
    pub fn to_toml_recorded(&self, record: &LockRecord) -> String {
        let mut out = toml_writer::write(self);
        record::append(&mut out, record);
        out
    }
}

impl Lock {
    /// The pins a re-lock reads from this lock: the name, version and marker (as a PEP 508
    /// tree, PEP 751's `'x' in extras` and `'g' in dependency_groups` encoded as
    /// `extra == 'e-x'` and `extra == 'g-g'`) of each entry with a valid name and version, in
    /// order; `None` when a marker does not parse.
    pub fn pins(&self) -> Option<Vec<(PackageName, Version, Option<MarkerTree>)>> {
        let mut out = Vec::new();
        for p in &self.packages {
            let (Ok(name), Ok(version)) = (
                crate::pep::parse::value::<PackageName>(&p.name),
                crate::pep::parse::value::<Version>(&p.version),
            ) else {
                continue;
            };
            let marker = match &p.marker {
                Some(m) => Some(m.parse::<LockMarker>().ok()?.tree().clone()),
                None => None,
            };
            out.push((name, version, marker));
        }
        Some(out)
    }
}

impl LockedFile {
    /// The file's `url`, for a file a lock records by URL.
    pub fn url(&self) -> Option<&str> {
        match &self.location {
            Location::Url(url) => Some(url),
            Location::Path(_) => None,
        }
    }

    /// The file's `path` (`/`-separated, relative to the lock's directory where possible),
    /// for a file a lock records by path.
    pub fn path(&self) -> Option<&str> {
        match &self.location {
            Location::Path(path) => Some(path),
            Location::Url(_) => None,
        }
    }

    /// The file name: `name`, else the last segment of the location, percent-decoded.
    pub(crate) fn file_name(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        let (Location::Url(s) | Location::Path(s)) = &self.location;
        let s = s.split(['#', '?']).next().unwrap_or(s);
        let last = s.rsplit('/').next().unwrap_or(s);
        percent_encoding::percent_decode_str(last)
            .decode_utf8_lossy()
            .into_owned()
    }
}

/// The entry of a package from a direct reference: `archive` (its file, hashed) or
/// `directory` (no version: PEP 751 leaves it out for source trees, as uv does).
fn direct_package(
    p: &ResolvedPackage,
    direct: &Direct,
    locations: &mut Locations<'_>,
) -> LockedPackage {
    let file = p.files.first();
    let source = match direct {
        Direct::Archive => file.map(|f| Source::Archive {
            file: LockedFile {
                name: None,
                upload_time: None,
                location: locations.of(&f.url),
                size: f.size,
                sha256: f.sha256(),
            },
            subdirectory: None,
        }),
        Direct::Directory { editable } => file.map(|f| {
            let path = Url::parse(&f.url.text())
                .ok()
                .and_then(|u| u.to_file_path().ok());
            let path = match path {
                Some(path) => relative_path(&path, locations.base),
                None => f.url.to_string(),
            };
            Source::Directory {
                path: if path.is_empty() { ".".into() } else { path },
                editable: *editable,
                subdirectory: None,
            }
        }),
    };
    let version = match direct {
        Direct::Archive => p.version.to_string(),
        Direct::Directory { .. } => String::new(),
    };
    LockedPackage {
        name: p.name.to_string(),
        version,
        marker: p.marker.clone(),
        requires_python: p.requires_python.as_ref().map(ToString::to_string),
        index: None,
        sdist: None,
        wheels: Vec::new(),
        source,
    }
}

impl Location {
    fn cmp_key(&self) -> &str {
        match self {
            Location::Url(s) | Location::Path(s) => s,
        }
    }
}

/// Where files are recorded: URLs as they are, local files relative to the lock directory.
/// A universal lock from a local index lists thousands of files in a few directories: each
/// directory's relative path is worked out once.
struct Locations<'a> {
    base: Option<&'a Path>,
    dirs: HashMap<String, Option<String>>,
}

impl Locations<'_> {
    fn of(&mut self, url: &FileUrl) -> Location {
        let text = url.text();
        let text = &*text;
        let split = (url.scheme() == "file")
            .then(|| text.rsplit_once('/'))
            .flatten();
        let Some((dir, name)) = split else {
            return Location::Url(without_credentials(text));
        };
        let base = self.base;
        let dir_path = self.dirs.entry(dir.to_owned()).or_insert_with(|| {
            let path = Url::parse(&format!("{dir}/")).ok()?.to_file_path().ok()?;
            Some(relative_path(&path, base))
        });
        let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
        match dir_path {
            Some(d) if d.is_empty() => Location::Path(name.into_owned()),
            Some(d) => Location::Path(format!("{d}/{name}")),
            None => Location::Url(text.to_owned()),
        }
    }
}

/// A file URL without user name and password: an index may list files at URLs that carry a
/// token (`https://user:token@host/...`), which must not reach a lock. Its query stays: it
/// can be part of the file's address (`download?file=...`), unlike an index URL's.
/// Only URLs whose authority holds a `@` are parsed: locks list thousands of files.
fn without_credentials(text: &str) -> String {
    let authority = text
        .split_once("://")
        .and_then(|(_, rest)| rest.split('/').next());
    match authority
        .filter(|a| a.contains('@'))
        .map(|_| Url::parse(text))
    {
        Some(Ok(url)) => crate::index::without_credentials(&url).to_string(),
        _ => text.to_owned(),
    }
}

/// `path` relative to `base` when both are absolute, `/`-separated.
/// The components of `path` with `.` dropped and `..` applied to what precedes it (without
/// asking the file system), so that `/a/b/../c` and `/a/c` compare equal.
fn lexical_components(path: &Path) -> Vec<Component<'_>> {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn relative_path(path: &Path, base: Option<&Path>) -> String {
    let rel = match base {
        Some(base) if path.is_absolute() => {
            let p = lexical_components(path);
            let b = lexical_components(base);
            let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
            if common == 0 {
                path.to_path_buf()
            } else {
                let mut rel = PathBuf::new();
                for _ in common..b.len() {
                    rel.push("..");
                }
                rel.extend(&p[common..]);
                rel
            }
        }
        _ => path.to_path_buf(),
    };
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Write `contents` to `path` atomically: a temporary file in the same directory, synced, then
/// renamed over `path`. A failure leaves any previous file untouched.
pub fn write_atomic(path: &Path, contents: &str) -> std::io::Result<()> {
    crate::util::write_atomic(path, contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_path(Path::new("/a/b/files/x.whl"), Some(Path::new("/a/c"))),
            "../b/files/x.whl"
        );
        assert_eq!(
            relative_path(Path::new("/a/b/x.whl"), Some(Path::new("/a/b"))),
            "x.whl"
        );
        // `..` in either path is applied, not compared as a name.
        assert_eq!(
            relative_path(Path::new("/a/b/x.whl"), Some(Path::new("/a/b/c/.."))),
            "x.whl"
        );
        assert_eq!(
            relative_path(Path::new("/a/c/../b/./x.whl"), Some(Path::new("/a"))),
            "b/x.whl"
        );
    }

    #[test]
    fn local_files_relative_urls_as_they_are() {
        let base = Path::new("/a/b");
        let mut locations = Locations {
            base: Some(base),
            dirs: HashMap::new(),
        };
        let at = |s: &str| FileUrl::from_text(s);
        assert_eq!(
            locations.of(&at("file:///a/b/files/x-1.0%2Bcpu-py3-none-any.whl")),
            Location::Path("files/x-1.0+cpu-py3-none-any.whl".into())
        );
        assert_eq!(
            locations.of(&at("file:///a/b/y-2.0.tar.gz")),
            Location::Path("y-2.0.tar.gz".into())
        );
        assert_eq!(
            locations.of(&at("file:///a/c/z-1.0.tar.gz")),
            Location::Path("../c/z-1.0.tar.gz".into())
        );
        assert_eq!(
            locations.of(&at("https://files.example/x-1.0.tar.gz")),
            Location::Url("https://files.example/x-1.0.tar.gz".into())
        );
        // A token in a file URL from the index stays out of the lock.
        assert_eq!(
            locations.of(&at("https://__token__:s3cret@files.example/x-1.0.tar.gz")),
            Location::Url("https://files.example/x-1.0.tar.gz".into())
        );
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = std::env::temp_dir().join(format!("pylock-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let p = dir.join("pylock.toml");
        write_atomic(&p, "one").expect("write");
        write_atomic(&p, "two").expect("rewrite");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "two");
        let entries = std::fs::read_dir(&dir).expect("ls").count();
        assert_eq!(entries, 1);
        // Writing into a missing directory fails and creates nothing.
        assert!(write_atomic(&dir.join("missing/pylock.toml"), "x").is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
