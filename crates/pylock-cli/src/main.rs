//! `pylock`: resolve Python requirements into a PEP 751 `pylock.toml`.
//!
//! Exit codes: 0 lock written, 1 no solution (explanation on stderr), 2 usage, input or I/O
//! error.

mod alloc;
mod args;
mod check;
mod diff;
mod inputs;
mod lock;
mod progress;
mod relock;
mod resolve;
mod verify;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    alloc::return_large_blocks();
    let cli = args::Cli::parse();
    match cli.command {
        args::Command::Resolve(args) => resolve::run(&args),
        args::Command::Index(args::IndexCommand::Snapshot(args)) => resolve::snapshot(&args),
        args::Command::Lock(args) => lock::run(args),
        // Lock lifecycle (issue 12).
        args::Command::Diff(args) => diff::run(&args),
        args::Command::Verify(args) => verify::run(&args),
    }
}
