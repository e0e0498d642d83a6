//! AFL++ fuzz targets for pylock's parsers: one binary `fuzz_<name>` per entry of
//! [`pylock::fuzzing::TARGETS`], seeded from `fuzz/corpus/<name>/`.
//!
//! Built by `cargo afl build` (which passes `--cfg fuzzing`), a target is an afl-fuzz
//! persistent-mode harness: a panic aborts, and afl-fuzz records the input as a crash. Built
//! by plain cargo, it runs its entry point once on each file named on its command line, or on
//! standard input when none is: that is how `tests/regressions.rs` and a person replay an
//! input (`cargo run -p pylock-fuzz --bin fuzz_pep508 -- fuzz/regressions/pep508/*`).
//! `fuzz/run.sh` installs cargo-afl, builds and fuzzes.

/// Run `target` as the binary's whole job: under afl-fuzz, or on the inputs named on the
/// command line.
pub fn main(target: fn(&[u8])) {
    #[cfg(fuzzing)]
    afl::fuzz(true, target);
    #[cfg(not(fuzzing))]
    replay(target);
}

/// Each file named on the command line, else standard input, through `target`.
#[cfg(not(fuzzing))]
fn replay(target: fn(&[u8])) {
    use std::io::Read;

    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    if paths.is_empty() {
        let mut data = Vec::new();
        if let Err(e) = std::io::stdin().read_to_end(&mut data) {
            eprintln!("cannot read standard input: {e}");
            std::process::exit(2);
        }
        target(&data);
        return;
    }
    for path in paths {
        match std::fs::read(&path) {
            Ok(data) => target(&data),
            Err(e) => {
                eprintln!("cannot read {}: {e}", path.display());
                std::process::exit(2);
            }
        }
    }
}
