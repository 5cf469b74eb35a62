//! What the request says about the client and the public URL: `Host`, and the
//! `X-Forwarded-*` headers a reverse proxy sets (honoured only when the configuration's
//! `trust_forwarded_for` is set).
//!
//! Rules, each against a tester's finding:
//! - a proxy *appends* to `X-Forwarded-For`, so only the **rightmost** entry was written by
//!   our proxy; the entries to its left come from the client and can be forged;
//! - for the same reason the rightmost entry of a comma-separated `X-Forwarded-Proto` /
//!   `X-Forwarded-Host` is used;
//! - `X-Forwarded-Proto` is honoured only when it is exactly `http` or `https` (anything else
//!   could inject a `javascript:` scheme into links);
//! - a host (from `Host` or `X-Forwarded-Host`) is used only when it consists of the
//!   characters of an RFC 3986 `host[:port]` (letters, digits, `.-_:[]`), so it cannot break
//!   out of a URL or an HTML attribute.

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

/// `scheme://host[:port]` of the request, from the `Host` header (and `X-Forwarded-Proto` /
/// `X-Forwarded-Host` when `trust_forwarded`). Empty when there is no usable host (links are
/// then root-relative, which RFC 3986 resolves against the request URL). An
/// `X-Forwarded-Proto` other than `http` / `https` is ignored; an unsafe host gives `""`.
pub fn base_url(headers: &HeaderMap, trust_forwarded: bool) -> String {
    let mut scheme = "http";
    let mut host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string());
    if trust_forwarded {
        // Only exactly `https` changes the scheme; `http` is the default and anything else
        // is ignored.
        if rightmost(headers, "x-forwarded-proto").as_deref() == Some("https") {
            scheme = "https";
        }
        if let Some(h) = rightmost(headers, "x-forwarded-host") {
            host = Some(h);
        }
    }
    match host {
        Some(h) if is_safe_host(&h) => format!("{scheme}://{h}"),
        _ => String::new(),
    }
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
    fn forwarded_proto_must_be_http_or_https() {
        let h = headers(&[
            ("host", "example.org"),
            ("x-forwarded-proto", "javascript:alert(1)//"),
        ]);
        assert_eq!(base_url(&h, true), "http://example.org");
        let h = headers(&[("host", "example.org"), ("x-forwarded-proto", "https")]);
        assert_eq!(base_url(&h, true), "https://example.org");
        assert_eq!(base_url(&h, false), "http://example.org");
        let h = headers(&[("host", "example.org"), ("x-forwarded-proto", "HTTPS ")]);
        assert_eq!(base_url(&h, true), "http://example.org");
        // Rightmost entry: the client's forged "https" is overridden by the proxy's "http".
        let h = headers(&[
            ("host", "example.org"),
            ("x-forwarded-proto", "https, http"),
        ]);
        assert_eq!(base_url(&h, true), "http://example.org");
    }

    #[test]
    fn unsafe_hosts_are_not_reflected() {
        let h = headers(&[("host", "example.org:8080")]);
        assert_eq!(base_url(&h, false), "http://example.org:8080");
        let h = headers(&[("host", "[2001:db8::1]:8080")]);
        assert_eq!(base_url(&h, false), "http://[2001:db8::1]:8080");
        for bad in ["evil.example\"x<y", "evil.org/\"><script>", "a b", ""] {
            let mut h = HeaderMap::new();
            h.insert("host", HeaderValue::from_str(bad).unwrap());
            assert_eq!(base_url(&h, false), "", "{bad}");
        }
        let h = headers(&[("host", "ok.org"), ("x-forwarded-host", "evil\"x")]);
        assert_eq!(base_url(&h, true), "");
        assert_eq!(base_url(&h, false), "http://ok.org");
    }
}
