//! Metadata files kept by the SHA-256 the index lists for them (PEP 658), in the resolver's
//! form (`index::metadata::Fields`), the project's page itself, and what was derived from its
//! files (a wheel's METADATA read with range requests, by `Client::derived`), grouped in one
//! append-only pack file per project (`metadata-v2/<project>`): a cold run creates one file
//! per project instead of one per page and one per metadata file (creating files is most of
//! a cold run's system time, and grows with the files deleted just before on ext4), and a
//! warm run opens and reads each project's pack once.
//!
//! A pack is [`PACK_MAGIC`] then records, each self-delimiting and sealed:
//! [`RECORD_MAGIC`], the content's length (u32, little-endian), the record's key, the seal
//! (SHA-256 of the key and the content), the content. A metadata record's key is the file's
//! SHA-256: the hash names one content, so such records need no revalidation. A page
//! record's key is [`page_key`] (the page's URL and Accept header), a derived record's a hash
//! of the file's URL and what was derived (files do not change under their URL); a newer
//! record of a page replaces an older one (the last in the pack wins), and packs whose superseded records
//! outweigh the rest are rewritten without them. A record is appended with one `write` on a
//! file opened with `O_APPEND`, so records from several threads or processes do not
//! interleave. A record damaged on disk or copied under another key fails its seal and is
//! refused (what it kept is read from the index again); a pack cut short, damaged in its
//! framing, of another format, over [`MAX_PACK_BYTES`] or full of duplicates is rewritten
//! (temporary file and rename) with its good records when something is next kept in it.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::index::file::Sha256Hash;
use crate::util::lock;

/// Where the packs live in the cache directory.
pub(super) const KEPT_METADATA_DIR: &str = "metadata-v2";

/// What starts a pack (the version of the format).
const PACK_MAGIC: &[u8] = b"pylock-metadata-pack-v2\n";

/// What starts an HTTP cache entry (`cache.rs`'s format, the version of it): the records
/// holding one (pages) are recognized by it.
pub(super) const ENTRY_MAGIC: &[u8] = b"pylock-http-v3\n";

/// What starts each record: a reader that finds anything else there stops (damage).
const RECORD_MAGIC: &[u8; 4] = b"PLKr";

/// A record's header: magic, length, the key (a file's hash, or a page's or derived key), the
/// seal.
const HEADER_LEN: usize = 4 + 4 + 32 + 32;

/// The largest pack read. A project's pack holds a few hundred bytes per metadata file it
/// lists (the largest projects on PyPI have a few thousand): a pack past this is not read
/// (it is started afresh at the next write), so no cache file can make a run read without
/// bound.
const MAX_PACK_BYTES: u64 = 32 * 1024 * 1024;

/// The most bytes of packs one run holds, all packs together: past it a pack is not read
/// (its files are fetched again), so packs planted in the cache cannot make a run hold
/// more than this.
const MAX_HELD_BYTES: u64 = 128 * 1024 * 1024;

/// The most duplicate records (the same file kept twice, by concurrent runs that both
/// missed it) a pack may hold before it is rewritten without them, beyond half its records.
const MAX_DUPLICATES: usize = 16;

/// The fewest bytes of pages a pack holds for them to be released from memory once read (a
/// smaller pack is left whole).
const MIN_RELEASED_BYTES: usize = 16 * 1024;

/// The most bytes of superseded records (older copies of a page) a pack may hold before it
/// is rewritten without them, beyond half its size.
const MAX_STALE_BYTES: u64 = 1024 * 1024;

/// The packs of one cache directory, each read once per run (on its first lookup).
pub(super) struct KeptMetadata {
    dir: PathBuf,
    /// Whether `dir` was made (once per run, not once per file).
    made: std::sync::Once,
    packs: Mutex<HashMap<String, Arc<Mutex<Pack>>>>,
    /// The bytes of packs read so far (see [`MAX_HELD_BYTES`]).
    held: AtomicU64,
}

