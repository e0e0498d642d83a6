//! `--check` (`--locked`): whether the lock on disk is the one a re-lock would write. Shared
//! by the subcommands that write locks: read the existing lock before resolving
//! ([`Existing::read`]), resolve with it as preferences, then compare what would be written
//! ([`Existing::verdict`]); nothing is written either way. Also the lifecycle commands'
//! way of printing their report ([`print_stdout`]).

use std::path::{Path, PathBuf};

use pylock::{LockDiff, LockFile, ManifestError};

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

    /// `Ok` when `new_text` is byte-identical to the lock, its `[tool.pylock]` record
    /// included (a function of the inputs and the solve, as the rest); else what would
    /// change.
    pub fn verdict(&self, new_text: &str) -> Result<(), CheckFailure> {
        if self.text == new_text {
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
                " (same packages, versions, markers and files; other fields or pylock's record differ)"
                    .into(),
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

/// Write `text` to standard output; a reader that went away (`| head`) is not an error.
pub fn print_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
