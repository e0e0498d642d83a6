//! The library's module graph: data flows util -> pep -> manifest -> index -> resolve -> lock
//! (then verify, project), and no module imports one that imports it back.
//!
//! Reads `src/**/*.rs`, collects every `crate::`, `super::` and `self::` path (in `use`
//! trees and in code) and `use child::...` paths, follows re-exports (`pub use`) to the module
//! that defines an item, and checks two graphs for cycles of any length: between the
//! top-level modules (`pep`, `manifest`, `index`, ...), which must also keep to the order of
//! [`LAYERS`], and between the modules directly inside `resolve/`. Test code (`#[cfg(test)]`
//! modules and the files they declare) is left out: it is not part of the library's data
//! flow. Edges to or from `resolve/mod.rs` itself are left out of the second graph: it
//! declares and wires its children, and holds the types they produce (`Resolution`,
//! `ResolveError`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Path,
    Open,
    Close,
    Comma,
    Semi,
    Star,
    Hash,
    OpenBracket,
    CloseBracket,
    Other,
}

/// Rust source as tokens, without comments, strings and character literals.
fn lex(src: &str) -> Vec<Tok> {
    let b: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && is_raw_string(&b, i) {
            let mut j = i + 1;
            let mut hashes = 0;
            while b[j] == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
            out.push(Tok::Other);
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push(Tok::Other);
        } else if c == '\'' {
            // A character literal ('a', '\n', '\u{1F600}') or a lifetime ('a).
            if next == Some('\\') {
                i += 2;
                while i < b.len() && b[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if b.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
            out.push(Tok::Other);
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(b[start..i].iter().collect()));
        } else {
            i += 1;
            out.push(match c {
                ':' if next == Some(':') => {
                    i += 1;
                    Tok::Path
                }
                '{' => Tok::Open,
                '}' => Tok::Close,
                ',' => Tok::Comma,
                ';' => Tok::Semi,
                '*' => Tok::Star,
                '#' => Tok::Hash,
                '[' => Tok::OpenBracket,
                ']' => Tok::CloseBracket,
                _ => Tok::Other,
            });
        }
    }
    out
}

fn is_raw_string(b: &[char], i: usize) -> bool {
    if i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_') {
        return false;
    }
    let mut j = i + 1;
    while j < b.len() && b[j] == '#' {
        j += 1;
    }
    b.get(j) == Some(&'"')
}

