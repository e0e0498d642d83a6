//! The prefetch policy, in one place: what the workers read ahead of the solver, and when.
//!
//! - When a version's dependencies become known (the provider reads them, or a worker reads
//!   the version's metadata), the pages of those not yet asked for are queued, and for those
//!   whose page is in, the metadata of the version the solver will likely take ([`likely`]).
//! - When a worker has read a page, the metadata of the likely version in the range asked
//!   for is read right after it (also when the solver read the page first).
//! - In a universal resolve, the per-platform wheels of a likely version whose index gives
//!   no metadata hash are queued too: the provider's variant check reads each.
//! - A backtracking solve queues the older versions it is about to try, and a fork the
//!   wheels whose metadata may differ (the provider's `prefetch`).
//! - Versions whose metadata only a whole sdist download tells are read ahead only for a
//!   backtracking walk, a few at a time ([`Fetcher::prefetch_downloads`]).

use std::ops::Bound;
use std::sync::Arc;

use super::{Fetcher, Job};
use crate::index::DistFile;
use crate::pep::{
    requirement_range, restrict_extras, PackageName, Range, Version, VersionSpecifiers,
};
use crate::resolve::candidates::{Candidate, Candidates};

/// The version a solve usually picks within `range`: the newest usable stable one, else the
/// newest usable one. The range's versions are found by binary search: a backtracking solve
/// asks this for every version it tries (1,500 boto3 versions, each naming an old botocore
/// range among 1,500 versions), and a scan from the newest down cost more than the solve.
///
/// `preferred` versions (an existing lock's, newest first) come first: a re-lock takes them,
/// and reading the newest version's metadata (and, from it, its dependencies' pages) would be
/// wasted.
fn likely(candidates: &Candidates, range: &Range, preferred: &[Version]) -> Option<Arc<Candidate>> {
    likely_where(candidates, range, preferred, usize::MAX, |_| true)
}

/// [`likely`] among the versions `fits` keeps, of the newest `scan` versions in the range
/// (`fits` may unpack a version's files: a bounded scan keeps that to a few versions).
fn likely_where(
    candidates: &Candidates,
    range: &Range,
    preferred: &[Version],
    scan: usize,
    fits: impl Fn(&Candidate) -> bool,
) -> Option<Arc<Candidate>> {
    let usable = |c: &&Arc<Candidate>| c.unusable.is_none() && fits(c);
    let kept = preferred
        .iter()
        .filter(|v| range.contains(v))
        .filter_map(|v| candidates.get(v))
        .find(usable);
    if kept.is_some() {
        return kept.cloned();
    }
    let within = || candidates.within(range, false).take(scan);
    within()
        .filter(usable)
        .find(|c| !c.version.any_prerelease())
        .or_else(|| within().find(usable))
        .cloned()
}

/// Python minors looked at above the lowest one for [`Fetcher::likely_versions`], at most.
const MINORS: u64 = 8;

/// Versions looked at, newest first, for the one a lowest Python's fork takes, at most.
const SCAN: usize = 16;

/// The lowest Python of a universal target's `requires_python` (`>=3.10`: 3.10), if it has
/// a lower bound.
pub(crate) fn lowest_python(requires_python: &VersionSpecifiers) -> Option<Version> {
    match crate::pep::python_bounds(requires_python).0 {
        Bound::Included(v) | Bound::Excluded(v) => Some(v),
        Bound::Unbounded => None,
    }
}

/// Whether some file of `candidate` admits `python` by its Requires-Python (none stated
/// admits every Python).
fn admits(candidate: &Candidate, python: &Version) -> bool {
    (candidate.files().iter()).any(|f| f.requires_python().is_none_or(|r| r.contains(python)))
}

