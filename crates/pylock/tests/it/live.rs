//! Opt-in: a universal resolve of a realistic set against the live PyPI.
//! Run with `cargo test -p pylock --test it live -- --ignored` (needs the network).

use pylock::{resolve, Manifest, Role, Target};
use pylock::{HttpIndex, HttpOptions};

#[test]
#[ignore = "needs the live PyPI; run with --ignored"]
fn live_pypi_universal() {
    let mut manifest = Manifest::default();
    for r in ["requests[socks]", "numpy", "pandas", "botocore", "trio"] {
        manifest.add_str(r, Role::Requirement).expect("requirement");
    }
    let index = HttpIndex::new(HttpOptions {
        index_urls: vec!["https://pypi.org/simple".parse().expect("url")],
        cache_dir: HttpOptions::default_cache_dir(),
        ..HttpOptions::default()
    })
    .expect("client");
    let resolution = resolve(
        &manifest,
        &Target::universal(None),
        &Default::default(),
        &index,
    )
    .expect("resolves against PyPI");
    let names: Vec<String> = resolution
        .packages
        .iter()
        .map(|p| p.name.to_string())
        .collect();
    for needed in [
        "requests",
        "pysocks",
        "numpy",
        "pandas",
        "python-dateutil",
        "botocore",
        "urllib3",
        "trio",
    ] {
        assert!(
            names.iter().any(|n| n == needed),
            "{needed} missing from {names:?}"
        );
    }
    assert!(resolution.packages.iter().all(|p| !p.files.is_empty()));
}
