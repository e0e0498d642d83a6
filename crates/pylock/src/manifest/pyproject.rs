//! `pyproject.toml` as a project: `[project]` dependencies, `requires-python`, extras
//! (`[project.optional-dependencies]`) and PEP 735 dependency groups (`[dependency-groups]`,
//! with `{include-group = "..."}`), plus a [`Selection`] that turns it into the requirements of
//! one single-use resolve. A multi-use lock can read every extra and group from [`Project`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use super::direct::Local;
use super::part::{GroupName, Part};
use super::toml_doc::{key, Doc, TomlError, Value};
use super::{parse_requirement_in, ManifestError};
use crate::pep::{ExtraName, PackageName, Requirement, Version, VersionSpecifiers};

/// What a `pyproject.toml` declares.
#[derive(Clone, Debug, Default)]
pub struct Project {
    /// The file read.
    pub path: PathBuf,
    /// `[project] name`, if there is a `[project]` table.
    pub name: Option<PackageName>,
    /// `[project] version`, when given statically.
    pub version: Option<Version>,
    /// `[project] dynamic`: the fields only a build can tell (normalized to lowercase).
    pub dynamic: Vec<String>,
    /// `[project] requires-python`.
    pub requires_python: Option<VersionSpecifiers>,
    /// `[project] dependencies`.
    pub dependencies: Vec<Requirement>,
    /// `[project.optional-dependencies]`, by normalized extra name.
    pub extras: BTreeMap<ExtraName, Vec<Requirement>>,
    /// `[dependency-groups]`, by normalized group name, includes expanded in place.
    pub groups: BTreeMap<GroupName, Vec<Requirement>>,
    /// `[tool.pylock] conflicts`: sets of extras and groups never selected together.
    pub(crate) conflicts: Vec<Vec<Part>>,
}

/// Which parts of a project a single-use resolve installs (as `uv pip compile` /
/// `uv sync` select them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Extras to add (`--extra`).
    pub extras: Vec<ExtraName>,
    /// Every extra (`--all-extras`).
    pub all_extras: bool,
    /// Groups to add to the project's dependencies (`--group`).
    pub groups: Vec<GroupName>,
    /// Every group (`--all-groups`).
    pub all_groups: bool,
    /// Groups to install instead of the project's dependencies and extras (`--only-group`).
    pub only_groups: Vec<GroupName>,
}

impl Project {
    /// Read a `pyproject.toml`.
    pub fn read(path: &Path) -> Result<Self, ManifestError> {
        let text = super::read_text(path)?;
        let read = Doc::parse(path, &text).and_then(|doc| read_doc(&doc, true));
        read.map_err(TomlError::into_manifest)
    }

    /// What a `pyproject.toml` publishes as a dependency (name, version, dependencies,
    /// extras): its dependency groups and `[tool.pylock]` are not read, so that a path
    /// referenced only from a group (a dev checkout) need not exist where it is depended on.
    pub(crate) fn read_published(path: &Path) -> Result<Self, ManifestError> {
        let text = super::read_text(path)?;
        let read = Doc::parse(path, &text).and_then(|doc| read_doc(&doc, false));
        read.map_err(TomlError::into_manifest)
    }

    /// The requirements `selection` installs. An extra or group the project does not
    /// declare is an error naming it. Requirements on the project itself (`app[gpu]` in an
    /// extra or group) are replaced by the extras they name.
    pub fn select(&self, selection: &Selection) -> Result<Vec<Requirement>, ManifestError> {
        let unknown =
            |what: &str, name: &dyn fmt::Display, known: Vec<String>| ManifestError::Selection {
                path: self.path.clone(),
                message: format!(
                    "no {what} named `{name}` (it declares: {})",
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                ),
            };
        let base = selection.only_groups.is_empty();
        let with_extras = base && (selection.all_extras || !selection.extras.is_empty());
        self.check_static("dependencies", base)?;
        self.check_static("optional-dependencies", with_extras)?;
        let mut out = Vec::new();
        for g in selection.groups.iter().chain(&selection.only_groups) {
            if !self.groups.contains_key(g) {
                let known = self.groups.keys().map(ToString::to_string).collect();
                return Err(unknown("dependency group", g, known));
            }
        }
        if selection.only_groups.is_empty() {
            let mut extras: BTreeSet<&ExtraName> = selection.extras.iter().collect();
            if selection.all_extras {
                extras.extend(self.extras.keys());
            }
            for e in &extras {
                if !self.extras.contains_key(*e) {
                    let known = self.extras.keys().map(ToString::to_string).collect();
                    return Err(unknown("extra", e, known));
                }
            }
            out.extend(self.dependencies.iter().cloned());
            for e in extras {
                out.extend(self.extras[e].iter().cloned());
            }
        }
        let groups: BTreeSet<&GroupName> = if selection.all_groups {
            self.groups.keys().collect()
        } else {
            selection
                .groups
                .iter()
                .chain(&selection.only_groups)
                .collect()
        };
        for g in groups {
            out.extend(self.groups[g].iter().cloned());
        }
        self.expand_self(out, selection.only_groups.is_empty())
    }

