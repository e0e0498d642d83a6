//! The versions of a project as one target sees them: which files install there and, for a
//! version with none, why not. Computed once per project page and cached.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::ops::Bound;
use std::sync::{Arc, Mutex, OnceLock};

use jiff::Timestamp;

use crate::index::{DistFile, DistKind, Packer, PageTables, ProjectPage};
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

/// Pages are packed from this many files, and [`PACKED_PER_VERSION`] per version on average:
/// a resolve asks about most versions of small pages (small projects, or few versions), and
/// walks the versions of pages with a file or two per version one by one (the backtracking
/// set's boto3 and botocore, 1,500 versions of two files each), where packing costs more work
/// than it saves memory (large universal warm, every page packed: pages -> candidates 55.7M
/// -> 64.3M instructions, peak heap the same). What is left are projects with wheels for
/// every platform (pydantic-core: 165 versions, 15,000 files), of which a resolve looks at a
/// few versions: airflow's such pages hold 73 % of its 195,000 files.
const PACKED_FROM: usize = 1000;

/// See [`PACKED_FROM`].
const PACKED_PER_VERSION: usize = 4;

/// A version judged in [`Candidates::new`]: its version, its files (packed, or their runs
/// of positions on the page), how many, which install (see [`Packed::usable`]), and why none
/// does.
type Judgement = (
    Version,
    Result<Vec<std::ops::Range<usize>>, Box<[u8]>>,
    usize,
    Option<Box<[u32]>>,
    Option<Unusable>,
);

/// One version of a project.
#[derive(Debug)]
pub struct Candidate {
    /// The version.
    pub version: Version,
    /// Why no file installs, if none does.
    pub unusable: Option<Unusable>,
    /// Its files packed, until they are first asked for: then unpacked, and the packed
    /// form released (a version asked about is not held twice).
    packed: Mutex<Option<Box<Packed>>>,
    unpacked: OnceLock<Files>,
}

/// A version's files packed, with the tables of its page they point into.
#[derive(Debug)]
struct Packed {
    page: Arc<PageTables>,
    bytes: Box<[u8]>,
    /// How many files it has.
    count: usize,
    /// The installable ones, as positions among them in the order [`Candidate::files`] gives;
    /// `None`: every file, sdists first.
    usable: Option<Box<[u32]>>,
}

#[derive(Debug)]
struct Files {
    usable: Vec<Arc<DistFile>>,
    all: Vec<Arc<DistFile>>,
}

impl Candidate {
    /// A version with these files (installable ones first: sdists, then wheels).
    #[cfg(test)]
    pub fn new(
        version: Version,
        files: Vec<Arc<DistFile>>,
        all_files: Vec<Arc<DistFile>>,
        unusable: Option<Unusable>,
    ) -> Self {
        Self {
            version,
            unusable,
            packed: Mutex::new(None),
            unpacked: OnceLock::from(Files {
                usable: files,
                all: all_files,
            }),
        }
    }

    /// Files that install in the target (sdists first, then wheels, in page order).
    pub fn files(&self) -> &[Arc<DistFile>] {
        &self.unpack().usable
    }

    /// Every file listed for the version, in page order.
    pub fn all_files(&self) -> &[Arc<DistFile>] {
        &self.unpack().all
    }

    fn unpack(&self) -> &Files {
        self.unpacked.get_or_init(|| {
            let Some(packed) = crate::util::lock(&self.packed).take() else {
                return Files {
                    usable: Vec::new(),
                    all: Vec::new(),
                };
            };
            // The records were packed by `Candidates::new` a moment before: they unpack.
            let all = (packed.page)
                .unpack(&packed.bytes, packed.count, &self.version)
                .unwrap_or_default();
            Files::new(all, packed.usable.as_deref())
        })
    }
}

