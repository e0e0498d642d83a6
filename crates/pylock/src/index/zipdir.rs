//! One member of a zip archive, found by reading the central directory record by record
//! (PKWARE's APPNOTE: end of central directory, its ZIP64 form, central directory headers,
//! local header) and keeping only the entry asked for.
//!
//! Why not the `zip` crate (now only a dev-dependency, to write test archives): a general zip
//! reader parses every entry of the directory into memory first. A torch wheel lists 13,110
//! files; heaptrack put ~29 MB of a live torch resolve's 60 MB heap peak in the parsed
//! directories of the wheels read in parallel. Walking the directory's bytes once and keeping
//! one entry's position took the live torch universal cold run's peak RSS from 127-135 MB to
//! 43-44 MB (`benches/README.md`, session 10).
//!
//! What is checked: every record's signature and length against the bytes there (a cut or
//! damaged archive is [`ZipError::Malformed`], never a panic or an out-of-bounds read); sizes
//! against the caller's limit before anything is read or inflated ([`ZipError::TooLarge`]);
//! encryption and compression methods other than stored and deflated are refused; and the
//! member's bytes against the CRC-32 its directory entry states, the only integrity check of
//! metadata read by HTTP range requests (a wheel's sha256 covers the whole file, which is not
//! downloaded). A name listed twice is read from its last entry, as Python's `zipfile` does.
//! The entries in the file's last 64 KiB (read to find the end record) are looked at before
//! the rest of the directory: a wheel's `.dist-info` entries end it, so a big wheel's
//! directory (torch: 1.2 MB) is not fetched by a range reader (`entry_near_end`).
//! The reader is fuzzed: the `zipdir` target of `fuzz/` (`pylock::fuzzing::zipdir`), and the
//! `wheel` target through the metadata it returns.

use std::io::{Read, Seek, SeekFrom};

/// Signatures (little-endian) of the records read here.
const EOCD: u32 = 0x0605_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const ZIP64_EOCD: u32 = 0x0606_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;

/// The fixed parts of the records.
const EOCD_LEN: usize = 22;
const LOCATOR_LEN: usize = 20;
const ZIP64_EOCD_LEN: usize = 56;
const CENTRAL_LEN: usize = 46;
const LOCAL_LEN: usize = 30;

/// What the end of central directory can be preceded by: the longest archive comment.
const MAX_COMMENT: u64 = u16::MAX as u64;

/// How far from the end the end record is first looked for (a range reader holds the last
/// 64 KiB already): archives whose comment reaches further back take one more read.
const FIRST_LOOK: u64 = 64 * 1024;

/// Why a member could not be read: the archive is malformed, or the member too large.
#[derive(Debug)]
pub(crate) enum ZipError {
    /// Not a readable zip archive (or no such member).
    Malformed(String),
    /// The member, or the directory, is larger than the limit.
    TooLarge,
}

