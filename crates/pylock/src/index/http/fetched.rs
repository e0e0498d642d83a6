//! What a GET brings back, from the network or the cache.

use url::Url;

/// A response body with what the caller needs to interpret it.
#[derive(Debug)]
pub struct Fetched {
    /// HTTP status (200 or 404 reach callers; other errors become [`IndexError`](crate::index::IndexError)s).
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
    /// The URL after redirects.
    pub url: Url,
}
