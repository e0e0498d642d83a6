//! A failed solve's derivation in the ranges people wrote: the solver works on ranges aligned
//! to the listed versions (see `atoms`), which are exact but read oddly (`b<2.0.0` where the
//! requirement said `b==1.0.0` and only 1.0.0 is listed). The explanation shows, instead,
//! - a dependency as its requirement wrote it (`you require a<2`);
//! - a range that holds one or two listed versions (of several) as those versions
//!   (`c==1.0.0`), others as they are;
//! - a dependency on no listed version as "there is no version of a==2.0.0".

use std::collections::HashMap;
use std::sync::Arc;

use pubgrub::{DerivationTree, Derived, External, Term};

use super::atoms::Atoms;
use super::pkg::Pkg;
use super::provider::Provider;
use crate::pep::{after_locals, Range};

type AtomTree = DerivationTree<Pkg, Atoms, String>;
type PlainTree = DerivationTree<Pkg, Range, String>;

/// The derivation `tree` of a failed solve of `provider`, in written ranges.
pub fn plain_tree(tree: &AtomTree, provider: &Provider<'_>) -> PlainTree {
    let unaligner = Unaligner {
        provider,
        written: provider.written_ranges(),
    };
    unaligner.tree(tree, &mut HashMap::new())
}

struct Unaligner<'p, 'a> {
    provider: &'p Provider<'a>,
    written: HashMap<(Pkg, Pkg, Atoms), Range>,
}

/// At most this many listed versions in a range are shown one by one.
const SHOWN_ONE_BY_ONE: usize = 2;

impl Unaligner<'_, '_> {
    /// Shared subtrees stay shared: each is converted once (by address).
    fn tree(
        &self,
        tree: &AtomTree,
        done: &mut HashMap<*const AtomTree, Arc<PlainTree>>,
    ) -> PlainTree {
        match tree {
            DerivationTree::External(e) => self.external(e),
            DerivationTree::Derived(d) => {
                let mut cause = |c: &Arc<AtomTree>| -> Arc<PlainTree> {
                    let key = Arc::as_ptr(c);
                    if let Some(converted) = done.get(&key) {
                        return converted.clone();
                    }
                    let converted = Arc::new(self.tree(c, done));
                    done.insert(key, converted.clone());
                    converted
                };
                let (cause1, cause2) = (cause(&d.cause1), cause(&d.cause2));
                let terms = d.terms.iter().map(|(p, t)| {
                    let t = match t {
                        Term::Positive(r) => Term::Positive(self.range(p, r)),
                        Term::Negative(r) => Term::Negative(self.range(p, r)),
                    };
                    (p.clone(), t)
                });
                DerivationTree::Derived(Derived {
                    terms: terms.collect(),
                    shared_id: d.shared_id,
                    cause1,
                    cause2,
                })
            }
        }
    }

    fn external(&self, e: &External<Pkg, Atoms, String>) -> PlainTree {
        let plain = match e {
            External::NotRoot(p, v) => External::NotRoot(p.clone(), v.version.clone()),
            External::NoVersions(p, r) => External::NoVersions(p.clone(), self.range(p, r)),
            External::Custom(p, r, m) => External::Custom(p.clone(), self.range(p, r), m.clone()),
            External::FromDependencyOf(p, r, d, dr) => {
                let key = (p.clone(), d.clone(), dr.clone());
                let written = self.written.get(&key).cloned();
                let dependency = External::FromDependencyOf(
                    p.clone(),
                    self.range(p, r),
                    d.clone(),
                    written.clone().unwrap_or_else(|| self.range(d, dr)),
                );
                match written {
                    // No listed version fits: say so, as a solve over plain ranges would.
                    Some(range) if dr.is_empty() && !range.is_empty() => {
                        let terms = [(p.clone(), Term::Positive(self.range(p, r)))];
                        return DerivationTree::Derived(Derived {
                            terms: terms.into_iter().collect(),
                            shared_id: None,
                            cause1: Arc::new(DerivationTree::External(External::NoVersions(
                                d.clone(),
                                range,
                            ))),
                            cause2: Arc::new(DerivationTree::External(dependency)),
                        });
                    }
                    _ => dependency,
                }
            }
        };
        DerivationTree::External(plain)
    }

    /// `atoms` of `pkg` as a range: the listed versions it holds, when they are one or two
    /// of several, else its atoms' versions ([`Atoms::range_in`]).
    fn range(&self, pkg: &Pkg, atoms: &Atoms) -> Range {
        let listed = pkg
            .name()
            .and_then(|n| self.provider.candidates(n).ok().flatten());
        let Some(listed) = listed else {
            return atoms.range_in(&[]);
        };
        let versions = &listed.versions;
        let held: Vec<_> = (atoms.slices(versions.len()).flatten())
            .take(SHOWN_ONE_BY_ONE + 1)
            .map(|at| &versions[at])
            .collect();
        if held.is_empty() || held.len() > SHOWN_ONE_BY_ONE || held.len() == versions.len() {
            return atoms.range_in(versions);
        }
        held.iter().fold(Range::empty(), |acc, c| {
            acc.union(&Range::between(c.version.clone(), after_locals(&c.version)))
        })
    }
}