    /// An error when `field` is needed and `[project] dynamic` lists it: only a build of the
    /// project can tell it, and pylock builds nothing (an empty list would lock nothing).
    fn check_static(&self, field: &str, needed: bool) -> Result<(), ManifestError> {
        if needed && self.dynamic.iter().any(|d| d == field) {
            return Err(ManifestError::Selection {
                path: self.path.clone(),
                message: format!(
                    "`[project] dynamic` lists `{field}`: only a build of the project can tell them, and pylock builds nothing; list them statically"
                ),
            });
        }
        Ok(())
    }

    /// Replace requirements on the project itself (`app`, `app[gpu]`) by its dependencies
    /// (unless already included without a marker) and the extras they name.
    fn expand_self(
        &self,
        requirements: Vec<Requirement>,
        base_included: bool,
    ) -> Result<Vec<Requirement>, ManifestError> {
        let Some(name) = &self.name else {
            return Ok(requirements);
        };
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let mut base_done = base_included;
        let mut todo: Vec<Requirement> = requirements.into_iter().rev().collect();
        while let Some(req) = todo.pop() {
            if &req.name != name {
                out.push(req);
                continue;
            }
            let marker = req.marker.try_to_string();
            let mut parts: Vec<&Vec<Requirement>> = Vec::new();
            if !base_done && seen.insert((None, marker.clone())) {
                base_done = marker.is_none();
                parts.push(&self.dependencies);
            }
            for extra in &req.extras {
                if seen.insert((Some(extra.clone()), marker.clone())) {
                    let Some(reqs) = self.extras.get(extra) else {
                        return Err(ManifestError::Selection {
                            path: self.path.clone(),
                            message: format!(
                                "`{req}` asks for the project's extra `{extra}`, which it does not declare"
                            ),
                        });
                    };
                    parts.push(reqs);
                }
            }
            for r in parts.into_iter().rev().flat_map(|p| p.iter().rev()) {
                let mut r = r.clone();
                r.marker.and(req.marker.clone());
                todo.push(r);
            }
        }
        Ok(out)
    }
}

fn read_doc(doc: &Doc<'_>, groups_and_tool: bool) -> Result<Project, TomlError> {
    let mut project = Project {
        path: doc.path.to_owned(),
        ..Project::default()
    };
    let table = doc.root.get("project");
    let groups = doc.root.get("dependency-groups");
    if table.is_none() && groups.is_none() {
        return Err(doc.err_at(0, "no [project] or [dependency-groups] table"));
    }
    if let Some(table) = table {
        let table = doc.table(table, "[project]")?;
        if let Some((name, span)) = doc.opt_string(table, "name")? {
            let parsed = crate::pep::parse::value(name).map_err(|e| doc.err(span, e))?;
            project.name = Some(parsed);
        }
        if let Some((version, span)) = doc.opt_string(table, "version")? {
            let parsed = crate::pep::parse::value(version)
                .map_err(|e| doc.err(span, format!("invalid version: {e}")))?;
            project.version = Some(parsed);
        }
        project.dynamic = doc
            .opt_strings(table, "dynamic")?
            .into_iter()
            .map(|(s, _)| s.to_ascii_lowercase())
            .collect();
        if let Some((spec, span)) = doc.opt_string(table, "requires-python")? {
            let parsed = crate::pep::parse::specifiers(spec).map_err(|e| {
                doc.err_at(
                    span.start + 1 + e.offset,
                    format!("invalid requires-python: {e}"),
                )
            })?;
            project.requires_python = Some(parsed);
        }
        project.dependencies = requirements(doc, doc.opt_strings(table, "dependencies")?)?;
        if let Some(extras) = table.get("optional-dependencies") {
            for (k, v) in doc.table(extras, "[project.optional-dependencies]")? {
                let extra: ExtraName = crate::pep::parse::value(key(k))
                    .map_err(|e| doc.err(k.span(), format!("invalid extra name: {e}")))?;
                let list = doc
                    .array(v, &format!("extra `{}`", key(k)))?
                    .iter()
                    .map(|v| Ok((doc.string(v, "a requirement")?, v.span())))
                    .collect::<Result<Vec<_>, TomlError>>()?;
                // A dependency's extras are read only when asked for: their local
                // references need not exist until then.
                let local = if groups_and_tool {
                    Local::MustExist
                } else {
                    Local::MayBeMissing
                };
                let reqs = requirements_in(doc, list, local)?;
                if project.extras.insert(extra.clone(), reqs).is_some() {
                    return Err(doc.err(
                        k.span(),
                        format!("extra `{extra}` is declared twice (names are normalized)"),
                    ));
                }
            }
        }
    }
    if !groups_and_tool {
        return Ok(project);
    }
    if let Some(groups) = groups {
        project.groups = dependency_groups(doc, doc.table(groups, "[dependency-groups]")?)?;
    }
    project.conflicts = super::conflicts::read(doc, |part| match part {
        Part::Extra(extra) => project.extras.contains_key(extra),
        Part::Group(group) => project.groups.contains_key(group),
    })?;
    Ok(project)
}

