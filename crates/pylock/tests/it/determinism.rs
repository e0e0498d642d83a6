//! Same inputs, same bytes: repeated runs and an index that lists files in another order give a
//! byte-identical lock.

use pylock::index::{CoreMetadata, DistFile, Index, IndexError, ProjectPage};
use pylock::pep::PackageName;
use pylock::{resolve, LocalIndex, Lock, LockOptions, Manifest, Role, Target};

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
    };
    Lock::from_resolution(&resolution, &options).to_toml()
}

#[test]
fn byte_identical_across_runs_and_listing_order() {
    let targets = [
        Target::single("3.12", "linux".parse().expect("p"), None).expect("target"),
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
