//! `--check` (`--locked`): whether the lock on disk is the one a re-lock would write. Shared
//! by the subcommands that write locks: read the existing lock before resolving
//! ([`Existing::read`]), resolve with it as preferences, then compare what would be written
//! ([`Existing::verdict`]); nothing is written either way. Also the lifecycle commands'
//! way of printing their report ([`print_stdout`]).

use std::path::{Path, PathBuf};

use pylock::{Index, LockDiff, LockFile, LockRecord, ManifestError};

use crate::args::ResolveArgs;

/// The most change lines a failed check prints; the rest are counted.
const MAX_LINES: usize = 40;

/// The lock a check compares with.
pub struct Existing {
    /// Where it is.
    pub path: PathBuf,
    /// Its text, read once, with the library's bound.
    pub text: String,
}

/// Why a check cannot pass, with the exit code to use.
pub struct CheckFailure {
    /// 1: the lock is missing or would change; 2: nothing to check against.
    pub code: u8,
    /// What to print after `error: `.
    pub message: String,
}

impl Existing {
    /// The lock to check: `lock` (`--lock FILE`) if given, else the output file. A missing
    /// lock fails the check (exit 1); `-o -` without `--lock` has nothing to check (exit 2).
    pub fn read(lock: Option<&Path>, output: &str) -> Result<Self, CheckFailure> {
        let path = match lock {
            Some(p) => p.to_owned(),
            None if output == "-" => {
                return Err(CheckFailure {
                    code: 2,
                    message: "--check compares with an existing lock: give it with --lock FILE or -o FILE, not -o -".into(),
                })
            }
            None => PathBuf::from(output),
        };
        match LockFile::read_text(&path) {
            Ok(text) => Ok(Self { path, text }),
            Err(ManifestError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Err(CheckFailure {
                    code: 1,
                    message: format!(
                        "--check: there is no lock at {} (run without --check to write it)",
                        path.display()
                    ),
                })
            }
            Err(e) => Err(CheckFailure {
                code: 2,
                message: e.to_string(),
            }),
        }
    }

    /// `Ok` when `new_text` is byte-identical to the lock but for pylock's `[tool.pylock]`
    /// record (which changes with inputs that leave the lock as it is); else what would
    /// change.
    pub fn verdict(&self, new_text: &str) -> Result<(), CheckFailure> {
        if LockRecord::strip(&self.text) == LockRecord::strip(new_text) {
            return Ok(());
        }
        let stale = |details: String| CheckFailure {
            code: 1,
            message: format!(
                "{} is out of date: a re-lock would change it{details}",
                self.path.display()
            ),
        };
        let old = LockFile::parse(&self.path, &self.text);
        let new = LockFile::parse(Path::new("(new lock)"), new_text);
        let (Ok(old), Ok(new)) = (old, new) else {
            return Err(stale(" (the existing lock does not parse)".into()));
        };
        let diff = LockDiff::between(&old.lock, &new.lock);
        if diff.is_empty() {
            return Err(stale(
                " (same packages, versions, markers and files; other fields differ)".into(),
            ));
        }
        let text = diff.to_text();
        let lines: Vec<&str> = text.lines().collect();
        let mut shown: Vec<String> = lines
            .iter()
            .take(MAX_LINES)
            .map(|l| format!("  {l}"))
            .collect();
        if lines.len() > MAX_LINES {
            shown.push(format!("  ... and {} more", lines.len() - MAX_LINES));
        }
        Err(stale(format!(
            " ({}):\n{}",
            diff.summary(),
            shown.join("\n")
        )))
    }
}

/// The fast path of `--check`, and of a re-lock into the file it reads: whether the lock is
/// proven fresh without resolving (then "up to date" is printed, and a re-lock leaves the
/// file as it is: it would write the same bytes). A resolve is a function of its inputs, the versions it keeps
/// and the index pages its solver reads (metadata is pinned by the hashes those pages
/// give). The lock's `[tool.pylock]` record (trusted only while its content digest holds)
/// names the three for the run that wrote it: when this run's inputs digest and preferences
/// digest are the recorded ones and every recorded page reads back unchanged, this run
/// would write that lock again. Anything else takes the full check: no record (another
/// tool's lock, an edited one, `-U`, `-P`), inputs without a digest (local direct
/// references, a relative `--exclude-newer`), other inputs or pins (a lock written from
/// another lock's pins: its next re-lock that changes nothing records its own), pages that
/// cannot be pinned (a local directory index, a file without a hash), or any page changed
/// (a release, a yank, a removed file) or unreadable.
pub fn fresh_without_solving(
    args: &ResolveArgs,
    record: Option<&LockRecord>,
    inputs: Option<&str>,
    preferences: &str,
    index: &dyn Index,
) -> bool {
    // A re-lock that writes elsewhere (or to standard output) records paths relative to
    // another place: only one into the lock it read can be skipped.
    let output = Path::new(args.output());
    let in_place = args.output() != "-" && args.lock.as_deref().is_none_or(|l| l == output);
    let Some(record) = record.filter(|_| args.check || in_place) else {
        return false;
    };
    let Some((digest, projects)) = &record.index else {
        return false;
    };
    let same = inputs.is_some()
        && record.inputs.as_deref() == inputs
        && record.preferences.as_deref() == Some(preferences);
    if !same
        || !matches!(
            LockRecord::pages_unchanged(index, projects, digest),
            Ok(true)
        )
    {
        return false;
    }
    if !args.quiet {
        let path = args.lock.as_deref().unwrap_or(output);
        eprintln!(
            "{} is up to date (its inputs, pins and index pages are unchanged){}",
            path.display(),
            if args.check { "" } else { ": nothing to write" }
        );
    }
    true
}

/// Write `text` to standard output; a reader that went away (`| head`) is not an error.
pub fn print_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
