//! Property tests of this module: specifier ranges against generated versions (checked against
//! `pep440_rs`'s own `contains` and, on a fixed batch, against Python's `packaging`), and the
//! marker helpers' algebra evaluated on generated environments.
//!
//! They live inside the crate because the helpers they test are crate-private.

use std::path::PathBuf;
use std::str::FromStr;

use proptest::prelude::*;
use proptest::strategy::ValueTree as _;
use proptest::test_runner::TestRunner;

use super::{
    and, is_possible, lock_marker, or, python_range, restrict_extras, specifiers_range, ExtraName,
    MarkerEnvironment, MarkerTree, Version, VersionSpecifiers,
};

// ---------------------------------------------------------------------------------------------
// Versions and specifiers.

/// Version text: small numbers so that generated specifiers and versions meet often; pre, post
/// and dev releases, epochs and local labels all appear.
fn version_text() -> impl Strategy<Value = String> {
    (
        prop_oneof![9 => Just(0u64), 1 => Just(1u64)],
        prop::collection::vec(0u64..3, 1..=3),
        prop::option::weighted(0.3, (prop::sample::select(vec!["a", "b", "rc"]), 0u64..3)),
        prop::option::weighted(0.25, 0u64..3),
        prop::option::weighted(0.25, 0u64..3),
        prop::option::weighted(0.2, prop::sample::select(vec!["cpu", "cu121.x", "1"])),
    )
        .prop_map(|(epoch, release, pre, post, dev, local)| {
            let mut s = String::new();
            if epoch > 0 {
                s.push_str(&format!("{epoch}!"));
            }
            let release: Vec<String> = release.iter().map(u64::to_string).collect();
            s.push_str(&release.join("."));
            if let Some((kind, n)) = pre {
                s.push_str(&format!("{kind}{n}"));
            }
            if let Some(n) = post {
                s.push_str(&format!(".post{n}"));
            }
            if let Some(n) = dev {
                s.push_str(&format!(".dev{n}"));
            }
            if let Some(l) = local {
                s.push_str(&format!("+{l}"));
            }
            s
        })
}

fn version() -> impl Strategy<Value = Version> {
    version_text().prop_map(|s| Version::from_str(&s).expect("generated versions are valid"))
}

/// One specifier; the ones PEP 440 forbids (`~=1`, `<1.0+local`) are filtered out by parsing.
fn specifier_text() -> impl Strategy<Value = String> {
    let ops = vec!["==", "!=", "<=", ">=", "<", ">", "~=", "==*", "!=*"];
    (prop::sample::select(ops), version_text()).prop_filter_map(
        "not a valid specifier",
        |(op, v)| {
            let text = match op.strip_suffix('*') {
                // A wildcard takes a release only: drop what follows it.
                Some(op) => {
                    let release = v
                        .split(|c: char| c.is_ascii_alphabetic() || c == '+')
                        .next()
                        .unwrap_or_default()
                        .trim_end_matches('.');
                    format!("{op}{release}.*")
                }
                None => format!("{op}{v}"),
            };
            VersionSpecifiers::from_str(&text).ok().map(|_| text)
        },
    )
}

fn specifiers_text() -> impl Strategy<Value = String> {
    prop::collection::vec(specifier_text(), 1..=3).prop_map(|s| s.join(", "))
}

/// Where `pep440_rs`'s `contains` departs from PEP 440 (and from `packaging`, the oracle of the
/// batch test below, which checks that `packaging` sides with our ranges there). `None` when the
/// two should agree.
fn pep440_rs_departure(spec: &VersionSpecifiers, version: &Version) -> Option<&'static str> {
    spec.iter().find_map(|s| {
        let bound = s.version();
        let plain_final = !bound.any_prerelease() && !bound.is_post();
        match s.operator() {
            // `pep440_rs` refuses every pre-release of the bound's release, even below a bound
            // that is itself a pre-release or a post-release (`<1.0rc1` admits `1.0a1`, and
            // `<1.0.post1` admits `1.0a1`: only `<1.0` keeps 1.0's pre-releases out).
            super::Operator::LessThan
                if !plain_final
                    && version.any_prerelease()
                    && trimmed(bound.release()) == trimmed(version.release()) =>
            {
                Some("pre-release below a pre- or post-release bound")
            }
            // `pep440_rs` compares the releases without their epochs, so `<1!0` refuses
            // `0.dev0` as a pre-release of the bound's release; it is in another epoch, below
            // the bound (packaging admits it).
            super::Operator::LessThan
                if version.epoch() != bound.epoch()
                    && version.any_prerelease()
                    && trimmed(bound.release()) == trimmed(version.release()) =>
            {
                Some("pre-release of the bound's release in another epoch")
            }
            // `pep440_rs` refuses every post-release of the bound's release; PEP 440 only those
            // of the bound itself (`>1.0a1` and `>1.0.dev0` admit `1.0.post1`).
            super::Operator::GreaterThan
                if bound.any_prerelease()
                    && version.is_post()
                    && trimmed(bound.release()) == trimmed(version.release()) =>
            {
                Some("post-release above a pre-release bound")
            }
            // `pep440_rs` zips the two releases, so `1` matches `==1.0.1.*`; PEP 440 pads the
            // shorter release with zeros.
            super::Operator::EqualStar | super::Operator::NotEqualStar
                if version.release().len() < bound.release().len() =>
            {
                Some("wildcard longer than the version's release")
            }
            _ => None,
        }
    })
}