/// Parse requirement strings with their spans (the span starts at the opening quote).
fn requirements(
    doc: &Doc<'_>,
    list: Vec<(&str, std::ops::Range<usize>)>,
) -> Result<Vec<Requirement>, TomlError> {
    requirements_in(doc, list, Local::MustExist)
}

/// [`requirements`], local paths checked as `local` says.
fn requirements_in(
    doc: &Doc<'_>,
    list: Vec<(&str, std::ops::Range<usize>)>,
    local: Local,
) -> Result<Vec<Requirement>, TomlError> {
    list.into_iter()
        .map(|(text, span)| {
            let (line, column) = super::line_col(doc.text, span.start + 1);
            let base = doc.path.parent().unwrap_or(Path::new("."));
            let parsed = parse_requirement_in(text, doc.path, line, column - 1, base, local);
            parsed.map(|(req, _)| req).map_err(|e| match e {
                ManifestError::Parse {
                    path,
                    line,
                    column,
                    message,
                } => TomlError {
                    path,
                    line,
                    column,
                    message,
                },
                other => doc.err(span, other.to_string()),
            })
        })
        .collect()
}

/// One group's entries: requirements, or includes of other groups.
enum Entry<'a> {
    Requirement(&'a str, std::ops::Range<usize>),
    Include(GroupName, std::ops::Range<usize>),
}

/// PEP 735 `[dependency-groups]`, includes expanded; cycles and unknown includes are errors
/// naming the group.
fn dependency_groups(
    doc: &Doc<'_>,
    table: &toml::de::DeTable<'_>,
) -> Result<BTreeMap<GroupName, Vec<Requirement>>, TomlError> {
    let mut raw: BTreeMap<GroupName, (std::ops::Range<usize>, Vec<Entry<'_>>)> = BTreeMap::new();
    for (k, v) in table {
        let name: GroupName = key(k).parse().map_err(|e: String| doc.err(k.span(), e))?;
        let mut entries = Vec::new();
        for item in doc.array(v, &format!("dependency group `{}`", key(k)))? {
            entries.push(entry(doc, item)?);
        }
        if raw.insert(name.clone(), (k.span(), entries)).is_some() {
            return Err(doc.err(
                k.span(),
                format!("dependency group `{name}` is declared twice (names are normalized)"),
            ));
        }
    }
    // Each group is expanded once, its requirements without repeats: groups that include
    // another twice, at every level, would otherwise grow exponentially.
    let mut out = BTreeMap::new();
    for name in raw.keys() {
        expand_group(doc, &raw, name, &mut Vec::new(), &mut out)?;
    }
    Ok(out)
}

fn entry<'a>(doc: &Doc<'a>, item: &'a Value<'a>) -> Result<Entry<'a>, TomlError> {
    if let toml::de::DeValue::String(s) = item.get_ref() {
        return Ok(Entry::Requirement(s, item.span()));
    }
    let t = doc.table(
        item,
        "a dependency group entry (a string or {include-group = ...})",
    )?;
    let Some((target, span)) = doc.opt_string(t, "include-group")? else {
        return Err(doc.err(
            item.span(),
            "a table in a dependency group needs `include-group`",
        ));
    };
    if let Some((k, _)) = t.iter().find(|(k, _)| key(k) != "include-group") {
        return Err(doc.err(k.span(), format!("unknown key `{}` in an include", key(k))));
    }
    let name = target
        .parse()
        .map_err(|e: String| doc.err(span.clone(), e))?;
    Ok(Entry::Include(name, span))
}

