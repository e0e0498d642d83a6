//! `pylock diff OLD NEW`: print what changes between two locks.

use std::process::ExitCode;

use pylock::LockFile;

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
    let diff = old.diff(&new);
    let text = if args.format == "markdown" {
        diff.to_markdown()
    } else {
        diff.to_text()
    };
    if let Err(e) = crate::check::print_stdout(&text) {
        eprintln!("error: cannot write to standard output: {e}");
        return ExitCode::from(2);
    }
    if args.exit_code && !diff.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