/// A release without its trailing zeros (`1.0.0` and `1` are the same release).
fn trimmed(release: &[u64]) -> &[u64] {
    let end = release.iter().rposition(|&n| n != 0).map_or(0, |i| i + 1);
    &release[..end]
}

proptest! {
    /// The solver's range of a specifier set admits exactly the versions `pep440_rs` says the
    /// set contains, except where `pep440_rs` departs from PEP 440 (listed above, each checked
    /// against `packaging` in the next test).
    #[test]
    fn specifier_ranges_agree_with_pep440_rs(spec in specifiers_text(), versions in prop::collection::vec(version(), 1..8)) {
        let spec = VersionSpecifiers::from_str(&spec).expect("filtered");
        let range = specifiers_range(&spec);
        for version in &versions {
            if pep440_rs_departure(&spec, version).is_some() {
                continue;
            }
            prop_assert_eq!(
                range.contains(version), spec.contains(version),
                "{} in {}", version, spec
            );
        }
    }

    /// Ranges behave as sets: the range of `a, b` is the intersection of the ranges of `a` and
    /// `b`, and a range's complement admits exactly what it does not.
    #[test]
    fn specifier_ranges_compose(a in specifiers_text(), b in specifiers_text(), version in version()) {
        let ra = specifiers_range(&VersionSpecifiers::from_str(&a).expect("filtered"));
        let rb = specifiers_range(&VersionSpecifiers::from_str(&b).expect("filtered"));
        let both = specifiers_range(&VersionSpecifiers::from_str(&format!("{a}, {b}")).expect("filtered"));
        prop_assert_eq!(both.contains(&version), ra.contains(&version) && rb.contains(&version));
        prop_assert_eq!(ra.complement().contains(&version), !ra.contains(&version));
        prop_assert_eq!(ra.union(&rb).contains(&version), ra.contains(&version) || rb.contains(&version));
    }
}

/// A Python with packaging >= 26: `$PYLOCK_TEST_PYTHON`, else `<workspace>/.venv` (which
/// `.ci/run` creates).
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("PYLOCK_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with packaging>=26: set PYLOCK_TEST_PYTHON or run `bash .ci/run` (creates .venv)"
    );
    venv
}

/// Whether Python's `packaging` says each version matches its specifier set (pre-releases
/// included), in one call of `tests/support/specifiers.py`.
pub(super) fn packaging_contains(pairs: &[(String, String)]) -> Vec<bool> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/specifiers.py");
    let mut child = Command::new(python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python starts");
    let input = serde_json::to_vec(pairs).expect("json");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&input)
        .expect("send pairs");
    let output = child.wait_with_output().expect("python runs");
    assert!(output.status.success(), "specifiers.py failed");
    let expected: Vec<bool> = serde_json::from_slice(&output.stdout).expect("a list of booleans");
    assert_eq!(expected.len(), pairs.len());
    expected
}

/// 3000 generated (specifier set, version) pairs, from a fixed seed, judged by Python's
/// `packaging` in one call: the solver ranges agree on every one.
#[test]
fn specifier_ranges_agree_with_packaging_on_generated_pairs() {
    let mut runner = TestRunner::deterministic();
    let strategy = (specifiers_text(), version_text());
    let pairs: Vec<(String, String)> = (0..3000)
        .map(|_| strategy.new_tree(&mut runner).expect("generated").current())
        .collect();
    let expected = packaging_contains(&pairs);
    let mut disagreements = Vec::new();
    let mut departures = 0;
    for ((spec, version), want) in pairs.iter().zip(expected) {
        let spec = VersionSpecifiers::from_str(spec).expect("filtered");
        let version = Version::from_str(version).expect("generated");
        let got = specifiers_range(&spec).contains(&version);
        if got != want {
            disagreements.push(format!(
                "{version} in {spec}: pylock {got}, packaging {want}"
            ));
        }
        if pep440_rs_departure(&spec, &version).is_some() && spec.contains(&version) != want {
            departures += 1;
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} disagree:\n{}",
        disagreements.len(),
        pairs.len(),
        disagreements.join("\n")
    );
    // The departures excused in the pep440_rs comparison are real ones: packaging sides with us.
    assert!(
        departures > 0,
        "no pep440_rs departure met: the generator is too narrow"
    );
}

