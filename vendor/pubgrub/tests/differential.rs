//! pylock's patch keeps every result of pubgrub 0.4.0 (vendor/README.md): solutions, errors
//! and derivation trees, checked against the published crate on random registries, with
//! self-dependencies and dependencies on empty sets among them.

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A version set, built the same way with either crate's `Ranges`.
#[derive(Clone, Copy)]
enum Set {
    Empty,
    Full,
    Single(u32),
    Lower(u32),
    Higher(u32),
    Between(u32, u32),
}

/// Packages 0 (the root, version 0) to n, each version with its dependencies.
type Registry = Vec<(u32, u32, Vec<(u32, Set)>)>;

/// Resolves `$registry` with crate `$pg`: the sorted solution, or the error's report and its
/// derivation tree.
macro_rules! solve {
    ($pg:ident, $registry:expr) => {{
        use $pg::{
            DefaultStringReporter, OfflineDependencyProvider, PubGrubError, Ranges, Reporter,
            resolve,
        };
        let set = |s: &Set| -> Ranges<u32> {
            match *s {
                Set::Empty => Ranges::empty(),
                Set::Full => Ranges::full(),
                Set::Single(v) => Ranges::singleton(v),
                Set::Lower(v) => Ranges::strictly_lower_than(v),
                Set::Higher(v) => Ranges::higher_than(v),
                Set::Between(a, b) => Ranges::between(a, b),
            }
        };
        let mut provider = OfflineDependencyProvider::<u32, Ranges<u32>>::new();
        for (p, v, deps) in $registry {
            provider.add_dependencies(*p, *v, deps.iter().map(|(q, s)| (*q, set(s))));
        }
        match resolve(&provider, 0u32, 0u32) {
            Ok(solution) => {
                let mut solution: Vec<_> = solution.into_iter().collect();
                solution.sort();
                format!("{solution:?}")
            }
            Err(PubGrubError::NoSolution(tree)) => {
                format!("{}\n{tree:?}", DefaultStringReporter::report(&tree))
            }
            Err(e) => format!("{e:?}"),
        }
    }};
}

fn registry(seed: u64) -> Registry {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let packages = 2 + rng.below(6) as u32;
    let mut root: Vec<(u32, Set)> = (1..packages)
        .filter(|_| rng.below(2) == 0)
        .map(|q| (q, Set::Full))
        .collect();
    if root.is_empty() {
        root.push((1, Set::Full));
    }
    let mut registry = vec![(0, 0, root)];
    for p in 1..packages {
        for v in 0..1 + rng.below(8) as u32 {
            let mut deps = Vec::new();
            for q in 1..packages {
                if rng.below(3) != 0 || (q == p && rng.below(4) != 0) {
                    continue;
                }
                let a = rng.below(8) as u32;
                let b = a + 1 + rng.below(4) as u32;
                deps.push((
                    q,
                    match rng.below(7) {
                        0 => Set::Full,
                        1 => Set::Single(a),
                        2 => Set::Lower(a),
                        3 => Set::Higher(a),
                        4 | 5 => Set::Between(a, b),
                        _ => Set::Empty,
                    },
                ));
            }
            registry.push((p, v, deps));
        }
    }
    registry
}

#[test]
fn results_are_the_published_crates() {
    let (mut failures, mut differ) = (0, Vec::new());
    for seed in 1..=3000 {
        let registry = registry(seed);
        let published = solve!(upstream, &registry);
        let patched = solve!(pubgrub, &registry);
        if !published.starts_with('[') {
            failures += 1;
        }
        if published != patched {
            differ.push(seed);
        }
    }
    // Both kinds of result are exercised.
    assert!(failures > 300 && failures < 2700, "{failures} of 3000 without a solution");
    assert!(differ.is_empty(), "results differ for seeds {differ:?}");
}
