//! PEP 691 JSON project pages (with PEP 700 fields), read file by file.
//!
//! Pages of big projects list thousands of files: the JSON is read borrowing from the bytes
//! (strings with escapes excepted), per-page repeats (Requires-Python) are parsed once, and
//! each file becomes a [`DistFile`] as soon as it is read, so a page is never also held as a
//! list of its JSON files (pydantic-core's: 15,000 of them, ~3.5 MB).

use std::borrow::Cow;
use std::str::FromStr;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use url::Url;

use super::file::FileParts;
use super::filename::parse_filename_with;
use super::page::{checked_sha256, join_url, parse_timestamp, PageShared, VersionMemo};
use super::{DistFile, IndexError, ProjectPage};
use crate::pep::PackageName;

impl ProjectPage {
    /// Parse a PEP 691 JSON project page of project `name` fetched from `page_url` (relative
    /// file URLs are resolved against it). Within the default page size limit, every error
    /// names the URL.
    pub fn from_json(
        bytes: &[u8],
        page_url: &Url,
        name: &PackageName,
    ) -> Result<ProjectPage, IndexError> {
        parse_json_page(bytes, page_url, name)
    }
}

/// Parse a PEP 691 JSON project page fetched from `page_url`.
pub(crate) fn parse_json_page(
    bytes: &[u8],
    page_url: &Url,
    name: &PackageName,
) -> Result<ProjectPage, IndexError> {
    let malformed = |reason: String| IndexError::Malformed {
        url: page_url.to_string(),
        reason,
    };
    let mut reader = Reader {
        page_url,
        name,
        shared: PageShared::default(),
        versions: VersionMemo::default(),
        files: Vec::new(),
        failed: None,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let listed = (&mut de)
        .deserialize_map(PageVisitor(&mut reader))
        .and_then(|listed| de.end().map(|()| listed))
        .map_err(|e| malformed(e.to_string()))?;
    // As when the whole page was read first: the document's errors, then the project's
    // name, then the first file that does not convert.
    if PackageName::from_str(&listed).ok().as_ref() != Some(name) {
        return Err(malformed(format!(
            "the page is for project `{listed}`, not `{name}`"
        )));
    }
    if let Some(e) = reader.failed {
        return Err(e);
    }
    Ok(ProjectPage {
        name: name.clone(),
        files: reader.files,
    })
}

/// The page's files so far, and what they share.
struct Reader<'p, 'de> {
    page_url: &'p Url,
    name: &'p PackageName,
    shared: PageShared<'de>,
    versions: VersionMemo,
    files: Vec<DistFile>,
    /// The first file that did not convert: the rest of the document is still read (its
    /// syntax errors come first).
    failed: Option<IndexError>,
}

impl<'de> Reader<'_, 'de> {
    fn add(&mut self, file: JsonFile<'de>) {
        if self.failed.is_some() {
            return;
        }
        match self.convert(file) {
            Ok(Some(file)) => self.files.push(file),
            Ok(None) => {}
            Err(e) => self.failed = Some(e),
        }
    }

    /// The file, or `None` for a file that is not a distribution of the project.
    fn convert(&mut self, f: JsonFile<'de>) -> Result<Option<DistFile>, IndexError> {
        let (name, page_url, versions) = (self.name, self.page_url, &mut self.versions);
        let Some(parsed) = parse_filename_with(&f.filename, name, |v| versions.parse(v)) else {
            return Ok(None);
        };
        let url = join_url(page_url, &f.url)?;
        let upload_time = f
            .upload_time
            .map(|t| parse_timestamp(&t.0, page_url))
            .transpose()?;
        let requires_python = f
            .requires_python
            .and_then(|rp| self.shared.requires_python(rp.0));
        let hash = |h: Option<&str>| checked_sha256(h, &f.filename, page_url);
        let core_metadata = match f
            .core_metadata
            .or(f.dist_info_metadata)
            .and_then(JsonMetadata::availability)
        {
            Some(h) => Some(hash(h.as_deref())?),
            None => None,
        };
        Ok(Some(DistFile::new(FileParts {
            sha256: hash(f.hashes.sha256.as_ref().map(|t| &*t.0))?,
            filename: f.filename,
            version: parsed.version,
            kind: self.shared.kind(parsed.kind),
            url: self.shared.url(url.as_str()),
            requires_python,
            yanked: f.yanked.0,
            core_metadata,
            size: f.size,
            upload_time,
        })))
    }
}

