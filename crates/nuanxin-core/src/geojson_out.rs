//! GeoJSON output hygiene (RFC 7946): polygon winding, coordinate precision, validity.
//!
//! - **Winding.** RFC 7946 §3.1.6: "A linear ring MUST follow the right-hand rule with
//!   respect to the area it bounds, i.e., exterior rings are counterclockwise, and holes are
//!   clockwise." Every polygon this program writes goes through [`rewind_multipolygon`] or
//!   [`normalize`], which orient rings by the sign of their shoelace area (the signed area of
//!   a ring in the `(lon, lat)` plane, positive for counter-clockwise).
//! - **Precision.** RFC 7946 §11.2 recommends limiting coordinate precision; positions are
//!   rounded to [`DEFAULT_DECIMALS`] decimals (1e-7° ≈ 1.1 cm of latitude) unless a caller asks
//!   for another number of decimals (at most [`MAX_DECIMALS`]). Rounding happens before the
//!   winding is decided, so the written ring has the written orientation; positions that
//!   become equal to their predecessor are dropped, and a ring left with fewer than 4
//!   positions is dropped (a polygon whose exterior ring is dropped is dropped).
//! - **Validity.** [`validate_multipolygon`] checks OGC simple-features validity (the rules
//!   `coverage` applies to posted areas); the shipped district boundaries are checked by a test.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;

/// Decimals kept in written positions unless asked otherwise: 1e-7° is about 1.1 cm of
/// latitude (and less of longitude), below any survey this program serves.
pub const DEFAULT_DECIMALS: u32 = 7;

/// The most decimals a caller may ask for: 15 significant digits are all an `f64` keeps
/// for longitudes of three integer digits.
pub const MAX_DECIMALS: u32 = 12;

/// Rounds `v` to `decimals` decimals (half away from zero), the value written to JSON.
pub fn round(v: f64, decimals: u32) -> f64 {
    let f = 10f64.powi(decimals.min(MAX_DECIMALS) as i32);
    let r = (v * f).round() / f;
    if r == 0.0 {
        0.0 // no "-0.0" in output
    } else {
        r
    }
}

/// Twice the signed shoelace area of a closed ring of `[lon, lat]` positions, degrees²;
/// positive when the ring runs counter-clockwise.
fn signed_area2(ring: &[[f64; 2]]) -> f64 {
    ring.windows(2)
        .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
        .sum()
}

/// Rounds a ring's positions into `out` (cleared first), drops repeats, closes it and orients
/// it (counter-clockwise when `exterior`, clockwise otherwise). `false` when fewer than 4
/// positions remain or the ring has no area at this precision.
fn ring_into(
    ring: impl IntoIterator<Item = [f64; 2]>,
    exterior: bool,
    decimals: u32,
    out: &mut Vec<[f64; 2]>,
) -> bool {
    out.clear();
    for p in ring {
        let q = [round(p[0], decimals), round(p[1], decimals)];
        if out.last() != Some(&q) {
            out.push(q);
        }
    }
    if out.len() > 1 && out.first() != out.last() {
        let first = out[0];
        out.push(first);
    }
    if out.len() < 4 {
        return false;
    }
    let a = signed_area2(out);
    if a == 0.0 {
        return false;
    }
    if (a > 0.0) != exterior {
        out.reverse();
    }
    true
}

/// [`ring_into`] into a new vector; `None` when the ring degenerates.
fn ring_out(ring: &[[f64; 2]], exterior: bool, decimals: u32) -> Option<Vec<[f64; 2]>> {
    let mut out = Vec::with_capacity(ring.len());
    ring_into(ring.iter().copied(), exterior, decimals, &mut out).then_some(out)
}

fn line_coords(ls: &LineString<f64>) -> Vec<[f64; 2]> {
    ls.0.iter().map(|c| [c.x, c.y]).collect()
}

