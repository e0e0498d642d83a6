//! Same inputs, same bytes: repeated runs and an index that lists files in another order give a
//! byte-identical lock.

use pylock::PackageName;
use pylock::{resolve, LocalIndex, Lock, LockOptions, Manifest, Role, Target};
use pylock::{CoreMetadata, DistFile, Index, IndexError, ProjectPage};

use crate::support::workspace;

/// An index that lists every page's files in reverse order.
struct Reversed(LocalIndex);

impl Index for Reversed {
    fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
        Ok(self.0.project(name)?.map(|mut p| {
            p.files.reverse();
            p
        }))
    }
    fn metadata(&self, file: &DistFile) -> Result<CoreMetadata, IndexError> {
        self.0.metadata(file)
    }
}

fn lock_text(index: &dyn Index, set: &str, target: &Target) -> String {
    let dir = workspace().join("fixtures/realworld").join(set);
    let mut manifest = Manifest::default();
    manifest
        .add_file(&dir.join("requirements.in"), Role::Requirement)
        .expect("requirements");
    let resolution = resolve(&manifest, target, &Default::default(), index).expect("resolves");
    let options = LockOptions {
        index_url: None,
        lock_dir: Some(workspace()),
        ..LockOptions::default()
    };
    Lock::from_resolution(&resolution, &options).to_toml()
}

#[test]
fn byte_identical_across_runs_and_listing_order() {
    let targets = [
        Target::single("3.12", "linux", None).expect("target"),
        Target::universal(Some(">=3.10".parse().expect("spec"))),
    ];
    for (set, target) in ["trio", "jupyter", "boto"]
        .into_iter()
        .flat_map(|s| targets.iter().map(move |t| (s, t)))
    {
        let root = workspace()
            .join("fixtures/realworld")
            .join(set)
            .join("index/simple");
        let index = LocalIndex::new(&root).expect("index");
        let first = lock_text(&index, set, target);
        assert_eq!(
            first,
            lock_text(&index, set, target),
            "{set}: second run differs"
        );
        let reversed = Reversed(LocalIndex::new(&root).expect("index"));
        assert_eq!(
            first,
            lock_text(&reversed, set, target),
            "{set}: file order changes the lock"
        );
        // No absolute local paths: files are recorded relative to the lock directory.
        assert!(!first.contains(&*workspace().canonicalize().expect("abs").to_string_lossy()));
        assert!(first.contains("path = \"fixtures/realworld/"), "{set}");
    }
}

