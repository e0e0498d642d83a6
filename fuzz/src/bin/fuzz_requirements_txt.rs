//! Fuzz target: pip requirements files (inputs split at NUL bytes into nested files). See [`pylock::fuzzing::requirements_txt`].

fn main() {
    pylock_fuzz::main(pylock::fuzzing::requirements_txt);
}
