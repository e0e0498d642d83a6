//! Project pages of the Simple Repository API: PEP 691 JSON (with PEP 700 fields) and PEP 503
//! HTML (with PEP 592 yanking and PEP 658/714 metadata attributes). Both parsers produce the
//! same [`ProjectPage`]; they take bytes and the page URL, so every transport shares them.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;

use jiff::Timestamp;
use url::Url;

use super::file::{FileParts, FileUrl, Sha256Hash};
use super::filename::{parse_filename, DistKind, WheelTags};
use super::{DistFile, IndexError};
use crate::pep::{PackageName, Version, VersionSpecifiers};

/// One project's files as an index lists them.
#[derive(Clone, Debug)]
pub struct ProjectPage {
    /// The project's normalized name.
    pub name: PackageName,
    /// Every installable file (wheels and sdists); other files are left out.
    pub files: Vec<DistFile>,
}

impl ProjectPage {
    /// Parse a PEP 503 HTML project page of project `name` fetched from `page_url` (relative
    /// file URLs are resolved against it).
    pub fn from_html(
        bytes: &[u8],
        page_url: &Url,
        name: &PackageName,
    ) -> Result<ProjectPage, IndexError> {
        parse_html_page(bytes, page_url, name)
    }
}

/// What the files of one page share: each distinct `Requires-Python` parsed once, each
/// distinct wheel tag set and URL base stored once.
#[derive(Default)]
pub(super) struct PageShared<'a> {
    requires_python: HashMap<Cow<'a, str>, Option<Arc<VersionSpecifiers>>>,
    tags: HashSet<WheelTags>,
    url_bases: HashSet<Arc<str>>,
}

impl<'a> PageShared<'a> {
    /// A file's URL in its compact form.
    pub(super) fn url(&mut self, text: &str) -> FileUrl {
        FileUrl::compact(text, &mut self.url_bases)
    }

    /// The page's parsed `Requires-Python` of this text.
    pub(super) fn requires_python(&mut self, text: Cow<'a, str>) -> Option<Arc<VersionSpecifiers>> {
        self.requires_python
            .entry(text)
            .or_insert_with_key(|t| parse_requires_python(t).map(Arc::new))
            .clone()
    }

    /// `kind` with its tags shared with the page's earlier wheels of the same tags.
    pub(super) fn kind(&mut self, kind: DistKind) -> DistKind {
        match kind {
            DistKind::Wheel(tags) => match self.tags.get(&tags) {
                Some(known) => DistKind::Wheel(known.clone()),
                None => {
                    self.tags.insert(tags.clone());
                    DistKind::Wheel(tags)
                }
            },
            DistKind::Sdist => DistKind::Sdist,
        }
    }
}

/// The last version text parsed and its result: a page lists a version's files together.
#[derive(Default)]
pub(super) struct VersionMemo {
    last: Option<(String, Option<Version>)>,
}

impl VersionMemo {
    pub(super) fn parse(&mut self, text: &str) -> Option<Version> {
        match &self.last {
            Some((t, v)) if t == text => v.clone(),
            _ => {
                let v = crate::pep::parse::value::<Version>(text).ok();
                self.last = Some((text.to_owned(), v.clone()));
                v
            }
        }
    }
}

