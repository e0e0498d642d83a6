//! What changes between two locks: packages added, removed, upgraded or downgraded, where a
//! package is installed (its marker) and which files it offers; and the lock's own
//! `requires-python`, `environments`, `extras`, `dependency-groups` and `default-groups`.
//! Works on any tool's locks: markers are compared by
//! meaning (within where each lock applies), files by name and hash, not by URL.
//!
//! A package locked at several versions under different markers (a universal lock's
//! per-environment versions) is compared per environment: equal versions pair first, then
//! versions whose markers overlap, and what is left is added or removed.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{Lock, LockMarker, LockedPackage, Source};
use crate::pep::{and, is_possible, or, python_marker, MarkerTree, Version};

/// The differences between two locks, sorted by package name, then old and new version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockDiff {
    /// `requires-python` (old, new), when it changes.
    pub requires_python: Option<(String, String)>,
    /// `environments` (old, new), when they change.
    pub environments: Option<(Vec<String>, Vec<String>)>,
    /// `extras` (old, new), when they change.
    pub extras: Option<(Vec<String>, Vec<String>)>,
    /// `dependency-groups` (old, new), when they change.
    pub dependency_groups: Option<(Vec<String>, Vec<String>)>,
    /// `default-groups` (old, new), when they change.
    pub default_groups: Option<(Vec<String>, Vec<String>)>,
    /// Package changes.
    pub changes: Vec<PackageChange>,
}

/// One change of one package (of one of its versions, where it has several).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PackageChange {
    /// Normalized name.
    pub name: String,
    /// What happens ([`PackageChange::kind`]).
    pub(crate) kind: ChangeKind,
    /// The old version (absent when added).
    pub old: Option<String>,
    /// The new version (absent when removed).
    pub new: Option<String>,
    /// The marker of the entry concerned, as its lock writes it (the new entry's, but for a
    /// removal): where the change applies. Absent: everywhere its lock applies.
    pub marker: Option<String>,
    /// For a `marker` change: the old marker (absent: everywhere).
    pub old_marker: Option<String>,
}

/// The kinds of [`PackageChange`], in the order a summary counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ChangeKind {
    /// A package (or one more version of it) is locked that was not.
    Added,
    /// A package (or one of its versions) is no longer locked.
    Removed,
    /// A newer version replaces an older one.
    Upgraded,
    /// An older version replaces a newer one.
    Downgraded,
    /// The same version is installed in other environments.
    Marker,
    /// The same version offers other files (names or hashes).
    Files,
}

impl ChangeKind {
    /// The word for it: `added`, `removed`, `upgraded`, `downgraded`, `marker`, `files`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Upgraded => "upgraded",
            ChangeKind::Downgraded => "downgraded",
            ChangeKind::Marker => "marker",
            ChangeKind::Files => "files",
        }
    }
}

impl PackageChange {
    /// What happens, in one word: `added` (a package, or one more version of it, is locked
    /// that was not), `removed` (a package or one of its versions is no longer locked),
    /// `upgraded` / `downgraded` (a newer / older version replaces one), `marker` (the same
    /// version is installed in other environments: [`PackageChange::old_marker`] to
    /// [`PackageChange::marker`]) or `files` (the same version offers other files, names or
    /// hashes). Later releases may add words.
    ///
    /// ```
    /// use pylock::{LockDiff, LockFile};
    ///
    /// let old = LockFile::parse(
    ///     "old.toml".as_ref(),
    ///     "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\nversion = \"1.0\"\n",
    /// )?;
    /// let new = LockFile::parse(
    ///     "new.toml".as_ref(),
    ///     "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\nversion = \"2.0\"\n",
    /// )?;
    /// let diff: LockDiff = old.diff(&new);
    /// assert_eq!(diff.changes[0].kind(), "upgraded");
    /// # Ok::<(), pylock::ManifestError>(())
    /// ```
    pub fn kind(&self) -> &'static str {
        self.kind.as_str()
    }
}

impl super::LockFile {
    /// The differences from this lock to `new` (see [`LockDiff::between`]).
    pub fn diff(&self, new: &super::LockFile) -> LockDiff {
        diff(&self.lock, &new.lock)
    }
}

