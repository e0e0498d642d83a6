//! `[tool.pylock]`: what pylock records in its own locks (PEP 751 leaves `[tool.*]` tables to
//! tools; installers ignore them), and the fast way back to a lock's pins.
//!
//! The table comes last and ends with `content = "sha256:<hex>"`, the digest of every byte
//! before that line. When the digest holds, the text is exactly what pylock wrote, in the
//! writer's fixed layout, and [`fast_pins`] reads the pins (name, version, marker of every
//! package) and the record by scanning lines instead of parsing the TOML (a universal lock
//! is megabytes of wheel entries: a re-lock spent a sixth of its time parsing them). A lock
//! edited by hand, or written by another tool, fails the digest and is parsed in full, its
//! record ignored.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// What a pylock lock records of the run that wrote it, in its `[tool.pylock]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockRecord {
    /// The digest of the inputs that decide the lock (see
    /// [`Options::inputs_digest`](crate::Options::inputs_digest)); `None` when they cannot be
    /// pinned by one (direct references to local files, for instance).
    pub inputs: Option<String>,
    /// The digest of the versions the run kept (see
    /// [`Options::preferences_digest`](crate::Options::preferences_digest)).
    pub preferences: Option<String>,
    /// The digest of the project pages the solver read ([`LockRecord::pages_unchanged`]
    /// compares it), and those projects, sorted; `None`
    /// when a page cannot pin the metadata read through it (a file without a hash).
    pub index: Option<(String, Vec<String>)>,
    /// The regions a universal resolve solved apart, in the order solved, each with whether
    /// it could be left out of the lock: a re-lock with the same inputs starts from them
    /// (see [`Options::forks`](crate::Options::forks)). Empty for a single-environment
    /// lock or one solved whole.
    pub forks: Vec<(String, bool)>,
}

impl LockRecord {
    /// Whether `index` serves the pages of `projects` exactly as when `digest` was taken
    /// (by a resolve: [`Resolution::pages`](crate::Resolution::pages), recorded as
    /// [`LockRecord::index`]): each is read again, `index.concurrency()` at a time. A name
    /// that is not a valid project name, or a page that cannot be pinned, is a change.
    pub fn pages_unchanged(
        index: &dyn crate::Index,
        projects: &[String],
        digest: &str,
    ) -> Result<bool, crate::IndexError> {
        super::fresh::pages_unchanged(index, projects, digest)
    }

    /// The lock `text` without pylock's `[tool.pylock]` record (the text itself when it has
    /// none): what `--check` compares, since the record changes with inputs that leave the
    /// lock as it is (a requirement loosened, another pylock version).
    pub fn strip(text: &str) -> &str {
        let Some(at) = text.rfind(HEADER) else {
            return text;
        };
        let ours = text[at + HEADER.len()..].lines().all(|l| {
            [
                "inputs = ",
                "preferences = ",
                "index = ",
                "projects = [",
                "    \"",
                "forks = [",
                "    { marker = ",
                "]",
                CONTENT,
            ]
            .iter()
            .any(|p| l.starts_with(p))
        });
        if ours {
            &text[..=at]
        } else {
            text
        }
    }
}

const HEADER: &str = "\n[tool.pylock]\n";
const CONTENT: &str = "content = \"sha256:";

/// Append the `[tool.pylock]` table for `record` to the lock text `out`, ending with the
/// digest of all that comes before it.
pub(crate) fn append(out: &mut String, record: &LockRecord) {
    out.push_str(HEADER);
    if let Some(inputs) = &record.inputs {
        out.push_str("inputs = ");
        super::toml_writer::string(out, inputs);
        out.push('\n');
    }
    if let Some(preferences) = &record.preferences {
        out.push_str("preferences = ");
        super::toml_writer::string(out, preferences);
        out.push('\n');
    }
    if let Some((digest, projects)) = &record.index {
        out.push_str("index = ");
        super::toml_writer::string(out, digest);
        out.push_str("\nprojects = [\n");
        for p in projects {
            out.push_str("    ");
            super::toml_writer::string(out, p);
            out.push_str(",\n");
        }
        out.push_str("]\n");
    }
    if !record.forks.is_empty() {
        out.push_str("forks = [\n");
        for (marker, excludable) in &record.forks {
            out.push_str("    { marker = ");
            super::toml_writer::string(out, marker);
            if *excludable {
                out.push_str(", excludable = true");
            }
            out.push_str(" },\n");
        }
        out.push_str("]\n");
    }
    let digest = crate::util::hex(&Sha256::digest(out.as_bytes()));
    let _ = writeln!(out, "{CONTENT}{digest}\"");
}

