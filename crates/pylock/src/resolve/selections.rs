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
use super::{Fact, Options, Resolution, ResolveError};
use crate::manifest::Target;
use crate::pep::{and, assign_extras, is_possible, or, ExtraName, MarkerTree};

/// The most forks the conflicts of a multi-use lock may ask for.
const MAX_CONFLICT_FORKS: usize = 256;

/// A multi-use lock's selection items (as marker variables) and how they combine.
#[derive(Clone, Debug, Default)]
pub struct Uses {
    /// Every selection item, encoded (`e-x`, `g-g`), sorted.
    pub vars: Vec<ExtraName>,
    /// Sets of items of which a selection may hold at most one.
    pub conflicts: Vec<Vec<ExtraName>>,
    /// Items fixed as selected or not (checks of one selection at a time).
    pub fixed: Vec<(ExtraName, bool)>,
}

/// `extra == 'var'`.
fn literal(var: &ExtraName, selected: bool) -> MarkerTree {
    let op = if selected { "==" } else { "!=" };
    format!("extra {op} '{var}'")
        .parse()
        .unwrap_or(MarkerTree::FALSE)
}

impl Uses {
    /// `marker` as it holds when every selection item is selected.
    pub fn all_selected(&self, marker: &MarkerTree) -> MarkerTree {
        if self.vars.is_empty() {
            return marker.clone();
        }
        marker
            .clone()
            .simplify_extras_with(|n| self.vars.contains(n))
    }

    /// The selections no installer may ask for: two items of one conflicting set.
    pub fn impossible(&self) -> MarkerTree {
        let mut out = MarkerTree::FALSE;
        for set in &self.conflicts {
            for (i, a) in set.iter().enumerate() {
                for b in &set[i + 1..] {
                    out = or(&out, &and(&literal(a, true), &literal(b, true)));
                }
            }
        }
        out
    }

    /// The parts of `whole` to solve apart: one per way of choosing at most one item of each
    /// conflicting set (the fixed items decided in each).
    pub fn regions(&self, whole: &MarkerTree) -> Result<Vec<MarkerTree>, ResolveError> {
        let mut fixed = whole.clone();
        for (var, selected) in &self.fixed {
            fixed = and(&fixed, &literal(var, *selected));
        }
        let mut parts = vec![fixed];
        for set in &self.conflicts {
            let none = set
                .iter()
                .fold(MarkerTree::TRUE, |acc, v| and(&acc, &literal(v, false)));
            let mut choices = vec![none];
            for chosen in set {
                let only = set.iter().fold(MarkerTree::TRUE, |acc, v| {
                    and(&acc, &literal(v, v == chosen))
                });
                choices.push(only);
            }
            parts = parts
                .iter()
                .flat_map(|p| choices.iter().map(move |c| and(p, c)))
                .filter(is_possible)
                .collect();
            if parts.len() > MAX_CONFLICT_FORKS {
                return Err(ResolveError::TooManyConflicts {
                    limit: MAX_CONFLICT_FORKS,
                });
            }
        }
        Ok(parts)
    }

    /// `marker` with every selection item projected out: where it holds for some selection.
    pub fn project_out(&self, marker: &MarkerTree) -> MarkerTree {
        let mut out = marker.clone();
        for var in &self.vars {
            let on = assign_extras(&out, &[(var.clone(), true)]);
            let off = assign_extras(&out, &[(var.clone(), false)]);
            out = or(&on, &off);
        }
        out
    }

    /// A package's marker `marker` (where the valid selections need it), widened into the
    /// impossible selections: where an item of a conflicting set is selected with others of
    /// its set, the entries that item's fork locks are selected too. An installer asked for
    /// an impossible selection then finds two versions of the packages the items disagree
    /// on, and refuses.
    pub fn widen(&self, marker: &MarkerTree) -> MarkerTree {
        let impossible = self.impossible();
        if impossible.is_false() {
            return marker.clone();
        }
        // Set after set, so that a selection breaking several sets gets the entries of a
        // selection that breaks none.
        let mut out = marker.clone();
        for set in &self.conflicts {
            let before = out.clone();
            for chosen in set {
                let assignment: Vec<(ExtraName, bool)> =
                    set.iter().map(|v| (v.clone(), v == chosen)).collect();
                let as_chosen = assign_extras(&before, &assignment);
                let add = and(&and(&impossible, &literal(chosen, true)), &as_chosen);
                out = or(&out, &add);
            }
        }
        out
    }
}

/// How a selection item reads to a user: ``extra `x` `` or ``group `g` ``.
pub fn describe(var: &ExtraName) -> String {
    match var.as_ref().split_once('-') {
        Some(("e", name)) => format!("extra `{name}`"),
        Some(("g", name)) => format!("group `{name}`"),
        _ => format!("`{var}`"),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn var(s: &str) -> ExtraName {
        s.parse().expect("extra")
    }
    fn m(s: &str) -> MarkerTree {
        s.parse().expect("marker")
    }

    fn uses() -> Uses {
        Uses {
            vars: vec![var("e-new"), var("e-old"), var("g-dev")],
            conflicts: vec![vec![var("e-old"), var("e-new")]],
            fixed: Vec::new(),
        }
    }

    #[test]
    fn conflicts_split_into_disjoint_regions() {
        let parts = uses().regions(&MarkerTree::TRUE).expect("regions");
        assert_eq!(parts.len(), 3);
        for (i, a) in parts.iter().enumerate() {
            for b in &parts[i + 1..] {
                assert!(!is_possible(&and(a, b)), "{a:?} and {b:?} overlap");
            }
        }
        let all = parts.iter().fold(MarkerTree::FALSE, |acc, p| or(&acc, p));
        assert_eq!(all, uses().impossible().negate());
    }

    #[test]
    fn impossible_selections_get_both_forks_entries() {
        let u = uses();
        let old = m("extra == 'e-old' and extra != 'e-new'");
        let widened = u.widen(&old);
        assert_eq!(widened, m("extra == 'e-old'"));
        // A package every valid selection needs is needed by the impossible one too.
        let everywhere = u.impossible().negate();
        assert!(u.widen(&everywhere).is_true());
        // A selection that breaks two sets gets the entries of one that breaks none.
        let two = Uses {
            conflicts: vec![
                vec![var("e-old"), var("e-new")],
                vec![var("g-low"), var("g-high")],
            ],
            ..uses()
        };
        assert!(two.widen(&two.impossible().negate()).is_true());
        let old_low =
            m("extra == 'e-old' and extra != 'e-new' and extra == 'g-low' and extra != 'g-high'");
        assert_eq!(
            two.widen(&old_low),
            m("extra == 'e-old' and extra == 'g-low'")
        );
        // Markers without conflicts are left alone.
        let dev = m("extra == 'g-dev'");
        assert_eq!(Uses::default().widen(&dev), dev);
    }

    #[test]
    fn selection_items_project_out() {
        let u = uses();
        let marker = m("extra == 'g-dev' and sys_platform == 'win32' or extra == 'e-old' and sys_platform == 'linux'");
        assert_eq!(
            u.project_out(&marker),
            m("sys_platform == 'win32' or sys_platform == 'linux'")
        );
        assert!(u.all_selected(&m("extra == 'g-dev'")).is_true());
        assert_eq!(describe(&var("g-test-suite")), "group `test-suite`");
        assert_eq!(describe(&var("e-gpu")), "extra `gpu`");
    }
}
