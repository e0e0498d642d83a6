//! The versions of a project as one target sees them: which files install there and, for a
//! version with none, why not. Computed once per project page and cached.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

use jiff::Timestamp;

use crate::index::{DistFile, DistKind, ProjectPage};
use crate::manifest::{BinaryPolicy, RequirementHashes};
use crate::pep::tags::{Tags, WheelTags};
use crate::pep::{PackageName, Range, Version, VersionSpecifiers};
use rustc_hash::FxHashMap;

/// Why a version cannot be installed in the target, ordered from least to most specific:
/// when files fail for different reasons, the version reports the most specific one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unusable {
    /// Every file was uploaded after `--exclude-newer`.
    TooNew,
    /// Every file is yanked and no root requirement pins the version.
    Yanked,
    /// The files require another Python.
    RequiresPython(VersionSpecifiers),
    /// No wheel fits the target and there is no sdist.
    NoCompatibleFile,
    /// The files it has are of a format `--only-binary` / `--no-binary` excludes.
    Format(&'static str),
    /// No file has a hash the requirement named here lists.
    Hash(String),
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooNew => f.write_str("was uploaded after the --exclude-newer cutoff"),
            Self::Yanked => f.write_str("was yanked"),
            Self::RequiresPython(spec) => write!(f, "requires Python {spec}"),
            Self::NoCompatibleFile => f.write_str(
                "has no wheel for the target platform and Python and no source distribution",
            ),
            Self::Format(option) => write!(f, "has no file of a format {option} allows"),
            Self::Hash(requirement) => {
                write!(f, "has no file with a hash given by `{requirement}`")
            }
        }
    }
}

/// One version of a project.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The version.
    pub version: Version,
    /// Files that install in the target (sdist first, then wheels, in page order).
    pub files: Vec<Arc<DistFile>>,
    /// Every file listed for the version.
    pub all_files: Vec<Arc<DistFile>>,
    /// Why no file installs, if none does.
    pub unusable: Option<Unusable>,
}

impl Candidate {
    /// Whether its metadata is cheap to read ahead of need: a PEP 658 file or a wheel (read
    /// with range requests). Otherwise only the whole sdist tells (pyspark's are 300 MB):
    /// read only when the solver asks.
    pub fn cheap_metadata(&self) -> bool {
        self.all_files
            .iter()
            .any(|f| f.core_metadata.is_some() || f.is_wheel())
    }

    /// The wheels a universal resolve reads one by one when the index says nothing about
    /// whether they share metadata (no PEP 658 hash on any file, wheels for several
    /// platforms, no sdist: torch and the nvidia packages where PyPI has no `.metadata`
    /// file): the first listed wheel of each platform, as the provider's variant check reads
    /// them. Empty for every other version.
    pub fn unadvertised_variants(&self) -> Vec<&Arc<DistFile>> {
        let advertised = self.files.iter().any(|f| f.core_metadata.is_some());
        if advertised || self.files.iter().any(|f| !f.is_wheel()) {
            return Vec::new();
        }
        let mut seen: Vec<String> = Vec::new();
        let mut first = Vec::new();
        for file in &self.files {
            if let Some(tag) = platform_tag(file).filter(|t| !seen.contains(t)) {
                seen.push(tag);
                first.push(file);
            }
        }
        if first.len() < 2 {
            first.clear();
        }
        first
    }

    /// Its installable files, as a resolution hands them out.
    pub fn owned_files(&self) -> Vec<DistFile> {
        self.files.iter().map(|f| DistFile::clone(f)).collect()
    }
}

/// The platform tags of a wheel, as one string (`manylinux_2_17_x86_64.manylinux2014_x86_64`):
/// what tells apart wheels whose metadata may differ when the index gives no hashes.
pub fn platform_tag(file: &DistFile) -> Option<String> {
    match &file.kind {
        DistKind::Wheel(tags) => Some(tags.platform().collect::<Vec<_>>().join(".")),
        DistKind::Sdist => None,
    }
}

/// A project's versions, oldest first.
#[derive(Clone, Debug)]
pub struct Candidates {
    /// Every listed version, ascending (shared: solves hand them around without copying).
    pub versions: Vec<std::sync::Arc<Candidate>>,
}

