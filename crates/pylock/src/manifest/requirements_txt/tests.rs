use super::*;
use crate::manifest::Manifest;

struct TempDir(PathBuf);
impl TempDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("pylock-req-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&p).expect("mkdir");
        Self(p)
    }
    fn file(&self, name: &str, body: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, body).expect("write");
        p
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

#[test]
fn comments_continuations_and_nesting() {
    let d = TempDir::new("nest");
    d.file("base.txt", "six  # trailing comment\n-c constraints.txt\n");
    d.file("constraints.txt", "six<2\n");
    let top = d.file(
        "req.in",
        "# comment\n\nrequests[socks] \\\n  >=2.0 ; python_version >= '3.8'\n-r base.txt\n--requirement=base.txt\n",
    );
    let mut m = Manifest::default();
    m.add_file(&top, Role::Requirement).expect("reads");
    let reqs: Vec<String> = m.requirements.iter().map(ToString::to_string).collect();
    assert_eq!(
        reqs,
        ["requests[socks]>=2.0 ; python_full_version >= '3.8'", "six",]
    );
    // base.txt is read once; its `-c` once too.
    assert_eq!(m.constraints.len(), 1);
}

#[test]
fn unsupported_option_names_file_and_line() {
    let d = TempDir::new("opt");
    let p = d.file("req.in", "a\n\n  --no-deps\n");
    let err = Manifest::default()
        .add_file(&p, Role::Requirement)
        .expect_err("refused");
    let msg = err.to_string();
    assert!(
        msg.ends_with("req.in:3:3: unsupported option `--no-deps` in a requirements file"),
        "{msg}"
    );
}

#[test]
fn bad_requirement_names_line_and_column() {
    let d = TempDir::new("bad");
    let p = d.file("req.in", "a\nb >== 1\n");
    let msg = Manifest::default()
        .add_file(&p, Role::Requirement)
        .expect_err("bad")
        .to_string();
    assert!(msg.contains("req.in:2:"), "{msg}");
}

#[test]
fn include_cycle_is_an_error() {
    let d = TempDir::new("cycle");
    let p = d.file("a.txt", "-r b.txt\n");
    d.file("b.txt", "-r a.txt\n");
    let msg = Manifest::default()
        .add_file(&p, Role::Requirement)
        .expect_err("cycle")
        .to_string();
    assert!(msg.contains("includes itself"), "{msg}");
}

#[test]
fn deep_and_repeated_includes_are_bounded() {
    let d = TempDir::new("deep");
    // Each file includes the next twice: 2^40 reads without deduplication.
    for i in 0..40 {
        d.file(
            &format!("{i}.txt"),
            &format!("a{i}\n-r {0}.txt\n-r {0}.txt\n", i + 1),
        );
    }
    d.file("40.txt", "end\n");
    let mut m = Manifest::default();
    m.add_file(&d.0.join("0.txt"), Role::Requirement)
        .expect("reads");
    assert_eq!(m.requirements.len(), 41);

    for i in 0..100 {
        d.file(&format!("c{i}.txt"), &format!("-r c{}.txt\n", i + 1));
    }
    d.file("c100.txt", "a\n");
    let msg = Manifest::default()
        .add_file(&d.0.join("c0.txt"), Role::Requirement)
        .expect_err("too deep")
        .to_string();
    assert!(
        msg.contains("c64.txt:1:1: -r/-c includes nest more than 64 deep"),
        "{msg}"
    );
}

#[test]
fn missing_file_is_an_error() {
    let d = TempDir::new("missing");
    let p = d.file("a.txt", "-r nope.txt\n");
    let msg = Manifest::default()
        .add_file(&p, Role::Requirement)
        .expect_err("missing")
        .to_string();
    assert!(msg.contains("nope.txt"), "{msg}");
}

const H1: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const H2: &str = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

#[test]
fn pip_file_options_are_recorded() {
    let d = TempDir::new("opts");
    std::fs::create_dir_all(d.0.join("wheels")).expect("mkdir");
    let p = d.file(
        "req.txt",
        "-i https://example.org/simple\n--extra-index-url=https://extra/simple\n-f wheels\n-f https://links/\n--no-index\n--pre\n--only-binary :all:\n--no-binary=b,C_d\n--trusted-host example.org\n--require-hashes\n--prefer-binary\n--use-feature fast-deps\na\n",
    );
    let mut m = Manifest::default();
    m.add_file(&p, Role::Requirement).expect("reads");
    let o = &m.file_options;
    assert_eq!(o.index_url.as_deref(), Some("https://example.org/simple"));
    assert_eq!(o.extra_index_urls, ["https://extra/simple"]);
    assert_eq!(
        o.find_links,
        [
            d.0.join("wheels").to_string_lossy().into_owned(),
            "https://links/".into()
        ]
    );
    assert!(o.no_index && o.pre);
    assert!(o.binary.only_binary.contains(":all:"));
    assert_eq!(o.binary.no_binary.iter().collect::<Vec<_>>(), ["b", "c-d"]);
    assert_eq!(o.trusted_hosts, ["example.org"]);
    assert_eq!(m.warnings.len(), 1);
    assert!(
        m.warnings[0].contains("req.txt:9: `--trusted-host"),
        "{:?}",
        m.warnings
    );
    assert_eq!(m.notes.len(), 3, "{:?}", m.notes);
    assert!(m.notes[0].contains("req.txt:10: `--require-hashes`"));
    assert_eq!(m.requirements.len(), 1);
}