impl LockDiff {
    /// The differences from `old` to `new`.
    pub fn between(old: &Lock, new: &Lock) -> Self {
        diff(old, new)
    }
}

fn diff(old: &Lock, new: &Lock) -> LockDiff {
    let mut out = LockDiff::default();
    if old.requires_python != new.requires_python {
        out.requires_python = Some((old.requires_python.clone(), new.requires_python.clone()));
    }
    out.environments = changed(&old.environments, &new.environments);
    out.extras = changed(&old.extras, &new.extras);
    out.dependency_groups = changed(&old.dependency_groups, &new.dependency_groups);
    out.default_groups = changed(&old.default_groups, &new.default_groups);
    // Markers are compared where both locks apply: a narrower `requires-python` is one
    // change of its own, not a marker change of every package.
    let common = and(&scope(old), &scope(new));
    let names: BTreeSet<&str> = old
        .packages
        .iter()
        .chain(&new.packages)
        .map(|p| p.name.as_str())
        .collect();
    for name in names {
        let olds = entries(old, name, &common);
        let news = entries(new, name, &common);
        diff_package(&olds, &news, &mut out.changes);
    }
    out
}

/// `(old, new)` when the lists differ as sets.
fn changed(old: &[String], new: &[String]) -> Option<(Vec<String>, Vec<String>)> {
    let sorted = |e: &[String]| e.iter().cloned().collect::<BTreeSet<_>>();
    (sorted(old) != sorted(new)).then(|| (old.to_vec(), new.to_vec()))
}

/// The entries of `name` in `lock`, by version.
fn entries<'a>(lock: &'a Lock, name: &str, scope: &MarkerTree) -> Vec<Entry<'a>> {
    let mut v: Vec<Entry> = lock
        .packages
        .iter()
        .filter(|p| p.name == name)
        .map(|p| Entry::new(p, scope))
        .collect();
    v.sort_by(|a, b| a.version.cmp(&b.version));
    v
}

/// Where a lock applies, as a marker: its `requires-python` and any of its `environments`.
fn scope(lock: &Lock) -> MarkerTree {
    let python = crate::pep::parse::specifiers(&lock.requires_python)
        .map(|s| python_marker(&s))
        .unwrap_or(MarkerTree::TRUE);
    let mut envs = if lock.environments.is_empty() {
        MarkerTree::TRUE
    } else {
        MarkerTree::FALSE
    };
    for e in &lock.environments {
        let tree = e
            .parse::<LockMarker>()
            .map_or(MarkerTree::TRUE, |m| m.tree().clone());
        envs = or(&envs, &tree);
    }
    and(&python, &envs)
}

/// One `[[packages]]` entry as compared.
struct Entry<'a> {
    package: &'a LockedPackage,
    version: Option<Version>,
    /// The marker where both locks apply.
    region: MarkerTree,
}

impl<'a> Entry<'a> {
    fn new(package: &'a LockedPackage, scope: &MarkerTree) -> Self {
        let marker = package
            .marker
            .as_deref()
            .and_then(|m| m.parse::<LockMarker>().ok())
            .map_or(MarkerTree::TRUE, |m| m.tree().clone());
        Self {
            package,
            version: crate::pep::parse::value::<Version>(&package.version).ok(),
            region: and(&marker, scope),
        }
    }

    /// The files it offers (name, hash), and where a source that is not index files is.
    fn files(&self) -> BTreeSet<(String, Option<String>)> {
        let p = self.package;
        let mut out: BTreeSet<(String, Option<String>)> = p
            .sdist
            .iter()
            .chain(&p.wheels)
            .map(|f| (f.file_name(), f.sha256.clone()))
            .collect();
        match &p.source {
            Some(Source::Archive { file, .. }) => {
                out.insert((file.file_name(), file.sha256.clone()));
            }
            Some(Source::Vcs { commit_id, .. }) => {
                out.insert(("vcs".into(), Some(commit_id.clone())));
            }
            Some(Source::Directory { path, .. }) => {
                out.insert(("directory".into(), Some(path.clone())));
            }
            None => {}
        }
        out
    }
}

