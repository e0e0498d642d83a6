//! Preferences: the versions earlier forks chose and an existing lock keeps, which
//! candidate choice tries first.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use super::Provider;
use crate::pep::{MarkerTree, PackageName, Version};
use crate::resolve::options::Options;
use crate::resolve::scope::Scope;
use crate::util::lock;

/// Versions chosen by forks solved earlier, newest choice first: later forks prefer them, so a
/// universal lock keeps one version of a package wherever it can.
pub type Preferences = Mutex<HashMap<PackageName, Vec<Version>>>;

/// Preferences seeded with the versions `options` asks to keep.
pub fn preferences(options: &Options) -> Preferences {
    let mut out: HashMap<PackageName, Vec<Version>> = HashMap::new();
    for (name, version) in &options.preferences {
        out.entry(name.clone()).or_default().push(version.clone());
    }
    Mutex::new(out)
}

/// The preferred versions none of whose markers reaches `scope`.
pub(super) fn locked_elsewhere(
    markers: &[(PackageName, Version, MarkerTree)],
    scope: &Scope,
) -> HashSet<(PackageName, Version)> {
    let mut here: HashSet<(PackageName, Version)> = HashSet::new();
    let mut out = HashSet::new();
    for (name, version, marker) in markers {
        let key = (name.clone(), version.clone());
        if scope.applies_marker(marker) {
            out.remove(&key);
            here.insert(key);
        } else if !here.contains(&key) {
            out.insert(key);
        }
    }
    out
}

impl Provider<'_> {
    /// The versions earlier forks chose for `name`, newest first: where several fit a fork,
    /// it takes the one a solve of its own would, not merely the last one chosen (which may
    /// be an old version an unrelated part of the lock needed). None under a lowest
    /// resolution: there each fork takes the lowest version that works in it, as uv does
    /// (a version an earlier fork had to take, above a cap, is no lower bound here).
    pub(super) fn preferred_versions(
        &self,
        name: &PackageName,
        lowest_first: bool,
    ) -> Vec<Version> {
        preference_order(&lock(self.preferences), name, lowest_first, &self.elsewhere)
    }
}

/// The versions `preferences` holds for `name`, in the order candidate choice tries them:
/// newest first, those in `elsewhere` (locked only for other environments) after the others;
/// none when versions are tried lowest first.
pub(super) fn preference_order(
    preferences: &HashMap<PackageName, Vec<Version>>,
    name: &PackageName,
    lowest_first: bool,
    elsewhere: &HashSet<(PackageName, Version)>,
) -> Vec<Version> {
    if lowest_first {
        return Vec::new();
    }
    let mut preferred = preferences.get(name).cloned().unwrap_or_default();
    preferred.sort();
    preferred.reverse();
    if !elsewhere.is_empty() {
        // Versions locked for other environments only come after those locked here.
        let key = |v: &Version| elsewhere.contains(&(name.clone(), v.clone()));
        preferred.sort_by_key(key);
    }
    preferred
}

/// `preferred` with `hint` (the version an extra's node is first tried at: its project's)
/// moved to the front.
pub(super) fn hint_first(preferred: &mut Vec<Version>, hint: Option<&Version>) {
    if let Some(hint) = hint {
        preferred.retain(|p| p != hint);
        preferred.insert(0, hint.clone());
    }
}
