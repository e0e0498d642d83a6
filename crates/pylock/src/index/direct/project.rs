//! A local project directory as a direct reference: its static `[project]` table read as
//! core metadata; a project whose metadata only a build can tell is an error.

use std::path::Path;
use std::sync::Arc;

use url::Url;

use super::{needs_build, DirectDist};
use crate::index::{CoreMetadata, DistFile, DistKind, FileParts, FileUrl, IndexError};
use crate::manifest::Project;
use crate::pep::PackageName;

/// A local project directory's static `[project]` metadata.
pub(super) fn directory(
    name: &PackageName,
    dir: &Path,
    url: Url,
) -> Result<DirectDist, IndexError> {
    let pyproject = dir.join("pyproject.toml");
    // What it publishes only: its dependency groups are not a dependency's to install.
    let project = Project::read_published(&pyproject).map_err(|e| IndexError::Malformed {
        url: pyproject.display().to_string(),
        reason: e.to_string(),
    })?;
    let needed = [
        "version",
        "dependencies",
        "optional-dependencies",
        "requires-python",
    ];
    if let Some(field) = needed
        .iter()
        .find(|f| project.dynamic.iter().any(|d| d == *f))
    {
        return Err(needs_build(
            name,
            &format!("{} lists `{field}` as dynamic", pyproject.display()),
        ));
    }
    let Some(version) = project.version.clone() else {
        return Err(needs_build(
            name,
            &format!("{} gives no [project] version", pyproject.display()),
        ));
    };
    if project.name.as_ref() != Some(name) {
        return Err(IndexError::Malformed {
            url: pyproject.display().to_string(),
            reason: format!("the project is not named {name}"),
        });
    }
    let mut requires_dist = project.dependencies.clone();
    for (extra, requirements) in &project.extras {
        let marker = crate::pep::parse::marker(&format!("extra == '{extra}'")).map_err(|e| {
            IndexError::Internal {
                what: pyproject.display().to_string(),
                message: e.message,
            }
        })?;
        for r in requirements {
            let mut r = r.clone();
            r.marker.and(marker.clone());
            requires_dist.push(r);
        }
    }
    let metadata = CoreMetadata {
        name: name.clone(),
        version: version.clone(),
        requires_python: project.requires_python.clone(),
        requires_dist,
        provides_extra: project.extras.keys().cloned().collect(),
        approximate: None,
    };
    Ok(DirectDist {
        file: DistFile::new(FileParts {
            filename: format!("{name}-{version}").into(),
            version,
            kind: DistKind::Sdist,
            url: FileUrl::from(url),
            sha256: None,
            requires_python: metadata.requires_python.clone().map(Arc::new),
            yanked: false,
            core_metadata: None,
            size: None,
            upload_time: None,
        }),
        metadata,
        directory: true,
    })
}
