//! The compact binary record of a [`ServicePoint`]: what the store keeps beside the JSON text
//! (column `service_points.record`) so that a restart decodes a million points without a
//! JSON parser (issue 16).
//!
//! Layout (all integers little-endian; `varint` is unsigned LEB128; a `str` is a varint byte
//! length followed by UTF-8 bytes):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format version, [`RECORD_VERSION`] |
//! | 1 | kind: index in [`ServiceKind::ALL`] |
//! | 2 | presence flags (`FLAG_*` below) |
//! | 8 + 8 | location: lon, lat (`f64` bits, exact) |
//! | 2 | amenities: bit *i* set for [`Amenity::ALL`]`[i]` |
//! | str, str | id, name |
//! | str each, if flagged | address, adcode, opening hours, operator, phone, source |
//! | 1, if flagged | access: index in [`AccessMethod::ALL`] |
//! | 8 + 4, if flagged | updated_at: seconds since the Unix epoch (`i64`), nanoseconds (`u32`) |
//! | 8 + 8, if flagged | entrance: lon, lat |
//! | varint, then per ring varint + 16 bytes per position, if flagged | outline |
//!
//! The vocabularies are stored by their index, so their declaration order is part of the
//! format: new codes are appended, never inserted (a record naming an unknown index is
//! refused as corrupt, never guessed). Floating-point values are stored as their bits, so a
//! record decodes to exactly the point encoded: no rounding through decimal text (the JSON
//! text, parsed without serde_json's `float_roundtrip`, may differ in the last bit).

use super::{AccessMethod, Amenity, AmenitySet, LonLat, OpeningHours, ServiceKind, ServicePoint};
use chrono::{DateTime, Utc};

/// The format version written in the first byte of every record.
pub const RECORD_VERSION: u8 = 1;

const FLAG_ADDRESS: u16 = 1 << 0;
const FLAG_ADCODE: u16 = 1 << 1;
const FLAG_HOURS: u16 = 1 << 2;
const FLAG_ACCESS: u16 = 1 << 3;
const FLAG_OPERATOR: u16 = 1 << 4;
const FLAG_PHONE: u16 = 1 << 5;
const FLAG_SOURCE: u16 = 1 << 6;
const FLAG_UPDATED: u16 = 1 << 7;
const FLAG_DEMO: u16 = 1 << 8;
const FLAG_ENTRANCE: u16 = 1 << 9;
const FLAG_OUTLINE: u16 = 1 << 10;
const KNOWN_FLAGS: u16 = (1 << 11) - 1;

/// Why a binary record does not decode (a record of a newer program, or damaged bytes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("binary service-point record, byte {at}: {reason}")]
pub struct RecordError {
    /// Offset in the record where decoding stopped.
    pub at: usize,
    /// What was wrong there.
    pub reason: String,
}

