//! A page's files packed, one buffer per version, unpacked when the version is asked about: a
//! big resolve holds the pages of hundreds of projects (airflow's: ~180,000 files) and asks
//! about the files of a few thousand. A packed file is its fields back to back (hashes and the
//! hashed URL's digest as bytes, numbers as varints, wheel tags, `Requires-Python` and URL
//! bases as positions in the page's tables): ~170 bytes for a PyPI wheel, against ~300 for a
//! [`DistFile`] in its `Arc` with its URL's own allocation.

use std::borrow::Cow;
use std::sync::Arc;

use jiff::Timestamp;
use rustc_hash::FxHashMap;

use super::file::{url_file_name, FileParts, FileUrl, Sha256Hash};
use super::filename::DistKind;
use super::{DistFile, WheelTags};
use crate::pep::{Version, VersionSpecifiers};

const YANKED: u8 = 1;
const SHA256: u8 = 1 << 1;
const METADATA: u8 = 1 << 2;
const METADATA_HASH: u8 = 1 << 3;
const SIZE: u8 = 1 << 4;
const UPLOAD_TIME: u8 = 1 << 5;
const HASHED_URL: u8 = 1 << 6;
const OWN_NAME: u8 = 1 << 7;

/// The tables of a page that its packed files point into.
#[derive(Debug)]
pub(crate) struct PageTables {
    tags: Box<[WheelTags]>,
    requires_python: Box<[Arc<VersionSpecifiers>]>,
    bases: Box<[Arc<str>]>,
}

/// Packs files one after the other; [`Packer::take`] hands out those packed since the last
/// call, [`Packer::finish`] the tables they point into.
#[derive(Default)]
pub(crate) struct Packer {
    bytes: Vec<u8>,
    tags: Vec<WheelTags>,
    tag_index: FxHashMap<WheelTags, u32>,
    requires_python: Vec<Arc<VersionSpecifiers>>,
    /// By address: a page's files share their `Requires-Python` (the packer holds a clone of
    /// each, so no address is reused while it runs).
    requires_python_index: FxHashMap<*const VersionSpecifiers, u32>,
    bases: Vec<Arc<str>>,
    base_index: FxHashMap<*const u8, u32>,
    /// The name of the last hashed URL packed since [`Packer::take`].
    last_name: Vec<u8>,
}

impl Packer {
    /// Appends `file`.
    pub(crate) fn pack(&mut self, file: &DistFile) {
        let sha256 = file.sha256_digest();
        let metadata = file.core_metadata_digest();
        let own_name = file.filename() != file.url.last_segment();
        let mut flags = 0;
        for (set, flag) in [
            (file.yanked, YANKED),
            (sha256.is_some(), SHA256),
            (metadata.is_some(), METADATA),
            (metadata.flatten().is_some(), METADATA_HASH),
            (file.size.is_some(), SIZE),
            (file.upload_time.is_some(), UPLOAD_TIME),
            (matches!(file.url, FileUrl::Hashed { .. }), HASHED_URL),
            (own_name, OWN_NAME),
        ] {
            if set {
                flags |= flag;
            }
        }
        self.bytes.push(flags);
        let kind = match &file.kind {
            DistKind::Sdist => 0,
            DistKind::Wheel(tags) => 1 + self.tag(tags),
        };
        self.varint(u64::from(kind));
        let requires_python = match file.shared_requires_python() {
            None => 0,
            Some(spec) => 1 + self.requires_python(spec),
        };
        self.varint(u64::from(requires_python));
        for digest in [sha256, metadata.flatten()].into_iter().flatten() {
            self.bytes.extend_from_slice(&digest.into_bytes());
        }
        if let Some(size) = file.size {
            self.varint(size);
        }
        if let Some(time) = file.upload_time {
            // Zigzag: times before 1970 stay short too.
            self.varint(zigzag(time.as_second()));
            self.varint(zigzag(i64::from(time.subsec_nanosecond())));
        }
        match &file.url {
            FileUrl::Hashed { base, rest } => {
                let base = self.base(base);
                self.varint(u64::from(base));
                // The digest, then the name as the length it shares with the version's
                // previous hashed name and the rest (`pydantic_core-2.27.1-cp3`...).
                let (digest, name) = rest.split_at(32.min(rest.len()));
                self.bytes.extend_from_slice(digest);
                let shared = (self.last_name.iter().zip(name))
                    .take_while(|(a, b)| a == b)
                    .count();
                self.varint(shared as u64);
                self.text(&name[shared..]);
                self.last_name.clear();
                self.last_name.extend_from_slice(name);
            }
            FileUrl::Text(text) => self.text(text.as_bytes()),
        }
        if own_name {
            self.text(file.filename().as_bytes());
        }
    }

    /// The files packed since the last call, in a buffer of their size.
    pub(crate) fn take(&mut self) -> Box<[u8]> {
        let taken = Box::from(&self.bytes[..]);
        self.bytes.clear();
        self.last_name.clear();
        taken
    }

