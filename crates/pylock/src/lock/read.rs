//! Reading PEP 751 `pylock.toml` files (pylock's own, uv's, pdm's, pip's) into the
//! [`Lock`] model (package sources that are not index files included), with what the model
//! does not carry (lock-only fields, dependencies) alongside, in [`LockFile`]. Every error names the file,
//! line and column of the value at fault. Markers are kept as written and parsed as
//! [`LockMarker`]s, which understand PEP 751's `'x' in extras` / `'g' in dependency_groups`.

mod fast;
mod markers;

use std::path::Path;

pub(crate) use markers::{render as render_lock_marker, LockMarker};

use super::{Location, Lock, LockedFile, LockedPackage, Source};
use crate::manifest::toml_doc::{Doc, Value};
use crate::manifest::{ManifestError, TomlError};
use crate::pep::{PackageName, Version};

/// A locked package as a re-lock keeps it: name, version, and the marker where the lock
/// holds it (`None`: everywhere).
pub(crate) type Pin = (PackageName, Version, Option<crate::pep::MarkerTree>);

/// The largest lock file read, in bytes (real locks are kilobytes to a few megabytes).
pub(crate) const MAX_LOCK_LEN: u64 = 64 * 1024 * 1024;

/// A lock read from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockFile {
    /// The packages and files, in the order of the file (`requires_python` is empty when the
    /// file has none), and the lock's `extras`, `dependency-groups` and `default-groups`
    /// (kept only here). Entries without a version (directories, VCS) have an empty
    /// `version`.
    pub lock: Lock,
    /// `lock-version`.
    pub lock_version: String,
    /// `created-by`, if given.
    pub created_by: Option<String>,
    /// Per package, in the order of `lock.packages`: what the model does not carry.
    pub(crate) details: Vec<PackageDetails>,
}

/// What a `[[packages]]` entry says beside the [`LockedPackage`] fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageDetails {
    /// `marker`, parsed (PEP 751 lock-only terms included).
    pub marker: Option<LockMarker>,
    /// `dependencies`: the names (and versions, when given) of the entries this one needs.
    pub dependencies: Vec<(String, Option<String>)>,
}

impl LockFile {
    /// Read the lock at `path` (at most 64 MiB).
    pub fn read(path: &Path) -> Result<Self, ManifestError> {
        let text = Self::read_text(path)?;
        Self::parse(path, &text)
    }

    /// The text of the lock at `path`, unparsed, read as [`LockFile::read`] reads it: at
    /// most 64 MiB (never more is read, whatever the file), UTF-8.
    pub fn read_text(path: &Path) -> Result<String, ManifestError> {
        crate::util::read_text(path, MAX_LOCK_LEN, "a lock").map_err(|source| ManifestError::Io {
            path: path.to_owned(),
            source,
        })
    }

    /// What a re-lock needs of the lock `text` (read from `path`, named in errors): every
    /// package's name, version and marker, in the order of the file (entries without a
    /// version, such as directories, left out), for
    /// [`Options::preferences`](crate::Options::preferences) and
    /// [`Options::preference_markers`](crate::Options::preference_markers); and the forks to
    /// start from ([`Options::forks`](crate::Options::forks)): those pylock recorded in the
    /// lock when it was written from the inputs whose digest is `inputs`
    /// ([`LockOptions::inputs`](crate::LockOptions::inputs)), else none. A lock pylock
    /// wrote and nobody edited (its `[tool.pylock]` digest holds) is read by scanning
    /// lines, several times faster than [`LockFile::parse`]; any other lock is parsed in
    /// full (the same errors), and has no forks to start from.
    #[allow(clippy::type_complexity)]
    pub fn pins(
        path: &Path,
        text: &str,
        inputs: Option<&str>,
    ) -> Result<(Vec<Pin>, Vec<(crate::MarkerTree, bool)>), ManifestError> {
        if let Some((raw, record)) = fast::pins(text) {
            let pins: Option<Vec<Pin>> = raw
                .into_iter()
                .filter(|(_, version, _)| !version.is_empty())
                .map(|(name, version, marker)| {
                    Some((
                        crate::pep::parse::value::<PackageName>(&name).ok()?,
                        crate::pep::parse::value::<Version>(&version).ok()?,
                        match marker {
                            Some(m) => Some(m.parse::<LockMarker>().ok()?.tree().clone()),
                            None => None,
                        },
                    ))
                })
                .collect();
            if let Some(pins) = pins {
                return Ok((pins, record.forks_for(inputs)));
            }
        }
        let lock = Self::parse(path, text)?;
        let pins = (lock.lock.packages.iter().zip(&lock.details))
            .filter_map(|(p, details)| {
                Some((
                    crate::pep::parse::value::<PackageName>(&p.name).ok()?,
                    crate::pep::parse::value::<Version>(&p.version).ok()?,
                    details.marker.as_ref().map(|m| m.tree().clone()),
                ))
            })
            .collect();
        Ok((pins, Vec::new()))
    }

