//! [`LockOptions`]: how a lock records files, and its `[tool.pylock]` table.

use std::path::PathBuf;

use super::record;
#[cfg(doc)]
use super::LockFile;

/// How resolved files are recorded, and what else the lock records.
///
/// ```
/// use pylock::{LockOptions, Manifest, Options, Role, Target};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut manifest = Manifest::default();
/// manifest.add_str("django>=5", Role::Requirement)?;
/// let target = Target::universal(None);
/// let options = Options::from_manifest(&manifest);
/// let index = "https://user:token@pypi.example/simple/";
/// let lock_options = LockOptions {
///     // Recorded on each package without credentials: `https://pypi.example/simple`.
///     index_url: Some(index.into()),
///     // Files are recorded relative to where the lock goes.
///     lock_dir: Some(".".into()),
///     // A `[tool.pylock]` table: a re-lock with the same inputs reads it back fast and
///     // starts from the forks this resolve found.
///     record: true,
///     inputs: LockOptions::inputs_digest(&manifest, &target, &options, &[index], &[], None),
/// };
/// assert!(lock_options.inputs.as_deref().is_some_and(|d| d.starts_with("sha256:")));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct LockOptions {
    /// The index URL to record on each package (`None` for a local directory index). It is
    /// recorded without user name, password, query and trailing `/`, where a private index
    /// takes its credentials.
    pub index_url: Option<String>,
    /// The directory the lock is written to: local files are recorded relative to it, so the
    /// lock holds no absolute local paths. `None`: relative to the current directory.
    pub lock_dir: Option<PathBuf>,
    /// End the lock with pylock's `[tool.pylock]` table (PEP 751 leaves `[tool.*]` tables to
    /// tools; installers ignore them): the digest of the text before it, by which a re-lock
    /// reads an unedited lock's pins fast ([`LockFile::pins`]), and with [`inputs`] the
    /// forks the resolve solved apart. `false`: the lock is PEP 751 alone.
    ///
    /// [`inputs`]: LockOptions::inputs
    pub record: bool,
    /// The digest of the inputs that decided the lock ([`LockOptions::inputs_digest`]),
    /// recorded in the `[tool.pylock]` table with the forks the resolve solved apart: a
    /// re-lock with the same inputs starts from them ([`LockFile::pins`]). Only with
    /// [`record`](LockOptions::record).
    pub inputs: Option<String>,
}

impl LockOptions {
    /// The digest of the inputs of a run that resolves `manifest` for `target` with
    /// `options` (before any pins of an existing lock are applied to them), reading the
    /// indexes `index_urls` and then the `find_links` locations (URLs or local directories,
    /// as given), for [`LockOptions::inputs`]. `exclude_newer` is the text
    /// [`Options::exclude_newer`](crate::Options::exclude_newer) was computed from, if any.
    /// `None` when no digest pins the inputs: a span back from now (`7 days`) moves from
    /// run to run, and local files or projects among the requirements have content no
    /// digest of the arguments covers. Index URLs count without credentials, local
    /// locations as `<local>`.
    pub fn inputs_digest(
        manifest: &crate::Manifest,
        target: &crate::Target,
        options: &crate::Options,
        index_urls: &[&str],
        find_links: &[&str],
        exclude_newer: Option<&str>,
    ) -> Option<String> {
        record::inputs_digest(
            manifest,
            target,
            options,
            index_urls,
            find_links,
            exclude_newer,
        )
    }
}
