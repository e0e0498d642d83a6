//! `pylock diff OLD NEW`: print what changes between two locks.

use std::process::ExitCode;

use pylock::lock::{DiffFormat, LockDiff, LockFile};

use crate::args::DiffArgs;

/// Run `pylock diff`: 0 whatever the difference (1 with `--exit-code` when the locks
/// differ), 2 when a lock cannot be read.
pub fn run(args: &DiffArgs) -> ExitCode {
    let read = |p: &std::path::Path| LockFile::read(p).map_err(|e| e.to_string());
    let (old, new) = match (read(&args.old), read(&args.new)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let diff = LockDiff::between(&old.lock, &new.lock);
    let format = if args.format == "markdown" {
        DiffFormat::Markdown
    } else {
        DiffFormat::Text
    };
    if let Err(e) = crate::check::print_stdout(&diff.render(format)) {
        eprintln!("error: cannot write to standard output: {e}");
        return ExitCode::from(2);
    }
    if args.exit_code && !diff.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
