//! Where a lock must install: a Python version and a platform, giving a PEP 508 marker
//! environment and the compatible wheel tags; or the universal target (every Python in
//! `requires-python` on every platform).

use std::fmt;
use std::str::FromStr;

use crate::pep::tags::{self, Tags};
use crate::pep::{MarkerEnvironment, Version, VersionSpecifiers};

/// A target that cannot be built from what was given: [`ManifestError::UnknownPlatform`] and
/// [`ManifestError::InvalidPython`].
pub(crate) type TargetError = super::ManifestError;

/// CPU architectures we can target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Arch {
    /// x86-64 / AMD64.
    X86_64,
    /// ARM64 / aarch64.
    Aarch64,
    /// 32-bit x86.
    X86,
}

/// Operating systems (and their compatibility floor) we can target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Os {
    /// glibc Linux, accepting `manylinux` wheels up to this glibc version.
    Manylinux {
        /// glibc major version.
        major: u16,
        /// glibc minor version.
        minor: u16,
    },
    /// musl Linux, accepting `musllinux` wheels up to this musl version.
    Musllinux {
        /// musl major version.
        major: u16,
        /// musl minor version.
        minor: u16,
    },
    /// macOS, accepting wheels built for this version or older.
    Macos {
        /// macOS major version.
        major: u16,
        /// macOS minor version.
        minor: u16,
    },
    /// Windows.
    Windows,
}

/// One platform: an OS and an architecture, parsed from `linux`, `macos`, `windows`, uv-style
/// triples and `<arch>-manylinux_X_Y` forms; its methods give its markers and wheel tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    /// Operating system.
    pub(crate) os: Os,
    /// Architecture.
    pub(crate) arch: Arch,
}

impl FromStr for Platform {
    type Err = TargetError;

    /// `linux`, `macos`, `windows`, uv-style triples and `<arch>-manylinux_X_Y` forms.
    fn from_str(s: &str) -> Result<Self, TargetError> {
        use Arch::*;
        let unknown = || TargetError::UnknownPlatform(s.to_owned());
        let manylinux = |major, minor| Os::Manylinux { major, minor };
        let baseline = Baseline::default();
        let macos = Os::Macos {
            major: baseline.macos.0,
            minor: baseline.macos.1,
        };
        let glibc = manylinux(baseline.manylinux.0, baseline.manylinux.1);
        let (os, arch) = match s {
            "linux" | "x86_64-unknown-linux-gnu" => (glibc, X86_64),
            "aarch64-unknown-linux-gnu" => (glibc, Aarch64),
            "x86_64-unknown-linux-musl" => (Os::Musllinux { major: 1, minor: 2 }, X86_64),
            "aarch64-unknown-linux-musl" => (Os::Musllinux { major: 1, minor: 2 }, Aarch64),
            "macos" | "aarch64-apple-darwin" => (macos, Aarch64),
            "x86_64-apple-darwin" => (macos, X86_64),
            "windows" | "x86_64-pc-windows-msvc" => (Os::Windows, X86_64),
            "i686-pc-windows-msvc" => (Os::Windows, X86),
            "aarch64-pc-windows-msvc" => (Os::Windows, Aarch64),
            other => {
                let (arch, rest) = other.split_once('-').ok_or_else(unknown)?;
                let arch = match arch {
                    "x86_64" => X86_64,
                    "aarch64" => Aarch64,
                    _ => return Err(unknown()),
                };
                let os = match rest {
                    "manylinux1" => manylinux(2, 5),
                    "manylinux2010" => manylinux(2, 12),
                    "manylinux2014" => manylinux(2, 17),
                    _ => {
                        let (kind, ver) = rest
                            .strip_prefix("manylinux_")
                            .map(|v| ("many", v))
                            .or_else(|| rest.strip_prefix("musllinux_").map(|v| ("musl", v)))
                            .ok_or_else(unknown)?;
                        let (major, minor) = ver.split_once('_').ok_or_else(unknown)?;
                        let major = major.parse().map_err(|_| unknown())?;
                        let minor = minor.parse().map_err(|_| unknown())?;
                        if kind == "many" {
                            manylinux(major, minor)
                        } else {
                            Os::Musllinux { major, minor }
                        }
                    }
                };
                (os, arch)
            }
        };
        Ok(Platform { os, arch })
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arch = match self.arch {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
            Arch::X86 => "i686",
        };
        match self.os {
            Os::Manylinux { major, minor } => write!(f, "{arch}-manylinux_{major}_{minor}"),
            Os::Musllinux { major, minor } => write!(f, "{arch}-musllinux_{major}_{minor}"),
            Os::Macos { major, minor } => write!(f, "{arch}-apple-darwin (macOS {major}.{minor})"),
            Os::Windows => write!(f, "{arch}-pc-windows-msvc"),
        }
    }
}

