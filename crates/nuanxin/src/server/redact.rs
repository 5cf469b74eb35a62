//! Secrets kept out of the request log.
//!
//! Reporters' receipt tokens and officers' tokens travel in headers (`X-Receipt-Token`,
//! `Authorization`) or POST bodies, which are never logged. A client may still put one in
//! the query string (`?receipt=` is accepted for links typed by hand), so the URI written to
//! the log has the value of every secret-looking parameter replaced by [`REDACTED`]: a name
//! (percent-decoded, any case) equal to `code`, or containing `receipt`, `token`, `secret`,
//! `password`, `key`, `auth` (as in `authorization`), `session`, `cookie`, `credential` or
//! `signature`.
//!
//! Personal data gets the same treatment: Open311 clients may send a request's fields in
//! the query string, so parameters containing `mail`, `phone` or `contact`, and those named
//! `first_name`, `last_name`, `description`, `account_id` or `device_id` are redacted too
//! (the README promises that the log never holds a reporter's address or number).

use axum::http::Uri;

/// What a secret value is replaced with in the log.
pub const REDACTED: &str = "[redacted]";

/// Whether a query parameter name names a secret (see the module docs).
pub fn is_secret_param(name: &str) -> bool {
    let n = percent_decode(name).to_ascii_lowercase();
    n == "code"
        || [
            "first_name",
            "last_name",
            "description",
            "account_id",
            "device_id",
        ]
        .contains(&n.as_str())
        || [
            "receipt",
            "token",
            "secret",
            "password",
            "key",
            "mail",
            "phone",
            "contact",
            "auth",
            "session",
            "cookie",
            "credential",
            "signature",
        ]
        .iter()
        .any(|s| n.contains(s))
}

/// `application/x-www-form-urlencoded` decoding of a name (`+` is a space, `%XX` a byte),
/// as the query extractor decodes it; invalid escapes are kept as they are.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URI as it may be logged: path and query, secret parameter values redacted.
pub fn loggable_uri(uri: &Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.path().to_string();
    };
    let mut out = String::with_capacity(uri.path().len() + query.len() + 1);
    out.push_str(uri.path());
    out.push('?');
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        if is_secret_param(name) {
            out.push_str(name);
            out.push('=');
            out.push_str(REDACTED);
        } else {
            out.push_str(pair);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(uri: &str) -> String {
        loggable_uri(&uri.parse().unwrap())
    }

    #[test]
    fn secret_values_are_redacted_in_any_spelling() {
        assert_eq!(
            log("/api/v1/suggestions/X?receipt=abc123"),
            "/api/v1/suggestions/X?receipt=[redacted]"
        );
        assert_eq!(
            log("/a?lang=zh&Receipt=abc&token=t0k&code=99&access_token=z&k=5"),
            "/a?lang=zh&Receipt=[redacted]&token=[redacted]&code=[redacted]&access_token=[redacted]&k=5"
        );
        // a percent-encoded name is what the server decodes it to: `receipt`
        assert_eq!(log("/a?rec%65ipt=abc"), "/a?rec%65ipt=[redacted]");
        // a name alone, and a value holding `=`
        assert_eq!(log("/a?token"), "/a?token=[redacted]");
        assert_eq!(log("/a?token=a=b"), "/a?token=[redacted]");
        // nothing secret: unchanged
        assert_eq!(
            log("/api/v1/nearest?lon=1&lat=2&k=5"),
            "/api/v1/nearest?lon=1&lat=2&k=5"
        );
        assert_eq!(log("/healthz"), "/healthz");
        // Regression (newcomer, stop 24): `?authorization=Bearer%20…` was logged in clear.
        assert_eq!(
            log("/a?authorization=Bearer%20SEKRIT9&Auth=x&session_id=s&X-Amz-Signature=q&k=5"),
            "/a?authorization=[redacted]&Auth=[redacted]&session_id=[redacted]&X-Amz-Signature=[redacted]&k=5"
        );
        // Regression (newcomer): contact details sent in an Open311 query string were logged.
        assert_eq!(
            log("/open311/v2/requests.json?api_key=K&email=a@b.cn&phone=13911114444&first_name=W&last_name=L&description=call+me&lat=28.2"),
            "/open311/v2/requests.json?api_key=[redacted]&email=[redacted]&phone=[redacted]&first_name=[redacted]&last_name=[redacted]&description=[redacted]&lat=28.2"
        );
        assert_eq!(
            log("/a?contact=1&E-Mail=x"),
            "/a?contact=[redacted]&E-Mail=[redacted]"
        );
        // a bad escape does not panic
        assert_eq!(log("/a?%zz=1&%4=2"), "/a?%zz=1&%4=2");
    }
}
