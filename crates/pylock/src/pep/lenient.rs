//! Lenient parsing of the requirements and specifiers old distributions published: PyPI
//! holds metadata that predates PEP 440/508 strictness (`pytz (>dev)` in celery 4.x,
//! `>=2.7, !=3.0.*,` with a trailing comma, `>=1.9.*`). Strict parsing first; on failure,
//! the same repairs uv makes are applied one after another until the text parses. Versions
//! that still do not parse stay errors.

/// Parse `input` with `parse`, repairing the common mistakes of old metadata if it does not
/// parse as is.
pub(crate) fn parse_lenient<T, E>(
    input: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<T, E> {
    let strict = parse(input);
    if strict.is_ok() {
        return strict;
    }
    let mut text = input.to_owned();
    for repair in REPAIRS {
        let repaired = repair(&text);
        if repaired != text {
            if let Ok(value) = parse(&repaired) {
                return Ok(value);
            }
            text = repaired;
        }
    }
    strict
}

type Repair = fn(&str) -> String;

/// The repairs, in the order they are tried (each applies to what the previous ones left).
const REPAIRS: &[Repair] = &[
    missing_comma,
    not_equal_tilde,
    star_after_ordering,
    missing_dot_before_star,
    trailing_comma,
    greater_than_dev,
    trailing_zero_after_pre,
    stray_quotes,
];

/// The requirement part of `s` (before any `;` markers) and the rest.
fn split_markers(s: &str) -> (&str, &str) {
    s.split_once(';')
        .map_or((s, ""), |(head, _)| (head, &s[head.len()..]))
}

/// `>=7.2.0<8.0.0` -> `>=7.2.0,<8.0.0`: a digit directly followed by an operator.
fn missing_comma(s: &str) -> String {
    let (head, markers) = split_markers(s);
    let mut out = String::with_capacity(s.len() + 4);
    let mut prev_digit = false;
    for c in head.chars() {
        if prev_digit && matches!(c, '<' | '>' | '=' | '~' | '^' | '!') {
            out.push(',');
        }
        out.push(c);
        prev_digit = c.is_ascii_digit();
    }
    out + markers
}

/// `!=~5.0` -> `!=5.0.*`.
fn not_equal_tilde(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    let mut rest = s;
    while let Some(at) = rest.find("!=~") {
        out.push_str(&rest[..at]);
        out.push_str("!=");
        let after = &rest[at + 3..];
        let len = version_prefix_len(after);
        out.push_str(&after[..len]);
        if len > 0 {
            out.push_str(".*");
        }
        rest = &after[len..];
    }
    out + rest
}

/// `>=1.9.*` -> `>=1.9` (a wildcard only means something with `==` and `!=`).
fn star_after_ordering(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find(['<', '>']) {
        let op_len = if rest[at + 1..].starts_with('=') {
            2
        } else {
            1
        };
        out.push_str(&rest[..at + op_len]);
        let after = &rest[at + op_len..];
        let len = version_prefix_len(after);
        out.push_str(&after[..len]);
        rest = &after[len..];
        if len > 0 {
            if let Some(stripped) = rest.strip_prefix(".*") {
                rest = stripped;
            }
        }
    }
    out + rest
}

/// `!=3.0*` -> `!=3.0.*`.
fn missing_dot_before_star(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 2);
    for (i, c) in s.char_indices() {
        if c == '*' && i >= 3 {
            let (a, dot, b) = (bytes[i - 3], bytes[i - 2], bytes[i - 1]);
            if a.is_ascii_digit() && dot == b'.' && b.is_ascii_digit() {
                out.push('.');
            }
        }
        out.push(c);
    }
    out
}

/// `>=3.6,` -> `>=3.6`.
fn trailing_comma(s: &str) -> String {
    let trimmed = s.trim_end();
    trimmed.strip_suffix(',').unwrap_or(trimmed).to_owned()
}

/// `>dev` -> `>0.0.0dev`.
fn greater_than_dev(s: &str) -> String {
    s.replace(">dev", ">0.0.0dev")
}

/// `>=9.0.0a1.0` -> `>=9.0.0a1`: a `.0` after a pre-, post- or dev-release number.
fn trailing_zero_after_pre(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        let Some(at) = ["a", "b", "rc", "post", "dev"]
            .iter()
            .filter_map(|label| {
                let at = rest.find(label)?;
                Some((at, label.len()))
            })
            .min()
        else {
            break;
        };
        let (at, label_len) = at;
        let preceded_by_digit = rest[..at].ends_with(|c: char| c.is_ascii_digit());
        let after = &rest[at + label_len..];
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        out.push_str(&rest[..at + label_len + digits]);
        rest = &after[digits..];
        if preceded_by_digit && digits > 0 {
            if let Some(stripped) = rest.strip_prefix(".0") {
                if !stripped.starts_with(|c: char| c.is_ascii_digit()) {
                    rest = stripped;
                }
            }
        }
    }
    out + rest
}

