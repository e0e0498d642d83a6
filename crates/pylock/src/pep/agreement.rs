//! PEP 440 agreement with the reference implementation: for every pair of a specifier set and
//! a version from the lists below (locals, pre, post and dev releases, epochs, wildcards,
//! `~=`, `===`), our solver ranges and Python's `packaging` agree on whether it matches.
//! (Moved from the integration tests: the ranges are crate-private.)

use std::str::FromStr;

use super::props::packaging_contains;
use super::{specifiers_range, Version, VersionSpecifiers};

const SPECS: &[&str] = &[
    "==1.0",
    "==1.0.0",
    "==1.0+cpu",
    "!=1.0",
    "<=1.0",
    "<1.0",
    ">1.0",
    ">=1.0",
    "~=1.0",
    "~=1.0.1",
    "==1.*",
    "!=1.*",
    "==1.0.*",
    ">1.0.post1",
    ">=1.0.post1",
    "<1.0a2",
    "<=1.0a1",
    ">1.0a1",
    "==1.0.dev1",
    "<1.0.dev3",
    ">=1.0,<2",
    ">1.0,!=1.5",
    "===1.0",
    "==1!1.0",
    ">=0.9.post1.dev2",
    "<2.0rc1",
];

const VERSIONS: &[&str] = &[
    "0.9",
    "0.9.post1",
    "0.9.post1.dev2",
    "1.0.dev1",
    "1.0.dev2",
    "1.0a1",
    "1.0a2",
    "1.0b1",
    "1.0rc1",
    "1.0",
    "1.0+cpu",
    "1.0+cu121.x",
    "1.0.post0",
    "1.0.post1",
    "1.0.post1+l",
    "1.0.post2.dev1",
    "1.0.1",
    "1.0.1+x",
    "1.1",
    "1.5",
    "1.9.9",
    "2.0a1",
    "2.0rc1",
    "2.0",
    "1!1.0",
    "1!0.5",
    "1.0.0",
];

#[test]
fn specifier_ranges_agree_with_packaging() {
    let pairs: Vec<(String, String)> = SPECS
        .iter()
        .flat_map(|s| {
            VERSIONS
                .iter()
                .map(move |v| ((*s).to_owned(), (*v).to_owned()))
        })
        .collect();
    let expected = packaging_contains(&pairs);
    // Known and accepted: `===` compares strings in PEP 440; solver ranges compare versions, so
    // `===1.0` also admits `1.0.0`.
    let accepted = |spec: &str, version: &str| spec == "===1.0" && version == "1.0.0";
    let mut disagreements = Vec::new();
    for ((spec, version), want) in pairs.iter().zip(expected) {
        if accepted(spec, version) {
            continue;
        }
        let range = specifiers_range(&VersionSpecifiers::from_str(spec).expect("spec"));
        let got = range.contains(&Version::from_str(version).expect("version"));
        if got != want {
            disagreements.push(format!(
                "{version} in {spec}: pylock {got}, packaging {want}"
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} disagree:\n{}",
        disagreements.len(),
        pairs.len(),
        disagreements.join("\n")
    );
}
