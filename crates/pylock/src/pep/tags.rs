//! Wheel compatibility tags, in one place: PEP 425 tag sets as a wheel's file name holds them
//! ([`WheelTags`]), the platform tags an OS release installs (PEP 600 `manylinux`, PEP 656
//! `musllinux`, macOS, Windows), the tags one CPython on one platform installs ([`Tags`]),
//! and where a wheel can be installed at most, as a PEP 508 marker ([`wheel_marker`]).

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;

use super::{and, or, MarkerTree};
use crate::util::Memo;

/// The newest CPython minor version known (3.15): it stands for the later ones, in the
/// checked environments and in wheel markers.
pub(crate) const NEWEST_MINOR: u64 = 15;

/// The tag sets of a wheel file name; each is a `.`-separated list in the name.
///
/// Kept as the one `py-abi-platform` string the name holds (pages list thousands of wheels:
/// one allocation each rather than one per tag, shared by a page's wheels of the same tags),
/// split on demand.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WheelTags {
    tags: std::sync::Arc<str>,
}

impl WheelTags {
    /// Tag sets from their `py-abi-platform` form (`cp312-cp312-manylinux_2_17_x86_64`,
    /// compressed sets such as `py2.py3-none-any` allowed).
    pub fn parse(tags: &str) -> Option<Self> {
        let mut parts = tags.splitn(3, '-');
        let complete = (0..3).all(|_| parts.next().is_some_and(|p| !p.is_empty()));
        (complete && !tags.ends_with('-')).then(|| Self { tags: tags.into() })
    }

    fn set(&self, i: usize) -> std::str::Split<'_, char> {
        self.tags
            .splitn(3, '-')
            .nth(i)
            .unwrap_or_default()
            .split('.')
    }

    /// Python tags (`cp312`, `py3`).
    pub fn python(&self) -> impl Iterator<Item = &str> + Clone {
        self.set(0)
    }

    /// ABI tags (`cp312`, `abi3`, `none`).
    pub fn abi(&self) -> impl Iterator<Item = &str> + Clone {
        self.set(1)
    }

    /// Platform tags (`manylinux_2_17_x86_64`, `any`).
    pub fn platform(&self) -> impl Iterator<Item = &str> + Clone {
        self.set(2)
    }
}

/// The platform tags glibc `major.minor` on `arch` installs, most specific first: every
/// `manylinux_X_Y` down to `Y = 0`, with the legacy aliases (`manylinux2014`, ...).
pub(crate) fn manylinux_tags(major: u16, minor: u16, arch: &str) -> Vec<String> {
    let mut tags = Vec::new();
    for m in (0..=minor).rev() {
        tags.push(format!("manylinux_{major}_{m}_{arch}"));
        let legacy = match (major, m) {
            (2, 17) => Some("manylinux2014"),
            (2, 12) => Some("manylinux2010"),
            (2, 5) => Some("manylinux1"),
            _ => None,
        };
        if let Some(legacy) = legacy {
            tags.push(format!("{legacy}_{arch}"));
        }
    }
    tags.push(format!("linux_{arch}"));
    tags
}

/// The platform tags musl `major.minor` on `arch` installs, most specific first.
pub(crate) fn musllinux_tags(major: u16, minor: u16, arch: &str) -> Vec<String> {
    let mut tags: Vec<String> = (0..=minor)
        .rev()
        .map(|m| format!("musllinux_{major}_{m}_{arch}"))
        .collect();
    tags.push(format!("linux_{arch}"));
    tags
}

/// The platform tags macOS `major.minor` installs, most specific first, on Apple silicon
/// (`arm`) or on Intel.
pub(crate) fn macos_tags(major: u16, minor: u16, arm: bool) -> Vec<String> {
    let mut versions = Vec::new();
    for maj in (11..=major).rev() {
        versions.push((maj, 0));
    }
    if major == 10 {
        versions.extend((0..=minor).rev().map(|m| (10, m)));
    } else {
        versions.extend((4..=16).rev().map(|m| (10, m)));
    }
    let mut tags = Vec::new();
    for (maj, min) in versions {
        // Apple silicon runs arm64 builds, and universal2 ones, which include arm64
        // slices even when labelled with a 10.x floor.
        let binaries: &[&str] = match (arm, maj) {
            (true, 10) => &["universal2"],
            (true, _) => &["arm64", "universal2"],
            _ => &[
                "x86_64",
                "intel",
                "fat64",
                "fat32",
                "universal2",
                "universal",
            ],
        };
        for b in binaries {
            tags.push(format!("macosx_{maj}_{min}_{b}"));
        }
    }
    tags
}

