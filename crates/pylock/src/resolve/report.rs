//! Human explanations of why no solution exists, from PubGrub's derivation tree: package
//! names, PEP 440 ranges and reasons, no solver internals.

use pubgrub::{
    DefaultStringReporter, DerivationTree, Derived, External, Map, ReportFormatter, Reporter, Term,
};

use super::provider::{Pkg, Provider};
use crate::pep::{display_range, Range};

type Tree = DerivationTree<Pkg, Range, String>;

/// Render the explanation of a failed solve.
pub fn explain(tree: &Tree, provider: &Provider<'_>) -> String {
    DefaultStringReporter::report_with_formatter(tree, &Formatter { provider })
}

struct Formatter<'p, 'a> {
    provider: &'p Provider<'a>,
}

/// `a==1.0`, `a>=1, <2`, `a` (any version).
fn term(pkg: &Pkg, range: &Range) -> String {
    if *range == Range::full() {
        return pkg.to_string();
    }
    let shown = display_range(range);
    if shown.starts_with(['=', '<', '>', '!', '~']) {
        format!("{pkg}{shown}")
    } else {
        format!("{pkg} {shown}")
    }
}

impl Formatter<'_, '_> {
    fn external(&self, external: &External<Pkg, Range, String>) -> String {
        match external {
            External::NotRoot(pkg, _) => format!("we are solving {pkg}"),
            External::NoVersions(pkg, range) => match pkg {
                Pkg::Package(name) | Pkg::Extra(name, _) if self.provider.is_missing(name) => {
                    format!("{name} was not found in the package index")
                }
                _ if *range == Range::full() => format!("there is no version of {pkg}"),
                _ => format!("there is no version of {}", term(pkg, range)),
            },
            External::FromDependencyOf(pkg, range, dep, dep_range) => {
                depends(pkg, range, dep, dep_range)
            }
            External::Custom(pkg, range, reason) => {
                format!("{} cannot be used: it {reason}", term(pkg, range))
            }
        }
    }
}

fn depends(pkg: &Pkg, range: &Range, dep: &Pkg, dep_range: &Range) -> String {
    if *pkg == Pkg::Root {
        format!("you require {}", term(dep, dep_range))
    } else {
        format!("{} depends on {}", term(pkg, range), term(dep, dep_range))
    }
}

impl ReportFormatter<Pkg, Range, String> for Formatter<'_, '_> {
    type Output = String;

    fn format_external(&self, external: &External<Pkg, Range, String>) -> String {
        self.external(external)
    }

    fn format_terms(&self, terms: &Map<Pkg, Term<Range>>) -> String {
        let mut terms: Vec<(&Pkg, &Term<Range>)> = terms.iter().collect();
        terms.sort_by(|a, b| a.0.cmp(b.0));
        match terms.as_slice() {
            [] => "no versions satisfy your requirements".into(),
            [(Pkg::Root, Term::Positive(_))] => "your requirements cannot be satisfied".into(),
            [(pkg, Term::Positive(range))] => format!("{} cannot be used", term(pkg, range)),
            [(pkg, Term::Negative(range))] => format!("{} is required", term(pkg, range)),
            [(p1, Term::Positive(r1)), (p2, Term::Negative(r2))]
            | [(p2, Term::Negative(r2)), (p1, Term::Positive(r1))] => depends(p1, r1, p2, r2),
            many => {
                let parts: Vec<String> = many
                    .iter()
                    .map(|(p, t)| match t {
                        Term::Positive(r) => term(p, r),
                        Term::Negative(r) => format!("not {}", term(p, r)),
                    })
                    .collect();
                format!("{} are incompatible", parts.join(" and "))
            }
        }
    }

    fn explain_both_external(
        &self,
        e1: &External<Pkg, Range, String>,
        e2: &External<Pkg, Range, String>,
        terms: &Map<Pkg, Term<Range>>,
    ) -> String {
        format!(
            "Because {} and {}, {}.",
            self.external(e1),
            self.external(e2),
            self.format_terms(terms)
        )
    }

    fn explain_both_ref(
        &self,
        id1: usize,
        d1: &Derived<Pkg, Range, String>,
        id2: usize,
        d2: &Derived<Pkg, Range, String>,
        terms: &Map<Pkg, Term<Range>>,
    ) -> String {
        format!(
            "Because {} ({id1}) and {} ({id2}), {}.",
            self.format_terms(&d1.terms),
            self.format_terms(&d2.terms),
            self.format_terms(terms)
        )
    }

    fn explain_ref_and_external(
        &self,
        id: usize,
        derived: &Derived<Pkg, Range, String>,
        external: &External<Pkg, Range, String>,
        terms: &Map<Pkg, Term<Range>>,
    ) -> String {
        format!(
            "Because {} ({id}) and {}, {}.",
            self.format_terms(&derived.terms),
            self.external(external),
            self.format_terms(terms)
        )
    }

    fn and_explain_external(
        &self,
        external: &External<Pkg, Range, String>,
        terms: &Map<Pkg, Term<Range>>,
    ) -> String {
        format!(
            "And because {}, {}.",
            self.external(external),
            self.format_terms(terms)
        )
    }

    fn and_explain_ref(
        &self,
        id: usize,
        derived: &Derived<Pkg, Range, String>,
        terms: &Map<Pkg, Term<Range>>,
    ) -> String {
        format!(
            "And because {} ({id}), {}.",
            self.format_terms(&derived.terms),
            self.format_terms(terms)
        )
    }

    fn and_explain_prior_and_external(
        &self,
        prior: &External<Pkg, Range, String>,
        external: &External<Pkg, Range, String>,
        terms: &Map<Pkg, Term<Range>>,
    ) -> String {
        format!(
            "And because {} and {}, {}.",
            self.external(prior),
            self.external(external),
            self.format_terms(terms)
        )
    }
}