fn ident(t: Option<&Tok>) -> Option<&str> {
    match t {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

/// The paths of a `use` tree starting at `toks[*i]`, each with the name it binds.
fn use_tree(toks: &[Tok], i: &mut usize, prefix: &[String], out: &mut Vec<(Vec<String>, String)>) {
    let mut path = prefix.to_vec();
    loop {
        match toks.get(*i) {
            Some(Tok::Ident(s)) => {
                path.push(s.clone());
                *i += 1;
                if toks.get(*i) == Some(&Tok::Path) {
                    *i += 1;
                    continue;
                }
                let mut bound = s.clone();
                if ident(toks.get(*i)) == Some("as") {
                    bound = ident(toks.get(*i + 1)).unwrap_or("_").to_owned();
                    *i += 2;
                }
                out.push((path, bound));
                return;
            }
            Some(Tok::Open) => {
                *i += 1;
                while !matches!(toks.get(*i), Some(Tok::Close) | None) {
                    use_tree(toks, i, &path, out);
                    if toks.get(*i) == Some(&Tok::Comma) {
                        *i += 1;
                    }
                }
                *i += 1;
                return;
            }
            Some(Tok::Star) => {
                *i += 1;
                out.push((path, "*".into()));
                return;
            }
            _ => return,
        }
    }
}

/// One source file: its module path, the paths it names (absolute, by the module they are
/// named in) and its re-exports.
#[derive(Default)]
struct FileRefs {
    /// (module the path is written in, the path as written).
    paths: Vec<(Vec<String>, Vec<String>)>,
    /// (module, bound name, path as written), for `pub use`.
    reexports: Vec<(Vec<String>, String, Vec<String>)>,
    /// Child modules declared under `#[cfg(test)]`, as module paths.
    test_children: Vec<Vec<String>>,
}

/// Collect the paths of one file whose module is `module`.
fn scan(toks: &[Tok], module: &[String]) -> FileRefs {
    let mut refs = FileRefs::default();
    // Inline modules: (module path, brace depth at which it closes).
    let mut stack: Vec<(Vec<String>, usize)> = vec![(module.to_vec(), 0)];
    let mut depth = 0usize;
    let mut test_attr = false;
    let mut skip_until: Option<usize> = None;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        match t {
            Tok::Open => {
                depth += 1;
                i += 1;
                continue;
            }
            Tok::Close => {
                if stack.len() > 1 && stack.last().is_some_and(|(_, d)| *d == depth) {
                    stack.pop();
                }
                if skip_until == Some(depth) {
                    skip_until = None;
                }
                depth = depth.saturating_sub(1);
                i += 1;
                continue;
            }
            _ => {}
        }
        if skip_until.is_some() {
            i += 1;
            continue;
        }
        let here = stack.last().map(|(m, _)| m.clone()).unwrap_or_default();
        // `#[cfg(test)]`
        if *t == Tok::Hash
            && toks.get(i + 1) == Some(&Tok::OpenBracket)
            && ident(toks.get(i + 2)) == Some("cfg")
            && ident(toks.get(i + 4)) == Some("test")
        {
            test_attr = true;
            i += 5;
            continue;
        }
        if ident(Some(t)) == Some("mod") {
            if let Some(name) = ident(toks.get(i + 1)) {
                let mut child = here.clone();
                child.push(name.to_owned());
                match toks.get(i + 2) {
                    Some(Tok::Semi) if test_attr => refs.test_children.push(child),
                    Some(Tok::Open) if test_attr => skip_until = Some(depth + 1),
                    Some(Tok::Open) => stack.push((child, depth + 1)),
                    _ => {}
                }
                test_attr = false;
                i += 2;
                continue;
            }
        }
        if matches!(t, Tok::Ident(_)) && ident(Some(t)) != Some("pub") {
            // An attribute applies to the next item only.
            if !matches!(ident(Some(t)), Some("cfg" | "test")) {
                test_attr = false;
            }
        }
        if ident(Some(t)) == Some("use") {
            // `pub use`, `pub(crate) use`, `pub(super) use`
            let public = ident(toks.get(i.wrapping_sub(1))) == Some("pub")
                || (toks.get(i.wrapping_sub(1)) == Some(&Tok::Other)
                    && ident(toks.get(i.wrapping_sub(4))) == Some("pub"));
            let mut j = i + 1;
            let mut trees = Vec::new();
            use_tree(toks, &mut j, &[], &mut trees);
            for (path, bound) in trees {
                if public {
                    refs.reexports.push((here.clone(), bound, path.clone()));
                }
                refs.paths.push((here.clone(), path));
            }
            i = j;
            continue;
        }
        if let Some(first @ ("crate" | "super" | "self")) = ident(Some(t)) {
            if toks.get(i + 1) == Some(&Tok::Path)
                && toks.get(i.wrapping_sub(1)) != Some(&Tok::Path)
            {
                let mut path = vec![first.to_owned()];
                let mut j = i + 1;
                while toks.get(j) == Some(&Tok::Path) {
                    match ident(toks.get(j + 1)) {
                        Some(s) => path.push(s.to_owned()),
                        None => break,
                    }
                    j += 2;
                }
                refs.paths.push((here, path));
                i = j;
                continue;
            }
        }
        i += 1;
    }
    refs
}

/// `path` as written in `module`, made absolute; `None` for paths into other crates. A path
/// that starts with a child module of `module` (`use child::Item;`) is relative to it.
fn absolute(
    module: &[String],
    path: &[String],
    modules: &BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    let child = |first: &String| {
        let mut child = module.to_vec();
        child.push(first.clone());
        modules.contains(&child)
    };
    let mut out: Vec<String> = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("self" | "super") => module.to_vec(),
        Some(_) if child(&path[0]) => {
            let mut out = module.to_vec();
            out.extend(path.iter().cloned());
            return Some(out);
        }
        _ => return None,
    };
    let mut rest = path;
    if rest[0] == "crate" || rest[0] == "self" {
        rest = &rest[1..];
    }
    while rest.first().map(String::as_str) == Some("super") {
        out.pop()?;
        rest = &rest[1..];
    }
    out.extend(rest.iter().cloned());
    Some(out)
}

struct Graph {
    modules: BTreeSet<Vec<String>>,
    /// module -> bound name -> absolute target.
    reexports: BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>>,
}

