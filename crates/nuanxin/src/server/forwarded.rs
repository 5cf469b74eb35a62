//! What the request says about the client: the `X-Forwarded-For` header a reverse proxy
//! sets (honoured only when the configuration's `trust_forwarded_for` is set). Links never
//! come from the request (`Host`, `X-Forwarded-Host/Proto`): they are under the configured
//! `public_url` ([`super::Config::public_base`]).
//!
//! Rules, each against a tester's finding:
//! - a proxy *appends* to `X-Forwarded-For`, so only the **rightmost** entry was written by
//!   our proxy; the entries to its left come from the client and can be forged;
//! - a configured host ([`is_safe_host`]) consists only of the characters of an RFC 3986
//!   `host[:port]` (letters, digits, `.-_:[]`), so it cannot break out of a URL or an HTML
//!   attribute.

use axum::http::HeaderMap;
use std::net::IpAddr;

/// The rightmost non-empty comma-separated entry of header `name`, trimmed.
fn rightmost(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.rsplit(',').map(str::trim).find(|s| !s.is_empty()))
        .map(str::to_string)
}

/// Whether `host` is a plausible `host[:port]` (no characters that could end a URL
/// authority or an HTML attribute).
pub fn is_safe_host(host: &str) -> bool {
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
}

/// The client address a trusted reverse proxy reports: the rightmost `X-Forwarded-For`
/// entry (the one the proxy appended), `None` when absent or not an IP address.
pub fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    rightmost(headers, "x-forwarded-for").and_then(|s| s.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn forwarded_for_takes_the_entry_our_proxy_appended() {
        // The client sent "1.2.3.4"; our proxy appended the real peer 203.0.113.7.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.7")]);
        assert_eq!(forwarded_for(&h), Some("203.0.113.7".parse().unwrap()));
        let h = headers(&[("x-forwarded-for", "2001:db8::1")]);
        assert_eq!(forwarded_for(&h), Some("2001:db8::1".parse().unwrap()));
        let h = headers(&[("x-forwarded-for", "1.2.3.4, not-an-ip")]);
        assert_eq!(forwarded_for(&h), None);
        assert_eq!(forwarded_for(&HeaderMap::new()), None);
    }

    #[test]
    fn unsafe_hosts_are_refused() {
        for ok in [
            "example.org:8080",
            "[2001:db8::1]:8080",
            "map.example.gov.cn",
        ] {
            assert!(is_safe_host(ok), "{ok}");
        }
        for bad in ["evil.example\"x<y", "evil.org/\"><script>", "a b", ""] {
            assert!(!is_safe_host(bad), "{bad}");
        }
    }
}
