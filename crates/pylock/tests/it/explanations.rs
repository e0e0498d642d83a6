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
        let Err(ResolveError::NoSolution { explanation }) = s.run() else {
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
