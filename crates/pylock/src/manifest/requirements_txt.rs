//! pip requirements files: comments, blank lines, `\` continuations, nested `-r` / `-c`,
//! `${VAR}` expansion, pip's file options (`-i`, `--extra-index-url`, `-f`, `--no-index`,
//! `--pre`, `--only-binary`, `--no-binary`, `--trusted-host`; `--require-hashes`,
//! `--prefer-binary`, `--use-feature` with a note) and per-requirement `--hash`es. Every other
//! option is refused with the file, line and option, never silently ignored.
//!
//! Files are untrusted (a pull request can change them): each is read up to
//! [`MAX_FILE_LEN`], includes nest at most [`MAX_INCLUDE_DEPTH`] deep, and a file included
//! again in the same role is not read again (a chain of files each including the next twice
//! would otherwise be read an exponential number of times).

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use super::{parse_requirement, Manifest, ManifestError, RequirementHashes, Role};

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

/// Read `path` and add what it says to `out`.
pub(super) fn read(
    path: &Path,
    role: Role,
    includes: &mut Includes,
    out: &mut Manifest,
) -> Result<(), ManifestError> {
    let at_start = |message: String| ManifestError::Parse {
        path: path.to_owned(),
        line: 1,
        column: 1,
        message,
    };
    let text = super::read_text(path)?;
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
    for logical in logical_lines(&text) {
        let content = expand_env(&logical.text);
        let line = Line {
            path,
            logical: &logical,
        };
        if let Some(rest) = content.strip_prefix('-') {
            if let Some((file, nested)) = option_line(&line, rest, role, out)? {
                let dir = path.parent().unwrap_or(Path::new("."));
                read(&dir.join(file), nested, includes, out)?;
            }
            continue;
        }
        requirement_line(&line, &content, role, out)?;
    }
    includes.stack.pop();
    Ok(())
}

/// One logical line of a file, for error positions.
struct Line<'a> {
    path: &'a Path,
    logical: &'a Logical,
}

impl Line<'_> {
    fn err(&self, offset: usize, message: String) -> ManifestError {
        let (line, column) = self.logical.position(offset);
        ManifestError::Parse {
            path: self.path.to_owned(),
            line,
            column,
            // Credentials in a URL (`-e`, `--index-url`, a reference) are never printed.
            message: super::direct::redact_text(&message),
        }
    }

    /// `file:line`, for notes.
    fn at(&self) -> String {
        format!("{}:{}", self.path.display(), self.logical.position(0).0)
    }
}

/// Handle an option line (`rest`: after its first `-`). Returns an include to read.
fn option_line(
    line: &Line<'_>,
    rest: &str,
    role: Role,
    out: &mut Manifest,
) -> Result<Option<(String, Role)>, ManifestError> {
    let (option, value) = split_option(rest);
    let named = format!("-{option}");
    let needs_value = |v: &str| {
        if v.is_empty() {
            Err(line.err(0, format!("`{named}` needs a value")))
        } else {
            Ok(v.to_owned())
        }
    };
    let no_value = || {
        if value.is_empty() {
            Ok(())
        } else {
            Err(line.err(0, format!("`{named}` takes no value (got `{value}`)")))
        }
    };
    let opts = &mut out.file_options;
    match option {
        "r" | "-requirement" => return Ok(Some((needs_value(value)?, role))),
        "c" | "-constraint" => return Ok(Some((needs_value(value)?, Role::Constraint))),
        "e" | "-editable" => {
            if role != Role::Requirement {
                return Err(line.err(0, format!("`{named}` in a constraints file")));
            }
            let value = needs_value(value)?;
            let (l, c) = line.logical.position(0);
            let base = line.path.parent().unwrap_or(Path::new("."));
            let (req, directory) = parse_requirement(&value, line.path, l, c - 1, base)?;
            if !directory {
                return Err(line.err(
                    0,
                    format!("`{named} {value}`: only local project directories can be editable (an editable VCS checkout or archive needs a build)"),
                ));
            }
            out.editable.insert(req.name.clone());
            out.push(req, role);
        }
        "i" | "-index-url" => opts.index_url = Some(near_file(line.path, &needs_value(value)?)),
        "-extra-index-url" => opts.extra_index_urls.push(needs_value(value)?),
        "f" | "-find-links" => opts
            .find_links
            .push(near_file(line.path, &needs_value(value)?)),
        "-no-index" => {
            no_value()?;
            opts.no_index = true;
        }
        "-pre" => {
            no_value()?;
            opts.pre = true;
        }
        "-only-binary" | "-no-binary" => {
            let v = needs_value(value)?;
            let result = if option == "-only-binary" {
                opts.binary.only_binary(&v)
            } else {
                opts.binary.no_binary(&v)
            };
            result.map_err(|m| line.err(0, format!("`{named}`: {m}")))?;
        }
        "-trusted-host" => {
            opts.trusted_hosts.push(needs_value(value)?);
            out.warnings.push(format!(
                "{}: `--trusted-host {value}` is ignored: pylock always verifies TLS certificates",
                line.at()
            ));
        }
        "-require-hashes" | "-prefer-binary" | "-use-feature" => out.notes.push(format!(
            "{}: `{named}` has no meaning for a lock and is ignored",
            line.at()
        )),
        _ => {
            return Err(line.err(
                0,
                format!("unsupported option `{named}` in a requirements file"),
            ))
        }
    }
    Ok(None)
}

