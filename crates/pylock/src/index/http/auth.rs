//! Credentials and where they may go: those in an index URL to that index's origin only,
//! netrc entries (which name a host) to that host over HTTPS, or over plain HTTP only where a
//! configured index is itself plain HTTP on that origin. Never written or printed.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use url::Url;

pub(super) type Credential = (String, Option<String>);

/// (scheme, host, port): where a credential may go.
type Origin = (String, String, u16);

fn origin(url: &Url) -> Option<Origin> {
    Some((
        url.scheme().to_owned(),
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default()?,
    ))
}

/// Credentials and where they may be sent: those in an index URL to that index's origin
/// only; netrc entries (which name a host) to that host over HTTPS, or over plain HTTP only
/// where a configured index is itself plain HTTP on that origin.
#[derive(Default)]
pub(super) struct Credentials {
    by_origin: HashMap<Origin, Credential>,
    by_host: HashMap<String, Credential>,
    index_origins: HashSet<Origin>,
}

impl Credentials {
    pub(super) fn new(netrc: HashMap<String, Credential>, indexes: &[Url]) -> Self {
        let mut out = Self {
            by_host: netrc
                .into_iter()
                .map(|(h, c)| (h.to_ascii_lowercase(), c))
                .collect(),
            ..Self::default()
        };
        for url in indexes {
            let Some(origin) = origin(url) else { continue };
            if !url.username().is_empty() {
                let credential = (
                    percent_decode(url.username()),
                    url.password().map(percent_decode),
                );
                out.by_origin.insert(origin.clone(), credential);
            }
            out.index_origins.insert(origin);
        }
        out
    }

    pub(super) fn for_url(&self, url: &Url) -> Option<&Credential> {
        let origin = origin(url)?;
        if let Some(c) = self.by_origin.get(&origin) {
            return Some(c);
        }
        let secure = origin.0 == "https" || self.index_origins.contains(&origin);
        secure.then(|| self.by_host.get(&origin.1)).flatten()
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// `machine HOST login USER password PASS` entries of `$NETRC` or `~/.netrc`.
pub(super) fn netrc_credentials() -> HashMap<String, (String, Option<String>)> {
    let path = std::env::var_os("NETRC")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".netrc")));
    let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) else {
        return HashMap::new();
    };
    parse_netrc(&text)
}

/// Parse netrc text (`default` entries are ignored: credentials go only to named hosts).
pub fn parse_netrc(text: &str) -> HashMap<String, (String, Option<String>)> {
    let mut out = HashMap::new();
    let mut tokens = text.split_whitespace();
    let mut machine: Option<String> = None;
    let mut login: Option<String> = None;
    let mut password: Option<String> = None;
    let mut flush = |m: &mut Option<String>, l: &mut Option<String>, p: &mut Option<String>| {
        if let (Some(m), Some(l)) = (m.take(), l.take()) {
            out.insert(m, (l, p.take()));
        }
        *p = None;
    };
    while let Some(tok) = tokens.next() {
        match tok {
            "machine" => {
                flush(&mut machine, &mut login, &mut password);
                machine = tokens.next().map(str::to_owned);
            }
            "default" => {
                flush(&mut machine, &mut login, &mut password);
            }
            "login" => login = tokens.next().map(str::to_owned),
            "password" => password = tokens.next().map(str::to_owned),
            "account" | "macdef" => {
                tokens.next();
            }
            _ => {}
        }
    }
    flush(&mut machine, &mut login, &mut password);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netrc_entries() {
        let creds = parse_netrc(
            "machine pypi.example.com login alice password s3cret\ndefault login x password y\nmachine other login bob",
        );
        assert_eq!(
            creds.get("pypi.example.com"),
            Some(&("alice".to_owned(), Some("s3cret".to_owned())))
        );
        assert_eq!(creds.get("other"), Some(&("bob".to_owned(), None)));
        assert_eq!(creds.len(), 2);
    }
}
