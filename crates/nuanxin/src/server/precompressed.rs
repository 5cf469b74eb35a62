//! Static response bodies compressed once, not per request.
//!
//! The embedded web files never change while the server runs, so each is compressed once
//! (brotli at quality 11, window 2²², and gzip at level 9: the slowest, smallest settings,
//! affordable once) and the right bytes are picked per request from `Accept-Encoding`
//! (RFC 9110 §12.5.3: brotli preferred, then gzip, honouring `q=0`). Each representation has
//! its own strong ETag (the identity ETag with `-br` or `-gz` appended), and responses say
//! `Vary: Accept-Encoding`. The compression layer of the router leaves responses that already
//! carry `Content-Encoding` alone.

use axum::http::{header, HeaderMap};

/// A body in its compressed forms, with their ETags.
#[derive(Debug)]
pub struct Encoded {
    /// Brotli.
    pub br: Vec<u8>,
    /// Gzip.
    pub gzip: Vec<u8>,
    /// ETag of the brotli form.
    pub br_etag: String,
    /// ETag of the gzip form.
    pub gzip_etag: String,
}

/// Bodies smaller than this are sent as they are (compression would not pay).
pub const MIN_BYTES: usize = 1024;

impl Encoded {
    /// Compresses `body`, whose identity ETag is `etag` (quoted). `None` when `body` is
    /// below [`MIN_BYTES`] or `content_type` is already compressed (images other than SVG).
    pub fn of(body: &[u8], content_type: &str, etag: &str) -> Option<Self> {
        if !compressible(body, content_type) {
            return None;
        }
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut &body[..], &mut br, &params).ok()?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, body).ok()?;
        let gzip = gz.finish().ok()?;
        let tagged = |suffix: &str| format!("{}-{suffix}\"", etag.trim_end_matches('"'));
        Some(Encoded {
            br,
            gzip,
            br_etag: tagged("br"),
            gzip_etag: tagged("gz"),
        })
    }
}

/// Whether `body` is worth compressing: at least [`MIN_BYTES`], and not of a content type
/// that is compressed already (images other than SVG).
pub fn compressible(body: &[u8], content_type: &str) -> bool {
    body.len() >= MIN_BYTES && (!content_type.starts_with("image/") || content_type.contains("svg"))
}

/// A content coding the client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// `br`
    Brotli,
    /// `gzip` (or `x-gzip`)
    Gzip,
    /// No coding.
    Identity,
}

/// The best coding `Accept-Encoding` allows: brotli, then gzip, by their q-values (a coding
/// with `q=0` is refused; `*` stands for codings not named).
pub fn preferred(headers: &HeaderMap) -> Coding {
    let (mut br, mut gzip, mut star) = (None::<f32>, None::<f32>, None::<f32>);
    for part in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match name.as_str() {
            "br" => br = Some(q),
            "gzip" | "x-gzip" => gzip = Some(q),
            "*" => star = Some(q),
            _ => {}
        }
    }
    let br = br.or(star).unwrap_or(0.0);
    let gzip = gzip.or(star).unwrap_or(0.0);
    if br > 0.0 && br >= gzip {
        Coding::Brotli
    } else if gzip > 0.0 {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::io::Read;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn accept_encoding_is_honoured() {
        assert_eq!(preferred(&HeaderMap::new()), Coding::Identity);
        assert_eq!(
            preferred(&accept("gzip, deflate, br, zstd")),
            Coding::Brotli
        );
        assert_eq!(preferred(&accept("gzip")), Coding::Gzip);
        assert_eq!(preferred(&accept("br;q=0, gzip")), Coding::Gzip);
        assert_eq!(preferred(&accept("br;q=0.5, gzip;q=0.8")), Coding::Gzip);
        assert_eq!(preferred(&accept("*")), Coding::Brotli);
        assert_eq!(preferred(&accept("*;q=0, identity")), Coding::Identity);
        assert_eq!(preferred(&accept("identity")), Coding::Identity);
    }

    #[test]
    fn both_forms_decompress_to_the_body() {
        let body = "暖新驿站 rest station ".repeat(200);
        let e = Encoded::of(body.as_bytes(), "text/plain", "\"abc\"").unwrap();
        let mut out = Vec::new();
        brotli::Decompressor::new(&e.br[..], 4096)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, body.as_bytes());
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&e.gzip[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, body.as_bytes());
        assert_eq!(
            (e.br_etag.as_str(), e.gzip_etag.as_str()),
            ("\"abc-br\"", "\"abc-gz\"")
        );
        assert!(Encoded::of(b"tiny", "text/plain", "\"t\"").is_none());
    }
}
