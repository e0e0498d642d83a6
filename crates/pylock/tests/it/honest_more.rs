//! Honest universal locks, continued: what is left out and what is an error, grouped
//! warnings, platform baselines, impossible targets, and lowest resolutions per fork.

use pylock::MemoryIndex;
use pylock::{resolve, Manifest, Options, Resolution, ResolveError, Role, Target};

fn manifest(reqs: &[&str]) -> Manifest {
    let mut m = Manifest::default();
    for r in reqs {
        m.add_str(r, Role::Requirement).expect("requirement");
    }
    m
}

fn universal(index: &MemoryIndex, reqs: &[&str], rp: &str) -> Result<Resolution, ResolveError> {
    let target = Target::universal(Some(rp.parse().expect("spec")));
    resolve(&manifest(reqs), &target, &Options::default(), index)
}

fn explanation(r: Result<Resolution, ResolveError>) -> String {
    match r {
        Err(ResolveError::NoSolution { explanation, .. }) => explanation,
        Err(e) => panic!("not a NoSolution: {e}"),
        Ok(r) => panic!("resolved: {:?}", r.packages),
    }
}

fn wheel(name: &str, v: &str, tag: &str) -> String {
    format!("{name}-{v}-{tag}.whl")
}

/// Sibling requirements on numpy split the target at 3.13 before `capped` is met.
fn forked_index() -> MemoryIndex {
    let mut index = MemoryIndex::new();
    for v in ["1.0", "2.0"] {
        index
            .add("numpy", v, "", &[], &[&format!("numpy-{v}.tar.gz")])
            .expect("numpy");
    }
    index
        .add("capped", "1.0", ">=3.8,<3.12", &[], &["capped-1.0.tar.gz"])
        .expect("capped");
    index
}

const FORKING: [&str; 2] = [
    "numpy>=1.5; python_version >= '3.13'",
    "numpy<2; python_version < '3.13'",
];

#[test]
fn when_every_fork_is_left_out_the_resolve_fails_region_by_region() {
    let index = forked_index();
    let mut reqs = FORKING.to_vec();
    reqs.push("capped");
    let why = explanation(universal(&index, &reqs, ">=3.12"));
    assert!(
        why.contains("no environment of the target can be locked"),
        "{why}"
    );
    assert!(why.contains("python_full_version >= '3.13'"), "{why}");
    assert!(why.contains("python_full_version < '3.13'"), "{why}");
    assert!(why.contains("capped==1.0"), "{why}");
}

#[test]
fn a_missing_direct_requirement_stays_an_error_inside_a_fork() {
    let index = forked_index();
    let mut reqs = FORKING.to_vec();
    reqs.push("reqeusts");
    let why = explanation(universal(&index, &reqs, ">=3.10"));
    assert!(why.contains("reqeusts"), "{why}");
    assert!(!why.contains("no environment of the target"), "{why}");
}

#[test]
fn a_dependency_missing_on_one_platform_leaves_out_that_platform_only() {
    let mut index = forked_index();
    index
        .add(
            "app",
            "1.0",
            "",
            &["winhelper; sys_platform == 'win32'"],
            &["app-1.0.tar.gz"],
        )
        .expect("app");
    let mut reqs = FORKING.to_vec();
    reqs.push("app");
    let r = universal(&index, &reqs, ">=3.10").expect("resolves");
    assert_eq!(r.environments, ["sys_platform != 'win32'"]);
    let warnings = r.warnings.join("\n");
    assert!(
        warnings.contains("winhelper (required through app): not on the index"),
        "{warnings}"
    );
    assert_eq!(r.warnings.len(), 2, "{warnings}");
}

/// Eight versions without a file for most platforms: one warning line, versions as a range.
#[test]
fn warnings_are_one_line_per_package_and_reason() {
    let mut index = MemoryIndex::new();
    index
        .add("app", "1.0", "", &["gpu"], &["app-1.0.tar.gz"])
        .expect("app");
    for minor in 0..8 {
        let v = format!("1.{minor}");
        index
            .add(
                "gpu",
                &v,
                ">=3.10",
                &[],
                &[&wheel("gpu", &v, "cp310-abi3-manylinux_2_17_x86_64")],
            )
            .expect("gpu");
    }
    let r = universal(&index, &["app"], ">=3.10").expect("resolves");
    assert_eq!(r.warnings.len(), 2, "{:#?}", r.warnings);
    assert!(
        r.warnings[1].starts_with(
            "gpu 1.0–1.7 (8 versions; required through app): no wheel and no source distribution for CPython 3.10–3.15 on aarch64-manylinux_2_28, "
        ),
        "{}",
        r.warnings[1]
    );
    assert_eq!(
        r.environments,
        ["platform_machine == 'x86_64' and sys_platform == 'linux'"]
    );
    let gpu = &r.packages[1];
    assert_eq!(
        gpu.marker, None,
        "within the lock, gpu is needed everywhere"
    );
}

