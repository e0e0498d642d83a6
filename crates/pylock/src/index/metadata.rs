//! Core metadata (the RFC 822-style `METADATA` / `PKG-INFO` file): the fields a resolver needs.

use std::borrow::Cow;

use super::IndexError;
use crate::pep::{
    parse, parse_lenient, ExtraName, PackageName, Requirement, Version, VersionSpecifiers,
};

/// The parts of a distribution's core metadata that resolution uses.
#[derive(Clone, Debug)]
pub struct CoreMetadata {
    /// `Name`, normalized.
    pub name: PackageName,
    /// `Version`.
    pub version: Version,
    /// `Requires-Python`, if any.
    pub requires_python: Option<VersionSpecifiers>,
    /// Every `Requires-Dist`, markers included.
    pub requires_dist: Vec<Requirement>,
    /// Every `Provides-Extra`.
    pub provides_extra: Vec<ExtraName>,
    /// Set when the dependencies come from a source distribution without a build (old or
    /// dynamic metadata): why a build might find others.
    pub approximate: Option<String>,
}

impl CoreMetadata {
    /// Parse core metadata (a `METADATA` or `PKG-INFO` file, RFC 822 style) fetched from
    /// `url` (named in errors). Old metadata is read leniently, as pip and uv read it.
    pub fn parse(bytes: &[u8], url: &str) -> Result<CoreMetadata, IndexError> {
        parse_metadata(bytes, url)
    }
}

/// The most `Requires-Dist` entries one metadata file may have. The most on PyPI are a few
/// hundred (meta-packages with many extras); each is a solver edge and maybe a project page.
pub(crate) const MAX_REQUIRES_DIST: usize = 5_000;

/// Parse core metadata bytes fetched from `url` (used in error messages).
pub(crate) fn parse_metadata(bytes: &[u8], url: &str) -> Result<CoreMetadata, IndexError> {
    Fields::extract(bytes).parse(url)
}

/// The header values a resolver reads from a metadata file (`Name`, `Version`,
/// `Requires-Python`, `Requires-Dist`, `Provides-Extra`), as written, in file order: what the
/// cache keeps of a metadata file (see [`Fields::encode`]), so that a warm run neither hashes
/// nor scans the file again. Values are parsed by [`Fields::parse`] either way, so a cached
/// file reads exactly as the file did.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Fields {
    /// (which field, its header's position in the file, its value).
    values: Vec<(Field, u32, String)>,
}

/// The header fields [`Fields`] keeps.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
enum Field {
    Name,
    Version,
    RequiresPython,
    RequiresDist,
    ProvidesExtra,
}

impl Field {
    fn of(key: &str) -> Option<Field> {
        const KNOWN: [(&str, Field); 5] = [
            ("name", Field::Name),
            ("version", Field::Version),
            ("requires-python", Field::RequiresPython),
            ("requires-dist", Field::RequiresDist),
            ("provides-extra", Field::ProvidesExtra),
        ];
        KNOWN
            .into_iter()
            .find(|(k, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, f)| f)
    }
}

/// What starts an encoded [`Fields`] (the version of the form).
const FIELDS_MAGIC: &[u8] = b"pylock-metadata-fields-v1\n";

impl Fields {
    /// The resolver's header values of a metadata file.
    pub(crate) fn extract(bytes: &[u8]) -> Fields {
        let text = String::from_utf8_lossy(bytes);
        let values = headers(&text)
            .enumerate()
            .filter_map(|(lineno, (key, value))| {
                let field = Field::of(key)?;
                Some((field, lineno as u32, value.into_owned()))
            })
            .collect();
        Fields { values }
    }