/// The oldest OS releases a lock must install on, where platform names do not say: the
/// macOS version whose wheels (`macosx_X_Y`) Apple silicon and Intel Macs accept, and the
/// glibc version of `manylinux_X_Y` wheels for Linux. The defaults follow vendor support
/// today: macOS 14 (Apple supports the three latest releases) and manylinux 2.28 (glibc of
/// RHEL 8 / Debian 11 and later, the floor of current manylinux images).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Baseline {
    /// macOS (major, minor).
    pub macos: (u16, u16),
    /// glibc (major, minor) for manylinux wheels.
    pub manylinux: (u16, u16),
}

impl Default for Baseline {
    fn default() -> Self {
        Self {
            macos: (14, 0),
            manylinux: (2, 28),
        }
    }
}

impl Baseline {
    /// Parse `14`, `14.0` or `2.28` as (major, minor).
    pub fn parse_release(text: &str) -> Option<(u16, u16)> {
        let (major, minor) = text.split_once('.').unwrap_or((text, "0"));
        Some((major.parse().ok()?, minor.parse().ok()?))
    }
}

impl Platform {
    /// The same platform with the macOS or glibc release of `baseline`.
    pub fn with_baseline(self, baseline: &Baseline) -> Self {
        let os = match self.os {
            Os::Macos { .. } => Os::Macos {
                major: baseline.macos.0,
                minor: baseline.macos.1,
            },
            Os::Manylinux { .. } => Os::Manylinux {
                major: baseline.manylinux.0,
                minor: baseline.manylinux.1,
            },
            other => other,
        };
        Self { os, ..self }
    }

    /// `sys_platform` of this platform.
    pub fn sys_platform(&self) -> &'static str {
        match self.os {
            Os::Manylinux { .. } | Os::Musllinux { .. } => "linux",
            Os::Macos { .. } => "darwin",
            Os::Windows => "win32",
        }
    }

    /// `platform_machine` of this platform.
    pub fn machine(&self) -> &'static str {
        match (self.os, self.arch) {
            (Os::Windows, Arch::X86_64) => "AMD64",
            (Os::Windows, Arch::Aarch64) => "ARM64",
            (Os::Windows, Arch::X86) => "x86",
            (Os::Macos { .. }, Arch::Aarch64) => "arm64",
            (_, Arch::X86_64) => "x86_64",
            (_, Arch::Aarch64) => "aarch64",
            (_, Arch::X86) => "i686",
        }
    }

    /// A PEP 508 marker that holds exactly on this platform's OS and architecture.
    pub fn marker(&self) -> String {
        format!(
            "sys_platform == '{}' and platform_machine == '{}'",
            self.sys_platform(),
            self.machine()
        )
    }

    /// The wheel platform tags this platform installs, most specific first.
    pub fn platform_tags(&self) -> Vec<String> {
        let arch = match (self.os, self.arch) {
            (Os::Macos { .. }, Arch::Aarch64) => "arm64",
            (_, Arch::X86_64) => "x86_64",
            (_, Arch::Aarch64) => "aarch64",
            (_, Arch::X86) => "i686",
        };
        match self.os {
            Os::Manylinux { major, minor } => tags::manylinux_tags(major, minor, arch),
            Os::Musllinux { major, minor } => tags::musllinux_tags(major, minor, arch),
            Os::Macos { major, minor } => {
                tags::macos_tags(major, minor, self.arch == Arch::Aarch64)
            }
            Os::Windows => vec![match self.arch {
                Arch::X86_64 => "win_amd64",
                Arch::Aarch64 => "win_arm64",
                Arch::X86 => "win32",
            }
            .to_owned()],
        }
    }
}

/// An OS release that is not `X` or `X.Y`.
fn invalid_release(release: &str) -> TargetError {
    TargetError::InvalidOption {
        value: release.to_owned(),
        expected: "X or X.Y, such as 14 or 2.28".to_owned(),
    }
}

