//! Reading a lock's pins by scanning lines: a universal lock is megabytes of wheel entries,
//! and a re-lock spent a sixth of its time parsing them. Only for a lock in the writer's
//! fixed layout (its `[tool.pylock]` record verifies); the pins only steer the solver (they
//! are preferences), so a forged file gains nothing by passing for one.

use crate::lock::record::{self, LockRecord};

/// One package of a lock as written: name, version (empty when none) and marker text.
pub(super) type RawPin = (String, String, Option<String>);

/// The pins and record of a lock in pylock's layout, read by scanning its lines; `None` when
/// the text is anything else (then parse it in full).
pub(super) fn pins(text: &str) -> Option<(Vec<RawPin>, LockRecord)> {
    let (lock, record) = record::verified(text)?;
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
    Some((pins, record))
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
    use crate::lock::LockFile;

    fn sample(record: &LockRecord) -> String {
        let mut text = String::from(
            "lock-version = \"1.0\"\nrequires-python = \">=3.10\"\ncreated-by = \"pylock\"\n\n[[packages]]\nname = \"a\"\nversion = \"1.0\"\nmarker = \"sys_platform == 'win32' and extra == \\\"x\\\\y\\\"\"\nwheels = [{ url = \"x\" }]\n\n[[packages]]\nname = \"b\"\nsdist = { path = \"b\" }\n",
        );
        record::append(&mut text, record);
        text
    }

    #[test]
    fn pins_come_back_from_an_unedited_lock() {
        let text = sample(&LockRecord::default());
        let (pins, _) = pins(&text).expect("fast path");
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
        assert!(super::pins(&text.replace("\"1.0\"\nmarker", "\"1.1\"\nmarker")).is_none());
    }

    /// The scan and the full parse agree on the pins; only the scan returns the record's
    /// forks, and only for the same inputs.
    #[test]
    fn pins_are_the_same_read_fast_or_parsed() {
        let record = LockRecord {
            inputs: Some("sha256:00".into()),
            forks: vec![("sys_platform == 'linux'".into(), true)],
        };
        let text = sample(&record);
        let unrecorded = &text[..=text.find("\n[tool.pylock]").expect("table")];
        let path = std::path::Path::new("pylock.toml");
        let (fast, kept) = LockFile::pins(path, &text, Some("sha256:00")).expect("fast");
        let (parsed, none) = LockFile::pins(path, unrecorded, Some("sha256:00")).expect("parsed");
        let linux: crate::MarkerTree = "sys_platform == 'linux'".parse().expect("marker");
        assert_eq!(kept, [(linux, true)]);
        assert_eq!(none, []);
        let (_, other) = LockFile::pins(path, &text, Some("sha256:01")).expect("fast");
        assert_eq!(other, []);
        assert_eq!(fast, parsed);
        assert_eq!(fast.len(), 1, "the entry without a version is left out");
        assert!(fast[0].2.is_some());
        // A lock whose scan finds an invalid value is parsed in full: the parser's error.
        let mut bad = String::from(
            "lock-version = \"1.0\"\ncreated-by = \"pylock\"\n\n[[packages]]\nname = \"a\"\nversion = \"x y\"\n",
        );
        record::append(&mut bad, &LockRecord::default());
        let err = LockFile::pins(path, &bad, None).expect_err("invalid version");
        assert!(err.to_string().contains("invalid version"), "{err}");
    }
}
