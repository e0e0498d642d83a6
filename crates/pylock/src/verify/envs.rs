//! The environments a lock is checked in: CPython minors ([`PYTHON_MINORS`]) on the platforms
//! of universal locks ([`PLATFORMS`]), or the Python and platform asked for; each with its
//! marker environment and wheel tags (from [`Target`], the tags code the resolver uses).

use std::str::FromStr;

use crate::manifest::{Baseline, Os, Platform, Target};
use crate::pep::tags::Tags;
use crate::pep::{MarkerEnvironment, Version};
use crate::resolve::{PLATFORMS, PYTHON_MINORS};

/// One environment to check.
pub(crate) struct Env {
    /// `CPython 3.12 on Linux x86_64`.
    pub name: String,
    /// The Python version (`3.12.0`).
    pub python: Version,
    /// Marker values.
    pub markers: MarkerEnvironment,
    /// Wheel tags it installs.
    pub tags: Tags,
    /// `CPython 3.12`: for messages.
    pub interpreter: String,
}

/// The environments for `python` (a version, else every minor of [`PYTHON_MINORS`]) on
/// `platform` (else each of [`PLATFORMS`] with the OS releases of `baseline`). Order: by
/// Python, then platform in the order of [`PLATFORMS`].
pub(crate) fn environments(
    python: Option<&Version>,
    platform: Option<Platform>,
    baseline: &Baseline,
) -> Vec<Env> {
    let pythons: Vec<String> = match python {
        Some(v) => vec![v.to_string()],
        None => PYTHON_MINORS.map(|m| format!("3.{m}")).collect(),
    };
    let platforms: Vec<Platform> = match platform {
        Some(p) => vec![p],
        None => PLATFORMS
            .iter()
            .filter_map(|p| Platform::from_str(p).ok())
            .map(|p| p.with_baseline(baseline))
            .collect(),
    };
    let mut out = Vec::new();
    for py in &pythons {
        for p in &platforms {
            let Ok(target) = Target::single_on(py, *p) else {
                continue;
            };
            let (Some(markers), Some(tags), Some(python)) =
                (target.environment(), target.tags(), target.python.clone())
            else {
                continue;
            };
            let release = python.release();
            let interpreter = format!(
                "CPython {}.{}",
                release.first().copied().unwrap_or(3),
                release.get(1).copied().unwrap_or(0)
            );
            out.push(Env {
                name: format!("{interpreter} on {}", platform_words(p)),
                python,
                markers,
                tags,
                interpreter,
            });
        }
    }
    out
}

/// `Linux x86_64`, `macOS arm64`, `Windows x86_64`, `musl Linux aarch64`.
fn platform_words(p: &Platform) -> String {
    let arch = match p.machine() {
        "AMD64" => "x86_64",
        "ARM64" => "arm64",
        other => other,
    };
    let os = match p.os {
        Os::Manylinux { .. } => "Linux",
        Os::Musllinux { .. } => "musl Linux",
        Os::Macos { .. } => "macOS",
        Os::Windows => "Windows",
    };
    format!("{os} {arch}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_minor_on_every_platform_in_order() {
        let envs = environments(None, None, &Baseline::default());
        assert_eq!(envs.len(), PYTHON_MINORS.count() * PLATFORMS.len());
        let names: Vec<&str> = envs.iter().take(5).map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "CPython 3.8 on Linux x86_64",
                "CPython 3.8 on Linux aarch64",
                "CPython 3.8 on macOS arm64",
                "CPython 3.8 on macOS x86_64",
                "CPython 3.8 on Windows x86_64",
            ]
        );
        let one = environments(
            Some(&Version::from_str("3.12.4").expect("v")),
            Some("windows".parse().expect("p")),
            &Baseline::default(),
        );
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].name, "CPython 3.12 on Windows x86_64");
        assert_eq!(one[0].markers.python_full_version().to_string(), "3.12.4");
    }
}
