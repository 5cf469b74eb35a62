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
//! The dimensions declared in the header (PNG IHDR, JPEG SOFn, WebP VP8X/VP8L/VP8) must be
//! at most [`MAX_PHOTO_SIDE_PX`] a side and [`MAX_PHOTO_PIXELS`] in all, so that a small
//! file cannot decode to gigabytes in a viewer (a decompression bomb).

use super::SuggestionError;
use img_parts::jpeg::{markers, Jpeg};
use img_parts::png::Png;
use img_parts::webp::WebP;
use img_parts::{Bytes, ImageEXIF, ImageICC};

/// Largest accepted photo, bytes (5 MB = 5 × 1024 × 1024).
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// Longest accepted photo side, pixels. The file-size limit does not bound the decoded
/// size (a 20000 × 20000 PNG of one colour compresses to a few kilobytes and decodes to
/// 1.6 GB of RGBA in a viewer), so the dimensions declared in the header are checked too.
pub const MAX_PHOTO_SIDE_PX: u32 = 12_000;

/// Largest accepted photo area, pixels (40 megapixels: above any phone camera's output).
pub const MAX_PHOTO_PIXELS: u64 = 40_000_000;

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
            check_dimensions(jpeg_dimensions(&j))?;
            j.segments_mut().retain(|s| {
                let m = s.marker();
                let app = (markers::APP0..=markers::APP15).contains(&m);
                !(m == markers::COM || (app && m != markers::APP0 && m != markers::APP14))
            });
            j.encoder().bytes()
        }
        PhotoFormat::Png => {
            let mut p = Png::from_bytes(b).map_err(|e| invalid(format!("not a valid PNG: {e}")))?;
            check_dimensions(png_dimensions(&p))?;
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
            check_dimensions(webp_dimensions(&w))?;
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

/// Rejects missing, zero or too large declared dimensions `(width, height)` in pixels.
fn check_dimensions(dims: Option<(u32, u32)>) -> Result<(), SuggestionError> {
    let Some((w, h)) = dims.filter(|&(w, h)| w > 0 && h > 0) else {
        return Err(invalid("the image dimensions could not be read"));
    };
    if w > MAX_PHOTO_SIDE_PX
        || h > MAX_PHOTO_SIDE_PX
        || u64::from(w) * u64::from(h) > MAX_PHOTO_PIXELS
    {
        return Err(invalid(format!(
            "the image is {w} × {h} pixels; at most {MAX_PHOTO_SIDE_PX} pixels a side and \
             {MAX_PHOTO_PIXELS} pixels in all are accepted"
        )));
    }
    Ok(())
}

/// PNG: width and height are the first two big-endian `u32` of IHDR (PNG spec §11.2.2).
fn png_dimensions(p: &Png) -> Option<(u32, u32)> {
    let c = p.chunk_by_type(*b"IHDR")?.contents();
    let w = u32::from_be_bytes(c.get(0..4)?.try_into().ok()?);
    let h = u32::from_be_bytes(c.get(4..8)?.try_into().ok()?);
    Some((w, h))
}

/// JPEG: the first start-of-frame segment (SOF0–SOF15 except DHT C4, JPG C8, DAC CC):
/// precision `u8`, then height and width as big-endian `u16` (ITU T.81 B.2.2).
fn jpeg_dimensions(j: &Jpeg) -> Option<(u32, u32)> {
    let sof = j.segments().iter().find(|s| {
        let m = s.marker();
        (0xC0..=0xCF).contains(&m) && !matches!(m, 0xC4 | 0xC8 | 0xCC)
    })?;
    let c = sof.contents();
    let h = u16::from_be_bytes(c.get(1..3)?.try_into().ok()?);
    let w = u16::from_be_bytes(c.get(3..5)?.try_into().ok()?);
    Some((u32::from(w), u32::from(h)))
}

/// WebP (RFC 9649): the VP8X canvas (24-bit little-endian width − 1 and height − 1 at
/// offsets 4 and 7), else the VP8L header (signature 0x2F, then 14-bit width − 1 and
/// height − 1, little-endian bit order), else the VP8 key-frame header (start code
/// `9D 01 2A` at offset 3, then 14-bit width and height as little-endian `u16`).
fn webp_dimensions(w: &WebP) -> Option<(u32, u32)> {
    let data = |id: [u8; 4]| match w.chunk_by_id(id)?.content() {
        img_parts::riff::RiffContent::Data(d) => Some(d.clone()),
        _ => None,
    };
    let le24 = |b: &[u8]| u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
    if let Some(d) = data(img_parts::webp::CHUNK_VP8X) {
        let b = d.get(4..10)?;
        return Some((le24(&b[0..3]) + 1, le24(&b[3..6]) + 1));
    }
    if let Some(d) = data(img_parts::webp::CHUNK_VP8L) {
        if *d.first()? != 0x2F {
            return None;
        }
        let bits = u32::from_le_bytes(d.get(1..5)?.try_into().ok()?);
        return Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1));
    }
    let d = data(img_parts::webp::CHUNK_VP8)?;
    if d.get(3..6)? != [0x9D, 0x01, 0x2A] {
        return None;
    }
    let w = u16::from_le_bytes(d.get(6..8)?.try_into().ok()?) & 0x3FFF;
    let h = u16::from_le_bytes(d.get(8..10)?.try_into().ok()?) & 0x3FFF;
    Some((u32::from(w), u32::from(h)))
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
        png_sized(1, 1)
    }

    /// [`png_with_text`] declaring `w` × `h` pixels in IHDR (the IDAT is not re-sized:
    /// only the header is read).
    pub(crate) fn png_sized(w: u32, h: u32) -> Vec<u8> {
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
        let ihdr = [&w.to_be_bytes()[..], &h.to_be_bytes(), &[8, 0, 0, 0, 0]].concat();
        chunk(&mut v, b"IHDR", &ihdr);
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

    /// A JPEG whose SOF0 declares `w` × `h` (layout of [`jpeg_with_exif`]).
    fn jpeg_sized(w: u16, h: u16) -> Vec<u8> {
        let mut v = jpeg_with_exif();
        let at = v.windows(2).position(|x| x == [0xFF, 0xC0]).expect("SOF0");
        // FF C0, length (2), precision (1), then height and width big-endian
        v[at + 5..at + 7].copy_from_slice(&h.to_be_bytes());
        v[at + 7..at + 9].copy_from_slice(&w.to_be_bytes());
        v
    }

    /// A WebP (RIFF, RFC 9649 §2) holding one chunk `id` with `payload`.
    fn webp_with(id: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut chunk = id.to_vec();
        chunk.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        chunk.extend_from_slice(payload);
        if payload.len() % 2 == 1 {
            chunk.push(0);
        }
        let mut v = b"RIFF".to_vec();
        v.extend_from_slice(&(4 + chunk.len() as u32).to_le_bytes());
        v.extend_from_slice(b"WEBP");
        v.extend(chunk);
        v
    }

    /// VP8 key frame: 3-byte frame tag, start code 9D 01 2A, 14-bit width and height.
    fn webp_vp8(w: u16, h: u16) -> Vec<u8> {
        let p = [
            &[0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A][..],
            &w.to_le_bytes(),
            &h.to_le_bytes(),
        ]
        .concat();
        webp_with(b"VP8 ", &p)
    }

    /// VP8L: signature 0x2F, then width − 1 and height − 1 in 14 bits each (LSB first).
    fn webp_vp8l(w: u32, h: u32) -> Vec<u8> {
        let bits = (w - 1) | (h - 1) << 14;
        let p = [&[0x2F][..], &bits.to_le_bytes()].concat();
        webp_with(b"VP8L", &p)
    }

    /// VP8X: flags, 3 reserved bytes, 24-bit width − 1 and height − 1.
    fn webp_vp8x(w: u32, h: u32) -> Vec<u8> {
        let p = [
            &[0u8, 0, 0, 0][..],
            &(w - 1).to_le_bytes()[..3],
            &(h - 1).to_le_bytes()[..3],
        ]
        .concat();
        webp_with(b"VP8X", &p)
    }

    fn photo_error(r: Result<(PhotoFormat, Vec<u8>), SuggestionError>) -> Option<String> {
        match r {
            Ok(_) => None,
            Err(SuggestionError::Invalid {
                field: "photo",
                msg,
            }) => Some(msg),
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }

    /// Regression: a 20000 × 20000 PNG (a decompression bomb: 1.6 GB of RGBA decoded) was
    /// accepted. Limits: 12,000 px a side, 40,000,000 px in all.
    #[test]
    fn rejects_decompression_bombs_by_declared_dimensions() {
        let too_big: Vec<(&str, Vec<u8>)> = vec![
            ("png 20000²", png_sized(20_000, 20_000)),
            ("png 12001×1", png_sized(12_001, 1)),
            ("png 7000² = 49 Mpx", png_sized(7_000, 7_000)),
            ("jpeg 20000²", jpeg_sized(20_000, 20_000)),
            ("jpeg 1×12001", jpeg_sized(1, 12_001)),
            ("webp vp8 16383²", webp_vp8(16_383, 16_383)),
            ("webp vp8l 16384×1", webp_vp8l(16_384, 1)),
            ("webp vp8x 20000²", webp_vp8x(20_000, 20_000)),
            ("webp vp8x 8000×6000 = 48 Mpx", webp_vp8x(8_000, 6_000)),
        ];
        for (what, b) in too_big {
            let msg = photo_error(sanitize(b)).unwrap_or_else(|| panic!("{what} accepted"));
            assert!(msg.contains("pixels"), "{what}: {msg}");
        }
        let fine: Vec<(&str, Vec<u8>)> = vec![
            ("png 4000×3000", png_sized(4_000, 3_000)),
            ("png 12000×3333 = 39,996,000 px", png_sized(12_000, 3_333)),
            ("jpeg 4032×3024", jpeg_sized(4_032, 3_024)),
            ("webp vp8 1920×1080", webp_vp8(1_920, 1_080)),
            ("webp vp8l 1×1", webp_vp8l(1, 1)),
            ("webp vp8x 12000×1", webp_vp8x(12_000, 1)),
        ];
        for (what, b) in fine {
            assert_eq!(photo_error(sanitize(b)), None, "{what}");
        }
        // zero or missing dimensions are unreadable
        assert!(photo_error(sanitize(png_sized(0, 10))).is_some());
        assert!(photo_error(sanitize(webp_with(b"ALPH", &[0, 0]))).is_some());
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
