//! Tests of the zip directory walk: layouts, the entries near the end, hostile archives.

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

/// A reader that remembers the spans read: (start, end).
struct Spans<R> {
    inner: R,
    pos: u64,
    read: Vec<(u64, u64)>,
}

impl<R: Read + Seek> Read for Spans<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.read.push((self.pos, self.pos + n as u64));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Spans<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.pos = self.inner.seek(to)?;
        Ok(self.pos)
    }
}

/// The member's entry among the directory's last bytes is read from there: the start of
/// a directory larger than the first look is never read (a torch wheel's 1.2 MB). A
/// member listed early is found all the same, from the whole directory.
#[test]
fn an_entry_near_the_end_leaves_the_directory_unread() {
    let names: Vec<String> = (0..3000).map(|i| format!("pkg/m{i:04}.py")).collect();
    let mut files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
    // A name that holds the central header's signature, and a nested look-alike.
    files.push(("pkg/PK\x01\x02.py", ""));
    files.push(("pkg/sub.dist-info/METADATA", "nested: not it"));
    files.push(("pkg-1.0.dist-info/METADATA", "Name: pkg\n"));
    files.push(("pkg-1.0.dist-info/RECORD", "pkg/m0000.py,,\n"));
    for (early, members) in [
        (false, files.clone()),
        (true, {
            let mut first = vec![("aaa-1.0.dist-info/METADATA", "Name: aaa\n")];
            first.extend(&files[..3000]);
            first
        }),
    ] {
        let bytes = archive(&members, SimpleFileOptions::default(), "");
        let eocd = bytes.len() - EOCD_LEN;
        let dir_at = u64::from(le32(&bytes, eocd + 16).expect("offset"));
        assert!(
            bytes.len() as u64 - dir_at > 2 * FIRST_LOOK,
            "a large directory"
        );
        let mut reader = Spans {
            inner: Cursor::new(bytes.clone()),
            pos: 0,
            read: Vec::new(),
        };
        let (name, body) = member(&mut reader, ".dist-info/METADATA", 1 << 20)
            .expect("readable")
            .expect("found");
        let body = String::from_utf8(body).expect("utf-8");
        if early {
            assert_eq!(
                (name.as_str(), body.as_str()),
                ("aaa-1.0.dist-info/METADATA", "Name: aaa\n")
            );
        } else {
            assert_eq!(
                (name.as_str(), body.as_str()),
                ("pkg-1.0.dist-info/METADATA", "Name: pkg\n")
            );
            // Of the directory, only what lies in the first look was read.
            let unread = dir_at..bytes.len() as u64 - FIRST_LOOK;
            let read = |&(start, end): &(u64, u64)| start < unread.end && end > unread.start;
            assert!(
                !reader.read.iter().any(read),
                "{:?} read, directory at {dir_at}",
                reader.read
            );
        }
    }
}

/// The chain of entries in a directory's last bytes starts at a real header: not at a
/// signature inside a name, nor at a cut header.
#[test]
fn a_chain_starts_at_the_first_header_that_reaches_the_end() {
    let names = [
        "a/PK\x01\x02xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "b/c",
        "d/e",
    ];
    let members: Vec<(&str, &str)> = names.iter().map(|n| (*n, "")).collect();
    let bytes = archive(&members, SimpleFileOptions::default(), "");
    let eocd = bytes.len() - EOCD_LEN;
    let dir_at = le32(&bytes, eocd + 16).expect("offset") as usize;
    let dir = &bytes[dir_at..eocd];
    assert_eq!(chained_start(dir), Some(0));
    // Cut inside the first header's name (past its false signature): the second header.
    let second = positions(dir, b"PK\x01\x02")[2];
    let cut = &dir[positions(dir, b"PK\x01\x02")[1]..];
    assert_eq!(chained_start(cut), Some(second - (dir.len() - cut.len())));
    assert_eq!(chained_start(&dir[1..]), Some(second - 1));
    assert_eq!(chained_start(b""), None);
    assert_eq!(
        chained_start(&dir[..dir.len() - 1]),
        None,
        "no chain ends there"
    );
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
