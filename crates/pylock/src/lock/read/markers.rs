//! PEP 751 lock markers: PEP 508 markers plus the lock-only terms `'x' in extras` and
//! `'g' in dependency_groups` (and their `not in` forms), which `pep508_rs` cannot parse.
//!
//! They are rewritten into PEP 508 before parsing: `'x' in extras` becomes
//! `extra == 'e-x'` and `'g' in dependency_groups` becomes `extra == 'g-g'` (`not in`:
//! `!=`). Every lock-only term gets a prefix that says its kind, so the map from (kind, name)
//! to the rewritten name is one-to-one and an extra can never be mistaken for a group of the
//! same name. Evaluating then passes the selected extras and groups with the same prefixes
//! ([`LockMarker::evaluate`]). An `extra == '...'` term already in the text (core-metadata
//! style, not PEP 751's) is left as it is and never matches a selection.

use std::fmt;

use crate::manifest::GroupName;
use crate::pep::{ExtraName, MarkerEnvironment, MarkerTree};

/// A marker of a PEP 751 lock: its text as written, and a PEP 508 tree to evaluate.
#[derive(Clone, Debug)]
pub struct LockMarker {
    text: String,
    tree: MarkerTree,
}

impl PartialEq for LockMarker {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for LockMarker {}

impl fmt::Display for LockMarker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for LockMarker {
    type Err = String;

    /// Parse a lock marker. The error says what is wrong (no position).
    fn from_str(text: &str) -> Result<Self, String> {
        let rewritten = rewrite(text)?;
        let tree: MarkerTree = crate::pep::parse::marker(&rewritten).map_err(|e| e.message)?;
        Ok(Self {
            text: text.to_owned(),
            tree,
        })
    }
}

impl LockMarker {
    /// The PEP 508 form, with lock-only terms encoded as prefixed extras (see the module
    /// documentation and [`LockMarker::selection_extras`]).
    pub fn tree(&self) -> &MarkerTree {
        &self.tree
    }

    /// Whether the marker holds in `env` for an installer that selected `extras` and
    /// `groups`.
    pub fn evaluate(
        &self,
        env: &MarkerEnvironment,
        extras: &[ExtraName],
        groups: &[GroupName],
    ) -> bool {
        self.tree
            .evaluate(env, &Self::selection_extras(extras, groups))
    }