/// The default `requires-python` of a universal target: CPython 3.10 is the oldest release
/// still supported upstream (3.9 reached its end of life in October 2025).
pub(crate) const DEFAULT_REQUIRES_PYTHON: &str = ">=3.10";

/// Where a resolve's lock must install.
#[derive(Clone, Debug)]
pub struct Target {
    /// The one Python version targeted, if narrowed (`--python-version`).
    pub python: Option<Version>,
    /// The one platform targeted, if narrowed (`--python-platform`).
    pub(crate) platform: Option<Platform>,
    /// The Pythons the lock is for.
    pub requires_python: VersionSpecifiers,
    /// The OS releases the checked platforms of a universal lock stand for.
    pub(crate) baseline: Baseline,
    /// Whether the platform was named with its glibc (`x86_64-manylinux_2_17`), which a
    /// manylinux baseline then does not replace.
    pub(crate) platform_glibc: bool,
}

impl Target {
    /// One Python version (`3.12` or `3.12.4`) on one platform (`linux`, `macos`,
    /// `windows`, a uv-style triple such as `aarch64-apple-darwin`, or
    /// `x86_64-manylinux_2_17`). `requires_python` defaults to exactly that minor version.
    pub fn single(
        python: &str,
        platform: &str,
        requires_python: Option<VersionSpecifiers>,
    ) -> Result<Self, TargetError> {
        Self::new(Some(python), Some(platform), requires_python)
    }

    /// A target narrowed to one Python version (every platform), one platform (every Python
    /// in `requires_python`), both (one environment) or neither (universal). With a Python,
    /// `requires_python` defaults to that minor version; without, to
    /// `>=3.10`.
    pub fn new(
        python: Option<&str>,
        platform: Option<&str>,
        requires_python: Option<VersionSpecifiers>,
    ) -> Result<Self, TargetError> {
        let platform_glibc = platform.is_some_and(|p| p.contains("manylinux"));
        let platform = platform.map(Platform::from_str).transpose()?;
        let target = Self::narrowed(python, platform, requires_python)?;
        Ok(Self {
            platform_glibc,
            ..target
        })
    }

    /// One Python version on `platform` (see [`Target::single`]).
    pub(crate) fn single_on(python: &str, platform: Platform) -> Result<Self, TargetError> {
        Self::narrowed(Some(python), Some(platform), None)
    }

    /// [`Target::new`] with the platform parsed.
    fn narrowed(
        python: Option<&str>,
        platform: Option<Platform>,
        requires_python: Option<VersionSpecifiers>,
    ) -> Result<Self, TargetError> {
        let Some(python) = python else {
            let mut target = Self::universal(requires_python);
            target.platform = platform;
            return Ok(target);
        };
        let invalid = || TargetError::InvalidPython(python.to_owned());
        let version = Version::from_str(python).map_err(|_| invalid())?;
        let release = version.release();
        if !(2..=3).contains(&release.len()) || !version.is_stable() || version.is_local() {
            return Err(invalid());
        }
        let full = Version::new([release[0], release[1], release.get(2).copied().unwrap_or(0)]);
        let requires_python = match requires_python {
            Some(rp) => rp,
            None => VersionSpecifiers::from_str(&format!("=={}.{}.*", release[0], release[1]))
                .map_err(|_| invalid())?,
        };
        Ok(Self {
            python: Some(full),
            platform,
            requires_python,
            baseline: Baseline::default(),
            platform_glibc: false,
        })
    }

    /// Every Python `requires_python` admits on every platform. Without one, the oldest
    /// CPython still supported upstream (`>=3.10`).
    pub fn universal(requires_python: Option<VersionSpecifiers>) -> Self {
        let requires_python = requires_python.unwrap_or_else(|| {
            VersionSpecifiers::from_str(DEFAULT_REQUIRES_PYTHON)
                .unwrap_or_else(|_| VersionSpecifiers::empty())
        });
        Self {
            python: None,
            platform: None,
            requires_python,
            baseline: Baseline::default(),
            platform_glibc: false,
        }
    }

    /// The same target for macOS `release` (`14`, `14.0`; default 14, the oldest Apple
    /// supports): the macOS platforms of a universal lock stand for it, and so does a named
    /// macOS platform; wheels for newer releases are not used (`--macos-version`).
    pub fn with_macos_version(self, release: &str) -> Result<Self, TargetError> {
        let macos = Baseline::parse_release(release).ok_or_else(|| invalid_release(release))?;
        let baseline = Baseline {
            macos,
            ..self.baseline
        };
        Ok(self.with_baseline(baseline))
    }

