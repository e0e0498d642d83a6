//! `[tool.pylock]`: what pylock records in its own locks (PEP 751 leaves `[tool.*]` tables to
//! tools; installers ignore them).
//!
//! The table comes last and ends with `content = "sha256:<hex>"`, the digest of every byte
//! before that line. The digest is keyless: anyone can recompute it, so it proves nothing
//! about who wrote the file. It only tells an unedited pylock lock (whose pins a re-lock may
//! read by scanning lines, and whose forks it may start from: both only steer the solver,
//! which checks every choice against the index) from one edited by hand or written by
//! another tool (parsed in full, its record ignored). Nothing is skipped on its word.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// What a pylock lock records of the run that wrote it, in its `[tool.pylock]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockRecord {
    /// The digest of the inputs that decide the lock (see
    /// [`inputs_digest`](crate::resolve::inputs_digest)); `None` when they cannot be
    /// pinned by one (direct references to local files, for instance).
    pub inputs: Option<String>,
    /// The regions a universal resolve solved apart, in the order solved, each with whether
    /// it could be left out of the lock: a re-lock with the same inputs starts from them
    /// (see [`Options::forks`](crate::Options::forks)). Empty for a single-environment
    /// lock or one solved whole.
    pub forks: Vec<(String, bool)>,
}

const HEADER: &str = "\n[tool.pylock]\n";
const CONTENT: &str = "content = \"sha256:";

/// The table's lines between its header and its `content` line: the one place its layout
/// is written ([`verified`] reads a table back only when this gives its text again).
fn table(record: &LockRecord) -> String {
    let mut out = String::new();
    if let Some(inputs) = &record.inputs {
        out.push_str("inputs = ");
        super::toml_writer::string(&mut out, inputs);
        out.push('\n');
    }
    if !record.forks.is_empty() {
        out.push_str("forks = [\n");
        for (marker, excludable) in &record.forks {
            out.push_str("    { marker = ");
            super::toml_writer::string(&mut out, marker);
            if *excludable {
                out.push_str(", excludable = true");
            }
            out.push_str(" },\n");
        }
        out.push_str("]\n");
    }
    out
}

/// Append the `[tool.pylock]` table for `record` to the lock text `out`, ending with the
/// digest of all that comes before it.
pub(crate) fn append(out: &mut String, record: &LockRecord) {
    out.push_str(HEADER);
    out.push_str(&table(record));
    let digest = crate::util::hex(&Sha256::digest(out.as_bytes()));
    let _ = writeln!(out, "{CONTENT}{digest}\"");
}

/// The lock before its `[tool.pylock]` table and the record that table holds, when `text`
/// ends with a table in the writer's layout whose content digest holds (nobody edited the
/// file since pylock wrote it, or whoever did recomputed the digest: see the module docs);
/// `None` for anything else.
pub(crate) fn verified(text: &str) -> Option<(&str, LockRecord)> {
    let trimmed = text.strip_suffix("\"\n")?;
    let start = trimmed.rfind('\n')? + 1;
    let hex = trimmed[start..].strip_prefix(CONTENT)?;
    let body = &text[..start];
    if hex.len() != 64 || crate::util::hex(&Sha256::digest(body.as_bytes())) != hex {
        return None;
    }
    let at = body.rfind(HEADER)?;
    let lines = &body[at + HEADER.len()..];
    let parsed: toml::Table = toml::from_str(lines).ok()?;
    let inputs = match parsed.get("inputs") {
        Some(v) => Some(v.as_str()?.to_owned()),
        None => None,
    };
    let mut forks = Vec::new();
    for fork in parsed.get("forks").map_or(Some(&[][..]), |v| Some(v.as_array()?.as_slice()))? {
        let fork = fork.as_table()?;
        let excludable = match fork.get("excludable") {
            Some(v) => v.as_bool()?,
            None => false,
        };
        forks.push((fork.get("marker")?.as_str()?.to_owned(), excludable));
    }
    let record = LockRecord { inputs, forks };
    (table(&record) == lines).then_some((&body[..=at], record))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = "lock-version = \"1.0\"\ncreated-by = \"pylock\"\n";

    fn sample(record: &LockRecord) -> String {
        let mut text = String::from(LOCK);
        append(&mut text, record);
        text
    }

    #[test]
    fn the_record_comes_back_from_an_unedited_lock() {
        let record = LockRecord {
            inputs: Some("sha256:00ff".into()),
            forks: vec![
                ("python_full_version >= '3.14' and extra == \"a\\\"b\"".into(), false),
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
        let (lock, back) = verified(&text).expect("verified");
        assert_eq!(back, record);
        // The lock and the blank line before the table.
        assert_eq!(lock, format!("{LOCK}\n"));
        let empty = sample(&LockRecord::default());
        assert_eq!(verified(&empty).map(|v| v.1), Some(LockRecord::default()));
    }

    #[test]
    fn an_edited_or_foreign_lock_has_no_record() {
        let record = LockRecord {
            inputs: Some("sha256:00".into()),
            forks: vec![("sys_platform == 'linux'".into(), false)],
        };
        let text = sample(&record);
        assert!(verified(&text).is_some());
        // Edited without the digest recomputed.
        assert!(verified(&text.replace("\"1.0\"", "\"1.1\"")).is_none());
        // No table, a truncated file, another tool's lock, nothing.
        assert!(verified(&text[..text.find("\n[tool.pylock]").expect("table")]).is_none());
        assert!(verified(&text[..text.len() - 1]).is_none());
        assert!(verified("lock-version = \"1.0\"\ncreated-by = \"uv\"\n").is_none());
        assert!(verified("").is_none());
        // A table with the digest recomputed but not in the writer's layout (another key, a
        // reordered or respelled entry): not a record.
        for table in [
            "inputs = \"sha256:00\"\nother = 1\n",
            "forks = [\n    { marker = \"a\" },\n]\ninputs = \"sha256:00\"\n",
            "inputs = 'sha256:00'\n",
            "forks = [\n    { marker = \"a\", excludable = false },\n]\n",
        ] {
            let mut forged = format!("{LOCK}{HEADER}{table}");
            let digest = crate::util::hex(&Sha256::digest(forged.as_bytes()));
            let _ = writeln!(forged, "{CONTENT}{digest}\"");
            assert!(verified(&forged).is_none(), "{table}");
        }
    }
}
