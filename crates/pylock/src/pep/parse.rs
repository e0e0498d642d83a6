//! Parsing untrusted PEP 440 / PEP 508 text: requirement files, pyproject files and index
//! metadata are written by others, and the crates underneath have failure modes on hostile
//! input that must not reach users.
//!
//! `pep508_rs` 0.9.2 panics on some malformed requirements (a name or extra ending in
//! punctuation before an unexpected character: `n.*`, `c-'`, `i[i-`; slicing inside a
//! multi-byte character: `2;extra==''é`, also in its error's `Display`), recurses once per
//! parenthesis (100,000 nested parentheses overflow the stack), and builds marker decision
//! diagrams whose size can explode with the number of terms. Every parse of outside text goes
//! through this module, which
//! - refuses, with a message and an offset, what the grammar does not allow and would hit
//!   those failures: non-ASCII characters (PEP 508 strings and URLs are ASCII), names and
//!   extras ending in punctuation, nesting deeper than `MAX_NESTING` (32), more than
//!   `MAX_MARKER_TERMS` (128) marker terms, text longer than `MAX_REQUIREMENT_LEN` (16 KiB);
//! - runs the parser under `util::catch_panic`, so a panic not foreseen
//!   here is an error too;
//! - never formats the crates' errors with their `Display` (which can panic): messages are
//!   built from their parts.

use std::str::FromStr;

use super::{Requirement, VersionSpecifiers};

/// The longest requirement accepted, in bytes. Real requirements are under 1 KiB (the longest
/// Requires-Dist values on PyPI, with markers, are a few hundred bytes); long lists of `!=`
/// beyond this are refused rather than parsed and intersected.
pub(crate) const MAX_REQUIREMENT_LEN: usize = 16 * 1024;

/// The deepest parenthesis nesting accepted in a marker (real markers nest two or three deep).
pub(crate) const MAX_NESTING: usize = 32;

/// The most marker terms (`python_version < '3.10'`, ...) accepted in one requirement. Real
/// markers have under 20; combining hundreds of `or`-ed `and` pairs makes the marker algebra
/// slow (20,000 took 28 s and 6.7 GB).
pub(crate) const MAX_MARKER_TERMS: usize = 128;

/// Why a piece of PEP 440/508 text was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// What is wrong.
    pub message: String,
    /// The byte offset in the text where it is wrong.
    pub offset: usize,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl SyntaxError {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            offset,
        }
    }
}

/// Parse a PEP 508 requirement from untrusted text.
pub(crate) fn requirement(text: &str) -> Result<Requirement, SyntaxError> {
    precheck(text)?;
    check_name_and_extras(text)?;
    match crate::util::catch_panic(|| Requirement::from_str(text)) {
        Ok(Ok(requirement)) => Ok(requirement),
        Ok(Err(e)) => {
            let message = crate::util::catch_panic(|| e.message.to_string())
                .unwrap_or_else(|_| "invalid requirement".to_owned());
            // `start` is a byte offset; keep it on a character boundary for callers.
            let mut offset = e.start.min(text.len());
            while !text.is_char_boundary(offset) {
                offset -= 1;
            }
            Err(SyntaxError::new(offset, message))
        }
        Err(panic) => Err(SyntaxError::new(
            0,
            format!("invalid requirement (the PEP 508 parser failed: {panic})"),
        )),
    }
}

/// Parse a PEP 508 marker (`python_version < '3.12' and ...`) from untrusted text: bounded
/// like a requirement's marker.
pub(crate) fn marker(text: &str) -> Result<super::MarkerTree, SyntaxError> {
    precheck(text)?;
    value(text).map_err(|message| SyntaxError::new(0, message))
}

/// Parse PEP 440 version specifiers (`>=1.0, <2`) from untrusted text.
pub(crate) fn specifiers(text: &str) -> Result<VersionSpecifiers, SyntaxError> {
    precheck(text)?;
    value(text).map_err(|message| SyntaxError::new(0, message))
}

/// Parse a version, name or specifier from untrusted text, with the error as text.
pub(crate) fn value<T>(text: &str) -> Result<T, String>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    if text.len() > MAX_REQUIREMENT_LEN {
        return Err(too_long(text.len()));
    }
    match crate::util::catch_panic(|| T::from_str(text)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(crate::util::catch_panic(|| e.to_string())
            .unwrap_or_else(|_| format!("cannot parse `{}`", text.escape_debug()))),
        Err(panic) => Err(format!("cannot parse `{}`: {panic}", text.escape_debug())),
    }
}

fn too_long(len: usize) -> String {
    format!("{len} bytes long; the limit is {MAX_REQUIREMENT_LEN}")
}