/// Parse a PEP 503 HTML project page fetched from `page_url`.
pub(crate) fn parse_html_page(
    bytes: &[u8],
    page_url: &Url,
    name: &PackageName,
) -> Result<ProjectPage, IndexError> {
    let malformed = |reason: String| IndexError::Malformed {
        url: page_url.to_string(),
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| malformed(e.to_string()))?;
    let dom =
        tl::parse(text, tl::ParserOptions::default()).map_err(|e| malformed(e.to_string()))?;
    let parser = dom.parser();
    // A <base href> changes what relative links resolve against.
    let mut base = page_url.clone();
    if let Some(href) = dom
        .query_selector("base")
        .and_then(|mut it| it.next())
        .and_then(|h| h.get(parser))
        .and_then(|n| n.as_tag())
        .and_then(|t| attr(t, "href"))
    {
        base = join_url(page_url, &href)?;
    }
    let mut files = Vec::new();
    let mut shared = PageShared::default();
    for handle in dom.query_selector("a").into_iter().flatten() {
        let Some(tag) = handle.get(parser).and_then(|n| n.as_tag()) else {
            continue;
        };
        let Some(href) = attr(tag, "href") else {
            continue;
        };
        let url = join_url(&base, &href)?;
        let filename = crate::util::url_file_name(&url);
        let Some(parsed) = parse_filename(&filename, name) else {
            continue;
        };
        let hash = |h: Option<&str>| checked_sha256(h, &filename, page_url);
        let sha256 = hash(url.fragment().and_then(|frag| frag.strip_prefix("sha256=")))?;
        let mut url = url;
        url.set_fragment(None);
        let metadata =
            attr(tag, "data-core-metadata").or_else(|| attr(tag, "data-dist-info-metadata"));
        let core_metadata = match metadata.as_deref() {
            None | Some("false") => None,
            Some("true" | "") => Some(None),
            Some(other) => Some(hash(other.strip_prefix("sha256="))?),
        };
        files.push(DistFile::new(FileParts {
            filename: filename.into(),
            version: parsed.version,
            kind: shared.kind(parsed.kind),
            url: shared.url(url.as_str()),
            sha256,
            requires_python: attr(tag, "data-requires-python")
                .and_then(|rp| shared.requires_python(Cow::Owned(rp))),
            yanked: tag.attributes().contains("data-yanked"),
            core_metadata,
            size: None,
            upload_time: None,
        }));
    }
    Ok(ProjectPage {
        name: name.clone(),
        files,
    })
}

/// A sha256 from a page; anything but 64 hexadecimal digits is an error naming the file (a
/// hash is copied into locks and compared with downloads).
pub(super) fn checked_sha256(
    hash: Option<&str>,
    filename: &str,
    page_url: &Url,
) -> Result<Option<Sha256Hash>, IndexError> {
    let Some(hash) = hash else {
        return Ok(None);
    };
    match Sha256Hash::from_hex(hash) {
        Some(digest) => Ok(Some(digest)),
        None => Err(IndexError::Malformed {
            url: page_url.to_string(),
            reason: format!(
                "the sha256 of {filename} is not 64 hexadecimal digits: `{}`",
                hash.escape_debug()
            ),
        }),
    }
}

/// An attribute's value with HTML character references decoded.
fn attr(tag: &tl::HTMLTag, key: &str) -> Option<String> {
    let raw = tag.attributes().get(key)??;
    Some(html_escape::decode_html_entities(&raw.as_utf8_str()).into_owned())
}

pub(super) fn join_url(base: &Url, href: &str) -> Result<Url, IndexError> {
    base.join(href).map_err(|e| IndexError::Malformed {
        url: base.to_string(),
        reason: format!("bad link `{href}`: {e}"),
    })
}

/// An unparseable `Requires-Python` on a page is treated as absent, as pip does: the core
/// metadata still carries the authoritative value.
pub(super) fn parse_requires_python(s: &str) -> Option<VersionSpecifiers> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    crate::pep::parse_lenient(s, crate::pep::parse::specifiers).ok()
}

