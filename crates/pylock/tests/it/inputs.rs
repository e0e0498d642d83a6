//! Inputs beyond requirements: hashes (pip's hash-checking mode) and `--only-binary` /
//! `--no-binary`, read from a requirements file and applied through `Options`.

use pylock::{resolve, LocalIndex, Manifest, Options, ResolveError, Role, Target};

use crate::support::workspace;

const A2_WHEEL: &str = "95889ba9e830a33f3be7bf9a7b74a7945e4b29e1aaec174237dfc683e33ae07d";
const A2_SDIST: &str = "f4dfa43c178f266e92d514490ca40a095da31a2d7aa01d26be7f5343cb37b58d";

fn index() -> LocalIndex {
    LocalIndex::new(workspace().join("fixtures/packse/extra-does-not-exist-backtrack/index/simple"))
        .expect("index")
}

/// The manifest and options a requirements file gives, as the CLI builds them.
fn read(tag: &str, body: &str) -> (Manifest, Options) {
    let dir = std::env::temp_dir().join(format!("pylock-it-inputs-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("requirements.txt");
    std::fs::write(&path, body).expect("write");
    let mut manifest = Manifest::default();
    manifest.add_file(&path, Role::Requirement).expect("reads");
    std::fs::remove_dir_all(&dir).ok();
    let options = Options::from_manifest(&manifest);
    (manifest, options)
}

/// (version, file names) of `a` in the resolution.
fn locked_a(manifest: &Manifest, options: &Options) -> Result<(String, Vec<String>), ResolveError> {
    let target = Target::single("3.12", "linux", None).expect("target");
    let r = resolve(manifest, &target, options, &index())?;
    let a = r
        .packages
        .iter()
        .find(|p| p.name.as_ref() == "a")
        .expect("a");
    Ok((
        a.version.to_string(),
        a.files.iter().map(|f| f.filename().to_owned()).collect(),
    ))
}

#[test]
fn hashes_limit_candidates_to_matching_files() {
    // Without hashes the newest version (3.0.0) wins; with a hash of 2.0.0's wheel only that
    // version can be locked, and only with that file.
    let (m, o) = read("hash", &format!("a \\\n    --hash=sha256:{A2_WHEEL}\n"));
    let (version, files) = locked_a(&m, &o).expect("resolves");
    assert_eq!(version, "2.0.0");
    assert_eq!(files, ["a-2.0.0-py3-none-any.whl"]);

    let (m, o) = read(
        "hash2",
        &format!("a --hash=sha256:{A2_WHEEL} --hash=sha256:{A2_SDIST}\n"),
    );
    assert_eq!(locked_a(&m, &o).expect("resolves").1.len(), 2);
}

#[test]
fn no_matching_hash_names_the_requirement() {
    let (m, o) = read("nohash", &format!("a==3.0.0 --hash=sha256:{A2_WHEEL}\n"));
    let Err(ResolveError::NoSolution { explanation, .. }) = locked_a(&m, &o) else {
        panic!("expected no solution");
    };
    assert!(
        explanation.contains("has no file with a hash given by `a==3.0.0 (")
            && explanation.contains("requirements.txt:1)"),
        "{explanation}"
    );
}

#[test]
fn binary_policy_drops_formats() {
    let (m, o) = read("only", "--only-binary :all:\na\n");
    assert_eq!(
        locked_a(&m, &o).expect("resolves"),
        (
            "3.0.0".to_owned(),
            vec!["a-3.0.0-py3-none-any.whl".to_owned()]
        )
    );
    let (m, o) = read("no", "--no-binary a\na\n");
    assert_eq!(
        locked_a(&m, &o).expect("resolves").1,
        ["a-3.0.0.tar.gz".to_owned()]
    );
    // Version 3.0.0 with sdists refused and its wheel refused by hash: no file left.
    let (m, o) = read(
        "both",
        &format!("--no-binary :all:\na==2.0.0 --hash=sha256:{A2_WHEEL}\n"),
    );
    let Err(ResolveError::NoSolution { explanation, .. }) = locked_a(&m, &o) else {
        panic!("expected no solution");
    };
    assert!(explanation.contains("a==2.0.0"), "{explanation}");
}

/// A file written by `uv pip compile --generate-hashes --universal` (for Python >= 3.11),
/// fed back: the same versions, and only files with the listed hashes.
#[test]
fn uv_generated_hashes_file_gives_the_same_versions() {
    let path = workspace().join("crates/pylock/tests/data/locks/requirements.uv-hashes.txt");
    let mut manifest = Manifest::default();
    manifest.add_file(&path, Role::Requirement).expect("reads");
    assert!(manifest.file_options.index_url.is_some());
    let options = Options::default();
    let index =
        LocalIndex::new(workspace().join("fixtures/realworld/black/index/simple")).expect("index");
    let target = Target::universal(Some(">=3.11".parse().expect("spec")));
    let resolution = resolve(&manifest, &target, &options, &index).expect("resolves");
    let locked: Vec<String> = resolution
        .packages
        .iter()
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect();
    let pinned: Vec<String> = manifest
        .requirements
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(locked, pinned);
    for p in &resolution.packages {
        // The hashes the file lists after the requirement on this package.
        let text = std::fs::read_to_string(&path).expect("read");
        let start = text.find(&format!("\n{}==", p.name)).expect("requirement");
        let allowed: Vec<String> = (text[start + 1..].lines().enumerate())
            .take_while(|(i, line)| *i == 0 || line.starts_with(char::is_whitespace))
            .flat_map(|(_, line)| line.split("--hash=sha256:").skip(1))
            .map(|h| h[..64].to_owned())
            .collect();
        for f in &p.files {
            assert!(
                f.sha256().is_some_and(|h| allowed.contains(&h)),
                "{}",
                f.filename()
            );
        }
    }
}
