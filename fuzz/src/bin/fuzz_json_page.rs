//! Fuzz target: PEP 691 JSON project pages (first line: the project name). See [`pylock::fuzzing::json_page`].

fn main() {
    pylock_fuzz::main(pylock::fuzzing::json_page);
}
