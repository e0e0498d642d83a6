//! Downloads of direct references: a private temporary file to hold one, and the copy that
//! hashes (sha256) and bounds what it copies.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::index::IndexError;

/// A temporary file for a download, removed when dropped.
pub(crate) struct Spool {
    /// The open file, for writing then reading.
    pub(crate) file: std::fs::File,
    path: std::path::PathBuf,
}

impl Spool {
    /// A new empty file in the system's temporary directory: readable by its owner only
    /// (0600 on Unix), under a random name, created exclusively (never an existing file or a
    /// link someone planted).
    pub(crate) fn new() -> Result<Self, IndexError> {
        Self::new_in(&std::env::temp_dir())
    }

    fn new_in(dir: &Path) -> Result<Self, IndexError> {
        let mut attempts = 0;
        loop {
            let path = dir.join(format!("pylock-download-{}", random_suffix()));
            let mut options = std::fs::OpenOptions::new();
            options.read(true).write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(file) => return Ok(Self { file, path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempts < 16 => {
                    attempts += 1;
                }
                Err(source) => {
                    return Err(IndexError::Io {
                        url: path.display().to_string(),
                        source,
                    })
                }
            }
        }
    }
}

/// 128 bits no other process can predict: the standard library's hasher keys are drawn from
/// the operating system's random source, fresh for each `RandomState`.
fn random_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let word = || {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u32(std::process::id());
        h.finish()
    };
    format!("{:016x}{:016x}", word(), word())
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Hash `reader` (at most `limit` bytes) into `out` as it is copied; its sha256 and size.
pub(crate) fn copy_hashed(
    reader: impl Read,
    out: &mut impl std::io::Write,
    limit: u64,
    what: &str,
) -> Result<(String, u64), IndexError> {
    struct Tee<'a, W> {
        out: &'a mut W,
        hasher: Sha256,
    }
    impl<W: std::io::Write> std::io::Write for Tee<'_, W> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = self.out.write(buf)?;
            self.hasher.update(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.out.flush()
        }
    }
    let mut tee = Tee {
        out,
        hasher: Sha256::new(),
    };
    let size =
        std::io::copy(&mut reader.take(limit.saturating_add(1)), &mut tee).map_err(|source| {
            IndexError::Io {
                url: what.to_owned(),
                source,
            }
        })?;
    if size > limit {
        return Err(IndexError::TooLarge {
            url: what.to_owned(),
            what: "the file".into(),
            limit,
        });
    }
    Ok((crate::util::hex(&tee.hasher.finalize()), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spool_files_are_private_and_randomly_named() {
        let dir = std::env::temp_dir().join(format!("pylock-spool-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let a = Spool::new_in(&dir).expect("spool");
        let b = Spool::new_in(&dir).expect("spool");
        let names: Vec<String> = [&a, &b]
            .iter()
            .map(|s| {
                s.path
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        for name in &names {
            let suffix = name.strip_prefix("pylock-download-").expect(name);
            assert_eq!(suffix.len(), 32, "{name}");
            assert!(suffix.bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
        }
        assert_ne!(names[0], names[1]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = a.file.metadata().expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        let path = a.path.clone();
        drop(a);
        assert!(!path.exists());
        drop(b);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
