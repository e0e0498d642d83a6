//! Conflict explanations for every unsatisfiable single-environment scenario, as snapshots:
//! package names, PEP 440 ranges, Python requirements; no solver internals.

use pylock::ResolveError;

use crate::support::scenarios;

#[test]
fn unsatisfiable_scenarios_explain_themselves() {
    let mut seen = 0;
    for s in scenarios("packse") {
        if s.expected.satisfiable || s.skip.is_some() {
            continue;
        }
        let Err(ResolveError::NoSolution { explanation, .. }) = s.run() else {
            panic!("{}: expected no solution", s.name);
        };
        for internal in ["Root", "∅", "Derived", "External", "Pkg::"] {
            assert!(!explanation.contains(internal), "{}: {explanation}", s.name);
        }
        insta::assert_snapshot!(s.name.clone(), explanation);
        seen += 1;
    }
    assert!(seen >= 15, "only {seen} unsatisfiable scenarios");
}

/// Versions ruled out one by one leave ranges of many pieces (`a<1.3 or >1.3, <1.4 or ...`);
/// the explanation shows them by the versions they hold.
#[test]
fn ranges_of_many_pieces_are_shown_by_their_versions() {
    let mut index = pylock::MemoryIndex::new();
    for i in 1..=12 {
        let v = format!("1.{i}");
        let dep = if i % 3 == 0 {
            "missing-one"
        } else {
            "missing-two"
        };
        index
            .add("a", &v, "", &[dep], &[&format!("a-{v}-py3-none-any.whl")])
            .expect("release");
    }
    let mut manifest = pylock::Manifest::default();
    manifest
        .add_str("a<2", pylock::Role::Requirement)
        .expect("req");
    let target = pylock::Target::single("3.12", "linux", None).expect("target");
    let Err(ResolveError::NoSolution { explanation, .. }) =
        pylock::resolve(&manifest, &target, &Default::default(), &index)
    else {
        panic!("expected no solution");
    };
    assert!(
        !explanation.contains("or >1.") && explanation.contains("versions from 1."),
        "{explanation}"
    );
    insta::assert_snapshot!(explanation);
}
