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

/// What a pylock lock records of the run that wrote it, in its `[tool.pylock]` table
/// (set through [`LockOptions`](crate::LockOptions)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LockRecord {
    /// The digest of the inputs that decide the lock ([`inputs_digest`]); `None` when they
    /// cannot be pinned by one (direct references to local files, a relative
    /// `--exclude-newer`).
    pub inputs: Option<String>,
    /// The regions a universal resolve solved apart, in the order solved, each with whether
    /// it could be left out of the lock: a re-lock with the same inputs starts from them
    /// (see [`Options::forks`](crate::Options::forks)). Empty for a single-environment
    /// lock or one solved whole.
    pub forks: Vec<(String, bool)>,
}

/// The digest of the inputs of a run that resolves `manifest` for `target` with `options`,
/// reading the indexes `index_urls` and then the `find_links` locations; see
/// [`LockOptions::inputs_digest`](crate::LockOptions::inputs_digest).
pub(crate) fn inputs_digest(
    manifest: &crate::Manifest,
    target: &crate::Target,
    options: &crate::Options,
    index_urls: &[&str],
    find_links: &[&str],
    exclude_newer: Option<&str>,
) -> Option<String> {
    let moves = exclude_newer.is_some_and(|text| {
        let at = |now| crate::resolve::exclude_newer_cutoff(text, now).ok();
        at(jiff::Timestamp::UNIX_EPOCH) != at(jiff::Timestamp::now())
    });
    if moves {
        return None;
    }
    let locations: Vec<String> = (index_urls.iter().map(|l| ("index", l)))
        .chain(find_links.iter().map(|l| ("find-links", l)))
        .map(|(kind, l)| format!("{kind} {}", crate::resolve::recorded_location(l)))
        .collect();
    crate::resolve::inputs_digest(manifest, target, options, &locations)
}

impl LockRecord {
    /// The record a lock built with `inputs` from `resolution` holds: the forks it solved
    /// apart, unless there is no inputs digest (no later run can be told to have the same
    /// inputs).
    pub(crate) fn new(inputs: Option<String>, resolution: &crate::Resolution) -> Self {
        let forks = match inputs {
            Some(_) => resolution.forks.clone(),
            None => Vec::new(),
        };
        Self { inputs, forks }
    }

    /// The forks a re-lock whose inputs digest is `inputs` starts from: this record's
    /// (that of the lock being re-locked) when it was made from the same inputs; none when
    /// they differ, there is no digest, or the forks are more than a re-lock starts from
    /// or do not parse.
    pub(crate) fn forks_for(&self, inputs: Option<&str>) -> Vec<(crate::MarkerTree, bool)> {
        if inputs.is_none()
            || self.inputs.as_deref() != inputs
            || self.forks.len() > crate::resolve::MAX_SEEDS
        {
            return Vec::new();
        }
        (self.forks.iter())
            .map(|(m, excludable)| Some((m.parse().ok()?, *excludable)))
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default()
    }
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
    for fork in parsed
        .get("forks")
        .map_or(Some(&[][..]), |v| Some(v.as_array()?.as_slice()))?
    {
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

    fn inputs(
        index_urls: &[&str],
        find_links: &[&str],
        exclude_newer: Option<&str>,
    ) -> Option<String> {
        let mut manifest = crate::Manifest::default();
        manifest
            .add_str("b<3", crate::Role::Requirement)
            .expect("requirement");
        let target = crate::Target::universal(None);
        let options = crate::Options {
            exclude_newer: exclude_newer.map(|t| {
                crate::resolve::exclude_newer_cutoff(t, jiff::Timestamp::now()).expect("valid")
            }),
            ..crate::Options::default()
        };
        inputs_digest(
            &manifest,
            &target,
            &options,
            index_urls,
            find_links,
            exclude_newer,
        )
    }

    /// Credentials are not part of an index's identity, nor is where a local one lives; a
    /// span back from now gives no digest (its cutoff moves), an instant or a date does.
    #[test]
    fn inputs_name_indexes_without_credentials_or_local_paths() {
        let plain = inputs(&["https://example.invalid/simple"], &[], None).expect("digest");
        let secret = inputs(&["https://u:p@example.invalid/simple"], &[], None);
        assert_eq!(secret.as_deref(), Some(plain.as_str()));
        assert_ne!(
            inputs(&["https://other.invalid/simple"], &[], None),
            Some(plain.clone())
        );
        let local = inputs(&["/checkout/a/index"], &[], None);
        assert!(local.is_some());
        assert_eq!(inputs(&["file:///elsewhere/index"], &[], None), local);
        assert_ne!(inputs(&[], &["/checkout/a/index"], None), local);
        let url = &["https://example.invalid/simple"];
        let date = inputs(url, &[], Some("2024-03-25")).expect("digest");
        assert_ne!(date, plain);
        assert_eq!(inputs(url, &[], Some("2024-03-25")), Some(date));
        assert_eq!(inputs(url, &[], Some("7 days")), None);
        assert_eq!(inputs(url, &[], Some("P1D")), None);
    }

    /// A re-lock starts from the recorded forks only with the same inputs and at most
    /// `MAX_SEEDS` of them.
    #[test]
    fn forks_seed_a_relock_with_the_same_inputs_only() {
        let fork = |i: usize| (format!("python_full_version == '3.12.{i}'"), i == 0);
        let previous = LockRecord {
            inputs: Some("sha256:01".into()),
            forks: (0..3).map(fork).collect(),
        };
        let forks = previous.forks_for(Some("sha256:01"));
        assert_eq!(forks.len(), 3);
        assert!(forks[0].1 && !forks[1].1);
        assert!(previous.forks_for(Some("sha256:02")).is_empty());
        assert!(previous.forks_for(None).is_empty());
        for other in [
            LockRecord {
                inputs: None,
                ..previous.clone()
            },
            LockRecord {
                forks: (0..=crate::resolve::MAX_SEEDS).map(fork).collect(),
                ..previous.clone()
            },
            LockRecord {
                forks: vec![("not a marker ==".into(), false)],
                ..previous.clone()
            },
        ] {
            assert!(other.forks_for(Some("sha256:01")).is_empty(), "{other:?}");
        }
        assert!(LockRecord::default().forks_for(None).is_empty());
    }

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
                (
                    "python_full_version >= '3.14' and extra == \"a\\\"b\"".into(),
                    false,
                ),
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