/// A version whose metadata does not parse is skipped, not fatal: the resolve takes another.
#[test]
fn invalid_metadata_makes_a_version_unusable() {
    let dir = std::env::temp_dir().join(format!("pylock-badmeta-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("simple/a")).expect("mkdir");
    std::fs::create_dir_all(dir.join("files")).expect("mkdir");
    let mut links = String::new();
    for (version, requires) in [
        ("1.0", "Requires-Dist: b\n"),
        ("2.0", "Requires-Dist: b >>>= 1\n"),
    ] {
        let file = format!("a-{version}-py3-none-any.whl");
        std::fs::write(
            dir.join("files").join(format!("{file}.metadata")),
            format!("Metadata-Version: 2.1\nName: a\nVersion: {version}\n{requires}"),
        )
        .expect("metadata");
        links.push_str(&format!(
            "<a href=\"../../files/{file}\" data-core-metadata=\"true\">{file}</a>\n"
        ));
    }
    std::fs::write(dir.join("simple/a/index.html"), links).expect("page");
    std::fs::create_dir_all(dir.join("simple/b")).expect("mkdir");
    std::fs::write(
        dir.join("files/b-1.0-py3-none-any.whl.metadata"),
        "Metadata-Version: 2.1\nName: b\nVersion: 1.0\n",
    )
    .expect("metadata");
    std::fs::write(
        dir.join("simple/b/index.html"),
        "<a href=\"../../files/b-1.0-py3-none-any.whl\" data-core-metadata=\"true\">b</a>",
    )
    .expect("page");
    let mut manifest = Manifest::default();
    manifest.add_str("a", Role::Requirement).expect("req");
    let index = LocalIndex::new(dir.join("simple")).expect("index");
    let target = Target::single("3.12", "linux", None).expect("target");
    let r = resolve(&manifest, &target, &Default::default(), &index).expect("resolves");
    let got: Vec<String> = r
        .packages
        .iter()
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect();
    assert_eq!(got, ["a==1.0", "b==1.0"]);
    // Pinned to the broken version, the explanation says why.
    let mut pinned = Manifest::default();
    pinned.add_str("a==2.0", Role::Requirement).expect("req");
    let err = resolve(&pinned, &target, &Default::default(), &index).expect_err("unusable");
    let msg = err.to_string();
    assert!(
        msg.contains("invalid metadata") && msg.contains("a-2.0-py3-none-any.whl.metadata"),
        "{msg}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// An index whose newest `a` is a source distribution with old (pre-2.2) metadata, whose
/// dependencies only a build would tell; every other file reads normally.
struct NeedsBuild(pylock::MemoryIndex);

impl Index for NeedsBuild {
    fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
        self.0.project(name)
    }
    fn metadata(&self, file: &DistFile) -> Result<CoreMetadata, IndexError> {
        if file.filename().starts_with("a-2.") && file.filename().ends_with(".tar.gz") {
            return Err(IndexError::DynamicMetadata {
                project: file.filename().to_owned(),
                reason: "its source distribution has Metadata-Version 2.1".into(),
            });
        }
        self.0.metadata(file)
    }
}

/// A version whose dependencies only a build would tell is left out, with a warning where
/// that changed the lock, rather than failing the whole resolve.
#[test]
fn versions_that_need_a_build_are_left_out() {
    let mut memory = pylock::MemoryIndex::new();
    memory
        .add("a", "1.0", "", &["b"], &["a-1.0-py3-none-any.whl"])
        .expect("a 1.0");
    for v in ["2.0", "2.1", "2.2"] {
        memory
            .add("a", v, "", &[], &[&format!("a-{v}.tar.gz")])
            .expect("a 2.x");
    }
    memory
        .add("b", "1.0", "", &[], &["b-1.0-py3-none-any.whl"])
        .expect("b");
    let index = NeedsBuild(memory);
    let mut manifest = Manifest::default();
    manifest.add_str("a", Role::Requirement).expect("req");
    for target in [
        Target::single("3.12", "linux", None).expect("target"),
        Target::universal(Some(">=3.10".parse().expect("spec"))),
    ] {
        let r = resolve(&manifest, &target, &Default::default(), &index).expect("resolves");
        let got: Vec<String> = r
            .packages
            .iter()
            .map(|p| format!("{}=={}", p.name, p.version))
            .collect();
        assert_eq!(got, ["a==1.0", "b==1.0"]);
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(
            // One line for the three versions.
            r.warnings[0].contains("a 2.0, 2.1, 2.2 were left out")
                && r.warnings[0].contains("after a build"),
            "{:?}",
            r.warnings
        );
    }
    // Asked for exactly, the explanation says why it cannot be used.
    let mut pinned = Manifest::default();
    pinned.add_str("a==2.0", Role::Requirement).expect("req");
    let target = Target::single("3.12", "linux", None).expect("target");
    let err = resolve(&pinned, &target, &Default::default(), &index).expect_err("needs a build");
    assert!(
        err.to_string().contains("known only after a build"),
        "{err}"
    );
}

/// An index whose only `b` is an sdist whose dependencies were read without a build.
struct Approximate(pylock::MemoryIndex);

impl Index for Approximate {
    fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
        self.0.project(name)
    }
    fn metadata(&self, file: &DistFile) -> Result<CoreMetadata, IndexError> {
        let mut m = self.0.metadata(file)?;
        if file.filename() == "b-1.0.tar.gz" {
            m.approximate = Some("its source distribution has Metadata-Version 1.1".into());
        }
        Ok(m)
    }
}

/// A locked version whose dependencies come from an sdist without a build is named in a
/// warning.
#[test]
fn dependencies_read_without_a_build_are_warned_about() {
    let mut memory = pylock::MemoryIndex::new();
    memory
        .add("a", "1.0", "", &["b"], &["a-1.0-py3-none-any.whl"])
        .expect("a");
    memory
        .add("b", "1.0", "", &[], &["b-1.0.tar.gz"])
        .expect("b");
    let mut manifest = Manifest::default();
    manifest.add_str("a", Role::Requirement).expect("req");
    let target = Target::single("3.12", "linux", None).expect("target");
    let r = resolve(
        &manifest,
        &target,
        &Default::default(),
        &Approximate(memory),
    )
    .expect("resolves");
    assert_eq!(r.packages.len(), 2);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0].starts_with("b 1.0: its source distribution has Metadata-Version 1.1"),
        "{:?}",
        r.warnings
    );
}