    /// The metadata these values say, read from `url` (named in errors).
    pub(crate) fn parse(&self, url: &str) -> Result<CoreMetadata, IndexError> {
        let malformed = |reason: String| IndexError::Malformed {
            url: url.to_owned(),
            reason,
        };
        let mut name = None;
        let mut version = None;
        let mut requires_python = None;
        let mut requires_dist = Vec::new();
        let mut provides_extra = Vec::new();
        for (field, lineno, value) in &self.values {
            let at = |e: String| {
                let key = match field {
                    Field::Name => "Name",
                    Field::Version => "Version",
                    Field::RequiresPython => "Requires-Python",
                    Field::RequiresDist => "Requires-Dist",
                    Field::ProvidesExtra => "Provides-Extra",
                };
                malformed(format!("header {} (`{key}`): {e}", u64::from(*lineno) + 1))
            };
            match field {
                Field::Name => name = Some(parse::value::<PackageName>(value).map_err(at)?),
                Field::Version => version = Some(parse::value::<Version>(value).map_err(at)?),
                // Old metadata is parsed leniently, as pip and uv do (`pytz (>dev)`, trailing
                // commas): see `pep::parse_lenient`.
                Field::RequiresPython if !value.trim().is_empty() => {
                    requires_python =
                        Some(parse_lenient(value, parse::specifiers).map_err(|e| at(e.message))?)
                }
                Field::RequiresPython => {}
                Field::RequiresDist if requires_dist.len() == MAX_REQUIRES_DIST => {
                    return Err(at(format!(
                        "more than {MAX_REQUIRES_DIST} Requires-Dist entries"
                    )));
                }
                Field::RequiresDist => requires_dist.push(parse_requirement(value).map_err(at)?),
                Field::ProvidesExtra => {
                    // Metadata before 2.3 did not normalize extras; an unparseable one cannot
                    // be requested by a valid requirement anyway.
                    if let Ok(extra) = parse::value::<ExtraName>(value) {
                        provides_extra.push(extra);
                    }
                }
            }
        }
        Ok(CoreMetadata {
            name: name.ok_or_else(|| malformed("no `Name` header".into()))?,
            version: version.ok_or_else(|| malformed("no `Version` header".into()))?,
            requires_python,
            requires_dist,
            provides_extra,
            approximate: None,
        })
    }

    /// The cache's form of these values.
    pub(crate) fn encode(&self) -> Vec<u8> {
        // Writing to a vector cannot fail; an empty entry would be refused by `decode`.
        postcard::to_extend(self, FIELDS_MAGIC.to_vec()).unwrap_or_default()
    }

    /// Values encoded by [`Fields::encode`]; `None` for anything else (another version's
    /// form, a damaged entry).
    pub(crate) fn decode(bytes: &[u8]) -> Option<Fields> {
        let rest = bytes.strip_prefix(FIELDS_MAGIC)?;
        match postcard::take_from_bytes::<Fields>(rest) {
            Ok((fields, [])) => Some(fields),
            _ => None,
        }
    }
}

/// A Requires-Dist value, parsed once per process: the versions of a project mostly repeat
/// their requirements (a large resolve reads ~6,500 lines, ~2,300 of them distinct), and PEP
/// 508 parsing is most of what reading metadata costs.
fn parse_requirement(text: &str) -> Result<Requirement, String> {
    type Memo = std::collections::HashMap<Box<str>, Requirement>;
    static MEMO: std::sync::OnceLock<std::sync::Mutex<Memo>> = std::sync::OnceLock::new();
    // Bounded: a long-lived process reading many indexes starts over past this.
    const MAX: usize = 100_000;
    let memo = MEMO.get_or_init(Default::default);
    if let Some(r) = crate::util::lock(memo).get(text) {
        return Ok(r.clone());
    }
    let parsed = parse_lenient(text, parse::requirement).map_err(|e| e.message)?;
    let mut memo = crate::util::lock(memo);
    if memo.len() >= MAX {
        memo.clear();
    }
    memo.insert(text.into(), parsed.clone());
    Ok(parsed)
}