/// One package of a lock as written: name, version (empty when none) and marker text.
pub(crate) type RawPin = (String, String, Option<String>);

/// The pins and record of a lock pylock wrote and nobody edited since, read by scanning its
/// fixed layout; `None` when the text is anything else (then parse it in full).
pub(crate) fn fast_pins(text: &str) -> Option<(Vec<RawPin>, LockRecord)> {
    let body = verified_body(text)?;
    let at = body.rfind(HEADER)?;
    let (lock, table) = (&body[..at], &body[at + HEADER.len()..]);
    let mut pins = Vec::new();
    let mut chunks = lock.split("\n[[packages]]\n");
    chunks.next()?;
    for chunk in chunks {
        let mut lines = chunk.lines().peekable();
        let name = value_of(lines.next()?, "name")?;
        let version = match lines.peek().and_then(|l| value_of(l, "version")) {
            Some(v) => {
                lines.next();
                v
            }
            None => String::new(),
        };
        let marker = lines.peek().and_then(|l| value_of(l, "marker"));
        pins.push((name, version, marker));
    }
    Some((pins, record(table)?))
}

/// The text before the closing `content` line, if its digest is the one that line gives.
fn verified_body(text: &str) -> Option<&str> {
    let trimmed = text.strip_suffix("\"\n")?;
    let start = trimmed.rfind('\n')? + 1;
    let hex = trimmed[start..].strip_prefix(CONTENT)?;
    let body = &text[..start];
    (hex.len() == 64 && crate::util::hex(&Sha256::digest(body.as_bytes())) == hex).then_some(body)
}

/// The record in the table's lines (after its header, before `content`).
fn record(table: &str) -> Option<LockRecord> {
    let mut out = LockRecord::default();
    let mut lines = table.lines();
    while let Some(line) = lines.next() {
        if let Some(inputs) = value_of(line, "inputs") {
            out.inputs = Some(inputs);
        } else if let Some(preferences) = value_of(line, "preferences") {
            out.preferences = Some(preferences);
        } else if let Some(index) = value_of(line, "index") {
            if lines.next()? != "projects = [" {
                return None;
            }
            let mut projects = Vec::new();
            for entry in lines.by_ref() {
                if entry == "]" {
                    break;
                }
                match basic_string(entry.strip_prefix("    ")?)? {
                    (name, ",") => projects.push(name),
                    _ => return None,
                }
            }
            out.index = Some((index, projects));
        } else if line == "forks = [" {
            for entry in lines.by_ref() {
                if entry == "]" {
                    break;
                }
                let rest = entry.strip_prefix("    { marker = ")?;
                let (marker, rest) = basic_string(rest)?;
                let excludable = match rest {
                    " }," => false,
                    ", excludable = true }," => true,
                    _ => return None,
                };
                out.forks.push((marker, excludable));
            }
        } else {
            return None;
        }
    }
    Some(out)
}

/// The value of a `key = "..."` line.
fn value_of(line: &str, key: &str) -> Option<String> {
    let rest = line.strip_prefix(key)?.strip_prefix(" = ")?;
    match basic_string(rest)? {
        (value, "") => Some(value),
        _ => None,
    }
}