/// One project's pack as this run knows it.
#[derive(Default)]
struct Pack {
    /// Whether the file has been read.
    loaded: bool,
    /// The file's bytes as read.
    bytes: Vec<u8>,
    /// Where each key's record is in `bytes` (the last, when kept twice).
    records: HashMap<[u8; 32], Range<usize>>,
    /// The bytes of records in `bytes` that later ones superseded (older copies of a page).
    stale: u64,
    /// HTTP cache entries (pages) were dropped from `bytes` ([`Pack::release_entries`]):
    /// the pack is read again before it is rewritten.
    released: bool,
    /// Keys forgotten in this run ([`KeptMetadata::forget_page`]): not read, and left out when
    /// the pack is rewritten, even if read again.
    forgotten: HashSet<[u8; 32]>,
    /// Files kept in this run (not in `bytes`): never kept twice.
    appended: HashSet<[u8; 32]>,
    /// The pack's size on disk, as far as this run knows.
    size: u64,
    /// Damage in the framing, another format, too large or too many duplicates: the next
    /// write rewrites the pack instead of appending to it.
    rewrite: bool,
    /// A record failed its seal: the next write rewrites the pack without it.
    refused: bool,
    /// Open for appending, once something is kept.
    file: Option<std::fs::File>,
}

impl KeptMetadata {
    /// The packs in `cache_dir`.
    pub(super) fn new(cache_dir: &Path) -> Self {
        Self {
            dir: cache_dir.join(KEPT_METADATA_DIR),
            made: std::sync::Once::new(),
            packs: Mutex::new(HashMap::new()),
            held: AtomicU64::new(0),
        }
    }

    /// The kept form of the metadata file of distribution `filename` whose SHA-256 is
    /// `sha256`, if kept and its seal holds.
    pub(super) fn read(&self, filename: &str, sha256: Sha256Hash) -> Option<Vec<u8>> {
        self.read_record(project_of(filename), &sha256.into_bytes(), false)
    }

    /// Keep `kept` for the metadata file of `filename` whose SHA-256 is `sha256` (best
    /// effort: a cache that cannot be written only costs speed). A file already kept is not
    /// kept twice.
    pub(super) fn store(&self, filename: &str, sha256: Sha256Hash, kept: &[u8]) {
        self.keep(project_of(filename), sha256.into_bytes(), kept, false);
    }

    /// What was derived from the distribution file `filename` (a wheel's METADATA read with
    /// range requests) kept under `key`, if kept and its seal holds.
    pub(super) fn read_derived(&self, filename: &str, key: &[u8; 32]) -> Option<Vec<u8>> {
        self.read_record(project_of(filename), key, false)
    }

    /// Keep `derived` from the distribution file `filename` under `key` (once). `false` when
    /// it is too big for a pack (nothing is written).
    pub(super) fn store_derived(&self, filename: &str, key: [u8; 32], derived: &[u8]) -> bool {
        self.keep(project_of(filename), key, derived, false)
    }

    /// The page of `project` (a normalized name) kept under `key` ([`page_key`]), if kept and
    /// its seal holds.
    pub(super) fn read_page(&self, project: &str, key: &[u8; 32]) -> Option<Vec<u8>> {
        // A run reads each page once: the pack's pages need not stay in memory with it.
        self.read_record(pack_of_project(project), key, true)
    }

    /// Keep `page` for `project` under `key`, replacing what was kept there (for the runs
    /// after this one: a run reads each page once). `false` when a page this big cannot be
    /// kept in a pack (nothing is written).
    pub(super) fn store_page(&self, project: &str, key: [u8; 32], page: &[u8]) -> bool {
        self.keep(pack_of_project(project), key, page, true)
    }

    /// Forget the page of `project` kept under `key`: not read again, in this run or later
    /// ones (the pack is rewritten without it).
    pub(super) fn forget_page(&self, project: &str, key: &[u8; 32]) {
        let (path, pack) = self.pack(pack_of_project(project));
        let mut pack = lock(&pack);
        // As it is on disk now, with this run's appends.
        pack.loaded = false;
        pack.load(&path, &self.held);
        pack.forgotten.insert(*key);
        if pack.records.remove(key).is_some() {
            // Rewritten without it now: a later run must not read it either (the page may
            // be kept elsewhere, in a file, from now on).
            pack.rewrite_with(&path, &[], false);
        }
    }

    /// The content kept under `key` in the pack `name`; `release`: then drop the pack's pages
    /// from memory ([`Pack::release_entries`]).
    fn read_record(&self, name: String, key: &[u8; 32], release: bool) -> Option<Vec<u8>> {
        let (path, pack) = self.pack(name);
        let mut pack = lock(&pack);
        pack.load(&path, &self.held);
        let content = pack.get(key).map(<[u8]>::to_vec);
        if release {
            pack.release_entries(&self.held);
        }
        content
    }

