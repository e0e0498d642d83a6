//! Direct references: `name @ URL` (served over loopback), local wheels and sdists, and local
//! project directories (editable too), locked as PEP 751 `archive` / `directory` entries that
//! `packaging.pylock` loads; and the clear errors for what would need a build, a wrong hash,
//! a version other requirements refuse, and two references for one package.
//!
//! Fixtures: `fixtures/direct` (built by its `make.py`); their dependencies come from the
//! `fixtures/packse/example-toml` index (`a` 1.0.0 needs `b`; `b` 2.0.0 needs Python 3.12).

use std::path::{Path, PathBuf};

use pylock::{
    resolve, HttpIndex, HttpOptions, LocalIndex, Lock, LockOptions, Manifest, Options,
    ResolveError, Role, Target,
};

use crate::server::{Faults, Server};
use crate::support::{environment_json, run_checker, workspace};

const DWHEEL_SHA: &str = "10144d7c6fa0763337cb60b6db039865484f7bd3d96357cd6915ac41935bb93a";

fn fixtures() -> PathBuf {
    workspace().join("fixtures/direct")
}

fn index() -> LocalIndex {
    LocalIndex::new(workspace().join("fixtures/packse/example-toml/index/simple")).expect("index")
}

fn linux() -> Target {
    Target::single("3.12", "linux", None).expect("target")
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pylock-direct-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

fn manifest(requirements: &[&str]) -> Manifest {
    let mut m = Manifest::default();
    for r in requirements {
        m.add_str(r, Role::Requirement).expect(r);
    }
    m
}

fn lock_text(resolution: &pylock::Resolution, dir: &Path) -> String {
    Lock::from_resolution(
        resolution,
        &LockOptions {
            index_url: None,
            lock_dir: Some(dir.to_path_buf()),
            ..LockOptions::default()
        },
    )
    .to_toml()
}

fn error(m: &Manifest, index: &dyn pylock::Index) -> String {
    resolve(m, &linux(), &Options::default(), index)
        .expect_err("fails")
        .to_string()
}

/// Load `lock` with `packaging.pylock` and select for CPython 3.12 on Linux: the names,
/// versions and file names selected.
fn select(lock: &Path) -> Vec<serde_json::Value> {
    let mut job = environment_json(&linux());
    job["lock"] = serde_json::json!(lock);
    let results = run_checker("check_lock.py", &serde_json::json!([job]));
    let result = &results[0];
    assert!(result.get("error").is_none(), "{result}");
    result["selected"].as_array().expect("selected").clone()
}

#[test]
fn local_archives_and_projects_are_locked_relative_to_the_lock() {
    let dir = tempdir("local");
    let reqs = dir.join("requirements.txt");
    let fx = fixtures();
    std::fs::write(
        &reqs,
        format!(
            "-e {}/pkg[cli]\n{}/dwheel-1.0-py3-none-any.whl\ndsdist @ {}\ndzip[x] @ {}/dzip-1.0.zip\n",
            fx.display(),
            fx.display(),
            url::Url::from_file_path(fx.join("dsdist-1.0.tar.gz")).expect("url"),
            fx.display(),
        ),
    )
    .expect("write");
    let mut m = Manifest::default();
    m.add_file(&reqs, Role::Requirement).expect("reads");
    let r = resolve(&m, &linux(), &Options::default(), &index()).expect("resolves");
    // Paths are relative to the lock's directory (`..` to leave it).
    let relative = lock_text(&r, &fx.join("out"));
    insta::assert_snapshot!(relative);
    // Checked where it is written (the paths then lead out of the temporary directory).
    let text = lock_text(&r, &dir);
    let path = dir.join("pylock.toml");
    std::fs::write(&path, &text).expect("write lock");
    let selected = select(&path);
    let mut env = environment_json(&linux());
    env["name"] = serde_json::json!("linux");
    let roots: Vec<String> = m.requirements.iter().map(ToString::to_string).collect();
    let verified = run_checker(
        "verify_lock.py",
        &serde_json::json!({"jobs": [{"lock": path, "requirements": roots, "environments": [env]}]}),
    );
    assert_eq!(verified[0]["checked"], 1, "{verified}");
    assert_eq!(verified[0]["problems"], serde_json::json!([]), "{verified}");
    let names: Vec<String> = selected
        .iter()
        .map(|s| format!("{} {}", s[0].as_str().unwrap_or(""), s[1]))
        .collect();
    assert_eq!(
        names,
        [
            "a \"1.0.0\"",
            "b \"2.0.0\"",
            "dsdist \"1.0\"",
            "dwheel \"1.0\"",
            "dzip \"1.0\"",
            "pkg \"None\""
        ]
    );
    // Read back into the model.
    let read = pylock::LockFile::parse(&path, &relative).expect("reads back");
    assert!(read.lock.packages.iter().any(|p| matches!(
        &p.source,
        Some(pylock::Source::Directory { path, editable: true, .. }) if path == "../pkg"
    )));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_project_directory_brings_its_extras_and_static_metadata() {
    let m = manifest(&[&format!("{}/pkg[cli]", fixtures().display())]);
    let r = resolve(&m, &linux(), &Options::default(), &index()).expect("resolves");
    let names: Vec<String> = r
        .packages
        .iter()
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect();
    assert_eq!(names, ["a==1.0.0", "b==2.0.0", "pkg==0.1.0"]);
    let text = lock_text(&r, &fixtures());
    assert!(
        text.contains(
            "name = \"pkg\"\nrequires-python = \">=3.9\"\ndirectory = { path = \"pkg\" }\n"
        ),
        "{text}"
    );
    // Without the extra, `a` is not needed.
    let m = manifest(&[&format!("{}/pkg", fixtures().display())]);
    let r = resolve(&m, &linux(), &Options::default(), &index()).expect("resolves");
    assert_eq!(r.packages.len(), 2);
}

#[test]
fn what_would_need_a_build_is_an_error_naming_the_requirement() {
    let fx = fixtures();
    for (requirement, why) in [
        ("dynsdist-1.0.tar.gz", "marks Requires-Dist as dynamic"),
        ("oldsdist-1.0.tar.gz", "Metadata-Version 2.1"),
        ("dynpkg", "lists `dependencies` as dynamic"),
    ] {
        let m = manifest(&[&format!("{}/{requirement}", fx.display())]);
        let err = error(&m, &index());
        assert!(err.contains(why), "{requirement}: {err}");
        assert!(err.contains("a build would be needed"), "{err}");
        // Not what the index path falls back to (the dependencies a build recorded).
        assert!(!err.contains("its dependencies are those"), "{err}");
        assert!(err.contains(requirement), "{err}");
    }
    let err = Manifest::default()
        .add_str("x @ git+https://example.com/x.git", Role::Requirement)
        .expect_err("vcs")
        .to_string();
    assert!(
        err.contains(
            "`x @ git+https://example.com/x.git`: VCS requirements need a build; not supported"
        ),
        "{err}"
    );
}

#[test]
fn other_requirements_must_accept_the_referenced_version() {
    let wheel = format!("{}/dwheel-1.0-py3-none-any.whl", fixtures().display());
    let sdist = format!("{}/dsdist-1.0.tar.gz", fixtures().display());
    let m = manifest(&[&wheel, &sdist, "dwheel>=2"]);
    let err = resolve(&m, &linux(), &Options::default(), &index()).expect_err("conflict");
    assert!(matches!(err, ResolveError::NoSolution { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("dwheel 1.0 is the only version considered: it comes from the direct reference `dwheel @ file:///"),
        "{text}"
    );
    // Only the packages the explanation names get a note.
    assert!(!text.contains("dsdist 1.0 is the only"), "{text}");
    // `==1.0` agrees with it; the index is not asked for dwheel at all.
    let m = manifest(&[&wheel, "dwheel==1.0"]);
    resolve(&m, &linux(), &Options::default(), &index()).expect("agrees");
}

#[test]
fn two_references_for_one_package_are_an_error_naming_both() {
    let fx = fixtures();
    let m = manifest(&[
        &format!("{}/dwheel-1.0-py3-none-any.whl", fx.display()),
        &format!("dwheel @ https://example.com/dwheel-1.0-py3-none-any.whl#sha256={DWHEEL_SHA}"),
    ]);
    let err = error(&m, &index());
    assert!(err.contains("another direct reference"), "{err}");
    assert!(err.contains("https://example.com/dwheel"), "{err}");
    assert!(err.contains("direct/dwheel-1.0-py3-none-any.whl"), "{err}");
}

#[test]
fn urls_are_downloaded_hashed_and_verified() {
    let server = Server::start(workspace().join("fixtures"), Faults::default());
    let http = HttpIndex::new(HttpOptions {
        index_urls: vec![format!("{}/packse/example-toml/index/simple", server.base)
            .parse()
            .expect("url")],
        cache_dir: None,
        ..HttpOptions::default()
    })
    .expect("client");
    let wheel = format!("{}/direct/dwheel-1.0-py3-none-any.whl", server.base);
    let sdist = format!("{}/direct/dsdist-1.0.tar.gz", server.base);
    let m = manifest(&[
        &format!("dwheel @ {wheel}#sha256={DWHEEL_SHA}"),
        &format!("dsdist @ {sdist}"),
    ]);
    let r = resolve(&m, &linux(), &Options::default(), &http).expect("resolves");
    let text = lock_text(&r, &workspace()).replace(&server.base, "http://SERVER");
    insta::assert_snapshot!(text);
    assert_eq!(server.hits_ending("dwheel-1.0-py3-none-any.whl"), 1);

    let bad = "0".repeat(64);
    let m = manifest(&[&format!("dwheel @ {wheel}#sha256={bad}")]);
    let err = error(&m, &http);
    assert!(
        err.contains(&format!("`dwheel @ {wheel}#sha256={bad}`: hash mismatch")),
        "{err}"
    );
    assert!(err.contains(DWHEEL_SHA), "{err}");

    let missing = format!("{}/direct/dwheel-9.0-py3-none-any.whl", server.base);
    let m = manifest(&[&format!("dwheel @ {missing}")]);
    let err = error(&m, &http);
    assert!(err.contains(&format!("`dwheel @ {missing}`: ")), "{err}");
    // Credentials in a reference are never printed.
    let with_token = missing.replace("http://", "http://user:s3cret@");
    let err = error(&manifest(&[&format!("dwheel @ {with_token}")]), &http);
    assert!(
        err.contains("`dwheel @ http://") && !err.contains("s3cret"),
        "{err}"
    );

    // A local index reads no remote files, and says so.
    let err = error(&manifest(&[&format!("dsdist @ {sdist}")]), &index());
    assert!(
        err.contains("only local (file:) direct references"),
        "{err}"
    );
}

#[test]
fn platform_wheels_are_checked_in_universal_locks_and_exclude_newer_spares_them() {
    let m = manifest(&[&format!(
        "{}/dlinux-1.0-py3-none-manylinux_2_17_x86_64.whl",
        fixtures().display()
    )]);
    let target = Target::universal(Some(">=3.12".parse().expect("spec")));
    let r = resolve(&m, &target, &Options::default(), &index()).expect("resolves");
    assert_eq!(r.environments.len(), 1, "{:?}", r.environments);
    assert!(r.environments[0].contains("x86_64"), "{:?}", r.environments);
    assert!(
        r.warnings.iter().any(|w| w.contains("dlinux")),
        "{:?}",
        r.warnings
    );
    let mut options = Options::default();
    options.exclude_newer = Some("2000-01-01T00:00:00Z".parse().expect("ts"));
    let m = manifest(&[&format!("{}/dsdist-1.0.tar.gz", fixtures().display())]);
    let err = resolve(&m, &linux(), &options, &index()).expect_err("a is too new");
    assert!(
        !err.to_string().contains("dsdist 1.0 was uploaded"),
        "{err}"
    );
    assert!(err.to_string().contains("--exclude-newer"), "{err}");
}

#[test]
fn a_local_projects_own_direct_references_are_followed() {
    let m = manifest(&[&format!("{}/app", fixtures().display())]);
    let r = resolve(&m, &linux(), &Options::default(), &index()).expect("resolves");
    let names: Vec<String> = r
        .packages
        .iter()
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect();
    assert_eq!(names, ["app==2.0", "b==2.0.0", "dwheel==1.0", "pkg==0.1.0"]);
    let text = lock_text(&r, &fixtures());
    for entry in [
        "name = \"app\"\ndirectory = { path = \"app\" }\n",
        "requires-python = \">=3.9\"\ndirectory = { path = \"pkg\" }\n",
        "archive = { path = \"dwheel-1.0-py3-none-any.whl\", size = 805,",
    ] {
        assert!(text.contains(entry), "{entry}\n{text}");
    }
}

#[test]
fn universal_locks_with_direct_references_install_everywhere_they_claim() {
    let fx = fixtures();
    let requirements = [
        format!("{}/dwheel-1.0-py3-none-any.whl", fx.display()),
        format!(
            "dzip[x] @ {}",
            url::Url::from_file_path(fx.join("dzip-1.0.zip")).expect("url")
        ),
        format!(
            "{}/dlinux-1.0-py3-none-manylinux_2_17_x86_64.whl ; sys_platform == 'linux'",
            fx.display()
        ),
    ];
    let m = manifest(&requirements.iter().map(String::as_str).collect::<Vec<_>>());
    let target = Target::universal(Some(">=3.12".parse().expect("spec")));
    let r = resolve(&m, &target, &Options::default(), &index()).expect("resolves");
    let out = tempdir("universal");
    let lock = crate::validity::write_lock(&out, "direct", &r);
    let roots: Vec<String> = m.requirements.iter().map(ToString::to_string).collect();
    let results = run_checker(
        "verify_lock.py",
        &serde_json::json!({"jobs": [{
            "lock": lock,
            "requirements": roots,
            "environments": crate::validity::environments(12),
        }]}),
    );
    let checked = results[0]["checked"].as_u64().expect("checked");
    // dlinux has a wheel for x86-64 Linux only: aarch64 Linux is left out of the lock, the
    // other platforms do not need it.
    assert_eq!(
        r.environments,
        ["sys_platform != 'linux' or platform_machine == 'x86_64'"]
    );
    assert!(checked >= 12, "{results}");
    assert!(results[0]["skipped"].as_u64() > Some(0), "{results}");
    assert_eq!(results[0]["problems"], serde_json::json!([]), "{results}");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_url_pinned_by_its_hash_is_read_once_then_from_the_cache() {
    let server = Server::start(workspace().join("fixtures"), Faults::default());
    let cache = tempdir("cache");
    let http = |offline| {
        HttpIndex::new(HttpOptions {
            index_urls: vec![format!("{}/packse/example-toml/index/simple", server.base)
                .parse()
                .expect("url")],
            cache_dir: Some(cache.clone()),
            offline,
            ..HttpOptions::default()
        })
        .expect("client")
    };
    let wheel = format!("{}/direct/dwheel-1.0-py3-none-any.whl", server.base);
    let pinned = manifest(&[&format!("dwheel @ {wheel}#sha256={DWHEEL_SHA}")]);
    let first = resolve(&pinned, &linux(), &Options::default(), &http(false)).expect("cold");
    let again = resolve(&pinned, &linux(), &Options::default(), &http(true)).expect("offline");
    assert_eq!(server.hits_ending("dwheel-1.0-py3-none-any.whl"), 1);
    assert_eq!(lock_text(&first, &cache), lock_text(&again, &cache));
    // Without a pinned hash the file may change under its URL: it is read again, and
    // --offline cannot.
    let loose = manifest(&[&format!("dwheel @ {wheel}")]);
    resolve(&loose, &linux(), &Options::default(), &http(false)).expect("reads");
    assert_eq!(server.hits_ending("dwheel-1.0-py3-none-any.whl"), 2);
    let err = error(&loose, &http(true));
    assert!(err.contains("--offline"), "{err}");
    std::fs::remove_dir_all(&cache).ok();
}

/// A `#sha256=` pin counts whichever reference to the same file comes first: given after the
/// same URL without one, a wrong pin is a hash mismatch (it was ignored), a right one resolves.
#[test]
fn a_pin_after_the_same_url_unpinned_is_checked() {
    let path = fixtures().join("dwheel-1.0-py3-none-any.whl");
    let wheel = url::Url::from_file_path(path.canonicalize().expect("fixture"))
        .expect("url")
        .to_string();
    let bad = "0".repeat(64);
    let m = manifest(&[
        &format!("dwheel @ {wheel}"),
        &format!("dwheel @ {wheel}#sha256={bad}"),
    ]);
    let err = error(&m, &index());
    assert!(
        err.contains(&format!("`dwheel @ {wheel}#sha256={bad}`: hash mismatch")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "the `#sha256=` fragment gives sha256 {bad}, the file has {DWHEEL_SHA}"
        )),
        "{err}"
    );
    let m = manifest(&[
        &format!("dwheel @ {wheel}"),
        &format!("dwheel @ {wheel}#sha256={DWHEEL_SHA}"),
    ]);
    resolve(&m, &linux(), &Options::default(), &index()).expect("the right pin resolves");
}

/// A local project's direct references behind an extra are read only when that extra is
/// asked for: `host`'s `plug` extra names a file that does not exist, which must not stop a
/// resolve of `host` alone, and must be the error for `host[plug]` (also when `host` was
/// named first without the extra).
#[test]
fn references_behind_unrequested_extras_are_not_followed() {
    let dir = tempdir("extras");
    let missing = dir.join("absent-1.0-py3-none-any.whl");
    let missing_url = url::Url::from_file_path(&missing).expect("url");
    let host = dir.join("host");
    std::fs::create_dir_all(&host).expect("mkdir");
    std::fs::write(
        host.join("pyproject.toml"),
        format!(
            "[project]\nname = \"host\"\nversion = \"1.0\"\ndependencies = []\n\n[project.optional-dependencies]\nplug = [\"absent @ {missing_url}\"]\n"
        ),
    )
    .expect("write pyproject");
    let plain = host.display().to_string();
    let r = resolve(
        &manifest(&[&plain]),
        &linux(),
        &Options::default(),
        &index(),
    )
    .expect("the extra is not asked for");
    let names: Vec<String> = r.packages.iter().map(|p| p.name.to_string()).collect();
    assert_eq!(names, ["host"]);
    let with_extra = format!(
        "host[plug] @ {}",
        url::Url::from_file_path(&host).expect("url")
    );
    for requirements in [
        vec![with_extra.as_str()],
        vec![plain.as_str(), with_extra.as_str()],
    ] {
        let err = error(&manifest(&requirements), &index());
        assert!(err.contains("absent"), "{requirements:?}: {err}");
    }
}