#[test]
fn hashes_as_pip_compile_writes_them() {
    let d = TempDir::new("hash");
    let p = d.file(
        "req.txt",
        &format!("a==1.0 \\\n    --hash=sha256:{H1} \\\n    --hash sha256:{H2}\n    # via b\nb==2 --hash=sha256:{H1}\nc\n"),
    );
    let mut m = Manifest::default();
    m.add_file(&p, Role::Requirement).expect("reads");
    assert_eq!(m.requirements.len(), 3);
    assert_eq!(m.hashes.len(), 2);
    assert_eq!(m.hashes[0].name.as_ref(), "a");
    assert!(
        m.hashes[0].requirement.ends_with("req.txt:1)"),
        "{}",
        m.hashes[0].requirement
    );
    assert_eq!(
        m.hashes[0].sha256.iter().cloned().collect::<Vec<_>>(),
        [H1.to_owned(), H2.to_ascii_lowercase()]
    );
    assert_eq!(m.hashes[1].sha256.len(), 1);
}

#[test]
fn bad_hash_and_trailing_options_name_line_and_column() {
    let d = TempDir::new("badhash");
    let p = d.file("req.txt", "a==1.0 \\\n    --hash=md5:00\n");
    let msg = Manifest::default()
        .add_file(&p, Role::Requirement)
        .expect_err("md5")
        .to_string();
    assert!(
        msg.contains("req.txt:2:5: `--hash=md5:00`: only sha256"),
        "{msg}"
    );
    let p = d.file("req2.txt", "a==1.0 --no-deps\n");
    let msg = Manifest::default()
        .add_file(&p, Role::Requirement)
        .expect_err("no-deps")
        .to_string();
    assert!(
        msg.contains("req2.txt:1:8: unsupported option `--no-deps`"),
        "{msg}"
    );
    let p = d.file("req3.txt", "-e ./pkg-1.0.tar.gz\n");
    std::fs::write(p.with_file_name("pkg-1.0.tar.gz"), "").expect("write");
    let msg = Manifest::default()
        .add_file(&p, Role::Requirement)
        .expect_err("editable")
        .to_string();
    assert!(
        msg.contains(
            "req3.txt:1:1: `-e ./pkg-1.0.tar.gz`: only local project directories can be editable"
        ),
        "{msg}"
    );
    let p = d.file("req4.txt", "--only-binary\n");
    let msg = Manifest::default()
        .add_file(&p, Role::Requirement)
        .expect_err("no value")
        .to_string();
    assert!(msg.contains("`--only-binary` needs a value"), "{msg}");
}

#[test]
fn environment_variables_expand_as_pip_does() {
    std::env::set_var("PYLOCK_TEST_REQ_VERSION", "1.5");
    std::env::set_var("pylock_lower", "x");
    let d = TempDir::new("env");
    let p = d.file(
        "req.txt",
        "a==${PYLOCK_TEST_REQ_VERSION}\n-i https://${PYLOCK_TEST_UNSET_VAR}/simple\n--extra-index-url https://${pylock_lower}/\n",
    );
    let mut m = Manifest::default();
    m.add_file(&p, Role::Requirement).expect("reads");
    assert_eq!(m.requirements[0].to_string(), "a==1.5");
    // Unset and lowercase names are kept as written.
    assert_eq!(
        m.file_options.index_url.as_deref(),
        Some("https://${PYLOCK_TEST_UNSET_VAR}/simple")
    );
    assert_eq!(
        m.file_options.extra_index_urls,
        ["https://${pylock_lower}/"]
    );
}

/// A non-ASCII space inside a requirement line (pasted text) is an error or a separator,
/// never a panic (it split inside the character).
#[test]
fn non_ascii_whitespace_is_not_a_panic() {
    let d = TempDir::new("nbsp");
    for text in [
        "requests\u{a0}>=2\n",
        "a\u{2003}--hash=sha256:00\n",
        "\u{3000}-r x\n",
    ] {
        let p = d.file("req.txt", text);
        let _ = Manifest::default().add_file(&p, Role::Requirement);
    }
}