    /// Keep `content` under `key` in the pack `name`; `replace`: whatever was kept under it
    /// is superseded (a page), else a key kept already is left as it is (a file's hash).
    /// `false` when the record cannot be kept in a pack.
    fn keep(&self, name: String, key: [u8; 32], content: &[u8], replace: bool) -> bool {
        let Some(record) = record(&key, content) else {
            return false;
        };
        let (path, pack) = self.pack(name);
        let mut pack = lock(&pack);
        pack.load(&path, &self.held);
        if !replace && (pack.appended.contains(&key) || pack.get(&key).is_some()) {
            return true;
        }
        self.made.call_once(|| {
            let _ = std::fs::create_dir_all(&self.dir);
        });
        let added = record.len() as u64;
        if pack.rewrite || pack.refused || (pack.released && pack.rewrites(added)) {
            // Read again: what looked cut short may have been another run's append in
            // progress, which has landed since; pages released from memory are back.
            pack.loaded = false;
            pack.load(&path, &self.held);
        }
        if replace {
            // The older copy is superseded: not read again in this run, and left out when
            // the pack is rewritten.
            if let Some(old) = pack.records.remove(&key) {
                pack.stale += old.len() as u64;
            }
        }
        if pack.rewrites(added) {
            // Afresh when even the records still in use would not leave room.
            let afresh = pack.size - pack.stale.min(pack.size) + added > MAX_PACK_BYTES;
            pack.rewrite_with(&path, &record, afresh);
        } else {
            pack.append(&path, &record);
        }
        pack.appended.insert(key);
        pack.forgotten.remove(&key);
        true
    }

    /// The path of the pack `name` and this run's state of it.
    fn pack(&self, name: String) -> (PathBuf, Arc<Mutex<Pack>>) {
        let path = self.dir.join(&name);
        let mut packs = lock(&self.packs);
        (path, Arc::clone(packs.entry(name).or_default()))
    }
}