/// Length, characters, nesting and marker size, in one pass (quoted strings skipped).
fn precheck(text: &str) -> Result<(), SyntaxError> {
    if text.len() > MAX_REQUIREMENT_LEN {
        return Err(SyntaxError::new(MAX_REQUIREMENT_LEN, too_long(text.len())));
    }
    if let Some((at, c)) = text.char_indices().find(|(_, c)| !c.is_ascii()) {
        return Err(SyntaxError::new(
            at,
            format!("unexpected character {c:?} (PEP 508 allows only ASCII)"),
        ));
    }
    let bytes = text.as_bytes();
    let (mut depth, mut terms, mut quote) = (0usize, 1usize, None);
    let mut word_start = None;
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
            continue;
        }
        let in_word = b.is_ascii_alphanumeric() || b == b'_';
        match (in_word, word_start) {
            (true, None) => word_start = Some(i),
            (false, Some(start)) => {
                if matches!(&bytes[start..i], b"and" | b"or") {
                    terms += 1;
                }
                word_start = None;
            }
            _ => {}
        }
        match b {
            b'\'' | b'"' => quote = Some(b),
            b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(SyntaxError::new(
                        i,
                        format!("parentheses nested more than {MAX_NESTING} deep"),
                    ));
                }
            }
            b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if terms > MAX_MARKER_TERMS {
            return Err(SyntaxError::new(
                i,
                format!("a marker of more than {MAX_MARKER_TERMS} terms"),
            ));
        }
    }
    Ok(())
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')
}

/// Names and extras must end with a letter or digit; `pep508_rs` asserts it instead of
/// reporting it when another character follows.
fn check_name_and_extras(text: &str) -> Result<(), SyntaxError> {
    let bytes = text.as_bytes();
    let start = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let end = start
        + bytes[start..]
            .iter()
            .take_while(|&&b| is_name_char(b))
            .count();
    if end > start && !bytes[end - 1].is_ascii_alphanumeric() {
        return Err(SyntaxError::new(
            end - 1,
            "a package name must end with a letter or digit",
        ));
    }
    let rest = end
        + bytes[end..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    if bytes.get(rest) != Some(&b'[') {
        return Ok(());
    }
    let close = bytes[rest..]
        .iter()
        .position(|&b| b == b']')
        .map_or(bytes.len(), |p| rest + p);
    let mut at = rest + 1;
    for item in bytes[rest + 1..close].split(|&b| b == b',') {
        let lead = item.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let len = item[lead..]
            .iter()
            .take_while(|&&b| is_name_char(b))
            .count();
        if len > 0 && !item[lead + len - 1].is_ascii_alphanumeric() {
            return Err(SyntaxError::new(
                at + lead + len - 1,
                "an extra name must end with a letter or digit",
            ));
        }
        at += item.len() + 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_that_panic_in_pep508_rs_are_errors() {
        for (text, offset) in [
            ("n.*", 1),
            ("c-'", 1),
            ("i[i-", 3),
            ("2;extra==''é", 11),
            ("a[b, c_ ]", 6),
        ] {
            let err = requirement(text).expect_err(text);
            assert_eq!(err.offset, offset, "{text}: {err}");
        }
        let err = requirement("a; python_full_version<''\u{FFFD}'3").expect_err("non-ascii");
        assert!(err.message.contains("ASCII"), "{err}");
    }

    #[test]
    fn valid_requirements_still_parse() {
        for text in [
            "a",
            "  a.b-c_d [x, y-z] >=1.0, !=1.5.* ; python_version < '3.12' and (os_name == 'nt' or extra == 'x')",
            "a[]",
            "a @ https://example.com/a-1.0.tar.gz#sha256=00",
            "a; sys_platform == \"linux\" and platform_release >= '5'",
        ] {
            requirement(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }

    #[test]
    fn nesting_terms_and_length_are_bounded() {
        let deep = |n| format!("a; {}python_version > '3'{}", "(".repeat(n), ")".repeat(n));
        assert!(requirement(&deep(100_000)).is_err());
        assert!(requirement(&deep(40))
            .expect_err("deep")
            .message
            .contains("nested"));
        requirement(&deep(30)).expect("30 levels are fine");

        let pairs: Vec<String> = (0..20_000)
            .map(|i| format!("(python_version == '3.{i}' and os_name == 'n{i}')"))
            .collect();
        let wide = format!("a; {}", pairs.join(" or "));
        let err = requirement(&wide).expect_err("too wide or too long");
        assert!(
            err.message.contains("limit") || err.message.contains("terms"),
            "{err}"
        );
        let wide = format!("a; {}", pairs[..100].join(" or "));
        assert!(requirement(&wide)
            .expect_err("wide")
            .message
            .contains("terms"));
        // The most terms allowed parse quickly.
        let started = std::time::Instant::now();
        let widest = format!("a; {}", pairs[..MAX_MARKER_TERMS / 2].join(" or "));
        requirement(&widest).expect("at the limit");
        assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());

        let long = format!("a{}", "!=1.0,".repeat(10_000));
        assert!(requirement(&long)
            .expect_err("long")
            .message
            .contains("limit"));
        // Quoted text does not count as terms or nesting.
        requirement("a; os_name == '(((( and or and or'").expect("quoted");
    }

    #[test]
    fn markers_are_bounded_too() {
        assert!(marker("python_version < '3.12'").is_ok());
        let deep = format!("{}os_name == 'a'{}", "(".repeat(5_000), ")".repeat(5_000));
        assert!(marker(&deep).expect_err("deep").message.contains("nested"));
    }

    #[test]
    fn values_report_errors_without_panicking() {
        assert!(value::<crate::pep::Version>("1.0").is_ok());
        assert!(value::<crate::pep::Version>("1.0é").is_err());
        assert!(specifiers(">=1.0, <2").is_ok());
        assert!(specifiers(">=1.0é").is_err());
    }
}
