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

/// Rounds a ring's positions, drops repeats, closes it and orients it (counter-clockwise
/// when `exterior`, clockwise otherwise). `None` when fewer than 4 positions remain.
fn ring_out(ring: &[[f64; 2]], exterior: bool, decimals: u32) -> Option<Vec<[f64; 2]>> {
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(ring.len());
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
        return None;
    }
    let a = signed_area2(&out);
    if a == 0.0 {
        return None;
    }
    if (a > 0.0) != exterior {
        out.reverse();
    }
    Some(out)
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
