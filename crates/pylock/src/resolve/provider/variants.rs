//! Versions whose wheels carry different metadata (tensorflow 2.13's Windows wheels depend
//! only on tensorflow-intel, its Linux x86-64 wheels on everything): in a fork, the
//! dependencies are those of the wheels its environments install, and a fork whose
//! environments install wheels with different dependencies splits between them.

use std::sync::Arc;

use super::{Provider, ProviderError};
use crate::index::{CoreMetadata, DistFile, IndexError, Sha256Hash};
use crate::pep::PackageName;
use crate::resolve::candidates::{platform_tag, Candidate};
use crate::resolve::forks::variant_split;
use crate::util::lock;

/// The environments (indexes into the checked set) that install one metadata variant.
struct Variant {
    file: Arc<DistFile>,
    /// Whether `metadata` is the file's own (else the version's, the file's unreadable).
    own: bool,
    metadata: Arc<CoreMetadata>,
    envs: Vec<usize>,
}

impl Provider<'_> {
    /// The metadata of a version in this scope: that of the file its environments install
    /// where the wheels differ.
    pub(super) fn metadata(
        &self,
        name: &PackageName,
        candidate: &Candidate,
    ) -> Result<Arc<CoreMetadata>, IndexError> {
        let variant = lock(&self.variants)
            .get(&(name.clone(), candidate.version.clone()))
            .cloned();
        match variant {
            Some(file) => self.fetcher.file_metadata(&file),
            None => self.fetcher.metadata(name, candidate),
        }
    }

    /// When the wheels of `candidate` that the fork's environments `envs` install carry
    /// different dependencies or Requires-Python, a fork request splitting the region between
    /// them; otherwise `None`, with the file whose metadata holds here remembered.
    ///
    /// Looked at only where the wheels may differ: the index gives two metadata hashes, or
    /// gives a hash for some wheels and not for others, or gives none for a version with
    /// wheels for several platforms and no sdist (PyPI has no PEP 658 file for any of
    /// tensorflow 2.13's wheels). Without hashes, one wheel per platform tag is read.
    pub(super) fn variant_fork(
        &self,
        name: &PackageName,
        candidate: &Candidate,
        envs: &[usize],
    ) -> Result<Option<ProviderError>, IndexError> {
        let hash = |f: &DistFile| f.core_metadata.flatten();
        let wheels: Vec<Option<Sha256Hash>> = candidate
            .files()
            .iter()
            .filter(|f| f.is_wheel())
            .map(|f| hash(f))
            .collect();
        let mut hashes: Vec<&Sha256Hash> = wheels.iter().flatten().collect();
        hashes.sort();
        hashes.dedup();
        let mixed = !hashes.is_empty() && wheels.iter().any(Option::is_none);
        let unadvertised = hashes.is_empty()
            && !candidate.files().iter().any(|f| !f.is_wheel())
            && platform_tags(candidate.files()).len() > 1;
        if hashes.len() < 2 && !mixed && !unadvertised {
            return Ok(None);
        }
        // The wheel each environment installs, as the one read for its key: every fork reads
        // the same wheel for a key (the first listed), so that the fetcher's memo answers the
        // next fork without another read. Environments that build the sdist stay with the
        // first variant's part.
        let installed: Vec<(usize, VariantKey, &Arc<DistFile>)> = envs
            .iter()
            .filter_map(|&env| {
                let file = (self.inputs.env_set)
                    .file_for(env, candidate.files())
                    .filter(|f| f.is_wheel())?;
                let key = variant_key(file);
                let first = (candidate.files().iter())
                    .find(|f| f.is_wheel() && variant_key(f) == key)
                    .unwrap_or(file);
                Some((env, key, first))
            })
            .collect();
        // The distinct wheels are read in parallel (torch 2.15 has no PEP 658 file on PyPI:
        // a range read of a 1.2 MB zip directory per platform, three round trips each).
        self.fetcher
            .prefetch_file_metadata(installed.iter().map(|(_, _, file)| *file));
        let mut variants: Vec<Variant> = Vec::new();
        // Which variant each file read so far belongs to, by what tells files apart (see
        // `variant_key`). torch 2.15 has 28 wheels over 5 platforms: one read per platform,
        // not one per environment.
        let mut read: Vec<(VariantKey, usize)> = Vec::new();
        for (env, key, file) in installed {
            if let Some((_, i)) = read.iter().find(|(k, _)| *k == key) {
                variants[*i].envs.push(env);
                continue;
            }
            let i = self.add_variant(&mut variants, file, env, name, candidate)?;
            read.push((key, i));
        }
        if variants.len() < 2 {
            if let Some(v) = variants.first().filter(|v| v.own) {
                lock(&self.variants)
                    .insert((name.clone(), candidate.version.clone()), v.file.clone());
            }
            return Ok(None);
        }
        let envs: Vec<&[usize]> = variants.iter().map(|v| v.envs.as_slice()).collect();
        let parts = variant_split(&self.scope, &self.inputs.env_set, &envs);
        Ok(Some(ProviderError::Fork(parts)))
    }

    /// Read `file`'s metadata and put `env` with the variant that has the same, or a new
    /// one; the variant's index.
    fn add_variant(
        &self,
        variants: &mut Vec<Variant>,
        file: &Arc<DistFile>,
        env: usize,
        name: &PackageName,
        candidate: &Candidate,
    ) -> Result<usize, IndexError> {
        // A wheel whose metadata cannot be read on its own (a local index without its
        // `.metadata` file) is taken to share the version's metadata.
        let (metadata, own) = match self.fetcher.file_metadata(file) {
            Ok(m) => (m, true),
            Err(_) => (self.fetcher.metadata(name, candidate)?, false),
        };
        let same = variants.iter().position(|v| {
            v.metadata.requires_dist == metadata.requires_dist
                && v.metadata.requires_python == metadata.requires_python
        });
        Ok(match same {
            Some(i) => {
                variants[i].envs.push(env);
                i
            }
            None => {
                variants.push(Variant {
                    file: file.clone(),
                    own,
                    metadata,
                    envs: vec![env],
                });
                variants.len() - 1
            }
        })
    }
}

/// What tells wheels' metadata apart without reading it: the metadata hash the index gives,
/// else (no hash) the platform tags.
type VariantKey = (Option<Sha256Hash>, Option<String>);

fn variant_key(file: &DistFile) -> VariantKey {
    match file.core_metadata.flatten() {
        Some(h) => (Some(h), None),
        None => (None, platform_tag(file)),
    }
}

/// The distinct platform tags of `files`' wheels.
fn platform_tags(files: &[Arc<DistFile>]) -> Vec<String> {
    let mut tags: Vec<String> = files.iter().filter_map(|f| platform_tag(f)).collect();
    tags.sort();
    tags.dedup();
    tags
}