    /// The `extra` values a selection stands for in [`LockMarker::tree`].
    pub fn selection_extras(extras: &[ExtraName], groups: &[GroupName]) -> Vec<ExtraName> {
        let encode = |prefix: &str, name: &str| {
            crate::pep::parse::value::<ExtraName>(&format!("{prefix}-{name}")).ok()
        };
        extras
            .iter()
            .filter_map(|e| encode("e", e.as_ref()))
            .chain(groups.iter().filter_map(|g| encode("g", g.as_ref())))
            .collect()
    }
}

/// The PEP 751 text of a tree that uses this module's encoding (`extra == 'e-x'` for
/// `'x' in extras`, `extra == 'g-g'` for `'g' in dependency_groups`): how a writer of
/// multi-use locks can keep extras and groups as marker variables while solving and render
/// them as PEP 751 asks. `None` for a tree that is always true; an `extra` comparison
/// without either prefix is kept as it is.
pub fn render(tree: &MarkerTree) -> Option<String> {
    let text = tree.try_to_string()?;
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("extra ") {
        out.push_str(&rest[..at]);
        let term = &rest[at..];
        let parsed = ["==", "!="].iter().find_map(|op| {
            let value = term.strip_prefix(&format!("extra {op} '"))?;
            let end = value.find('\'')?;
            let (kind, name) = value[..end].split_once('-')?;
            let set = match kind {
                "e" => "extras",
                "g" => "dependency_groups",
                _ => return None,
            };
            let not = if *op == "!=" { "not " } else { "" };
            Some((
                format!("'{name}' {not}in {set}"),
                format!("extra {op} '").len() + end + 1,
            ))
        });
        match parsed {
            Some((replacement, used)) => {
                out.push_str(&replacement);
                rest = &term[used..];
            }
            None => {
                out.push_str("extra ");
                rest = &term["extra ".len()..];
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

/// Rewrite the lock-only terms of `text` into PEP 508 `extra` comparisons.
fn rewrite(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(start) = rest.find(['\'', '"']) {
        out.push_str(&rest[..start]);
        let quote = &rest[start..=start];
        let after = &rest[start + 1..];
        let Some(len) = after.find(quote) else {
            return Err(format!("unterminated string in marker `{text}`"));
        };
        let literal = &after[..len];
        let tail = &after[len + 1..];
        match lock_only_tail(tail) {
            Some((_, kind, _)) if kind.starts_with('`') => {
                return Err(format!("`in` with {kind} in `{text}`"));
            }
            Some((negated, kind, used)) => {
                let name: ExtraName = crate::pep::parse::value(literal)
                    .map_err(|_| format!("`{literal}` is not a valid {kind} name in `{text}`"))?;
                let (op, prefix) = (
                    if negated { "!=" } else { "==" },
                    if kind == "extra" { "e" } else { "g" },
                );
                out.push_str(&format!("extra {op} '{prefix}-{name}'"));
                rest = &tail[used..];
            }
            None => {
                out.push_str(&rest[start..start + len + 2]);
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// After a string literal: ` in extras`, ` not in dependency_groups`, ... → (negated, kind,
/// bytes used).
fn lock_only_tail(tail: &str) -> Option<(bool, &'static str, usize)> {
    let mut words = Vec::new();
    let mut at = 0;
    for _ in 0..3 {
        let skipped = tail[at..].len() - tail[at..].trim_start().len();
        let word_start = at + skipped;
        let word_len = tail[word_start..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        if word_len == 0 {
            break;
        }
        words.push(&tail[word_start..word_start + word_len]);
        at = word_start + word_len;
        let kind = match words.last() {
            Some(&"extras") => "extra",
            Some(&"dependency_groups") => "dependency group",
            // pep508_rs reads `'x' in extra` as always true: refuse it.
            Some(&"extra") => "`extra` (PEP 751 spells it `extras`)",
            _ => continue,
        };
        return match words[..words.len() - 1] {
            ["in"] => Some((false, kind, at)),
            ["not", "in"] => Some((true, kind, at)),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(python: &str) -> MarkerEnvironment {
        let target = crate::manifest::Target::single(python, "linux", None).expect("target");
        target.environment().expect("env")
    }

    #[test]
    fn lock_only_terms_rewrite_and_evaluate() {
        let m: LockMarker =
            "python_version < \"3.11\" and \"fmt\" in extras or 'Dev' in dependency_groups"
                .parse()
                .expect("parses");
        let e = |s: &str| s.parse::<ExtraName>().expect("extra");
        let g = |s: &str| s.parse::<GroupName>().expect("group");
        assert!(m.evaluate(&env("3.10"), &[e("fmt")], &[]));
        assert!(!m.evaluate(&env("3.12"), &[e("fmt")], &[]));
        assert!(m.evaluate(&env("3.12"), &[], &[g("dev")]));
        // An extra is not a group of the same name.
        assert!(!m.evaluate(&env("3.12"), &[e("dev")], &[]));
        assert!(!m.evaluate(&env("3.10"), &[], &[g("fmt")]));

        let not: LockMarker = "'x' not in extras".parse().expect("not in");
        assert!(not.evaluate(&env("3.12"), &[], &[]));
        assert!(!not.evaluate(&env("3.12"), &[e("x")], &[]));
        // Strings elsewhere are kept.
        let plain: LockMarker = "sys_platform == 'linux'".parse().expect("plain");
        assert!(plain.evaluate(&env("3.12"), &[], &[]));
        assert_eq!(plain.to_string(), "sys_platform == 'linux'");
    }

    #[test]
    fn trees_render_back_to_lock_markers() {
        let text =
            "python_full_version < '3.11' and 'fmt' in extras or 'dev' not in dependency_groups";
        let m: LockMarker = text.parse().expect("parses");
        let rendered = render(m.tree()).expect("not always true");
        assert!(rendered.contains("'fmt' in extras"), "{rendered}");
        assert!(
            rendered.contains("'dev' not in dependency_groups"),
            "{rendered}"
        );
        assert!(!rendered.contains("extra "), "{rendered}");
        let again: LockMarker = rendered.parse().expect("reparses");
        let e = |s: &str| s.parse::<ExtraName>().expect("extra");
        let g = |s: &str| s.parse::<GroupName>().expect("group");
        for py in ["3.10", "3.12"] {
            for (extras, groups) in [
                (vec![], vec![]),
                (vec![e("fmt")], vec![g("dev")]),
                (vec![e("fmt")], vec![]),
            ] {
                assert_eq!(
                    m.evaluate(&env(py), &extras, &groups),
                    again.evaluate(&env(py), &extras, &groups)
                );
            }
        }
        let plain: MarkerTree = "extra == 'x' and os_name == 'nt'".parse().expect("marker");
        assert!(render(&plain).is_some_and(|r| r.contains("extra == 'x'")));
        assert_eq!(render(&MarkerTree::TRUE), None);
    }

    #[test]
    fn bad_lock_markers_are_errors() {
        for bad in [
            "'x' in extra",
            "'x' not in extra",
            "'x' in extra_s",
            "'x' in",
            "'a b' in extras",
            "'x",
            "extras in 'x'",
        ] {
            assert!(bad.parse::<LockMarker>().is_err(), "{bad}");
        }
    }
}