fn diff_package(olds: &[Entry<'_>], news: &[Entry<'_>], out: &mut Vec<PackageChange>) {
    let mut old_left: Vec<bool> = vec![true; olds.len()];
    let mut new_left: Vec<bool> = vec![true; news.len()];
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    // Equal versions first, then overlapping markers; a package with one entry on each side
    // pairs whatever its markers.
    let single = olds.len() == 1 && news.len() == 1;
    for by_version in [true, false] {
        for (i, o) in olds.iter().enumerate() {
            if !old_left[i] {
                continue;
            }
            let pairs_with = |n: &Entry| {
                if by_version {
                    o.package.version == n.package.version
                } else {
                    single || is_possible(&and(&o.region, &n.region))
                }
            };
            if let Some(j) = (0..news.len()).find(|&j| new_left[j] && pairs_with(&news[j])) {
                old_left[i] = false;
                new_left[j] = false;
                pairs.push((i, j));
            }
        }
    }
    let mut changes: Vec<PackageChange> = Vec::new();
    let change = |kind, o: Option<&Entry>, n: Option<&Entry>| PackageChange {
        name: o.or(n).map(|e| e.package.name.clone()).unwrap_or_default(),
        kind,
        old: o.map(|e| e.package.version.clone()),
        new: n.map(|e| e.package.version.clone()),
        marker: n.or(o).and_then(|e| e.package.marker.clone()),
        old_marker: None,
    };
    for (i, j) in pairs {
        let (o, n) = (&olds[i], &news[j]);
        if o.package.version != n.package.version {
            let kind = match (&o.version, &n.version) {
                (Some(a), Some(b)) if b < a => ChangeKind::Downgraded,
                _ => ChangeKind::Upgraded,
            };
            changes.push(change(kind, Some(o), Some(n)));
            continue;
        }
        if o.region != n.region {
            changes.push(PackageChange {
                old_marker: o.package.marker.clone(),
                ..change(ChangeKind::Marker, Some(o), Some(n))
            });
        }
        if o.files() != n.files() {
            changes.push(change(ChangeKind::Files, Some(o), Some(n)));
        }
    }
    for (_, o) in olds.iter().enumerate().filter(|(i, _)| old_left[*i]) {
        changes.push(change(ChangeKind::Removed, Some(o), None));
    }
    for (_, n) in news.iter().enumerate().filter(|(j, _)| new_left[*j]) {
        changes.push(change(ChangeKind::Added, None, Some(n)));
    }
    changes.sort_by(|a, b| {
        let key = |c: &PackageChange| {
            let v = |s: &Option<String>| s.as_deref().and_then(|t| t.parse::<Version>().ok());
            (v(&c.old).or_else(|| v(&c.new)), c.kind)
        };
        key(a).cmp(&key(b))
    });
    out.extend(changes);
}

impl LockDiff {
    /// Whether the locks install the same packages at the same versions, in the same
    /// environments, from the same files, with the same `requires-python`, `environments`,
    /// `extras`, `dependency-groups` and `default-groups`.
    pub fn is_empty(&self) -> bool {
        self.requires_python.is_none()
            && self.lists().all(|(_, c)| c.is_none())
            && self.changes.is_empty()
    }

    /// The lock's list fields, by their TOML key, with their change.
    #[allow(clippy::type_complexity)] // the fields' own type
    fn lists(&self) -> impl Iterator<Item = (&'static str, &Option<(Vec<String>, Vec<String>)>)> {
        [
            ("environments", &self.environments),
            ("extras", &self.extras),
            ("dependency-groups", &self.dependency_groups),
            ("default-groups", &self.default_groups),
        ]
        .into_iter()
    }

    /// How many changes of each kind, in the order [`PackageChange::kind`] lists the kinds:
    /// `2 added, 1 upgraded`.
    pub fn summary(&self) -> String {
        let mut counts: std::collections::BTreeMap<ChangeKind, usize> = Default::default();
        for c in &self.changes {
            *counts.entry(c.kind).or_default() += 1;
        }
        let mut parts: Vec<String> = counts
            .iter()
            .map(|(k, n)| format!("{n} {}", k.as_str()))
            .collect();
        if self.requires_python.is_some() {
            parts.push("requires-python".into());
        }
        for (key, c) in self.lists() {
            if c.is_some() {
                parts.push(key.into());
            }
        }
        if parts.is_empty() {
            "no changes".into()
        } else {
            parts.join(", ")
        }
    }

