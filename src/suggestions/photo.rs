//! Attached photos: the type is decided by content (magic bytes and a structural parse with
//! `img-parts`), never by the file name or the claimed media type, and metadata is removed
//! before anything is stored:
//! - JPEG: every APPn segment except APP0 (JFIF) and APP14 (Adobe colour transform), which
//!   removes EXIF (with GPS position), XMP, ICC profiles, IPTC/Photoshop (APP13); and
//!   comment (COM) segments;
//! - PNG: `eXIf`, `iCCP`, `tEXt`, `zTXt`, `iTXt`, `tIME` chunks;
//! - WebP: `EXIF`, `XMP ` and `ICCP` chunks (and their VP8X flags).
//!
//! Pixels are not re-encoded, so the stored image is the uploaded one minus its metadata.

use super::SuggestionError;
use img_parts::jpeg::{markers, Jpeg};
use img_parts::png::Png;
use img_parts::webp::WebP;
use img_parts::{Bytes, ImageEXIF, ImageICC};

/// Largest accepted photo, bytes (5 MB = 5 × 1024 × 1024).
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// Accepted photo formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoFormat {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`).
    Png,
    /// WebP (`RIFF....WEBP`).
    Webp,
}

impl PhotoFormat {
    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "image/jpeg",
            PhotoFormat::Png => "image/png",
            PhotoFormat::Webp => "image/webp",
        }
    }

    /// Sniffs the format from the first bytes.
    pub fn sniff(b: &[u8]) -> Option<Self> {
        if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(PhotoFormat::Jpeg)
        } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(PhotoFormat::Png)
        } else if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
            Some(PhotoFormat::Webp)
        } else {
            None
        }
    }
}

fn invalid(msg: impl Into<String>) -> SuggestionError {
    SuggestionError::Invalid {
        field: "photo",
        msg: msg.into(),
    }
}

/// Checks `bytes` is a JPEG, PNG or WebP of at most [`MAX_PHOTO_BYTES`] and returns it with
/// its metadata removed.
///
/// # Errors
/// [`SuggestionError::PhotoTooLarge`] over the limit; [`SuggestionError::Invalid`] on
/// `photo` for another format or a file that does not parse.
pub fn sanitize(bytes: Vec<u8>) -> Result<(PhotoFormat, Vec<u8>), SuggestionError> {
    // The parser is third-party code fed with untrusted bytes: a panic in it must become a
    // 400, not a failed request.
    std::panic::catch_unwind(move || sanitize_inner(bytes))
        .unwrap_or_else(|_| Err(invalid("the image could not be read")))
}

