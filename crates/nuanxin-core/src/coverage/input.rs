//! Reading the inputs of a coverage analysis from GeoJSON: the area, demand points and
//! candidate sites. One reader for the API's posted body and the CLI's files; every error
//! names the JSON path at fault (`area.geometry`, `demand.features[3]`, ...).

use super::{AreaSpec, Candidates, DemandPoint, Site};
use crate::model::{Bbox, LonLat};
use serde_json::Value;

/// A coverage input that cannot be used: where (a JSON path) and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{msg}")]
pub struct InputError {
    /// The JSON path at fault, e.g. `area.bbox` or `demand.features[2].properties.weight`.
    pub path: String,
    /// What is wrong.
    pub msg: String,
}

impl crate::error::Classify for InputError {
    fn class(&self) -> crate::error::ErrorClass {
        crate::error::ErrorClass::invalid(self.path.clone())
    }
}

impl InputError {
    fn new(path: impl Into<String>, msg: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            msg: msg.into(),
        }
    }
}

/// The area object `{"adcode": ...}`, `{"bbox": [w, s, e, n]}` or `{"geometry": ...}` (a
/// GeoJSON Polygon / MultiPolygon or a Feature of one), exactly one key.
///
/// # Errors
/// [`InputError`] at `area` or `area.<key>`.
pub fn area(v: &Value) -> Result<AreaSpec, InputError> {
    let one_of = || {
        InputError::new(
            "area",
            "area must have exactly one of `adcode`, `geometry`, `bbox`",
        )
    };
    let obj = v
        .as_object()
        .ok_or_else(|| InputError::new("area", "area must be an object"))?;
    if obj.len() != 1 {
        return Err(one_of());
    }
    if let Some(a) = obj.get("adcode") {
        return match a {
            Value::String(s) => Ok(AreaSpec::Adcode(s.clone())),
            Value::Number(n) => Ok(AreaSpec::Adcode(n.to_string())),
            _ => Err(InputError::new(
                "area.adcode",
                "adcode must be a 6-digit code",
            )),
        };
    }
    if let Some(b) = obj.get("bbox") {
        let nums: Option<Vec<f64>> = b
            .as_array()
            .and_then(|a| a.iter().map(Value::as_f64).collect::<Option<Vec<_>>>());
        return match nums.as_deref() {
            Some([w, s, e, n]) => Bbox::new(*w, *s, *e, *n)
                .map(AreaSpec::Bbox)
                .map_err(|e| InputError::new("area.bbox", e.to_string())),
            _ => Err(InputError::new(
                "area.bbox",
                "bbox must be [west, south, east, north] in degrees",
            )),
        };
    }
    if let Some(g) = obj.get("geometry") {
        return polygons("area.geometry", g).map(AreaSpec::Geometry);
    }
    Err(one_of())
}

/// A GeoJSON Polygon or MultiPolygon (or a Feature of one) at `path` as a MultiPolygon.
/// Rings must be closed with at least 4 positions (RFC 7946 §3.1.6; checked here because
/// `geo` closes rings silently).
///
/// # Errors
/// [`InputError`] at `path`.
pub fn polygons(path: &str, g: &Value) -> Result<geo::MultiPolygon<f64>, InputError> {
    let g = if g.get("type").and_then(Value::as_str) == Some("Feature") {
        &g["geometry"]
    } else {
        g
    };
    let geom: geojson::Geometry = serde_json::from_value(g.clone())
        .map_err(|e| InputError::new(path, format!("not GeoJSON: {e}")))?;
    check_rings_closed(path, &geom.value)?;
    match geo::Geometry::<f64>::try_from(geom.value) {
        Ok(geo::Geometry::Polygon(p)) => Ok(geo::MultiPolygon(vec![p])),
        Ok(geo::Geometry::MultiPolygon(m)) => Ok(m),
        _ => Err(InputError::new(
            path,
            "geometry must be a GeoJSON Polygon or MultiPolygon",
        )),
    }
}

