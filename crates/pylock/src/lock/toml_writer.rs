//! The PEP 751 TOML layout, written by hand for byte-exact control of key order and inline
//! tables (the layout uv and pip users read); values are escaped per TOML 1.0.

use std::fmt::Write as _;

use super::{Location, Lock, LockedFile, Source, LOCK_VERSION};

pub(super) fn write(lock: &Lock) -> String {
    // Universal locks list thousands of wheels: everything is written straight into `out`.
    let mut out = String::with_capacity(256 + lock.packages.len() * 1024);
    out.push_str("lock-version = ");
    string(&mut out, LOCK_VERSION);
    out.push('\n');
    if !lock.environments.is_empty() {
        string_list(&mut out, "environments", &lock.environments);
    }
    key_value(&mut out, "requires-python", &lock.requires_python);
    for (key, names) in [
        ("extras", &lock.extras),
        ("dependency-groups", &lock.dependency_groups),
        ("default-groups", &lock.default_groups),
    ] {
        if !names.is_empty() {
            string_list(&mut out, key, names);
        }
    }
    key_value(&mut out, "created-by", "pylock");
    if lock.packages.is_empty() {
        // PEP 751 requires the key even when nothing is locked.
        out.push_str("packages = []\n");
    }
    for p in &lock.packages {
        out.push_str("\n[[packages]]\n");
        key_value(&mut out, "name", &p.name);
        if !p.version.is_empty() {
            // A source tree (a `directory` entry) has no version (PEP 751).
            key_value(&mut out, "version", &p.version);
        }
        if let Some(m) = &p.marker {
            key_value(&mut out, "marker", m);
        }
        if let Some(rp) = &p.requires_python {
            key_value(&mut out, "requires-python", rp);
        }
        if let Some(index) = &p.index {
            key_value(&mut out, "index", index);
        }
        if let Some(sdist) = &p.sdist {
            out.push_str("sdist = ");
            file(&mut out, sdist);
            out.push('\n');
        }
        match p.wheels.as_slice() {
            [] => {}
            [one] => {
                out.push_str("wheels = [");
                file(&mut out, one);
                out.push_str("]\n");
            }
            many => {
                out.push_str("wheels = [\n");
                for w in many {
                    out.push_str("    ");
                    file(&mut out, w);
                    out.push_str(",\n");
                }
                out.push_str("]\n");
            }
        }
        if let Some(s) = &p.source {
            source(&mut out, s);
        }
    }
    out
}

/// A package source other than index files, as an inline table on its own line.
fn source(out: &mut String, s: &Source) {
    let subdirectory = |out: &mut String, sub: &Option<String>| {
        if let Some(sub) = sub {
            out.push_str(", subdirectory = ");
            string(out, sub);
        }
    };
    match s {
        Source::Archive {
            file: f,
            subdirectory: sub,
        } => {
            out.push_str("archive = { ");
            location(out, &f.location);
            if let Some(size) = f.size {
                let _ = write!(out, ", size = {size}");
            }
            hashes(out, f.sha256.as_deref());
            subdirectory(out, sub);
            out.push_str(" }\n");
        }
        Source::Directory {
            path,
            editable,
            subdirectory: sub,
        } => {
            out.push_str("directory = { path = ");
            string(out, path);
            if *editable {
                out.push_str(", editable = true");
            }
            subdirectory(out, sub);
            out.push_str(" }\n");
        }
        Source::Vcs {
            kind,
            url,
            path,
            requested_revision,
            commit_id,
            subdirectory: sub,
        } => {
            out.push_str("vcs = { type = ");
            string(out, kind);
            out.push_str(", ");
            let at = match (url, path) {
                (Some(u), _) => Location::Url(u.clone()),
                (None, p) => Location::Path(p.clone().unwrap_or_default()),
            };
            location(out, &at);
            if let Some(r) = requested_revision {
                out.push_str(", requested-revision = ");
                string(out, r);
            }
            out.push_str(", commit-id = ");
            string(out, commit_id);
            subdirectory(out, sub);
            out.push_str(" }\n");
        }
    }
}