    /// The tables the packed files point into.
    pub(crate) fn finish(self) -> PageTables {
        PageTables {
            tags: self.tags.into_boxed_slice(),
            requires_python: self.requires_python.into_boxed_slice(),
            bases: self.bases.into_boxed_slice(),
        }
    }

    fn tag(&mut self, tags: &WheelTags) -> u32 {
        if let Some(&i) = self.tag_index.get(tags) {
            return i;
        }
        let i = position(self.tags.len());
        self.tags.push(tags.clone());
        self.tag_index.insert(tags.clone(), i);
        i
    }

    fn requires_python(&mut self, spec: &Arc<VersionSpecifiers>) -> u32 {
        let list = &mut self.requires_python;
        *self
            .requires_python_index
            .entry(Arc::as_ptr(spec))
            .or_insert_with(|| {
                list.push(spec.clone());
                position(list.len() - 1)
            })
    }

    fn base(&mut self, base: &Arc<str>) -> u32 {
        let list = &mut self.bases;
        *self
            .base_index
            .entry(Arc::as_ptr(base).cast::<u8>())
            .or_insert_with(|| {
                list.push(base.clone());
                position(list.len() - 1)
            })
    }

    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.bytes.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.bytes.push(value as u8);
    }

    fn text(&mut self, bytes: &[u8]) {
        self.varint(bytes.len() as u64);
        self.bytes.extend_from_slice(bytes);
    }
}