/// Parse an RFC 3339 timestamp (PEP 700 `upload-time`).
pub(super) fn parse_timestamp(s: &str, url: &Url) -> Result<Timestamp, IndexError> {
    Timestamp::from_str(s).map_err(|e| IndexError::Malformed {
        url: url.to_string(),
        reason: format!("bad upload-time `{s}`: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::parse_json_page;

    fn url() -> Url {
        Url::parse("https://example.org/simple/foo-bar/").expect("url")
    }
    fn name() -> PackageName {
        PackageName::from_str("foo-bar").expect("name")
    }

    #[test]
    fn json_page_with_pep700_fields() {
        let page = br#"{"meta":{"api-version":"1.1"},"name":"Foo_Bar","versions":["1.0"],
          "files":[
            {"filename":"foo_bar-1.0-py3-none-any.whl","url":"../../files/foo_bar-1.0-py3-none-any.whl",
             "hashes":{"sha256":"ABCD000000000000000000000000000000000000000000000000000000000000"},"requires-python":">=3.8","yanked":"broken",
             "core-metadata":{"sha256":"ef01000000000000000000000000000000000000000000000000000000000000"},"size":12,"upload-time":"2024-03-24T00:00:00.5Z"},
            {"filename":"foo_bar-1.0.tar.gz","url":"https://files.example/foo_bar-1.0.tar.gz",
             "hashes":{},"dist-info-metadata":true},
            {"filename":"foo_bar-1.0.exe","url":"x.exe","hashes":{}}
          ]}"#;
        let p = parse_json_page(page, &url(), &name()).expect("parses");
        assert_eq!(p.files.len(), 2);
        let w = &p.files[0];
        assert_eq!(
            w.url(),
            "https://example.org/files/foo_bar-1.0-py3-none-any.whl"
        );
        assert_eq!(
            w.sha256().as_deref(),
            Some("abcd000000000000000000000000000000000000000000000000000000000000")
        );
        assert!(w.yanked);
        assert_eq!(
            w.core_metadata(),
            Some(Some(
                "ef01000000000000000000000000000000000000000000000000000000000000".into()
            ))
        );
        assert_eq!(w.size, Some(12));
        assert_eq!(
            w.upload_time.map(|t| t.to_string()).as_deref(),
            Some("2024-03-24T00:00:00.5Z")
        );
        assert_eq!(
            w.requires_python().map(ToString::to_string).as_deref(),
            Some(">=3.8")
        );
        let s = &p.files[1];
        assert!(!s.yanked);
        assert_eq!(s.core_metadata(), Some(None));
        assert_eq!(s.url(), "https://files.example/foo_bar-1.0.tar.gz");
    }

    #[test]
    fn hashes_must_be_sha256_hex() {
        let json = |hash: &str| {
            format!(
                r#"{{"meta":{{"api-version":"1.1"}},"name":"foo-bar","files":[
                {{"filename":"foo_bar-1.0-py3-none-any.whl","url":"f.whl","hashes":{{"sha256":"{hash}"}}}}]}}"#
            )
        };
        for bad in ["abcd", "zz", &"g".repeat(64), "../../../etc/passwd"] {
            let err = parse_json_page(json(bad).as_bytes(), &url(), &name()).expect_err(bad);
            assert!(
                err.to_string().contains("not 64 hexadecimal digits"),
                "{err}"
            );
        }
        let html =
            r#"<a href="foo_bar-1.0-py3-none-any.whl#sha256=12">foo_bar-1.0-py3-none-any.whl</a>"#;
        assert!(parse_html_page(html.as_bytes(), &url(), &name()).is_err());
        let good = "A".repeat(64);
        let page = parse_json_page(json(&good).as_bytes(), &url(), &name()).expect("valid");
        assert_eq!(page.files[0].sha256().as_deref(), Some(&*"a".repeat(64)));
    }

    #[test]
    fn json_page_errors_name_the_url() {
        let err = parse_json_page(b"{\"name\": 3", &url(), &name()).expect_err("malformed");
        assert!(
            err.to_string()
                .contains("https://example.org/simple/foo-bar/"),
            "{err}"
        );
        let err = parse_json_page(br#"{"name":"other","files":[]}"#, &url(), &name())
            .expect_err("wrong project");
        assert!(err.to_string().contains("other"), "{err}");
    }

    #[test]
    fn json_page_errors_come_in_document_order_of_kind() {
        let file = |hash: &str| {
            format!(
                r#"{{"filename":"foo_bar-1.0.tar.gz","url":"f.tar.gz","hashes":{{"sha256":"{hash}"}}}}"#
            )
        };
        let page = |name: &str, files: &str, tail: &str| {
            format!(r#"{{"name":"{name}","files":[{files}]{tail}"#)
        };
        let err = |json: String| {
            parse_json_page(json.as_bytes(), &url(), &name())
                .expect_err(&json)
                .to_string()
        };
        // A file that does not convert, then a syntax error: the syntax error.
        let e = err(page("foo-bar", &file("12"), r#","x":}"#));
        assert!(e.contains("expected value at line 1"), "{e}");
        // A file that does not convert on another project's page: the project.
        let e = err(page("other", &file("12"), "}"));
        assert!(e.contains("for project `other`"), "{e}");
        // Two files that do not convert: the first.
        let e = err(page("foo-bar", &[file("12"), file("34")].join(","), "}"));
        assert!(e.contains("`12`") && !e.contains("`34`"), "{e}");
        for (json, says) in [
            (r#"{"name":"foo-bar"}"#, "missing field `files`"),
            (r#"{"files":[]}"#, "missing field `name`"),
            (
                r#"{"name":"foo-bar","files":[],"files":[]}"#,
                "duplicate field `files`",
            ),
            (r#"{"name":"foo-bar","files":{}}"#, "expected a sequence"),
            (r#"["foo-bar",[]]"#, "expected a project page object"),
            (r#"{"name":"foo-bar","files":[]} x"#, "trailing characters"),
        ] {
            let e = err(json.to_owned());
            assert!(e.contains(says) && e.contains("example.org"), "{json}: {e}");
        }
        let ok = page(
            "foo-bar",
            &[file(&"a".repeat(64)), file(&"b".repeat(64))].join(","),
            "}",
        );
        let listed = parse_json_page(ok.as_bytes(), &url(), &name()).expect("valid");
        assert_eq!(listed.files.len(), 2);
    }

    #[test]
    fn html_page_with_pep503_592_658_attributes() {
        let page = br#"<!DOCTYPE html><html><body>
          <a href="../../files/foo_bar-1.0-py3-none-any.whl#sha256=AB12000000000000000000000000000000000000000000000000000000000000" data-requires-python="&gt;=3.8,&lt;4"
             data-core-metadata="sha256=cd34000000000000000000000000000000000000000000000000000000000000" data-dist-info-metadata="sha256=cd34000000000000000000000000000000000000000000000000000000000000">foo_bar-1.0-py3-none-any.whl</a>
          <a href="../../files/foo_bar-0.9.tar.gz#sha256=eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" data-yanked="">foo_bar-0.9.tar.gz</a>
          <a href="../../files/foo_bar-0.8.tar.gz" data-dist-info-metadata="true">foo_bar-0.8.tar.gz</a>
          <a href="../../files/unrelated-1.0.tar.gz">unrelated</a>
        </body></html>"#;
        let p = parse_html_page(page, &url(), &name()).expect("parses");
        assert_eq!(p.files.len(), 3);
        let w = &p.files[0];
        assert_eq!(
            w.url(),
            "https://example.org/files/foo_bar-1.0-py3-none-any.whl"
        );
        assert_eq!(
            w.sha256().as_deref(),
            Some("ab12000000000000000000000000000000000000000000000000000000000000")
        );
        assert_eq!(
            w.requires_python().map(ToString::to_string).as_deref(),
            Some(">=3.8, <4")
        );
        assert_eq!(
            w.core_metadata(),
            Some(Some(
                "cd34000000000000000000000000000000000000000000000000000000000000".into()
            ))
        );
        assert!(!w.yanked);
        assert!(p.files[1].yanked);
        assert_eq!(p.files[1].core_metadata(), None);
        assert_eq!(p.files[2].core_metadata(), Some(None));
    }
}