/// A requirement with its `--hash` options, if any.
fn requirement_line(
    line: &Line<'_>,
    content: &str,
    role: Role,
    out: &mut Manifest,
) -> Result<(), ManifestError> {
    // pip: the requirement ends at the first word that starts with `-`.
    let split = content
        .char_indices()
        .filter(|(_, c)| c.is_whitespace())
        .map(|(i, c)| i + c.len_utf8())
        .find(|&i| content[i..].starts_with('-'))
        .unwrap_or(content.len());
    let requirement_text = content[..split].trim_end();
    let (l, c) = line.logical.position(0);
    // Relative paths are taken from the file's directory, as uv does (pip: the current one).
    let base = line.path.parent().unwrap_or(Path::new("."));
    let (req, _) = parse_requirement(requirement_text, line.path, l, c - 1, base)?;
    let mut hashes = BTreeSet::new();
    let mut words = content[split..].split_whitespace().peekable();
    while let Some(word) = words.next() {
        let offset = content[split..].find(word).map_or(split, |o| o + split);
        let value = if let Some(v) = word.strip_prefix("--hash=") {
            v
        } else if word == "--hash" {
            words.next().unwrap_or("")
        } else {
            return Err(line.err(
                offset,
                format!("unsupported option `{word}` after a requirement (only --hash is)"),
            ));
        };
        hashes.insert(parse_hash(value).map_err(|m| line.err(offset, m))?);
    }
    if !hashes.is_empty() {
        out.hashes.push(RequirementHashes {
            name: req.name.clone(),
            requirement: format!(
                "{} ({})",
                super::direct::redact_text(requirement_text),
                line.at()
            ),
            sha256: hashes,
        });
    }
    out.push(req, role);
    Ok(())
}

/// `sha256:<64 hex digits>` → the lowercase digest.
fn parse_hash(value: &str) -> Result<String, String> {
    let Some((algorithm, digest)) = value.split_once(':') else {
        return Err(format!("`--hash={value}` is not ALGORITHM:DIGEST"));
    };
    if algorithm != "sha256" {
        return Err(format!(
            "`--hash={value}`: only sha256 hashes are supported (indexes publish sha256)"
        ));
    }
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`--hash={value}` is not a sha256 digest (64 hex digits)"
        ));
    }
    Ok(digest.to_ascii_lowercase())
}

/// A relative path that exists next to the requirements file is taken relative to it, as
/// pip does for `--find-links` (URLs and other values are kept as written).
fn near_file(file: &Path, value: &str) -> String {
    if value.contains("://") || Path::new(value).is_absolute() {
        return value.to_owned();
    }
    let beside = file.parent().unwrap_or(Path::new(".")).join(value);
    if beside.exists() {
        beside.to_string_lossy().into_owned()
    } else {
        value.to_owned()
    }
}

/// pip's environment variable expansion: `${NAME}` with NAME of uppercase ASCII letters,
/// digits and `_`, replaced when the variable is set, kept as written otherwise.
fn expand_env(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let name_len = after
            .bytes()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
            .count();
        let name = &after[..name_len];
        match (name_len > 0 && after[name_len..].starts_with('}'))
            .then(|| std::env::var(name).ok())
            .flatten()
        {
            Some(value) => {
                out.push_str(&value);
                rest = &after[name_len + 1..];
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
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

/// One logical line: continuations joined, with where each piece came from.
struct Logical {
    text: String,
    /// (offset in `text`, 1-based line, 0-based byte column) of each physical piece.
    pieces: Vec<(usize, usize, usize)>,
}

impl Logical {
    /// 1-based line and column of a byte offset in the text.
    fn position(&self, offset: usize) -> (usize, usize) {
        let (start, line, column0) = self
            .pieces
            .iter()
            .rev()
            .find(|(start, _, _)| *start <= offset)
            .copied()
            .unwrap_or((0, 1, 0));
        (line, column0 + offset - start + 1)
    }
}

/// Logical lines: continuations joined, comments and blank lines dropped.
fn logical_lines(text: &str) -> Vec<Logical> {
    let mut out = Vec::new();
    let mut current: Option<Logical> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = strip_comment(raw);
        let (body, continues) = match line.strip_suffix('\\') {
            Some(body) => (body, true),
            None => (line, false),
        };
        match current.as_mut() {
            Some(acc) => {
                acc.pieces.push((acc.text.len(), i + 1, 0));
                acc.text.push_str(body);
            }
            None => {
                let indent = body.len() - body.trim_start().len();
                current = Some(Logical {
                    text: body.trim_start().to_owned(),
                    pieces: vec![(0, i + 1, indent)],
                });
            }
        }
        if !continues {
            out.extend(current.take());
        }
    }
    out.extend(current);
    out.retain_mut(|l| {
        l.text.truncate(l.text.trim_end().len());
        !l.text.is_empty()
    });
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
mod tests;
