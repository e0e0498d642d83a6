//! `Read + Seek` over an HTTP resource with range requests, so a zip reader fetches only the
//! central directory and the member it reads (PEP 658's fallback, as pip and uv do).

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};

use url::Url;

use super::client::Client;
use crate::index::{IndexError, Limits};

/// Bytes fetched per request: enough for a typical wheel's zip directory in one go.
const CHUNK: u64 = 64 * 1024;

/// A read that misses, up to this far before bytes already fetched, fetches everything up to
/// them in one request. The zip directory is read in many small reads and sits right before
/// the tail fetched first: a wheel with thousands of files (tensorflow: ~2 MB of directory)
/// took one round trip per 64 KiB, and now takes one.
const FILL_GAP: u64 = 16 * 1024 * 1024;

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
        let mut reader = Self {
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
            let end = if next_fetched - self.pos <= FILL_GAP {
                next_fetched
            } else {
                self.pos + CHUNK.max(buf.len() as u64)
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
            let fetched = self
                .client
                .get_range(&self.url, &format!("{}-{end}", self.pos), wanted)
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