/// The page object: its `name` (returned) and its `files` (handed to the reader one by one);
/// other keys are skipped.
struct PageVisitor<'r, 'p, 'de>(&'r mut Reader<'p, 'de>);

impl<'de> Visitor<'de> for PageVisitor<'_, '_, 'de> {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a project page object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Cow<'de, str>, M::Error> {
        let (mut name, mut files) = (None, false);
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match &*key.0 {
                "name" if name.is_some() => return Err(M::Error::duplicate_field("name")),
                "name" => name = Some(map.next_value::<Text<'de>>()?.0),
                "files" if files => return Err(M::Error::duplicate_field("files")),
                "files" => {
                    map.next_value_seed(FilesSeed(&mut *self.0))?;
                    files = true;
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        if !files {
            return Err(M::Error::missing_field("files"));
        }
        name.ok_or_else(|| M::Error::missing_field("name"))
    }
}

/// The `files` array, each file handed to the reader as it is read.
struct FilesSeed<'r, 'p, 'de>(&'r mut Reader<'p, 'de>);

impl<'de> DeserializeSeed<'de> for FilesSeed<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FilesSeed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        while let Some(file) = seq.next_element::<JsonFile<'de>>()? {
            self.0.add(file);
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct JsonFile<'a> {
    #[serde(borrow)]
    filename: Cow<'a, str>,
    #[serde(borrow)]
    url: Cow<'a, str>,
    #[serde(default, borrow)]
    hashes: JsonHashes<'a>,
    #[serde(rename = "requires-python", borrow)]
    requires_python: Option<Text<'a>>,
    #[serde(default)]
    yanked: JsonYanked,
    #[serde(rename = "core-metadata")]
    core_metadata: Option<JsonMetadata<'a>>,
    #[serde(rename = "dist-info-metadata")]
    dist_info_metadata: Option<JsonMetadata<'a>>,
    size: Option<u64>,
    #[serde(rename = "upload-time", borrow)]
    upload_time: Option<Text<'a>>,
}

/// A string borrowed from the page unless it has escapes (serde borrows a `Cow` only when it
/// is the field's own type, not inside an `Option`).
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

#[derive(Deserialize, Default)]
struct JsonHashes<'a> {
    #[serde(borrow)]
    sha256: Option<Text<'a>>,
}

/// PEP 592 `yanked`: `false`, `true` or a reason string (any string means yanked).
#[derive(Default)]
struct JsonYanked(bool);

impl<'de> Deserialize<'de> for JsonYanked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = JsonYanked;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a boolean or a reason string")
            }
            fn visit_bool<E>(self, v: bool) -> Result<JsonYanked, E> {
                Ok(JsonYanked(v))
            }
            fn visit_str<E>(self, _: &str) -> Result<JsonYanked, E> {
                Ok(JsonYanked(true))
            }
            fn visit_unit<E>(self) -> Result<JsonYanked, E> {
                Ok(JsonYanked(false))
            }
        }
        d.deserialize_any(V)
    }
}

/// PEP 658/714 metadata availability: `false`, `true` or `{"sha256": ...}`.
enum JsonMetadata<'a> {
    Flag(bool),
    Hashes(JsonHashes<'a>),
}

impl<'de: 'a, 'a> Deserialize<'de> for JsonMetadata<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = JsonMetadata<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a boolean or a map of hashes")
            }
            fn visit_bool<E>(self, v: bool) -> Result<JsonMetadata<'a>, E> {
                Ok(JsonMetadata::Flag(v))
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<JsonMetadata<'a>, M::Error> {
                let mut hashes = JsonHashes::default();
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    if key.0 == "sha256" {
                        hashes.sha256 = Some(map.next_value::<Text<'de>>()?);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(JsonMetadata::Hashes(hashes))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'a> JsonMetadata<'a> {
    fn availability(self) -> Option<Option<Cow<'a, str>>> {
        match self {
            JsonMetadata::Flag(false) => None,
            JsonMetadata::Flag(true) => Some(None),
            JsonMetadata::Hashes(h) => Some(h.sha256.map(|t| t.0)),
        }
    }
}