/// The OS release a wheel needs beyond `baseline`: the lowest (major, minor) of its
/// `macosx_X_Y_arch` (`macos`) or `manylinux_X_Y_arch` platform tags for `machine` that is
/// newer than `baseline`.
pub(crate) fn newer_release(
    wheel: &WheelTags,
    macos: bool,
    machine: &str,
    baseline: (u16, u16),
) -> Option<(u16, u16)> {
    let prefix = if macos { "macosx_" } else { "manylinux_" };
    wheel
        .platform()
        .filter_map(|tag| {
            let mut parts = tag.strip_prefix(prefix)?.splitn(3, '_');
            let major: u16 = parts.next()?.parse().ok()?;
            let minor: u16 = parts.next()?.parse().ok()?;
            let tag_arch = parts.next()?;
            let fits = tag_arch == machine
                || (macos && tag_arch == "universal2")
                || (machine == "aarch64" && tag_arch == "arm64");
            (fits && (major, minor) > baseline).then_some((major, minor))
        })
        .min()
}

/// The wheel tags one CPython version on one platform installs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tags {
    minor: u64,
    /// Shared by the tags of every Python on the same platform (a universal resolve checks
    /// eight Pythons on each platform).
    platforms: Arc<HashSet<String>>,
}

impl Tags {
    /// Tags of CPython 3.`minor` on a platform that installs `platforms` (its platform tags).
    pub fn new(minor: u64, platforms: Vec<String>) -> Self {
        Self {
            minor,
            platforms: Arc::new(platforms.into_iter().collect()),
        }
    }

    /// The tags of CPython 3.`minor` on the same platform.
    pub(crate) fn with_minor(&self, minor: u64) -> Self {
        Self {
            minor,
            platforms: Arc::clone(&self.platforms),
        }
    }

    /// Whether a wheel with these tag sets installs here.
    pub fn is_compatible(&self, wheel: &WheelTags) -> bool {
        let platform_ok = wheel
            .platform()
            .any(|p| p == "any" || self.platforms.contains(p));
        platform_ok
            && wheel
                .python()
                .any(|py| wheel.abi().any(|abi| self.python_abi_ok(py, abi)))
    }

    fn python_abi_ok(&self, py: &str, abi: &str) -> bool {
        let cp_minor = |tag: &str| tag.strip_prefix("cp3").and_then(|m| m.parse::<u64>().ok());
        let py_minor = |tag: &str| -> Option<u64> {
            match tag {
                "py3" => Some(0),
                _ => tag.strip_prefix("py3").and_then(|m| m.parse().ok()),
            }
        };
        match abi {
            "none" => {
                cp_minor(py) == Some(self.minor) || py_minor(py).is_some_and(|m| m <= self.minor)
            }
            "abi3" => cp_minor(py).is_some_and(|m| (2..=self.minor).contains(&m)),
            _ => cp_minor(abi) == Some(self.minor) && cp_minor(py) == Some(self.minor),
        }
    }
}

/// Where a wheel can be installed at most, from its tags: the Pythons its Python and ABI tags
/// allow and the OS and architecture its platform tags name. Tags we do not know stay open.
pub(crate) fn wheel_marker(tags: &WheelTags) -> MarkerTree {
    let mut python = MarkerTree::FALSE;
    for py in tags.python() {
        for abi in tags.abi() {
            python = or(
                &python,
                &cached_marker(&format!("{py}-{abi}"), || python_tag_marker(py, abi)),
            );
        }
    }
    let mut platform = MarkerTree::FALSE;
    for tag in tags.platform() {
        platform = or(&platform, &cached_marker(tag, || platform_tag_marker(tag)));
    }
    and(&python, &platform)
}

/// Markers of tags, parsed once: locks list thousands of wheels with a few dozen distinct
/// tags. Bounded (see [`Memo`]): hostile indexes may list any number of made-up tags.
fn cached_marker(key: &str, text: impl FnOnce() -> String) -> MarkerTree {
    static MEMO: Memo<String, MarkerTree> = Memo::new(10_000);
    if let Some(m) = MEMO.get(key) {
        return m;
    }
    let marker = MarkerTree::from_str(&text()).unwrap_or(MarkerTree::TRUE);
    MEMO.insert(key.to_owned(), marker.clone());
    marker
}