// ---------------------------------------------------------------------------------------------
// Markers.

/// One marker expression over the variables the resolver cares about.
fn marker_leaf() -> impl Strategy<Value = String> {
    let cmp = prop::sample::select(vec!["<", "<=", ">", ">=", "==", "!="]);
    let eq = prop::sample::select(vec!["==", "!="]);
    prop_oneof![
        (cmp.clone(), 7u64..16).prop_map(|(op, m)| format!("python_version {op} '3.{m}'")),
        (cmp, 7u64..16, 0u64..3)
            .prop_map(|(op, m, p)| format!("python_full_version {op} '3.{m}.{p}'")),
        (
            eq.clone(),
            prop::sample::select(vec!["linux", "win32", "darwin", "emscripten"])
        )
            .prop_map(|(op, v)| format!("sys_platform {op} '{v}'")),
        (
            eq.clone(),
            prop::sample::select(vec!["Linux", "Windows", "Darwin"])
        )
            .prop_map(|(op, v)| format!("platform_system {op} '{v}'")),
        (
            eq.clone(),
            prop::sample::select(vec!["x86_64", "aarch64", "AMD64", "arm64"])
        )
            .prop_map(|(op, v)| format!("platform_machine {op} '{v}'")),
        (eq.clone(), prop::sample::select(vec!["posix", "nt"]))
            .prop_map(|(op, v)| format!("os_name {op} '{v}'")),
        (eq.clone(), prop::sample::select(vec!["cpython", "pypy"]))
            .prop_map(|(op, v)| format!("implementation_name {op} '{v}'")),
        (eq, prop::sample::select(vec!["a", "b", "c"]))
            .prop_map(|(op, v)| format!("extra {op} '{v}'")),
        prop::sample::select(vec!["in", "not in"])
            .prop_map(|op| format!("'arm' {op} platform_machine")),
    ]
}

/// A marker of up to a few levels of `and`, `or` and negation, as text and as built by the
/// helpers under test (which must agree with the text's meaning).
#[derive(Clone, Debug)]
enum Expr {
    Leaf(String),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

fn expr() -> impl Strategy<Value = Expr> {
    marker_leaf()
        .prop_map(Expr::Leaf)
        .prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(a.into(), b.into())),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Or(a.into(), b.into())),
                inner.prop_map(|a| Expr::Not(a.into())),
            ]
        })
}

impl Expr {
    /// The tree, built with the helpers under test.
    fn tree(&self) -> MarkerTree {
        match self {
            Expr::Leaf(s) => MarkerTree::from_str(s).expect("generated markers parse"),
            Expr::And(a, b) => and(&a.tree(), &b.tree()),
            Expr::Or(a, b) => or(&a.tree(), &b.tree()),
            Expr::Not(a) => a.tree().negate(),
        }
    }

    /// The truth value, computed here from the leaves alone.
    fn holds(&self, env: &Env) -> bool {
        match self {
            Expr::Leaf(s) => MarkerTree::from_str(s)
                .expect("generated markers parse")
                .evaluate(&env.markers, &env.extras),
            Expr::And(a, b) => a.holds(env) && b.holds(env),
            Expr::Or(a, b) => a.holds(env) || b.holds(env),
            Expr::Not(a) => !a.holds(env),
        }
    }
}

/// A real environment (operating system, its names and a machine that exists there) and the
/// extras requested.
#[derive(Clone, Debug)]
struct Env {
    markers: MarkerEnvironment,
    python: Version,
    extras: Vec<ExtraName>,
}

