//! Small helpers shared across modules: atomic file writes, poison-tolerant locks.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Write `contents` to `path` atomically: a uniquely named temporary file in the same
/// directory, synced, then renamed over `path`. A failure leaves any previous file untouched
/// and no temporary file behind.
///
/// A symbolic link is kept: the file it points to is replaced. A path that is not a regular
/// file (`/dev/null`, a pipe) is written into, never replaced: renaming over `/dev/null`
/// would turn the device into a file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let target = follow_links(path);
    match std::fs::metadata(&target) {
        Ok(m) if !m.is_file() && !m.is_dir() => {
            let mut f = std::fs::OpenOptions::new().write(true).open(&target)?;
            f.write_all(contents)?;
            f.flush()
        }
        _ => write_renamed(&target, contents, true),
    }
}

/// Where writing through `path` lands: the final target of a symbolic link (relative links
/// resolved against the link's directory), else `path` itself.
fn follow_links(path: &Path) -> PathBuf {
    let mut current = path.to_path_buf();
    // A bound, not a cycle check: the OS allows 40 levels.
    for _ in 0..40 {
        let Ok(link) = std::fs::read_link(&current) else {
            return current;
        };
        current = match current.parent() {
            Some(dir) if link.is_relative() => dir.join(link),
            _ => link,
        };
    }
    current
}

/// [`write_atomic`] without the sync: for cache entries, which readers check for
/// completeness themselves and which cost only speed when lost. Syncing each of the hundreds
/// of files a cold resolve caches took more time than the resolve itself.
pub fn write_atomic_unsynced(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_renamed(path, contents, false)
}

