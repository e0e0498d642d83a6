//! Small helpers shared across modules: atomic file writes, poison-tolerant locks.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Write `contents` to `path` atomically: a uniquely named temporary file in the same
/// directory, synced, then renamed over `path`. A failure leaves any previous file untouched
/// and no temporary file behind.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_renamed(path, contents, true)
}

/// [`write_atomic`] without the sync: for cache entries, which readers check for
/// completeness themselves and which cost only speed when lost. Syncing each of the hundreds
/// of files a cold resolve caches took more time than the resolve itself.
pub fn write_atomic_unsynced(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_renamed(path, contents, false)
}

fn write_renamed(path: &Path, contents: &[u8], sync: bool) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(
        ".{file_name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        if sync {
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Lock a mutex, recovering the data if another thread panicked while holding it.
pub fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Lowercase hex of `bytes` (hashes in cache keys, locks and checks).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}
