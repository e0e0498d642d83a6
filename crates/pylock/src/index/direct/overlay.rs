//! The index the resolver sees direct references through: each referenced package has its
//! one distribution as its only version, read once before the resolve.

use std::collections::{BTreeMap, HashMap};

use url::Url;

use super::dist::FRAGMENT_GIVES;
use super::{DirectDist, MAX_DIRECT};
use crate::index::{CoreMetadata, DistFile, Index, IndexError, ProjectPage};
use crate::manifest::Manifest;
use crate::pep::{restrict_extras, ExtraName, PackageName, Requirement, VersionOrUrl};

/// An index seen through the direct references of a manifest: each named package has its
/// referenced distribution as its only version, and the underlying index is not asked for it.
pub(crate) struct Overlay<'a> {
    inner: &'a dyn Index,
    dists: BTreeMap<PackageName, DirectDist>,
    /// The requirement each package's reference was first given in.
    given: BTreeMap<PackageName, String>,
    by_url: HashMap<String, PackageName>,
}

/// The URL of a direct requirement, if it is one.
fn url_of(requirement: &Requirement) -> Option<Url> {
    match &requirement.version_or_url {
        Some(VersionOrUrl::Url(url)) => Some(url.to_url()),
        _ => None,
    }
}

/// `url` without its fragment.
fn bare(url: &Url) -> Url {
    let mut bare = url.clone();
    bare.set_fragment(None);
    bare
}

fn without_fragment(url: &Url) -> String {
    bare(url).to_string()
}

impl<'a> Overlay<'a> {
    /// Read every direct reference of `manifest` (requirements, constraints, overrides) and
    /// of the local projects among them, through `inner`. Two different references for one
    /// name, or one that cannot be read, is an error naming the requirement.
    pub(crate) fn read(manifest: &Manifest, inner: &'a dyn Index) -> Result<Self, IndexError> {
        let mut todo: Vec<Requirement> = manifest
            .requirements
            .iter()
            .chain(&manifest.constraints)
            .chain(&manifest.overrides)
            .filter(|r| url_of(r).is_some())
            .cloned()
            .collect();
        todo.reverse();
        let mut reading = Reading::default();
        while let Some(req) = todo.pop() {
            let Some(url) = url_of(&req) else { continue };
            let given = if url.username().is_empty() && url.password().is_none() {
                req.to_string()
            } else {
                // Never print credentials.
                format!("{} @ {}", req.name, crate::index::redact(&url))
            };
            reading.read(&req, &url, given, inner)?;
            todo.extend(reading.follow(&req).into_iter().rev());
        }
        let Reading { dists, seen, .. } = reading;
        let by_url = dists
            .iter()
            .map(|(name, d)| (d.file.url.text().into_owned(), name.clone()))
            .collect();
        let given = seen.into_iter().map(|(n, (_, g))| (n, g)).collect();
        Ok(Self {
            inner,
            dists,
            given,
            by_url,
        })
    }

    /// Where each direct package comes from, for an explanation that names some of them:
    /// one line per package whose name appears in `explanation`.
    pub(crate) fn notes(&self, explanation: &str) -> Vec<String> {
        let words: std::collections::HashSet<&str> = explanation
            .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .map(|w| w.trim_end_matches('.'))
            .collect();
        self.dists
            .iter()
            .filter(|(name, _)| words.contains(name.as_ref()))
            .map(|(name, d)| {
                format!(
                    "{name} {} is the only version considered: it comes from the direct reference `{}`",
                    d.file.version,
                    self.given.get(name).map_or("", String::as_str)
                )
            })
            .collect()
    }

    /// The packages read, by name.
    pub(crate) fn dists(&self) -> &BTreeMap<PackageName, DirectDist> {
        &self.dists
    }
}

