//! Direct references in requirements: `name @ https://host/x-1.0-py3-none-any.whl`, `name @
//! file:///...`, and pip's unnamed forms (`./pkg`, `.`, `dist/x-1.0.tar.gz`). Each becomes a
//! PEP 508 `name @ URL` requirement with an absolute URL (`file:` for local paths, made
//! absolute against the directory the requirement was written in), so that everything after
//! the manifest sees one form; the index layer reads what it points at.
//!
//! Only what pylock can lock without a build is accepted: wheels, sdists (`.tar.gz`,
//! `.zip`) and project directories with a `pyproject.toml`. Version-control URLs, other
//! schemes, other archive formats and hash fragments other than `sha256` are refused here,
//! with the requirement named.

use std::path::{Component, Path, PathBuf};

use url::Url;

use super::toml_doc::{Doc, TomlError};
use super::ManifestError;
use crate::pep::PackageName;

/// A direct reference rewritten to PEP 508 form.
#[derive(Debug)]
pub(super) struct Rewritten {
    /// `name[extras] @ URL ; marker`, the URL absolute.
    pub text: String,
    /// Whether it points at a local project directory (what `-e` accepts).
    pub directory: bool,
}

/// The archive suffixes pylock reads metadata from.
const ARCHIVES: [&str; 3] = [".whl", ".tar.gz", ".zip"];

/// Whether a local path a reference names must exist when the reference is read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Local {
    /// It must: the user named it (a command line, a requirements file, the project locked).
    MustExist,
    /// It may not, yet: an extra of a dependency's project, read only if that extra is asked
    /// for (the error then comes when the reference is read).
    MayBeMissing,
}

/// If `text` is a direct reference, its PEP 508 form; `Ok(None)` for an ordinary
/// requirement. Relative paths are taken from `base`; local ones checked as `local` says.
pub(super) fn rewrite(text: &str, base: &Path, local: Local) -> Result<Option<Rewritten>, String> {
    let t = text.trim();
    let Some((name_part, reference, rest)) = split(t) else {
        return Ok(None);
    };
    let rest = rest.trim();
    if !rest.is_empty() && !rest.starts_with(';') {
        return Err(format!(
            "unexpected `{rest}` after the reference `{reference}` (a marker starts with `;`)"
        ));
    }
    let (reference, extras) = match (name_part, reference.strip_suffix(']')) {
        // pip's `./pkg[extra]`: extras after an unnamed path.
        (None, Some(inner)) if inner.contains('[') => {
            let at = inner.rfind('[').unwrap_or(inner.len());
            (&reference[..at], &reference[at..])
        }
        _ => (reference, ""),
    };
    let target = locate(reference, base, local)?;
    let from_target = target.name()?;
    let named = match name_part {
        Some(part) => {
            let end = part.find('[').unwrap_or(part.len());
            let name: PackageName = crate::pep::parse::value(part[..end].trim())?;
            if let Some(found) = &from_target {
                if *found != name {
                    return Err(format!(
                        "`{reference}` is {found}, not {name} (the name before `@` must be the distribution's)"
                    ));
                }
            }
            part.to_owned()
        }
        None => match from_target {
            Some(name) => format!("{name}{extras}"),
            None => return Err(format!("`{reference}`: cannot tell the package name")),
        },
    };
    let marker = if rest.is_empty() {
        String::new()
    } else {
        format!(" {rest}")
    };
    Ok(Some(Rewritten {
        text: format!("{} @ {}{marker}", named.trim(), target.url),
        directory: matches!(target.kind, Kind::Directory(_)),
    }))
}

/// `text` with the user name and password of every `scheme://user:password@host` in it
/// removed: what an error message may quote of a requirement (the text need not parse as a
/// URL, so this works on the characters).
pub(super) fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#' | '`' | '\'') || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        out.push_str(
            authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host),
        );
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `(name and extras, reference, rest)` when `text` is a direct reference.
fn split(text: &str) -> Option<(Option<&str>, &str, &str)> {
    let head = text.split([';', ' ', '\t']).next().unwrap_or(text);
    let first_word_end = |s: &str| s.find([' ', '\t', ';']).unwrap_or(s.len());
    if let Some((before, after)) = text.split_once('@') {
        if !before.contains([':', '/', '\\']) {
            // `name[extras] @ reference rest` (`name@ref` too); `name==1.0; ... @` is not one.
            if before.contains(['=', '<', '>', '!', '~', ';']) {
                return None;
            }
            let after = after.trim_start();
            let end = first_word_end(after);
            return Some((Some(before), &after[..end], &after[end..]));
        }
    }
    let lower = head.to_ascii_lowercase();
    let pathlike = head.contains("://")
        || lower.starts_with("file:")
        || ARCHIVES.iter().any(|e| lower.ends_with(e))
        || head.starts_with(['.', '/', '~', '\\'])
        || head.contains(['/', '\\'])
        || (head.len() > 1 && head.as_bytes()[1] == b':');
    if !pathlike {
        return None;
    }
    let end = first_word_end(text);
    Some((None, &text[..end], &text[end..]))
}

