//! The record of a solve's preference-dependent choices, and their replay under other
//! preferences: what lets a universal resolve solve a fork before the forks ahead of it have
//! published their choices, and keep that solve only where they would not have changed it
//! (see `resolve::universal::speculate`).
//!
//! Of everything a provider answers, only candidate choice reads the preferences (the
//! read-ahead reads them too, but only decides what is fetched early, not what is chosen).
//! [`Provider::choose`](super::Provider) walks a package's candidates in an order that starts
//! with the preferred versions, judges them one by one and stops at the first it takes (or at
//! a fork request). A walk is recorded as the versions it judged and passed over, and where
//! it stopped; under other preferences it stops at the same version with the same answer when
//! every version it would judge before that one was passed over in the recorded walk
//! (judging a version answers the same whenever it is asked: it reads the scope, the
//! candidate and fetched metadata, nothing the order of the walk changes). A walk that
//! passed over every candidate ends with an answer that depends on the whole order (the
//! first misfit, the fallback): there the preferred versions in range must be the same.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::order::{position, walk_order};
use super::preferences::{hint_first, preference_order};
use crate::pep::{PackageName, Version};
use crate::resolve::atoms::Atoms;
use crate::resolve::candidates::Candidates;

/// How one call of candidate choice ended.
enum End {
    /// The walk stopped at this version (taken, or a fork request on it), having passed over
    /// `skipped` (sorted) before it.
    At {
        version: Version,
        skipped: Vec<Version>,
    },
    /// The walk passed over every candidate; the preferred versions in range, in order.
    Exhausted { preferred: Vec<Version> },
}

/// One preference-dependent call of candidate choice.
struct Decision {
    name: PackageName,
    range: Atoms,
    candidates: Arc<Candidates>,
    lowest_first: bool,
    passes: &'static [bool],
    /// The version tried before the preferences (an extra at its project's decided version).
    hint: Option<Version>,
    end: End,
}

/// A walk in progress: the versions judged and passed over, and where it stopped (kept
/// only when the solve is recorded).
pub(super) struct Trail {
    on: bool,
    skipped: Vec<Version>,
    end: Option<Version>,
}

impl Trail {
    /// A trail that keeps what it is told when `on`.
    pub(super) fn new(on: bool) -> Self {
        Self {
            on,
            skipped: Vec::new(),
            end: None,
        }
    }

    /// `version` was judged and passed over.
    pub(super) fn passed(&mut self, version: &Version) {
        if self.on {
            self.skipped.push(version.clone());
        }
    }

    /// The walk stopped at `version`.
    pub(super) fn stopped(&mut self, version: &Version) {
        if self.on {
            self.end = Some(version.clone());
        }
    }
}

/// What one walk of candidate choice consulted, handed to [`Decisions::push`].
pub(super) struct Walked<'w> {
    pub name: &'w PackageName,
    pub range: &'w Atoms,
    pub candidates: &'w Arc<Candidates>,
    pub lowest_first: bool,
    pub passes: &'static [bool],
    /// The preferences, with `hint` first.
    pub preferred: &'w [Version],
    /// The version tried before the preferences, if any.
    pub hint: Option<&'w Version>,
}

/// The preference-dependent choices of one solve (over all its restarts), in order.
#[derive(Default)]
pub struct Decisions {
    /// The preferred versions locked only outside the solve's scope (the same for every
    /// provider of one scope): they order the preferences.
    elsewhere: HashSet<(PackageName, Version)>,
    list: Vec<Decision>,
}

impl Decisions {
    /// An empty record for a scope whose versions locked elsewhere are `elsewhere`.
    pub(super) fn new(elsewhere: HashSet<(PackageName, Version)>) -> Self {
        Self {
            elsewhere,
            list: Vec::new(),
        }
    }

    /// Record one walk.
    pub(super) fn push(&mut self, walked: Walked<'_>, trail: Trail) {
        let Walked {
            name,
            range,
            candidates,
            lowest_first,
            passes,
            preferred,
            hint,
        } = walked;
        let end = match trail.end {
            Some(version) => {
                let mut skipped = trail.skipped;
                skipped.sort();
                skipped.dedup();
                End::At { version, skipped }
            }
            None => End::Exhausted {
                preferred: in_range(preferred, candidates, range),
            },
        };
        self.list.push(Decision {
            name: name.clone(),
            range: range.clone(),
            candidates: candidates.clone(),
            lowest_first,
            passes,
            hint: hint.cloned(),
            end,
        });
    }

    /// Append the record of a (re)start of the same solve (over the same scope, so with the
    /// same versions locked elsewhere).
    pub fn extend(&mut self, later: Decisions) {
        self.elsewhere = later.elsewhere;
        self.list.extend(later.list);
    }

    /// Whether every recorded choice ends the same under `preferences`.
    pub fn hold_under(&self, preferences: &HashMap<PackageName, Vec<Version>>) -> bool {
        self.list.iter().all(|d| self.holds(d, preferences))
    }

    fn holds(&self, d: &Decision, preferences: &HashMap<PackageName, Vec<Version>>) -> bool {
        let mut preferred = preference_order(preferences, &d.name, d.lowest_first, &self.elsewhere);
        hint_first(&mut preferred, d.hint.as_ref());
        match &d.end {
            End::Exhausted { preferred: before } => {
                in_range(&preferred, &d.candidates, &d.range) == *before
            }
            End::At { version, skipped } => {
                let walk = walk_order(
                    &preferred,
                    &d.candidates,
                    &d.range,
                    d.lowest_first,
                    d.passes,
                );
                for (_, c) in walk {
                    if c.version == *version {
                        return true;
                    }
                    if skipped.binary_search(&c.version).is_err() {
                        // A version the recorded walk never judged comes first.
                        return false;
                    }
                }
                false
            }
        }
    }
}

/// The preferred versions that are candidates inside `range`, in order.
fn in_range(preferred: &[Version], candidates: &Candidates, range: &Atoms) -> Vec<Version> {
    preferred
        .iter()
        .filter(|v| position(candidates, v).is_some_and(|at| range.holds(at)))
        .cloned()
        .collect()
}