/// What decides whether a file is usable.
pub struct FileFilter<'a> {
    /// The target's Python (single-environment targets).
    pub python: Option<&'a Version>,
    /// The target's wheel tags (single-environment targets).
    pub tags: Option<&'a Tags>,
    /// `--exclude-newer`.
    pub exclude_newer: Option<Timestamp>,
    /// Versions whose yanked files are allowed (pinned by a root requirement).
    pub allowed_yanks: &'a HashSet<(PackageName, Version)>,
    /// `--only-binary` / `--no-binary`.
    pub binary: &'a BinaryPolicy,
    /// Per package: the allowed sha256 digests and the requirement that gave them.
    pub hashes: &'a HashMap<PackageName, (BTreeSet<String>, String)>,
    /// Packages from direct references: their one file has no upload time, and
    /// `--exclude-newer` does not apply to it.
    pub direct: &'a HashSet<PackageName>,
}

/// The hashes each package must have: per package, the intersection of what each
/// requirement on it lists, with the requirements named for errors.
pub fn required_hashes(
    hashes: &[RequirementHashes],
) -> HashMap<PackageName, (BTreeSet<String>, String)> {
    let mut out: HashMap<PackageName, (BTreeSet<String>, String)> = HashMap::new();
    for h in hashes {
        match out.get_mut(&h.name) {
            Some((allowed, named)) => {
                allowed.retain(|d| h.sha256.contains(d));
                named.push_str("` and `");
                named.push_str(&h.requirement);
            }
            None => {
                out.insert(h.name.clone(), (h.sha256.clone(), h.requirement.clone()));
            }
        }
    }
    out
}

/// The verdicts on a page's shared parts, each judged once: a page's files share a few
/// `Requires-Python` values and wheel tag sets (see `index::page`), and judging them per file
/// cost more than the rest of turning a page into candidates.
#[derive(Default)]
struct Judged {
    /// Whether the target's Python is in the specifiers at this address (the page's files
    /// share them, and the files live until the page is judged, so the address stands for
    /// the value).
    python: FxHashMap<*const VersionSpecifiers, bool>,
    /// Whether a wheel of these tags installs in the target.
    tags: FxHashMap<WheelTags, bool>,
}

impl FileFilter<'_> {
    fn check(
        &self,
        name: &PackageName,
        file: &DistFile,
        judged: &mut Judged,
    ) -> Result<(), Unusable> {
        if let Some((allowed, requirement)) = self.hashes.get(name) {
            if !file.sha256().is_some_and(|h| allowed.contains(&h)) {
                return Err(Unusable::Hash(requirement.clone()));
            }
        }
        if file.is_wheel() && !self.binary.allows_wheel(name) {
            return Err(Unusable::Format("--no-binary"));
        }
        if !file.is_wheel() && !self.binary.allows_sdist(name) {
            return Err(Unusable::Format("--only-binary"));
        }
        if let Some(cutoff) = self.exclude_newer.filter(|_| !self.direct.contains(name)) {
            if file.upload_time.is_none_or(|t| t > cutoff) {
                return Err(Unusable::TooNew);
            }
        }
        if file.yanked
            && !self
                .allowed_yanks
                .contains(&(name.clone(), file.version.clone()))
        {
            return Err(Unusable::Yanked);
        }
        if let (Some(python), Some(spec)) = (self.python, file.requires_python()) {
            let admits = *judged
                .python
                .entry(std::ptr::from_ref(spec))
                .or_insert_with(|| spec.contains(python));
            if !admits {
                return Err(Unusable::RequiresPython(spec.clone()));
            }
        }
        if let (Some(tags), DistKind::Wheel(wheel)) = (self.tags, &file.kind) {
            let fits = match judged.tags.get(wheel) {
                Some(&fits) => fits,
                None => {
                    let fits = tags.is_compatible(wheel);
                    judged.tags.insert(wheel.clone(), fits);
                    fits
                }
            };
            if !fits {
                return Err(Unusable::NoCompatibleFile);
            }
        }
        Ok(())
    }
}

impl Candidates {
    /// Group a page's files by version and judge each file.
    pub fn new(page: ProjectPage, filter: &FileFilter<'_>) -> Self {
        let mut judged = Judged::default();
        let versions = by_version(page.files)
            .into_iter()
            .map(|all_files| {
                let version = all_files[0].version.clone();
                let mut files = Vec::new();
                let mut worst: Option<Unusable> = None;
                for file in &all_files {
                    match filter.check(&page.name, file, &mut judged) {
                        Ok(()) => files.push(file.clone()),
                        Err(why) => worst = worst.max(Some(why)),
                    }
                }
                files.sort_by_key(|f| f.is_wheel());
                let unusable = if files.is_empty() {
                    Some(worst.unwrap_or(Unusable::NoCompatibleFile))
                } else {
                    None
                };
                std::sync::Arc::new(Candidate {
                    version,
                    files,
                    all_files,
                    unusable,
                })
            })
            .collect();
        Self { versions }
    }