/// What a reference points at.
struct Target {
    /// Absolute, with the `#sha256=` fragment when one was given.
    url: Url,
    kind: Kind,
}

enum Kind {
    /// A wheel or sdist, by file name.
    Archive(String),
    /// A local project directory.
    Directory(PathBuf),
    /// A local path that does not exist ([`Local::MayBeMissing`]).
    Missing,
}

impl Target {
    /// The name the target gives itself: an archive's file name, a project's `[project]
    /// name`.
    fn name(&self) -> Result<Option<PackageName>, String> {
        match &self.kind {
            Kind::Archive(filename) => archive_name(filename).map(Some),
            Kind::Missing => Ok(None),
            Kind::Directory(dir) => {
                let pyproject = dir.join("pyproject.toml");
                if !pyproject.is_file() {
                    return Err(format!(
                        "{} has no pyproject.toml: a project without static metadata needs a build, which pylock does not do",
                        dir.display()
                    ));
                }
                // The name only: reading the project's requirements here would follow their
                // direct references, without end when projects reference each other.
                match project_name(&pyproject).map_err(|e| e.to_string())? {
                    Some(name) => Ok(Some(name)),
                    None => Err(format!(
                        "{} has no [project] name: its metadata is known only after a build, which pylock does not do",
                        pyproject.display()
                    )),
                }
            }
        }
    }
}

/// Only the `[project] name` of a `pyproject.toml`, nothing else parsed: what a direct
/// reference to a project directory needs to know of it. Its requirements (and their own
/// direct references) are read once, later, by the index overlay, so that projects which
/// reference each other (or themselves) are not read recursively.
fn project_name(path: &Path) -> Result<Option<PackageName>, ManifestError> {
    let text = super::read_text(path)?;
    name_in(path, &text).map_err(TomlError::into_manifest)
}

/// The `[project] name` of the `pyproject.toml` text read from `path`.
fn name_in(path: &Path, text: &str) -> Result<Option<PackageName>, TomlError> {
    let doc = Doc::parse(path, text)?;
    let Some(table) = doc.root.get("project") else {
        return Ok(None);
    };
    let table = doc.table(table, "[project]")?;
    match doc.opt_string(table, "name")? {
        Some((name, span)) => Ok(Some(
            crate::pep::parse::value(name).map_err(|e| doc.err(span, e))?,
        )),
        None => Ok(None),
    }
}

/// Where `reference` points: a remote archive URL, a local archive or a local directory.
fn locate(reference: &str, base: &Path, must: Local) -> Result<Target, String> {
    let lower = reference.to_ascii_lowercase();
    if let Some((scheme, _)) = lower.split_once("://") {
        if ["git", "hg", "svn", "bzr"]
            .iter()
            .any(|vcs| scheme == *vcs || scheme.starts_with(&format!("{vcs}+")))
        {
            return Err(
                "VCS requirements need a build; not supported (pylock builds nothing: publish the project to an index or reference a built wheel)".into(),
            );
        }
        if scheme != "file" {
            return remote(reference, scheme);
        }
    }
    let path = match lower.strip_prefix("file:") {
        Some(_) if lower.starts_with("file://") => {
            let url = Url::parse(reference).map_err(|e| format!("invalid URL: {e}"))?;
            check_fragment(&url)?;
            url.to_file_path()
                .map_err(|()| "not a local file URL".to_owned())?
        }
        // `file:../x.whl`: a relative path, as pip and uv take it.
        Some(_) => PathBuf::from(&reference["file:".len()..]),
        None => PathBuf::from(reference),
    };
    local(&path, base, fragment(reference), must)
}

fn fragment(reference: &str) -> Option<&str> {
    reference.split_once('#').map(|(_, f)| f)
}

