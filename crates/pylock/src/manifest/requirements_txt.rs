//! pip requirements files: comments, blank lines, `\` continuations, nested `-r` / `-c`.
//! Every other option is refused with the file and line, never silently ignored.
//!
//! Files are untrusted (a pull request can change them): each is read up to
//! [`MAX_FILE_LEN`], includes nest at most [`MAX_INCLUDE_DEPTH`] deep, and a file included
//! again in the same role is not read again (a chain of files each including the next twice
//! would otherwise be read an exponential number of times).

use std::collections::HashSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::{parse_requirement, ManifestError, Role};
use crate::pep::Requirement;

/// The largest requirements file read, in bytes (real ones are kilobytes).
pub const MAX_FILE_LEN: u64 = 16 * 1024 * 1024;

/// The deepest chain of `-r`/`-c` includes followed.
pub const MAX_INCLUDE_DEPTH: usize = 64;

/// The files being read (to refuse cycles) and the ones already read, per role.
#[derive(Default)]
pub(super) struct Includes {
    stack: Vec<PathBuf>,
    seen: HashSet<(PathBuf, Role)>,
}

/// Read `path` and hand each requirement to `sink`.
pub(super) fn read(
    path: &Path,
    role: Role,
    includes: &mut Includes,
    sink: &mut dyn FnMut(Requirement, Role),
) -> Result<(), ManifestError> {
    let at_start = |message: String| ManifestError::Parse {
        path: path.to_owned(),
        line: 1,
        column: 1,
        message,
    };
    let text = read_text(path)?;
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    if includes.stack.contains(&canonical) {
        return Err(at_start("this file includes itself (through -r/-c)".into()));
    }
    if includes.stack.len() >= MAX_INCLUDE_DEPTH {
        return Err(at_start(format!(
            "-r/-c includes nest more than {MAX_INCLUDE_DEPTH} deep here"
        )));
    }
    if !includes.seen.insert((canonical.clone(), role)) {
        return Ok(());
    }
    includes.stack.push(canonical);
    let dir = path.parent().unwrap_or(Path::new("."));
    for (line, column0, content) in logical_lines(&text) {
        let err = |column: usize, message: String| ManifestError::Parse {
            path: path.to_owned(),
            line,
            column: column0 + column + 1,
            message,
        };
        if let Some(rest) = content.strip_prefix('-') {
            let (option, value) = split_option(rest);
            let nested = match option {
                "r" | "-requirement" => role,
                "c" | "-constraint" => Role::Constraint,
                _ => {
                    return Err(err(
                        0,
                        format!("unsupported option `-{option}` in a requirements file"),
                    ))
                }
            };
            if value.is_empty() {
                return Err(err(0, format!("`-{option}` needs a file name")));
            }
            read(&dir.join(value), nested, includes, sink)?;
            continue;
        }
        sink(parse_requirement(&content, path, line, column0)?, role);
    }
    includes.stack.pop();
    Ok(())
}

/// The text of `path` (a requirements or pyproject file), at most [`MAX_FILE_LEN`] bytes of
/// UTF-8.
pub(super) fn read_text(path: &Path) -> Result<String, ManifestError> {
    let io = |source| ManifestError::Io {
        path: path.to_owned(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_LEN + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(io(std::io::Error::other(format!(
            "larger than the limit of {MAX_FILE_LEN} bytes for a requirements file"
        ))));
    }
    String::from_utf8(bytes).map_err(|_| io(std::io::Error::other("not UTF-8 text")))
}

/// `r file`, `r=file`, `-requirement file`, `rfile` → (option, value).
fn split_option(rest: &str) -> (&str, &str) {
    if let Some(long) = rest.strip_prefix('-') {
        let end = long.find(['=', ' ', '\t']).unwrap_or(long.len());
        let value = long[end..].trim_start_matches(['=', ' ', '\t']).trim();
        return (&rest[..end + 1], value);
    }
    let (option, value) = rest.split_at(rest.chars().next().map_or(0, char::len_utf8));
    (option, value.trim_start_matches(['=', ' ', '\t']).trim())
}

/// Logical lines: continuations joined, comments and blank lines dropped. Each comes with its
/// 1-based starting line and the byte column where its content starts.
fn logical_lines(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = strip_comment(raw);
        let (body, continues) = match line.strip_suffix('\\') {
            Some(body) => (body, true),
            None => (line, false),
        };
        match current.as_mut() {
            Some((_, _, acc)) => acc.push_str(body),
            None => {
                let indent = body.len() - body.trim_start().len();
                current = Some((i + 1, indent, body.trim_start().to_owned()));
            }
        }
        if !continues {
            if let Some((l, c, acc)) = current.take() {
                let trimmed = acc.trim_end();
                if !trimmed.is_empty() {
                    out.push((l, c, trimmed.to_owned()));
                }
            }
        }
    }
    if let Some((l, c, acc)) = current {
        if !acc.trim().is_empty() {
            out.push((l, c, acc.trim_end().to_owned()));
        }
    }
    out
}