/// GeoJSON `coordinates` of a Polygon: rounded, right-hand rule; `None` when the exterior
/// ring degenerates at this precision.
pub fn polygon_coordinates(p: &Polygon<f64>, decimals: u32) -> Option<Vec<Vec<[f64; 2]>>> {
    let mut rings = vec![ring_out(&line_coords(p.exterior()), true, decimals)?];
    rings.extend(
        p.interiors()
            .iter()
            .filter_map(|r| ring_out(&line_coords(r), false, decimals)),
    );
    Some(rings)
}

/// GeoJSON `coordinates` of a MultiPolygon (see [`polygon_coordinates`]); degenerate parts
/// are left out.
pub fn multipolygon_coordinates(mp: &MultiPolygon<f64>, decimals: u32) -> Vec<Vec<Vec<[f64; 2]>>> {
    mp.0.iter()
        .filter_map(|p| polygon_coordinates(p, decimals))
        .collect()
}

/// A GeoJSON MultiPolygon geometry object `{"type": "MultiPolygon", "coordinates": …}`,
/// rounded and wound per RFC 7946.
pub fn multipolygon_geometry(mp: &MultiPolygon<f64>, decimals: u32) -> Value {
    serde_json::json!({
        "type": "MultiPolygon",
        "coordinates": multipolygon_coordinates(mp, decimals),
    })
}

/// Appends the GeoJSON text of `mp` as a MultiPolygon geometry object to `out`: the same
/// bytes as `multipolygon_geometry(mp, decimals).to_string()` (same rounding, winding and
/// dropped rings; members in the order `serde_json` writes a map, numbers by its formatter),
/// without building the `Value` tree. A network service area's text took about a fifth of
/// the answer's time through the tree (perf, `examples/routing_bench.rs`).
pub fn write_multipolygon_geometry(mp: &MultiPolygon<f64>, decimals: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"coordinates\":");
    write_multipolygon_coordinates(mp.0.iter(), decimals, out);
    out.extend_from_slice(b",\"type\":\"MultiPolygon\"}");
}

/// Appends the GeoJSON text of `p` as a Polygon geometry object to `out`: rounded and wound
/// as [`polygon_coordinates`] (coordinates `[]` when its exterior ring degenerates at this
/// precision), members in the order `serde_json` writes a map.
pub fn write_polygon_geometry(p: &Polygon<f64>, decimals: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"coordinates\":");
    if !write_polygon_rings(p, decimals, &mut Vec::new(), out) {
        out.extend_from_slice(b"[]");
    }
    out.extend_from_slice(b",\"type\":\"Polygon\"}");
}

/// Appends the `coordinates` array of a MultiPolygon of `polygons` (degenerate parts left out).
fn write_multipolygon_coordinates<'a>(
    polygons: impl Iterator<Item = &'a Polygon<f64>>,
    decimals: u32,
    out: &mut Vec<u8>,
) {
    let mut ring = Vec::new();
    out.push(b'[');
    let mut first = true;
    for p in polygons {
        let mark = out.len();
        if !first {
            out.push(b',');
        }
        if write_polygon_rings(p, decimals, &mut ring, out) {
            first = false;
        } else {
            out.truncate(mark);
        }
    }
    out.push(b']');
}

/// Appends a polygon's rings as `[[…], …]` (see [`polygon_coordinates`]); `false`, with
/// `out` left as it was, when the exterior ring degenerates. `ring` is scratch.
fn write_polygon_rings(
    p: &Polygon<f64>,
    decimals: u32,
    ring: &mut Vec<[f64; 2]>,
    out: &mut Vec<u8>,
) -> bool {
    let xy = |c: &Coord<f64>| [c.x, c.y];
    if !ring_into(p.exterior().0.iter().map(xy), true, decimals, ring) {
        return false;
    }
    out.push(b'[');
    write_positions(ring, out);
    for h in p.interiors() {
        if ring_into(h.0.iter().map(xy), false, decimals, ring) {
            out.push(b',');
            write_positions(ring, out);
        }
    }
    out.push(b']');
    true
}