/// A TOML basic string at the start of `s`, decoded as the writer encodes them, and what
/// follows it.
fn basic_string(s: &str) -> Option<(String, &str)> {
    let mut chars = s.strip_prefix('"')?.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 2..])),
            '\\' => out.push(match chars.next()?.1 {
                '"' => '"',
                '\\' => '\\',
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                'u' => {
                    let hex: String = (0..4).filter_map(|_| chars.next().map(|c| c.1)).collect();
                    char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
                }
                _ => return None,
            }),
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(record: &LockRecord) -> String {
        let mut text = String::from(
            "lock-version = \"1.0\"\nrequires-python = \">=3.10\"\ncreated-by = \"pylock\"\n\n[[packages]]\nname = \"a\"\nversion = \"1.0\"\nmarker = \"sys_platform == 'win32' and extra == \\\"x\\\\y\\\"\"\nwheels = [{ url = \"x\" }]\n\n[[packages]]\nname = \"b\"\nsdist = { path = \"b\" }\n",
        );
        append(&mut text, record);
        text
    }

    #[test]
    fn the_record_and_pins_come_back_from_an_unedited_lock() {
        let record = LockRecord {
            inputs: Some("sha256:00ff".into()),
            preferences: Some("sha256:01".into()),
            index: Some(("sha256:02".into(), vec!["a".into(), "b\"c".into()])),
            forks: vec![
                ("python_full_version >= '3.14'".into(), false),
                ("python_full_version < '3.14'".into(), true),
            ],
        };
        let text = sample(&record);
        assert!(text.ends_with("\"\n") && text.contains("\n[tool.pylock]\ninputs = "));
        let parsed: toml::Value = toml::from_str(&text).expect("valid TOML");
        assert_eq!(
            parsed["tool"]["pylock"]["forks"][1]["excludable"].as_bool(),
            Some(true)
        );
        let (pins, back) = fast_pins(&text).expect("fast path");
        assert_eq!(back, record);
        assert_eq!(
            pins,
            vec![
                (
                    "a".into(),
                    "1.0".into(),
                    Some("sys_platform == 'win32' and extra == \"x\\y\"".into())
                ),
                ("b".into(), String::new(), None),
            ]
        );
    }

    /// The scan and the full parse agree on the pins; only the scan trusts the record.
    #[test]
    fn pins_are_the_same_read_fast_or_parsed() {
        let record = LockRecord {
            inputs: Some("sha256:00".into()),
            ..LockRecord::default()
        };
        let text = sample(&record);
        let path = std::path::Path::new("pylock.toml");
        let (fast, kept) = crate::lock::LockFile::pins(path, &text).expect("fast");
        let (parsed, none) =
            crate::lock::LockFile::pins(path, LockRecord::strip(&text)).expect("parsed");
        assert_eq!(kept, Some(record));
        assert_eq!(none, None);
        assert_eq!(fast, parsed);
        assert_eq!(fast.len(), 1, "the entry without a version is left out");
        assert!(fast[0].2.is_some());
        // A lock whose scan finds an invalid value is parsed in full: the parser's error.
        let mut bad = String::from(
            "lock-version = \"1.0\"\ncreated-by = \"pylock\"\n\n[[packages]]\nname = \"a\"\nversion = \"x y\"\n",
        );
        append(&mut bad, &LockRecord::default());
        let err = crate::lock::LockFile::pins(path, &bad).expect_err("invalid version");
        assert!(err.to_string().contains("invalid version"), "{err}");
    }

    #[test]
    fn strip_leaves_the_lock_without_its_record() {
        let record = LockRecord {
            inputs: Some("sha256:00".into()),
            index: Some(("sha256:02".into(), vec!["a".into()])),
            forks: vec![("python_full_version < '3.11'".into(), true)],
            ..LockRecord::default()
        };
        let text = sample(&record);
        let lock = &text[..=text.find("\n[tool.pylock]").expect("table")];
        assert_eq!(LockRecord::strip(&text), lock);
        assert_eq!(LockRecord::strip(lock), lock);
        // Another table of that name, not pylock's record: kept.
        let other = format!("{lock}\n[tool.pylock]\nsomething = 1\n");
        assert_eq!(LockRecord::strip(&other), other);
    }

    #[test]
    fn an_edited_or_foreign_lock_is_not_read_fast() {
        let text = sample(&LockRecord::default());
        assert!(fast_pins(&text).is_some());
        // A version changed by hand: the digest no longer holds.
        assert!(fast_pins(&text.replace("\"1.0\"\nmarker", "\"1.1\"\nmarker")).is_none());
        // No table, a truncated file, another tool's lock.
        assert!(fast_pins(&text[..text.find("\n[tool.pylock]").expect("table")]).is_none());
        assert!(fast_pins(&text[..text.len() - 1]).is_none());
        assert!(fast_pins("lock-version = \"1.0\"\ncreated-by = \"uv\"\n").is_none());
        assert!(fast_pins("").is_none());
    }
}
