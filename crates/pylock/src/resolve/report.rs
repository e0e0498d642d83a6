//! Human explanations of why no solution exists, from PubGrub's derivation tree: package
//! names, PEP 440 ranges and reasons, no solver internals.

use pubgrub::{
    DefaultStringReporter, DerivationTree, Derived, External, Map, ReportFormatter, Reporter, Term,
};

use super::pkg::Pkg;
use super::provider::Provider;
use crate::pep::{display_range, Range};

type Tree = DerivationTree<Pkg, Range, String>;

/// Render the explanation of a failed solve.
pub fn explain(tree: &Tree, provider: &Provider<'_>) -> String {
    let mut tree = tree.clone();
    collapse_gaps(&mut tree);
    DefaultStringReporter::report_with_formatter(&tree, &Formatter { provider })
}

/// "There is no version of a in <gap>" only restates what the index lists. Where such a fact
/// meets a statement about the same package's versions (`a==1.0 depends on b`, `a==1.0 cannot
/// be used`), widen that statement over the gap and drop the fact. Facts that meet a
/// requirement (`you require a>2`) stay: there they are the explanation.
fn collapse_gaps(tree: &mut Tree) {
    let DerivationTree::Derived(derived) = tree else {
        return;
    };
    collapse_gaps(std::sync::Arc::make_mut(&mut derived.cause1));
    collapse_gaps(std::sync::Arc::make_mut(&mut derived.cause2));
    let merged = match (&*derived.cause1, &*derived.cause2) {
        (
            DerivationTree::External(External::NoVersions(p, gap)),
            DerivationTree::External(other),
        )
        | (
            DerivationTree::External(other),
            DerivationTree::External(External::NoVersions(p, gap)),
        ) => widen(other, p, gap),
        _ => None,
    };
    if let Some(external) = merged {
        *tree = DerivationTree::External(external);
    }
}

fn widen(
    external: &External<Pkg, Range, String>,
    pkg: &Pkg,
    gap: &Range,
) -> Option<External<Pkg, Range, String>> {
    match external {
        External::FromDependencyOf(p, r, dep, dep_range) if p == pkg => Some(
            External::FromDependencyOf(p.clone(), r.union(gap), dep.clone(), dep_range.clone()),
        ),
        External::Custom(p, r, reason) if p == pkg => {
            Some(External::Custom(p.clone(), r.union(gap), reason.clone()))
        }
        _ => None,
    }
}

/// Ranges of more pieces than this are shown by the versions they hold.
const MAX_PIECES: usize = 3;
/// Up to this many versions are listed one by one.
const MAX_LISTED: usize = 5;

struct Formatter<'p, 'a> {
    provider: &'p Provider<'a>,
}