    /// The same target for glibc `release` (`2.28`, the default: RHEL 8 / Debian 11 and
    /// later): the Linux platforms of a universal lock stand for it, and so does a named
    /// Linux platform that gives no glibc of its own (`linux`, a uv-style triple;
    /// `x86_64-manylinux_2_17` keeps its own); wheels for newer glibc are not used
    /// (`--manylinux`).
    pub fn with_manylinux(self, release: &str) -> Result<Self, TargetError> {
        let manylinux = Baseline::parse_release(release).ok_or_else(|| invalid_release(release))?;
        let baseline = Baseline {
            manylinux,
            ..self.baseline
        };
        Ok(self.with_baseline(baseline))
    }

    /// The wheel platform tags of the target's one platform, most specific first
    /// (`manylinux_2_28_x86_64`, ..., `linux_x86_64`); empty when the target is not narrowed
    /// to one platform.
    pub fn platform_tags(&self) -> Vec<String> {
        self.platform.map(|p| p.platform_tags()).unwrap_or_default()
    }

    /// The target's one platform, as a triple with its OS release
    /// (`x86_64-unknown-linux-gnu (manylinux 2.28)`), if it is narrowed to one.
    pub fn platform_name(&self) -> Option<String> {
        self.platform.map(|p| p.to_string())
    }

    /// The same target with the OS releases of `baseline`: the checked platforms of a
    /// universal lock use them, and so does a named platform that gives no release of its
    /// own (`macos`, `linux`, a uv-style triple; `x86_64-manylinux_2_17` keeps its glibc).
    pub(crate) fn with_baseline(mut self, baseline: Baseline) -> Self {
        self.baseline = baseline;
        if let Some(p) = self.platform {
            let mut b = baseline;
            if let (true, Os::Manylinux { major, minor }) = (self.platform_glibc, p.os) {
                b.manylinux = (major, minor);
            }
            self.platform = Some(p.with_baseline(&b));
        }
        self
    }

    /// Whether the target is one environment (both Python and platform fixed).
    pub fn is_single(&self) -> bool {
        self.python.is_some() && self.platform.is_some()
    }