/// The entry of the member found.
struct Entry {
    name: String,
    method: u16,
    flags: u16,
    /// The CRC-32 of the uncompressed bytes, as the central directory states it.
    crc32: u32,
    compressed: u64,
    local_offset: u64,
    /// The lengths of its name and extra field in the central directory: those of its local
    /// header, most often.
    named: u64,
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn malformed(reason: impl Into<String>) -> ZipError {
    ZipError::Malformed(reason.into())
}

fn io(e: std::io::Error) -> ZipError {
    malformed(e.to_string())
}

/// `len` bytes at `offset`, read in steps (a hostile length allocates nothing up front).
fn read_at<R: Read + Seek>(
    reader: &mut R,
    offset: u64,
    len: u64,
    limit: u64,
) -> Result<Vec<u8>, ZipError> {
    if len > limit {
        return Err(ZipError::TooLarge);
    }
    reader.seek(SeekFrom::Start(offset)).map_err(io)?;
    let mut bytes = Vec::new();
    (&mut *reader)
        .take(len)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if (bytes.len() as u64) < len {
        return Err(malformed("the archive ends early"));
    }
    Ok(bytes)
}

/// The central directory's position and size, and how far the archive is shifted from the
/// start of the file (bytes prepended to it, as self-extracting archives have).
fn directory<R: Read + Seek>(reader: &mut R, limit: u64) -> Result<(u64, u64, u64), ZipError> {
    let len = reader.seek(SeekFrom::End(0)).map_err(io)?;
    let mut look = len.min(FIRST_LOOK);
    loop {
        let tail = read_at(reader, len - look, look, look)?;
        if let Some(at) = find_eocd(&tail) {
            let eocd_pos = len - look + at as u64;
            return locate(reader, &tail, at, eocd_pos, limit);
        }
        let widest = len.min(MAX_COMMENT + (EOCD_LEN + LOCATOR_LEN) as u64);
        if look >= widest {
            return Err(malformed("no end of central directory"));
        }
        look = widest;
    }
}

/// Where the central directory starts and its size, as the end of central directory record
/// in `tail` (an archive's last bytes) states them; `None` without one, or for a ZIP64
/// archive (the record's fields overflow there).
pub(crate) fn stated_directory(tail: &[u8]) -> Option<(u64, u64)> {
    let at = find_eocd(tail)?;
    let (size, start) = (le32(tail, at + 12)?, le32(tail, at + 16)?);
    (size != u32::MAX && start != u32::MAX).then_some((u64::from(start), u64::from(size)))
}

/// The position in `tail` of the end of central directory record: the last signature whose
/// comment length reaches exactly to the end of the file (else the last signature found).
fn find_eocd(tail: &[u8]) -> Option<usize> {
    let last = tail.len().checked_sub(EOCD_LEN)?;
    let mut fallback = None;
    for at in (0..=last).rev() {
        if le32(tail, at) != Some(EOCD) {
            continue;
        }
        let comment = usize::from(le16(tail, at + 20)?);
        if at + EOCD_LEN + comment == tail.len() {
            return Some(at);
        }
        fallback.get_or_insert(at);
    }
    fallback
}

fn locate<R: Read + Seek>(
    reader: &mut R,
    tail: &[u8],
    at: usize,
    eocd_pos: u64,
    limit: u64,
) -> Result<(u64, u64, u64), ZipError> {
    let short = || malformed("a cut end of central directory");
    let size32 = le32(tail, at + 12).ok_or_else(short)?;
    let offset32 = le32(tail, at + 16).ok_or_else(short)?;
    let locator = at
        .checked_sub(LOCATOR_LEN)
        .filter(|&l| le32(tail, l) == Some(ZIP64_LOCATOR));
    let (size, offset, end) = match locator {
        Some(l) => {
            let record_pos = le64(tail, l + 8).ok_or_else(short)?;
            let locator_pos = eocd_pos - LOCATOR_LEN as u64;
            // The record sits right before its locator; its stated position is off by the
            // archive's shift, if any.
            let actual = locator_pos
                .checked_sub(ZIP64_EOCD_LEN as u64)
                .ok_or_else(|| malformed("a ZIP64 locator at the start of the file"))?;
            let record = read_at(reader, actual, ZIP64_EOCD_LEN as u64, limit)?;
            let record = if le32(&record, 0) == Some(ZIP64_EOCD) {
                record
            } else {
                read_at(reader, record_pos, ZIP64_EOCD_LEN as u64, limit)?
            };
            if le32(&record, 0) != Some(ZIP64_EOCD) {
                return Err(malformed("no ZIP64 end of central directory"));
            }
            let size = le64(&record, 40).ok_or_else(short)?;
            let offset = le64(&record, 48).ok_or_else(short)?;
            (size, offset, actual)
        }
        None => (u64::from(size32), u64::from(offset32), eocd_pos),
    };
    let stated_end = offset
        .checked_add(size)
        .ok_or_else(|| malformed("a central directory past the end of the file"))?;
    let shift = end
        .checked_sub(stated_end)
        .ok_or_else(|| malformed("a central directory past the end of the file"))?;
    Ok((offset + shift, size, shift))
}

/// The first (by name) entry one directory deep whose name ends with `suffix`; of entries
/// with that same name, the last (as Python's `zipfile` reads a duplicated name).
fn find_entry(dir: &[u8], suffix: &str) -> Result<Option<Entry>, ZipError> {
    let short = || malformed("a cut central directory entry");
    let mut best: Option<Entry> = None;
    let mut at = 0;
    while at < dir.len() {
        if le32(dir, at) != Some(CENTRAL) {
            return Err(malformed("a damaged central directory"));
        }
        let fixed = dir.get(at..at + CENTRAL_LEN).ok_or_else(short)?;
        let name_len = usize::from(le16(fixed, 28).ok_or_else(short)?);
        let extra_len = usize::from(le16(fixed, 30).ok_or_else(short)?);
        let comment_len = usize::from(le16(fixed, 32).ok_or_else(short)?);
        let name_at = at + CENTRAL_LEN;
        let name = dir.get(name_at..name_at + name_len).ok_or_else(short)?;
        let next = name_at + name_len + extra_len + comment_len;
        let wanted = name.ends_with(suffix.as_bytes())
            && name.iter().filter(|&&b| b == b'/').count() == 1
            && best.as_ref().is_none_or(|b| name <= b.name.as_bytes());
        if wanted {
            let extra = dir
                .get(name_at + name_len..name_at + name_len + extra_len)
                .ok_or_else(short)?;
            best = Some(entry(fixed, name, extra)?);
        }
        at = next;
    }
    Ok(best)
}

/// An entry from its central directory header, with the ZIP64 extra field's sizes and offset
/// where the header says they are there.
fn entry(fixed: &[u8], name: &[u8], extra: &[u8]) -> Result<Entry, ZipError> {
    let short = || malformed("a cut central directory entry");
    let mut compressed = u64::from(le32(fixed, 20).ok_or_else(short)?);
    let uncompressed = le32(fixed, 24).ok_or_else(short)?;
    let mut local_offset = u64::from(le32(fixed, 42).ok_or_else(short)?);
    let mut at = 0;
    while at + 4 <= extra.len() {
        let id = le16(extra, at).ok_or_else(short)?;
        let size = usize::from(le16(extra, at + 2).ok_or_else(short)?);
        let data = extra.get(at + 4..at + 4 + size).ok_or_else(short)?;
        if id == 1 {
            // Only the fields saturated in the header are present, in this order.
            let mut field = 0;
            let mut next = || -> Result<u64, ZipError> {
                let v = le64(data, field).ok_or_else(|| malformed("a cut ZIP64 field"))?;
                field += 8;
                Ok(v)
            };
            if uncompressed == u32::MAX {
                next()?;
            }
            if compressed == u64::from(u32::MAX) {
                compressed = next()?;
            }
            if local_offset == u64::from(u32::MAX) {
                local_offset = next()?;
            }
        }
        at += 4 + size;
    }
    Ok(Entry {
        name: String::from_utf8_lossy(name).into_owned(),
        method: le16(fixed, 10).ok_or_else(short)?,
        flags: le16(fixed, 8).ok_or_else(short)?,
        crc32: le32(fixed, 16).ok_or_else(short)?,
        compressed,
        local_offset,
        named: (name.len() + extra.len()) as u64,
    })
}

/// The entry one directory deep whose name ends with `suffix`, looked for only among the
/// directory's entries in the file's last [`FIRST_LOOK`] bytes (read already to find the end
/// record: a range reader holds them): `None` when the whole directory is there (the caller
/// walks it all the same) or the entry is not among them.
///
/// A wheel's `.dist-info` members come last, so their entries end the directory: a torch
/// wheel's `METADATA` is found without fetching its 1.2 MB directory. The part begins inside
/// some entry; it is walked from the first `PK\x01\x02` whose chain of entries (each header's
/// lengths giving the next) ends exactly where the directory does. A damaged part is no
/// answer (`None`): the whole directory is walked then and judged as always.
fn entry_near_end<R: Read + Seek>(
    reader: &mut R,
    dir_offset: u64,
    dir_size: u64,
    suffix: &str,
    limit: u64,
) -> Result<Option<Entry>, ZipError> {
    let len = reader.seek(SeekFrom::End(0)).map_err(io)?;
    let dir_end = dir_offset + dir_size;
    let from = dir_offset.max(len.saturating_sub(FIRST_LOOK));
    if from == dir_offset || from >= dir_end {
        return Ok(None);
    }
    let part = read_at(reader, from, dir_end - from, limit)?;
    Ok(chained_start(&part).and_then(|start| find_entry(&part[start..], suffix).ok().flatten()))
}

/// Bytes read at once for a member's local header and data, at most: the member is asked
/// for in one read of its expected length, which a range reader fetches in one request
/// (a member larger than this is read on in steps).
const MEMBER_AT_ONCE: u64 = 1024 * 1024;

/// The member's local header and, most often, its data: one read of the length its directory
/// entry implies, within the bytes before the directory (at least the header's fixed part).
fn member_bytes<R: Read + Seek>(
    reader: &mut R,
    entry: &Entry,
    local_at: u64,
    dir_offset: u64,
    limit: u64,
) -> Result<Vec<u8>, ZipError> {
    if entry.compressed > limit {
        return Err(ZipError::TooLarge);
    }
    let expected = LOCAL_LEN as u64 + entry.named + entry.compressed;
    let len = expected
        .min(dir_offset.saturating_sub(local_at))
        .min(MEMBER_AT_ONCE)
        .max(LOCAL_LEN as u64);
    reader.seek(SeekFrom::Start(local_at)).map_err(io)?;
    let mut bytes = vec![0; len as usize];
    reader.read_exact(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// The first position in `part` (a directory's last bytes) from which central directory
/// headers follow each other up to exactly its end.
fn chained_start(part: &[u8]) -> Option<usize> {
    // From the end backwards: a header reaches the end when the next one does.
    let mut reaches = vec![false; part.len() + 1];
    reaches[part.len()] = true;
    let mut first = None;
    for at in (0..part.len().saturating_sub(CENTRAL_LEN - 1)).rev() {
        if le32(part, at) != Some(CENTRAL) {
            continue;
        }
        let lengths = [28, 30, 32].map(|field| le16(part, at + field).map(usize::from));
        let [Some(name), Some(extra), Some(comment)] = lengths else {
            continue;
        };
        let next = at + CENTRAL_LEN + name + extra + comment;
        if next <= part.len() && reaches[next] {
            reaches[at] = true;
            first = Some(at);
        }
    }
    first
}

/// The member of the archive in `reader` one directory deep whose name ends with `suffix`
/// (the first by name; of a name listed twice, the last), decompressed and checked against
/// its CRC-32: its name and bytes, `Ok(None)` when there is none.
/// `limit` bounds the directory, the compressed member and the decompressed one.
///
/// The entries in the file's last bytes are looked at first ([`entry_near_end`]); only when
/// the member is not among them is the whole directory read. Of several different names
/// that match (a wheel with two `.dist-info` directories, which pip and uv refuse to
/// install), the first by name among those near the end is read then.
pub(crate) fn member<R: Read + Seek>(
    mut reader: R,
    suffix: &str,
    limit: u64,
) -> Result<Option<(String, Vec<u8>)>, ZipError> {
    let (dir_offset, dir_size, shift) = directory(&mut reader, limit)?;
    let entry = match entry_near_end(&mut reader, dir_offset, dir_size, suffix, limit)? {
        Some(entry) => Some(entry),
        None => {
            let dir = read_at(&mut reader, dir_offset, dir_size, limit)?;
            find_entry(&dir, suffix)?
        }
    };
    let Some(entry) = entry else {
        return Ok(None);
    };
    if entry.flags & 1 != 0 {
        return Err(malformed(format!("{} is encrypted", entry.name)));
    }
    let local_at = entry
        .local_offset
        .checked_add(shift)
        .ok_or_else(|| malformed("a member past the end of the file"))?;
    let local = member_bytes(&mut reader, &entry, local_at, dir_offset, limit)?;
    if le32(&local, 0) != Some(LOCAL) {
        return Err(malformed(format!("no local header for {}", entry.name)));
    }
    let skip = u64::from(le16(&local, 26).unwrap_or(0)) + u64::from(le16(&local, 28).unwrap_or(0));
    let start = LOCAL_LEN as u64 + skip;
    let data = match local
        .get(start as usize..)
        .and_then(|d| d.get(..entry.compressed as usize))
    {
        Some(data) => data.to_vec(),
        None => read_at(&mut reader, local_at + start, entry.compressed, limit)?,
    };
    let bytes = match entry.method {
        0 => data,
        8 => crate::util::read_at_most(flate2::read::DeflateDecoder::new(&data[..]), limit, 0)
            .map_err(|e| malformed(format!("cannot read {}: {e}", entry.name)))?
            .ok_or(ZipError::TooLarge)?,
        m => {
            return Err(malformed(format!(
                "{} uses compression method {m}, which is not supported",
                entry.name
            )))
        }
    };
    // The only integrity check of bytes read by range requests (a wheel's sha256 covers the
    // whole file, which is not downloaded).
    if crc32fast::hash(&bytes) != entry.crc32 {
        return Err(malformed(format!(
            "{}: bad CRC-32 (the member's bytes are not those the directory describes)",
            entry.name
        )));
    }
    Ok(Some((entry.name, bytes)))
}

#[cfg(test)]
mod tests;