impl Index for Overlay<'_> {
    fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
        match self.dists.get(name) {
            Some(d) => Ok(Some(ProjectPage {
                name: name.clone(),
                files: vec![d.file.clone()],
            })),
            None => self.inner.project(name),
        }
    }

    fn metadata(&self, file: &DistFile) -> Result<CoreMetadata, IndexError> {
        match self.by_url.get(&*file.url.text()) {
            Some(name) => Ok(self.dists[name].metadata.clone()),
            None => self.inner.metadata(file),
        }
    }

    fn concurrency(&self) -> usize {
        self.inner.concurrency()
    }

    fn direct(&self, name: &PackageName, url: &Url) -> Result<DirectDist, IndexError> {
        self.inner.direct(name, url)
    }
}

/// The direct references read so far.
#[derive(Default)]
struct Reading {
    /// Each package's reference (the first given) and that requirement as shown.
    seen: BTreeMap<PackageName, (Url, String)>,
    dists: BTreeMap<PackageName, DirectDist>,
    /// The extras whose references were followed, per local project.
    followed: BTreeMap<PackageName, Vec<ExtraName>>,
}

impl Reading {
    /// Read the distribution `req` refers to at `url` (`given`: the requirement as shown),
    /// unless read already: another reference for the same name is an error, and so is a
    /// `#sha256=` the file read does not have.
    fn read(
        &mut self,
        req: &Requirement,
        url: &Url,
        given: String,
        inner: &dyn Index,
    ) -> Result<(), IndexError> {
        if let Some((first, first_given)) = self.seen.get(&req.name) {
            if without_fragment(first) != without_fragment(url) {
                return Err(IndexError::Direct {
                    requirement: given,
                    reason: format!(
                        "{} has another direct reference, `{first_given}`: one package can come from one place only",
                        req.name
                    ),
                });
            }
            // The same file: every `#sha256=` given for it must be the file's, whichever
            // reference was read (the first may have had none).
            let expected = url.fragment().and_then(|f| f.strip_prefix("sha256="));
            let actual = self.dists.get(&req.name).and_then(|d| d.file.sha256());
            return match (expected, actual) {
                (Some(expected), Some(actual)) if !expected.eq_ignore_ascii_case(&actual) => {
                    Err(IndexError::Direct {
                        requirement: given,
                        reason: IndexError::HashMismatch {
                            url: crate::index::redact(&bare(url)),
                            listed_by: FRAGMENT_GIVES.into(),
                            expected: expected.to_ascii_lowercase(),
                            actual,
                        }
                        .to_string(),
                    })
                }
                _ => Ok(()),
            };
        }
        if self.seen.len() >= MAX_DIRECT {
            return Err(IndexError::Direct {
                requirement: given,
                reason: format!("more than {MAX_DIRECT} direct references"),
            });
        }
        self.seen
            .insert(req.name.clone(), (url.clone(), given.clone()));
        let dist = inner
            .direct(&req.name, url)
            .map_err(|e| IndexError::Direct {
                requirement: given,
                reason: e.to_string(),
            })?;
        self.dists.insert(req.name.clone(), dist);
        Ok(())
    }

    /// The direct references to read next for `req`, read: a local project's own direct
    /// references (`lib @ file:../lib`) are the user's too, those its base requires and those
    /// of the extras `req` asks for, each once. Those behind other extras are not required to
    /// exist, and those in an archive's metadata are not followed (a remote file must not
    /// make pylock read local ones).
    fn follow(&mut self, req: &Requirement) -> Vec<Requirement> {
        let Some(dist) = self.dists.get(&req.name).filter(|d| d.directory) else {
            return Vec::new();
        };
        let before = self.followed.get(&req.name).cloned();
        let mut extras = before.clone().unwrap_or_default();
        for extra in &req.extras {
            if !extras.contains(extra) {
                extras.push(extra.clone());
            }
        }
        if before.as_ref() == Some(&extras) {
            return Vec::new();
        }
        let applies =
            |r: &Requirement, extras: &[ExtraName]| !restrict_extras(&r.marker, extras).is_false();
        let next = (dist.metadata.requires_dist.iter())
            .filter(|r| url_of(r).is_some() && applies(r, &extras))
            .filter(|r| before.as_ref().is_none_or(|b| !applies(r, b)))
            .cloned()
            .collect();
        self.followed.insert(req.name.clone(), extras);
        next
    }
}
