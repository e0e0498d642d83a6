//! Distribution file names: wheels (`name-ver(-build)?-py-abi-plat.whl`) and sdists
//! (`name-ver.tar.gz`, `name-ver.zip`).

use std::str::FromStr;

use crate::pep::{PackageName, Version};

/// What kind of distribution a file is, as its name tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DistKind {
    /// A built wheel with its compressed tag sets.
    Wheel(WheelTags),
    /// A source distribution.
    Sdist,
}

// The tag sets are PEP 425 logic, kept with the rest of it; re-exported as before.
pub use crate::pep::tags::WheelTags;

/// A distribution file name split into its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistFilename {
    /// The version the file provides.
    pub version: Version,
    /// Wheel or sdist.
    pub kind: DistKind,
}

/// Parse a distribution file name of project `name`. `None` for names we do not install from
/// (eggs, installers, other archive formats) or that do not belong to `name`.
pub fn parse_filename(filename: &str, name: &PackageName) -> Option<DistFilename> {
    parse_filename_with(filename, name, |v| Version::from_str(v).ok())
}

/// [`parse_filename`] with the version text parsed by `version`: pages list dozens of files
/// per version, and parsing each version once saves much of a page's cost.
pub(crate) fn parse_filename_with(
    filename: &str,
    name: &PackageName,
    mut version: impl FnMut(&str) -> Option<Version>,
) -> Option<DistFilename> {
    if let Some(stem) = filename.strip_suffix(".whl") {
        // name-version(-build)?-py-abi-platform: the tags are the last three parts.
        let head = stem.rsplitn(4, '-').nth(3)?;
        let mut head_parts = head.split('-');
        let (dist, version_text) = (head_parts.next()?, head_parts.next()?);
        if head_parts.nth(1).is_some() || !same_name(dist, name) {
            return None;
        }
        return Some(DistFilename {
            version: version(version_text)?,
            kind: DistKind::Wheel(WheelTags::parse(&stem[head.len() + 1..])?),
        });
    }
    let stem = filename
        .strip_suffix(".tar.gz")
        .or_else(|| filename.strip_suffix(".zip"))?;
    // The name part may itself contain dashes: try every split point, longest name first
    // that normalizes to the project name.
    stem.char_indices()
        .filter(|&(_, c)| c == '-')
        .find_map(|(i, _)| {
            let (dist, version_text) = (&stem[..i], &stem[i + 1..]);
            same_name(dist, name)
                .then(|| version(version_text))
                .flatten()
        })
        .map(|version| DistFilename {
            version,
            kind: DistKind::Sdist,
        })
}

/// Whether `dist` normalizes (PEP 503: case-folded, runs of `-_.` as one `-`) to `name`,
/// without allocating: pages list thousands of files.
fn same_name(dist: &str, name: &PackageName) -> bool {
    let want = name.as_ref().as_bytes();
    let mut i = 0;
    let mut separator = false;
    for &b in dist.as_bytes() {
        if matches!(b, b'-' | b'_' | b'.') {
            separator = true;
            continue;
        }
        if separator {
            if want.get(i) != Some(&b'-') {
                return false;
            }
            i += 1;
            separator = false;
        }
        if want.get(i) != Some(&b.to_ascii_lowercase()) {
            return false;
        }
        i += 1;
    }
    !separator && i == want.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> PackageName {
        PackageName::from_str(s).expect("valid name")
    }

    #[test]
    fn wheel_names() {
        let f = parse_filename(
            "black-26.10.1-cp312-cp312-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
            &name("black"),
        )
        .expect("wheel");
        assert_eq!(f.version.to_string(), "26.10.1");
        let DistKind::Wheel(tags) = f.kind else {
            panic!("not a wheel")
        };
        assert_eq!(tags.python().collect::<Vec<_>>(), ["cp312"]);
        assert_eq!(tags.abi().collect::<Vec<_>>(), ["cp312"]);
        assert_eq!(
            tags.platform().collect::<Vec<_>>(),
            ["manylinux2014_x86_64", "manylinux_2_17_x86_64"]
        );
        let f = parse_filename(
            "typing_extensions-4.0-1-py3-none-any.whl",
            &name("typing-extensions"),
        )
        .expect("wheel with build tag");
        assert_eq!(f.version.to_string(), "4.0");
        assert!(parse_filename("other-1.0-py3-none-any.whl", &name("black")).is_none());
        assert!(parse_filename("black-1.0-py3-none.whl", &name("black")).is_none());
        assert!(parse_filename("black-1.0-1-x-py3-none-any.whl", &name("black")).is_none());
        assert!(parse_filename("black-1.0-py3--any.whl", &name("black")).is_none());
    }

    #[test]
    fn name_normalization() {
        assert!(same_name("Foo__Bar.baz", &name("foo-bar-baz")));
        assert!(same_name("typing_extensions", &name("typing-extensions")));
        assert!(!same_name("foo", &name("foo-bar")));
        assert!(!same_name("foo-bar-", &name("foo-bar")));
        assert!(!same_name("foobar", &name("foo-bar")));
    }

    #[test]
    fn sdist_names() {
        let f = parse_filename("mypy_extensions-1.1.0.tar.gz", &name("mypy-extensions"))
            .expect("sdist");
        assert_eq!(f.version.to_string(), "1.1.0");
        assert_eq!(f.kind, DistKind::Sdist);
        let f = parse_filename("foo-bar-2.0.zip", &name("foo-bar")).expect("zip sdist");
        assert_eq!(f.version.to_string(), "2.0");
        assert!(parse_filename("foo-2.0.tar.bz2", &name("foo")).is_none());
        assert!(parse_filename("foo-2.0-py3.8.egg", &name("foo")).is_none());
        assert!(parse_filename("foo-notaversion!.tar.gz", &name("foo")).is_none());
    }
}
