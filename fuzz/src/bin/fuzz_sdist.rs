//! Fuzz target: sdists (tar.gz): `PKG-INFO` / `requires.txt` extraction and parsing. See [`pylock::fuzzing::sdist`].

fn main() {
    pylock_fuzz::main(pylock::fuzzing::sdist);
}