/// Appends `[[x,y],…]`, each number as `serde_json` writes an `f64` (`null` when not finite,
/// as a `Value` made from it).
fn write_positions(ring: &[[f64; 2]], out: &mut Vec<u8>) {
    fn number(v: f64, out: &mut Vec<u8>) {
        use serde_json::ser::{CompactFormatter, Formatter};
        // Writing into a vector cannot fail.
        let _ = if v.is_finite() {
            CompactFormatter.write_f64(out, v)
        } else {
            CompactFormatter.write_null(out)
        };
    }
    out.push(b'[');
    for (k, [x, y]) in ring.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        out.push(b'[');
        number(*x, out);
        out.push(b',');
        number(*y, out);
        out.push(b']');
    }
    out.push(b']');
}

/// Orients `mp` in place per RFC 7946 (exteriors counter-clockwise, holes clockwise),
/// without rounding.
pub fn rewind_multipolygon(mp: &mut MultiPolygon<f64>) {
    use geo::orient::{Direction, Orient};
    *mp = mp.orient(Direction::Default);
}

fn positions(v: &Value) -> Option<Vec<[f64; 2]>> {
    v.as_array()?
        .iter()
        .map(|p| {
            let a = p.as_array()?;
            Some([a.first()?.as_f64()?, a.get(1)?.as_f64()?])
        })
        .collect()
}

fn round_position(p: &mut Value, decimals: u32) {
    if let Some(a) = p.as_array_mut() {
        for c in a.iter_mut() {
            if let Some(x) = c.as_f64() {
                *c = Value::from(round(x, decimals));
            }
        }
    }
}

fn normalize_polygon(rings: &mut Value, decimals: u32) -> bool {
    let Some(list) = rings.as_array() else {
        return false;
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, r) in list.iter().enumerate() {
        let Some(pos) = positions(r) else {
            return false; // not a polygon (or 3-D with odd members): leave as it is
        };
        match ring_out(&pos, i == 0, decimals) {
            Some(ring) => out.push(serde_json::json!(ring)),
            None if i == 0 => return false,
            None => {}
        }
    }
    *rings = Value::Array(out);
    true
}

fn normalize_geometry(g: &mut Value, decimals: u32) {
    let Some(t) = g.get("type").and_then(Value::as_str).map(str::to_string) else {
        return;
    };
    match t.as_str() {
        "GeometryCollection" => {
            if let Some(gs) = g.get_mut("geometries").and_then(Value::as_array_mut) {
                for g in gs {
                    normalize_geometry(g, decimals);
                }
            }
        }
        "Point" => {
            if let Some(c) = g.get_mut("coordinates") {
                round_position(c, decimals);
            }
        }
        "MultiPoint" | "LineString" => {
            if let Some(a) = g.get_mut("coordinates").and_then(Value::as_array_mut) {
                a.iter_mut().for_each(|p| round_position(p, decimals));
            }
        }
        "MultiLineString" => {
            if let Some(a) = g.get_mut("coordinates").and_then(Value::as_array_mut) {
                for l in a.iter_mut().filter_map(Value::as_array_mut) {
                    l.iter_mut().for_each(|p| round_position(p, decimals));
                }
            }
        }
        "Polygon" => {
            if let Some(c) = g.get_mut("coordinates") {
                normalize_polygon(c, decimals);
            }
        }
        "MultiPolygon" => {
            if let Some(a) = g.get_mut("coordinates").and_then(Value::as_array_mut) {
                a.retain_mut(|p| normalize_polygon(p, decimals));
            }
        }
        _ => {}
    }
}

/// Normalises a GeoJSON object in place (FeatureCollection, Feature or geometry): every
/// position rounded to `decimals`, every polygon ring wound per RFC 7946 (see the module
/// docs for degenerate rings), every `bbox` rounded outwards (west/south down, east/north
/// up, so the box still contains its rounded geometry). Other members are left alone.
pub fn normalize(v: &mut Value, decimals: u32) {
    if let Some(b) = v.get_mut("bbox").and_then(Value::as_array_mut) {
        let n = b.len() / 2;
        let f = 10f64.powi(decimals.min(MAX_DECIMALS) as i32);
        for (i, c) in b.iter_mut().enumerate() {
            if let Some(x) = c.as_f64() {
                let r = if i < n {
                    (x * f).floor() / f
                } else {
                    (x * f).ceil() / f
                };
                *c = Value::from(r);
            }
        }
    }
    match v.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {
            if let Some(fs) = v.get_mut("features").and_then(Value::as_array_mut) {
                fs.iter_mut().for_each(|f| normalize(f, decimals));
            }
        }
        Some("Feature") => {
            if let Some(g) = v.get_mut("geometry") {
                normalize_geometry(g, decimals);
            }
        }
        Some(_) => normalize_geometry(v, decimals),
        None => {}
    }
}

