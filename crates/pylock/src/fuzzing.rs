//! Entry points for the fuzz targets; not part of the stable API.
//!
//! Each function takes arbitrary bytes, hands them to the parser that reads that kind of input
//! in a real run, and discards the result: an error is a correct answer, only a panic, an
//! abort (stack overflow), a hang or a memory blow-up is a finding. Where a real run goes on to
//! use what was parsed (a requirement's range and markers), the entry point does too, so that a
//! panic one step after parsing is found with the input that causes it.
//!
//! The `fuzz/` package of the workspace wraps each one in an AFL++ target; its regression
//! test runs every saved input through them. [`TARGETS`] lists them by name.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use url::Url;

use crate::index::{archive, Limits};
use crate::manifest::{Manifest, Role};
use crate::pep::{self, PackageName, Requirement, VersionSpecifiers};

/// What the targets pass as the URL of what they parse.
const URL: &str = "https://fuzz.invalid/simple/pkg/pkg-1.0-py3-none-any.whl";

/// A fuzz target's entry point.
pub type Entry = fn(&[u8]);

/// Every target: its name (the directory of its corpus and regressions) and its entry point.
pub const TARGETS: &[(&str, Entry)] = &[
    ("pep508", pep508),
    ("requirements_txt", requirements_txt),
    ("pyproject", pyproject),
    ("html_page", html_page),
    ("json_page", json_page),
    ("metadata", metadata),
    ("wheel", wheel),
    ("sdist", sdist),
    ("zipdir", zipdir),
];

/// A PEP 508 requirement string, as given on the command line (strict parser) and as found in
/// a `Requires-Dist` header (lenient parser); what parses is then used as the resolver uses it.
pub fn pep508(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Manifest::default().add_str(text, Role::Requirement);
    if let Ok(req) = pep::parse_lenient(text, pep::parse::requirement) {
        use_requirement(&req);
    }
}

/// A pip requirements file. The input is split at NUL bytes into up to eight files `r0.txt`,
/// `r1.txt`, ... in a fresh temporary directory, and `r0.txt` is read: nested `-r`/`-c`
/// lines can name the others.
pub fn requirements_txt(data: &[u8]) {
    let files: Vec<(String, &[u8])> = data
        .splitn(8, |&b| b == 0)
        .enumerate()
        .map(|(i, part)| (format!("r{i}.txt"), part))
        .collect();
    with_files(&files, |dir| {
        let mut manifest = Manifest::default();
        if manifest
            .add_file(&dir.join("r0.txt"), Role::Requirement)
            .is_ok()
        {
            manifest.requirements.iter().for_each(use_requirement);
        }
    });
}

/// A `pyproject.toml` (`[project] dependencies` and `requires-python`).
pub fn pyproject(data: &[u8]) {
    with_files(&[("pyproject.toml".to_owned(), data)], |dir| {
        let mut manifest = Manifest::default();
        if manifest
            .add_file(&dir.join("pyproject.toml"), Role::Requirement)
            .is_ok()
        {
            manifest.requirements.iter().for_each(use_requirement);
        }
    });
}

/// A PEP 503 HTML project page. The first line of the input is the project's name (as a
/// requirement would give it), the rest is the page.
pub fn html_page(data: &[u8]) {
    if let Some((name, url, page)) = project_page(data) {
        let _ = crate::index::parse_html_page(page, &url, &name);
    }
}

/// A PEP 691 JSON project page. The first line of the input is the project's name, the rest
/// is the page.
pub fn json_page(data: &[u8]) {
    if let Some((name, url, page)) = project_page(data) {
        let _ = crate::index::parse_json_page(page, &url, &name);
    }
}

/// Core metadata (`METADATA`, `PKG-INFO`, a PEP 658 `.metadata` file): RFC 822 headers,
/// `Requires-Dist` parsed leniently.
pub fn metadata(data: &[u8]) {
    if let Ok(metadata) = crate::index::parse_metadata(data, URL) {
        metadata.requires_dist.iter().for_each(use_requirement);
        if let Some(rp) = &metadata.requires_python {
            let _ = pep::python_marker(rp);
            let _ = pep::python_bounds(rp);
            let _ = pep::specifiers_range(rp);
        }
    }
}

/// A wheel (zip): its `*.dist-info/METADATA` is found, extracted and parsed.
pub fn wheel(data: &[u8]) {
    if let Ok(bytes) = archive::wheel_metadata(std::io::Cursor::new(data), URL, &Limits::default())
    {
        metadata(&bytes);
    }
}

/// A zip archive read by the zip directory reader alone (`index/zipdir.rs`), for members
/// one directory deep with several suffixes and limits (small ones reach the size checks).
/// What it returns must be what was asked: a name ending with the suffix, one directory
/// deep, at most `limit` bytes.
pub fn zipdir(data: &[u8]) {
    for (suffix, limit) in [
        (".dist-info/METADATA", 1 << 20),
        ("METADATA", 64),
        ("/", 16),
    ] {
        let found = crate::index::zipdir::member(std::io::Cursor::new(data), suffix, limit);
        if let Ok(Some((name, bytes))) = found {
            assert!(name.ends_with(suffix), "{name} does not end with {suffix}");
            assert_eq!(
                name.matches('/').count(),
                1,
                "{name} is not one directory deep"
            );
            assert!(bytes.len() as u64 <= limit, "{name}: {} bytes", bytes.len());
        }
    }
}

/// An sdist (`.tar.gz`): its `PKG-INFO` (and `*.egg-info/requires.txt`) are found, extracted
/// and parsed.
pub fn sdist(data: &[u8]) {
    if let Ok((bytes, _)) = archive::sdist_metadata(data, URL, "pkg", &Limits::default()) {
        metadata(&bytes);
    }
}

/// What the resolver does with every requirement it reads.
fn use_requirement(req: &Requirement) {
    let _ = pep::requirement_range(req);
    let _ = pep::pinned_version(req);
    let _ = pep::names_prerelease(req);
    let _ = req.to_string();
    let marker = &req.marker;
    if pep::is_possible(marker) {
        let _ = pep::python_range(marker);
        let _ = pep::restrict_extras(marker, &req.extras);
        if let Ok(rp) = VersionSpecifiers::from_str(">=3.8") {
            let _ = pep::lock_marker(marker, &rp);
        }
    }
}

/// The project name on the first line, a page URL for it, and the page bytes after it.
fn project_page(data: &[u8]) -> Option<(PackageName, Url, &[u8])> {
    let end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let first = std::str::from_utf8(&data[..end]).ok()?.trim();
    // The name comes from a requirement that parsed: keep to the characters names have, so
    // that a crash here is one of the page parser's.
    if first.is_empty()
        || !first
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return None;
    }
    let name = PackageName::from_str(first).ok()?;
    let url = Url::parse(&format!("https://fuzz.invalid/simple/{name}/")).ok()?;
    Some((name, url, data.get(end + 1..).unwrap_or_default()))
}

/// Write `files` into a new temporary directory, run `f` on it, remove it (also when `f`
/// panics).
fn with_files(files: &[(String, &[u8])], f: impl FnOnce(&Path)) {
    struct Removed(PathBuf);
    impl Drop for Removed {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = Removed(std::env::temp_dir().join(format!(
        "pylock-fuzz-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )));
    let _ = std::fs::remove_dir_all(&dir.0);
    if std::fs::create_dir_all(&dir.0).is_ok()
        && files
            .iter()
            .all(|(name, bytes)| std::fs::write(dir.0.join(name), bytes).is_ok())
    {
        f(&dir.0);
    }
}
