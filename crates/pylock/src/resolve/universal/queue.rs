//! The fork queue: the parts of the target still to solve, in solve order, and the limit on
//! how many one resolve may create.

use crate::resolve::forks::ForkPart;
use crate::resolve::ResolveError;

/// The most forks one resolve may create before it gives up.
const MAX_FORKS: usize = 10_000;

/// The forks still to solve: a stack, so that a fork's parts are solved before the forks
/// that were queued before it (a depth-first walk of the splits).
pub(super) struct ForkQueue {
    pending: Vec<ForkPart>,
    taken: usize,
}

impl ForkQueue {
    /// A queue that solves `parts` in the order given.
    pub(super) fn new(parts: Vec<ForkPart>) -> Self {
        let mut queue = Self {
            pending: Vec::new(),
            taken: 0,
        };
        queue.solve_next(parts);
        queue
    }

    /// The next fork to solve; an error past [`MAX_FORKS`].
    pub(super) fn next(&mut self) -> Result<Option<ForkPart>, ResolveError> {
        let Some(part) = self.pending.pop() else {
            return Ok(None);
        };
        self.taken += 1;
        if self.taken > MAX_FORKS {
            return Err(ResolveError::TooManyForks { limit: MAX_FORKS });
        }
        Ok(Some(part))
    }

    /// The forks still to solve, in the order they will be taken.
    pub(super) fn upcoming(&self) -> impl Iterator<Item = &ForkPart> {
        self.pending.iter().rev()
    }

    /// Solve `parts` next, in the order given.
    pub(super) fn solve_next(&mut self, parts: Vec<ForkPart>) {
        self.pending.extend(parts.into_iter().rev());
    }

    /// Replace `fork` by the `parts` a solve asked to split it into, solved next in the
    /// order given; parts of an excludable fork stay excludable. An error when the split
    /// makes no progress (fewer than two parts, or one that is the fork itself).
    pub(super) fn split(
        &mut self,
        fork: &ForkPart,
        parts: Vec<ForkPart>,
    ) -> Result<(), ResolveError> {
        if parts.len() < 2 || parts.iter().any(|p| p.region == fork.region) {
            return Err(ResolveError::Unsplittable {
                environments: fork.region.try_to_string().unwrap_or_default(),
            });
        }
        let parts = parts.into_iter().map(|p| ForkPart {
            excludable: p.excludable || fork.excludable,
            region: p.region,
        });
        self.solve_next(parts.collect());
        Ok(())
    }
}
