//! Fuzz target: wheels (zip): `METADATA` extraction and parsing. See [`pylock::fuzzing::wheel`].

fn main() {
    pylock_fuzz::main(pylock::fuzzing::wheel);
}