/// A temporary file's path beside `path` (`.NAME.PID.N.tmp`), unique in this process; the
/// cache's cleanup removes those a killed run leaves.
pub(crate) fn temporary_beside(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    dir.join(format!(
        ".{file_name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

fn write_renamed(path: &Path, contents: &[u8], sync: bool) -> std::io::Result<()> {
    let tmp = temporary_beside(path);
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

/// The text of the file at `path`, refused past `limit` bytes (`what` names the kind of file
/// in that error) or when it is not UTF-8: input files are untrusted (`-r /dev/zero`).
pub fn read_text(path: &Path, limit: u64, what: &str) -> std::io::Result<String> {
    let Some(bytes) = read_at_most(std::fs::File::open(path)?, limit, 0)? else {
        return Err(std::io::Error::other(format!(
            "larger than the limit of {limit} bytes for {what}"
        )));
    };
    String::from_utf8(bytes).map_err(|_| std::io::Error::other("not UTF-8 text"))
}

/// Open `path` with `options` only if it is a regular file, not through a symbolic link:
/// the cache directory is untrusted too, and opening a FIFO placed there would block for
/// ever, a symlink would take appends out of the directory.
pub fn open_regular(path: &Path, options: &std::fs::OpenOptions) -> std::io::Result<std::fs::File> {
    let not_regular = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not a regular file");
    if !std::fs::symlink_metadata(path)?.file_type().is_file() {
        return Err(not_regular());
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    Ok(file)
}

/// The bytes of the regular file at `path` (see [`open_regular`]) if it holds at most
/// `limit`; `None` for anything else: how cache files are read.
pub fn read_regular(path: &Path, limit: u64) -> Option<Vec<u8>> {
    let file = open_regular(path, std::fs::OpenOptions::new().read(true)).ok()?;
    let size = file.metadata().map_or(0, |m| m.len());
    let capacity = usize::try_from(size.min(limit)).unwrap_or(0);
    read_at_most(file, limit, capacity).ok().flatten()
}

/// All of `reader` if it holds at most `limit` bytes, else `None` (having read one byte past
/// the limit, no more): the one way untrusted streams are read whole. `capacity` is a hint.
pub fn read_at_most(
    reader: impl std::io::Read,
    limit: u64,
    capacity: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read as _;
    let mut bytes = Vec::with_capacity(capacity);
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// Drop `value` on a thread of its own: a resolve's caches (hundreds of pages, metadata,
/// every examined version's dependencies) take milliseconds to free, which the caller need
/// not wait for. If no thread can be started, `value` is dropped here.
pub(crate) fn release_in_background<T: Send + 'static>(value: T) {
    let _detached = std::thread::Builder::new()
        .name("pylock-free".into())
        .spawn(move || drop(value));
}

/// Lock a mutex, recovering the data if another thread panicked while holding it.
pub fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A process-wide memo of a pure function, holding at most `max` entries: when full it
/// starts over. Resolves ask the same few thousand marker questions again and again, so a
/// memo pays; a long-running embedder resolving project after project must not see it grow
/// without end. Starting over only costs recomputing: the values never differ.
pub(crate) struct Memo<K, V> {
    map: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<K, V>>>,
    max: usize,
}

impl<K: std::hash::Hash + Eq, V: Clone> Memo<K, V> {
    /// An empty memo of at most `max` entries.
    pub(crate) const fn new(max: usize) -> Self {
        Self {
            map: std::sync::OnceLock::new(),
            max,
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<K, V>> {
        lock(self.map.get_or_init(Default::default))
    }

    /// The value remembered for `key`.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.map().get(key).cloned()
    }

    /// Remember `value` for `key`, forgetting everything first when the memo is full.
    pub(crate) fn insert(&self, key: K, value: V) {
        let mut map = self.map();
        if map.len() >= self.max {
            map.clear();
        }
        map.insert(key, value);
    }

    /// How many entries it holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map().len()
    }
}

/// Run `f`, turning a panic into `Err(message)` without printing anything: the safety net
/// around code that parses untrusted input with third-party parsers (`pep508_rs` asserts on
/// some malformed requirements) and around index reads on worker threads, where a panic
/// would otherwise leave the solver waiting for an answer that never comes.
///
/// The process's panic hook is wrapped once so that it stays silent for panics caught here
/// and behaves as before for every other panic.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    use std::cell::Cell;
    thread_local! {
        static CATCHING: Cell<bool> = const { Cell::new(false) };
    }
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CATCHING.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let outer = CATCHING.with(|c| c.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(outer));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned())
    })
}

/// The last segment of `url`'s path, percent-decoded: the file name of a distribution URL.
pub fn url_file_name(url: &url::Url) -> String {
    url.path_segments()
        .and_then(|mut s| s.next_back())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_values_are_dropped_on_another_thread() {
        struct Reports(std::sync::mpsc::Sender<std::thread::ThreadId>);
        impl Drop for Reports {
            fn drop(&mut self) {
                let _ = self.0.send(std::thread::current().id());
            }
        }
        let (tx, rx) = std::sync::mpsc::channel();
        release_in_background(Reports(tx));
        let dropped_on = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("dropped");
        assert_ne!(dropped_on, std::thread::current().id());
    }

    /// A memo never holds more than its bound: a long-running process resolving project
    /// after project keeps its memory; what it forgot is computed again, the same.
    #[test]
    fn a_full_memo_starts_over() {
        static MEMO: Memo<u32, u32> = Memo::new(3);
        for k in 0..10 {
            if MEMO.get(&k).is_none() {
                MEMO.insert(k, k * 2);
            }
            assert!(MEMO.len() <= 3, "{} entries", MEMO.len());
            assert_eq!(MEMO.get(&k), Some(k * 2));
        }
        assert_eq!(MEMO.get(&0), None, "forgotten when the memo started over");
    }

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("pylock-util-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("mkdir");
        d
    }

    #[test]
    fn panics_become_errors() {
        assert_eq!(catch_panic(|| 1), Ok(1));
        let err = catch_panic(|| -> u8 { panic!("boom {}", 7) }).expect_err("caught");
        assert_eq!(err, "boom 7");
        // Nested: the inner catch does not re-enable the hook for the outer one.
        let nested = catch_panic(|| catch_panic(|| -> u8 { panic!("inner") }));
        assert_eq!(nested, Ok(Err("inner".to_owned())));
    }

    #[cfg(unix)]
    #[test]
    fn links_are_kept_and_special_files_written_into() {
        use std::os::unix::fs::{symlink, FileTypeExt};
        let dir = tempdir("links");
        std::fs::create_dir_all(dir.join("real")).expect("mkdir");
        std::fs::write(dir.join("real/pylock.toml"), "old").expect("write");
        symlink("real/pylock.toml", dir.join("pylock.toml")).expect("link");
        write_atomic(&dir.join("pylock.toml"), b"new").expect("write through the link");
        let meta = std::fs::symlink_metadata(dir.join("pylock.toml")).expect("meta");
        assert!(meta.file_type().is_symlink(), "the link is kept");
        assert_eq!(
            std::fs::read_to_string(dir.join("real/pylock.toml")).expect("read"),
            "new"
        );
        // Through a link, so that a regression replaces the link and not the device.
        symlink("/dev/null", dir.join("null")).expect("link");
        write_atomic(&dir.join("null"), b"into the void").expect("write");
        let meta = std::fs::symlink_metadata(dir.join("null")).expect("meta");
        assert!(meta.file_type().is_symlink());
        let device = std::fs::metadata("/dev/null").expect("meta");
        assert!(device.file_type().is_char_device());
        std::fs::remove_dir_all(&dir).ok();
    }
}