fn check_rings_closed(path: &str, v: &geojson::Value) -> Result<(), InputError> {
    let polygons: Vec<&geojson::PolygonType> = match v {
        geojson::Value::Polygon(p) => vec![p],
        geojson::Value::MultiPolygon(m) => m.iter().collect(),
        _ => Vec::new(),
    };
    for (pi, p) in polygons.iter().enumerate() {
        for (ri, ring) in p.iter().enumerate() {
            if ring.len() < 4 || ring.first() != ring.last() {
                return Err(InputError::new(
                    path,
                    format!(
                        "polygon {pi}, ring {ri}: a linear ring needs at least 4 positions, the last equal to the first (RFC 7946 §3.1.6); got {} positions{}",
                        ring.len(),
                        if ring.first() != ring.last() { ", not closed" } else { "" }
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The Point features of the FeatureCollection at `path`: each position (WGS-84, checked)
/// with its feature.
///
/// # Errors
/// [`InputError`] at `path` (not a FeatureCollection) or `path.features[i]`.
pub fn points<'a>(path: &str, v: &'a Value) -> Result<Vec<(LonLat, &'a Value)>, InputError> {
    if v.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(InputError::new(path, "must be a GeoJSON FeatureCollection"));
    }
    let fs = v["features"]
        .as_array()
        .ok_or_else(|| InputError::new(path, "FeatureCollection without `features`"))?;
    fs.iter()
        .enumerate()
        .map(|(i, f)| Ok((point(&format!("{path}.features[{i}]"), f)?, f)))
        .collect()
}

/// The position of a GeoJSON Point feature (or bare Point) at `path`.
///
/// # Errors
/// [`InputError`] at `path`.
pub fn point(path: &str, f: &Value) -> Result<LonLat, InputError> {
    let g = if f.get("type").and_then(Value::as_str) == Some("Feature") {
        &f["geometry"]
    } else {
        f
    };
    if g.get("type").and_then(Value::as_str) != Some("Point") {
        return Err(InputError::new(path, "must be a GeoJSON Point feature"));
    }
    let c = g["coordinates"].as_array().filter(|a| a.len() >= 2);
    let (lon, lat) = match c.map(|a| (a[0].as_f64(), a[1].as_f64())) {
        Some((Some(lon), Some(lat))) => (lon, lat),
        _ => return Err(InputError::new(path, "coordinates must be [lon, lat]")),
    };
    LonLat::new(lon, lat).map_err(|e| InputError::new(path, e.to_string()))
}

/// Demand points: the Point features at `path`, each weighted by its property
/// `weight_property` (a number or numeric text ≥ 0; 1 when absent or null).
///
/// # Errors
/// [`InputError`] at `path`, a feature, or its weight property.
pub fn demand(
    path: &str,
    v: &Value,
    weight_property: &str,
) -> Result<Vec<DemandPoint>, InputError> {
    points(path, v)?
        .into_iter()
        .enumerate()
        .map(|(i, (location, f))| {
            let w = f["properties"].get(weight_property);
            let weight = super::demand::weight_of(w).ok_or_else(|| {
                InputError::new(
                    format!("{path}.features[{i}].properties.{weight_property}"),
                    format!(
                        "weight must be a number from 0 to 1e12; got {}",
                        w.map_or_else(String::new, ToString::to_string)
                    ),
                )
            })?;
            Ok(DemandPoint { location, weight })
        })
        .collect()
}

/// Candidate sites: the Point features at `path`, with their `id` (of the feature, else
/// its properties; numbers become text).
///
/// # Errors
/// [`InputError`] at `path` or a feature.
pub fn sites(path: &str, v: &Value) -> Result<Vec<Site>, InputError> {
    Ok(points(path, v)?
        .into_iter()
        .map(|(location, f)| Site {
            id: f
                .get("id")
                .or_else(|| f["properties"].get("id"))
                .and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                }),
            location,
        })
        .collect())
}

/// The candidate rule named `name`: `auto`, `demand_cells` (alias `demand`),
/// `uncovered_cells` (alias `uncovered`) or `all_cells` (alias `all`); `None` for anything
/// else (a file of sites, for the CLI).
pub fn candidate_rule(name: &str) -> Option<Candidates> {
    match name {
        "auto" => Some(Candidates::Auto),
        "demand_cells" | "demand" => Some(Candidates::DemandCells),
        "uncovered_cells" | "uncovered" => Some(Candidates::Uncovered),
        "all_cells" | "all" => Some(Candidates::All),
        _ => None,
    }
}

/// The accepted candidate rule names.
pub const CANDIDATE_RULES: [&str; 4] = ["auto", "demand_cells", "uncovered_cells", "all_cells"];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_the_json_path() {
        let e = area(&json!({"bbox": [1, 2, 3]})).unwrap_err();
        assert_eq!(e.path, "area.bbox");
        let e = area(&json!({"adcode": "430102", "bbox": [0, 0, 1, 1]})).unwrap_err();
        assert_eq!(e.path, "area");
        let fc = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.0, 28.2]},
             "properties": {"w": "2.5"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.0, 28.2]},
             "properties": {"w": -1}}]});
        let e = demand("demand", &fc, "w").unwrap_err();
        assert_eq!(e.path, "demand.features[1].properties.w");
        let e = points(
            "candidates",
            &json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "LineString", "coordinates": []}}]}),
        )
        .unwrap_err();
        assert_eq!(e.path, "candidates.features[0]");
    }

    #[test]
    fn unclosed_rings_are_refused() {
        let open = json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]});
        let e = polygons("area.geometry", &open).unwrap_err();
        assert!(e.msg.contains("not closed"), "{e}");
        let closed =
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]});
        assert_eq!(polygons("area.geometry", &closed).unwrap().0.len(), 1);
    }

    #[test]
    fn demand_weights_default_to_one_and_read_text() {
        let fc = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.0, 28.2]},
             "properties": {}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.1, 28.2]},
             "properties": {"weight": " 3 "}}]});
        let d = demand("demand", &fc, "weight").unwrap();
        assert_eq!(
            d.iter().map(|p| p.weight).collect::<Vec<_>>(),
            vec![1.0, 3.0]
        );
    }
}