    /// The candidate for `version`, if listed.
    pub fn get(&self, version: &Version) -> Option<&Arc<Candidate>> {
        self.versions
            .binary_search_by(|c| c.version.cmp(version))
            .ok()
            .map(|i| &self.versions[i])
    }

    /// The candidates inside `range`, newest first (oldest first with `lowest_first`).
    ///
    /// Walks the range's intervals and finds each one's versions by binary search, so a
    /// backtracking solve whose range has ruled out the newest hundreds of boto3 versions
    /// does not step over them again at every choice.
    pub fn within<'a>(
        &'a self,
        range: &'a Range,
        lowest_first: bool,
    ) -> Box<dyn Iterator<Item = &'a Arc<Candidate>> + 'a> {
        let slice = move |(lo, hi): (&Bound<Version>, &Bound<Version>)| {
            let start = self.versions.partition_point(|c| match lo {
                Bound::Included(v) => c.version < *v,
                Bound::Excluded(v) => c.version <= *v,
                Bound::Unbounded => false,
            });
            let end = self.versions.partition_point(|c| match hi {
                Bound::Included(v) => c.version <= *v,
                Bound::Excluded(v) => c.version < *v,
                Bound::Unbounded => true,
            });
            &self.versions[start..end.max(start)]
        };
        if lowest_first {
            Box::new(range.iter().flat_map(move |r| slice(r).iter()))
        } else {
            // `Ranges::iter` cannot run backwards.
            let intervals: Vec<_> = range.iter().collect();
            Box::new(
                intervals
                    .into_iter()
                    .rev()
                    .flat_map(move |r| slice(r).iter().rev()),
            )
        }
    }
}

/// `files` grouped by version, ascending, each group in page order (none empty). Pages
/// list a version's files together: runs of one version are found in one pass, then the
/// runs are sorted (stably: page order holds inside a version) and runs of the same version
/// joined. A page of thousands of files costs one comparison per file and a sort of its
/// versions, instead of a sorted-map search per file.
fn by_version(files: Vec<DistFile>) -> Vec<Vec<Arc<DistFile>>> {
    let mut runs: Vec<Vec<Arc<DistFile>>> = Vec::new();
    for file in files {
        match runs.last_mut() {
            Some(run) if run[0].version == file.version => run.push(Arc::new(file)),
            _ => runs.push(vec![Arc::new(file)]),
        }
    }
    runs.sort_by(|a, b| a[0].version.cmp(&b[0].version));
    let mut grouped: Vec<Vec<Arc<DistFile>>> = Vec::with_capacity(runs.len());
    for run in runs {
        match grouped.last_mut() {
            Some(last) if last[0].version == run[0].version => last.extend(run),
            _ => grouped.push(run),
        }
    }
    grouped
}

