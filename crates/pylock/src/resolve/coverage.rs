//! Whether a version can be installed everywhere a fork claims: the known environments
//! (CPython 3.8–3.15 on Linux x86-64 and aarch64, macOS arm64 and x86-64, Windows x86-64) in
//! the fork's region each need a wheel that fits or an sdist. uv does not check this, and its
//! universal locks then fail to install on some of those machines.

use std::str::FromStr;

use crate::index::{DistFile, DistKind};
use crate::manifest::{Baseline, Os, Platform};
use crate::pep::tags::{self, Tags};
use crate::pep::{and, is_possible, or, MarkerTree};

/// The platforms a universal lock is checked against.
pub const PLATFORMS: [&str; 5] = [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "aarch64-apple-darwin",
    "x86_64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

/// The CPython minor versions a universal lock is checked against: 3.8 up to the newest
/// CPython released (3.15). A test fails when a fixture index has wheels for a newer one.
pub const PYTHON_MINORS: std::ops::RangeInclusive<u64> = 8..=tags::NEWEST_MINOR;

/// One environment a universal lock is checked against.
pub struct KnownEnv {
    /// `3.minor`.
    pub minor: u64,
    /// The platform.
    pub platform: Platform,
    /// Its wheel tags.
    pub tags: Tags,
    /// Where it is, as a marker (Python minor, OS, architecture).
    pub marker: MarkerTree,
    /// The same with the interpreter named, to test region membership.
    full_marker: MarkerTree,
}

/// The environments one resolve checks: by default every CPython minor in
/// [`PYTHON_MINORS`] on every platform in [`PLATFORMS`]; a target narrowed to one Python or one
/// platform checks only those.
pub struct EnvSet {
    envs: Vec<KnownEnv>,
}

/// Where CPython 3.`minor` is, as marker text; the newest CPython checked stands for the
/// later ones too (nothing is known of them, and a wheel that misses it misses them).
fn python_text(minor: u64) -> String {
    if minor == *PYTHON_MINORS.end() {
        format!("python_full_version >= '3.{minor}'")
    } else {
        format!(
            "python_full_version >= '3.{minor}' and python_full_version < '3.{}'",
            minor + 1
        )
    }
}

impl EnvSet {
    /// The environments for a target narrowed to `minor` and/or `platform`, with the OS
    /// releases of `baseline` for the platforms not given.
    pub fn new(minor: Option<u64>, platform: Option<Platform>, baseline: &Baseline) -> Self {
        let minors: Vec<u64> = match minor {
            Some(m) => vec![m],
            None => PYTHON_MINORS.collect(),
        };
        let platforms: Vec<Platform> = match platform {
            Some(p) => vec![p],
            None => PLATFORMS
                .iter()
                .filter_map(|p| Platform::from_str(p).ok())
                .map(|p| p.with_baseline(baseline))
                .collect(),
        };
        let interpreter = MarkerTree::from_str(
            "implementation_name == 'cpython' and platform_python_implementation == 'CPython'",
        )
        .unwrap_or(MarkerTree::TRUE);
        // Built once per platform and once per Python, then combined: a universal resolve
        // checks 40 environments, and this runs before anything is fetched.
        let per_platform: Vec<(Platform, Tags, MarkerTree)> = platforms
            .iter()
            .filter_map(|p| {
                let marker = MarkerTree::from_str(&p.marker()).ok()?;
                Some((*p, Tags::new(0, p.platform_tags()), marker))
            })
            .collect();
        let mut envs = Vec::new();
        for &minor in &minors {
            let Ok(python) = MarkerTree::from_str(&python_text(minor)) else {
                continue;
            };
            for (platform, tags, platform_marker) in &per_platform {
                let marker = and(&python, platform_marker);
                envs.push(KnownEnv {
                    minor,
                    tags: tags.with_minor(minor),
                    full_marker: and(&marker, &interpreter),
                    marker,
                    platform: *platform,
                });
            }
        }
        Self { envs }
    }

    /// Every environment of the set.
    pub fn all(&self) -> Vec<usize> {
        (0..self.envs.len()).collect()
    }

    /// The environments inside `region`.
    pub fn envs_in(&self, region: &MarkerTree) -> Vec<usize> {
        self.envs
            .iter()
            .enumerate()
            .filter(|(_, e)| is_possible(&and(region, &e.full_marker)))
            .map(|(i, _)| i)
            .collect()
    }

    /// Of `envs`, those where none of `files` installs.
    pub fn uncovered(&self, files: &[std::sync::Arc<DistFile>], envs: &[usize]) -> Vec<usize> {
        if files.iter().any(|f| f.kind == DistKind::Sdist) {
            return Vec::new();
        }
        let all = &self.envs;
        envs.iter()
            .copied()
            .filter(|&i| {
                !files.iter().any(|f| match &f.kind {
                    DistKind::Wheel(w) => all[i].tags.is_compatible(w),
                    DistKind::Sdist => true,
                })
            })
            .collect()
    }

    /// The marker that holds exactly in `envs`.
    pub fn envs_marker(&self, envs: &[usize]) -> MarkerTree {
        let all = &self.envs;
        envs.iter()
            .fold(MarkerTree::FALSE, |acc, &i| or(&acc, &all[i].marker))
    }

    /// A marker that holds in `envs` (of the fork's environments `scope`) and perhaps
    /// beyond them where nothing is checked: a Python minor missing on every platform stands
    /// for that Python anywhere, a platform missing at every Python of the fork for that
    /// platform at any Python, and the newest checked minor for every later one too. A lock
    /// left out above some Python then says so in its `requires-python`.
    pub fn envs_marker_widened(&self, envs: &[usize], scope: &[usize]) -> MarkerTree {
        use std::collections::{BTreeMap, BTreeSet};
        let platforms: BTreeSet<Platform> = self.envs.iter().map(|e| e.platform).collect();
        let last = self.envs.iter().map(|e| e.minor).max();
        let mut by_minor: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
        for &i in envs {
            by_minor.entry(self.envs[i].minor).or_default().push(i);
        }
        let mut out = MarkerTree::FALSE;
        let mut rest: Vec<usize> = Vec::new();
        for (minor, list) in by_minor {
            let covered: BTreeSet<Platform> = list.iter().map(|&i| self.envs[i].platform).collect();
            let text = if Some(minor) == last {
                format!("python_full_version >= '3.{minor}'")
            } else {
                format!("python_full_version == '3.{minor}.*'")
            };
            match MarkerTree::from_str(&text) {
                Ok(m) if covered == platforms => out = or(&out, &m),
                _ => rest.extend(list),
            }
        }
        for platform in &platforms {
            let of = |set: &[usize]| {
                set.iter()
                    .filter(|&&i| self.envs[i].platform == *platform)
                    .count()
            };
            let mine: Vec<usize> = rest
                .iter()
                .copied()
                .filter(|&i| self.envs[i].platform == *platform)
                .collect();
            if mine.is_empty() {
                continue;
            }
            match MarkerTree::from_str(&platform.marker()) {
                Ok(m) if mine.len() == of(scope) => out = or(&out, &m),
                Ok(m) => {
                    // The newest checked Python stands for every later one too.
                    for i in mine {
                        let e = &self.envs[i];
                        let newer = format!("python_full_version >= '3.{}'", e.minor);
                        match MarkerTree::from_str(&newer) {
                            Ok(p) if Some(e.minor) == last => out = or(&out, &and(&p, &m)),
                            _ => out = or(&out, &e.marker),
                        }
                    }
                }
                Err(_) => out = or(&out, &self.envs_marker(&mine)),
            }
        }
        out
    }

    /// The file of `files` that environment `env` installs: the first wheel that fits, else
    /// the sdist.
    pub fn file_for<'f>(
        &self,
        env: usize,
        files: &'f [std::sync::Arc<DistFile>],
    ) -> Option<&'f std::sync::Arc<DistFile>> {
        let tags = &self.envs.get(env)?.tags;
        files
            .iter()
            .find(|f| matches!(&f.kind, DistKind::Wheel(w) if tags.is_compatible(w)))
            .or_else(|| files.iter().find(|f| f.kind == DistKind::Sdist))
    }

    /// Where the platform baseline is why none of `files` installs in `envs`: wheels exist
    /// for the same OS and architecture, built for a newer macOS or glibc.
    pub fn baseline_note(
        &self,
        files: &[std::sync::Arc<DistFile>],
        envs: &[usize],
    ) -> Option<String> {
        let mut notes: Vec<String> = Vec::new();
        for &i in envs {
            let platform = self.envs.get(i)?.platform;
            let Some(needed) = files.iter().filter_map(|f| newer_os(f, &platform)).min() else {
                continue;
            };
            let note = match platform.os {
                Os::Macos { major, minor } => format!(
                    "its {} wheels need macOS {}.{}, above the baseline macOS {major}.{minor} (--macos-version)",
                    platform.machine(), needed.0, needed.1
                ),
                Os::Manylinux { major, minor } => format!(
                    "its {} Linux wheels need glibc {}.{}, above the baseline manylinux {major}.{minor} (--manylinux)",
                    platform.machine(), needed.0, needed.1
                ),
                _ => continue,
            };
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
        (!notes.is_empty()).then(|| notes.join("; "))
    }

    /// `CPython 3.12–3.15 on every platform`, `CPython 3.10, 3.11 on aarch64-manylinux_2_28`:
    /// the platforms that share Pythons on one line, runs of minors as ranges.
    pub fn describe_grouped(&self, envs: &[usize]) -> String {
        if envs.is_empty() {
            return "environments outside the checked ones (other interpreters, platforms or Pythons)".into();
        }
        let all = &self.envs;
        let by_platform = self.by_platform(envs);
        let platforms = all
            .iter()
            .map(|e| e.platform)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let mut by_minors: Vec<(Vec<u64>, Vec<String>)> = Vec::new();
        for (p, mut minors) in by_platform {
            minors.sort_unstable();
            minors.dedup();
            match by_minors.iter_mut().find(|(m, _)| *m == minors) {
                Some((_, ps)) => ps.push(p.to_string()),
                None => by_minors.push((minors, vec![p.to_string()])),
            }
        }
        by_minors
            .iter()
            .map(|(minors, ps)| {
                let on = if ps.len() == platforms && platforms > 1 {
                    "every platform".to_owned()
                } else {
                    ps.join(", ")
                };
                format!("CPython {} on {on}", minor_runs(minors))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The Python minors of `envs`, per platform in order of appearance.
    fn by_platform(&self, envs: &[usize]) -> Vec<(Platform, Vec<u64>)> {
        let mut out: Vec<(Platform, Vec<u64>)> = Vec::new();
        for &i in envs {
            let e = &self.envs[i];
            match out.iter_mut().find(|(p, _)| *p == e.platform) {
                Some((_, minors)) => minors.push(e.minor),
                None => out.push((e.platform, vec![e.minor])),
            }
        }
        out
    }

    /// `CPython 3.12, 3.14 on x86_64-manylinux_2_28; CPython 3.12 on ...`, for messages.
    pub fn describe(&self, envs: &[usize]) -> String {
        let by_platform = self.by_platform(envs);
        by_platform
            .iter()
            .map(|(p, minors)| {
                let minors: Vec<String> = minors.iter().map(|m| format!("3.{m}")).collect();
                format!("CPython {} on {p}", minors.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// `3.10–3.12, 3.15` from sorted minors.
fn minor_runs(minors: &[u64]) -> String {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &m in minors {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == m => *end = m,
            _ => runs.push((m, m)),
        }
    }
    runs.iter()
        .map(|&(a, b)| match b - a {
            0 => format!("3.{a}"),
            1 => format!("3.{a}, 3.{b}"),
            _ => format!("3.{a}–3.{b}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The (major, minor) OS release a wheel of `file` needs on `platform`'s OS and architecture,
/// when it is newer than the platform's baseline.
fn newer_os(file: &DistFile, platform: &Platform) -> Option<(u16, u16)> {
    let DistKind::Wheel(tags) = &file.kind else {
        return None;
    };
    let (macos, baseline) = match platform.os {
        Os::Macos { major, minor } => (true, (major, minor)),
        Os::Manylinux { major, minor } => (false, (major, minor)),
        _ => return None,
    };
    tags::newer_release(tags, macos, platform.machine(), baseline)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> MarkerTree {
        MarkerTree::from_str(s).expect("marker")
    }

    #[test]
    fn known_environment_membership() {
        let set = EnvSet::new(None, None, &Baseline::default());
        let all = set.envs_in(&MarkerTree::TRUE);
        assert_eq!(all.len(), 40);
        let linux312 = set.envs_in(&m("sys_platform == 'linux' and python_full_version >= '3.12.4' and python_full_version < '3.13'"));
        assert_eq!(linux312.len(), 2);
        assert!(set.envs_in(&m("implementation_name == 'pypy'")).is_empty());
        assert_eq!(
            set.describe_grouped(&set.envs_in(&m("python_full_version >= '3.12'"))),
            "CPython 3.12–3.15 on every platform"
        );
        assert_eq!(
            set.describe_grouped(&linux312),
            "CPython 3.12 on x86_64-manylinux_2_28, aarch64-manylinux_2_28"
        );
        assert!(set
            .describe_grouped(&[])
            .contains("outside the checked ones"));
        // The newest CPython checked stands for the later ones, in environments and wheels.
        let later = set.envs_in(&m("python_full_version >= '3.16'"));
        assert_eq!(
            set.describe_grouped(&later),
            "CPython 3.15 on every platform"
        );
        // Pythons missing on every platform widen to that Python anywhere; a platform
        // missing at every Python to that platform.
        let all = set.envs_in(&MarkerTree::TRUE);
        let new = set.envs_in(&m("python_full_version >= '3.13'"));
        assert_eq!(
            set.envs_marker_widened(&new, &all),
            m("python_full_version >= '3.13'")
        );
        let windows = set.envs_in(&m("sys_platform == 'win32'"));
        assert_eq!(
            set.envs_marker_widened(&windows, &all),
            m("sys_platform == 'win32' and platform_machine == 'AMD64'")
        );
        assert_eq!(
            set.describe(&linux312),
            "CPython 3.12 on x86_64-manylinux_2_28; CPython 3.12 on aarch64-manylinux_2_28"
        );
    }

    #[test]
    fn environments_are_built_per_platform_and_python_as_written_whole() {
        let set = EnvSet::new(None, None, &Baseline::default());
        let platforms: Vec<Platform> = PLATFORMS
            .iter()
            .filter_map(|p| Platform::from_str(p).ok())
            .map(|p| p.with_baseline(&Baseline::default()))
            .collect();
        assert_eq!(set.envs.len(), PYTHON_MINORS.count() * platforms.len());
        for (env, (minor, platform)) in set
            .envs
            .iter()
            .zip(PYTHON_MINORS.flat_map(|minor| platforms.iter().map(move |p| (minor, p))))
        {
            let whole = m(&format!("{} and {}", python_text(minor), platform.marker()));
            assert_eq!(env.marker, whole, "3.{minor} on {platform}");
            assert_eq!((env.minor, env.platform), (minor, *platform));
            assert_eq!(env.tags, Tags::new(minor, platform.platform_tags()));
        }
    }
}