impl Fetcher<'_> {
    /// The versions of `name` likely taken within `range`: [`likely`]'s, and in a universal
    /// resolve, when its Requires-Python leaves out the target's lowest Pythons, the ones the
    /// forks of those Pythons will likely take, minor by minor up to one it admits (torch
    /// 2.15 needs Python 3.11: the Python 3.10 fork takes 2.14.1, whose wheels were read one
    /// round trip after another at the end of a live torch resolve; networkx 3.7 needs 3.12,
    /// and 3.6.1 and 3.4.2 were read one after the other).
    fn likely_versions(
        &self,
        name: &PackageName,
        candidates: &Candidates,
        range: &Range,
    ) -> Vec<Arc<Candidate>> {
        let preferred = self.preferred(name);
        let Some(first) = likely(candidates, range, preferred) else {
            return Vec::new();
        };
        let mut versions = vec![first.clone()];
        let Some(lowest) = &self.filter.lowest_python else {
            return versions;
        };
        let (major, minor) = match lowest.release() {
            [major, minor, ..] => (*major, *minor),
            [major] => (*major, 0),
            [] => return versions,
        };
        let later = (minor + 1..minor + MINORS).map(|m| Version::new([major, m]));
        for python in std::iter::once(lowest.clone()).chain(later) {
            if admits(&first, &python) {
                break;
            }
            let fork = likely_where(candidates, range, preferred, SCAN, |c| admits(c, &python));
            if let Some(c) = fork.filter(|c| !versions.iter().any(|v| v.version == c.version)) {
                versions.push(c);
            }
        }
        versions
    }

    /// Queue the pages of the packages not yet fetched or queued, and the metadata of the
    /// version each is likely to get within the range asked for (the newest usable one).
    pub fn prefetch_ranges<'n>(&self, wanted: impl IntoIterator<Item = (&'n PackageName, Range)>) {
        let mut jobs = Vec::new();
        let mut likely_metadata: Vec<(PackageName, Arc<Candidate>)> = Vec::new();
        for (name, range) in wanted {
            if self.pages.request(name) {
                jobs.push(Job::Page(name.clone(), range));
            } else if let Some(Some(candidates)) = self.pages.if_ready(name) {
                for c in self.likely_versions(name, &candidates, &range) {
                    likely_metadata.push((name.clone(), c));
                }
            }
        }
        for (_, candidate) in &likely_metadata {
            self.prefetch_variants(candidate);
        }
        jobs.extend(self.request_metadata(likely_metadata, false));
        self.executor.submit(jobs);
    }

    /// For a universal resolve, queue the wheels of `candidate` that the provider's variant
    /// check will read one by one (see [`Candidate::unadvertised_variants`]): read as soon as
    /// the version is likely, in parallel with the other packages' (the nvidia packages of a
    /// live torch resolve were read one package after the other, two round trips each).
    fn prefetch_variants(&self, candidate: &Candidate) {
        if self.filter.env.is_none() {
            self.prefetch_file_metadata(candidate.unadvertised_variants());
        }
    }

    /// Queue the metadata of `candidates` of `name` not yet read or queued (older versions
    /// a backtracking solve is about to try).
    pub fn prefetch_metadata(&self, name: &PackageName, candidates: &[Arc<Candidate>]) {
        let wanted = (candidates.iter()).map(|c| (name.clone(), c.clone()));
        let jobs = self.request_metadata(wanted.collect(), false);
        self.executor.submit(jobs);
    }

    /// Queue the metadata of `candidates` of `name` not yet read or queued, those only a
    /// whole download tells about included (the few sdist-only versions a backtracking walk
    /// is about to try, one download each: the caller keeps them few).
    pub fn prefetch_downloads(&self, name: &PackageName, candidates: &[Arc<Candidate>]) {
        let wanted = (candidates.iter()).map(|c| (name.clone(), c.clone()));
        let jobs = self.request_metadata(wanted.collect(), true);
        self.executor.submit(jobs);
    }

    /// Jobs for the versions' metadata not read nor queued yet, now marked queued; none for
    /// versions whose metadata only a whole sdist download tells, unless `downloads`.
    fn request_metadata(
        &self,
        wanted: Vec<(PackageName, Arc<Candidate>)>,
        downloads: bool,
    ) -> Vec<Job> {
        wanted
            .into_iter()
            .filter(|(name, c)| {
                (downloads || c.cheap_metadata())
                    && self.metadata.request(&(name.clone(), c.version.clone()))
            })
            .map(|(name, c)| Job::Metadata(name, c))
            .collect()
    }

    /// Queue the metadata of `files` not yet read or queued, for the workers to read in
    /// parallel: the wheels of a version whose platforms may carry different metadata are
    /// each read (torch has no PEP 658 file: a range read of a 1.2 MB zip directory per
    /// platform, three round trips each), and one after the other they were most of a live
    /// torch resolve.
    pub fn prefetch_file_metadata<'f>(&self, files: impl IntoIterator<Item = &'f Arc<DistFile>>) {
        let jobs: Vec<Job> = files
            .into_iter()
            .filter(|f| self.file_metadata.request(&f.url.to_string()))
            .map(|f| Job::FileMetadata(f.clone()))
            .collect();
        self.executor.submit(jobs);
    }

    /// What a worker does with a job, unless someone took its slot already.
    pub(super) fn run_job(&self, job: Job) {
        match job {
            Job::Page(name, range) => {
                if self.pages.claim(&name) {
                    self.run_page_job(&name, &range);
                } else if let Some(Some(candidates)) = self.pages.when_ready(&name) {
                    // The solver took the page itself before a worker came to it (it asks for
                    // the pages of every package it weighs): the metadata it will likely ask
                    // for next is still read ahead, as this job would have.
                    self.read_likely(&name, &candidates, &range);
                }
            }
            Job::Metadata(name, candidate) => {
                if self
                    .metadata
                    .claim(&(name.clone(), candidate.version.clone()))
                {
                    self.fill_metadata(&name, &candidate);
                }
            }
            Job::FileMetadata(file) => {
                let key = file.url.to_string();
                if self.file_metadata.claim(&key) {
                    let result = self.index_metadata(&file);
                    self.file_metadata.complete(key, result);
                }
            }
        }
    }

    /// Read a page; then, unless anyone asked for it already, the metadata of the version
    /// likely taken within `range`.
    pub(super) fn run_page_job(&self, name: &PackageName, range: &Range) {
        let result = self.build(name);
        let candidates = result.as_ref().ok().and_then(Clone::clone);
        self.pages.complete(name.clone(), result);
        if let Some(candidates) = candidates {
            self.read_likely(name, &candidates, range);
        }
    }

    /// Read the metadata of the version of `name` likely taken within `range`, unless
    /// anyone asked for it already.
    fn read_likely(&self, name: &PackageName, candidates: &Candidates, range: &Range) {
        let mut likely = self.likely_versions(name, candidates, range).into_iter();
        let first = likely.next().filter(|c| c.cheap_metadata());
        // A version the fork of the lowest Python takes is queued, not read here: the likely
        // one's dependencies come first.
        let older: Vec<_> = likely.map(|c| (name.clone(), c)).collect();
        for (_, candidate) in &older {
            self.prefetch_variants(candidate);
        }
        self.executor.submit(self.request_metadata(older, false));
        if let Some(candidate) = first {
            self.prefetch_variants(&candidate);
            if (self.metadata).claim_unknown((name.clone(), candidate.version.clone())) {
                self.fill_metadata(name, &candidate);
            }
        }
    }

    /// Read the metadata of `candidate` of `name` (a slot claimed for it), then queue what
    /// its dependencies will need: the dependencies of a version read are very likely needed
    /// next, so their pages are queued now (and, once a page is in, the metadata of the
    /// version likely chosen in the range asked for) rather than when the solver asks: one
    /// round trip less per level of the graph. Dependencies behind extras wait for the
    /// solver.
    pub(super) fn fill_metadata(&self, name: &PackageName, candidate: &Candidate) {
        let result = self.read_metadata(name, candidate);
        if let Ok(m) = &result {
            // Only a guess: a panic here must not leave the slot below unanswered.
            let _ = crate::util::catch_panic(|| {
                let deps: Vec<(&PackageName, Range)> = m
                    .requires_dist
                    .iter()
                    .filter(|r| match &self.filter.env {
                        Some(env) => r.evaluate_markers(env, &[]),
                        None => !restrict_extras(&r.marker, &[]).is_false(),
                    })
                    .map(|r| (&r.name, requirement_range(r)))
                    .collect();
                self.prefetch_ranges(deps);
            });
        }
        let key = (name.clone(), candidate.version.clone());
        self.metadata.complete(key, result);
    }
}
