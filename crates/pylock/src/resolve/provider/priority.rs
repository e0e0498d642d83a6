//! Package priorities: which package the solver decides next, and when a solve restarts
//! with a package that keeps conflicting moved ahead.

use std::cmp::Reverse;

use pubgrub::PackageResolutionStatistics;

use super::Provider;
use crate::resolve::atoms::Atoms;
use crate::resolve::pkg::Pkg;
use crate::util::lock;

/// Priority: pinned packages first, then packages moved ahead after repeated conflicts (the
/// latest move first), then those that keep conflicting, then discovery order (breadth-first).
pub type Priority = (bool, usize, u32, Reverse<usize>);

/// Conflicts after which a package not yet moved ahead triggers a restart.
const CONFLICT_THRESHOLD: u32 = 5;

impl Provider<'_> {
    /// The priority of deciding `package` within `range` next; notes a restart when a
    /// package not yet moved ahead keeps conflicting (the next choice reports it).
    pub(super) fn priority(
        &self,
        package: &Pkg,
        range: &Atoms,
        stats: &PackageResolutionStatistics,
    ) -> Priority {
        if let Pkg::Package(name) = package {
            // Weighed again, so no longer decided (the solver weighs undecided packages only).
            lock(&self.taken).remove(name);
        }
        let order = {
            let mut discovery = lock(&self.discovery);
            let next = discovery.len();
            *discovery.entry(package.clone()).or_insert(next)
        };
        // Waits for the page (queued when the package was discovered) rather than asking
        // whether it has arrived: a priority that depends on timing makes the solver take
        // other paths from run to run (airflow's universal lock read 410 or 1,553 metadata
        // files depending on which pages came first).
        let pinned = *package == Pkg::Root
            || package
                .name()
                .and_then(|n| self.candidates(n).ok().flatten())
                .is_some_and(|c| range.count_in(c.versions.len()) == 1);
        let boost = package
            .name()
            .and_then(|n| self.boosted.iter().position(|b| b == n))
            .map_or(0, |i| i + 1);
        if boost == 0 && stats.conflict_count() >= CONFLICT_THRESHOLD {
            if let Some(name) = package.name() {
                lock(&self.restart).get_or_insert_with(|| name.clone());
            }
        }
        (pinned, boost, stats.conflict_count(), Reverse(order))
    }
}