impl Graph {
    /// The module that defines what `path` (absolute) names.
    fn defining_module(&self, path: &[String], depth: usize) -> Vec<String> {
        let mut cur: Vec<String> = Vec::new();
        for (k, seg) in path.iter().enumerate() {
            let mut child = cur.clone();
            child.push(seg.clone());
            if self.modules.contains(&child) {
                cur = child;
                continue;
            }
            let target = self.reexports.get(&cur).and_then(|r| r.get(seg));
            if let Some(target) = target.filter(|_| depth < 8) {
                let mut full = target.clone();
                full.extend(path[k + 1..].iter().cloned());
                return self.defining_module(&full, depth + 1);
            }
            break;
        }
        cur
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("file name");
    match last.as_str() {
        "lib.rs" | "mod.rs" => {}
        other => parts.push(other.trim_end_matches(".rs").to_owned()),
    }
    parts
}

/// The import edges between modules of the library, test code left out: (from, to) module
/// paths, each with one file that shows it.
fn edges() -> BTreeMap<(Vec<String>, Vec<String>), String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut scanned = Vec::new();
    let mut graph = Graph {
        modules: BTreeSet::new(),
        reexports: BTreeMap::new(),
    };
    for file in &files {
        graph.modules.insert(module_of(&src, file));
    }
    for file in &files {
        let module = module_of(&src, file);
        let text = std::fs::read_to_string(file).expect("read source");
        let refs = scan(&lex(&text), &module);
        for (m, bound, path) in &refs.reexports {
            if let Some(abs) = absolute(m, path, &graph.modules) {
                graph
                    .reexports
                    .entry(m.clone())
                    .or_default()
                    .insert(bound.clone(), abs);
            }
        }
        scanned.push((file, module, refs));
    }
    let tests: BTreeSet<Vec<String>> = scanned
        .iter()
        .flat_map(|(_, _, r)| r.test_children.iter().cloned())
        .collect();
    let mut out = BTreeMap::new();
    for (file, module, refs) in &scanned {
        if tests.iter().any(|t| module.starts_with(t)) {
            continue;
        }
        for (m, path) in &refs.paths {
            let Some(abs) = absolute(m, path, &graph.modules) else {
                continue;
            };
            let to = graph.defining_module(&abs, 0);
            let shown = file
                .strip_prefix(&src)
                .unwrap_or(file)
                .display()
                .to_string();
            out.entry((module.clone(), to)).or_insert(shown);
        }
    }
    out
}

/// The import edges between units, by `unit` (`None`: not in this graph), each with one
/// file that shows it.
fn unit_edges(
    edges: &BTreeMap<(Vec<String>, Vec<String>), String>,
    unit: impl Fn(&[String]) -> Option<String>,
) -> BTreeMap<(String, String), String> {
    let mut by_unit: BTreeMap<(String, String), String> = BTreeMap::new();
    for ((from, to), file) in edges {
        if let (Some(a), Some(b)) = (unit(from), unit(to)) {
            if a != b {
                by_unit.entry((a, b)).or_insert_with(|| file.clone());
            }
        }
    }
    by_unit
}

/// The units on a cycle of any length: those that reach themselves through their imports.
fn on_cycles(by_unit: &BTreeMap<(String, String), String>) -> BTreeSet<String> {
    let next = |u: &String| -> Vec<String> {
        (by_unit.keys())
            .filter(|(a, _)| a == u)
            .map(|(_, b)| b.clone())
            .collect()
    };
    let units: BTreeSet<&String> = by_unit.keys().map(|(a, _)| a).collect();
    units
        .into_iter()
        .filter(|start| {
            let mut seen = BTreeSet::new();
            let mut work = next(start);
            while let Some(u) = work.pop() {
                if &&u == start {
                    return true;
                }
                if seen.insert(u.clone()) {
                    work.extend(next(&u));
                }
            }
            false
        })
        .cloned()
        .collect()
}

/// Pairs of units that import each other, by `unit` (`None`: not in this graph).
fn mutual(
    edges: &BTreeMap<(Vec<String>, Vec<String>), String>,
    unit: impl Fn(&[String]) -> Option<String>,
) -> Vec<String> {
    let by_unit = unit_edges(edges, unit);
    let mut out = Vec::new();
    for ((a, b), file) in &by_unit {
        if a < b {
            if let Some(back) = by_unit.get(&(b.clone(), a.clone())) {
                out.push(format!("{a} <-> {b} ({file}; {back})"));
            }
        }
    }
    out
}

#[test]
fn top_level_modules_do_not_import_each_other_back() {
    let edges = edges();
    assert!(
        edges.len() > 100,
        "too few imports found: the scan is broken"
    );
    let cycles = mutual(&edges, |m| m.first().cloned());
    assert!(
        cycles.is_empty(),
        "modules that import each other:\n{}",
        cycles.join("\n")
    );
    let longer = on_cycles(&unit_edges(&edges, |m| m.first().cloned()));
    assert!(longer.is_empty(), "modules on an import cycle: {longer:?}");
}

/// Data flows one way: each top-level module imports only those before it here.
const LAYERS: &[&str] = &[
    "util", "pep", "manifest", "index", "resolve", "lock", "verify", "project", "snapshot",
    "fuzzing",
];