/// `value` with its sign in the lowest bit: small negative numbers stay short.
fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// A table position (a page has far fewer than 2^32 distinct tags, specifiers or bases).
fn position(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

impl PageTables {
    /// The `count` files of `version` packed in `bytes` (by a [`Packer`] whose tables these
    /// are), in packing order. `None` only if the records were damaged.
    pub(crate) fn unpack(
        &self,
        bytes: &[u8],
        count: usize,
        version: &Version,
    ) -> Option<Vec<Arc<DistFile>>> {
        let mut reader = Reader {
            bytes,
            last_name: Vec::new(),
        };
        // Built at its size (a list collected from a list of `DistFile`s would keep that
        // list's allocation, 25 times the size it needs).
        let mut files = Vec::with_capacity(count);
        for _ in 0..count {
            files.push(Arc::new(self.read(&mut reader, version)?));
        }
        Some(files)
    }

    fn read(&self, r: &mut Reader<'_>, version: &Version) -> Option<DistFile> {
        let flags = r.byte()?;
        let kind = match usize::try_from(r.varint()?).ok()? {
            0 => DistKind::Sdist,
            i => DistKind::Wheel(self.tags.get(i - 1)?.clone()),
        };
        let requires_python = match usize::try_from(r.varint()?).ok()? {
            0 => None,
            i => Some(self.requires_python.get(i - 1)?.clone()),
        };
        let sha256 = (flags & SHA256 != 0).then(|| r.digest()).flatten();
        let metadata_hash = (flags & METADATA_HASH != 0).then(|| r.digest()).flatten();
        let size = (flags & SIZE != 0).then(|| r.varint()).flatten();
        let upload_time = if flags & UPLOAD_TIME != 0 {
            let seconds = unzigzag(r.varint()?);
            let nanos = i32::try_from(unzigzag(r.varint()?)).ok()?;
            Some(Timestamp::new(seconds, nanos).ok()?)
        } else {
            None
        };
        let hashed = if flags & HASHED_URL != 0 {
            let base = self.bases.get(usize::try_from(r.varint()?).ok()?)?.clone();
            let digest = r.take(32)?;
            let shared = usize::try_from(r.varint()?).ok()?;
            let rest = r.text()?;
            if shared > r.last_name.len() {
                return None;
            }
            r.last_name.truncate(shared);
            r.last_name.extend_from_slice(rest);
            Some((base, digest))
        } else {
            None
        };
        let text = match hashed {
            None => Some(std::str::from_utf8(r.text()?).ok()?),
            Some(_) => None,
        };
        let own_name = match flags & OWN_NAME {
            0 => None,
            _ => Some(std::str::from_utf8(r.text()?).ok()?),
        };
        let (url, last_segment) = match (hashed, text) {
            (Some((base, digest)), _) => {
                let name = std::str::from_utf8(&r.last_name).ok()?;
                let mut rest = Vec::with_capacity(32 + name.len());
                rest.extend_from_slice(digest);
                rest.extend_from_slice(name.as_bytes());
                let rest = rest.into_boxed_slice();
                (FileUrl::Hashed { base, rest }, name)
            }
            (None, Some(text)) => (FileUrl::from_text(text), url_file_name(text)),
            (None, None) => return None,
        };
        let filename = own_name.unwrap_or(last_segment);
        Some(DistFile::new(FileParts {
            filename: Cow::Borrowed(filename),
            version: version.clone(),
            kind,
            url,
            sha256,
            requires_python,
            yanked: flags & YANKED != 0,
            core_metadata: (flags & METADATA != 0).then_some(metadata_hash),
            size,
            upload_time,
        }))
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    /// The name of the last hashed URL read.
    last_name: Vec<u8>,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(b)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }

    fn digest(&mut self) -> Option<Sha256Hash> {
        let bytes: [u8; 32] = self.take(32)?.try_into().ok()?;
        Some(Sha256Hash::from_bytes(bytes))
    }

    fn text(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.varint()?).ok()?;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::index::filename::parse_filename;

    fn file(
        filename: &str,
        url: &str,
        bases: &mut HashSet<Arc<str>>,
        set: impl FnOnce(&mut FileParts<'_>),
    ) -> DistFile {
        let name = "foo-bar".parse().expect("name");
        let parsed = parse_filename(filename, &name).expect("a distribution");
        let mut parts = FileParts {
            filename: Cow::Borrowed(filename),
            version: parsed.version,
            kind: parsed.kind,
            url: FileUrl::compact(url, bases),
            sha256: None,
            requires_python: None,
            yanked: false,
            core_metadata: None,
            size: None,
            upload_time: None,
        };
        set(&mut parts);
        DistFile::new(parts)
    }

    #[test]
    fn every_field_unpacks_as_packed() {
        let mut bases = HashSet::new();
        let digest = "4f/9a/0cd2ab3e6d4c8f2a1b7e9d0c3f5a8b2e6d1c4f7a9b0e3d6c2f5a8b1e4d7c";
        let pypi = |name: &str| format!("https://files.example/packages/{digest}/{name}");
        let spec: Arc<VersionSpecifiers> = Arc::new(">=3.8".parse().expect("specifiers"));
        let hash = |b: u8| Some(Sha256Hash::from_bytes([b; 32]));
        let time = |s: i64, ns: i32| Some(Timestamp::new(s, ns).expect("time"));
        let wheel = "foo_bar-1.0-py3-none-any.whl";
        let files = [
            // Everything given, a PyPI URL.
            file(wheel, &pypi(wheel), &mut bases, |p| {
                (p.yanked, p.size) = (true, Some(300_000_000_000));
                p.upload_time = time(1_700_000_000, 123_456_789);
                (p.sha256, p.core_metadata) = (hash(9), Some(hash(7)));
                p.requires_python = Some(spec.clone());
            }),
            // Metadata without a hash, a time before 1970, the same tags and specifiers.
            file(
                wheel,
                &format!("https://o.example/{wheel}?x=1#f"),
                &mut bases,
                |p| {
                    (p.core_metadata, p.size) = (Some(None), Some(0));
                    p.upload_time = time(-86_401, -5);
                    p.requires_python = Some(spec.clone());
                },
            ),
            // A name the URL does not end with, an sdist, nothing optional.
            file(
                "foo_bar-1.0.tar.gz",
                "https://h.example/get?id=3",
                &mut bases,
                |_| {},
            ),
            file(
                "foo_bar-1.0-cp312-cp312-linux_x86_64.whl",
                &pypi("foo_bar-1.0-cp312-cp312-linux%5Fx86_64.whl"),
                &mut bases,
                |_| {},
            ),
        ];
        let mut packer = Packer::default();
        packer.pack(&files[0]);
        let first = packer.take();
        for f in &files[1..] {
            packer.pack(f);
        }
        let rest = packer.take();
        let tables = packer.finish();
        let version: Version = "1.0".parse().expect("version");
        let mut all = tables.unpack(&first, 1, &version).expect("unpacks");
        all.extend(tables.unpack(&rest, 3, &version).expect("unpacks"));
        assert_eq!(format!("{files:?}"), format!("{all:?}"));
        for (a, b) in files.iter().zip(&all) {
            assert_eq!((a.filename(), a.url()), (b.filename(), b.url()));
        }
        assert!(
            matches!(all[0].url, FileUrl::Hashed { .. }),
            "still compact"
        );
        let shared = |f: &DistFile| f.shared_requires_python().cloned().expect("given");
        assert!(
            Arc::ptr_eq(&shared(&all[0]), &shared(&all[1])),
            "still shared"
        );
        // A PyPI wheel takes its name, three digests and a few bytes.
        assert!(first.len() <= wheel.len() + 3 * 32 + 24, "{}", first.len());
        // The next wheel of the version takes only what its name does not share.
        let other = "foo_bar-1.0-py2-none-any.whl";
        let mut packer = Packer::default();
        packer.pack(&files[0]);
        packer.pack(&file(other, &pypi(other), &mut bases, |p| {
            (p.sha256, p.core_metadata) = (hash(1), Some(hash(2)));
        }));
        let two = packer.take();
        assert!(
            two.len() < 2 * first.len() - (wheel.len() - 10),
            "{}",
            two.len()
        );
        let unpacked = (packer.finish().unpack(&two, 2, &version)).expect("unpacks");
        assert_eq!(unpacked[1].filename(), other);
        assert_eq!(unpacked[1].url(), pypi(other));
        assert_eq!(unpacked[0].url(), pypi(wheel));
        // Past the end, or a damaged record: no files, no panic.
        assert!(tables.unpack(&rest, 4, &version).is_none());
        for cut in 0..rest.len() {
            assert!(tables.unpack(&rest[..cut], 3, &version).is_none(), "{cut}");
        }
        let empty = Packer::default().finish();
        assert!(empty.unpack(&rest, 3, &version).is_none(), "no tables");
    }
}