impl ServicePoint {
    /// The point as a binary record (layout in the docs of `model/record.rs`); about
    /// 60 % of the JSON text's size.
    pub fn to_record(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.id.len() + self.name.len());
        let mut flags = 0u16;
        let opt = |flags: &mut u16, flag: u16, present: bool| {
            if present {
                *flags |= flag;
            }
        };
        opt(&mut flags, FLAG_ADDRESS, self.address.is_some());
        opt(&mut flags, FLAG_ADCODE, self.adcode.is_some());
        opt(&mut flags, FLAG_HOURS, self.opening_hours.is_some());
        opt(&mut flags, FLAG_ACCESS, self.access.is_some());
        opt(&mut flags, FLAG_OPERATOR, self.operator.is_some());
        opt(&mut flags, FLAG_PHONE, self.phone.is_some());
        opt(&mut flags, FLAG_SOURCE, self.source.is_some());
        opt(&mut flags, FLAG_UPDATED, self.updated_at.is_some());
        opt(&mut flags, FLAG_DEMO, self.demo);
        opt(&mut flags, FLAG_ENTRANCE, self.entrance.is_some());
        opt(&mut flags, FLAG_OUTLINE, self.outline.is_some());
        out.push(RECORD_VERSION);
        out.push(index_of(ServiceKind::ALL, self.kind));
        out.extend_from_slice(&flags.to_le_bytes());
        put_f64(&mut out, self.location.lon);
        put_f64(&mut out, self.location.lat);
        let amenities = Amenity::ALL
            .iter()
            .enumerate()
            .filter(|(_, a)| self.amenities.contains(**a))
            .fold(0u16, |bits, (i, _)| bits | (1 << i));
        out.extend_from_slice(&amenities.to_le_bytes());
        put_str(&mut out, &self.id);
        put_str(&mut out, &self.name);
        for s in [
            self.address.as_deref(),
            self.adcode.as_deref(),
            self.opening_hours.as_ref().map(|h| h.as_str()),
            self.operator.as_deref(),
            self.phone.as_deref(),
            self.source.as_deref(),
        ]
        .into_iter()
        .flatten()
        {
            put_str(&mut out, s);
        }
        if let Some(a) = self.access {
            out.push(index_of(AccessMethod::ALL, a));
        }
        if let Some(t) = self.updated_at {
            out.extend_from_slice(&t.timestamp().to_le_bytes());
            out.extend_from_slice(&t.timestamp_subsec_nanos().to_le_bytes());
        }
        if let Some(e) = self.entrance {
            put_f64(&mut out, e.lon);
            put_f64(&mut out, e.lat);
        }
        if let Some(rings) = &self.outline {
            put_varint(&mut out, rings.len() as u64);
            for ring in rings {
                put_varint(&mut out, ring.len() as u64);
                for [x, y] in ring {
                    put_f64(&mut out, *x);
                    put_f64(&mut out, *y);
                }
            }
        }
        out
    }

    /// Decodes a record written by [`ServicePoint::to_record`].
    ///
    /// # Errors
    /// [`RecordError`] for an unknown version, flag, kind or access index, a truncated
    /// record, invalid UTF-8, an out-of-range position, an invalid opening-hours expression,
    /// or bytes left over.
    pub fn from_record(bytes: &[u8]) -> Result<ServicePoint, RecordError> {
        let mut r = Reader { bytes, at: 0 };
        let version = r.u8()?;
        if version != RECORD_VERSION {
            return Err(r.fail(format!(
                "format version {version}, this program reads {RECORD_VERSION}"
            )));
        }
        let kind = r.vocab(ServiceKind::ALL, "kind")?;
        let flags = u16::from_le_bytes(r.array()?);
        if flags & !KNOWN_FLAGS != 0 {
            return Err(r.fail(format!("unknown flags {flags:#06x}")));
        }
        let location = r.lonlat()?;
        let bits = u16::from_le_bytes(r.array()?);
        if bits >> Amenity::ALL.len() != 0 {
            return Err(r.fail(format!("unknown amenity bits {bits:#06x}")));
        }
        let amenities: AmenitySet = Amenity::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .map(|(_, a)| *a)
            .collect();
        let id = r.string()?;
        let name = r.string()?;
        let mut p = ServicePoint::new(id, kind, name, location);
        p.amenities = amenities;
        let has = |flag: u16| flags & flag != 0;
        p.address = r.string_if(has(FLAG_ADDRESS))?;
        p.adcode = r.string_if(has(FLAG_ADCODE))?;
        if has(FLAG_HOURS) {
            let at = r.at;
            let text = r.str()?;
            p.opening_hours = Some(OpeningHours::parse(text).map_err(|e| RecordError {
                at,
                reason: e.to_string(),
            })?);
        }
        p.operator = r.string_if(has(FLAG_OPERATOR))?;
        p.phone = r.string_if(has(FLAG_PHONE))?;
        p.source = r.string_if(has(FLAG_SOURCE))?;
        if has(FLAG_ACCESS) {
            p.access = Some(r.vocab(AccessMethod::ALL, "access")?);
        }
        if has(FLAG_UPDATED) {
            let secs = i64::from_le_bytes(r.array()?);
            let nanos = u32::from_le_bytes(r.array()?);
            p.updated_at = Some(
                DateTime::<Utc>::from_timestamp(secs, nanos)
                    .ok_or_else(|| r.fail(format!("time {secs} s {nanos} ns out of range")))?,
            );
        }
        p.demo = has(FLAG_DEMO);
        if has(FLAG_ENTRANCE) {
            p.entrance = Some(r.lonlat()?);
        }
        if has(FLAG_OUTLINE) {
            let n = r.count(1)?;
            let mut rings = Vec::with_capacity(n);
            for _ in 0..n {
                let m = r.count(16)?;
                let mut ring = Vec::with_capacity(m);
                for _ in 0..m {
                    ring.push([r.f64()?, r.f64()?]);
                }
                rings.push(ring);
            }
            p.outline = Some(rings);
        }
        if r.at != bytes.len() {
            return Err(r.fail(format!("{} bytes left over", bytes.len() - r.at)));
        }
        Ok(p)
    }
}

