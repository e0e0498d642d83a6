//! PEP 751 locks: the model built from a [`Resolution`], its deterministic TOML writer, and an
//! atomic file writer.

mod diff;
mod options;
mod read;
mod record;
mod toml_writer;

pub use diff::{LockDiff, PackageChange};
pub use options::LockOptions;
pub use read::LockFile;
pub(crate) use read::{render_lock_marker, LockMarker};
pub(crate) use record::LockRecord;

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
    /// The `[tool.pylock]` table [`Lock::to_toml`] ends with, if any
    /// ([`LockOptions::record`]).
    pub(crate) record: Option<LockRecord>,
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
    /// Where to get it: [`LockedFile::url`] or [`LockedFile::path`].
    pub(crate) location: Location,
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
        /// The repository's URL (`None` when the lock gives only a `path`).
        url: Option<String>,
        /// The local repository's path, relative to the lock's directory where possible
        /// (`/`-separated), when the lock gives no `url`.
        path: Option<String>,
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
pub(crate) enum Location {
    /// A URL.
    Url(String),
    /// A path, relative to the lock file's directory where possible (`/`-separated).
    Path(String),
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
        let index_url = options.index_url.as_deref().map(crate::index::recorded_url);
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
                index: index_url.clone(),
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
            record: (options.record).then(|| LockRecord::new(options.inputs.clone(), resolution)),
        }
    }

    /// The lock as PEP 751 TOML: keys in the specification's order, byte-identical for equal
    /// locks. A lock built with [`LockOptions::record`] ends with a `[tool.pylock]` table
    /// holding what it records and the digest of all the text before its last line: a
    /// re-lock reads such a lock's pins by scanning lines ([`LockFile::pins`]) rather than
    /// parsing it, and its record only while that digest holds. The digest has no key: it
    /// tells an unedited lock from an edited one, not pylock's from a forgery, and nothing is
    /// trusted on its word (the pins and forks read back only steer a solve that checks
    /// them against the index).
    pub fn to_toml(&self) -> String {
        let mut out = toml_writer::write(self);
        if let Some(record) = &self.record {
            record::append(&mut out, record);
        }
        out
    }

    /// Write [`Lock::to_toml`] to `path` atomically: a temporary file in the same directory,
    /// synced, then renamed over `path`, so that a reader never sees a half-written lock and
    /// a failure leaves any previous file untouched. A symbolic link is kept (the file it
    /// points to is replaced); a path that is not a regular file (`/dev/null`, a pipe) is
    /// written into.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        crate::util::write_atomic(path, self.to_toml().as_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A resolution of `a` (one wheel) from a memory index, with `forks` as if solved apart.
    fn resolution_of_a(forks: &[(&str, bool)]) -> Resolution {
        let mut index = crate::MemoryIndex::new();
        index
            .add("a", "1.0", "", &[], &["a-1.0-py3-none-any.whl"])
            .expect("add");
        let mut manifest = crate::Manifest::default();
        manifest
            .add_str("a", crate::Role::Requirement)
            .expect("requirement");
        let target = crate::Target::universal(None);
        let mut resolution =
            crate::resolve(&manifest, &target, &Default::default(), &index).expect("resolves");
        resolution.forks = forks.iter().map(|(m, e)| ((*m).to_owned(), *e)).collect();
        resolution
    }

    /// A private index's URL carries its credentials (user name and password, or a query
    /// token): the lock records the index without them, whatever the embedder passes.
    #[test]
    fn the_index_url_is_recorded_without_credentials() {
        let resolution = resolution_of_a(&[]);
        for given in [
            "https://user:s3cret@pypi.example/simple/?token=s3cret",
            "https://pypi.example/simple/",
            "https://pypi.example/simple",
        ] {
            let lock = Lock::from_resolution(
                &resolution,
                &LockOptions {
                    index_url: Some(given.into()),
                    lock_dir: Some("/".into()),
                    ..LockOptions::default()
                },
            );
            let recorded = lock.packages[0].index.as_deref();
            assert_eq!(recorded, Some("https://pypi.example/simple"), "{given}");
            assert!(!lock.to_toml().contains("s3cret"), "{given}");
        }
    }

    /// `record` ends the lock with the `[tool.pylock]` table; with an inputs digest it holds
    /// the forks, which a re-lock with the same digest reads back.
    #[test]
    fn the_record_is_written_only_when_asked_and_read_back_for_the_same_inputs() {
        let forks = [("python_full_version >= '3.12'", true)];
        let resolution = resolution_of_a(&forks);
        let text = |record, inputs: Option<&str>| {
            let options = LockOptions {
                lock_dir: Some("/".into()),
                record,
                inputs: inputs.map(str::to_owned),
                ..LockOptions::default()
            };
            Lock::from_resolution(&resolution, &options).to_toml()
        };
        let plain = text(false, Some("sha256:01"));
        assert!(!plain.contains("[tool.pylock]"), "{plain}");
        let recorded = text(true, Some("sha256:01"));
        assert!(recorded.starts_with(&plain), "{recorded}");
        assert!(recorded.contains("forks = ["), "{recorded}");
        let path = Path::new("pylock.toml");
        let read = |text: &str, inputs| LockFile::pins(path, text, inputs).expect("reads");
        let (pins, seeds) = read(&recorded, Some("sha256:01"));
        assert_eq!(pins.len(), 1);
        let marker: MarkerTree = forks[0].0.parse().expect("marker");
        assert_eq!(seeds, [(marker, true)]);
        assert_eq!(read(&recorded, Some("sha256:02")).1, []);
        assert_eq!(read(&plain, Some("sha256:01")).1, []);
        // No digest: the table holds no forks (no later run can be told to have the same
        // inputs), only the content digest.
        let undigested = text(true, None);
        assert!(
            undigested.contains("[tool.pylock]\ncontent = "),
            "{undigested}"
        );
    }

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
        let options = LockOptions {
            lock_dir: Some(dir.clone()),
            ..LockOptions::default()
        };
        let one = Lock::from_resolution(&resolution_of_a(&[]), &options);
        let mut two = one.clone();
        two.packages.clear();
        one.write(&p).expect("write");
        two.write(&p).expect("rewrite");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), two.to_toml());
        let entries = std::fs::read_dir(&dir).expect("ls").count();
        assert_eq!(entries, 1);
        // Writing into a missing directory fails and creates nothing.
        assert!(one.write(&dir.join("missing/pylock.toml")).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