/// `url = "..."` or `path = "..."`.
fn location(out: &mut String, at: &Location) {
    let (key, value) = match at {
        Location::Url(u) => ("url = ", u),
        Location::Path(p) => ("path = ", p),
    };
    out.push_str(key);
    string(out, value);
}

/// `, hashes = { sha256 = "..." }` (an empty table when unknown).
fn hashes(out: &mut String, sha256: Option<&str>) {
    match sha256 {
        Some(h) => {
            out.push_str(", hashes = { sha256 = ");
            string(out, h);
            out.push_str(" }");
        }
        None => out.push_str(", hashes = {}"),
    }
}

/// `key = ["a", "b"]` on a line of its own.
fn string_list(out: &mut String, key: &str, values: &[String]) {
    out.push_str(key);
    out.push_str(" = [");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        string(out, v);
    }
    out.push_str("]\n");
}

/// `key = "value"` on a line of its own.
fn key_value(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push_str(" = ");
    string(out, value);
    out.push('\n');
}

/// A file as an inline table.
fn file(out: &mut String, f: &LockedFile) {
    out.push_str("{ ");
    if let Some(name) = &f.name {
        out.push_str("name = ");
        string(out, name);
        out.push_str(", ");
    }
    if let Some(t) = &f.upload_time {
        // RFC 3339 in UTC is a valid TOML offset date-time.
        let _ = write!(out, "upload-time = {t}, ");
    }
    location(out, &f.location);
    if let Some(size) = f.size {
        let _ = write!(out, ", size = {size}");
    }
    hashes(out, f.sha256.as_deref());
    out.push_str(" }");
}