/// A remote archive: `http(s)` only, a wheel or sdist file name, no fragment but `sha256=`.
fn remote(reference: &str, scheme: &str) -> Result<Target, String> {
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "`{scheme}:` URLs are not supported (http, https and file are)"
        ));
    }
    let url = Url::parse(reference).map_err(|e| format!("invalid URL: {e}"))?;
    check_fragment(&url)?;
    let filename = crate::util::url_file_name(&url);
    archive_kind(&filename)?;
    Ok(Target {
        url,
        kind: Kind::Archive(filename),
    })
}

/// A local archive or project directory, made absolute against `base`.
fn local(path: &Path, base: &Path, fragment: Option<&str>, must: Local) -> Result<Target, String> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let absolute = normalize(&std::path::absolute(&joined).unwrap_or(joined));
    let meta = std::fs::metadata(&absolute);
    let mut url = Url::from_file_path(&absolute)
        .map_err(|()| format!("{} cannot be a file URL", absolute.display()))?;
    let meta = match meta {
        Ok(meta) => meta,
        Err(_) if must == Local::MayBeMissing => {
            url.set_fragment(fragment);
            return Ok(Target {
                url,
                kind: Kind::Missing,
            });
        }
        Err(e) => return Err(format!("cannot read {}: {e}", absolute.display())),
    };
    if meta.is_dir() {
        if fragment.is_some() {
            return Err("a project directory takes no `#` fragment".into());
        }
        return Ok(Target {
            url,
            kind: Kind::Directory(absolute),
        });
    }
    let filename = absolute
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    archive_kind(&filename)?;
    url.set_fragment(fragment);
    check_fragment(&url)?;
    Ok(Target {
        url,
        kind: Kind::Archive(filename),
    })
}

/// `..` and `.` applied without asking the file system (symbolic links are kept as named).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Only `#sha256=<64 hex>` is understood: an installer checks the hash the lock records, and
/// the lock records sha256.
fn check_fragment(url: &Url) -> Result<(), String> {
    let Some(fragment) = url.fragment() else {
        return Ok(());
    };
    match fragment.split_once('=') {
        Some(("sha256", hex)) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(())
        }
        Some(("sha256", _)) => Err(format!("`#{fragment}` is not a sha256 digest (64 hex digits)")),
        Some((algorithm @ ("md5" | "sha1" | "sha224" | "sha384" | "sha512"), _)) => Err(format!(
            "`#{algorithm}=` hashes are not supported: give `#sha256=` (the hash PEP 751 locks record)"
        )),
        _ => Err(format!(
            "`#{fragment}`: only a `#sha256=` fragment is supported (subdirectories need a build)"
        )),
    }
}

fn archive_kind(filename: &str) -> Result<(), String> {
    let lower = filename.to_ascii_lowercase();
    if ARCHIVES.iter().any(|e| lower.ends_with(e)) {
        Ok(())
    } else {
        Err(format!(
            "`{filename}` is not a wheel (.whl) or source distribution (.tar.gz, .zip)"
        ))
    }
}