/// `>=3.6'` -> `>=3.6`: quotes in the requirement part (markers keep theirs).
fn stray_quotes(s: &str) -> String {
    let (head, markers) = split_markers(s);
    head.replace(['\'', '"'], "") + markers
}

/// Length of the release-like prefix of `s`: digits separated by dots (`1.9` of `1.9.*`).
fn version_prefix_len(s: &str) -> usize {
    let len = s.len()
        - s.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.')
            .len();
    s[..len].trim_end_matches('.').len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pep::{Requirement, VersionSpecifiers};
    use std::str::FromStr;

    fn specs(s: &str) -> VersionSpecifiers {
        VersionSpecifiers::from_str(s).expect("valid specifiers")
    }

    fn lenient_specs(s: &str) -> VersionSpecifiers {
        parse_lenient(s, crate::pep::parse::specifiers).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn req(s: &str) -> Requirement {
        Requirement::from_str(s).expect("valid requirement")
    }

    fn lenient_req(s: &str) -> Requirement {
        parse_lenient(s, crate::pep::parse::requirement).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    // Expectations from uv's lenient parsing of the same real-world metadata.
    #[test]
    fn specifiers_of_old_metadata() {
        for (bad, good) in [
            (">=7.2.0<8.0.0", ">=7.2.0,<8.0.0"),
            ("!=~5.0,>=4.12", "!=5.0.*,>=4.12"),
            ("!=~5,>=4.12", "!=5.*,>=4.12"),
            (">=1.9.*", ">=1.9"),
            (">=1.*", ">=1"),
            (
                ">=2.7,!=3.0*,!=3.1*,!=3.2*",
                ">=2.7,!=3.0.*,!=3.1.*,!=3.2.*",
            ),
            (">=3.6,", ">=3.6"),
            (">=3.6, ", ">=3.6"),
            (">= '2.7'", ">= 2.7"),
            (">=\"3.6\"", ">=3.6"),
            (
                ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*,",
                ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*",
            ),
            (">=2.7,!=3.0.*,!=3.1.*,<3.4.*", ">=2.7,!=3.0.*,!=3.1.*,<3.4"),
            (
                ">=2.7, !=3.0.*, !=3.1.*', !=3.2.*, !=3.3.*'",
                ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*",
            ),
            (">=3.6'", ">=3.6"),
            (">dev", ">0.0.0dev"),
            (">=9.0.0a1.0", ">=9.0.0a1"),
            (">=9.0a1.0", ">=9.0a1"),
            (">=9a1.0", ">=9a1"),
        ] {
            assert_eq!(lenient_specs(bad), specs(good), "{bad}");
        }
    }

    #[test]
    fn requirements_of_old_metadata() {
        for (bad, good) in [
            (
                "elasticsearch-dsl (>=7.2.0<8.0.0)",
                "elasticsearch-dsl (>=7.2.0,<8.0.0)",
            ),
            (
                "jupyter-core (!=~5.0,>=4.12)",
                "jupyter-core (!=5.0.*,>=4.12)",
            ),
            ("torch (>=1.9.*)", "torch (>=1.9)"),
            (
                "pyzmq (>=2.7,!=3.0*,!=3.1*,!=3.2*)",
                "pyzmq (>=2.7,!=3.0.*,!=3.1.*,!=3.2.*)",
            ),
            ("pyzmq >=3.6,", "pyzmq >=3.6"),
            ("botocore>=1.3.0,<1.4.0',", "botocore>=1.3.0,<1.4.0"),
            ("pytz (>dev)", "pytz (>0.0.0dev)"),
            (
                "numpy \">=1.19\"; python_version >= \"3.7\"",
                "numpy >=1.19; python_version >= \"3.7\"",
            ),
        ] {
            assert_eq!(lenient_req(bad), req(good), "{bad}");
        }
        // What parses strictly is untouched, markers included.
        let fine = "numpy >=1.19; python_version >= \"3.7\"";
        assert_eq!(lenient_req(fine), req(fine));
        // What no repair fixes stays an error.
        assert!(parse_lenient("numpy (>=one)", crate::pep::parse::requirement).is_err());
    }
}