/// A TOML basic string, appended to `out`.
///
/// Runs of characters that need no escape are copied whole (a large universal lock writes
/// tens of thousands of URLs, names and markers): only `"`, `\` and control characters are
/// escaped, all ASCII, so every byte position found is a character boundary.
pub(super) fn string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut copied = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\t' => "\\t",
            b'\r' => "\\r",
            0..=0x1f | 0x7f => "",
            _ => continue,
        };
        out.push_str(&s[copied..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04X}", b);
        } else {
            out.push_str(escape);
        }
        copied = i + 1;
    }
    out.push_str(&s[copied..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::LockedPackage;

    #[test]
    fn strings_escape_quotes_backslashes_and_control_characters_only() {
        let mut out = String::new();
        string(&mut out, "a\"b\\c\nd\te\rf\u{1}g\u{7f}h é ✓");
        assert_eq!(out, r#""a\"b\\c\nd\te\rf\u0001g\u007Fh é ✓""#);
        for s in [
            "",
            "plain",
            "\"",
            "\\\\",
            "ü\u{0}ü",
            "https://h/x.whl#sha256=ab",
        ] {
            let mut out = String::from("k = ");
            string(&mut out, s);
            let back: toml::Table = toml::from_str(&out).expect("valid TOML");
            assert_eq!(back["k"].as_str(), Some(s), "{out}");
        }
    }

    fn sample() -> Lock {
        Lock {
            environments: vec!["sys_platform == 'linux'".into()],
            requires_python: ">=3.12".into(),
            extras: Vec::new(),
            dependency_groups: Vec::new(),
            default_groups: Vec::new(),
            record: None,
            packages: vec![LockedPackage {
                name: "a".into(),
                version: "1.0".into(),
                marker: None,
                requires_python: Some(">=3.8".into()),
                index: Some("https://pypi.org/simple".into()),
                sdist: Some(LockedFile {
                    name: None,
                    upload_time: Some("2024-03-24T00:00:00.5Z".parse().expect("ts")),
                    location: Location::Path("files/a \"q\"\\1.0.tar.gz".into()),
                    size: Some(10),
                    sha256: Some("ab".into()),
                }),
                wheels: vec![LockedFile {
                    name: None,
                    upload_time: None,
                    location: Location::Url("https://x/a-1.0-py3-none-any.whl".into()),
                    size: None,
                    sha256: None,
                }],
                source: None,
            }],
        }
    }

    #[test]
    fn direct_sources_are_written_and_read_back() {
        let bare = |name: &str, version: &str, source| LockedPackage {
            name: name.into(),
            version: version.into(),
            marker: None,
            requires_python: None,
            index: None,
            sdist: None,
            wheels: Vec::new(),
            source: Some(source),
        };
        let lock = Lock {
            environments: Vec::new(),
            requires_python: ">=3.10".into(),
            extras: Vec::new(),
            dependency_groups: Vec::new(),
            default_groups: Vec::new(),
            record: None,
            packages: vec![
                bare(
                    "arch",
                    "1.0",
                    Source::Archive {
                        file: LockedFile {
                            name: None,
                            upload_time: None,
                            location: Location::Url("https://h/arch-1.0.tar.gz".into()),
                            size: Some(12),
                            sha256: Some("ab".repeat(32)),
                        },
                        subdirectory: None,
                    },
                ),
                bare(
                    "local",
                    "",
                    Source::Directory {
                        path: "../pkg".into(),
                        editable: true,
                        subdirectory: Some("sub".into()),
                    },
                ),
                bare(
                    "repo",
                    "2.0",
                    Source::Vcs {
                        kind: "git".into(),
                        url: Some("https://h/repo.git".into()),
                        path: None,
                        requested_revision: Some("v2".into()),
                        commit_id: "0123".into(),
                        subdirectory: None,
                    },
                ),
            ],
        };
        let text = write(&lock);
        insta::assert_snapshot!(text);
        let read = crate::lock::LockFile::parse(std::path::Path::new("pylock.toml"), &text)
            .expect("reads back");
        assert_eq!(read.lock.packages, lock.packages);
    }

    #[test]
    fn layout() {
        insta::assert_snapshot!(write(&sample()));
    }

    #[test]
    fn multi_use_keys_in_the_specification_order() {
        let mut lock = sample();
        lock.extras = vec!["gpu".into(), "old".into()];
        lock.dependency_groups = vec!["dev".into(), "test".into()];
        lock.default_groups = vec!["dev".into()];
        let text = write(&lock);
        let head: Vec<&str> = text.lines().take(7).collect();
        assert_eq!(
            head,
            [
                "lock-version = \"1.0\"",
                "environments = [\"sys_platform == 'linux'\"]",
                "requires-python = \">=3.12\"",
                "extras = [\"gpu\", \"old\"]",
                "dependency-groups = [\"dev\", \"test\"]",
                "default-groups = [\"dev\"]",
                "created-by = \"pylock\"",
            ]
        );
        // A single-use lock lists none of them.
        assert!(!write(&sample()).contains("extras"));
    }

    #[test]
    fn empty_lock_still_has_packages() {
        let lock = Lock {
            environments: Vec::new(),
            requires_python: ">=3.10".into(),
            extras: Vec::new(),
            dependency_groups: Vec::new(),
            default_groups: Vec::new(),
            record: None,
            packages: Vec::new(),
        };
        let value: toml::Value = toml::from_str(&write(&lock)).expect("valid TOML");
        assert_eq!(value["packages"].as_array().map(Vec::len), Some(0));
    }

    #[test]
    fn output_is_valid_toml_with_datetimes() {
        let text = write(&sample());
        let value: toml::Value = toml::from_str(&text).expect("valid TOML");
        let sdist = &value["packages"][0]["sdist"];
        assert!(sdist["upload-time"].is_datetime());
        assert_eq!(sdist["path"].as_str(), Some("files/a \"q\"\\1.0.tar.gz"));
    }
}
