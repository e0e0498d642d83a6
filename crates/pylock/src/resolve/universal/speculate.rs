//! Forks solved ahead of their turn, on other threads, kept only where the turn would have
//! solved them the same way.
//!
//! The driver solves forks in queue order, and each solve prefers the versions the forks
//! before it chose ([`super::publish_preferences`]): a fork solved early, before those forks
//! are done, may choose differently. So while one fork is solved in its turn, the next queued
//! ones are solved on other threads with the preferences as they are, each recording every
//! choice the preferences could change ([`Decisions`]). When such a fork's turn comes, its
//! solve is kept only if every recorded choice ends the same under the preferences of the
//! turn ([`Decisions::hold_under`]); otherwise it is solved again, in turn.
//!
//! Why a kept solve is the one the turn would make: a solve is a deterministic function of
//! its scope, the resolve's inputs and options, the index's pages and metadata (the same
//! whichever solve fetched them first: the fetcher's store and queue change when things are
//! read, not what is read), and the answers of its provider. Everything else a provider
//! reads is its own: the dependency memo, restart boosts, rejection causes, wheel variants
//! and read-ahead walks start empty for each solve and are carried only across its own
//! restarts. Only candidate choice answers from shared, changing state, the preferences
//! (the read-ahead of preferred versions reads them too, but decides only what is fetched
//! early). So if each choice, replayed under the turn's preferences, ends at the same
//! version with the same answer, then by induction over the solver's calls the turn's solve
//! asks the same questions, gets the same answers and ends the same: same solution, fork
//! request or failure. The record covers every restart of the solve. Outcomes are then
//! handled in queue order exactly as the sequential driver does (published, split, left
//! out), so the forks, their merge order and the lock are the same bytes. A solve ahead that
//! ends in an error (or a panic) is dropped and solved again in turn, so errors are those
//! of the turn.
//!
//! What may differ is only what was fetched: a solve ahead that is dropped may have read
//! pages and metadata its turn does not.

use super::super::fetch::Fetcher;
use super::super::forks::ForkPart;
use super::super::inputs::Inputs;
use super::super::provider::{Decisions, Preferences};
use super::super::scope::Scope;
use super::super::solve::{solve, solve_with, Outcome};
use super::super::{Options, ResolveError};
use crate::util::lock;

/// The most forks solved at once (a solve is one core's work).
const MAX_WIDTH: usize = 4;

/// The stack size of a thread solving ahead: as the main thread's, which solves in turn.
const STACK: usize = 8 << 20;

/// How many forks to solve at once: one per core, at most [`MAX_WIDTH`].
pub(super) fn per_core() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    cores.min(MAX_WIDTH)
}

/// What every solve of one resolve shares.
pub(super) struct Shared<'a> {
    pub inputs: &'a Inputs,
    pub options: &'a Options,
    pub fetcher: &'a Fetcher<'a>,
    pub preferences: &'a Preferences,
}

/// The forks solved ahead of their turn.
pub(super) struct Ahead<'a> {
    /// How many forks are solved at once: 1 solves each in its turn only.
    width: usize,
    /// Each fork solved ahead, its outcome (`None`: an error, solved again in turn) and the
    /// choices the preferences could change.
    solved: Vec<(ForkPart, Option<Outcome<'a>>, Decisions)>,
    /// How many solves ahead were kept, and how many solved again.
    pub kept: usize,
    pub redone: usize,
}

impl<'a> Ahead<'a> {
    /// Solve up to `width` forks at once.
    pub(super) fn new(width: usize) -> Self {
        Self {
            width: width.max(1),
            solved: Vec::new(),
            kept: 0,
            redone: 0,
        }
    }

    /// The outcome of `part` in its turn: its solve ahead if that holds under the
    /// preferences now, else a solve now, with the next forks of `upcoming` (in queue order)
    /// not yet solved ahead solved beside it.
    pub(super) fn turn<'q>(
        &mut self,
        part: &ForkPart,
        upcoming: impl Iterator<Item = &'q ForkPart>,
        shared: &Shared<'a>,
    ) -> Result<Outcome<'a>, ResolveError> {
        if let Some(at) = self.solved.iter().position(|(p, ..)| same(p, part)) {
            let (_, outcome, decisions) = self.solved.remove(at);
            let holds = decisions.hold_under(&lock(shared.preferences));
            match outcome {
                Some(outcome) if holds => {
                    self.kept += 1;
                    return Ok(outcome);
                }
                _ => self.redone += 1,
            }
        }
        let next: Vec<ForkPart> = upcoming
            .filter(|p| !self.solved.iter().any(|(s, ..)| same(s, p)))
            .take(self.width - 1)
            .cloned()
            .collect();
        let now = |part: &ForkPart| {
            let scope = Scope::fork(part.region.clone(), &shared.inputs.env_set);
            solve(
                &scope,
                shared.inputs,
                shared.options,
                shared.fetcher,
                shared.preferences,
            )
        };
        if next.is_empty() {
            return now(part);
        }
        std::thread::scope(|s| {
            let threads: Vec<_> = (next.into_iter())
                .map(|p| {
                    let part = p.clone();
                    let spawned = std::thread::Builder::new()
                        .name("pylock-fork".into())
                        .stack_size(STACK)
                        .spawn_scoped(s, move || ahead(&part, shared));
                    (p, spawned.ok())
                })
                .collect();
            let outcome = now(part);
            for (p, thread) in threads {
                let Some(Ok((result, decisions))) = thread.map(|t| t.join()) else {
                    continue;
                };
                self.solved.push((p, result.ok(), decisions));
            }
            outcome
        })
    }
}

/// Solve `part` ahead of its turn, recording the choices the preferences could change.
fn ahead<'a>(
    part: &ForkPart,
    shared: &Shared<'a>,
) -> (Result<Outcome<'a>, ResolveError>, Decisions) {
    let scope = Scope::fork(part.region.clone(), &shared.inputs.env_set);
    let mut decisions = Decisions::default();
    let result = solve_with(
        &scope,
        shared.inputs,
        shared.options,
        shared.fetcher,
        shared.preferences,
        Some(&mut decisions),
    );
    (result, decisions)
}

/// Whether two queued forks are the same fork.
fn same(a: &ForkPart, b: &ForkPart) -> bool {
    a.excludable == b.excludable && a.region == b.region
}
