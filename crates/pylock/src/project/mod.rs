//! Multi-use project locks: a `pyproject.toml` with extras and dependency groups becomes one
//! universal PEP 751 lock that serves every selection of them (what `pylock lock` writes).
//!
//! The project itself is the lock's root, not one of its packages. Its base dependencies
//! and every extra's and group's requirements enter one universal resolve, each extra's and
//! group's guarded by its selection marker (see `resolve::selections`); conflicting extras
//! and groups are resolved apart. The lock lists every extra and group at its top level,
//! `default-groups = ["dev"]` when the project declares a `dev` group (as uv installs it by
//! default), and each package's marker in PEP 751 terms (`'x' in extras`,
//! `'g' in dependency_groups`).

use crate::index::Index;
use crate::lock::{render_lock_marker, Lock, LockMarker, LockOptions};
use crate::manifest::{Manifest, Part, Project, Selection};
use crate::pep::{ExtraName, MarkerTree, Requirement};
use crate::resolve::{Options, ResolveError, Uses};
use crate::Target;

/// The group installed by default when a project declares it (uv's rule).
const DEFAULT_GROUP: &str = "dev";

impl Project {
    /// Lock this project for every selection of its extras and dependency groups: one
    /// universal resolve for `target`, reading packages from `index`. `inputs` adds
    /// requirements, constraints and overrides to every selection (`Manifest::default()` for
    /// none); its `requires_python` is not used (the target says which Pythons). Conflicting
    /// extras and groups (`[tool.pylock] conflicts`, or found when all together have no
    /// solution) are resolved apart, with a warning each.
    ///
    /// Returns the lock, ready to write, and the warnings the user should read: conflicting
    /// extras and groups (selecting them together is impossible), environments left out, and
    /// those of the resolve.
    ///
    /// ```
    /// use pylock::{LockOptions, Manifest, MemoryIndex, Options, Project, Target};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = std::env::temp_dir().join(format!("pylock-doc-project-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let pyproject = dir.join("pyproject.toml");
    /// std::fs::write(&pyproject, r#"
    /// [project]
    /// name = "app"
    /// version = "1.0"
    /// requires-python = ">=3.10"
    /// dependencies = ["a"]
    ///
    /// [project.optional-dependencies]
    /// fast = ["b"]
    /// "#)?;
    /// let mut index = MemoryIndex::new();
    /// index.add("a", "1.0", "", &[], &["a-1.0-py3-none-any.whl"])?;
    /// index.add("b", "1.0", "", &[], &["b-1.0-py3-none-any.whl"])?;
    ///
    /// let project = Project::read(&pyproject)?;
    /// let target = Target::universal(project.requires_python.clone());
    /// let (lock, warnings) =
    ///     project.lock(&Manifest::default(), &target, &Options::default(), &index, &LockOptions::default())?;
    /// assert!(warnings.is_empty(), "{warnings:?}");
    /// assert_eq!(lock.extras, ["fast"]);
    /// let b = lock.packages.iter().find(|p| p.name == "b").expect("b is locked");
    /// assert_eq!(b.marker.as_deref(), Some("'fast' in extras"));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn lock(
        &self,
        inputs: &Manifest,
        target: &Target,
        options: &Options,
        index: &dyn Index,
        lock_options: &LockOptions,
    ) -> Result<(Lock, Vec<String>), ResolveError> {
        let (manifest, uses) = multi_use_manifest(self, inputs)?;
        let resolution =
            crate::resolve::resolve_multi_use(&manifest, target, options, index, uses)?;
        let mut lock = Lock::from_resolution(&resolution, lock_options);
        for p in &mut lock.packages {
            p.marker = p.marker.as_deref().and_then(pep751_marker);
        }
        lock.extras = self.extras.keys().map(ToString::to_string).collect();
        lock.dependency_groups = self.groups.keys().map(ToString::to_string).collect();
        lock.default_groups = (self.groups.keys())
            .filter(|g| g.as_ref() == DEFAULT_GROUP)
            .map(ToString::to_string)
            .collect();
        let warnings = resolution.warnings.iter().map(|w| pep751_text(w)).collect();
        Ok((lock, warnings))
    }
}

/// The marker variable of an extra or group.
fn var(part: &Part) -> Option<ExtraName> {
    let vars = match part {
        Part::Extra(e) => LockMarker::selection_extras(std::slice::from_ref(e), &[]),
        Part::Group(g) => LockMarker::selection_extras(&[], std::slice::from_ref(g)),
    };
    vars.into_iter().next()
}

/// The root requirements of a multi-use lock: the base dependencies as they are, each
/// extra's and group's guarded by its variable; and the variables with their conflicts.
fn multi_use_manifest(
    project: &Project,
    inputs: &Manifest,
) -> Result<(Manifest, Uses), ResolveError> {
    let mut manifest = inputs.clone();
    // Every extra selected: an error here if a build would be needed to know them.
    project.select(&Selection {
        all_extras: true,
        ..Selection::default()
    })?;
    let base = project.select(&Selection::default())?;
    let mut parts: Vec<(Part, Vec<Requirement>)> = Vec::new();
    for extra in project.extras.keys() {
        let selection = Selection {
            extras: vec![extra.clone()],
            ..Selection::default()
        };
        let mut reqs = project.select(&selection)?;
        reqs.retain(|r| !base.contains(r));
        parts.push((Part::Extra(extra.clone()), reqs));
    }
    for group in project.groups.keys() {
        let selection = Selection {
            only_groups: vec![group.clone()],
            ..Selection::default()
        };
        let reqs = project.select(&selection)?;
        parts.push((Part::Group(group.clone()), reqs));
    }
    manifest.requirements.extend(base);
    let mut uses = Uses::default();
    for (part, reqs) in parts {
        let Some(var) = var(&part) else { continue };
        let guard: MarkerTree = format!("extra == '{var}'")
            .parse()
            .map_err(|e| ResolveError::Internal(format!("{e}")))?;
        for mut req in reqs {
            // `extra` terms the project wrote itself mean nothing at the root (as in a
            // single-use resolve): decided as unselected, before the guard is added.
            req.marker = crate::pep::restrict_extras(&req.marker, &[]);
            req.marker.and(guard.clone());
            manifest.requirements.push(req);
        }
        uses.vars.push(var);
    }
    uses.vars.sort();
    for set in &project.conflicts {
        uses.conflicts.push(set.iter().filter_map(var).collect());
    }
    Ok((manifest, uses))
}

/// A package marker in PEP 751 terms (`None` when it always holds).
fn pep751_marker(text: &str) -> Option<String> {
    match text.parse::<MarkerTree>() {
        Ok(tree) => render_lock_marker(&tree),
        Err(_) => Some(text.to_owned()),
    }
}

/// A message with the markers it quotes (`` `...` ``) in PEP 751 terms.
fn pep751_text(text: &str) -> String {
    if !text.contains("extra ") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for (i, piece) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        let rendered = (i % 2 == 1 && piece.contains("extra "))
            .then(|| pep751_marker(piece))
            .flatten();
        out.push_str(rendered.as_deref().unwrap_or(piece));
    }
    out
}
