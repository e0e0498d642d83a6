//! The PEP 751 TOML layout, written by hand for byte-exact control of key order and inline
//! tables (the layout uv and pip users read); values are escaped per TOML 1.0.

use std::fmt::Write as _;

use super::{Location, Lock, LockedFile, LOCK_VERSION};

pub(super) fn write(lock: &Lock) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "lock-version = {}", string(LOCK_VERSION));
    if !lock.environments.is_empty() {
        let envs: Vec<String> = lock.environments.iter().map(|e| string(e)).collect();
        let _ = writeln!(out, "environments = [{}]", envs.join(", "));
    }
    let _ = writeln!(out, "requires-python = {}", string(&lock.requires_python));
    let _ = writeln!(out, "created-by = {}", string("pylock"));
    if lock.packages.is_empty() {
        // PEP 751 requires the key even when nothing is locked.
        out.push_str("packages = []\n");
    }
    for p in &lock.packages {
        out.push_str("\n[[packages]]\n");
        let _ = writeln!(out, "name = {}", string(&p.name));
        let _ = writeln!(out, "version = {}", string(&p.version));
        if let Some(m) = &p.marker {
            let _ = writeln!(out, "marker = {}", string(m));
        }
        if let Some(rp) = &p.requires_python {
            let _ = writeln!(out, "requires-python = {}", string(rp));
        }
        if let Some(index) = &p.index {
            let _ = writeln!(out, "index = {}", string(index));
        }
        if let Some(sdist) = &p.sdist {
            let _ = writeln!(out, "sdist = {}", file(sdist));
        }
        match p.wheels.as_slice() {
            [] => {}
            [one] => {
                let _ = writeln!(out, "wheels = [{}]", file(one));
            }
            many => {
                out.push_str("wheels = [\n");
                for w in many {
                    let _ = writeln!(out, "    {},", file(w));
                }
                out.push_str("]\n");
            }
        }
    }
    out
}

fn file(f: &LockedFile) -> String {
    let mut parts = Vec::new();
    if let Some(name) = &f.name {
        parts.push(format!("name = {}", string(name)));
    }
    if let Some(t) = &f.upload_time {
        // RFC 3339 in UTC is a valid TOML offset date-time.
        parts.push(format!("upload-time = {t}"));
    }
    match &f.location {
        Location::Url(u) => parts.push(format!("url = {}", string(u))),
        Location::Path(p) => parts.push(format!("path = {}", string(p))),
    }
    if let Some(size) = f.size {
        parts.push(format!("size = {size}"));
    }
    let hashes = match &f.sha256 {
        Some(h) => format!("{{ sha256 = {} }}", string(h)),
        None => "{}".to_owned(),
    };
    parts.push(format!("hashes = {hashes}"));
    format!("{{ {} }}", parts.join(", "))
}

/// A TOML basic string.
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::LockedPackage;

    fn sample() -> Lock {
        Lock {
            environments: vec!["sys_platform == 'linux'".into()],
            requires_python: ">=3.12".into(),
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
            }],
        }
    }

    #[test]
    fn layout() {
        insta::assert_snapshot!(write(&sample()));
    }

    #[test]
    fn empty_lock_still_has_packages() {
        let lock = Lock {
            environments: Vec::new(),
            requires_python: ">=3.10".into(),
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