    /// The diff as aligned plain-text lines, one per change, for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some((a, b)) = &self.requires_python {
            let _ = writeln!(out, "requires-python: {} -> {}", or_none(a), or_none(b));
        }
        for (key, c) in self.lists() {
            if let Some((a, b)) = c {
                let _ = writeln!(out, "{key}: {} -> {}", list(a), list(b));
            }
        }
        let width = self.changes.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for c in &self.changes {
            let what = match c.kind {
                ChangeKind::Added => format!("{:width$}  {}", c.name, version(&c.new)),
                ChangeKind::Removed => format!("{:width$}  {}", c.name, version(&c.old)),
                ChangeKind::Upgraded | ChangeKind::Downgraded | ChangeKind::Files => format!(
                    "{:width$}  {} -> {}",
                    c.name,
                    version(&c.old),
                    version(&c.new)
                ),
                ChangeKind::Marker => format!(
                    "{:width$}  {}: {} -> {}",
                    c.name,
                    version(&c.new),
                    marker_text(&c.old_marker),
                    marker_text(&c.marker)
                ),
            };
            let mut line = format!("{:<10}  {what}", c.kind.as_str());
            if let (Some(m), false) = (&c.marker, c.kind == ChangeKind::Marker) {
                let _ = write!(line, "  ({m})");
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        if out.is_empty() {
            out.push_str("no changes\n");
        }
        out
    }

    /// The diff as a Markdown table, for a pull-request comment.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        if let Some((a, b)) = &self.requires_python {
            let _ = writeln!(
                out,
                "`requires-python`: {} → {}\n",
                code(or_none(a)),
                code(or_none(b))
            );
        }
        for (key, c) in self.lists() {
            if let Some((a, b)) = c {
                let _ = writeln!(out, "`{key}`: {} → {}\n", code_list(a), code_list(b));
            }
        }
        if self.changes.is_empty() {
            out.push_str("No package changes.\n");
            return out;
        }
        out.push_str("| Package | Change | Old | New | Where |\n");
        out.push_str("|---|---|---|---|---|\n");
        for c in &self.changes {
            let cell = |s: &Option<String>| s.as_deref().map_or(String::new(), escape);
            let place = match c.kind {
                ChangeKind::Marker => format!(
                    "{} → {}",
                    escape(&marker_code(&c.old_marker)),
                    escape(&marker_code(&c.marker))
                ),
                _ => c
                    .marker
                    .as_deref()
                    .map_or(String::new(), |m| escape(&code(m))),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {place} |",
                escape(&c.name),
                c.kind.as_str(),
                cell(&c.old),
                cell(&c.new),
            );
        }
        out
    }
}

fn version(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

fn or_none(s: &str) -> &str {
    if s.is_empty() {
        "(none)"
    } else {
        s
    }
}

fn marker_text(m: &Option<String>) -> String {
    m.as_deref()
        .map_or_else(|| "everywhere".to_owned(), |m| format!("`{m}`"))
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "(none)".into();
    }
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A marker as a Markdown code span, `everywhere` when absent.
fn marker_code(m: &Option<String>) -> String {
    m.as_deref().map_or_else(|| "everywhere".to_owned(), code)
}

/// Items as Markdown code spans, `(none)` when empty.
fn code_list(items: &[String]) -> String {
    if items.is_empty() {
        return "(none)".into();
    }
    items.iter().map(|i| code(i)).collect::<Vec<_>>().join(", ")
}

/// `s` as a Markdown code span that nothing in it can end: fenced by one backtick more than
/// its longest run of backticks, padded with a space where it starts or ends with a
/// backtick (CommonMark strips one such space each side); newlines become spaces.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.is_empty()
        || s.starts_with('`')
        || s.ends_with('`')
        || (s.starts_with(' ') && s.ends_with(' '))
    {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A table cell: `|` escaped, newlines as spaces.
fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}