/// OGC simple-features validity of a multipolygon: each ring simple with ≥ 3 distinct
/// positions, holes inside their shell and disjoint, parts' interiors disjoint.
///
/// # Errors
/// A sentence naming the part and ring at fault and, for a self-intersection, where.
pub fn validate_multipolygon(g: &MultiPolygon<f64>) -> Result<(), String> {
    crate::coverage::area::validate(g)
}

/// Converts GeoJSON `coordinates` of a MultiPolygon (as written by
/// [`multipolygon_coordinates`]) back into a geometry, for checks.
pub fn multipolygon_from_coordinates(c: &[Vec<Vec<[f64; 2]>>]) -> MultiPolygon<f64> {
    let ls = |r: &Vec<[f64; 2]>| LineString(r.iter().map(|p| Coord { x: p[0], y: p[1] }).collect());
    MultiPolygon(
        c.iter()
            .map(|p| Polygon::new(ls(&p[0]), p[1..].iter().map(ls).collect()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::districts::Districts;

    #[test]
    fn rounding_by_hand() {
        assert_eq!(round(112.123456789, 7), 112.1234568);
        assert_eq!(round(-0.00000001, 7), 0.0);
        assert_eq!(round(28.00000005, 7), 28.0000001);
        assert_eq!(round(1.5, 0), 2.0);
    }

    #[test]
    fn clockwise_square_is_turned_counter_clockwise_and_its_hole_clockwise() {
        // A 2°×2° square drawn clockwise with a counter-clockwise hole: the worst case.
        let mut v = serde_json::json!({"type": "Polygon", "coordinates": [
            [[0.0, 0.0], [0.0, 2.0], [2.0, 2.0], [2.0, 0.0], [0.0, 0.0]],
            [[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5], [0.5, 0.5]]
        ]});
        normalize(&mut v, 7);
        let c = &v["coordinates"];
        // Hand check: exterior (0,0)→(2,0)→(2,2)→(0,2): counter-clockwise.
        assert_eq!(
            c[0],
            serde_json::json!([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0], [0.0, 0.0]])
        );
        assert_eq!(
            c[1],
            serde_json::json!([[0.5, 0.5], [0.5, 1.5], [1.5, 1.5], [1.5, 0.5], [0.5, 0.5]])
        );
    }

    #[test]
    fn rounding_collapses_repeats_and_drops_degenerate_rings() {
        let mut v = serde_json::json!({"type": "Feature", "properties": {}, "bbox": [0.123456789, 1.123456781, 0.2, 1.2],
          "geometry": {"type": "MultiPolygon", "coordinates": [
            [[[0.0, 0.0], [1.0, 0.0], [1.00000000001, 0.0], [1.0, 1.0], [0.0, 0.0]]],
            [[[5.0, 5.0], [5.00000000001, 5.0], [5.0, 5.00000000001], [5.0, 5.0]]]
        ]}});
        normalize(&mut v, 7);
        assert_eq!(
            v["geometry"]["coordinates"],
            serde_json::json!([[[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]])
        );
        assert_eq!(
            v["bbox"],
            serde_json::json!([0.1234567, 1.1234567, 0.2, 1.2])
        );
    }

    /// The text written directly is byte for byte the text of the `Value` tree, for the
    /// shipped districts (many parts, holes) and for random polygons whose rings repeat
    /// positions, degenerate at the precision (a part dropped, a hole dropped), run either
    /// way, lie at negative coordinates and round to integers, at 0, 3, 7 and 12 decimals.
    #[test]
    fn written_text_equals_the_value_trees_text() {
        let check = |mp: &MultiPolygon<f64>, decimals: u32| {
            let mut out = b"prefix".to_vec();
            write_multipolygon_geometry(mp, decimals, &mut out);
            let want = multipolygon_geometry(mp, decimals).to_string();
            assert_eq!(std::str::from_utf8(&out[6..]), Ok(want.as_str()));
            for p in &mp.0 {
                if let Some(c) = polygon_coordinates(p, decimals) {
                    let mut out = Vec::new();
                    write_polygon_geometry(p, decimals, &mut out);
                    let want = serde_json::json!({"type": "Polygon", "coordinates": c});
                    assert_eq!(std::str::from_utf8(&out), Ok(want.to_string().as_str()));
                }
            }
        };
        for d in Districts::embedded().all().iter().take(20) {
            check(&d.geometry, DEFAULT_DECIMALS);
            check(&d.geometry, 3);
        }
        check(&MultiPolygon(Vec::new()), 7);
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let ring = |next: &mut dyn FnMut() -> f64, cx: f64, cy: f64, r: f64, n: usize| {
            let mut pts: Vec<Coord<f64>> = (0..n)
                .map(|k| {
                    let a = k as f64 / n as f64 * std::f64::consts::TAU;
                    let rr = r * (0.5 + next());
                    Coord {
                        x: cx + rr * a.cos(),
                        y: cy + rr * a.sin(),
                    }
                })
                .collect();
            if next() < 0.3 && pts.len() > 1 {
                pts.insert(1, pts[1]); // a repeated position
            }
            if next() < 0.5 {
                pts.reverse();
            }
            if next() < 0.7 {
                pts.push(pts[0]); // closed (or left open)
            }
            LineString(pts)
        };
        for case in 0..300 {
            let decimals = [0, 3, 7, 12][case % 4];
            let parts = (next() * 4.0) as usize;
            let mp = MultiPolygon(
                (0..parts)
                    .map(|_| {
                        let (cx, cy) = (next() * 360.0 - 180.0, next() * 180.0 - 90.0);
                        // Radii from 1e-9° (degenerate at any precision here) to 3°.
                        let r = 10f64.powf(-9.0 + next() * 9.5);
                        let n = 3 + (next() * 20.0) as usize;
                        let ext = ring(&mut next, cx, cy, r, n);
                        let holes = (0..(next() * 3.0) as usize)
                            .map(|_| {
                                let n = 3 + (next() * 6.0) as usize;
                                ring(&mut next, cx, cy, r * 0.2, n)
                            })
                            .collect();
                        Polygon::new(ext, holes)
                    })
                    .collect(),
            );
            check(&mp, decimals);
        }
    }

    #[test]
    fn every_shipped_district_is_valid_and_written_per_rfc7946() {
        let all = Districts::embedded().all();
        assert_eq!(all.len(), 136, "122 counties + 14 cities (data/README.md)");
        for d in all {
            validate_multipolygon(&d.geometry)
                .unwrap_or_else(|e| panic!("{} {}: {e}", d.adcode, d.name));
            let c = multipolygon_coordinates(&d.geometry, DEFAULT_DECIMALS);
            assert_eq!(c.len(), d.geometry.0.len(), "{}: a part was lost", d.adcode);
            for p in &c {
                assert!(signed_area2(&p[0]) > 0.0, "{} exterior", d.adcode);
                for h in &p[1..] {
                    assert!(signed_area2(h) < 0.0, "{} hole", d.adcode);
                }
            }
            validate_multipolygon(&multipolygon_from_coordinates(&c))
                .unwrap_or_else(|e| panic!("{} {} as written: {e}", d.adcode, d.name));
        }
    }

    #[test]
    fn rewind_agrees_with_written_orientation() {
        use geo::Winding;
        let d = Districts::embedded().get("430202").unwrap();
        let mut g = d.geometry.clone();
        rewind_multipolygon(&mut g);
        for p in &g.0 {
            assert!(p.exterior().is_ccw());
        }
    }
}