impl Pack {
    /// Read the pack at `path` (once, if it is a regular file and `held` bytes of packs
    /// leave room for it): index its records, note damage.
    fn load(&mut self, path: &Path, held: &AtomicU64) {
        if self.loaded {
            return;
        }
        self.loaded = true;
        self.release_held(held);
        self.released = false;
        self.bytes = Vec::new();
        self.records.clear();
        self.size = 0;
        self.stale = 0;
        self.rewrite = false;
        let file = match crate::util::open_regular(path, std::fs::OpenOptions::new().read(true)) {
            Ok(file) => file,
            Err(e) => {
                // Something other than a pack in its place (a FIFO, a symlink, a directory)
                // is replaced at the next write.
                self.rewrite = e.kind() != std::io::ErrorKind::NotFound;
                return;
            }
        };
        let size = file.metadata().map_or(0, |m| m.len());
        self.size = size;
        if size > MAX_PACK_BYTES {
            self.rewrite = true;
            return;
        }
        let room = held.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |h| {
            (h + size <= MAX_HELD_BYTES).then_some(h + size)
        });
        if room.is_err() {
            return;
        }
        let capacity = usize::try_from(size).unwrap_or(0);
        let Ok(Some(bytes)) = crate::util::read_at_most(file, MAX_PACK_BYTES, capacity) else {
            self.rewrite = true;
            return;
        };
        self.size = bytes.len() as u64;
        let (mut records, damaged, duplicates, stale) = index_records(&bytes);
        self.rewrite = damaged || duplicates > MAX_DUPLICATES.max(records.len() / 2);
        records.retain(|key, _| !self.forgotten.contains(key));
        self.records = records;
        self.stale = stale;
        self.bytes = bytes;
    }

    /// Whether keeping `added` more bytes rewrites the pack instead of appending: damaged,
    /// refused records, past [`MAX_PACK_BYTES`], or superseded records outweighing the rest.
    fn rewrites(&self, added: u64) -> bool {
        self.rewrite
            || self.refused
            || self.size + added > MAX_PACK_BYTES
            || self.stale > MAX_STALE_BYTES.max(self.size / 2)
    }

    /// Drop the records that are HTTP cache entries (pages) from the bytes held, keeping the
    /// rest (metadata, looked up all through a run); they are no longer read in this run.
    fn release_entries(&mut self, held: &AtomicU64) {
        let is_entry =
            |r: &Range<usize>| self.bytes[r.start + HEADER_LEN..r.end].starts_with(ENTRY_MAGIC);
        let entries: usize = self
            .records
            .values()
            .filter(|r| is_entry(r))
            .map(|r| r.len())
            .sum();
        if entries < MIN_RELEASED_BYTES {
            return;
        }
        let mut kept: Vec<([u8; 32], Range<usize>)> = (self.records.iter())
            .filter(|(_, r)| !is_entry(r))
            .map(|(k, r)| (*k, r.clone()))
            .collect();
        kept.sort_by_key(|(_, r)| r.start);
        let mut bytes = Vec::with_capacity(kept.iter().map(|(_, r)| r.len()).sum());
        self.records.clear();
        for (key, range) in kept {
            let start = bytes.len();
            bytes.extend_from_slice(&self.bytes[range]);
            self.records.insert(key, start..bytes.len());
        }
        self.release_held(held);
        held.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        self.bytes = bytes;
        self.released = true;
    }

    /// Give the bytes held back to the run's budget (see [`MAX_HELD_BYTES`]).
    fn release_held(&self, held: &AtomicU64) {
        let len = self.bytes.len() as u64;
        let _ = held.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |h| {
            Some(h.saturating_sub(len))
        });
    }

    /// The content kept for `hash`, if its seal holds; a record that fails it is dropped
    /// and the pack marked for a rewrite.
    fn get(&mut self, hash: &[u8; 32]) -> Option<&[u8]> {
        let range = self.records.get(hash)?.clone();
        let content = &self.bytes[range.start + HEADER_LEN..range.end];
        let seal = &self.bytes[range.start + HEADER_LEN - 32..range.start + HEADER_LEN];
        if seal != seal_of(hash, content).as_slice() {
            self.records.remove(hash);
            self.refused = true;
            return None;
        }
        Some(&self.bytes[range.start + HEADER_LEN..range.end])
    }

    /// Append `record` with one write (O_APPEND: concurrent appends do not interleave). A
    /// pack that does not exist yet appears with its magic and `record` at once (see
    /// [`create_whole`]).
    fn append(&mut self, path: &Path, record: &[u8]) {
        let mut options = std::fs::OpenOptions::new();
        options.append(true);
        if self.file.is_none() {
            let mut pack = PACK_MAGIC.to_vec();
            pack.extend_from_slice(record);
            match create_whole(path, &pack) {
                Ok(true) => {
                    self.size = pack.len() as u64;
                    self.file = crate::util::open_regular(path, &options).ok();
                    return;
                }
                Ok(false) => self.file = crate::util::open_regular(path, &options).ok(),
                Err(_) => return,
            }
        }
        if let Some(file) = &mut self.file {
            if file.write_all(record).is_ok() {
                self.size += record.len() as u64;
            }
        }
    }

    /// Replace the pack by its good records as last read (unless `afresh`), each once, and
    /// `record`. (A run appending to the pack replaced loses its appends: they are fetched
    /// again by a later run.)
    fn rewrite_with(&mut self, path: &Path, record: &[u8], afresh: bool) {
        let mut out = PACK_MAGIC.to_vec();
        self.file = None;
        if !afresh {
            let mut good: Vec<Range<usize>> = Vec::new();
            let hashes: Vec<[u8; 32]> = self.records.keys().copied().collect();
            for hash in hashes {
                if self.get(&hash).is_some() {
                    good.extend(self.records.get(&hash).cloned());
                }
            }
            // In file order: the pack reads as it did.
            good.sort_by_key(|r| r.start);
            for range in good {
                out.extend_from_slice(&self.bytes[range]);
            }
        }
        out.extend_from_slice(record);
        if crate::util::write_atomic_unsynced(path, &out).is_ok() {
            let (records, _, _, stale) = index_records(&out);
            self.size = out.len() as u64;
            self.records = records;
            self.stale = stale;
            self.bytes = out;
            self.rewrite = false;
            self.refused = false;
        }
    }
}

