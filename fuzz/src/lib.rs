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
    fuzz(target);
    #[cfg(not(fuzzing))]
    replay(target);
}

/// Under afl-fuzz: a panic that leaves the entry point is a crash (one the library contains
/// at its call site is not), and so is an abort. Panics at the places `FUZZ_KNOWN_PANICS`
/// lists (`file:line` suffixes, comma-separated, e.g. `pep508_rs-0.9.2/src/lib.rs:477`) are
/// not: that is for looking past bugs already reported and not yet fixed, which otherwise
/// take most of the crashes afl-fuzz saves. CI sets nothing.
#[cfg(fuzzing)]
fn fuzz(target: fn(&[u8])) {
    use std::cell::RefCell;

    let known: Vec<String> = std::env::var("FUZZ_KNOWN_PANICS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if known.is_empty() {
        // Without afl's hook, which aborts on every panic, even one caught and handled.
        afl::fuzz(false, target);
        return;
    }
    thread_local! {
        static PLACE: RefCell<String> = const { RefCell::new(String::new()) };
    }
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        PLACE.with(|p| *p.borrow_mut() = place);
        report(info);
    }));
    afl::fuzz(false, |data| {
        if std::panic::catch_unwind(|| target(data)).is_err() {
            let place = PLACE.with(|p| p.borrow().clone());
            if !known.iter().any(|k| place.ends_with(k.as_str())) {
                std::process::abort();
            }
        }
    });
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
