//! Indexes over HTTP(S): PEP 691 JSON with PEP 503 HTML fallback by content negotiation, several
//! indexes (the first that has a project wins), `--find-links` sources, and metadata from
//! PEP 658 files, else from the wheel's zip directory read with range requests, else from the
//! whole file; sdist-only versions from a static PKG-INFO.

mod auth;
mod cache;
mod client;
mod fetched;
mod limit;
mod pack;
mod range;

use std::io::Seek as _;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Mutex;

use url::Url;

use client::{Client, ClientOptions};
use fetched::Fetched;

use super::redact::redact;

use super::archive::{sdist_metadata, wheel_metadata};
use super::compact;
use super::metadata::Fields;
use super::{
    parse_filename, parse_html_page, parse_json_page, parse_metadata, verify_sha256, CoreMetadata,
    DistFile, DistKind, FileParts, Index, IndexError, Limits, ProjectPage,
};
use crate::pep::PackageName;

/// What a project page request accepts, best first (PEP 691).
const ACCEPT_PAGE: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

/// How to reach the indexes.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Simple API roots, in order of precedence (`--index-url`, then `--extra-index-url`s);
    /// [`HttpOptions::PYPI`] by default.
    pub index_urls: Vec<Url>,
    /// `--find-links`: directories or URLs of HTML pages listing distribution files.
    pub find_links: Vec<String>,
    /// The cache directory (`None`: no cache).
    pub cache_dir: Option<PathBuf>,
    /// Revalidate cached responses even when fresh.
    pub refresh: bool,
    /// Never use the network; everything must come from the cache.
    pub offline: bool,
    /// The longest one request may take, retries included (default 60 s).
    pub timeout: std::time::Duration,
    /// How much the indexes may make pylock read.
    pub limits: Limits,
    /// The most requests in flight to one origin (scheme, host and port), and the most
    /// threads the resolver fetches with (default 32). Fewer may run: each origin's limit
    /// follows its latency, and falls while answers slow down under load.
    pub concurrency: usize,
}

/// PyPI's Simple API root, the default index.
pub const PYPI: &str = "https://pypi.org/simple";

impl Default for HttpOptions {
    /// PyPI, no cache, a 60-second timeout per request, the default [`Limits`], 32
    /// requests at once at most.
    fn default() -> Self {
        Self {
            index_urls: Url::parse(PYPI).into_iter().collect(),
            find_links: Vec::new(),
            cache_dir: None,
            refresh: false,
            offline: false,
            timeout: std::time::Duration::from_secs(60),
            limits: Limits::default(),
            concurrency: 32,
        }
    }
}

impl HttpOptions {
    /// The platform's cache directory for pylock (`$XDG_CACHE_HOME/pylock` on Linux).
    pub fn default_cache_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("pylock"))
    }
}

/// Indexes reached over HTTP(S) (and `file://` find-links).
pub struct HttpIndex {
    client: Client,
    limits: Limits,
    indexes: Vec<Url>,
    find_links: Vec<String>,
    flat_pages: Mutex<Vec<(String, Vec<u8>, Url)>>,
    /// [`HttpOptions::concurrency`].
    concurrency: usize,
    /// `--refresh` (and not `--offline`): kept metadata is read from the index again too.
    refresh: bool,
}

impl HttpIndex {
    /// An index set reached with `options`.
    pub fn new(options: HttpOptions) -> Result<Self, IndexError> {
        let indexes: Vec<Url> = options
            .index_urls
            .iter()
            .map(|u| {
                let mut u = u.clone();
                if !u.path().ends_with('/') {
                    u.set_path(&format!("{}/", u.path()));
                }
                u
            })
            .collect();
        let client = Client::new(
            ClientOptions {
                cache_dir: options.cache_dir.clone(),
                refresh: options.refresh,
                offline: options.offline,
                retries: 3,
                timeout: options.timeout,
                concurrency: options.concurrency,
            },
            &indexes,
        );
        Ok(Self {
            client,
            limits: options.limits,
            indexes,
            find_links: options.find_links,
            flat_pages: Mutex::new(Vec::new()),
            concurrency: options.concurrency.max(1),
            refresh: options.refresh && !options.offline,
        })
    }