/// A `#` at the start of a line or after whitespace starts a comment.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;

    struct TempDir(PathBuf);
    impl TempDir {
        fn new(tag: &str) -> Self {
            let p = std::env::temp_dir().join(format!("pylock-req-{tag}-{}", std::process::id()));
            std::fs::create_dir_all(&p).expect("mkdir");
            Self(p)
        }
        fn file(&self, name: &str, body: &str) -> PathBuf {
            let p = self.0.join(name);
            std::fs::write(&p, body).expect("write");
            p
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.0).ok();
        }
    }

    #[test]
    fn comments_continuations_and_nesting() {
        let d = TempDir::new("nest");
        d.file("base.txt", "six  # trailing comment\n-c constraints.txt\n");
        d.file("constraints.txt", "six<2\n");
        let top = d.file(
            "req.in",
            "# comment\n\nrequests[socks] \\\n  >=2.0 ; python_version >= '3.8'\n-r base.txt\n--requirement=base.txt\n",
        );
        let mut m = Manifest::default();
        m.add_file(&top, Role::Requirement).expect("reads");
        let reqs: Vec<String> = m.requirements.iter().map(ToString::to_string).collect();
        assert_eq!(
            reqs,
            ["requests[socks]>=2.0 ; python_full_version >= '3.8'", "six",]
        );
        // base.txt is read once; its `-c` once too.
        assert_eq!(m.constraints.len(), 1);
    }

    #[test]
    fn unsupported_option_names_file_and_line() {
        let d = TempDir::new("opt");
        let p = d.file("req.in", "a\n\n  --index-url https://x\n");
        let err = Manifest::default()
            .add_file(&p, Role::Requirement)
            .expect_err("refused");
        let msg = err.to_string();
        assert!(
            msg.ends_with("req.in:3:3: unsupported option `--index-url` in a requirements file"),
            "{msg}"
        );
    }

    #[test]
    fn bad_requirement_names_line_and_column() {
        let d = TempDir::new("bad");
        let p = d.file("req.in", "a\nb >== 1\n");
        let msg = Manifest::default()
            .add_file(&p, Role::Requirement)
            .expect_err("bad")
            .to_string();
        assert!(msg.contains("req.in:2:"), "{msg}");
    }

    #[test]
    fn include_cycle_is_an_error() {
        let d = TempDir::new("cycle");
        let p = d.file("a.txt", "-r b.txt\n");
        d.file("b.txt", "-r a.txt\n");
        let msg = Manifest::default()
            .add_file(&p, Role::Requirement)
            .expect_err("cycle")
            .to_string();
        assert!(msg.contains("includes itself"), "{msg}");
    }

    #[test]
    fn deep_and_repeated_includes_are_bounded() {
        let d = TempDir::new("deep");
        // Each file includes the next twice: 2^40 reads without deduplication.
        for i in 0..40 {
            d.file(
                &format!("{i}.txt"),
                &format!("a{i}\n-r {0}.txt\n-r {0}.txt\n", i + 1),
            );
        }
        d.file("40.txt", "end\n");
        let mut m = Manifest::default();
        m.add_file(&d.0.join("0.txt"), Role::Requirement)
            .expect("reads");
        assert_eq!(m.requirements.len(), 41);

        for i in 0..100 {
            d.file(&format!("c{i}.txt"), &format!("-r c{}.txt\n", i + 1));
        }
        d.file("c100.txt", "a\n");
        let msg = Manifest::default()
            .add_file(&d.0.join("c0.txt"), Role::Requirement)
            .expect_err("too deep")
            .to_string();
        assert!(
            msg.contains("c64.txt:1:1: -r/-c includes nest more than 64 deep"),
            "{msg}"
        );
    }

    #[test]
    fn missing_file_is_an_error() {
        let d = TempDir::new("missing");
        let p = d.file("a.txt", "-r nope.txt\n");
        let msg = Manifest::default()
            .add_file(&p, Role::Requirement)
            .expect_err("missing")
            .to_string();
        assert!(msg.contains("nope.txt"), "{msg}");
    }
}
