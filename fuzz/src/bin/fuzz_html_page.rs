//! Fuzz target: PEP 503 HTML project pages (first line: the project name). See [`pylock::fuzzing::html_page`].

fn main() {
    pylock_fuzz::main(pylock::fuzzing::html_page);
}