    fn index_page(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
        for base in &self.indexes {
            let mut url =
                base.join(&format!("{name}/"))
                    .map_err(|e| IndexError::InvalidLocation {
                        location: redact(base),
                        reason: e.to_string(),
                    })?;
            // A query on the index URL (`?token=...`) goes with each project page, as uv
            // sends it: a private index may take its credential there.
            url.set_query(base.query());
            // The cache keeps pages parsed (see `compact`): a warm run decodes them. A page
            // just fetched is used as parsed.
            let parsed = std::cell::Cell::new(None);
            let keep = |fetched: Fetched| {
                // A server's answer is JSON or HTML, whatever its Content-Type says: the
                // cache's own format is for what the cache holds.
                let fetched = Fetched {
                    content_type: (fetched.content_type)
                        .filter(|t| !t.starts_with(compact::CONTENT_TYPE_PREFIX)),
                    ..fetched
                };
                let page = parse_page(&fetched, name).map_err(|e| redact_error(e, &url))?;
                // The answer is parsed: its bytes go before the page's cached form is made.
                let fetched = Fetched {
                    body: Vec::new(),
                    ..fetched
                };
                let kept = Fetched {
                    content_type: Some(compact::CONTENT_TYPE.to_owned()),
                    body: compact::encode(&page),
                    ..fetched
                };
                parsed.set(Some(page));
                Ok(kept)
            };
            let read = |fetched: Fetched| match parsed.take() {
                Some(page) => Ok(page),
                None => parse_page(&fetched, name).map_err(|e| redact_error(e, &url)),
            };
            let limit = self.limits.page_bytes;
            let project = Some(name.as_ref());
            let Some(page) = self.get_read(&url, ACCEPT_PAGE, limit, project, keep, read)? else {
                continue;
            };
            return Ok(Some(page));
        }
        Ok(None)
    }

    /// Files for `name` from the `--find-links` sources.
    fn flat_files(&self, name: &PackageName) -> Result<Vec<DistFile>, IndexError> {
        let mut files = Vec::new();
        for source in &self.find_links {
            let dir = PathBuf::from(source.strip_prefix("file://").unwrap_or(source));
            if dir.is_dir() {
                files.extend(local_flat_files(&dir, name)?);
                continue;
            }
            let url = Url::parse(source).map_err(|e| IndexError::InvalidLocation {
                location: source.clone(),
                // Not a directory, and not a URL either: most likely a path that is missing.
                reason: match e {
                    url::ParseError::RelativeUrlWithoutBase => "not a directory".into(),
                    e => e.to_string(),
                },
            })?;
            let (body, page_url) = {
                let cached = crate::util::lock(&self.flat_pages)
                    .iter()
                    .find(|(s, _, _)| s == source)
                    .map(|(_, b, u)| (b.clone(), u.clone()));
                match cached {
                    Some(c) => c,
                    None => {
                        let fetched = self.client.get(&url, "text/html", self.limits.page_bytes)?;
                        if fetched.status == 404 {
                            return Err(IndexError::Http {
                                url: redact(&url),
                                reason: "not found".into(),
                            });
                        }
                        crate::util::lock(&self.flat_pages).push((
                            source.clone(),
                            fetched.body.clone(),
                            fetched.url.clone(),
                        ));
                        (fetched.body, fetched.url)
                    }
                }
            };
            let page = parse_html_page(&body, &page_url, name)?;
            files.extend(only_remote_files(page, &page_url)?.files);
        }
        Ok(files)
    }

    /// GET `url` through the cache (keeping `keep(response)`), read by `read`. What `read`
    /// refuses is dropped from the cache and asked for once more: a cached copy may be
    /// damaged, kept by another pylock version, or another index's answer at this URL (a
    /// test server on a reused port). `Ok(None)` when the server has nothing there.
    fn get_read<T>(
        &self,
        url: &Url,
        accept: &str,
        limit: u64,
        project: Option<&str>,
        keep: impl Fn(Fetched) -> Result<Fetched, IndexError>,
        read: impl Fn(Fetched) -> Result<T, IndexError>,
    ) -> Result<Option<T>, IndexError> {
        let fetched = self
            .client
            .get_kept_as(url, accept, limit, project, &keep)?;
        if fetched.status != 200 {
            return Ok(None);
        }
        if let Ok(value) = read(fetched) {
            return Ok(Some(value));
        }
        self.client.forget(url, accept, project);
        let fetched = self
            .client
            .get_kept_as(url, accept, limit, project, &keep)?;
        if fetched.status != 200 {
            return Ok(None);
        }
        read(fetched).map(Some)
    }