fn index_of<T: PartialEq>(all: &[T], v: T) -> u8 {
    // The vocabularies have a handful of values; the position always exists and fits.
    all.iter().position(|x| *x == v).unwrap_or(0) as u8
}

fn put_f64(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(&v.to_bits().to_le_bytes());
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn fail(&self, reason: String) -> RecordError {
        RecordError {
            at: self.at,
            reason,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], RecordError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| self.fail(format!("truncated: {n} more bytes expected")))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RecordError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, RecordError> {
        Ok(self.array::<1>()?[0])
    }

    fn f64(&mut self) -> Result<f64, RecordError> {
        Ok(f64::from_bits(u64::from_le_bytes(self.array()?)))
    }

    fn lonlat(&mut self) -> Result<LonLat, RecordError> {
        let at = self.at;
        let (lon, lat) = (self.f64()?, self.f64()?);
        LonLat::new(lon, lat).map_err(|e| RecordError {
            at,
            reason: e.to_string(),
        })
    }

    fn vocab<T: Copy>(&mut self, all: &[T], what: &str) -> Result<T, RecordError> {
        let i = self.u8()?;
        all.get(usize::from(i))
            .copied()
            .ok_or_else(|| self.fail(format!("unknown {what} index {i}")))
    }

    fn varint(&mut self) -> Result<u64, RecordError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.fail("varint longer than 10 bytes".into()))
    }

    /// A count of items of at least `min_bytes` each, refused when the rest of the record
    /// cannot hold them (so a damaged count never allocates gigabytes).
    fn count(&mut self, min_bytes: usize) -> Result<usize, RecordError> {
        let n = self.varint()?;
        let left = (self.bytes.len() - self.at) as u64;
        if n.saturating_mul(min_bytes as u64) > left {
            return Err(self.fail(format!("count {n} longer than the record")));
        }
        Ok(n as usize)
    }

    fn str(&mut self) -> Result<&'a str, RecordError> {
        let n = self.count(1)?;
        let at = self.at;
        std::str::from_utf8(self.take(n)?).map_err(|e| RecordError {
            at,
            reason: e.to_string(),
        })
    }

    fn string(&mut self) -> Result<String, RecordError> {
        self.str().map(str::to_string)
    }

    fn string_if(&mut self, present: bool) -> Result<Option<String>, RecordError> {
        if present {
            self.string().map(Some)
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn full() -> ServicePoint {
        let mut p = ServicePoint::new(
            "hn-0001",
            ServiceKind::RiderFriendlyCommunity,
            "芙蓉区骑手友好社区",
            // 0.1 + 0.2 is not the double nearest to 0.3: its bits must survive exactly.
            LonLat::new(112.0 + (0.1 + 0.2), 28.195_346_123_456_78).unwrap(),
        );
        p.address = Some("五一大道 1 号".into());
        p.adcode = Some("430102".into());
        p.opening_hours = Some(OpeningHours::parse("Mo-Fr 08:00-20:00").unwrap());
        p.amenities = [Amenity::DrinkingWater, Amenity::LegalConsult]
            .into_iter()
            .collect();
        p.access = Some(AccessMethod::StaffedHours);
        p.operator = Some("社区".into());
        p.phone = Some("0731-1234567".into());
        p.source = Some("a.csv".into());
        p.updated_at = Some(Utc.timestamp_opt(1_764_000_000, 123_456_789).unwrap());
        p.demo = true;
        p.entrance = Some(LonLat::new(112.97, 28.19).unwrap());
        p.outline = Some(vec![vec![[112.9, 28.1], [113.0, 28.1], [112.95, 28.2]]]);
        p
    }

    #[test]
    fn records_round_trip_bit_for_bit() {
        for p in [
            full(),
            ServicePoint::new(
                "x",
                ServiceKind::Station,
                "站",
                LonLat::new(-180.0, 90.0).unwrap(),
            ),
        ] {
            let bytes = p.to_record();
            let q = ServicePoint::from_record(&bytes).unwrap();
            assert_eq!(q, p);
            assert_eq!(q.location.lon.to_bits(), p.location.lon.to_bits());
            assert_eq!(q.updated_at, p.updated_at);
        }
        // Layout checked by hand for the minimal point: version 1, kind 0, no flags,
        // 16 bytes of position, no amenities, "x" (len 1), "站" (3 UTF-8 bytes).
        let min = ServicePoint::new(
            "x",
            ServiceKind::Station,
            "站",
            LonLat::new(1.0, 2.0).unwrap(),
        );
        let bytes = min.to_record();
        assert_eq!(&bytes[..4], &[1, 0, 0, 0]);
        assert_eq!(&bytes[4..12], &1.0f64.to_le_bytes());
        assert_eq!(&bytes[20..], &[0, 0, 1, b'x', 3, 0xe7, 0xab, 0x99]);
    }

    #[test]
    fn every_vocabulary_value_round_trips() {
        for k in ServiceKind::ALL {
            for a in AccessMethod::ALL {
                let mut p = full();
                p.kind = *k;
                p.access = Some(*a);
                p.amenities = Amenity::ALL.iter().copied().collect();
                assert_eq!(ServicePoint::from_record(&p.to_record()).unwrap(), p);
            }
        }
    }

    #[test]
    fn damaged_records_are_refused_without_panicking() {
        let bytes = full().to_record();
        // Every truncation fails (a record has no optional tail).
        for n in 0..bytes.len() {
            assert!(
                ServicePoint::from_record(&bytes[..n]).is_err(),
                "length {n}"
            );
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(ServicePoint::from_record(&extra)
            .unwrap_err()
            .reason
            .contains("left over"));
        let mut v = bytes.clone();
        v[0] = 2;
        assert!(ServicePoint::from_record(&v)
            .unwrap_err()
            .reason
            .contains("version 2"));
        let mut k = bytes.clone();
        k[1] = 200;
        assert!(ServicePoint::from_record(&k)
            .unwrap_err()
            .reason
            .contains("unknown kind index 200"));
        let mut f = bytes.clone();
        f[3] = 0x80;
        assert!(ServicePoint::from_record(&f).is_err());
        // A huge count in place of the id's length is refused, not allocated.
        let min = ServicePoint::new(
            "x",
            ServiceKind::Station,
            "站",
            LonLat::new(1.0, 2.0).unwrap(),
        );
        let mut c = min.to_record();
        c.truncate(22);
        c.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(ServicePoint::from_record(&c)
            .unwrap_err()
            .reason
            .contains("longer than the record"));
        // Every single-byte change either fails or decodes to a valid point.
        for i in 0..bytes.len() {
            for b in [0u8, 0x7f, 0xff] {
                let mut d = bytes.clone();
                d[i] = b;
                if let Ok(p) = ServicePoint::from_record(&d) {
                    assert!(p.location.lon.is_finite());
                }
            }
        }
    }
}
