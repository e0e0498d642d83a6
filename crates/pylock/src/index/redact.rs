//! URLs as they may be shown and recorded: an index URL can carry a credential in its user
//! name and password (`https://user:token@host/simple/`) or in its query
//! (`https://host/simple/?token=...`). Requests send both to their origin; messages and locks
//! hold neither.

use url::Url;

/// `url` without user name, password and query: what messages and locks show of it.
pub fn redact(url: &Url) -> String {
    let mut u = without_credentials(url);
    u.set_query(None);
    u.to_string()
}

/// An index URL given as text, as a lock or snapshot records it: [`redact`]ed, without a
/// trailing `/`; text that is not a URL (a local directory) as given.
pub(crate) fn recorded_url(text: &str) -> String {
    match Url::parse(text) {
        Ok(u) => redact(&u).trim_end_matches('/').to_owned(),
        Err(_) => text.to_owned(),
    }
}

/// `url` without user name and password, its query kept: what goes on the wire (credentials
/// travel in a header, for their origin only) and what names a cache entry (URLs that differ
/// in their query are different resources).
pub(crate) fn without_credentials(url: &Url) -> Url {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_password_and_query_are_not_shown() {
        let u = Url::parse("https://user:pa%40ss@host/simple/").expect("url");
        assert_eq!(redact(&u), "https://host/simple/");
        let u = Url::parse("https://host/simple/?token=secret#frag").expect("url");
        assert_eq!(redact(&u), "https://host/simple/#frag");
        assert_eq!(
            without_credentials(&Url::parse("https://u:p@host/s/?token=t").expect("url")).as_str(),
            "https://host/s/?token=t"
        );
    }

    #[test]
    fn recorded_urls_have_no_credentials_nor_trailing_slash() {
        assert_eq!(
            recorded_url("https://user:token@host/simple/?key=secret"),
            "https://host/simple"
        );
        assert_eq!(recorded_url("https://host/simple"), "https://host/simple");
        assert_eq!(recorded_url("/srv/index/simple"), "/srv/index/simple");
    }
}
