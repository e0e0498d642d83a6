//! `Read + Seek` over an HTTP resource with range requests, so a zip reader fetches only the
//! central directory and the member it reads (PEP 658's fallback, as pip and uv do).

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};

use url::Url;

use super::client::Client;
use crate::index::zipdir::stated_directory;
use crate::index::{IndexError, Limits};

/// Bytes fetched per request: enough for a typical wheel's zip directory in one go.
const CHUNK: u64 = 64 * 1024;

/// A read of the zip directory that misses, up to this far before bytes already fetched,
/// fetches everything up to them in one request. The directory is read in many small reads
/// and sits right before the tail fetched first: a wheel with thousands of files
/// (tensorflow: ~2 MB of directory) took one round trip per 64 KiB, and now takes one. A read
/// before the directory (a member, asked for in one read of its expected length) fetches
/// that, and [`MEMBER_SLACK`]: filling from there took torch's `METADATA` with the ~700 KB
/// of `RECORD` after it.
const FILL_GAP: u64 = 16 * 1024 * 1024;

/// Bytes fetched past a read before the directory: a member's local header may carry a
/// longer extra field than its directory entry (from which the read's length comes).
const MEMBER_SLACK: u64 = 1024;

/// Bytes before the zip directory fetched with it, at most. A wheel's `.dist-info` members
/// come last, right before the directory, with `RECORD` (a line per file, about the
/// directory's size compressed) after `METADATA`: fetching the directory alone left
/// `METADATA` for a third round trip (apache-airflow, botocore and pandas wheels: it starts
/// 64-117 KB before their directories of 95-210 KB). A quarter more than the directory's
/// size, up to this, is fetched with it; torch's 1.2 MB directory has its `METADATA` ~700 KB
/// before it, out of reach: the cap keeps what such a wheel wastes small.
const BEFORE_DIRECTORY: u64 = 160 * 1024;

/// A lazily fetched remote file.
pub struct RangeReader<'a> {
    client: &'a Client,
    url: Url,
    len: u64,
    pos: u64,
    chunks: BTreeMap<u64, Vec<u8>>,
    /// Bytes fetched so far, and the most allowed: a zip directory that claims to be huge
    /// (or a server that lies about the file's size) stops there.
    fetched: u64,
    limit: u64,
    /// Where the zip directory starts and its size, when the tail tells
    /// ([`BEFORE_DIRECTORY`]); taken when the directory is read.
    directory: Option<(u64, u64)>,
    /// Where the zip directory starts, when the tail tells: reads before it do not fill
    /// ([`FILL_GAP`]).
    directory_start: Option<u64>,
}

impl<'a> RangeReader<'a> {
    /// Open `url`, fetching its tail (the last bytes: its size need not be known). `Ok(None)`
    /// when the server does not serve ranges.
    pub fn open(
        client: &'a Client,
        url: &Url,
        limits: &Limits,
    ) -> Result<Option<Self>, IndexError> {
        let Some(tail) = client.get_range(url, &format!("-{CHUNK}"), CHUNK)? else {
            return Ok(None);
        };
        let directory = stated_directory(&tail.bytes);
        let mut reader = Self {
            directory_start: directory.map(|(start, _)| start),
            directory,
            client,
            url: url.clone(),
            len: tail.total,
            pos: 0,
            chunks: BTreeMap::new(),
            fetched: tail.bytes.len() as u64,
            // The directory and one compressed member.
            limit: limits.metadata_bytes.saturating_mul(2),
        };
        reader.chunks.insert(tail.start, tail.bytes);
        Ok(Some(reader))
    }

    /// The cached chunk holding `pos`, if any: (chunk start, bytes).
    fn cached(&self, pos: u64) -> Option<(u64, &[u8])> {
        let (&start, bytes) = self.chunks.range(..=pos).next_back()?;
        (pos < start + bytes.len() as u64).then_some((start, bytes.as_slice()))
    }
}

impl Read for RangeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        if self.cached(self.pos).is_none() {
            let next_fetched = self
                .chunks
                .range(self.pos..)
                .next()
                .map_or(self.len, |(&start, _)| start);
            let in_directory = self.directory_start.is_none_or(|start| self.pos >= start);
            let fill = in_directory && next_fetched - self.pos <= FILL_GAP;
            let end = if fill {
                next_fetched
            } else {
                let wanted = buf.len() as u64;
                let size = if in_directory {
                    CHUNK.max(wanted)
                } else {
                    wanted + MEMBER_SLACK
                };
                (self.pos + size).min(next_fetched)
            }
            .min(self.len)
                - 1;
            let wanted = end + 1 - self.pos;
            if self.fetched + wanted > self.limit {
                return Err(std::io::Error::other(format!(
                    "reading the metadata would take more than {} bytes of the file",
                    self.limit
                )));
            }
            // Reading the directory: the members before it come along, within the limit.
            let before = match self.directory.take() {
                Some((start, size)) if fill && start == self.pos => (size + size / 4)
                    .min(BEFORE_DIRECTORY)
                    .min(self.pos)
                    .min(self.limit - self.fetched - wanted),
                other => {
                    self.directory = other;
                    0
                }
            };
            let from = self.pos - before;
            let fetched = self
                .client
                .get_range(&self.url, &format!("{from}-{end}"), wanted + before)
                .map_err(std::io::Error::other)?
                .ok_or_else(|| std::io::Error::other("the server stopped serving ranges"))?;
            self.fetched += fetched.bytes.len() as u64;
            self.chunks.insert(fetched.start, fetched.bytes);
        }
        let (start, bytes) = self
            .cached(self.pos)
            .ok_or_else(|| std::io::Error::other("short range answer"))?;
        let offset = usize::try_from(self.pos - start).map_err(std::io::Error::other)?;
        let n = buf.len().min(bytes.len() - offset);
        buf[..n].copy_from_slice(&bytes[offset..offset + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for RangeReader<'_> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(p) => i128::from(p),
            SeekFrom::End(d) => i128::from(self.len) + i128::from(d),
            SeekFrom::Current(d) => i128::from(self.pos) + i128::from(d),
        };
        self.pos = u64::try_from(target).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before start")
        })?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use crate::index::zipdir::stated_directory as directory_of;

    fn zip_of(files: usize, comment: &str) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for i in 0..files {
            zip.start_file(format!("f{i}.py"), opts).expect("file");
            zip.write_all(b"x = 1\n").expect("write");
        }
        zip.set_comment(comment);
        zip.finish().expect("zip").into_inner()
    }

    #[test]
    fn the_directory_is_found_from_the_tail() {
        for comment in ["", "a comment"] {
            let zip = zip_of(100, comment);
            let (start, size) = directory_of(&zip[zip.len() - 2000..]).expect("a directory");
            // The directory ends where the end record (22 bytes and the comment) begins.
            assert_eq!(start + size, (zip.len() - 22 - comment.len()) as u64);
            assert_eq!(&zip[start as usize..start as usize + 4], b"PK\x01\x02");
        }
    }

    #[test]
    fn no_directory_in_what_is_no_zip() {
        assert_eq!(directory_of(b""), None);
        assert_eq!(directory_of(&[0u8; 100]), None);
        let zip = zip_of(3, "");
        assert_eq!(directory_of(&zip[..zip.len() - 1]), None, "cut short");
    }
}
