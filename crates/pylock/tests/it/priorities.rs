//! The solver's order of decisions: no walk over versions it cannot take.

use pylock::MemoryIndex;
use pylock::{resolve, Manifest, Options, Role, Target};

/// `b[x]` at `v` depends on `b == v`. Once `a` has held `b` below 2 and `b` is decided, an
/// extra of `b` asked for without a bound must be tried at `b`'s version, not walked down
/// from the newest: each version above is rejected only after its metadata is read (the
/// large set walked `fastapi[all]` down 66 versions to the `fastapi` apache-airflow-core
/// allows).
#[test]
fn an_extra_is_tried_at_its_projects_decided_version() {
    let mut memory = MemoryIndex::new();
    memory
        .add("a", "1.0", "", &["b<2"], &["a-1.0-py3-none-any.whl"])
        .expect("a")
        .add("c", "1.0", "", &[], &["c-1.0-py3-none-any.whl"])
        .expect("c");
    let versions: Vec<String> = (0..5)
        .map(|i| format!("1.{i}"))
        .chain((0..40).map(|i| format!("2.{i}")))
        .collect();
    for v in &versions {
        let wheel = format!("b-{v}-py3-none-any.whl");
        memory
            .add("b", v, "", &["c ; extra == 'x'"], &[wheel.as_str()])
            .expect("b");
    }
    let index = crate::support::Counting::new(memory);
    let mut manifest = Manifest::default();
    for r in ["a", "b[x]"] {
        manifest.add_str(r, Role::Requirement).expect("requirement");
    }
    let target = Target::universal(Some(">=3.10".parse().expect("spec")));
    let r = resolve(&manifest, &target, &Options::default(), &index).expect("resolves");
    let got: Vec<(String, String)> = (r.packages.iter())
        .map(|p| (p.name.to_string(), p.version.to_string()))
        .collect();
    let want = [("a", "1.0"), ("b", "1.4"), ("c", "1.0")];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    assert_eq!(got, want);
    let read = index.read.into_inner().expect("not poisoned");
    let of_b: Vec<&String> = read.iter().filter(|f| f.starts_with("b-")).collect();
    assert!(of_b.len() <= 3, "metadata of b read: {of_b:?}");
}