    /// Parse `text`, read from `path` (used in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Self, ManifestError> {
        Self::parse_toml(path, text).map_err(TomlError::into_manifest)
    }

    /// [`LockFile::parse`], the error with its position as the TOML reader gives it.
    fn parse_toml(path: &Path, text: &str) -> Result<Self, TomlError> {
        let doc = Doc::parse(path, text)?;
        let root = &doc.root;
        let Some((version, span)) = doc.opt_string(root, "lock-version")? else {
            return Err(doc.err_at(0, "no `lock-version`: not a PEP 751 lock"));
        };
        if version.split('.').next() != Some("1") {
            return Err(doc.err(
                span,
                format!("lock-version {version} is not supported (1.x is)"),
            ));
        }
        let strings = |k: &str| -> Result<Vec<String>, TomlError> {
            Ok(doc
                .opt_strings(root, k)?
                .into_iter()
                .map(|(s, _)| s.to_owned())
                .collect())
        };
        let mut out = Self {
            lock: Lock {
                environments: strings("environments")?,
                requires_python: doc
                    .opt_string(root, "requires-python")?
                    .map_or_else(String::new, |(s, _)| s.to_owned()),
                extras: strings("extras")?,
                dependency_groups: strings("dependency-groups")?,
                default_groups: strings("default-groups")?,
                packages: Vec::new(),
                record: None,
            },
            lock_version: version.to_owned(),
            created_by: doc
                .opt_string(root, "created-by")?
                .map(|(s, _)| s.to_owned()),
            details: Vec::new(),
        };
        for env in doc.opt_strings(root, "environments")? {
            marker(&doc, env)?;
        }
        if let Some(packages) = root.get("packages") {
            for p in doc.array(packages, "`packages`")? {
                let (package, details) = package(&doc, p)?;
                out.lock.packages.push(package);
                out.details.push(details);
            }
        }
        Ok(out)
    }
}

fn marker(
    doc: &Doc<'_>,
    (text, span): (&str, std::ops::Range<usize>),
) -> Result<LockMarker, TomlError> {
    text.parse()
        .map_err(|e: String| doc.err(span, format!("invalid marker: {e}")))
}

fn package(doc: &Doc<'_>, value: &Value<'_>) -> Result<(LockedPackage, PackageDetails), TomlError> {
    let t = doc.table(value, "a `[[packages]]` entry")?;
    let Some((name, span)) = doc.opt_string(t, "name")? else {
        return Err(doc.err(value.span(), "a package without a `name`"));
    };
    let name: PackageName =
        crate::pep::parse::value(name).map_err(|e| doc.err(span, format!("invalid name: {e}")))?;
    let version = match doc.opt_string(t, "version")? {
        Some((v, span)) => crate::pep::parse::value::<Version>(v)
            .map_err(|e| doc.err(span, format!("invalid version: {e}")))?
            .to_string(),
        None => String::new(),
    };
    let mut details = PackageDetails::default();
    let marker_field = doc.opt_string(t, "marker")?;
    if let Some(m) = marker_field.clone() {
        details.marker = Some(marker(doc, m)?);
    }
    if let Some((spec, span)) = doc.opt_string(t, "requires-python")? {
        crate::pep::parse::specifiers(spec)
            .map_err(|e| doc.err(span, format!("invalid requires-python: {e}")))?;
    }
    if let Some(deps) = t.get("dependencies") {
        for d in doc.array(deps, "`dependencies`")? {
            let dt = doc.table(d, "a dependency")?;
            let dep_name = doc.opt_string(dt, "name")?.map(|(s, _)| s.to_owned());
            let dep_version = doc.opt_string(dt, "version")?.map(|(s, _)| s.to_owned());
            details
                .dependencies
                .push((dep_name.unwrap_or_default(), dep_version));
        }
    }
    let sdist = t
        .get("sdist")
        .map(|v| file(doc, v, "`sdist`"))
        .transpose()?;
    let mut wheels = Vec::new();
    if let Some(w) = t.get("wheels") {
        for v in doc.array(w, "`wheels`")? {
            wheels.push(file(doc, v, "a wheel")?);
        }
    }
    let package = LockedPackage {
        name: name.to_string(),
        version,
        marker: marker_field.map(|(m, _)| m.to_owned()),
        requires_python: doc
            .opt_string(t, "requires-python")?
            .map(|(s, _)| s.to_owned()),
        index: doc.opt_string(t, "index")?.map(|(s, _)| s.to_owned()),
        sdist,
        wheels,
        source: source(doc, t)?,
    };
    Ok((package, details))
}

