use std::path::PathBuf;

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/locks")
        .join(name)
}

fn read(name: &str) -> LockFile {
    LockFile::read(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn reads_locks_of_every_tool() {
    for (name, by, packages) in [
        ("pylock.uv-export.toml", "uv", 10),
        ("pylock.uv-pip-compile.toml", "uv", 7),
        ("pylock.pdm.toml", "pdm", 9),
        ("pylock.pdm-multi.toml", "pdm", 9),
        ("pylock.pip.toml", "pip", 7),
        ("pylock.pylock.toml", "pylock", 10),
        ("pylock.spec-example.toml", "hand", 4),
    ] {
        let lock = read(name);
        assert_eq!(lock.created_by.as_deref(), Some(by), "{name}");
        assert_eq!(lock.lock.packages.len(), packages, "{name}");
        assert_eq!(lock.details.len(), packages, "{name}");
        assert!(
            lock.lock.packages.iter().all(|p| p.sdist.is_some()
                || !p.wheels.is_empty()
                || lock.lock.packages.iter().any(|p| p.source.is_some())),
            "{name}"
        );
    }
}

#[test]
fn pylock_locks_read_back_to_the_same_bytes() {
    let path = fixture("pylock.pylock.toml");
    let text = std::fs::read_to_string(&path).expect("fixture");
    let lock = read("pylock.pylock.toml");
    assert_eq!(lock.lock.to_toml(), text);
}

#[test]
fn multi_use_markers_evaluate_per_selection() {
    let lock = read("pylock.pdm-multi.toml");
    assert_eq!(lock.lock.extras, ["fmt"]);
    assert_eq!(lock.lock.dependency_groups, ["default", "dev", "lint"]);
    assert_eq!(lock.lock.default_groups, ["default"]);
    let env = |v: &str| {
        crate::manifest::Target::single(v, "linux", None)
            .expect("target")
            .environment()
            .expect("env")
    };
    let fmt = ["fmt".parse().expect("extra")];
    let dev = ["dev".parse().expect("group")];
    let selected =
        |extras: &[crate::pep::ExtraName], groups: &[crate::manifest::GroupName], py: &str| {
            let mut names: Vec<&str> = lock
                .lock
                .packages
                .iter()
                .zip(&lock.details)
                .filter(|(_, d)| {
                    d.marker
                        .as_ref()
                        .is_none_or(|m| m.evaluate(&env(py), extras, groups))
                })
                .map(|(p, _)| p.name.as_str())
                .collect();
            names.sort_unstable();
            names
        };
    assert_eq!(selected(&[], &dev, "3.12"), ["packaging", "pathspec"]);
    assert_eq!(selected(&fmt, &[], "3.12").len(), 7);
    assert_eq!(selected(&fmt, &[], "3.10").len(), 9);
    assert!(selected(&[], &[], "3.12").is_empty());
}

#[test]
fn sources_and_details_of_the_spec_example() {
    let lock = read("pylock.spec-example.toml");
    assert_eq!(lock.lock.environments.len(), 2);
    assert_eq!(lock.lock.requires_python, ">=3.12");
    let d = &lock.details;
    let p = &lock.lock.packages;
    assert_eq!(
        p[1].source,
        Some(Source::Directory {
            path: "./local".into(),
            editable: true,
            subdirectory: None
        })
    );
    assert_eq!(lock.lock.packages[1].version, "");
    assert_eq!(d[1].dependencies, [("attrs".to_owned(), None)]);
    assert!(
        matches!(&p[2].source, Some(Source::Vcs { commit_id, subdirectory: Some(s), .. }) if commit_id.starts_with("0123") && s == "src")
    );
    let Some(Source::Archive { file, .. }) = &p[3].source else {
        panic!("archive");
    };
    assert_eq!(file.size, Some(1024));
    assert_eq!(file.location, Location::Path("dist/arch-1.0.tar.gz".into()));
    assert!(file
        .sha256
        .as_deref()
        .is_some_and(|h| h.starts_with("abcdef")));
    let wheel = &lock.lock.packages[0].wheels[0];
    assert_eq!(
        wheel.upload_time.map(|t| t.to_string()).as_deref(),
        Some("2025-01-25T11:30:10.164985Z")
    );
}

#[test]
fn errors_name_file_line_and_column() {
    let p = Path::new("pylock.toml");
    let cases = [
        ("lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\nmarker = \"'x' in extra\"\n", "pylock.toml:4:10: invalid marker"),
        ("lock-version = \"2.0\"\n", "pylock.toml:1:16: lock-version 2.0 is not supported"),
        ("created-by = \"x\"\n", "pylock.toml:1:1: no `lock-version`"),
        ("lock-version = \"1.0\"\n[[packages]]\nversion = \"1\"\n", "pylock.toml:2:1: a package without a `name`"),
        ("lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\nwheels = [{ url = \"u\", size = -1 }]\n", "pylock.toml:4:31: `size`"),
        ("lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\nsdist = { size = 1 }\n", "pylock.toml:4:9: needs a `url` or a `path`"),
        ("lock-version = 1.0\n", "pylock.toml:1:16: `lock-version` must be a string"),
        ("lock-version = \"1.0\"\nx = [\n", "pylock.toml:"),
    ];
    for (text, expected) in cases {
        let err = LockFile::parse(p, text).expect_err(text).to_string();
        assert!(err.starts_with(expected), "{text}\n{err}");
    }
}
