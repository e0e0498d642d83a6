//! Forks solved ahead ([`super::speculate`]) end as forks solved one after another.

use super::{solve_forks_with, target_region, Asked};
use crate::index::MemoryIndex;
use crate::manifest::{Manifest, Role, Target};
use crate::resolve::fetch::{Fetcher, FilterSpec};
use crate::resolve::inputs::Inputs;
use crate::resolve::Options;

/// What the forks of a universal resolve of `requirements` over `index` add up to, solving
/// `width` forks at once: each locked version with its marker, then the regions solved; and
/// how many forks solved ahead were kept and solved again.
fn forks(index: &MemoryIndex, requirements: &[&str], width: usize) -> (Vec<String>, usize, usize) {
    let mut manifest = Manifest::default();
    for r in requirements {
        manifest.add_str(r, Role::Requirement).expect("requirement");
    }
    let target = Target::universal(Some(">=3.10".parse().expect("spec")));
    let inputs = Inputs::new(&manifest, &target);
    let options = Options::default();
    let whole = target_region(&target);
    let asked = Asked {
        whole: &whole,
        target: &target,
        options: &options,
        inputs: &inputs,
    };
    let fetcher = Fetcher::new(index, FilterSpec::default());
    let (forks, (kept, redone)) = solve_forks_with(&asked, &fetcher, width).expect("solved");
    let marker = |m: &crate::pep::MarkerTree| m.try_to_string().unwrap_or_default();
    let mut out: Vec<String> = (forks.entries.iter())
        .map(|((name, version), entry)| format!("{name} {version}: {}", marker(&entry.marker)))
        .collect();
    out.extend(forks.leaves.iter().map(|(region, _)| marker(region)));
    (out, kept, redone)
}

/// Two forks on the platform (`b` 2 on Linux, `b` 1 elsewhere, solved first), each needing
/// `c`; `b` 1 needs `b1_needs`.
fn split_on_b(b1_needs: &[&str]) -> MemoryIndex {
    let mut index = MemoryIndex::new();
    let wheel = |n: &str, v: &str| format!("{n}-{v}-py3-none-any.whl");
    index
        .add("b", "1.0", "", b1_needs, &[&wheel("b", "1.0")])
        .expect("b 1");
    index
        .add("b", "2.0", "", &[], &[&wheel("b", "2.0")])
        .expect("b 2");
    for v in ["1.0", "2.0"] {
        index.add("c", v, "", &[], &[&wheel("c", v)]).expect("c");
    }
    index
}

const SPLIT: [&str; 3] = [
    "b>=2; sys_platform == 'linux'",
    "b<2; sys_platform != 'linux'",
    "c",
];

#[test]
fn a_fork_solved_ahead_that_a_preference_changes_is_solved_again() {
    // The fork off Linux is solved first and must take c 1.0 (b 1.0 needs c<2). Solved
    // ahead, without that preference, the Linux fork takes c 2.0; in its turn it prefers
    // c 1.0, so the solve ahead is dropped and the lock keeps one version of c.
    let index = split_on_b(&["c<2"]);
    let (one_by_one, _, _) = forks(&index, &SPLIT, 1);
    assert!(
        one_by_one.iter().any(|l| l.starts_with("c 1.0"))
            && !one_by_one.iter().any(|l| l.starts_with("c 2.0")),
        "{one_by_one:#?}"
    );
    let (ahead, kept, redone) = forks(&index, &SPLIT, 2);
    assert_eq!(ahead, one_by_one);
    assert_eq!((kept, redone), (0, 1));
}

#[test]
fn a_fork_solved_ahead_that_no_preference_changes_is_kept() {
    // Both forks take c 2.0 with or without the other's choices: the solve ahead is kept.
    let index = split_on_b(&[]);
    let (one_by_one, _, _) = forks(&index, &SPLIT, 1);
    let (ahead, kept, redone) = forks(&index, &SPLIT, 2);
    assert_eq!((kept, redone), (1, 0));
    assert_eq!(ahead, one_by_one);
}

#[test]
fn one_fork_at_a_time_solves_nothing_ahead() {
    let index = split_on_b(&[]);
    let (_, kept, redone) = forks(&index, &SPLIT, 1);
    assert_eq!((kept, redone), (0, 0));
}
