//! `LockDiff`: what changes between two locks, per environment where a package has several
//! versions, on synthetic locks and on the fixture locks of other tools.

use std::path::Path;

use pylock::{LockDiff, LockFile};

use crate::support::workspace;

fn parse(text: &str) -> pylock::Lock {
    LockFile::parse(Path::new("test.toml"), text)
        .expect("lock parses")
        .lock
}

fn fixture(name: &str) -> pylock::Lock {
    LockFile::read(
        &workspace()
            .join("crates/pylock/tests/data/locks")
            .join(name),
    )
    .expect("fixture lock reads")
    .lock
}

const HASH_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const HASH_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn package(name: &str, version: &str, marker: Option<&str>, hash: &str) -> String {
    let marker = marker.map_or(String::new(), |m| format!("marker = \"{m}\"\n"));
    format!(
        "[[packages]]\nname = \"{name}\"\nversion = \"{version}\"\n{marker}\
         wheels = [{{ url = \"https://example.invalid/{name}-{version}-py3-none-any.whl\", hashes = {{ sha256 = \"{hash}\" }} }}]\n\n"
    )
}

fn lock(requires_python: &str, packages: &[String]) -> pylock::Lock {
    parse(&format!(
        "lock-version = \"1.0\"\nrequires-python = \"{requires_python}\"\ncreated-by = \"test\"\n\n{}",
        packages.concat()
    ))
}

const OLD_PY: &str = "python_full_version < '3.12'";
const NEW_PY: &str = "python_full_version >= '3.12'";

fn old_lock() -> pylock::Lock {
    lock(
        ">=3.10",
        &[
            package("attrs", "23.1.0", None, HASH_A),
            package("numpy", "1.26.4", Some(OLD_PY), HASH_A),
            package("numpy", "2.0.0", Some(NEW_PY), HASH_A),
            package("six", "1.16.0", None, HASH_A),
            package(
                "tomli",
                "2.0.1",
                Some("python_full_version < '3.11'"),
                HASH_A,
            ),
            package("urllib3", "2.2.1", None, HASH_A),
        ],
    )
}

fn new_lock() -> pylock::Lock {
    lock(
        ">=3.10",
        &[
            package("attrs", "23.1.0", None, HASH_B),
            package("click", "8.1.7", None, HASH_A),
            package("numpy", "1.25.2", Some(OLD_PY), HASH_A),
            package("numpy", "2.1.0", Some(NEW_PY), HASH_A),
            package("tomli", "2.0.1", None, HASH_A),
            package("urllib3", "1.26.18", None, HASH_A),
        ],
    )
}

#[test]
fn changes_per_package_and_environment() {
    let d = LockDiff::between(&old_lock(), &new_lock());
    let kinds: Vec<(String, &str, Option<String>, Option<String>)> = d
        .changes
        .iter()
        .map(|c| (c.name.clone(), c.kind(), c.old.clone(), c.new.clone()))
        .collect();
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        kinds,
        [
            ("attrs".into(), "files", s("23.1.0"), s("23.1.0")),
            ("click".into(), "added", None, s("8.1.7")),
            ("numpy".into(), "downgraded", s("1.26.4"), s("1.25.2")),
            ("numpy".into(), "upgraded", s("2.0.0"), s("2.1.0")),
            ("six".into(), "removed", s("1.16.0"), None),
            ("tomli".into(), "marker", s("2.0.1"), s("2.0.1")),
            ("urllib3".into(), "downgraded", s("2.2.1"), s("1.26.18")),
        ]
    );
    // Each numpy change says in which environments it applies.
    assert_eq!(d.changes[2].marker.as_deref(), Some(OLD_PY));
    assert_eq!(d.changes[3].marker.as_deref(), Some(NEW_PY));
    assert_eq!(
        d.summary(),
        "1 added, 1 removed, 1 upgraded, 2 downgraded, 1 marker, 1 files"
    );
    let text = d.to_text();
    assert_eq!(
        text,
        "\
files       attrs    23.1.0 -> 23.1.0
added       click    8.1.7
downgraded  numpy    1.26.4 -> 1.25.2  (python_full_version < '3.12')
upgraded    numpy    2.0.0 -> 2.1.0  (python_full_version >= '3.12')
removed     six      1.16.0
marker      tomli    2.0.1: `python_full_version < '3.11'` -> everywhere
downgraded  urllib3  2.2.1 -> 1.26.18
"
    );
    let md = d.to_markdown();
    assert!(md.starts_with("| Package | Change | Old | New | Where |\n|---|---|---|---|---|\n"));
    assert!(
        md.contains("| numpy | upgraded | 2.0.0 | 2.1.0 | `python_full_version >= '3.12'` |\n"),
        "{md}"
    );
    assert!(md.contains("| six | removed | 1.16.0 |  |  |\n"), "{md}");
    assert!(
        md.contains(
            "| tomli | marker | 2.0.1 | 2.0.1 | `python_full_version < '3.11'` → everywhere |\n"
        ),
        "{md}"
    );
    // The other way round: the same pairs, directions swapped.
    let back = LockDiff::between(&new_lock(), &old_lock());
    let upgraded = back
        .changes
        .iter()
        .filter(|c| c.kind() == "upgraded")
        .count();
    assert_eq!(upgraded, 2);
}