fn python_tag_marker(py: &str, abi: &str) -> String {
    let minor = py.strip_prefix("cp3").and_then(|m| m.parse::<u64>().ok());
    match (minor, abi) {
        (Some(m), "abi3") => format!("python_full_version >= '3.{m}'"),
        // As for the checked environments, the newest CPython stands for the later ones.
        (Some(m), _) if m >= NEWEST_MINOR && (abi.starts_with("cp3") || abi == "none") => {
            format!("python_full_version >= '3.{m}'")
        }
        (Some(m), _) if abi.starts_with("cp3") || abi == "none" => format!(
            "python_full_version >= '3.{m}' and python_full_version < '3.{}'",
            m + 1
        ),
        _ => String::new(),
    }
}

fn platform_tag_marker(tag: &str) -> String {
    let linux = |arch: &str| format!("sys_platform == 'linux' and platform_machine == '{arch}'");
    if tag == "any" {
        return String::new();
    }
    for prefix in ["manylinux", "musllinux", "linux"] {
        if tag.starts_with(prefix) {
            for arch in [
                "x86_64", "aarch64", "i686", "armv7l", "ppc64le", "s390x", "riscv64",
            ] {
                if tag.ends_with(&format!("_{arch}")) {
                    return linux(arch);
                }
            }
            return "sys_platform == 'linux'".into();
        }
    }
    if tag.starts_with("macosx") {
        return if tag.ends_with("_arm64") {
            "sys_platform == 'darwin' and platform_machine == 'arm64'".into()
        } else if tag.ends_with("_x86_64") {
            "sys_platform == 'darwin' and platform_machine == 'x86_64'".into()
        } else {
            "sys_platform == 'darwin'".into()
        };
    }
    match tag {
        "win_amd64" => "sys_platform == 'win32' and platform_machine == 'AMD64'".into(),
        "win32" => "sys_platform == 'win32' and platform_machine == 'x86'".into(),
        "win_arm64" => "sys_platform == 'win32' and platform_machine == 'ARM64'".into(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pep::is_possible;

    fn wheel(py: &str, abi: &str, plat: &str) -> WheelTags {
        WheelTags::parse(&format!("{py}-{abi}-{plat}")).expect("tags")
    }
    fn m(s: &str) -> MarkerTree {
        MarkerTree::from_str(s).expect("marker")
    }

    #[test]
    fn wheel_markers() {
        let w = wheel_marker(&wheel("cp313", "cp313", "manylinux2010_x86_64"));
        assert!(is_possible(&and(
            &w,
            &m("python_version == '3.13' and platform_machine == 'x86_64'")
        )));
        assert!(!is_possible(&and(&w, &m("platform_machine == 'aarch64'"))));
        assert!(!is_possible(&and(&w, &m("python_version == '3.12'"))));
        assert!(wheel_marker(&wheel("py3", "none", "any")).is_true());
        let abi3 = wheel_marker(&wheel("cp39", "abi3", "win_amd64"));
        assert!(is_possible(&and(
            &abi3,
            &m("python_version == '3.14' and sys_platform == 'win32'")
        )));
        assert!(!is_possible(&and(&abi3, &m("sys_platform == 'darwin'"))));
        // The newest CPython stands for the later ones.
        let cp315 = wheel_marker(&wheel("cp315", "cp315", "win_amd64"));
        assert!(is_possible(&and(
            &cp315,
            &m("python_full_version == '3.16.1'")
        )));
    }

    #[test]
    fn releases_newer_than_a_baseline() {
        let w = wheel("cp312", "cp312", "manylinux_2_28_x86_64");
        assert_eq!(newer_release(&w, false, "x86_64", (2, 17)), Some((2, 28)));
        assert_eq!(newer_release(&w, false, "x86_64", (2, 28)), None);
        assert_eq!(newer_release(&w, false, "aarch64", (2, 17)), None);
        let mac = wheel("cp312", "cp312", "macosx_14_0_arm64");
        assert_eq!(newer_release(&mac, true, "aarch64", (13, 0)), Some((14, 0)));
        let universal = wheel("cp312", "cp312", "macosx_15_0_universal2");
        assert_eq!(
            newer_release(&universal, true, "x86_64", (13, 0)),
            Some((15, 0))
        );
    }
}