#[test]
fn data_flows_manifest_index_resolve_lock() {
    let edges = edges();
    let layer = |m: &[String]| {
        let first = m.first()?;
        Some(LAYERS.iter().position(|l| l == first).unwrap_or_else(|| {
            panic!("top-level module `{first}` is not in LAYERS: place it in the data flow")
        }))
    };
    let mut upward = Vec::new();
    for ((from, to), file) in &edges {
        if let (Some(a), Some(b)) = (layer(from), layer(to)) {
            if b > a {
                upward.push(format!("{} imports {} ({file})", LAYERS[a], LAYERS[b]));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports against the data flow:\n{}",
        upward.join("\n")
    );
}

#[test]
fn resolve_modules_do_not_import_each_other_back() {
    let edges = edges();
    let cycles = mutual(&edges, resolve_child);
    assert!(
        cycles.is_empty(),
        "modules of resolve/ that import each other:\n{}",
        cycles.join("\n")
    );
    let longer = on_cycles(&unit_edges(&edges, resolve_child));
    assert!(
        longer.is_empty(),
        "modules of resolve/ on an import cycle: {longer:?}"
    );
}

/// Inside every module, its child modules do not import each other back either (the
/// parent's own file, which wires its children, is left out as for `resolve/`).
#[test]
fn sibling_modules_do_not_import_each_other_back() {
    let edges = edges();
    let parents: BTreeSet<Vec<String>> = (edges.keys())
        .flat_map(|(from, to)| [from, to])
        .flat_map(|m| (1..m.len()).map(|n| m[..n].to_vec()))
        .collect();
    let mut found = Vec::new();
    for parent in &parents {
        let child = |m: &[String]| {
            (m.len() > parent.len() && m.starts_with(parent)).then(|| m[parent.len()].clone())
        };
        for pair in mutual(&edges, child) {
            found.push(format!("in {}: {pair}", parent.join("::")));
        }
        for unit in on_cycles(&unit_edges(&edges, child)) {
            found.push(format!(
                "in {}: {unit} is on an import cycle",
                parent.join("::")
            ));
        }
    }
    assert!(
        found.is_empty(),
        "sibling modules on an import cycle:\n{}",
        found.join("\n")
    );
}

/// The module directly inside `resolve/` that `m` is or is in.
fn resolve_child(m: &[String]) -> Option<String> {
    match m {
        [first, child, ..] if first == "resolve" => Some(child.clone()),
        _ => None,
    }
}

/// The scan sees what it must: re-exports followed to their module, `super` paths, and
/// nothing in comments or strings.
#[test]
fn the_scan_finds_imports_and_ignores_comments_and_strings() {
    let src = "use super::{a::B, c};\n// use crate::x::Y;\nlet s = \"crate::z::W\";\nfn f() { crate::pep::or(); }\n#[cfg(test)]\nmod tests { use crate::t::U; }\n";
    let refs = scan(&lex(src), &["resolve".to_owned(), "m".to_owned()]);
    let abs: Vec<Vec<String>> = (refs.paths.iter())
        .filter_map(|(m, p)| absolute(m, p, &BTreeSet::new()))
        .collect();
    let expect: Vec<Vec<String>> = [
        &["resolve", "a", "B"][..],
        &["resolve", "c"],
        &["pep", "or"],
    ]
    .iter()
    .map(|p| p.iter().map(|s| s.to_string()).collect())
    .collect();
    assert_eq!(abs, expect);
}

/// A cycle is reported: two modules that name each other are found by the check.
#[test]
fn a_mutual_import_is_reported() {
    let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut edges = BTreeMap::new();
    edges.insert(
        (v(&["manifest", "target"]), v(&["index"])),
        "a.rs".to_owned(),
    );
    edges.insert((v(&["index", "page"]), v(&["manifest"])), "b.rs".to_owned());
    let cycles = mutual(&edges, |m| m.first().cloned());
    assert_eq!(cycles, vec!["index <-> manifest (b.rs; a.rs)".to_owned()]);
    // A longer cycle (manifest -> index -> lock -> manifest) is found too, and a module that
    // only hangs off it is not on it.
    edges.remove(&(v(&["index", "page"]), v(&["manifest"])));
    edges.insert((v(&["index"]), v(&["lock"])), "c.rs".to_owned());
    edges.insert((v(&["lock"]), v(&["manifest"])), "d.rs".to_owned());
    edges.insert((v(&["verify"]), v(&["lock"])), "e.rs".to_owned());
    let units = unit_edges(&edges, |m| m.first().cloned());
    let on: Vec<String> = on_cycles(&units).into_iter().collect();
    assert_eq!(on, ["index", "lock", "manifest"]);
    edges.remove(&(v(&["lock"]), v(&["manifest"])));
    assert!(on_cycles(&unit_edges(&edges, |m| m.first().cloned())).is_empty());
}