/// Create the file at `path` holding `contents`, all at once: written to a temporary file
/// ([`crate::util::temporary_beside`]) and hard-linked into place, so that no other run
/// finds it without its first bytes (a run appending to a pack created empty could land its
/// record ahead of the pack's magic, and the whole pack then read as damaged). `Ok(false)`: a file was there first. Where
/// hard links are not supported, the file is created and written in two steps.
fn create_whole(path: &Path, contents: &[u8]) -> std::io::Result<bool> {
    let tmp = crate::util::temporary_beside(path);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut file| file.write_all(contents));
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(_) => match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(mut file) => file.write_all(contents).map(|()| true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        },
    }
}

/// The records of a pack's `bytes` by key (the last of each), whether reading stopped at
/// damage (or the pack is of another format), how many records were duplicates and how many
/// bytes those superseded.
fn index_records(bytes: &[u8]) -> (HashMap<[u8; 32], Range<usize>>, bool, usize, u64) {
    let mut records = HashMap::new();
    let Some(mut rest) = bytes.strip_prefix(PACK_MAGIC) else {
        return (records, true, 0, 0);
    };
    let mut at = PACK_MAGIC.len();
    let (mut duplicates, mut stale) = (0, 0);
    while !rest.is_empty() {
        let Some(header) = rest.get(..HEADER_LEN) else {
            return (records, true, duplicates, stale);
        };
        if &header[..4] != RECORD_MAGIC {
            return (records, true, duplicates, stale);
        }
        let mut len = [0; 4];
        len.copy_from_slice(&header[4..8]);
        let Ok(len) = usize::try_from(u32::from_le_bytes(len)) else {
            return (records, true, duplicates, stale);
        };
        let Some(end) = HEADER_LEN.checked_add(len).filter(|&e| e <= rest.len()) else {
            return (records, true, duplicates, stale);
        };
        let mut hash = [0; 32];
        hash.copy_from_slice(&header[8..40]);
        if let Some(old) = records.insert(hash, at..at + end) {
            duplicates += 1;
            stale += old.len() as u64;
        }
        at += end;
        rest = &rest[end..];
    }
    (records, false, duplicates, stale)
}

/// The record keeping `content` under the key `hash` (a file's SHA-256, a page's or derived
/// key); `None` past what a record can hold.
fn record(hash: &[u8; 32], content: &[u8]) -> Option<Vec<u8>> {
    let len = u32::try_from(content.len()).ok()?;
    if u64::from(len) + HEADER_LEN as u64 + PACK_MAGIC.len() as u64 > MAX_PACK_BYTES {
        return None;
    }
    let mut out = Vec::with_capacity(HEADER_LEN + content.len());
    out.extend_from_slice(RECORD_MAGIC);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(hash);
    out.extend_from_slice(&seal_of(hash, content));
    out.extend_from_slice(content);
    Some(out)
}

/// The seal of `content` kept under the key `hash`: binds the content to the key it is kept
/// under.
fn seal_of(hash: &[u8; 32], content: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(hash);
    hasher.update(content);
    hasher.finalize().into()
}

/// The key a page is kept under in its project's pack: a hash of the page's URL (without
/// credentials) and Accept header, never any file's SHA-256.
pub(super) fn page_key(url: &url::Url, accept: &str) -> [u8; 32] {
    let shown = crate::index::redact::without_credentials(url);
    Sha256::digest(format!("page\n{shown}\n{accept}").as_bytes()).into()
}

/// The pack of the project named `project` (normalized: `-` between words): the name its
/// wheels' file names carry, as [`project_of`] reads it.
fn pack_of_project(project: &str) -> String {
    project_of(&format!("{}-", project.replace('-', "_")))
}

/// The pack a distribution file's metadata goes to: its file name up to the first `-` (a
/// wheel's normalized project name; an sdist's, or its first word), lowercase, `.` as `_`.
/// Anything else (no `-`, other characters, very long) goes to one shared pack, `_other`:
/// pack names never come from an index's text unchecked.
pub(super) fn project_of(filename: &str) -> String {
    let name = filename.split_once('-').map_or("", |(name, _)| name);
    let plain = (1..=100).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    if plain {
        name.to_ascii_lowercase().replace('.', "_")
    } else {
        "_other".to_owned()
    }
}

#[cfg(test)]
mod tests;