/// macOS wheels built for macOS 15 do not install on the macOS 14 baseline: the warning
/// says that the baseline is why; a baseline of 15 locks them.
#[test]
fn the_macos_baseline_is_explicit() {
    let mut index = MemoryIndex::new();
    index
        .add(
            "torchish",
            "2.0",
            ">=3.10",
            &[],
            &[
                &wheel("torchish", "2.0", "cp310-abi3-macosx_15_0_arm64"),
                &wheel("torchish", "2.0", "cp310-abi3-manylinux_2_28_x86_64"),
            ],
        )
        .expect("torchish");
    let r = universal(&index, &["torchish"], ">=3.10").expect("resolves");
    let warnings = r.warnings.join("\n");
    assert!(
        warnings.contains(
            "its arm64 wheels need macOS 15.0, above the baseline macOS 14.0 (--macos-version)"
        ),
        "{warnings}"
    );
    let target = Target::universal(Some(">=3.10".parse().expect("spec")))
        .with_macos_version("15")
        .expect("release");
    let r = resolve(
        &manifest(&["torchish"]),
        &target,
        &Options::default(),
        &index,
    )
    .expect("resolves");
    let env = r.environments.join(" ");
    assert!(env.contains("platform_machine == 'arm64'"), "{env}");
    assert!(
        !r.warnings.join("\n").contains("arm64 wheels"),
        "{:?}",
        r.warnings
    );
}

#[test]
fn a_target_outside_its_requires_python_is_an_error() {
    let index = forked_index();
    let target =
        Target::new(Some("3.12"), None, Some(">=3.13".parse().expect("spec"))).expect("target");
    let why = explanation(resolve(
        &manifest(&["numpy"]),
        &target,
        &Options::default(),
        &index,
    ));
    assert!(why.contains("outside requires-python `>=3.13`"), "{why}");
    let why = explanation(universal(&index, &["numpy"], ">=3.13,<3.12"));
    assert!(why.contains("admits no Python"), "{why}");
}

/// Under `--resolution lowest`, each Python fork takes the lowest version that works there:
/// the fork for 3.13+ (solved first) cannot use b 1.0, the fork below can.
#[test]
fn lowest_resolution_takes_the_lowest_version_per_python_fork() {
    let mut index = forked_index();
    index
        .add("b", "1.0", ">=3.8,<3.13", &[], &["b-1.0.tar.gz"])
        .expect("b")
        .add("b", "1.5", ">=3.8", &[], &["b-1.5.tar.gz"])
        .expect("b");
    let mut reqs = FORKING.to_vec();
    reqs.push("b");
    let target = Target::universal(Some(">=3.10".parse().expect("spec")));
    let mut options = Options::default();
    options.resolution = pylock::ResolutionMode::Lowest;
    let r = resolve(&manifest(&reqs), &target, &options, &index).expect("resolves");
    let b: Vec<(String, Option<String>)> = r
        .packages
        .iter()
        .filter(|p| p.name.to_string() == "b")
        .map(|p| (p.version.to_string(), p.marker.clone()))
        .collect();
    assert_eq!(
        b,
        [
            ("1.0".into(), Some("python_full_version < '3.13'".into())),
            ("1.5".into(), Some("python_full_version >= '3.13'".into())),
        ]
    );
}

/// A single macOS environment without a wheel for its macOS says the baseline is why.
#[test]
fn a_single_environment_names_the_baseline() {
    let mut index = MemoryIndex::new();
    index
        .add(
            "torchish",
            "2.0",
            ">=3.10",
            &[],
            &[&wheel("torchish", "2.0", "cp310-abi3-macosx_15_0_arm64")],
        )
        .expect("torchish");
    let target = Target::single("3.12", "macos", None).expect("target");
    let why = explanation(resolve(
        &manifest(&["torchish"]),
        &target,
        &Options::default(),
        &index,
    ));
    assert!(
        why.contains("above the baseline macOS 14.0 (--macos-version)"),
        "{why}"
    );
}

/// Within the environments of the tensorflow lock (Python 3.10 and 3.11, no Linux aarch64),
/// each marker is the shortest that holds where the package is needed.
#[test]
fn markers_are_the_shortest_within_the_lock() {
    let s = crate::support::scenarios("honest")
        .into_iter()
        .find(|s| s.name == "pinned-wheels-only")
        .expect("fixture");
    let r = s.run().expect("resolves");
    let markers: Vec<(String, String, Option<String>)> = r
        .packages
        .iter()
        .map(|p| (p.name.to_string(), p.version.to_string(), p.marker.clone()))
        .collect();
    let want =
        |n: &str, v: &str, m: Option<&str>| (n.to_owned(), v.to_owned(), m.map(String::from));
    assert_eq!(
        markers,
        [
            want("numpy", "1.24.3", None),
            want("tensorflow", "2.13.0", None),
            want(
                "tensorflow-intel",
                "2.13.0",
                Some("platform_system == 'Windows'")
            ),
            want(
                "tensorflow-io-gcs-filesystem",
                "0.31.0",
                Some("platform_system == 'Windows'")
            ),
            want(
                "tensorflow-io-gcs-filesystem",
                "0.34.0",
                Some("sys_platform == 'linux' or platform_machine == 'x86_64'")
            ),
            want(
                "tensorflow-macos",
                "2.13.0",
                Some("platform_machine == 'arm64'")
            ),
        ]
    );
}

