//! Fuzz target: `pyproject.toml`. See [`pylock::fuzzing::pyproject`].

fn main() {
    pylock_fuzz::main(pylock::fuzzing::pyproject);
}