fn env() -> impl Strategy<Value = Env> {
    let platforms = vec![
        ("linux", "Linux", "posix", "x86_64"),
        ("linux", "Linux", "posix", "aarch64"),
        ("win32", "Windows", "nt", "AMD64"),
        ("darwin", "Darwin", "posix", "arm64"),
        ("darwin", "Darwin", "posix", "x86_64"),
    ];
    (
        prop::sample::select(platforms),
        7u64..16,
        0u64..3,
        prop::sample::select(vec!["cpython", "pypy"]),
        prop::sample::subsequence(vec!["a", "b", "c"], 0..=3),
    )
        .prop_map(
            |((sys, system, os, machine), minor, patch, implementation, extras)| {
                let full = format!("3.{minor}.{patch}");
                let short = format!("3.{minor}");
                let markers = MarkerEnvironment::try_from(pep508_rs::MarkerEnvironmentBuilder {
                    implementation_name: implementation,
                    implementation_version: &full,
                    os_name: os,
                    platform_machine: machine,
                    platform_python_implementation: if implementation == "pypy" {
                        "PyPy"
                    } else {
                        "CPython"
                    },
                    platform_release: "",
                    platform_system: system,
                    platform_version: "",
                    python_full_version: &full,
                    python_version: &short,
                    sys_platform: sys,
                })
                .expect("generated environments are valid");
                Env {
                    markers,
                    python: Version::from_str(&full).expect("version"),
                    extras: extras
                        .iter()
                        .map(|e| ExtraName::from_str(e).expect("extra"))
                        .collect(),
                }
            },
        )
}

fn eval(marker: &MarkerTree, env: &Env) -> bool {
    marker.evaluate(&env.markers, &env.extras)
}

proptest! {
    /// `and`, `or` and negation mean what they say, on any environment.
    #[test]
    fn marker_connectives_follow_boolean_algebra(a in expr(), b in expr(), env in env()) {
        let (ta, tb) = (a.tree(), b.tree());
        prop_assert_eq!(eval(&and(&ta, &tb), &env), eval(&ta, &env) && eval(&tb, &env));
        prop_assert_eq!(eval(&or(&ta, &tb), &env), eval(&ta, &env) || eval(&tb, &env));
        prop_assert_eq!(eval(&ta.negate(), &env), !eval(&ta, &env));
        prop_assert_eq!(eval(&ta, &env), a.holds(&env));
        // Canonical forms: equal meaning from either order, and `a or not a` is always true.
        prop_assert_eq!(and(&ta, &tb), and(&tb, &ta));
        prop_assert_eq!(or(&ta, &tb), or(&tb, &ta));
        prop_assert!(or(&ta, &ta.negate()).is_true());
        prop_assert!(and(&ta, &ta.negate()).is_false());
    }

    /// A marker's canonical text (what locks hold) parses back to a marker of the same
    /// meaning. (Not always to the same tree: `'arm' in platform_machine and 'arm' not in
    /// platform_machine and python_version < '3.7'` prints as `python_full_version < '0'`.)
    #[test]
    fn marker_text_round_trips(a in expr(), env in env()) {
        let tree = a.tree();
        if let Some(text) = tree.try_to_string() {
            let parsed = MarkerTree::from_str(&text).expect("canonical text parses");
            prop_assert_eq!(eval(&parsed, &env), eval(&tree, &env), "{}", text);
        }
    }

    /// Deciding the extras keeps the meaning for an environment that requests exactly those
    /// extras, and leaves no `extra` behind.
    #[test]
    fn restricting_extras_keeps_the_meaning(a in expr(), env in env()) {
        let tree = a.tree();
        let restricted = restrict_extras(&tree, &env.extras);
        prop_assert_eq!(eval(&restricted, &env), eval(&tree, &env));
        let other = Env { extras: vec![ExtraName::from_str("zzz").expect("extra")], ..env.clone() };
        prop_assert_eq!(eval(&restricted, &other), eval(&restricted, &env));
    }

    /// Where a marker holds, its Python range holds the environment's Python, and the marker is
    /// possible.
    #[test]
    fn python_range_and_possibility_are_sound(a in expr(), env in env()) {
        let tree = a.tree();
        if eval(&tree, &env) {
            prop_assert!(python_range(&tree).contains(&env.python), "{:?}", tree.try_to_string());
            prop_assert!(is_possible(&tree));
        }
    }

    /// The lock's text of a marker means the same as the marker on every Python that
    /// Requires-Python admits.
    #[test]
    fn lock_markers_keep_the_meaning_within_requires_python(a in expr(), env in env(), floor in 7u64..13) {
        let rp = VersionSpecifiers::from_str(&format!(">=3.{floor}")).expect("spec");
        prop_assume!(rp.contains(&env.python));
        let tree = a.tree();
        let locked = match lock_marker(&tree, &rp) {
            Some(text) => MarkerTree::from_str(&text).expect("lock markers parse"),
            None => MarkerTree::TRUE,
        };
        prop_assert_eq!(eval(&locked, &env), eval(&tree, &env));
    }
}