#[test]
fn a_version_added_in_one_environment_only() {
    let old = lock(">=3.10", &[package("numpy", "1.26.4", None, HASH_A)]);
    let new = lock(
        ">=3.10",
        &[
            package("numpy", "1.26.4", Some(OLD_PY), HASH_A),
            package("numpy", "2.1.0", Some(NEW_PY), HASH_A),
        ],
    );
    let d = LockDiff::between(&old, &new);
    let kinds: Vec<&str> = d.changes.iter().map(|c| c.kind()).collect();
    // 1.26.4 stays where it is still locked (its marker narrows); 2.1.0 is new for 3.12+.
    assert_eq!(kinds, ["marker", "added"]);
    assert_eq!(d.changes[1].marker.as_deref(), Some(NEW_PY));
}

#[test]
fn equal_locks_and_markers_equal_in_meaning() {
    assert!(LockDiff::between(&old_lock(), &old_lock()).is_empty());
    assert_eq!(
        LockDiff::between(&old_lock(), &old_lock()).to_text(),
        "no changes\n"
    );
    // uv writes `python_full_version >= '3.10'` where pylock writes nothing: within the
    // locks' requires-python that is the same place.
    let plain = lock(">=3.10", &[package("six", "1.16.0", None, HASH_A)]);
    let spelled = lock(
        ">=3.10",
        &[package(
            "six",
            "1.16.0",
            Some("python_full_version >= '3.10'"),
            HASH_A,
        )],
    );
    assert!(LockDiff::between(&plain, &spelled).is_empty());
    // requires-python itself is compared.
    let narrower = lock(">=3.11", &[package("six", "1.16.0", None, HASH_A)]);
    let d = LockDiff::between(&plain, &narrower);
    assert_eq!(
        d.requires_python,
        Some((">=3.10".to_owned(), ">=3.11".to_owned()))
    );
    assert!(d
        .to_text()
        .starts_with("requires-python: >=3.10 -> >=3.11\n"));
}

/// pylock's lock of black and uv's of a project needing black (`tests/data/locks/README.md`):
/// uv's is for Python >=3.11, so the packages only 3.10 needs go, and black and pytokens
/// list other wheels (uv keeps those for platforms pylock does not lock for); URLs and the
/// way markers are spelled do not count.
#[test]
fn pylock_and_uv_locks_of_one_project() {
    let pylock_lock = fixture("pylock.pylock.toml");
    let uv = fixture("pylock.uv-pip-compile.toml");
    let d = LockDiff::between(&pylock_lock, &uv);
    let text = d.to_text();
    insta::assert_snapshot!(text);
    // Deterministic, and symmetric in what it pairs.
    assert_eq!(LockDiff::between(&pylock_lock, &uv), d);
    let back = LockDiff::between(&uv, &pylock_lock);
    assert_eq!(back.changes.len(), d.changes.len());
}

/// Two locks differing only in `extras`, `dependency-groups` or `default-groups` differ
/// (what an installer installs by default changes with them).
#[test]
fn extras_and_groups_are_compared() {
    let with = |fields: &str| {
        parse(&format!(
            "lock-version = \"1.0\"\nrequires-python = \">=3.10\"\ncreated-by = \"test\"\n{fields}\n\n{}",
            package("six", "1.16.0", None, HASH_A)
        ))
    };
    let base =
        with("extras = [\"cli\"]\ndependency-groups = [\"dev\"]\ndefault-groups = [\"dev\"]");
    assert!(LockDiff::between(&base, &base).is_empty());
    let no_default = with("extras = [\"cli\"]\ndependency-groups = [\"dev\"]\ndefault-groups = []");
    let d = LockDiff::between(&base, &no_default);
    assert!(!d.is_empty());
    assert_eq!(d.default_groups, Some((vec!["dev".to_owned()], Vec::new())));
    assert_eq!(d.summary(), "default-groups");
    assert_eq!(d.to_text(), "default-groups: `dev` -> (none)\n");
    assert!(
        d.to_markdown()
            .starts_with("`default-groups`: `dev` → (none)\n"),
        "{}",
        d.to_markdown()
    );
    let more = with(
        "extras = [\"cli\", \"gpu\"]\ndependency-groups = [\"dev\", \"lint\"]\ndefault-groups = [\"dev\"]",
    );
    let d = LockDiff::between(&base, &more);
    assert_eq!(d.summary(), "extras, dependency-groups");
    assert!(d.extras.is_some() && d.dependency_groups.is_some() && d.default_groups.is_none());
    // Order does not count.
    let reordered = with(
        "extras = [\"gpu\", \"cli\"]\ndependency-groups = [\"lint\", \"dev\"]\ndefault-groups = [\"dev\"]",
    );
    assert!(LockDiff::between(&more, &reordered).is_empty());
}

/// A marker with backticks cannot end its code span in the Markdown table (and inject
/// Markdown after it): the span is fenced by a longer run of backticks.
#[test]
fn markdown_markers_with_backticks_stay_code() {
    let evil = "platform_machine == 'x` **bold** [a](http://e.invalid) ``'";
    let old = lock(">=3.10", &[package("six", "1.16.0", None, HASH_A)]);
    let new = lock(">=3.10", &[package("six", "1.16.0", Some(evil), HASH_A)]);
    let md = LockDiff::between(&old, &new).to_markdown();
    assert!(
        md.contains(&format!(
            "| six | marker | 1.16.0 | 1.16.0 | everywhere → ```{evil}``` |"
        )),
        "{md}"
    );
    let added = lock(
        ">=3.10",
        &[
            package("six", "1.16.0", None, HASH_A),
            package("evil", "1.0", Some("platform_machine == '`x'"), HASH_A),
        ],
    );
    let md = LockDiff::between(&old, &added).to_markdown();
    assert!(
        md.contains("| evil | added |  | 1.0 | ``platform_machine == '`x'`` |"),
        "{md}"
    );
}
