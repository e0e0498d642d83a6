// SPDX-License-Identifier: MPL-2.0

//! The incompatibilities known to be contradicted by the partial solution.
//!
//! (Added by pylock's patch, see `vendor/README.md`: a table indexed by incompatibility id
//! replaces a hash map, and backtracking pops a log instead of scanning every entry.)

use crate::internal::DecisionLevel;

/// No decision level: the incompatibility is not known to be contradicted.
const NONE: u32 = u32::MAX;

/// For each incompatibility found to be contradicted, the decision level at which that was
/// found; it stays contradicted until the solver backtracks below that level.
///
/// Incompatibility ids are dense (arena indices), so the levels are a table indexed by id. The
/// log lists insertions in order; decision levels only grow between backtracks, so the log is
/// sorted by level and backtracking pops the entries above the level it returns to.
#[derive(Clone, Debug, Default)]
pub(crate) struct Contradicted {
    levels: Vec<u32>,
    log: Vec<(u32, u32)>,
}

impl Contradicted {
    /// Whether the incompatibility with this raw id is known to be contradicted.
    pub(crate) fn contains(&self, id: usize) -> bool {
        self.levels.get(id).is_some_and(|&level| level != NONE)
    }

    /// Records that the incompatibility with this raw id is contradicted from `level` on.
    pub(crate) fn insert(&mut self, id: usize, level: DecisionLevel) {
        if id >= self.levels.len() {
            self.levels.resize(id + 1, NONE);
        }
        debug_assert!(self.log.last().is_none_or(|&(_, last)| last <= level.0));
        self.levels[id] = level.0;
        self.log.push((id as u32, level.0));
    }

    /// Forgets every entry found above `level`.
    pub(crate) fn backtrack(&mut self, level: DecisionLevel) {
        while let Some(&(id, found)) = self.log.last() {
            if found <= level.0 {
                break;
            }
            self.log.pop();
            // A later insertion of the same id may have replaced this entry's level.
            if self.levels[id as usize] == found {
                self.levels[id as usize] = NONE;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backtracking_forgets_only_entries_above_the_level() {
        let mut c = Contradicted::default();
        c.insert(3, DecisionLevel(0));
        c.insert(7, DecisionLevel(2));
        c.insert(1, DecisionLevel(2));
        c.insert(9, DecisionLevel(4));
        c.backtrack(DecisionLevel(2));
        assert!(c.contains(3) && c.contains(7) && c.contains(1));
        assert!(!c.contains(9) && !c.contains(100));
        c.backtrack(DecisionLevel(1));
        assert!(c.contains(3) && !c.contains(7) && !c.contains(1));
    }

    #[test]
    fn a_replaced_level_is_forgotten_with_its_newest_entry() {
        let mut c = Contradicted::default();
        c.insert(5, DecisionLevel(1));
        c.insert(5, DecisionLevel(3));
        c.backtrack(DecisionLevel(2));
        assert!(!c.contains(5));
    }
}