/// Releases of these versions without files, in the order given (for tests).
#[cfg(test)]
pub(crate) fn releases(versions: &[&str]) -> Vec<Arc<Candidate>> {
    use std::str::FromStr;
    versions
        .iter()
        .map(|v| {
            Arc::new(Candidate {
                version: Version::from_str(v).expect("version"),
                files: Vec::new(),
                all_files: Vec::new(),
                unusable: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn candidates(versions: &[&str]) -> Candidates {
        Candidates {
            versions: super::releases(versions),
        }
    }

    /// Version 1.0 of `t` with `files`, with or without PEP 658 hashes.
    fn release(files: &[&str], hashed: bool) -> Candidate {
        use crate::index::{Index, MemoryIndex};
        let mut index = MemoryIndex::new();
        index.add("t", "1.0", "", &[], files).expect("release");
        let name = PackageName::from_str("t").expect("name");
        let page = index.project(&name).expect("page").expect("listed");
        let files: Vec<Arc<DistFile>> = page
            .files
            .into_iter()
            .map(|mut f| {
                if !hashed {
                    f.core_metadata = None;
                }
                Arc::new(f)
            })
            .collect();
        Candidate {
            version: Version::from_str("1.0").expect("version"),
            all_files: files.clone(),
            files,
            unusable: None,
        }
    }

    #[test]
    fn unadvertised_variants_are_the_first_wheel_of_each_platform() {
        let wheels = [
            "t-1.0-cp311-cp311-manylinux_2_28_x86_64.whl",
            "t-1.0-cp312-cp312-manylinux_2_28_x86_64.whl",
            "t-1.0-cp311-cp311-win_amd64.whl",
            "t-1.0-cp312-cp312-win_amd64.whl",
        ];
        let names = |c: &Candidate| -> Vec<String> {
            let variants = c.unadvertised_variants();
            variants.iter().map(|f| f.filename().to_owned()).collect()
        };
        assert_eq!(
            names(&release(&wheels, false)),
            [wheels[0], wheels[2]],
            "one wheel per platform, the first listed"
        );
        // The index gives hashes: the provider compares them, nothing is read ahead here.
        assert!(names(&release(&wheels, true)).is_empty());
        // An sdist: environments without a wheel build it, the version's metadata holds.
        let mut with_sdist = wheels.to_vec();
        with_sdist.push("t-1.0.tar.gz");
        assert!(names(&release(&with_sdist, false)).is_empty());
        // One platform: nothing can differ.
        assert!(names(&release(&wheels[..2], false)).is_empty());
    }

    fn listed<'a>(it: impl Iterator<Item = &'a Arc<Candidate>>) -> Vec<String> {
        it.map(|c| c.version.to_string()).collect()
    }

    #[test]
    fn within_walks_each_interval_in_order() {
        let all = candidates(&["1.0", "1.1", "1.2", "2.0", "2.1", "3.0", "4.0"]);
        let v = |s: &str| Version::from_str(s).expect("version");
        // [1.1, 2.0] or (2.1, 4.0): holes, an excluded bound and an included one.
        let range = Range::between(v("1.1"), v("2.0"))
            .union(&Range::singleton(v("2.0")))
            .union(
                &Range::strictly_higher_than(v("2.1"))
                    .intersection(&Range::strictly_lower_than(v("4.0"))),
            );
        assert_eq!(
            listed(all.within(&range, false)),
            ["3.0", "2.0", "1.2", "1.1"]
        );
        assert_eq!(
            listed(all.within(&range, true)),
            ["1.1", "1.2", "2.0", "3.0"]
        );
        assert_eq!(listed(all.within(&Range::full(), false)).len(), 7);
        assert!(listed(all.within(&Range::empty(), true)).is_empty());
        assert_eq!(
            all.get(&v("2.1")).map(|c| c.version.to_string()),
            Some("2.1".into())
        );
        assert!(all.get(&v("2.2")).is_none());
    }

    #[test]
    fn files_are_grouped_by_version_in_page_order() {
        use crate::index::{Index, MemoryIndex};
        let mut index = MemoryIndex::new();
        index
            .add(
                "t",
                "1.0",
                "",
                &[],
                &["t-1.0.tar.gz", "t-1.0-py3-none-any.whl"],
            )
            .expect("1.0");
        index
            .add("t", "2.0", "", &[], &["t-2.0.tar.gz"])
            .expect("2.0");
        index.add("t", "1.5", "", &[], &["t-1.5.zip"]).expect("1.5");
        let name = PackageName::from_str("t").expect("name");
        let mut page = index.project(&name).expect("page").expect("listed");
        // A version listed in two places, and versions out of order.
        let by_name = |n: &str| page.files.iter().position(|f| f.filename() == n);
        let wheel = by_name("t-1.0-py3-none-any.whl").expect("wheel");
        let moved = page.files.remove(wheel);
        page.files.push(moved);
        let order: Vec<&str> = page.files.iter().map(|f| f.filename()).collect();
        let sdist_first = order.iter().position(|n| *n == "t-1.0.tar.gz")
            < order.iter().position(|n| *n == "t-1.0-py3-none-any.whl");
        assert!(sdist_first, "{order:?}");
        let groups: Vec<Vec<String>> = by_version(page.files)
            .iter()
            .map(|g| g.iter().map(|f| f.filename().to_owned()).collect())
            .collect();
        assert_eq!(
            groups,
            [
                vec!["t-1.0.tar.gz", "t-1.0-py3-none-any.whl"],
                vec!["t-1.5.zip"],
                vec!["t-2.0.tar.gz"],
            ]
        );
    }
}
