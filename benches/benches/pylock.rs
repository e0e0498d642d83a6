//! In-process benches: page and metadata parsing, and whole resolves of the real snapshots
//! against a preloaded in-memory index (solver cost alone), universal and single-environment.
//!
//!     cargo bench -p pylock-benches

#![allow(missing_docs)]

use pylock::PackageName;
use pylock::{resolve, Manifest, Role, Target};
use pylock::{CoreMetadata, ProjectPage};
use pylock_benches::{workspace, PreloadedIndex};

fn main() {
    divan::main();
}

fn page_url(name: &str) -> url::Url {
    url::Url::parse(&format!("https://example.org/simple/{name}/")).expect("url")
}

#[divan::bench(args = ["multidict", "websockets", "rpds-py"])]
fn parse_json(bencher: divan::Bencher, project: &str) {
    let path = workspace().join(format!(
        "fixtures/realworld/large/index/simple/{project}/index.json"
    ));
    let bytes = std::fs::read(path).expect("page");
    let name: PackageName = project.parse().expect("name");
    let url = page_url(project);
    bencher
        .bench(|| ProjectPage::from_json(divan::black_box(&bytes), &url, &name).expect("parses"));
}

/// Every JSON page of the large set (298 projects, 6,529 files): what a warm run parses.
#[divan::bench(sample_count = 20)]
fn parse_json_all_large(bencher: divan::Bencher) {
    let root = workspace().join("fixtures/realworld/large/index/simple");
    let mut pages = Vec::new();
    for entry in std::fs::read_dir(&root).expect("index") {
        let dir = entry.expect("entry").path();
        let project = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if let Ok(bytes) = std::fs::read(dir.join("index.json")) {
            let name: PackageName = project.parse().expect("name");
            pages.push((bytes, page_url(&project), name));
        }
    }
    bencher.bench(|| {
        pages
            .iter()
            .map(|(bytes, url, name)| {
                ProjectPage::from_json(divan::black_box(bytes), url, name)
                    .expect("parses")
                    .files
                    .len()
            })
            .sum::<usize>()
    });
}

#[divan::bench(args = ["rpds-py", "charset-normalizer"])]
fn parse_html(bencher: divan::Bencher, project: &str) {
    let path = workspace().join(format!(
        "fixtures/realworld/jupyter/index/simple/{project}/index.html"
    ));
    let bytes = std::fs::read(path).expect("page");
    let name: PackageName = project.parse().expect("name");
    let url = page_url(project);
    bencher
        .bench(|| ProjectPage::from_html(divan::black_box(&bytes), &url, &name).expect("parses"));
}

#[divan::bench]
fn parse_core_metadata(bencher: divan::Bencher) {
    let path = workspace().join(
        "fixtures/realworld/large/index/files/apache_airflow-3.3.0-py3-none-any.whl.metadata",
    );
    let bytes = std::fs::read(path).expect("metadata");
    bencher.bench(|| CoreMetadata::parse(divan::black_box(&bytes), "m").expect("parses"));
}

fn manifest(set: &str) -> Manifest {
    let mut m = Manifest::default();
    m.add_file(
        &workspace().join(format!("fixtures/realworld/{set}/requirements.in")),
        Role::Requirement,
    )
    .expect("requirements");
    m
}

fn bench_resolve(bencher: divan::Bencher, set: &str, target: Target) {
    let index =
        PreloadedIndex::load(&workspace().join(format!("fixtures/realworld/{set}/index/simple")))
            .expect("index");
    let manifest = manifest(set);
    bencher.bench(|| resolve(&manifest, &target, &Default::default(), &index).expect("resolves"));
}

#[divan::bench(args = ["black", "trio", "jupyter", "boto", "large"], sample_count = 10)]
fn resolve_universal(bencher: divan::Bencher, set: &str) {
    bench_resolve(
        bencher,
        set,
        Target::universal(Some(">=3.10".parse().expect("spec"))),
    );
}

#[divan::bench(args = ["black", "trio", "jupyter", "boto", "large"], sample_count = 10)]
fn resolve_linux_312(bencher: divan::Bencher, set: &str) {
    bench_resolve(
        bencher,
        set,
        Target::single("3.12", "linux", None).expect("target"),
    );
}
