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
    })
}

/// The member of the archive in `reader` one directory deep whose name ends with `suffix`
/// (the first by name; of a name listed twice, the last), decompressed and checked against
/// its CRC-32: its name and bytes, `Ok(None)` when there is none.
/// `limit` bounds the directory, the compressed member and the decompressed one.
pub(crate) fn member<R: Read + Seek>(
    mut reader: R,
    suffix: &str,
    limit: u64,
) -> Result<Option<(String, Vec<u8>)>, ZipError> {
    let (dir_offset, dir_size, shift) = directory(&mut reader, limit)?;
    let entry = {
        let dir = read_at(&mut reader, dir_offset, dir_size, limit)?;
        find_entry(&dir, suffix)?
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
    let local = read_at(&mut reader, local_at, LOCAL_LEN as u64, limit)?;
    if le32(&local, 0) != Some(LOCAL) {
        return Err(malformed(format!("no local header for {}", entry.name)));
    }
    let skip = u64::from(le16(&local, 26).unwrap_or(0)) + u64::from(le16(&local, 28).unwrap_or(0));
    let data = read_at(
        &mut reader,
        local_at + LOCAL_LEN as u64 + skip,
        entry.compressed,
        limit,
    )?;
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
mod tests {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;
    use zip::CompressionMethod;

    use super::*;

    /// An archive of `members` (name, text), each written with `options`.
    fn archive(members: &[(&str, &str)], options: SimpleFileOptions, comment: &str) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, text) in members {
            zip.start_file(*name, options).expect("file");
            zip.write_all(text.as_bytes()).expect("write");
        }
        zip.set_comment(comment);
        zip.finish().expect("finish").into_inner()
    }

    /// `bytes` (an archive without a comment) in its ZIP64 form: every entry's local header
    /// offset in a ZIP64 extra field, the directory's position in a ZIP64 end record.
    fn as_zip64(bytes: &[u8]) -> Vec<u8> {
        let eocd = bytes.len() - EOCD_LEN;
        let dir_at = le32(bytes, eocd + 16).expect("offset") as usize;
        let mut out = bytes[..dir_at].to_vec();
        let mut at = dir_at;
        let mut entries = 0u64;
        while le32(bytes, at) == Some(CENTRAL) {
            let fixed = &bytes[at..at + CENTRAL_LEN];
            let n = usize::from(le16(fixed, 28).expect("n"));
            let e = usize::from(le16(fixed, 30).expect("e"));
            let c = usize::from(le16(fixed, 32).expect("c"));
            let offset = u64::from(le32(fixed, 42).expect("offset"));
            let mut header = fixed.to_vec();
            header[30..32].copy_from_slice(&u16::try_from(e + 12).expect("e").to_le_bytes());
            header[42..46].copy_from_slice(&u32::MAX.to_le_bytes());
            out.extend(header);
            out.extend(&bytes[at + CENTRAL_LEN..at + CENTRAL_LEN + n + e]);
            out.extend(1u16.to_le_bytes());
            out.extend(8u16.to_le_bytes());
            out.extend(offset.to_le_bytes());
            out.extend(&bytes[at + CENTRAL_LEN + n + e..at + CENTRAL_LEN + n + e + c]);
            at += CENTRAL_LEN + n + e + c;
            entries += 1;
        }
        let dir_size = (out.len() - dir_at) as u64;
        let record_at = out.len() as u64;
        out.extend(ZIP64_EOCD.to_le_bytes());
        out.extend(44u64.to_le_bytes());
        out.extend([45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend(entries.to_le_bytes());
        out.extend(entries.to_le_bytes());
        out.extend(dir_size.to_le_bytes());
        out.extend((dir_at as u64).to_le_bytes());
        out.extend(ZIP64_LOCATOR.to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend(record_at.to_le_bytes());
        out.extend(1u32.to_le_bytes());
        out.extend(EOCD.to_le_bytes());
        out.extend([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        out.extend([0xff; 8]);
        out.extend([0, 0]);
        out
    }

    fn found(bytes: Vec<u8>) -> Result<Option<(String, Vec<u8>)>, ZipError> {
        member(Cursor::new(bytes), ".dist-info/METADATA", 1 << 20)
    }

    fn text(result: Result<Option<(String, Vec<u8>)>, ZipError>) -> (String, String) {
        let (name, bytes) = result.expect("readable").expect("found");
        (name, String::from_utf8(bytes).expect("utf-8"))
    }

    const MEMBERS: &[(&str, &str)] = &[
        ("pkg/__init__.py", ""),
        ("pkg/sub.dist-info/METADATA", "nested: not it"),
        ("pkg-1.0.dist-info/METADATA", "Name: pkg\nVersion: 1.0\n"),
        ("aaa-0.1.dist-info/METADATA", "Name: aaa\n"),
        ("METADATA", "top level: not it"),
    ];

    #[test]
    fn the_first_member_one_directory_deep_in_every_layout() {
        let deflated = SimpleFileOptions::default();
        let stored = deflated.compression_method(CompressionMethod::Stored);
        for (what, options, comment) in [
            ("deflated", deflated, ""),
            ("stored", stored, ""),
            ("zip64", deflated, ""),
            ("with a comment", deflated, "a comment that ends the file"),
        ] {
            let mut bytes = archive(MEMBERS, options, comment);
            if what == "zip64" {
                bytes = as_zip64(&bytes);
            }
            let (name, body) = text(found(bytes));
            assert_eq!(name, "aaa-0.1.dist-info/METADATA", "{what}");
            assert_eq!(body, "Name: aaa\n", "{what}");
        }
        // Bytes before the archive (a self-extracting stub): offsets are off by their length.
        let mut shifted = b"#!/bin/sh\nexit 0\n".to_vec();
        shifted.extend(archive(MEMBERS, deflated, ""));
        assert_eq!(text(found(shifted)).1, "Name: aaa\n");
        // Thousands of entries (a torch wheel lists 13,110): one is kept.
        let names: Vec<String> = (0..5000).map(|i| format!("pkg/m{i}.py")).collect();
        let mut many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
        many.push(("pkg-1.0.dist-info/METADATA", "Name: pkg\n"));
        assert_eq!(text(found(archive(&many, deflated, ""))).1, "Name: pkg\n");
        let none = archive(&[("pkg/__init__.py", "")], deflated, "");
        assert!(found(none).expect("readable").is_none());
    }

    /// Every position of `needle` in `haystack`.
    fn positions(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
        (0..=haystack.len() - needle.len())
            .filter(|&i| haystack[i..].starts_with(needle))
            .collect()
    }

    /// A member whose bytes are not those its CRC-32 describes is an error (as Python's
    /// `zipfile` says "Bad CRC-32"), stored or deflated.
    #[test]
    fn a_member_with_a_wrong_crc_is_an_error() {
        let body = "Name: aaa\n";
        let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        let good = archive(&[("aaa-0.1.dist-info/METADATA", body)], stored, "");
        assert_eq!(text(found(good.clone())).1, body);
        // One byte of the stored member changed.
        let mut changed = good.clone();
        let at = positions(&good, body.as_bytes())[0];
        changed[at] = b'n';
        let Err(ZipError::Malformed(why)) = found(changed) else {
            panic!("a changed byte is read as the member");
        };
        assert!(why.contains("bad CRC-32"), "{why}");
        // A deflated member whose directory entry states another CRC-32.
        let deflated = archive(MEMBERS, SimpleFileOptions::default(), "");
        let eocd = deflated.len() - EOCD_LEN;
        let mut at = le32(&deflated, eocd + 16).expect("offset") as usize;
        let mut wrong = deflated.clone();
        while le32(&wrong, at) == Some(CENTRAL) {
            let n = usize::from(le16(&wrong, at + 28).expect("n"));
            if &wrong[at + CENTRAL_LEN..at + CENTRAL_LEN + n] == b"aaa-0.1.dist-info/METADATA" {
                wrong[at + 16] ^= 1;
            }
            at += CENTRAL_LEN
                + n
                + usize::from(le16(&wrong, at + 30).expect("e"))
                + usize::from(le16(&wrong, at + 32).expect("c"));
        }
        assert_ne!(wrong, deflated);
        assert!(matches!(found(wrong), Err(ZipError::Malformed(w)) if w.contains("bad CRC-32")));
    }

    /// A name listed twice: the last entry is read, as Python's `zipfile` and the `zip` crate
    /// read it.
    #[test]
    fn of_a_duplicated_name_the_last_entry_wins() {
        for options in [
            SimpleFileOptions::default(),
            SimpleFileOptions::default().compression_method(CompressionMethod::Stored),
        ] {
            let bytes = archive(
                &[
                    ("pkg-1.0.dist-info/METADATA", "Name: first\n"),
                    ("pkg-1.0.dist-info/METADATB", "Name: last\n"),
                ],
                options,
                "",
            );
            // The writer refuses a duplicate: rename the second member where it is named (its
            // local header and its directory entry). CRCs cover contents, not names.
            let mut twice = bytes.clone();
            let at = positions(&bytes, b"METADATB");
            assert_eq!(at.len(), 2);
            for i in at {
                twice[i + 7] = b'A';
            }
            assert_eq!(
                text(found(twice)),
                (
                    "pkg-1.0.dist-info/METADATA".to_owned(),
                    "Name: last\n".to_owned()
                )
            );
        }
    }

    #[test]
    fn damaged_or_hostile_archives_are_errors() {
        let good = archive(MEMBERS, SimpleFileOptions::default(), "");
        let malformed = |bytes: Vec<u8>| {
            matches!(
                member(Cursor::new(bytes), ".dist-info/METADATA", 1 << 20),
                Err(ZipError::Malformed(_))
            )
        };
        assert!(malformed(b"not a zip".to_vec()));
        assert!(malformed(Vec::new()));
        // Every cut of the archive is an error or an answer, never a panic.
        for cut in 0..good.len() {
            let _ = member(Cursor::new(&good[cut..]), ".dist-info/METADATA", 1 << 20);
            let _ = member(Cursor::new(&good[..cut]), ".dist-info/METADATA", 1 << 20);
        }
        // A directory claiming to be larger than the limit is refused before it is read.
        let eocd = good.len() - EOCD_LEN;
        let mut huge = good.clone();
        huge[eocd + 12..eocd + 16].copy_from_slice(&u32::MAX.to_le_bytes());
        huge[eocd + 16..eocd + 20].copy_from_slice(&0u32.to_le_bytes());
        assert!(member(Cursor::new(huge), ".dist-info/METADATA", 1 << 20).is_err());
        // A member that inflates past the limit stops there.
        let bomb = "x".repeat(4 << 20);
        let bombed = archive(
            &[("pkg-1.0.dist-info/METADATA", &bomb)],
            SimpleFileOptions::default(),
            "",
        );
        assert!(bombed.len() < 64 * 1024);
        assert!(matches!(found(bombed), Err(ZipError::TooLarge)));
        // Unsupported compression.
        let mut bzip = good.clone();
        let dir_at = le32(&good, eocd + 16).expect("offset") as usize;
        let mut at = dir_at;
        while le32(&bzip, at) == Some(CENTRAL) {
            bzip[at + 10..at + 12].copy_from_slice(&12u16.to_le_bytes());
            let n = usize::from(le16(&bzip, at + 28).expect("n"))
                + usize::from(le16(&bzip, at + 30).expect("e"))
                + usize::from(le16(&bzip, at + 32).expect("c"));
            at += CENTRAL_LEN + n;
        }
        assert!(malformed(bzip));
    }
}