impl Files {
    /// A version's files and, of them, the installable ones at `usable` (`None`: all of
    /// them, sdists first).
    fn new(all: Vec<Arc<DistFile>>, usable: Option<&[u32]>) -> Self {
        let usable = match usable {
            None => {
                // Stable: page order within sdists and within wheels.
                let mut usable = all.clone();
                usable.sort_by_key(|f| f.is_wheel());
                usable
            }
            Some(positions) => {
                let mut usable = Vec::with_capacity(positions.len());
                usable.extend(
                    positions
                        .iter()
                        .filter_map(|&i| all.get(i as usize).cloned()),
                );
                usable
            }
        };
        Files { usable, all }
    }
}

impl Candidate {
    /// Whether its metadata is cheap to read ahead of need: a PEP 658 file or a wheel (read
    /// with range requests). Otherwise only the whole sdist tells (pyspark's are 300 MB):
    /// read only when the solver asks.
    pub fn cheap_metadata(&self) -> bool {
        self.all_files()
            .iter()
            .any(|f| f.core_metadata.is_some() || f.is_wheel())
    }

    /// The wheels a universal resolve reads one by one when the index says nothing about
    /// whether they share metadata (no PEP 658 hash on any file, wheels for several
    /// platforms, no sdist: torch and the nvidia packages where PyPI has no `.metadata`
    /// file): the first listed wheel of each platform, as the provider's variant check reads
    /// them. Empty for every other version.
    pub fn unadvertised_variants(&self) -> Vec<&Arc<DistFile>> {
        let files = self.files();
        let advertised = files.iter().any(|f| f.core_metadata.is_some());
        if advertised || files.iter().any(|f| !f.is_wheel()) {
            return Vec::new();
        }
        let mut seen: Vec<String> = Vec::new();
        let mut first = Vec::new();
        for file in files {
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
        self.files().iter().map(|f| DistFile::clone(f)).collect()
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
    /// Group a page's files by version, judge each file and pack each version's files (see
    /// `index::packed`): they are unpacked when first asked for.
    pub fn new(page: ProjectPage, filter: &FileFilter<'_>) -> Self {
        Self::with_packing(page, filter, None)
    }

    /// [`Candidates::new`], the page packed or not as `pack` says (`None`: as its size says).
    fn with_packing(page: ProjectPage, filter: &FileFilter<'_>, pack: Option<bool>) -> Self {
        let mut judged = Judged::default();
        let groups = by_version(&page.files);
        let files = page.files.len();
        let pack =
            pack.unwrap_or(files >= PACKED_FROM && files >= PACKED_PER_VERSION * groups.len());
        let mut packer = pack.then(Packer::default);
        let mut versions = Vec::with_capacity(groups.len());
        for group in groups {
            let version = page.files[group[0].start].version.clone();
            let mut usable = Vec::new();
            let mut worst: Option<Unusable> = None;
            let mut count = 0;
            for file in group.iter().flat_map(|run| &page.files[run.clone()]) {
                if let Some(packer) = &mut packer {
                    packer.pack(file);
                }
                match filter.check(&page.name, file, &mut judged) {
                    Ok(()) => usable.push((file.is_wheel(), position(count))),
                    Err(why) => worst = worst.max(Some(why)),
                }
                count += 1;
            }
            let unusable = if usable.is_empty() {
                Some(worst.unwrap_or(Unusable::NoCompatibleFile))
            } else {
                None
            };
            let usable = (usable.len() != count).then(|| {
                usable.sort_by_key(|&(wheel, _)| wheel);
                usable.into_iter().map(|(_, i)| i).collect()
            });
            let files = match &mut packer {
                Some(packer) => Err(packer.take()),
                None => Ok(group),
            };
            versions.push((version, files, count, usable, unusable));
        }
        let Some(packer) = packer else {
            return Self::unpacked(page.files, versions);
        };
        drop(page);
        let page = Arc::new(packer.finish());
        let versions = versions
            .into_iter()
            .map(|(version, files, count, usable, unusable)| {
                let bytes = files.err().unwrap_or_default();
                Arc::new(Candidate {
                    version,
                    unusable,
                    packed: Mutex::new(Some(Box::new(Packed {
                        page: page.clone(),
                        bytes,
                        count,
                        usable,
                    }))),
                    unpacked: OnceLock::new(),
                })
            })
            .collect();
        Self { versions }
    }

    /// The candidates of a page too small to pack (see [`PACKED_FROM`]): each version's
    /// files (at its positions in `files`) held unpacked from the start.
    fn unpacked(files: Vec<DistFile>, versions: Vec<Judgement>) -> Self {
        let mut shared = Vec::with_capacity(files.len());
        shared.extend(files.into_iter().map(Arc::new));
        let versions = versions
            .into_iter()
            .map(|(version, files, _, usable, unusable)| {
                let runs = files.unwrap_or_default();
                let mut all = Vec::with_capacity(runs.iter().map(ExactSizeIterator::len).sum());
                all.extend(runs.into_iter().flat_map(|run| &shared[run]).cloned());
                Arc::new(Candidate {
                    version,
                    unusable,
                    packed: Mutex::new(None),
                    unpacked: OnceLock::from(Files::new(all, usable.as_deref())),
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

/// The positions of `files` grouped by version, ascending, each group in page order as runs
/// of positions (none empty). Pages list a version's files together: runs of one version are
/// found in one pass, then the runs are sorted (stably: page order holds inside a version)
/// and runs of the same version joined. A page of thousands of files costs one comparison
/// per file and a sort of its versions, instead of a sorted-map search per file.
fn by_version(files: &[DistFile]) -> Vec<Vec<std::ops::Range<usize>>> {
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, file) in files.iter().enumerate() {
        match runs.last_mut() {
            Some(run) if files[run.start].version == file.version => run.end = i + 1,
            _ => runs.push(i..i + 1),
        }
    }
    runs.sort_by(|a, b| files[a.start].version.cmp(&files[b.start].version));
    let mut grouped: Vec<Vec<std::ops::Range<usize>>> = Vec::with_capacity(runs.len());
    for run in runs {
        match grouped.last_mut() {
            Some(last) if files[last[0].start].version == files[run.start].version => {
                last.push(run);
            }
            _ => grouped.push(vec![run]),
        }
    }
    grouped
}

/// A file's position among its version's (a version has far fewer than 2^32 files).
fn position(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// Releases of these versions without files, in the order given (for tests).
#[cfg(test)]
pub(crate) fn releases(versions: &[&str]) -> Vec<Arc<Candidate>> {
    use std::str::FromStr;
    versions
        .iter()
        .map(|v| {
            Arc::new(Candidate::new(
                Version::from_str(v).expect("version"),
                Vec::new(),
                Vec::new(),
                None,
            ))
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
        Candidate::new(
            Version::from_str("1.0").expect("version"),
            files.clone(),
            files,
            None,
        )
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
    fn files_are_unpacked_when_first_asked_for_judged_as_listed() {
        use crate::index::{Index, MemoryIndex};
        let mut index = MemoryIndex::new();
        let (wheel, linux) = (
            "t-1.0-py3-none-any.whl",
            "t-1.0-cp312-cp312-linux_x86_64.whl",
        );
        index
            .add("t", "1.0", "", &[], &[wheel, "t-1.0.tar.gz", linux])
            .expect("1.0");
        let linux2 = linux.replace("1.0", "2.0");
        index.add("t", "2.0", "", &[], &[&linux2]).expect("2.0");
        let name = PackageName::from_str("t").expect("name");
        let page = index.project(&name).expect("page").expect("listed");
        let listed: Vec<String> = page.files.iter().map(|f| format!("{f:?}")).collect();
        let small = page.clone();
        let (yanks, hashes, direct) = (HashSet::new(), HashMap::new(), HashSet::new());
        let tags = Tags::new(12, vec!["win_amd64".into()]);
        let filter = FileFilter {
            python: None,
            tags: Some(&tags),
            exclude_newer: None,
            allowed_yanks: &yanks,
            binary: &BinaryPolicy::default(),
            hashes: &hashes,
            direct: &direct,
        };
        let all = Candidates::with_packing(page, &filter, Some(true));
        let [one, two] = &all.versions[..] else {
            panic!("two versions: {all:?}");
        };
        assert!(one.unpacked.get().is_none() && two.unpacked.get().is_none());
        let names = |files: &[Arc<DistFile>]| -> Vec<String> {
            files.iter().map(|f| f.filename().to_owned()).collect()
        };
        // The Linux wheel does not install on Windows; the sdist comes first.
        assert_eq!(names(one.files()), ["t-1.0.tar.gz", wheel]);
        assert_eq!(names(one.all_files()), [wheel, "t-1.0.tar.gz", linux]);
        let unpacked: Vec<String> = one.all_files().iter().map(|f| format!("{f:?}")).collect();
        assert_eq!(unpacked, listed[..3], "every field as listed");
        assert!(
            Arc::ptr_eq(&one.files()[1], &one.all_files()[0]),
            "shared, not copied"
        );
        assert!(
            crate::util::lock(&one.packed).is_none(),
            "packed form released"
        );
        assert!(two.unpacked.get().is_none(), "only the version asked about");
        assert!(crate::util::lock(&two.packed).is_some());
        assert!(two.files().is_empty());
        assert_eq!(two.unusable, Some(Unusable::NoCompatibleFile));
        assert_eq!(names(two.all_files()), [linux2]);
        // A small page is held unpacked, the same files.
        let held = Candidates::new(small, &filter);
        assert!(held.versions.iter().all(|c| c.unpacked.get().is_some()));
        let seen = |c: &Candidates| -> Vec<(Vec<String>, Vec<String>)> {
            (c.versions.iter())
                .map(|c| (names(c.files()), names(c.all_files())))
                .collect()
        };
        assert_eq!(seen(&held), seen(&all));
        assert_eq!(held.versions[1].unusable, all.versions[1].unusable);
    }

    /// A page of `versions` versions with `per_version` files each.
    fn page(versions: usize, per_version: usize) -> ProjectPage {
        use crate::index::{Index, MemoryIndex};
        let mut index = MemoryIndex::new();
        let platforms = ["win_amd64", "win32", "linux_x86_64", "linux_aarch64", "any"];
        for v in 0..versions {
            let version = format!("1.{v}");
            let files: Vec<String> = (platforms.iter().take(per_version))
                .map(|p| format!("t-{version}-py3-none-{p}.whl"))
                .collect();
            let files: Vec<&str> = files.iter().map(String::as_str).collect();
            index.add("t", &version, "", &[], &files).expect("release");
        }
        let name = PackageName::from_str("t").expect("name");
        index.project(&name).expect("page").expect("listed")
    }

    #[test]
    fn pages_of_many_files_per_version_are_packed() {
        let (yanks, hashes, direct) = (HashSet::new(), HashMap::new(), HashSet::new());
        let filter = FileFilter {
            python: None,
            tags: None,
            exclude_newer: None,
            allowed_yanks: &yanks,
            binary: &BinaryPolicy::default(),
            hashes: &hashes,
            direct: &direct,
        };
        let packed = |versions, per_version| {
            let all = Candidates::new(page(versions, per_version), &filter);
            assert_eq!(all.versions.len(), versions);
            let packed = all.versions.iter().all(|c| c.unpacked.get().is_none());
            assert!(packed || all.versions.iter().all(|c| c.unpacked.get().is_some()));
            let files = all.versions[7].files();
            assert_eq!(files[0].filename(), "t-1.7-py3-none-win_amd64.whl");
            assert_eq!(files.len(), per_version);
            packed
        };
        assert!(packed(PACKED_FROM / 4, 4), "wheels for every platform");
        assert!(!packed(PACKED_FROM / 4 - 1, 4), "too few files");
        assert!(!packed(PACKED_FROM, 1), "too few files per version");
        assert!(!packed(PACKED_FROM / 3 + 1, 3), "too few files per version");
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
        let groups: Vec<Vec<String>> = by_version(&page.files)
            .into_iter()
            .map(|g| {
                (g.into_iter().flat_map(|run| &page.files[run]))
                    .map(|f| f.filename().to_owned())
                    .collect()
            })
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