/// The header fields up to the first blank line, folded continuation lines joined (only
/// those allocate: metadata files carry dozens of headers, most of them classifiers).
fn headers(text: &str) -> impl Iterator<Item = (&str, Cow<'_, str>)> + '_ {
    let mut fields: Vec<(&str, Cow<'_, str>)> = Vec::new();
    for line in text.lines() {
        // Only an empty line ends the headers: a folded value (a long License) may hold lines
        // of nothing but indentation.
        if line.is_empty() || line == "\r" {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                let value = value.to_mut();
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            fields.push((key.trim(), Cow::Borrowed(value.trim())));
        }
    }
    fields.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// celery 4.4.7's METADATA, which uv and pip read: a trailing comma in Requires-Python
    /// and a PEP 345-era `(>dev)`.
    #[test]
    fn old_metadata_is_read_leniently() {
        let m = parse_metadata(
            b"Metadata-Version: 2.1\nName: celery\nVersion: 4.4.7\n\
              Requires-Python: >=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*,\n\
              Requires-Dist: pytz (>dev)\nRequires-Dist: kombu (<4.7,>=4.6.10)\n",
            "u",
        )
        .expect("parses leniently");
        assert_eq!(m.requires_dist.len(), 2);
        assert_eq!(
            m.requires_python.map(|r| r.to_string()).as_deref(),
            Some(">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*")
        );
        assert!(parse_metadata(b"Name: a\nVersion: 1\nRequires-Dist: b (>=one)\n", "u").is_err());
    }

    #[test]
    fn reads_resolver_fields() {
        let m = parse_metadata(
            b"Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0.post1\nRequires-Python: >=3.8\n\
              Requires-Dist: b>=1; extra == 'x'\nRequires-Dist: c\n  (>=2)\nProvides-Extra: X\n\n\
              Requires-Dist: ignored-in-body\n",
            "u",
        )
        .expect("parses");
        assert_eq!(m.name.to_string(), "foo-bar");
        assert_eq!(m.version.to_string(), "1.0.post1");
        assert_eq!(m.requires_dist.len(), 2);
        assert_eq!(m.requires_dist[1].to_string(), "c>=2");
        assert_eq!(m.provides_extra[0].to_string(), "x");
        assert!(m.requires_python.is_some());
    }

    #[test]
    fn folded_values_with_blank_looking_lines_do_not_end_the_headers() {
        let m = parse_metadata(
            b"Metadata-Version: 2.1\nName: pandas\nVersion: 2.3.3\nLicense: BSD\n        \n        Copyright\nRequires-Dist: numpy>=1.22\n\nbody\n",
            "u",
        )
        .expect("parses");
        assert_eq!(m.requires_dist.len(), 1);
    }

    /// The cache's form of a metadata file reads as the file does, and anything else in its
    /// place is refused (read from the file again).
    #[test]
    fn kept_fields_read_as_the_file_does() {
        let file = b"Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\nSummary: s\n\
              Requires-Python: >=3.8,\nRequires-Dist: b (>=1) ; extra == 'x'\n\
              Requires-Dist: c\n  (>=2)\nProvides-Extra: X\n\nRequires-Dist: body\n";
        let kept = Fields::extract(file).encode();
        let fields = Fields::decode(&kept).expect("decodes");
        assert_eq!(fields, Fields::extract(file));
        let (direct, cached) = (
            parse_metadata(file, "u").expect("parses"),
            fields.parse("u").expect("parses"),
        );
        assert_eq!(format!("{direct:?}"), format!("{cached:?}"));
        assert_eq!(cached.requires_dist.len(), 2);
        // Errors name the same header either way.
        let bad = b"Name: a\nSummary: s\nVersion: 1\nRequires-Dist: b >>= 1\n";
        let kept = Fields::decode(&Fields::extract(bad).encode()).expect("decodes");
        assert_eq!(
            kept.parse("u").expect_err("bad").to_string(),
            parse_metadata(bad, "u").expect_err("bad").to_string()
        );
        assert!(Fields::decode(&kept_truncated(file)).is_none());
        assert!(Fields::decode(b"pylock-metadata-fields-v0\n").is_none());
        assert!(Fields::decode(file).is_none());
    }

    fn kept_truncated(file: &[u8]) -> Vec<u8> {
        let mut kept = Fields::extract(file).encode();
        kept.pop();
        kept
    }

    #[test]
    fn errors_name_the_url_and_header() {
        let err = parse_metadata(
            b"Name: a\nVersion: 1\nRequires-Dist: b >>= 1\n",
            "http://x/a.metadata",
        )
        .expect_err("bad requirement");
        let msg = err.to_string();
        assert!(
            msg.contains("http://x/a.metadata") && msg.contains("Requires-Dist"),
            "{msg}"
        );
        assert!(parse_metadata(b"Name: a\n", "u").is_err());
    }
}
