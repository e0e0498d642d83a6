//! Fuzz target: core metadata (RFC 822 `METADATA` / `PKG-INFO`, lenient `Requires-Dist`). See [`pylock::fuzzing::metadata`].

fn main() {
    pylock_fuzz::main(pylock::fuzzing::metadata);
}
