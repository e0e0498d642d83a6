//! Fuzz target: the zip directory reader alone (`index/zipdir.rs`): finding, bounding,
//! inflating and CRC-checking one member. See [`pylock::fuzzing::zipdir`].

fn main() {
    pylock_fuzz::main(pylock::fuzzing::zipdir);
}