fn sanitize_inner(bytes: Vec<u8>) -> Result<(PhotoFormat, Vec<u8>), SuggestionError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(SuggestionError::PhotoTooLarge {
            size: bytes.len(),
            limit: MAX_PHOTO_BYTES,
        });
    }
    let format = PhotoFormat::sniff(&bytes)
        .ok_or_else(|| invalid("photo must be a JPEG, PNG or WebP image (checked by content)"))?;
    let b = Bytes::from(bytes);
    let out = match format {
        PhotoFormat::Jpeg => {
            let mut j =
                Jpeg::from_bytes(b).map_err(|e| invalid(format!("not a valid JPEG: {e}")))?;
            j.segments_mut().retain(|s| {
                let m = s.marker();
                let app = (markers::APP0..=markers::APP15).contains(&m);
                !(m == markers::COM || (app && m != markers::APP0 && m != markers::APP14))
            });
            j.encoder().bytes()
        }
        PhotoFormat::Png => {
            let mut p = Png::from_bytes(b).map_err(|e| invalid(format!("not a valid PNG: {e}")))?;
            p.set_exif(None);
            p.set_icc_profile(None);
            for kind in [*b"tEXt", *b"zTXt", *b"iTXt", *b"tIME"] {
                p.remove_chunks_by_type(kind);
            }
            p.encoder().bytes()
        }
        PhotoFormat::Webp => {
            let mut w =
                WebP::from_bytes(b).map_err(|e| invalid(format!("not a valid WebP: {e}")))?;
            w.remove_chunks_by_id(img_parts::webp::CHUNK_XMP);
            w.set_exif(None);
            w.set_icc_profile(None);
            // clear the XMP flag (bit 2 of the first VP8X byte); set_exif/set_icc keep it.
            for c in w.chunks_mut() {
                if c.id() == img_parts::webp::CHUNK_VP8X {
                    if let img_parts::riff::RiffContent::Data(d) = c.content_mut() {
                        let mut v = d.to_vec();
                        if let Some(f) = v.first_mut() {
                            *f &= !0b0000_0100;
                        }
                        *d = Bytes::from(v);
                    }
                }
            }
            w.encoder().bytes()
        }
    };
    Ok((format, out.to_vec()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tiny JPEG: SOI, APP0 JFIF, APP1 EXIF with a GPS-looking payload, COM, DQT, SOF0,
    /// DHT, SOS with one byte of entropy data, EOI. Built by hand from ITU T.81 B.1.
    pub(crate) fn jpeg_with_exif() -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8];
        let seg = |v: &mut Vec<u8>, marker: u8, body: &[u8]| {
            v.extend_from_slice(&[0xFF, marker]);
            let len = (body.len() + 2) as u16;
            v.extend_from_slice(&len.to_be_bytes());
            v.extend_from_slice(body);
        };
        seg(&mut v, 0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        seg(&mut v, 0xE1, b"Exif\0\0MM\0*GPSLatitude 28.1986 SECRET");
        seg(&mut v, 0xFE, b"comment SECRET");
        seg(&mut v, 0xDB, &[0u8; 65]);
        seg(&mut v, 0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
        seg(&mut v, 0xC4, &[0u8; 17]);
        seg(&mut v, 0xDA, &[1, 1, 0, 0, 63, 0]);
        v.extend_from_slice(&[0x00, 0xFF, 0xD9]);
        v
    }

    /// A minimal PNG (signature, IHDR, tEXt with a secret, IDAT, IEND), CRC-32 per
    /// ISO 3309 / PNG spec §5.5 computed bitwise here.
    pub(crate) fn png_with_text() -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        let chunk = |v: &mut Vec<u8>, kind: &[u8; 4], body: &[u8]| {
            v.extend_from_slice(&(body.len() as u32).to_be_bytes());
            v.extend_from_slice(kind);
            v.extend_from_slice(body);
            let mut crc = 0xFFFF_FFFFu32;
            for b in kind.iter().chain(body) {
                crc ^= u32::from(*b);
                for _ in 0..8 {
                    crc = if crc & 1 != 0 {
                        (crc >> 1) ^ 0xEDB8_8320
                    } else {
                        crc >> 1
                    };
                }
            }
            v.extend_from_slice(&(!crc).to_be_bytes());
        };
        chunk(&mut v, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
        chunk(&mut v, b"tEXt", b"Author\0SECRET");
        chunk(&mut v, b"IDAT", &[0x78, 0x9C, 0x63, 0, 0, 0, 1, 0, 1]);
        chunk(&mut v, b"IEND", &[]);
        v
    }

    fn contains(h: &[u8], n: &[u8]) -> bool {
        h.windows(n.len()).any(|w| w == n)
    }

    #[test]
    fn strips_jpeg_metadata() {
        let input = jpeg_with_exif();
        assert!(contains(&input, b"SECRET"));
        let (f, out) = sanitize(input).unwrap();
        assert_eq!(f, PhotoFormat::Jpeg);
        assert!(!contains(&out, b"SECRET"));
        assert!(!contains(&out, b"Exif"));
        assert!(contains(&out, b"JFIF"));
        assert!(out.starts_with(&[0xFF, 0xD8]) && out.ends_with(&[0xFF, 0xD9]));
    }

    #[test]
    fn strips_png_text() {
        let (f, out) = sanitize(png_with_text()).unwrap();
        assert_eq!(f, PhotoFormat::Png);
        assert!(!contains(&out, b"SECRET"));
        assert!(contains(&out, b"IHDR") && contains(&out, b"IDAT"));
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
        /// Garbage behind a valid magic number, or a valid file cut short or with bytes
        /// flipped, is an error or a stripped image, never a panic.
        #[test]
        fn malformed_images_never_panic(
            magic in 0usize..4,
            tail in proptest::collection::vec(any::<u8>(), 0..300),
            cut in 0usize..400,
            flips in proptest::collection::vec((0usize..400, any::<u8>()), 0..4),
        ) {
            let mut b = match magic {
                0 => [vec![0xFF, 0xD8, 0xFF], tail].concat(),
                1 => [b"\x89PNG\r\n\x1a\n".to_vec(), tail].concat(),
                2 => {
                    let mut v = b"RIFF\0\0\0\0WEBP".to_vec();
                    v.extend(tail);
                    v
                }
                _ => if cut % 2 == 0 { jpeg_with_exif() } else { png_with_text() },
            };
            for (i, v) in flips {
                if let Some(x) = b.get_mut(i) { *x = v; }
            }
            if magic == 3 { b.truncate(cut.max(8)); }
            let _ = sanitize(b);
        }
    }

    #[test]
    fn rejects_by_content_and_size() {
        assert!(matches!(
            sanitize(b"GIF89a.....".to_vec()),
            Err(SuggestionError::Invalid { field: "photo", .. })
        ));
        assert!(matches!(
            sanitize(vec![0xFF; MAX_PHOTO_BYTES + 1]),
            Err(SuggestionError::PhotoTooLarge { .. })
        ));
        // JPEG magic but garbage after it
        assert!(sanitize(vec![0xFF, 0xD8, 0xFF, 0x00, 0x01]).is_err());
    }
}
