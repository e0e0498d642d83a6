//! The finish of a universal resolve: from the merged forks to a [`Resolution`]. The
//! environments the lock claims (those no fork was left out of), its `requires-python`
//! narrowed to them, and per package the wheels some environment of its marker installs and
//! the shortest marker that holds where it is needed.

use super::merge::{Entry, Forks};
use super::Asked;
use crate::index::DistKind;
use crate::pep::tags::wheel_marker;
use crate::pep::{
    and, is_possible, lock_marker, python_marker, MarkerTree, PackageName, Version,
    VersionSpecifiers,
};
use crate::resolve::narrow::{equivalent_within, narrowed_requires_python, shortest_within};
use crate::resolve::{Resolution, ResolveError, ResolvedPackage};

/// The resolution the solved forks of `asked` add up to; an error when every environment
/// of the target was left out.
pub(super) fn finish(forks: Forks, asked: &Asked<'_>) -> Result<Resolution, ResolveError> {
    let leaves = forks.leaves.clone();
    let inputs = asked.inputs;
    // A multi-use lock claims no environment that some selection cannot install in.
    let excluded = inputs.uses.project_out(&forks.exclusions.region);
    let claimed = and(asked.whole, &excluded.negate());
    if !is_possible(&claimed) {
        return Err(ResolveError::NoSolution {
            explanation: format!(
                "no environment of the target can be locked:\n\n{}",
                forks.exclusions.explanation()
            ),
            facts: forks.exclusions.facts(),
        });
    }
    let requires_python = narrowed_requires_python(&claimed, &asked.target.requires_python);
    let within = and(&python_marker(&requires_python), &claimed);
    let fork_warnings = forks.warnings();
    let packages = (forks.entries)
        .into_iter()
        .map(|((name, version), mut entry)| {
            entry.marker = inputs.uses.widen(&entry.marker);
            entry.plain = inputs.uses.widen(&entry.plain);
            package(name, version, entry, &within, &requires_python)
        })
        .collect();
    // Said without the combinations no real machine has (`sys_platform == 'linux' and
    // platform_system != 'Linux'`), which splits on markers leave behind.
    let said = shortest_within(&claimed, &python_marker(&requires_python));
    let environments: Vec<String> = lock_marker(&said, &requires_python).into_iter().collect();
    let applies = match environments.first() {
        Some(env) => format!("Python {requires_python} where `{env}`"),
        None => format!("Python {requires_python}"),
    };
    let mut warnings = forks.exclusions.warnings(&inputs.env_set, &applies);
    warnings.extend(fork_warnings);
    Ok(Resolution {
        requires_python,
        environments,
        packages,
        warnings,
        roots: Vec::new(),
        direct: std::collections::BTreeMap::new(),
        pages: None,
        // A multi-use lock's regions carry selection items: not for a record.
        forks: if inputs.uses.vars.is_empty() {
            recorded_forks(&leaves)
        } else {
            Vec::new()
        },
    })
}

/// The forks to record for a re-lock: every region as text, in the order solved; none
/// when the target was solved whole (or a region has no text, the whole of everything).
fn recorded_forks(leaves: &[(MarkerTree, bool)]) -> Vec<(String, bool)> {
    if leaves.len() < 2 {
        return Vec::new();
    }
    let text: Option<Vec<(String, bool)>> = leaves
        .iter()
        .map(|(region, excludable)| Some((region.try_to_string()?, *excludable)))
        .collect();
    text.unwrap_or_default()
}

/// A locked package: only the wheels some environment of its marker installs, and the
/// shortest marker that holds where it is needed within the lock's environments `within`.
fn package(
    name: PackageName,
    version: Version,
    entry: Entry,
    within: &MarkerTree,
    requires_python: &VersionSpecifiers,
) -> ResolvedPackage {
    let needed = and(&entry.marker, within);
    let files = entry
        .files
        .into_iter()
        .filter(|f| match &f.kind {
            DistKind::Wheel(tags) => is_possible(&and(&needed, &wheel_marker(tags))),
            DistKind::Sdist => true,
        })
        .collect();
    let mut options = vec![entry.marker.clone()];
    if equivalent_within(&entry.plain, &entry.marker, within) {
        options.insert(0, entry.plain.clone());
    }
    let shortest = shortest_within(&options[0], within);
    options.push(shortest);
    let marker = options
        .iter()
        .map(|m| lock_marker(m, requires_python))
        .min_by_key(|text| text.as_ref().map_or(0, String::len))
        .flatten();
    ResolvedPackage {
        marker,
        name,
        version,
        requires_python: entry.requires_python,
        files,
        dependencies: Vec::new(),
    }
}
