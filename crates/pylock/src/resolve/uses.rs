//! A multi-use lock's selection items (its extras and dependency groups) as marker
//! variables: `extra == 'e-x'` for `'x' in extras`, `extra == 'g-g'` for `'g' in
//! dependency_groups` (see [`super::selections`]), which sets of them conflict, and how a
//! marker reads with the items selected, projected out or widened.

use super::ResolveError;
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
