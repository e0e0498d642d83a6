//! Closed fixture indexes from live ones: resolve through an index that records what it
//! serves, then write what was read as a static index directory (`pylock index snapshot`).
//! It sits after `resolve` in the pipeline: it runs resolves.

use std::path::Path;

use crate::index::{Index, LocalIndex, RecordingIndex};
use crate::resolve::{resolve, Options, ResolveError};
use crate::{Manifest, Target};

impl LocalIndex {
    /// Resolve `manifest` with `options` for each of `targets`, reading `index`, and write
    /// what those resolves read under `out` as a static index directory that
    /// [`LocalIndex::new`] reads (`out/simple`, `out/files`): only the versions whose
    /// metadata was read, with every file of those versions (real hashes, sizes, upload
    /// times, `Requires-Python` and yank flags) and a `.metadata` per file rebuilt from the
    /// fields resolution uses. A resolve against the snapshot, for the same targets, reads
    /// exactly what it read live and gives the same result.
    ///
    /// Beside the index go `out/requirements.in` (the manifest's requirements, one a line)
    /// and `out/snapshot.json`, which says what the snapshot was made from: the
    /// requirements, constraints and overrides, the first target's `requires-python`, the
    /// `exclude_newer` cutoff, the targets, and `source`, the index URL read (recorded
    /// without user name, password, query and trailing `/`, where a private index takes its
    /// credentials).
    ///
    /// Returns the number of projects and versions written. Fails as the first failing
    /// resolve does, or with [`ResolveError::Write`] when `out` cannot be written.
    ///
    /// ```
    /// use pylock::{resolve, LocalIndex, Manifest, MemoryIndex, Options, Role, Target};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut live = MemoryIndex::new();
    /// live.add("a", "1.0", "", &["b"], &["a-1.0-py3-none-any.whl"])?;
    /// live.add("b", "1.0", "", &[], &["b-1.0-py3-none-any.whl"])?;
    /// live.add("b", "0.9", "", &[], &["b-0.9-py3-none-any.whl"])?;
    /// let mut manifest = Manifest::default();
    /// manifest.add_str("a", Role::Requirement)?;
    /// let targets = [Target::universal(None)];
    ///
    /// let out = std::env::temp_dir().join(format!("pylock-doc-snapshot-{}", std::process::id()));
    /// let source = Some("https://user:token@pypi.example/simple/");
    /// let (projects, versions) =
    ///     LocalIndex::snapshot(&manifest, &targets, &Options::default(), &live, source, &out)?;
    /// // b 0.9 was listed but never read: it is left out.
    /// assert_eq!((projects, versions), (2, 2));
    ///
    /// let offline = LocalIndex::new(out.join("simple"))?;
    /// let resolution = resolve(&manifest, &targets[0], &Options::default(), &offline)?;
    /// assert_eq!(resolution.packages.len(), 2);
    /// let record = std::fs::read_to_string(out.join("snapshot.json"))?;
    /// assert!(record.contains(r#""source": "https://pypi.example/simple""#), "{record}");
    /// # std::fs::remove_dir_all(&out)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn snapshot(
        manifest: &Manifest,
        targets: &[Target],
        options: &Options,
        index: &dyn Index,
        source: Option<&str>,
        out: &Path,
    ) -> Result<(usize, usize), ResolveError> {
        let recorder = RecordingIndex::new(index);
        for target in targets {
            resolve(manifest, target, options, &recorder)?;
        }
        let io = |source| ResolveError::Write {
            path: out.to_owned(),
            source,
        };
        let counts = recorder.write(out).map_err(io)?;
        let requirements: Vec<String> = (manifest.requirements.iter())
            .map(ToString::to_string)
            .collect();
        let strings = |rs: &[crate::Requirement]| -> Vec<String> {
            rs.iter().map(ToString::to_string).collect()
        };
        let record = serde_json::json!({
            "requirements": requirements,
            "constraints": strings(&manifest.constraints),
            "overrides": strings(&manifest.overrides),
            "requires_python": targets.first().map(|t| t.requires_python.to_string()),
            "exclude_newer": options.exclude_newer.map(|t| t.to_string()),
            "source": source.map(crate::index::recorded_url),
            "targets": targets.iter().map(target_name).collect::<Vec<_>>(),
        });
        let text = serde_json::to_string_pretty(&record).unwrap_or_default();
        crate::util::write_atomic(&out.join("snapshot.json"), format!("{text}\n").as_bytes())
            .map_err(io)?;
        let listed: String = requirements.iter().map(|r| format!("{r}\n")).collect();
        crate::util::write_atomic(&out.join("requirements.in"), listed.as_bytes()).map_err(io)?;
        Ok(counts)
    }
}

/// A target as a snapshot names it: `universal`, or its Python and platform
/// (`cpython-3.12 x86_64-unknown-linux-gnu (manylinux 2.28)`).
fn target_name(target: &Target) -> String {
    match (&target.python, target.platform_name()) {
        (None, None) => "universal".to_owned(),
        (python, platform) => {
            let python = python.as_ref().map(|p| format!("cpython-{p}"));
            let parts = [python, platform];
            parts.into_iter().flatten().collect::<Vec<_>>().join(" ")
        }
    }
}
