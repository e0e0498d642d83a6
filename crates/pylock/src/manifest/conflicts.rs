//! `[tool.pylock] conflicts`: extras and dependency groups a project declares as never
//! installed together, in uv's spelling (`tool.uv.conflicts`):
//!
//! ```toml
//! [tool.pylock]
//! conflicts = [
//!     [{ extra = "old" }, { extra = "new" }],
//!     [{ group = "lint" }, { extra = "gpu" }],
//! ]
//! ```
//!
//! `pylock lock` also finds conflicts by itself; declaring them skips the search.

use super::part::{GroupName, Part};
use super::toml_doc::{key, Doc, TomlError, Value};
use crate::pep::ExtraName;

/// Read `[tool.pylock] conflicts`: sets of at least two extras or groups, each one that
/// `declared` says the project declares.
pub(super) fn read(
    doc: &Doc<'_>,
    declared: impl Fn(&Part) -> bool,
) -> Result<Vec<Vec<Part>>, TomlError> {
    let mut out = Vec::new();
    let Some(tool) = doc.root.get("tool") else {
        return Ok(out);
    };
    let Some(pylock) = doc.table(tool, "[tool]")?.get("pylock") else {
        return Ok(out);
    };
    let Some(conflicts) = doc.table(pylock, "[tool.pylock]")?.get("conflicts") else {
        return Ok(out);
    };
    for set in doc.array(conflicts, "`conflicts`")? {
        let items = doc.array(
            set,
            "a conflict set (an array of {extra = ...} / {group = ...})",
        )?;
        let mut parts = Vec::new();
        for item in items {
            let part = read_part(doc, item, &declared)?;
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
        if parts.len() < 2 {
            return Err(doc.err(
                set.span(),
                "a conflict set needs at least two different extras or groups",
            ));
        }
        out.push(parts);
    }
    Ok(out)
}

fn read_part(
    doc: &Doc<'_>,
    item: &Value<'_>,
    declared: &impl Fn(&Part) -> bool,
) -> Result<Part, TomlError> {
    let what = "a conflict entry ({ extra = \"name\" } or { group = \"name\" })";
    let table = doc.table(item, what)?;
    let mut entries = table.iter();
    let (Some((k, v)), None) = (entries.next(), entries.next()) else {
        return Err(doc.err(item.span(), format!("{what} must have exactly one key")));
    };
    let name = doc.string(v, &format!("`{}`", key(k)))?;
    let part = match key(k) {
        "extra" => {
            let extra: ExtraName = crate::pep::parse::value(name)
                .map_err(|e| doc.err(v.span(), format!("invalid extra name: {e}")))?;
            let part = Part::Extra(extra);
            if !declared(&part) {
                return Err(doc.err(
                    v.span(),
                    format!(
                        "conflicts name the extra `{name}`, which the project does not declare"
                    ),
                ));
            }
            part
        }
        "group" => {
            let group: GroupName = name.parse().map_err(|e: String| doc.err(v.span(), e))?;
            let part = Part::Group(group);
            if !declared(&part) {
                return Err(doc.err(
                    v.span(),
                    format!("conflicts name the dependency group `{name}`, which the project does not declare"),
                ));
            }
            part
        }
        other => {
            return Err(doc.err(
                k.span(),
                format!("unknown key `{other}` in a conflict entry (expected `extra` or `group`)"),
            ))
        }
    };
    Ok(part)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Project;

    fn read_project(tag: &str, body: &str) -> Result<Project, crate::ManifestError> {
        let dir =
            std::env::temp_dir().join(format!("pylock-conflicts-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("pyproject.toml");
        std::fs::write(&path, body).expect("write");
        let p = Project::read(&path);
        std::fs::remove_dir_all(&dir).ok();
        p
    }

    const HEAD: &str = "[project]\nname = \"x\"\n[project.optional-dependencies]\nOld = []\nnew = []\n[dependency-groups]\nlint = []\n[tool.pylock]\n";

    #[test]
    fn sets_of_extras_and_groups_are_read_normalized() {
        let body = format!(
            "{HEAD}conflicts = [[{{ extra = \"old\" }}, {{ extra = \"NEW\" }}], [{{ group = \"Lint\" }}, {{ extra = \"old\" }}, {{ group = \"lint\" }}]]\n"
        );
        let p = read_project("ok", &body).expect("reads");
        let e = |s: &str| Part::Extra(s.parse().expect("extra"));
        let g = |s: &str| Part::Group(s.parse().expect("group"));
        assert_eq!(
            p.conflicts,
            [vec![e("old"), e("new")], vec![g("lint"), e("old")]]
        );
        assert!(read_project("none", "[project]\nname = \"x\"\n")
            .expect("reads")
            .conflicts
            .is_empty());
    }

    #[test]
    fn bad_sets_are_errors_with_positions() {
        for (conflicts, says) in [
            (
                "[[{ extra = \"gone\" }, { extra = \"old\" }]]",
                "10:25: conflicts name the extra `gone`",
            ),
            (
                "[[{ group = \"gone\" }, { extra = \"old\" }]]",
                "10:25: conflicts name the dependency group `gone`",
            ),
            (
                "[[{ extra = \"old\" }]]",
                "10:14: a conflict set needs at least two",
            ),
            (
                "[[{ extra = \"old\" }, { extra = \"old\" }]]",
                "a conflict set needs at least two",
            ),
            (
                "[[{ package = \"old\" }, { extra = \"new\" }]]",
                "10:17: unknown key `package`",
            ),
            (
                "[[{ extra = \"old\", group = \"lint\" }, { extra = \"new\" }]]",
                "must have exactly one key",
            ),
            ("[[\"old\", \"new\"]]", "10:15: a conflict entry"),
            ("\"old\"", "10:13: `conflicts` must be an array"),
        ] {
            let body = format!("{HEAD}\nconflicts = {conflicts}\n");
            let msg = read_project("bad", &body).expect_err(conflicts).to_string();
            assert!(msg.contains(says), "{conflicts}: {msg}");
        }
    }
}