    /// An sdist's metadata (and why it is approximate, if it is): read from the start of the
    /// archive as it streams in, kept in the cache as derived data (the first line says why
    /// it is approximate, empty if it is not). The archive's hash cannot be checked without
    /// reading all of it; the lock records it and installers check it.
    fn sdist_metadata(
        &self,
        file: &DistFile,
        url: &Url,
        project: &str,
    ) -> Result<(Vec<u8>, Option<String>), IndexError> {
        // Keyed by the file's hash too: another index may serve other bytes at this URL.
        let what = format!("sdist-metadata-v1 {}", file.sha256().unwrap_or_default());
        let shown = redact(url);
        if let Some(kept) = self.client.derived(url, &what) {
            if let Some(at) = kept.iter().position(|&b| b == b'\n') {
                let why = String::from_utf8_lossy(&kept[..at]).into_owned();
                return Ok((kept[at + 1..].to_vec(), (!why.is_empty()).then_some(why)));
            }
        }
        let (bytes, why) = if url.scheme() == "file" {
            sdist_metadata(&self.download(file)?[..], &shown, project, &self.limits)?
        } else {
            let stream = self
                .client
                .get_stream(url)?
                .ok_or_else(|| IndexError::Http {
                    url: shown.clone(),
                    reason: "not found".into(),
                })?;
            sdist_metadata(
                std::io::BufReader::new(stream),
                &shown,
                project,
                &self.limits,
            )?
        };
        let mut kept = why
            .clone()
            .unwrap_or_default()
            .replace('\n', " ")
            .into_bytes();
        kept.push(b'\n');
        kept.extend_from_slice(&bytes);
        self.client.store_derived(url, &what, &kept);
        Ok((bytes, why))
    }

    fn download(&self, file: &DistFile) -> Result<Vec<u8>, IndexError> {
        let url = file.url.parse()?;
        let bytes = if url.scheme() == "file" {
            read_file_url(&url)?
        } else {
            let fetched = self.client.get(&url, "*/*", self.limits.download_bytes)?;
            if fetched.status != 200 {
                return Err(IndexError::Http {
                    url: redact(&url),
                    reason: "not found".into(),
                });
            }
            fetched.body
        };
        verify_sha256(&bytes, file.sha256_digest(), &redact(&url))?;
        Ok(bytes)
    }
}

impl Index for HttpIndex {
    fn concurrency(&self) -> usize {
        // Requests mostly wait on the network; uv keeps up to 50 in flight. The client
        // lets fewer run against an origin that answers slower under load.
        self.concurrency
    }

    fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
        let page = self.index_page(name)?;
        let flat = if self.find_links.is_empty() {
            Vec::new()
        } else {
            self.flat_files(name)?
        };
        Ok(match (page, flat.is_empty()) {
            (None, true) => None,
            (None, false) => Some(ProjectPage {
                name: name.clone(),
                files: flat,
            }),
            (Some(mut page), _) => {
                page.files.extend(flat);
                Some(page)
            }
        })
    }

    /// `http(s)` references are downloaded (at most [`Limits::download_bytes`]) through the
    /// client into a temporary file, hashed on the way; what is read of a file whose URL
    /// pins its sha256 is kept in the cache, so warm and `--offline` runs download nothing.
    /// `file:` references are read in place.
    fn direct(&self, name: &PackageName, url: &Url) -> Result<super::DirectDist, IndexError> {
        use super::direct;
        if !matches!(url.scheme(), "http" | "https") {
            return direct::read_local(name, url, &self.limits);
        }
        let mut bare = url.clone();
        bare.set_fragment(None);
        let key = (url.fragment())
            .filter(|f| f.starts_with("sha256="))
            .map(|f| format!("direct-v1 {f}"));
        if let Some(kept) = key.as_ref().and_then(|k| self.client.derived(&bare, k)) {
            if let Some(dist) = direct::from_kept(name, url, &kept) {
                return Ok(dist);
            }
        }
        let shown = redact(&bare);
        let stream = self
            .client
            .get_stream(&bare)?
            .ok_or_else(|| IndexError::Http {
                url: shown.clone(),
                reason: "not found".into(),
            })?;
        let mut spool = direct::Spool::new()?;
        let limit = self.limits.download_bytes;
        let hashed = direct::copy_hashed(stream, &mut spool.file, limit, &shown)?;
        let io = |source| IndexError::Io {
            url: shown.clone(),
            source,
        };
        spool.file.rewind().map_err(io)?;
        let reader = std::io::BufReader::new(&spool.file);
        let (dist, kept) = direct::from_archive(name, url, reader, hashed, &self.limits)?;
        if let Some(key) = &key {
            self.client.store_derived(&bare, key, &kept);
        }
        Ok(dist)
    }

    fn metadata(&self, file: &DistFile) -> Result<CoreMetadata, IndexError> {
        let file_url = file.url.parse()?;
        let shown = redact(&file_url);
        if let Some(expected) = &file.core_metadata {
            let mut url = file_url.clone();
            url.set_path(&format!("{}.metadata", file_url.path()));
            let shown = redact(&url);
            let verified = |bytes: Vec<u8>| {
                verify_sha256(&bytes, *expected, &shown)?;
                Ok(bytes)
            };
            let fetched = if url.scheme() == "file" {
                Some(verified(read_file_url(&url)?)?)
            } else {
                // Kept by its hash: read as it was when its bytes matched the hash.
                let kept = self.client.packs().zip(*expected);
                let filename = file.filename();
                let cached = kept
                    .filter(|_| !self.refresh)
                    .and_then(|(store, hash)| Fields::decode(&store.read(filename, hash)?))
                    .and_then(|fields| fields.parse(&shown).ok());
                if let Some(metadata) = cached {
                    return Ok(metadata);
                }
                let limit = self.limits.metadata_bytes;
                if let Some((store, hash)) = kept {
                    // Kept by hash only: an HTTP cache entry of the same file would be a
                    // second file written per metadata file (`--refresh` reads it again).
                    let fetched = self.client.get_unstored(&url, "*/*", limit)?;
                    if fetched.status == 200 {
                        let fields = Fields::extract(&verified(fetched.body)?);
                        let metadata = fields.parse(&shown)?;
                        store.store(filename, hash, &fields.encode());
                        return Ok(metadata);
                    }
                    None
                } else {
                    // No hash to keep it by: an HTTP cache entry, in the project's pack.
                    let project = pack::project_of(filename);
                    let pack = Some(project.as_str());
                    self.get_read(&url, "*/*", limit, pack, Ok, |f| verified(f.body))?
                }
            };
            if let Some(bytes) = fetched {
                return parse_metadata(&bytes, &shown);
            }
        }
        let bytes = match &file.kind {
            DistKind::Wheel(_) if file_url.scheme() == "file" => {
                let path = file_path(&file_url)?;
                let f = std::fs::File::open(&path).map_err(|source| IndexError::Io {
                    url: shown.clone(),
                    source,
                })?;
                wheel_metadata(std::io::BufReader::new(f), &shown, &self.limits)?
            }
            DistKind::Wheel(_) => match self.client.derived(&file_url, &derived_key(file)) {
                Some(bytes) => bytes,
                None => {
                    let limits = &self.limits;
                    let bytes = match range::RangeReader::open(&self.client, &file_url, limits)? {
                        Some(reader) => wheel_metadata(reader, &shown, limits)?,
                        None => {
                            let whole = std::io::Cursor::new(self.download(file)?);
                            wheel_metadata(whole, &shown, limits)?
                        }
                    };
                    self.client
                        .store_derived(&file_url, &derived_key(file), &bytes);
                    bytes
                }
            },
            DistKind::Sdist => {
                let project = file.filename().to_owned();
                if !file.filename().ends_with(".tar.gz") {
                    return Err(IndexError::DynamicMetadata {
                        project,
                        reason: "only .tar.gz sources can be read without a build".into(),
                    });
                }
                let (bytes, approximate) = self.sdist_metadata(file, &file_url, &project)?;
                let mut metadata = parse_metadata(&bytes, &shown)?;
                metadata.approximate = approximate;
                return Ok(metadata);
            }
        };
        parse_metadata(&bytes, &shown)
    }
}