/// The project name an archive's file name gives (`name-1.0-py3-none-any.whl`,
/// `name-1.0.tar.gz`).
fn archive_name(filename: &str) -> Result<PackageName, String> {
    let lower = filename.to_ascii_lowercase();
    let stem = ARCHIVES
        .iter()
        .find_map(|e| {
            lower
                .ends_with(e)
                .then(|| &filename[..filename.len() - e.len()])
        })
        .unwrap_or(filename);
    let name = if lower.ends_with(".whl") {
        stem.split('-').next()
    } else {
        stem.rsplit_once('-').map(|(n, _)| n)
    };
    let invalid = || format!("`{filename}` is not named NAME-VERSION as distributions are");
    let name = name.filter(|n| !n.is_empty()).ok_or_else(invalid)?;
    crate::pep::parse::value(name).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Copies of the few `fixtures/direct` files these tests need, inside the crate so that
    /// the packaged crate's tests find them.
    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/direct")
    }

    fn rewritten(text: &str) -> Result<Option<String>, String> {
        rewrite(text, &fixtures(), Local::MustExist).map(|r| r.map(|r| r.text))
    }

    #[test]
    fn ordinary_requirements_are_left_alone() {
        for text in [
            "a",
            "a>=1",
            "a[x]; python_version > '3'",
            "a==1.0; os_name == 'x@y'",
        ] {
            assert!(rewritten(text).expect(text).is_none(), "{text}");
        }
    }

    #[test]
    fn urls_and_paths_become_absolute_named_references() {
        let url = "https://h.example/p/dwheel-1.0-py3-none-any.whl#sha256=10144d7c6fa0763337cb60b6db039865484f7bd3d96357cd6915ac41935bb93a";
        assert_eq!(
            rewritten(&format!("dwheel[x] @ {url} ; python_version > '3'")).expect("url"),
            Some(format!("dwheel[x] @ {url} ; python_version > '3'"))
        );
        let dir = Url::from_file_path(normalize(&std::path::absolute(fixtures()).expect("abs")))
            .expect("url");
        assert_eq!(
            rewritten("./dwheel-1.0-py3-none-any.whl").expect("path"),
            Some(format!("dwheel @ {dir}/dwheel-1.0-py3-none-any.whl"))
        );
        assert_eq!(
            rewritten("./pkg[cli]; os_name == 'posix'").expect("dir"),
            Some(format!("pkg[cli] @ {dir}/pkg ; os_name == 'posix'"))
        );
        let r = rewrite("../direct/pkg", &fixtures(), Local::MustExist)
            .expect("dir")
            .expect("some");
        assert!(r.directory && r.text == format!("pkg @ {dir}/pkg"), "{r:?}");
        assert_eq!(
            rewritten(&format!("dsdist @ {dir}/dsdist-1.0.tar.gz")).expect("file url"),
            Some(format!("dsdist @ {dir}/dsdist-1.0.tar.gz"))
        );
        assert_eq!(
            rewritten("dzip@file:dzip-1.0.zip").expect("relative file:"),
            Some(format!("dzip @ {dir}/dzip-1.0.zip"))
        );
    }

    #[test]
    fn what_cannot_be_locked_is_refused_with_the_reason() {
        for (text, why) in [
            (
                "git+https://h.example/x@v1",
                "VCS requirements need a build",
            ),
            (
                "x @ git+https://h.example/x",
                "VCS requirements need a build",
            ),
            ("x @ hg+https://h.example/x", "VCS"),
            ("x @ ftp://h.example/x-1.0.tar.gz", "`ftp:` URLs"),
            ("x @ https://h.example/x-1.0.tar.bz2", "not a wheel"),
            (
                "x @ https://h.example/x-1.0.tar.gz#md5=00",
                "`#md5=` hashes",
            ),
            (
                "x @ https://h.example/x-1.0.tar.gz#sha256=00",
                "not a sha256",
            ),
            (
                "x @ https://h.example/x-1.0.tar.gz#subdirectory=a",
                "subdirectories",
            ),
            ("y @ https://h.example/x-1.0.tar.gz", "is x, not y"),
            ("./missing-1.0.tar.gz", "cannot read"),
            ("dynpkg/../missing", "cannot read"),
            (
                "x @ https://h.example/x-1.0.tar.gz trailing",
                "unexpected `trailing`",
            ),
            (".", "no pyproject.toml"),
        ] {
            let err = rewritten(text).expect_err(text);
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn odd_text_is_an_error_or_left_alone_never_a_panic() {
        for text in [
            "@",
            " @ ",
            "a @",
            "a @ ",
            "@ ./x",
            "[",
            "./[",
            "./x[",
            "./x]",
            "a[@]",
            "a @ @",
            "a @ file:",
            "a @ file://",
            "a @ file:///",
            "a @ https://",
            "a @ https:///x.whl",
            "a @ http://h/%ff%fe.whl",
            "a @ http://h/.whl",
            "./é.whl",
            "é @ ./x",
            "a @ ./é",
            "C:",
            "c:\\x.whl",
            "~/x.whl",
            "a @ .;",
            "./;",
            "a@b@c",
            "a @ https://h/a-1.0.whl#",
            "a @ https://h/a-1.0.whl#sha256=",
            "a @ https://u:p@h/a-1.0.whl#=",
        ] {
            if let Err(e) = rewritten(text) {
                assert!(!e.is_empty(), "{text}");
            }
            let added = crate::manifest::Manifest::default()
                .add_str(text, crate::manifest::Role::Requirement);
            if let Err(e) = added {
                let e = e.to_string();
                assert!(e.starts_with("<command line>:1:"), "{text}: {e}");
            }
        }
    }

    #[test]
    fn names_come_from_file_names() {
        assert_eq!(
            archive_name("Foo_Bar-1.0-py3-none-any.whl")
                .expect("w")
                .as_ref(),
            "foo-bar"
        );
        assert_eq!(
            archive_name("foo-bar-1.0.tar.gz").expect("s").as_ref(),
            "foo-bar"
        );
        assert!(archive_name("-1.0.tar.gz").is_err());
        assert!(archive_name("nodash.zip").is_err());
    }
}