    /// The PEP 508 marker environment of a single-environment target.
    pub fn environment(&self) -> Option<MarkerEnvironment> {
        let (python, platform) = (self.python.as_ref()?, self.platform.as_ref()?);
        let release = python.release();
        let full = python.to_string();
        let short = format!("{}.{}", release[0], release.get(1).copied().unwrap_or(0));
        let system = match platform.os {
            Os::Manylinux { .. } | Os::Musllinux { .. } => "Linux",
            Os::Macos { .. } => "Darwin",
            Os::Windows => "Windows",
        };
        MarkerEnvironment::try_from(pep508_rs::MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: &full,
            os_name: if platform.os == Os::Windows {
                "nt"
            } else {
                "posix"
            },
            platform_machine: platform.machine(),
            platform_python_implementation: "CPython",
            platform_release: "",
            platform_system: system,
            platform_version: "",
            python_full_version: &full,
            python_version: &short,
            sys_platform: platform.sys_platform(),
        })
        .ok()
    }

    /// The wheel tags of a single-environment target.
    pub(crate) fn tags(&self) -> Option<Tags> {
        let (python, platform) = (self.python.as_ref()?, self.platform.as_ref()?);
        Some(Tags::new(
            python.release().get(1).copied().unwrap_or(0),
            platform.platform_tags(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pep::tags::WheelTags;

    fn tags_of(minor: u64, platform: &str) -> Tags {
        Tags::new(
            minor,
            platform
                .parse::<Platform>()
                .expect("platform")
                .platform_tags(),
        )
    }

    fn wheel(py: &str, abi: &str, plat: &str) -> WheelTags {
        WheelTags::parse(&format!("{py}-{abi}-{plat}")).expect("tags")
    }

    #[test]
    fn platforms_parse() {
        for (s, sys, machine) in [
            ("linux", "linux", "x86_64"),
            ("aarch64-unknown-linux-gnu", "linux", "aarch64"),
            ("macos", "darwin", "arm64"),
            ("x86_64-apple-darwin", "darwin", "x86_64"),
            ("windows", "win32", "AMD64"),
            ("x86_64-manylinux2014", "linux", "x86_64"),
            ("aarch64-manylinux_2_31", "linux", "aarch64"),
        ] {
            let p: Platform = s.parse().expect(s);
            assert_eq!((p.sys_platform(), p.machine()), (sys, machine), "{s}");
        }
        assert!("solaris".parse::<Platform>().is_err());
        assert!("x86_64-manylinux_2".parse::<Platform>().is_err());
    }

    #[test]
    fn linux_wheel_tags() {
        let t = tags_of(12, "linux");
        assert!(t.is_compatible(&wheel("py3", "none", "any")));
        assert!(t.is_compatible(&wheel("py2.py3", "none", "any")));
        assert!(t.is_compatible(&wheel(
            "cp312",
            "cp312",
            "manylinux2014_x86_64.manylinux_2_17_x86_64"
        )));
        assert!(t.is_compatible(&wheel("cp38", "abi3", "manylinux_2_28_x86_64")));
        assert!(!t.is_compatible(&wheel("cp313", "cp313", "manylinux_2_17_x86_64")));
        assert!(!t.is_compatible(&wheel("cp312", "cp312", "manylinux_2_34_x86_64")));
        assert!(!t.is_compatible(&wheel("cp312", "cp312", "manylinux_2_17_aarch64")));
        assert!(!t.is_compatible(&wheel("cp312", "cp312", "win_amd64")));
        assert!(!t.is_compatible(&wheel("py313", "none", "any")));
        assert!(!t.is_compatible(&wheel("cp312", "cp312", "musllinux_1_1_x86_64")));
        let old = tags_of(12, "x86_64-manylinux2014");
        assert!(!old.is_compatible(&wheel("cp312", "cp312", "manylinux_2_28_x86_64")));
        assert!(old.is_compatible(&wheel("cp312", "cp312", "manylinux1_x86_64")));
    }

    #[test]
    fn macos_and_windows_wheel_tags() {
        let arm = tags_of(11, "macos");
        assert!(arm.is_compatible(&wheel("cp311", "cp311", "macosx_11_0_arm64")));
        assert!(arm.is_compatible(&wheel("cp311", "cp311", "macosx_10_9_universal2")));
        assert!(!arm.is_compatible(&wheel("cp311", "cp311", "macosx_10_9_x86_64")));
        let intel = tags_of(11, "x86_64-apple-darwin");
        assert!(intel.is_compatible(&wheel("cp311", "cp311", "macosx_10_9_x86_64")));
        assert!(intel.is_compatible(&wheel("cp311", "cp311", "macosx_14_0_x86_64")));
        assert!(!intel.is_compatible(&wheel("cp311", "cp311", "macosx_15_0_x86_64")));
        // The baseline decides which macOS and glibc releases are accepted.
        let old = Baseline {
            macos: (13, 0),
            manylinux: (2, 17),
        };
        let mac13 = "x86_64-apple-darwin"
            .parse::<Platform>()
            .expect("p")
            .with_baseline(&old);
        assert!(!Tags::new(11, mac13.platform_tags()).is_compatible(&wheel(
            "cp311",
            "cp311",
            "macosx_14_0_x86_64"
        )));
        let glibc217 = "linux".parse::<Platform>().expect("p").with_baseline(&old);
        let t = Tags::new(11, glibc217.platform_tags());
        assert!(!t.is_compatible(&wheel("cp311", "cp311", "manylinux_2_28_x86_64")));
        assert!(t.is_compatible(&wheel("cp311", "cp311", "manylinux2014_x86_64")));
        let win = tags_of(11, "windows");
        assert!(win.is_compatible(&wheel("cp311", "cp311", "win_amd64")));
        assert!(!win.is_compatible(&wheel("cp311", "cp311", "win32")));
    }

    #[test]
    fn single_target_environment() {
        let t = Target::single("3.9", "linux", None).expect("target");
        let env = t.environment().expect("env");
        assert_eq!(env.python_full_version().to_string(), "3.9.0");
        assert_eq!(env.python_version().to_string(), "3.9");
        assert_eq!(env.sys_platform(), "linux");
        assert_eq!(t.requires_python.to_string(), "==3.9.*");
        assert!(Target::single("3", "linux", None).is_err());
        assert!(Target::single("three", "linux", None).is_err());
    }
}
