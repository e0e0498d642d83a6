//! What requirements files say besides requirements: pip's file options (`-i`, `--pre`,
//! `--only-binary`, ...), per-requirement `--hash`es, and notes for the user.

use std::collections::BTreeSet;

use crate::pep::PackageName;

/// Options given in requirements files, as pip reads them. The library only records them; the
/// caller decides how they combine with its own settings (the CLI: the command line wins for
/// `--index-url`; lists are appended; flags are or-ed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileOptions {
    /// `-i` / `--index-url` (the last one given), or `None`.
    pub index_url: Option<String>,
    /// `--extra-index-url`s, in file order.
    pub extra_index_urls: Vec<String>,
    /// `-f` / `--find-links`, in file order (relative paths that exist next to the file are
    /// made relative to it, as pip does).
    pub find_links: Vec<String>,
    /// `--no-index`: use find-links only.
    pub no_index: bool,
    /// `--pre`: pre-releases are allowed.
    pub pre: bool,
    /// `--only-binary` / `--no-binary` (applied by [`Options::from_manifest`](crate::Options::from_manifest)).
    pub(crate) binary: BinaryPolicy,
    /// `--trusted-host` values (accepted and ignored: pylock verifies TLS; the CLI warns).
    pub trusted_hosts: Vec<String>,
}

/// Hashes a requirement carries (`name==1.0 --hash=sha256:...`): only files with one of them
/// may be locked for that package (pip's hash-checking mode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequirementHashes {
    /// The package.
    pub name: PackageName,
    /// The requirement and where it was written (`a==1.0 (requirements.txt:3)`).
    pub requirement: String,
    /// Allowed sha256 digests, lowercase hex.
    pub sha256: BTreeSet<String>,
}

/// Which distribution formats may be used, per package: pip's `--only-binary` and
/// `--no-binary`, each a comma-separated list of names or `:all:` / `:none:`, later values
/// amending earlier ones exactly as pip's `FormatControl` does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BinaryPolicy {
    /// Packages that must not use wheels (`:all:` for every package).
    pub no_binary: BTreeSet<String>,
    /// Packages that must not use source distributions (`:all:` for every package).
    pub only_binary: BTreeSet<String>,
}

const ALL: &str = ":all:";

impl BinaryPolicy {
    /// Apply one `--no-binary VALUE`.
    pub fn no_binary(&mut self, value: &str) -> Result<(), String> {
        mutual_excludes(value, &mut self.no_binary, &mut self.only_binary)
    }

    /// Apply one `--only-binary VALUE`.
    pub fn only_binary(&mut self, value: &str) -> Result<(), String> {
        mutual_excludes(value, &mut self.only_binary, &mut self.no_binary)
    }

    /// Whether a source distribution of `name` may be used.
    pub fn allows_sdist(&self, name: &PackageName) -> bool {
        self.formats(name).1
    }

    /// Whether a wheel of `name` may be used.
    pub fn allows_wheel(&self, name: &PackageName) -> bool {
        self.formats(name).0
    }

    /// Whether this policy restricts anything.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.no_binary.is_empty() && self.only_binary.is_empty()
    }

    /// (wheels allowed, sdists allowed), in pip's order of precedence: a named package
    /// before `:all:`, `--only-binary` before `--no-binary`.
    fn formats(&self, name: &PackageName) -> (bool, bool) {
        let name = name.as_ref();
        if self.only_binary.contains(name) {
            (true, false)
        } else if self.no_binary.contains(name) {
            (false, true)
        } else if self.only_binary.contains(ALL) {
            (true, false)
        } else if self.no_binary.contains(ALL) {
            (false, true)
        } else {
            (true, true)
        }
    }
}

/// pip's `FormatControl.handle_mutual_excludes`.
fn mutual_excludes(
    value: &str,
    target: &mut BTreeSet<String>,
    other: &mut BTreeSet<String>,
) -> Result<(), String> {
    if value.starts_with('-') || value.is_empty() {
        return Err(format!(
            "`{value}` is not a list of package names, `:all:` or `:none:`"
        ));
    }
    let mut new: Vec<&str> = value.split(',').map(str::trim).collect();
    while let Some(i) = new.iter().position(|n| *n == ALL) {
        other.clear();
        target.clear();
        target.insert(ALL.to_owned());
        new.drain(..=i);
        if !new.contains(&":none:") {
            return Ok(());
        }
    }
    for name in new {
        if name == ":none:" {
            target.clear();
            continue;
        }
        let name: PackageName = crate::pep::parse::value(name)?;
        other.remove(name.as_ref());
        target.insert(name.to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> PackageName {
        s.parse().expect("name")
    }

    #[test]
    fn binary_policy_follows_pip() {
        let mut p = BinaryPolicy::default();
        p.only_binary(":all:").expect("ok");
        assert!(!p.allows_sdist(&name("a")) && p.allows_wheel(&name("a")));
        p.no_binary("Foo_Bar").expect("ok");
        assert!(p.allows_sdist(&name("foo-bar")) && !p.allows_wheel(&name("foo-bar")));
        assert!(!p.allows_sdist(&name("a")));
        p.no_binary(":all:").expect("ok");
        assert!(p.only_binary.is_empty());
        assert!(!p.allows_wheel(&name("a")) && p.allows_sdist(&name("a")));
        p.no_binary(":none:").expect("ok");
        assert!(p.is_empty());
        p.only_binary(":all:,:none:,b").expect("ok");
        assert!(!p.allows_sdist(&name("b")) && p.allows_sdist(&name("a")));
        assert!(p.only_binary("--pre").is_err());
    }
}