/// What a wheel's METADATA is kept under besides its URL: its hash, since another index
/// may serve other bytes at the same URL (a test server on a reused port).
fn derived_key(file: &DistFile) -> String {
    format!("METADATA {}", file.sha256().unwrap_or_default())
}

/// A project page in any form a response or the cache holds: pre-parsed, PEP 691 JSON or
/// PEP 503 HTML. Its files must be on the web too (see [`only_remote_files`]).
fn parse_page(fetched: &Fetched, name: &PackageName) -> Result<ProjectPage, IndexError> {
    only_remote_files(parse_any_page(fetched, name)?, &fetched.url)
}

/// A page from a web server may only point at `http(s)` URLs: a `file:` URL there would have
/// pylock read local files (a wheel's path into the lock, `/dev/zero` until memory runs out)
/// on a remote server's say-so. `file:` URLs are for indexes and `--find-links` directories
/// the user names.
fn only_remote_files(page: ProjectPage, page_url: &Url) -> Result<ProjectPage, IndexError> {
    if !matches!(page_url.scheme(), "http" | "https") {
        return Ok(page);
    }
    match page
        .files
        .iter()
        .find(|f| !matches!(f.url.scheme(), "http" | "https"))
    {
        Some(f) => Err(IndexError::Malformed {
            url: redact(page_url),
            reason: format!(
                "{} points at `{}`: a remote index may only point at http(s) URLs",
                f.filename(),
                f.url.scheme()
            ),
        }),
        None => Ok(page),
    }
}

fn parse_any_page(fetched: &Fetched, name: &PackageName) -> Result<ProjectPage, IndexError> {
    match fetched.content_type.as_deref() {
        Some(compact::CONTENT_TYPE) => compact::decode(&fetched.body, &fetched.url, name),
        Some(t) if t.starts_with(compact::CONTENT_TYPE_PREFIX) => Err(IndexError::Malformed {
            url: fetched.url.to_string(),
            reason: format!("a cache entry of another pylock version ({t})"),
        }),
        Some(t) if t.contains("application/vnd.pypi.simple.v1+json") => {
            parse_json_page(&fetched.body, &fetched.url, name)
        }
        _ => parse_html_page(&fetched.body, &fetched.url, name),
    }
}

/// Errors from parsing carry the URL they came from, without credentials.
fn redact_error(e: IndexError, url: &Url) -> IndexError {
    match e {
        IndexError::Malformed { reason, .. } => IndexError::Malformed {
            url: redact(url),
            reason,
        },
        other => other,
    }
}

fn file_path(url: &Url) -> Result<PathBuf, IndexError> {
    url.to_file_path()
        .map_err(|()| IndexError::InvalidLocation {
            location: url.to_string(),
            reason: "not a local file".into(),
        })
}

fn read_file_url(url: &Url) -> Result<Vec<u8>, IndexError> {
    std::fs::read(file_path(url)?).map_err(|source| IndexError::Io {
        url: url.to_string(),
        source,
    })
}

/// The distribution files of `name` in a local `--find-links` directory, with their sha256.
fn local_flat_files(
    dir: &std::path::Path,
    name: &PackageName,
) -> Result<Vec<DistFile>, IndexError> {
    let io = |source| IndexError::Io {
        url: dir.display().to_string(),
        source,
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    let mut files = Vec::new();
    for filename in names {
        let Some(parsed) = parse_filename(&filename, name) else {
            continue;
        };
        let path = dir.join(&filename);
        let absolute = std::path::absolute(&path).map_err(io)?;
        let url = Url::from_file_path(&absolute).map_err(|()| IndexError::InvalidLocation {
            location: path.display().to_string(),
            reason: "cannot be expressed as a file URL".into(),
        })?;
        let bytes = std::fs::read(&path).map_err(io)?;
        let sha = sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(&bytes));
        files.push(DistFile::new(FileParts {
            filename: filename.into(),
            version: parsed.version,
            kind: parsed.kind,
            url: url.into(),
            sha256: Some(super::Sha256Hash::from_bytes(sha.into())),
            requires_python: None,
            yanked: false,
            core_metadata: None,
            size: Some(bytes.len() as u64),
            upload_time: None,
        }));
    }
    let _ = PackageName::from_str(name.as_ref());
    Ok(files)
}
