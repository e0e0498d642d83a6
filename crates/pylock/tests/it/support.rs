//! Shared helpers: fixture scenarios (the `contract.md` format) and running them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pylock::{resolve, LocalIndex, Manifest, Options, Resolution, ResolveError, Role, Target};
use pylock::{PackageName, Version, VersionSpecifiers};
use serde::Deserialize;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[derive(Deserialize, Debug, Clone)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub requirements: Vec<String>,
    #[serde(default)]
    pub constraints: Vec<String>,
    #[serde(default)]
    pub overrides: Vec<String>,
    pub python_version: Option<String>,
    pub python_platform: Option<String>,
    pub requires_python: Option<String>,
    pub universal: bool,
    pub prerelease: Option<String>,
    pub resolution: Option<String>,
    pub expected: Expected,
    pub skip: Option<String>,
    #[serde(skip)]
    pub dir: PathBuf,
}

#[derive(Deserialize, Debug, Clone)]
pub struct Expected {
    pub satisfiable: bool,
    pub packages: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Every scenario under `fixtures/<group>`, sorted by name.
pub fn scenarios(group: &str) -> Vec<Scenario> {
    let root = workspace().join("fixtures").join(group);
    let mut out: Vec<Scenario> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("scenario.json").is_file())
        .map(|dir| {
            let text = std::fs::read_to_string(dir.join("scenario.json")).expect("read scenario");
            let mut s: Scenario = serde_json::from_str(&text).expect("scenario.json parses");
            s.dir = dir;
            s
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

impl Scenario {
    pub fn index_root(&self) -> PathBuf {
        self.dir.join("index/simple")
    }

    pub fn manifest(&self) -> Manifest {
        let mut m = Manifest::default();
        for (list, role) in [
            (&self.requirements, Role::Requirement),
            (&self.constraints, Role::Constraint),
            (&self.overrides, Role::Override),
        ] {
            for r in list {
                m.add_str(r, role).expect("scenario requirement parses");
            }
        }
        m
    }

    pub fn target(&self) -> Result<Target, String> {
        let rp = self
            .requires_python
            .as_deref()
            .map(|s| VersionSpecifiers::from_str(s).expect("requires_python parses"));
        match (&self.python_version, &self.python_platform) {
            (Some(py), Some(platform)) if !self.universal => {
                Target::single(py, platform, rp).map_err(|e| e.to_string())
            }
            (None, None) if self.universal => Ok(Target::universal(rp)),
            _ => Err("a target narrowed to only a Python or only a platform".into()),
        }
    }

    pub fn options(&self) -> Options {
        let mut o = Options::default();
        if let Some(p) = &self.prerelease {
            o.prerelease = p.parse().expect("prerelease mode");
        }
        if let Some(r) = &self.resolution {
            o.resolution = r.parse().expect("resolution mode");
        }
        o
    }

    pub fn run(&self) -> Result<Resolution, ResolveError> {
        let target = self
            .target()
            .unwrap_or_else(|e| panic!("{}: {e}", self.name));
        let index = LocalIndex::new(self.index_root()).expect("index opens");
        resolve(&self.manifest(), &target, &self.options(), &index)
    }

    pub fn expected_pairs(&self) -> Option<BTreeSet<(PackageName, Version)>> {
        let packages = self.expected.packages.as_ref()?;
        let mut out = BTreeSet::new();
        for (name, v) in packages {
            let name = PackageName::from_str(name).expect("name");
            let versions: Vec<&str> = match v {
                serde_json::Value::String(s) => vec![s.as_str()],
                serde_json::Value::Array(a) => a.iter().filter_map(|x| x.as_str()).collect(),
                other => panic!("bad expected version {other}"),
            };
            for v in versions {
                out.insert((name.clone(), Version::from_str(v).expect("version")));
            }
        }
        Some(out)
    }
}

pub fn pairs(resolution: &Resolution) -> BTreeSet<(PackageName, Version)> {
    resolution
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

/// A Python with packaging >= 26: `$PYLOCK_TEST_PYTHON`, else `<workspace>/.venv` (which
/// `.ci/run` creates).
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("PYLOCK_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = workspace().join(".venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with packaging>=26: set PYLOCK_TEST_PYTHON or run `bash .ci/run` (creates .venv)"
    );
    venv
}

/// A single-environment target as the Python checkers take it: marker values, the Python
/// version and the platform tags.
pub fn environment_json(target: &Target) -> serde_json::Value {
    let env = target.environment().expect("single environment");
    let platform = target.platform_name().expect("platform");
    let python = target.python.as_ref().expect("python").release().to_vec();
    serde_json::json!({
        "name": format!("CPython {}.{} on {platform}", python[0], python[1]),
        "python": [python[0], python[1]],
        "platforms": target.platform_tags(),
        "environment": {
            "implementation_name": env.implementation_name(),
            "implementation_version": env.implementation_version().to_string(),
            "os_name": env.os_name(),
            "platform_machine": env.platform_machine(),
            "platform_python_implementation": env.platform_python_implementation(),
            "platform_release": env.platform_release(),
            "platform_system": env.platform_system(),
            "platform_version": env.platform_version(),
            "python_full_version": env.python_full_version().to_string(),
            "python_version": env.python_version().to_string(),
            "sys_platform": env.sys_platform(),
        }
    })
}

/// Run a checker script from `tests/support` with `input` on stdin; its JSON output.
pub fn run_checker(script: &str, input: &serde_json::Value) -> serde_json::Value {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let script = workspace().join("crates/pylock/tests/support").join(script);
    let mut child = Command::new(python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("send input");
    let output = child.wait_with_output().expect("python runs");
    assert!(output.status.success(), "{} failed", script.display());
    serde_json::from_slice(&output.stdout).expect("checker output is JSON")
}

/// An index that records which files' metadata is read.
pub struct Counting {
    index: pylock::MemoryIndex,
    /// The file names whose metadata was read, in order.
    pub read: std::sync::Mutex<Vec<String>>,
}

impl Counting {
    /// `index`, counted.
    pub fn new(index: pylock::MemoryIndex) -> Self {
        Self {
            index,
            read: std::sync::Mutex::default(),
        }
    }
}

impl pylock::Index for Counting {
    fn project(
        &self,
        name: &pylock::PackageName,
    ) -> Result<Option<pylock::ProjectPage>, pylock::IndexError> {
        self.index.project(name)
    }
    fn metadata(
        &self,
        file: &pylock::DistFile,
    ) -> Result<pylock::CoreMetadata, pylock::IndexError> {
        self.read
            .lock()
            .expect("not poisoned")
            .push(file.filename().to_owned());
        self.index.metadata(file)
    }
}