fn expand_group(
    doc: &Doc<'_>,
    raw: &BTreeMap<GroupName, (std::ops::Range<usize>, Vec<Entry<'_>>)>,
    name: &GroupName,
    stack: &mut Vec<GroupName>,
    done: &mut BTreeMap<GroupName, Vec<Requirement>>,
) -> Result<Vec<Requirement>, TomlError> {
    if let Some(expanded) = done.get(name) {
        return Ok(expanded.clone());
    }
    let (span, entries) = &raw[name];
    if stack.contains(name) {
        stack.push(name.clone());
        let cycle: Vec<String> = stack.iter().map(ToString::to_string).collect();
        return Err(doc.err(
            span.clone(),
            format!(
                "dependency group `{name}` includes itself: {}",
                cycle.join(" -> ")
            ),
        ));
    }
    stack.push(name.clone());
    let mut out = Vec::new();
    for e in entries {
        match e {
            Entry::Requirement(text, span) => {
                out.extend(requirements(doc, vec![(text, span.clone())])?);
            }
            Entry::Include(target, span) => {
                if !raw.contains_key(target) {
                    return Err(doc.err(
                        span.clone(),
                        format!(
                            "dependency group `{name}` includes `{target}`, which is not declared"
                        ),
                    ));
                }
                out.extend(expand_group(doc, raw, target, stack, done)?);
            }
        }
    }
    stack.pop();
    let mut seen = std::collections::HashSet::new();
    out.retain(|r| seen.insert(r.clone()));
    done.insert(name.clone(), out.clone());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(tag: &str, body: &str) -> Result<Project, ManifestError> {
        // Tests run in parallel and share tags: each call gets its own directory.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "pylock-pyproject-{tag}-{}-{call}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("pyproject.toml");
        std::fs::write(&path, body).expect("write");
        let p = Project::read(&path);
        std::fs::remove_dir_all(&dir).ok();
        p
    }

    fn names(reqs: &[Requirement]) -> Vec<String> {
        reqs.iter().map(ToString::to_string).collect()
    }

    const APP: &str = r#"[project]
name = "App"
requires-python = ">=3.10"
dependencies = ["a>=1"]

[project.optional-dependencies]
GPU = ["torch"]
all = ["app[gpu]; sys_platform == 'linux'", "rich"]

[dependency-groups]
Test_Suite = ["pytest", {include-group = "lint"}]
lint = ["ruff"]
dev = [{include-group = "test-suite"}, "app[all]"]
"#;

    #[test]
    fn extras_and_groups_are_read_and_normalized() {
        let p = project("read", APP).expect("reads");
        assert_eq!(p.name.as_ref().map(AsRef::as_ref), Some("app"));
        assert_eq!(names(&p.dependencies), ["a>=1"]);
        assert_eq!(
            p.extras.keys().map(ToString::to_string).collect::<Vec<_>>(),
            ["all", "gpu"]
        );
        assert_eq!(
            p.groups.keys().map(ToString::to_string).collect::<Vec<_>>(),
            ["dev", "lint", "test-suite"]
        );
        assert_eq!(
            names(&p.groups[&"test-suite".parse().expect("g")]),
            ["pytest", "ruff"]
        );
    }

    #[test]
    fn groups_that_include_others_twice_stay_small() {
        let mut text = String::from("[project]\nname = \"app\"\n[dependency-groups]\n");
        for i in 0..40 {
            let next = i + 1;
            text.push_str(&format!(
                "g{i} = [\"a{i}\", {{include-group = \"g{next}\"}}, {{include-group = \"g{next}\"}}]\n"
            ));
        }
        text.push_str("g40 = [\"end\"]\n");
        let started = std::time::Instant::now();
        let p = project("twice", &text).expect("reads");
        assert_eq!(p.groups[&"g0".parse().expect("g")].len(), 41);
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    }

    #[test]
    fn selections_yield_single_use_requirements() {
        let p = project("select", APP).expect("reads");
        let g = |s: &str| s.parse::<GroupName>().expect("group");
        let e = |s: &str| s.parse::<ExtraName>().expect("extra");
        assert_eq!(
            names(&p.select(&Selection::default()).expect("ok")),
            ["a>=1"]
        );
        let sel = Selection {
            extras: vec![e("all")],
            groups: vec![g("Lint")],
            ..Selection::default()
        };
        assert_eq!(
            names(&p.select(&sel).expect("ok")),
            ["a>=1", "torch ; sys_platform == 'linux'", "rich", "ruff"]
        );
        let only = Selection {
            extras: vec![e("gpu")],
            only_groups: vec![g("dev")],
            ..Selection::default()
        };
        assert_eq!(
            names(&p.select(&only).expect("ok")),
            // `app[all]` in a group brings the project's own dependencies too.
            [
                "pytest",
                "ruff",
                "a>=1",
                "torch ; sys_platform == 'linux'",
                "rich"
            ]
        );
        let all = Selection {
            all_extras: true,
            all_groups: true,
            ..Selection::default()
        };
        // A self-reference expanded once is not expanded again.
        assert_eq!(p.select(&all).expect("ok").len(), 10);
        for bad in [
            Selection {
                extras: vec![e("nope")],
                ..Selection::default()
            },
            Selection {
                groups: vec![g("nope")],
                ..Selection::default()
            },
        ] {
            let msg = p.select(&bad).expect_err("unknown").to_string();
            assert!(
                msg.contains("named `nope`") && msg.contains("pyproject.toml"),
                "{msg}"
            );
        }
    }

    #[test]
    fn group_errors_name_the_group_and_position() {
        let cycle =
            "[dependency-groups]\na = [{include-group = \"b\"}]\nb = [{include-group = \"A\"}]\n";
        let msg = project("cycle", cycle).expect_err("cycle").to_string();
        assert!(
            msg.contains("pyproject.toml:2:1: dependency group `a` includes itself: a -> b -> a"),
            "{msg}"
        );
        let unknown = "[dependency-groups]\na = [\"x\", {include-group = \"zz\"}]\n";
        let msg = project("unknown", unknown)
            .expect_err("unknown")
            .to_string();
        assert!(
            msg.contains(":2:28: dependency group `a` includes `zz`, which is not declared"),
            "{msg}"
        );
        let twice = "[dependency-groups]\nA_b = []\na-b = []\n";
        let msg = project("twice", twice).expect_err("twice").to_string();
        assert!(msg.contains("declared twice"), "{msg}");
        let bad = "[project]\nname = \"x\"\n[project.optional-dependencies]\ncli = [\n  \"click >>= 1\",\n]\n";
        let msg = project("bad", bad).expect_err("bad req").to_string();
        assert!(msg.contains("pyproject.toml:5:"), "{msg}");
        let msg = project("none", "[tool.x]\n")
            .expect_err("empty")
            .to_string();
        assert!(msg.contains("no [project] or [dependency-groups]"), "{msg}");
    }

    #[test]
    fn what_only_a_build_can_tell_is_an_error_not_an_empty_lock() {
        let dynamic = "[project]\nname = \"d\"\nversion = \"1\"\ndynamic = [\"dependencies\"]\n";
        let p = project("dyn", dynamic).expect("reads");
        let msg = p
            .select(&Selection::default())
            .expect_err("dynamic dependencies")
            .to_string();
        assert!(
            msg.contains("`[project] dynamic` lists `dependencies`"),
            "{msg}"
        );
        // Groups alone do not need the project's dependencies.
        let groups_only = format!("{dynamic}[dependency-groups]\ntest = [\"pytest\"]\n");
        let p = project("dyn-groups", &groups_only).expect("reads");
        let only_test = Selection {
            only_groups: vec!["test".parse().expect("group")],
            ..Selection::default()
        };
        assert_eq!(
            names(&p.select(&only_test).expect("groups only")),
            ["pytest"]
        );
        let extras = "[project]\nname = \"d\"\ndependencies = [\"a\"]\ndynamic = [\"optional-dependencies\"]\n";
        let p = project("dyn-extras", extras).expect("reads");
        assert_eq!(
            names(&p.select(&Selection::default()).expect("base")),
            ["a"]
        );
        let all = Selection {
            all_extras: true,
            ..Selection::default()
        };
        let msg = p.select(&all).expect_err("dynamic extras").to_string();
        assert!(msg.contains("lists `optional-dependencies`"), "{msg}");
    }

    #[test]
    fn extras_must_be_declared_once_and_exist_when_the_project_names_them() {
        let twice = "[project]\nname = \"x\"\n[project.optional-dependencies]\nFoo_Bar = [\"a\"]\nfoo-bar = [\"b\"]\n";
        let msg = project("extra-twice", twice)
            .expect_err("twice")
            .to_string();
        assert!(msg.contains("extra `foo-bar` is declared twice"), "{msg}");
        let unknown = "[project]\nname = \"s\"\n[project.optional-dependencies]\ncli = [\"click\"]\nall = [\"s[nope]\"]\n";
        let p = project("self-unknown", unknown).expect("reads");
        let all = Selection {
            all_extras: true,
            ..Selection::default()
        };
        let msg = p.select(&all).expect_err("undeclared").to_string();
        assert!(
            msg.contains("extra `nope`, which it does not declare"),
            "{msg}"
        );
    }
}
