//! Multi-use locks: one universal resolve for a project's base dependencies and every extra
//! and dependency group at once, each selection item a free marker variable.
//!
//! A selection item is encoded as an extra of the lock's markers, as the lock reader encodes
//! PEP 751's lock-only markers (`extra == 'e-x'` for `'x' in extras`, `extra == 'g-g'` for
//! `'g' in dependency_groups`): `pep508_rs`'s marker algebra treats each as an independent
//! boolean. Root requirements keep these variables (they are never evaluated away), so each
//! package's marker says which selections need it.
//!
//! Items are solved together (as if all were selected) unless they conflict. Conflicting sets
//! (at most one item of a set may be selected) split the target into one fork per way of
//! choosing at most one item of each set, so each selection gets its own versions. The
//! selections that hold two items of a set are impossible: the lock's markers then select
//! the entries of each item's fork together, so an installer finds two versions of a package
//! and refuses instead of installing a broken set.

use std::collections::BTreeSet;

use super::fetch::Fetcher;
use super::inputs::Inputs;
use super::uses::{describe, Uses};
use super::{Fact, Options, Resolution, ResolveError};
use crate::manifest::Target;
use crate::pep::ExtraName;

/// Solve a multi-use lock: all items together; when that has no solution, find the items
/// that cannot be selected together, declare them conflicting and solve again.
pub fn solve(
    inputs: &mut Inputs,
    target: &Target,
    options: &Options,
    fetcher: &Fetcher<'_>,
) -> Result<Resolution, ResolveError> {
    let first = super::universal::resolve_universal(inputs, target, options, fetcher);
    let (explanation, facts) = match first {
        Err(ResolveError::NoSolution { explanation, facts }) if !inputs.uses.vars.is_empty() => {
            (explanation, facts)
        }
        other => return other.map(|r| with_conflict_warnings(r, &inputs.uses, &[])),
    };
    let asked = Asked {
        target,
        options,
        fetcher,
    };
    let found = find_conflicts(inputs, &asked, explanation, facts)?;
    inputs.uses.conflicts.extend(found.iter().cloned());
    let resolution = super::universal::resolve_universal(inputs, target, options, fetcher)?;
    Ok(with_conflict_warnings(resolution, &inputs.uses, &found))
}

/// What every check of a selection solves with.
struct Asked<'a, 'f> {
    target: &'a Target,
    options: &'a Options,
    fetcher: &'a Fetcher<'f>,
}

/// The pairs of items that cannot be selected together (beside those declared so).
///
/// Items join a set that solves together one by one. An item that does not fit is checked
/// alone (failing alone, it is the error), then with each member; every item is also checked
/// with each item set apart before. The pairs that fail conflict. One conflicting pair costs
/// about twice as many solves as there are items. `explanation` (why all together fail) is
/// the error when the conflict is not between two items, with its `facts`.
fn find_conflicts(
    inputs: &mut Inputs,
    asked: &Asked<'_, '_>,
    explanation: String,
    facts: Vec<Fact>,
) -> Result<Vec<Vec<ExtraName>>, ResolveError> {
    let declared = inputs.uses.conflicts.clone();
    let together = |a: &ExtraName, b: &ExtraName| {
        declared
            .iter()
            .any(|set| set.contains(a) && set.contains(b))
    };
    let vars = inputs.uses.vars.clone();
    let mut fitting: Vec<&ExtraName> = Vec::new();
    let mut apart: Vec<&ExtraName> = Vec::new();
    let mut found: Vec<Vec<ExtraName>> = Vec::new();
    for var in &vars {
        let mut with: Vec<&ExtraName> = (fitting.iter().copied())
            .filter(|f| !together(f, var))
            .collect();
        with.push(var);
        let fits = check(inputs, asked, &with)?.is_none();
        if !fits {
            if let Some((why, facts)) = check(inputs, asked, &[var])? {
                return Err(ResolveError::NoSolution {
                    explanation: format!("{} cannot be installed:\n{why}", describe(var)),
                    facts,
                });
            }
        }
        let mut against = apart.clone();
        if !fits {
            against.extend(&fitting);
        }
        let mut with_fitting = false;
        for other in against {
            if !together(other, var) && check(inputs, asked, &[other, var])?.is_some() {
                with_fitting |= fitting.contains(&other);
                found.push(vec![other.clone(), var.clone()]);
            }
        }
        if fits {
            fitting.push(var);
        } else if with_fitting {
            apart.push(var);
        } else {
            // Three or more items that only conflict all together: not split apart.
            return Err(ResolveError::NoSolution { explanation, facts });
        }
    }
    if found.is_empty() {
        return Err(ResolveError::NoSolution { explanation, facts });
    }
    Ok(found)
}

/// Solve the selection of exactly the items `selected`: why it has no solution (and the
/// facts), if so.
fn check(
    inputs: &mut Inputs,
    asked: &Asked<'_, '_>,
    selected: &[&ExtraName],
) -> Result<Option<(String, Vec<Fact>)>, ResolveError> {
    let mut uses = Uses {
        vars: inputs.uses.vars.clone(),
        conflicts: Vec::new(),
        fixed: (inputs.uses.vars.iter())
            .map(|v| (v.clone(), selected.contains(&v)))
            .collect(),
    };
    std::mem::swap(&mut inputs.uses, &mut uses);
    let result =
        super::universal::resolve_universal(inputs, asked.target, asked.options, asked.fetcher);
    std::mem::swap(&mut inputs.uses, &mut uses);
    match result {
        Ok(_) => Ok(None),
        Err(ResolveError::NoSolution { explanation, facts }) => Ok(Some((explanation, facts))),
        Err(e) => Err(e),
    }
}

/// One warning per conflicting set: which items, found how, and what an installer does when
/// asked for more than one.
fn with_conflict_warnings(
    mut resolution: Resolution,
    uses: &Uses,
    found: &[Vec<ExtraName>],
) -> Resolution {
    let mut lines = BTreeSet::new();
    for set in &uses.conflicts {
        let names: Vec<String> = set.iter().map(describe).collect();
        let how = if found.contains(set) {
            "need versions that exclude each other"
        } else {
            "are declared conflicting ([tool.pylock] conflicts)"
        };
        lines.insert(format!(
            "{} {how}: the lock resolves each apart, and selecting them together is impossible (an installer asked for that finds two versions of a package and refuses)",
            names.join(" and ")
        ));
    }
    let mut warnings: Vec<String> = lines.into_iter().collect();
    warnings.append(&mut resolution.warnings);
    resolution.warnings = warnings;
    resolution
}