/// `a==1.0`, `a>=1, <2`, `a` (any version).
fn plain_term(pkg: &Pkg, range: &Range) -> String {
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

/// The version `v` when `range` is exactly its local variants (`v+anything`).
fn local_gap(range: &Range) -> Option<&crate::pep::Version> {
    let mut segments = range.iter();
    match (segments.next(), segments.next()) {
        (Some((std::ops::Bound::Excluded(v), std::ops::Bound::Excluded(h))), None)
            if *h == crate::pep::after_locals(v) =>
        {
            Some(v)
        }
        _ => None,
    }
}

impl Formatter<'_, '_> {
    /// A term; a range that holds exactly one listed version is shown as that version, and a
    /// range of many pieces (what is left after ruling versions out one by one) by the listed
    /// versions it holds: `a==1.4 or ==1.7`, or `a (14 versions from 1.4 to 1.23)`.
    fn term(&self, pkg: &Pkg, range: &Range) -> String {
        if let Some(name) = pkg.name() {
            let listed = self.provider.listed_versions(name, range);
            if let [only] = listed.as_slice() {
                return plain_term(pkg, &Range::singleton(only.clone()));
            }
            if let (true, [first, .., last]) =
                (range.iter().count() > MAX_PIECES, listed.as_slice())
            {
                if listed.len() <= MAX_LISTED {
                    let versions: Vec<String> = listed.iter().map(|v| format!("=={v}")).collect();
                    return format!("{pkg}{}", versions.join(" or "));
                }
                return format!("{pkg} ({} versions from {first} to {last})", listed.len());
            }
        }
        plain_term(pkg, range)
    }

    fn depends(&self, pkg: &Pkg, range: &Range, dep: &Pkg, dep_range: &Range) -> String {
        if *pkg == Pkg::Root {
            format!("you require {}", plain_term(dep, dep_range))
        } else {
            format!(
                "{} depends on {}",
                self.term(pkg, range),
                plain_term(dep, dep_range)
            )
        }
    }

    fn external(&self, external: &External<Pkg, Range, String>) -> String {
        match external {
            External::NotRoot(pkg, _) => format!("we are solving {pkg}"),
            External::NoVersions(pkg, range) => match pkg {
                Pkg::Package(name) | Pkg::Extra(name, _) if self.provider.is_missing(name) => {
                    format!("{name} was not found in the package index")
                }
                _ if *range == Range::full() => format!("there is no version of {pkg}"),
                _ if local_gap(range).is_some() => format!(
                    "there is no local variant of {pkg}=={} (such as {}+local)",
                    local_gap(range)
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    local_gap(range)
                        .map(ToString::to_string)
                        .unwrap_or_default()
                ),
                Pkg::Package(name) | Pkg::Extra(name, _) if range.iter().count() > 1 => {
                    // A gap between listed versions reads better as what is there.
                    let listed = self.provider.listed_versions(name, &range.complement());
                    match listed.as_slice() {
                        [] => format!("there is no version of {pkg}"),
                        [one] => format!("only {pkg}=={one} is available"),
                        many if many.len() <= 5 => format!(
                            "only {} are available",
                            many.iter()
                                .map(|v| format!("{pkg}=={v}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        [first, .., last] if range.iter().count() > MAX_PIECES => {
                            // The gaps around many listed versions: say it of their span.
                            let span = match range.bounding_range() {
                                Some((low, high)) => {
                                    Range::from_range_bounds((low.cloned(), high.cloned()))
                                }
                                None => Range::full(),
                            };
                            format!(
                                "there is no version of {} but the {} listed ({first} to {last})",
                                plain_term(pkg, &span),
                                listed.len()
                            )
                        }
                        _ => format!("there is no version of {}", plain_term(pkg, range)),
                    }
                }
                _ => format!("there is no version of {}", plain_term(pkg, range)),
            },
            External::FromDependencyOf(pkg, range, dep, dep_range) => {
                self.depends(pkg, range, dep, dep_range)
            }
            External::Custom(pkg, range, reason) => {
                format!("{} {reason}", self.term(pkg, range))
            }
        }
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
            [(pkg, Term::Positive(range))] => format!("{} cannot be used", self.term(pkg, range)),
            [(pkg, Term::Negative(range))] => format!("{} is required", plain_term(pkg, range)),
            [(p1, Term::Positive(r1)), (p2, Term::Negative(r2))]
            | [(p2, Term::Negative(r2)), (p1, Term::Positive(r1))] => self.depends(p1, r1, p2, r2),
            many => {
                // {p1, p2, not n1, not n2}: p1 and p2 together need n1 or n2.
                let positives: Vec<String> = many
                    .iter()
                    .filter_map(|(p, t)| match t {
                        Term::Positive(r) => Some(self.term(p, r)),
                        Term::Negative(_) => None,
                    })
                    .collect();
                let negatives: Vec<String> = many
                    .iter()
                    .filter_map(|(p, t)| match t {
                        Term::Negative(r) => Some(plain_term(p, r)),
                        Term::Positive(_) => None,
                    })
                    .collect();
                match (positives.as_slice(), negatives.is_empty()) {
                    (_, true) => format!("{} are incompatible", positives.join(" and ")),
                    ([], false) => format!("one of {} is required", negatives.join(", ")),
                    ([one], false) => format!("{one} requires {}", negatives.join(" or ")),
                    (many, false) => format!(
                        "{} together require {}",
                        many.join(" and "),
                        negatives.join(" or ")
                    ),
                }
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