fn source(doc: &Doc<'_>, t: &toml::de::DeTable<'_>) -> Result<Option<Source>, TomlError> {
    let sub = |st: &toml::de::DeTable<'_>| -> Result<Option<String>, TomlError> {
        Ok(doc
            .opt_string(st, "subdirectory")?
            .map(|(s, _)| s.to_owned()))
    };
    if let Some(v) = t.get("directory") {
        let d = doc.table(v, "`directory`")?;
        let Some((path, _)) = doc.opt_string(d, "path")? else {
            return Err(doc.err(v.span(), "`directory` needs a `path`"));
        };
        let editable = match d.get("editable") {
            Some(e) => e
                .get_ref()
                .as_bool()
                .ok_or_else(|| doc.err(e.span(), "`editable` must be true or false"))?,
            None => false,
        };
        return Ok(Some(Source::Directory {
            path: path.to_owned(),
            editable,
            subdirectory: sub(d)?,
        }));
    }
    if let Some(v) = t.get("vcs") {
        let d = doc.table(v, "`vcs`")?;
        let (Some((kind, _)), Some((commit, _))) =
            (doc.opt_string(d, "type")?, doc.opt_string(d, "commit-id")?)
        else {
            return Err(doc.err(v.span(), "`vcs` needs `type` and `commit-id`"));
        };
        let (url, path) = match location(doc, v, d)? {
            Location::Url(url) => (Some(url), None),
            Location::Path(path) => (None, Some(path)),
        };
        return Ok(Some(Source::Vcs {
            kind: kind.to_owned(),
            url,
            path,
            requested_revision: doc
                .opt_string(d, "requested-revision")?
                .map(|(s, _)| s.to_owned()),
            commit_id: commit.to_owned(),
            subdirectory: sub(d)?,
        }));
    }
    if let Some(v) = t.get("archive") {
        return Ok(Some(Source::Archive {
            file: file(doc, v, "`archive`")?,
            subdirectory: sub(doc.table(v, "`archive`")?)?,
        }));
    }
    Ok(None)
}

fn location(
    doc: &Doc<'_>,
    value: &Value<'_>,
    t: &toml::de::DeTable<'_>,
) -> Result<Location, TomlError> {
    match (doc.opt_string(t, "url")?, doc.opt_string(t, "path")?) {
        (Some((url, _)), _) => Ok(Location::Url(url.to_owned())),
        (None, Some((path, _))) => Ok(Location::Path(path.to_owned())),
        (None, None) => Err(doc.err(value.span(), "needs a `url` or a `path`")),
    }
}

fn file(doc: &Doc<'_>, value: &Value<'_>, what: &str) -> Result<LockedFile, TomlError> {
    let t = doc.table(value, what)?;
    let size = match t.get("size") {
        Some(v) => Some(
            v.get_ref()
                .as_integer()
                .and_then(|i| u64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok())
                .ok_or_else(|| doc.err(v.span(), "`size` must be a non-negative integer"))?,
        ),
        None => None,
    };
    let upload_time = match t.get("upload-time") {
        Some(v) => Some(timestamp(v).ok_or_else(|| {
            doc.err(v.span(), "`upload-time` must be a date-time with an offset")
        })?),
        None => None,
    };
    let sha256 = match t.get("hashes") {
        Some(h) => {
            let ht = doc.table(h, "`hashes`")?;
            match doc.opt_string(ht, "sha256")? {
                Some((hex, _)) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    Some(hex.to_ascii_lowercase())
                }
                Some((_, span2)) => return Err(doc.err(span2, "`sha256` must be 64 hex digits")),
                None => None,
            }
        }
        None => None,
    };
    Ok(LockedFile {
        name: doc.opt_string(t, "name")?.map(|(s, _)| s.to_owned()),
        upload_time,
        location: location(doc, value, t)?,
        size,
        sha256,
    })
}

/// A TOML date-time as an instant; one without an offset is taken as UTC.
fn timestamp(value: &Value<'_>) -> Option<jiff::Timestamp> {
    let text = value.get_ref().as_datetime()?.to_string();
    text.parse()
        .ok()
        .or_else(|| format!("{text}Z").parse().ok())
}

#[cfg(test)]
mod tests;
