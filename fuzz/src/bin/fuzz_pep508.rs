//! Fuzz target: PEP 508 requirement strings. See [`pylock::fuzzing::pep508`].

fn main() {
    pylock_fuzz::main(pylock::fuzzing::pep508);
}
