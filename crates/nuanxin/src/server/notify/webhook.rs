//! Webhook delivery: one HTTP/1.1 POST per outbox row (a fresh connection each; TLS with
//! rustls and the Mozilla roots compiled in for `https://`).
//!
//! The request:
//! - body: the row's JSON payload ([`crate::suggestions::outbox`]) with `url`, the public
//!   page of the suggestion, added; the same bytes on every attempt;
//! - `Content-Type: application/json`;
//! - `Idempotency-Key`: the row's key, the same on every attempt (a receiver that has
//!   seen it has seen this notification);
//! - `X-Nuanxin-Event`: the event name; `X-Nuanxin-Timestamp`: when this attempt was sent
//!   (Unix seconds);
//! - `X-Nuanxin-Signature: sha256=<hex>`: HMAC-SHA256 (RFC 2104) of the body bytes with
//!   the webhook's secret.
//!
//! A 2xx answer acknowledges the row; anything else (another status, a refused or broken
//! connection, no answer within the timeout) is retried. Redirects are not followed.

use super::Failure;
use crate::suggestions::outbox::OutboxRow;
use hmac::{Hmac, Mac};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use sha2::Sha256;
use std::sync::{Arc, OnceLock};

/// Where a webhook URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `https://`.
    pub tls: bool,
    /// Host name or address (without brackets for IPv6).
    pub host: String,
    /// Port (default 80 / 443).
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
    /// The `Host` header value.
    pub authority: String,
}

impl Target {
    /// Parses an `http://` or `https://` URL.
    ///
    /// # Errors
    /// A message (without the URL, which may hold a secret) when it is not one.
    pub fn parse(url: &str) -> Result<Self, String> {
        let uri: hyper::Uri = url.parse().map_err(|_| "not a URL".to_string())?;
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err("not http:// or https://".into()),
        };
        let auth = uri.authority().ok_or("no host")?;
        if auth.as_str().contains('@') {
            return Err("user info in a webhook URL is not supported".into());
        }
        let host = auth.host().trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err("no host".into());
        }
        Ok(Target {
            tls,
            host: host.to_string(),
            port: auth.port_u16().unwrap_or(if tls { 443 } else { 80 }),
            path: uri
                .path_and_query()
                .map_or("/".into(), |p| p.as_str().to_string()),
            authority: auth.as_str().to_string(),
        })
    }
}

/// The body sent for `payload`: the payload with `url` (the suggestion's public page under
/// `public_base`) added.
pub fn body(payload: &str, public_base: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(payload) {
        Ok(mut v) => {
            let id = v["suggestion"]["id"].as_str().unwrap_or("").to_string();
            if let Some(o) = v.as_object_mut() {
                o.insert(
                    "url".into(),
                    serde_json::Value::String(format!("{public_base}/#s/{id}")),
                );
            }
            v.to_string()
        }
        // written by the store as JSON; sent as stored if it ever is not
        Err(_) => payload.to_string(),
    }
}

/// `sha256=` + the hex HMAC-SHA256 of `body` with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length (RFC 2104 §2), so `new_from_slice` cannot fail
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The TLS client configuration: rustls with ring, the Mozilla roots of `webpki-roots`.
///
/// rustls 0.23.48 deprecates ring's provider for lacking post-quantum key exchange; its
/// alternative, aws-lc-rs, needs CMake and a C toolchain to build, which CI machines lack.
/// ring's classic key exchange (X25519, P-256, P-384) is what lettre uses for SMTP too.
#[allow(deprecated)]
fn tls_connector() -> Result<tokio_rustls::TlsConnector, String> {
    static CONFIG: OnceLock<Result<Arc<tokio_rustls::rustls::ClientConfig>, String>> =
        OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let roots = tokio_rustls::rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
            tokio_rustls::rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map(|b| Arc::new(b.with_root_certificates(roots).with_no_client_auth()))
        .map_err(|e| format!("TLS: {e}"))
    });
    config.clone().map(tokio_rustls::TlsConnector::from)
}

/// POSTs `body` for `row` to `url` (see the module docs). The caller bounds the time.
///
/// # Errors
/// [`Failure::Retry`] naming what failed (never the URL).
pub async fn post(url: &str, secret: &str, row: &OutboxRow, body: &[u8]) -> Result<(), Failure> {
    let t = Target::parse(url).map_err(Failure::Permanent)?;
    let tcp = tokio::net::TcpStream::connect((t.host.as_str(), t.port))
        .await
        .map_err(|e| Failure::Retry(format!("connect: {}", e.kind())))?;
    let _ = tcp.set_nodelay(true);
    let request = hyper::Request::post(t.path.as_str())
        .header(hyper::header::HOST, t.authority.as_str())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(
            hyper::header::USER_AGENT,
            concat!("nuanxin/", env!("CARGO_PKG_VERSION"), " (webhook)"),
        )
        .header("Idempotency-Key", row.idempotency_key.as_str())
        .header("X-Nuanxin-Event", row.event.as_str())
        .header(
            "X-Nuanxin-Timestamp",
            chrono::Utc::now().timestamp().to_string(),
        )
        .header("X-Nuanxin-Signature", sign(secret, body))
        .body(Full::new(Bytes::copy_from_slice(body)))
        .map_err(|e| Failure::Permanent(format!("request: {e}")))?;
    let status = if t.tls {
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(t.host.clone())
            .map_err(|_| Failure::Permanent("TLS: not a valid host name".into()))?;
        let tls = tls_connector()
            .map_err(Failure::Permanent)?
            .connect(name, tcp)
            .await
            .map_err(|e| Failure::Retry(format!("TLS: {e}")))?;
        send(TokioIo::new(tls), request).await?
    } else {
        send(TokioIo::new(tcp), request).await?
    };
    if status.is_success() {
        Ok(())
    } else {
        Err(Failure::Retry(format!("HTTP {}", status.as_u16())))
    }
}

/// Sends `request` over `io` (HTTP/1.1) and returns the answer's status.
async fn send<I>(io: I, request: hyper::Request<Full<Bytes>>) -> Result<hyper::StatusCode, Failure>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| Failure::Retry(format!("HTTP: {e}")))?;
    let driver = tokio::spawn(conn);
    let answer = sender
        .send_request(request)
        .await
        .map_err(|e| Failure::Retry(format!("HTTP: {e}")));
    driver.abort();
    Ok(answer?.status())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_rfc_4231_test_case_2() {
        // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?"
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn urls_parse_with_default_ports() {
        let t = Target::parse("https://hooks.example.com/a/b?k=1").unwrap();
        assert_eq!(
            (t.tls, t.host.as_str(), t.port, t.path.as_str()),
            (true, "hooks.example.com", 443, "/a/b?k=1")
        );
        let t = Target::parse("http://[::1]:8081").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("::1", 8081, "/")
        );
        assert!(Target::parse("ftp://x/").is_err());
        assert!(Target::parse("http://u:p@x/").is_err());
    }

    #[test]
    fn body_adds_the_public_url() {
        let b = body(
            r#"{"suggestion":{"id":"S1"}}"#,
            "https://map.example.gov.cn",
        );
        let v: serde_json::Value = serde_json::from_str(&b).unwrap();
        assert_eq!(v["url"], "https://map.example.gov.cn/#s/S1");
    }
}