/// An index without metadata hashes whose Windows wheels carry other dependencies than the
/// rest, as PyPI serves tensorflow 2.13.0 (no PEP 658 files; the Windows wheels only depend
/// on tensorflow-intel).
struct PerWheel(MemoryIndex);

impl pylock::Index for PerWheel {
    fn project(
        &self,
        name: &pylock::PackageName,
    ) -> Result<Option<pylock::ProjectPage>, pylock::IndexError> {
        self.0.project(name)
    }
    fn metadata(
        &self,
        file: &pylock::DistFile,
    ) -> Result<pylock::CoreMetadata, pylock::IndexError> {
        if file.filename().starts_with("tf-") && file.filename().ends_with("win_amd64.whl") {
            let text = "Metadata-Version: 2.1\nName: tf\nVersion: 1.0\nRequires-Dist: tf-intel==1.0 ; platform_system == \"Windows\"\n";
            return pylock::CoreMetadata::parse(text.as_bytes(), file.filename());
        }
        self.0.metadata(file)
    }
}

/// Each platform gets the dependencies of the wheel it installs.
#[test]
fn wheels_with_their_own_dependencies_are_each_used_where_they_install() {
    let mut memory = MemoryIndex::new();
    memory
        .add(
            "tf",
            "1.0",
            ">=3.10",
            &["numpy", "tf-intel==1.0 ; platform_system == 'Windows'"],
            &[
                &wheel("tf", "1.0", "cp310-abi3-manylinux_2_17_x86_64"),
                &wheel("tf", "1.0", "cp310-abi3-win_amd64"),
            ],
        )
        .expect("tf")
        .add(
            "tf-intel",
            "1.0",
            ">=3.10",
            &["numpy"],
            &[&wheel("tf_intel", "1.0", "cp310-abi3-win_amd64")],
        )
        .expect("tf-intel")
        .add("numpy", "1.0", "", &[], &["numpy-1.0.tar.gz"])
        .expect("numpy");
    let index = PerWheel(memory);
    let target = Target::universal(Some(">=3.10".parse().expect("spec")));
    let r = resolve(&manifest(&["tf"]), &target, &Options::default(), &index).expect("resolves");
    let got: Vec<(String, Option<String>)> = r
        .packages
        .iter()
        .map(|p| (p.name.to_string(), p.marker.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("numpy".into(), None),
            ("tf".into(), None),
            (
                "tf-intel".into(),
                Some("platform_system == 'Windows'".into())
            ),
        ]
    );
    assert_eq!(
        r.environments,
        ["(platform_machine == 'AMD64' and sys_platform == 'win32') or (platform_machine == 'x86_64' and sys_platform == 'linux')"]
    );
}

/// Wheels without PEP 658 files may differ per platform, so one wheel per platform is read,
/// not one per Python: torch 2.15 has 28 wheels over 4 platforms, each a range read of a
/// 1.2 MB zip directory. Forks read the same wheel, so the second fork reads nothing.
#[test]
fn wheel_variants_are_read_once_per_platform_across_forks() {
    let mut memory = MemoryIndex::new();
    let wheels: Vec<String> = ["cp310", "cp311", "cp312"]
        .iter()
        .flat_map(|py| {
            ["manylinux_2_17_x86_64", "win_amd64"]
                .iter()
                .map(move |platform| wheel("tf", "1.0", &format!("{py}-{py}-{platform}")))
        })
        .collect();
    let wheels: Vec<&str> = wheels.iter().map(String::as_str).collect();
    memory
        .add("tf", "1.0", ">=3.10", &[], &wheels)
        .expect("tf")
        .add("other", "1.0", "", &[], &["other-1.0-py3-none-any.whl"])
        .expect("other 1")
        .add("other", "2.0", "", &[], &["other-2.0-py3-none-any.whl"])
        .expect("other 2");
    let index = crate::support::Counting::new(memory);
    let target = Target::universal(Some(">=3.10,<3.13".parse().expect("spec")));
    let requirements = [
        "tf",
        "other<2 ; python_version < '3.11'",
        "other>=2 ; python_version >= '3.11'",
    ];
    let r = resolve(
        &manifest(&requirements),
        &target,
        &Options::default(),
        &index,
    )
    .expect("resolves");
    assert_eq!(r.packages.len(), 3, "{:?}", r.packages);
    let mut read: Vec<String> = index
        .read
        .into_inner()
        .expect("not poisoned")
        .into_iter()
        .filter(|f| f.starts_with("tf-"))
        .collect();
    read.sort();
    let platforms: std::collections::BTreeSet<&str> = read
        .iter()
        .map(|f| f.rsplit('-').next().expect("platform"))
        .collect();
    assert!(read.len() <= 3, "tf wheels read: {read:?}");
    assert_eq!(platforms.len(), 2, "tf wheels read: {read:?}");
}
