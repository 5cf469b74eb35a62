//! Demand layers: where riders' work is, as weighted points that coverage analyses aggregate
//! into H3 cells (each point's weight goes to the cell containing it).
//!
//! Two layers are embedded (sources and licences in `data/README.md`):
//!
//! | name | 中文 | weight of a point | extent of the data |
//! |---|---|---|---|
//! | `builtup` | 建筑量 | built volume of one 100 m GHSL cell, m³ (GHS-BUILT-V R2023A, 2020; CC BY 4.0) | the GHSL crop of Changsha's urban core, [`ghsl_extent`] |
//! | `pickups` | 取餐点 | [`PICKUP_CLASSES`] weight of one OpenStreetMap point of interest (ODbL) | the OSM extract's box 111.9–114.3° E, 27.8–28.7° N |
//!
//! Outside a layer's extent there is **no data**, which is not zero demand: an analysis given
//! a [`DemandLayer`] reports how much of each district lies within the extent and gives no
//! demand share for districts entirely outside it.
//!
//! Users can bring their own demand ([`read_demand_file`]): GeoJSON Point features with a
//! numeric `weight` property (missing → 1), or CSV with columns 经度/纬度/权重 (or
//! lon/lat/weight; a missing weight column → 1 per row), WGS-84.

use super::analysis::DemandPoint;
use super::CoverageError;
use crate::model::LonLat;
use geo::MultiPolygon;
use serde::Serialize;
use std::io::Read;
use std::sync::OnceLock;

/// The GHSL built-volume cells (lon, lat, m³), gzip-compressed CSV; see `data/demand/`.
const GHSL_CSV_GZ: &[u8] =
    include_bytes!("../../../../data/demand/ghsl_built_volume_2020_changsha_core_100m.csv.gz");
/// The outline of the GHSL raster crop in WGS-84 (made by `data/demand/make_demand.py`).
const GHSL_EXTENT: &str = include_str!("../../../../data/demand/ghsl_extent_wgs84.geojson");
/// OpenStreetMap points of interest of the Changsha box (Geofabrik free `pois` layer).
pub const OSM_POIS_GEOJSON: &str = include_str!("../../../../data/osm/osm_pois_changsha.geojson");

/// Box of the OSM extract `[west, south, east, north]`, degrees (`ogr2ogr -spat`).
pub const OSM_POIS_BBOX: [f64; 4] = [111.9, 27.8, 114.3, 28.7];

/// The pick-up classes of the `pickups` layer: Geofabrik `fclass`, 中文, weight per point.
/// Every class counts one point as one pick-up place: the layer is the number of places where
/// riders collect orders (food and daily shopping), not an estimate of orders. Other classes
/// (hospitals, toilets, hotels …) are not pick-up places and are left out.
pub const PICKUP_CLASSES: &[(&str, &str, f64)] = &[
    ("restaurant", "餐馆", 1.0),
    ("fast_food", "快餐", 1.0),
    ("cafe", "咖啡馆", 1.0),
    ("supermarket", "超市", 1.0),
    ("convenience", "便利店", 1.0),
];

/// An embedded demand layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DemandLayer {
    /// Built volume (GHSL 2020, 100 m), m³: where people live and work.
    Builtup,
    /// Food and shop points of interest (OpenStreetMap): where riders pick up orders.
    Pickups,
}

impl DemandLayer {
    /// All layers.
    pub const ALL: [DemandLayer; 2] = [DemandLayer::Builtup, DemandLayer::Pickups];

    /// The API name (`builtup`, `pickups`).
    pub fn as_str(self) -> &'static str {
        match self {
            DemandLayer::Builtup => "builtup",
            DemandLayer::Pickups => "pickups",
        }
    }

    /// Parses an API name (also the Chinese labels 建筑量 / 取餐点).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "builtup" | "built_up" | "建筑量" => Some(DemandLayer::Builtup),
            "pickups" | "pickup" | "取餐点" => Some(DemandLayer::Pickups),
            _ => None,
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            DemandLayer::Builtup => "建筑量",
            DemandLayer::Pickups => "取餐点",
        }
    }

    /// Unit of a weight.
    pub fn unit(self) -> &'static str {
        match self {
            DemandLayer::Builtup => "m³",
            DemandLayer::Pickups => "points",
        }
    }

    /// Attribution to show wherever the layer is used.
    pub fn attribution(self) -> &'static str {
        match self {
            DemandLayer::Builtup => "GHS-BUILT-V R2023A © European Commission JRC, CC BY 4.0 (Pesaresi & Politis 2023, doi:10.2905/C1B94E34-A29D-46A4-8D4A-99BD8D7ECEA5)",
            DemandLayer::Pickups => "© OpenStreetMap contributors, ODbL 1.0 (Geofabrik extract 2024-07-02)",
        }
    }

    /// The layer's weighted points (parsed once).
    pub fn points(self) -> &'static [DemandPoint] {
        static B: OnceLock<Vec<DemandPoint>> = OnceLock::new();
        static P: OnceLock<Vec<DemandPoint>> = OnceLock::new();
        match self {
            DemandLayer::Builtup => B.get_or_init(|| parse_ghsl(GHSL_CSV_GZ)),
            DemandLayer::Pickups => P.get_or_init(|| parse_pickups(OSM_POIS_GEOJSON)),
        }
    }

    /// Where the layer has data (WGS-84).
    pub fn extent(self) -> &'static MultiPolygon<f64> {
        static B: OnceLock<MultiPolygon<f64>> = OnceLock::new();
        static P: OnceLock<MultiPolygon<f64>> = OnceLock::new();
        match self {
            DemandLayer::Builtup => B.get_or_init(ghsl_extent),
            DemandLayer::Pickups => P.get_or_init(|| {
                let [w, s, e, n] = OSM_POIS_BBOX;
                MultiPolygon(vec![geo::Rect::new(
                    geo::coord! {x: w, y: s},
                    geo::coord! {x: e, y: n},
                )
                .to_polygon()])
            }),
        }
    }
}

impl std::fmt::Display for DemandLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outline of the GHSL crop (a quadrilateral in World Mollweide, so slanted in lon/lat).
pub fn ghsl_extent() -> MultiPolygon<f64> {
    let polygon = GHSL_EXTENT
        .parse::<geojson::FeatureCollection>()
        .ok()
        .and_then(|fc| fc.features.into_iter().next())
        .and_then(|f| f.geometry)
        .and_then(|g| geo::Geometry::<f64>::try_from(g.value).ok());
    match polygon {
        Some(geo::Geometry::Polygon(p)) => MultiPolygon(vec![p]),
        // The embedded file is one Feature with a Polygon (data/demand/make_demand.py); the
        // test `builtup_layer_holds_every_ghsl_cell_and_the_wuyi_square_value` reads it.
        _ => unreachable!("the embedded GHSL extent is a GeoJSON Polygon"),
    }
}

/// Parses the embedded GHSL cells: `lon,lat,m³` lines after a header, gzip-compressed.
fn parse_ghsl(gz: &[u8]) -> Vec<DemandPoint> {
    let mut text = String::new();
    if flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut text)
        .is_err()
    {
        // Compiled in; the test `builtup_layer_holds_every_ghsl_cell_and_the_wuyi_square_value`
        // reads all 65 026 cells.
        unreachable!("the embedded GHSL file is gzip-compressed UTF-8");
    }
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let mut it = l.split(',');
            let lon: f64 = it.next()?.parse().ok()?;
            let lat: f64 = it.next()?.parse().ok()?;
            let weight: f64 = it.next()?.trim().parse().ok()?;
            Some(DemandPoint {
                location: LonLat { lon, lat },
                weight,
            })
        })
        .collect()
}

/// Parses the embedded OSM points of interest, keeping the [`PICKUP_CLASSES`].
fn parse_pickups(geojson_text: &str) -> Vec<DemandPoint> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(geojson_text) else {
        // Compiled in; the test `pickups_layer_counts_the_five_classes` reads it.
        unreachable!("the embedded points of interest are JSON");
    };
    v["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let class = f["properties"]["fclass"].as_str()?;
            let weight = PICKUP_CLASSES.iter().find(|c| c.0 == class)?.2;
            let c = &f["geometry"]["coordinates"];
            Some(DemandPoint {
                location: LonLat {
                    lon: c[0].as_f64()?,
                    lat: c[1].as_f64()?,
                },
                weight,
            })
        })
        .collect()
}

/// Where an analysis's demand came from.
#[derive(Debug, Clone, PartialEq)]
pub enum DemandSource {
    /// An embedded layer (points and extent from the layer).
    Layer(DemandLayer),
    /// User-supplied points; `name` is shown in reports (e.g. the file name).
    Points {
        /// Label.
        name: String,
        /// The points.
        points: Vec<DemandPoint>,
    },
}

impl DemandSource {
    /// The label shown in reports: the layer name or the user's label.
    pub fn name(&self) -> &str {
        match self {
            DemandSource::Layer(l) => l.as_str(),
            DemandSource::Points { name, .. } => name,
        }
    }
    /// The weighted points.
    pub fn points(&self) -> &[DemandPoint] {
        match self {
            DemandSource::Layer(l) => l.points(),
            DemandSource::Points { points, .. } => points,
        }
    }
    /// Where the data exists; `None`: everywhere (user data is taken as complete).
    pub fn extent(&self) -> Option<&MultiPolygon<f64>> {
        match self {
            DemandSource::Layer(l) => Some(l.extent()),
            DemandSource::Points { .. } => None,
        }
    }
}

/// Reads a demand file: GeoJSON (a FeatureCollection of Points, weight in `weight_property`,
/// missing → 1) or CSV (UTF-8 or GBK; header 经度,纬度[,权重] or lon,lat[,weight]), WGS-84.
///
/// # Errors
/// [`CoverageError::BadDemand`] naming the line or feature and the field (in Chinese and
/// English) for unreadable positions and weights that are not finite numbers ≥ 0.
pub fn read_demand_file(
    name: &str,
    bytes: &[u8],
    weight_property: &str,
) -> Result<Vec<DemandPoint>, CoverageError> {
    let lower = name.to_ascii_lowercase();
    let looks_json = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    if lower.ends_with(".geojson") || lower.ends_with(".json") || looks_json {
        read_demand_geojson(bytes, weight_property)
    } else {
        read_demand_csv(bytes)
    }
}

fn bad(msg: String) -> CoverageError {
    CoverageError::BadDemand(msg)
}

/// Largest accepted demand weight (persons, built volume in m³, or any count). A GHSL
/// 100 m cell holds at most about 10⁷ m³ of built volume, so 10¹² leaves room for any real
/// unit while a sum over the largest accepted demand file (far below 10⁶ points) stays
/// finite: two weights of 10³⁰⁸ made the total overflow to infinity and the shares come back
/// `null` (newcomer attack, stop 22).
pub const MAX_DEMAND_WEIGHT: f64 = 1e12;

/// Whether `w` is an accepted demand weight: finite, ≥ 0 and ≤ [`MAX_DEMAND_WEIGHT`].
fn weight_ok(w: f64) -> bool {
    w.is_finite() && (0.0..=MAX_DEMAND_WEIGHT).contains(&w)
}

/// The demand weight of a property value: a number or numeric text in 0 ..=
/// [`MAX_DEMAND_WEIGHT`]; 1 when absent or null; `None` when present but not such a number.
/// One rule for demand files and the API.
pub(crate) fn weight_of(v: Option<&serde_json::Value>) -> Option<f64> {
    match v {
        None | Some(serde_json::Value::Null) => Some(1.0),
        Some(w) => w
            .as_f64()
            .or_else(|| w.as_str().and_then(|s| s.trim().parse().ok()))
            .filter(|w| weight_ok(*w)),
    }
}

fn read_demand_geojson(bytes: &[u8], prop: &str) -> Result<Vec<DemandPoint>, CoverageError> {
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        bad(format!(
            "不是 GeoJSON：第 {} 行第 {} 列有误 (not GeoJSON: {e})",
            e.line(),
            e.column()
        ))
    })?;
    let fs = v["features"]
        .as_array()
        .ok_or_else(|| bad("不是 GeoJSON FeatureCollection (not a FeatureCollection)".into()))?;
    fs.iter()
        .enumerate()
        .map(|(i, f)| {
            let c = &f["geometry"]["coordinates"];
            let p = match (c[0].as_f64(), c[1].as_f64(), f["geometry"]["type"].as_str()) {
                (Some(lon), Some(lat), Some("Point")) => LonLat::new(lon, lat).map_err(|e| {
                    bad(format!("第 {} 个要素 (feature {i}), geometry: {e}", i + 1))
                })?,
                _ => {
                    return Err(bad(format!(
                        "第 {} 个要素 (feature {i}), geometry: 须为点 [经度, 纬度] (must be a Point [lon, lat])",
                        i + 1
                    )))
                }
            };
            let w = f["properties"].get(prop);
            let weight = weight_of(w).ok_or_else(|| {
                bad(format!(
                    "第 {} 个要素 (feature {i}), {prop}: 须为 0 到 10¹² 之间的数 (must be a number from 0 to 1e12); got {}",
                    i + 1,
                    w.map_or_else(String::new, ToString::to_string)
                ))
            })?;
            Ok(DemandPoint { location: p, weight })
        })
        .collect()
}

fn read_demand_csv(bytes: &[u8]) -> Result<Vec<DemandPoint>, CoverageError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => encoding_rs::GBK.decode(bytes).0,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| bad(format!("第 1 行 (line 1): {e}")))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let lon_c = col(&["经度", "lon", "lng", "longitude"]);
    let lat_c = col(&["纬度", "lat", "latitude"]);
    let w_c = col(&["权重", "weight", "需求", "demand"]);
    let (Some(lon_c), Some(lat_c)) = (lon_c, lat_c) else {
        return Err(bad(format!(
            "第 1 行 (line 1): 缺少 经度/纬度 列 (need columns 经度,纬度[,权重] or lon,lat[,weight]); found {}",
            header.join(",")
        )));
    };
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| bad(format!("第 {line} 行 (line {line}): {e}")))?;
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let num = |c: usize, field: &str| -> Result<f64, CoverageError> {
            let s = rec.get(c).unwrap_or("").trim();
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    bad(format!(
                        "第 {line} 行 (line {line}), {field}: `{s}` 不是数 (not a number)"
                    ))
                })
        };
        let lon = num(lon_c, &header[lon_c])?;
        let lat = num(lat_c, &header[lat_c])?;
        let location =
            LonLat::new(lon, lat).map_err(|e| bad(format!("第 {line} 行 (line {line}): {e}")))?;
        let weight = match w_c {
            None => 1.0,
            Some(c) => {
                let w = num(c, &header[c])?;
                if !weight_ok(w) {
                    return Err(bad(format!(
                        "第 {line} 行 (line {line}), {}: {w:e} 须在 0 到 10¹² 之间 (must be from 0 to 1e12)",
                        header[c]
                    )));
                }
                w
            }
        };
        out.push(DemandPoint { location, weight });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtup_layer_holds_every_ghsl_cell_and_the_wuyi_square_value() {
        let pts = DemandLayer::Builtup.points();
        // 65 026 non-zero cells (SOURCES.md); the cell at 五一广场 holds 122 047 m³.
        assert_eq!(pts.len(), 65_026);
        let wuyi = pts
            .iter()
            .find(|p| p.location.lon == 112.970947 && p.location.lat == 28.198985)
            .expect("五一广场 cell");
        assert_eq!(wuyi.weight, 122_047.0);
        // Every point lies inside the extent; (112.85, 28.12) is inside it too (zero there).
        let ext = super::super::area::BandedPolygon::new(DemandLayer::Builtup.extent());
        assert!(pts
            .iter()
            .all(|p| ext.contains(p.location.lon, p.location.lat)));
        assert!(ext.contains(112.85, 28.12));
        // 浏阳市's centre is far outside it.
        assert!(!ext.contains(113.64, 28.16));
    }

    #[test]
    fn pickups_layer_counts_the_five_classes() {
        // SOURCES.md: 810 restaurant, 68 fast_food, 59 cafe, 438 supermarket, 71 convenience.
        let pts = DemandLayer::Pickups.points();
        assert_eq!(pts.len(), 810 + 68 + 59 + 438 + 71);
        assert_eq!(pts.iter().map(|p| p.weight).sum::<f64>(), 1446.0);
    }

    #[test]
    fn csv_demand_with_chinese_headers_and_errors_naming_line_and_field() {
        let ok = "经度,纬度,权重\n112.97,28.19,3\n112.98,28.2,0.5\n";
        let pts = read_demand_file("d.csv", ok.as_bytes(), "weight").unwrap();
        assert_eq!(pts.len(), 2);
        assert_eq!(pts[0].weight, 3.0);
        let no_weight = "lon,lat\n112.97,28.19\n";
        assert_eq!(
            read_demand_file("d.csv", no_weight.as_bytes(), "weight").unwrap()[0].weight,
            1.0
        );
        let bad_w = "经度,纬度,权重\n112.97,28.19,3\n112.98,28.2,-1\n";
        let e = read_demand_file("d.csv", bad_w.as_bytes(), "weight")
            .unwrap_err()
            .to_string();
        assert!(e.contains("第 3 行") && e.contains("权重"), "{e}");
        // Regression (newcomer attack, stop 22): weights of 1e308 summed to infinity and the
        // shares came back null. Above 1e12 is refused, in CSV and GeoJSON alike.
        let huge = "经度,纬度,权重\n112.97,28.19,1e308\n";
        let e = read_demand_file("d.csv", huge.as_bytes(), "weight")
            .unwrap_err()
            .to_string();
        assert!(e.contains("第 2 行") && e.contains("10¹²"), "{e}");
        let at_cap = "经度,纬度,权重\n112.97,28.19,1e12\n";
        assert_eq!(
            read_demand_file("d.csv", at_cap.as_bytes(), "weight").unwrap()[0].weight,
            1e12
        );
        let gj = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[112.9,28.1]},"properties":{"weight":1e308}}]}"#;
        assert!(read_demand_file("d.geojson", gj.as_bytes(), "weight").is_err());
        let bad_lat = "经度,纬度\n112.97,abc\n";
        let e = read_demand_file("d.csv", bad_lat.as_bytes(), "weight")
            .unwrap_err()
            .to_string();
        assert!(e.contains("第 2 行") && e.contains("纬度"), "{e}");
        let gj = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[112.9,28.1]},"properties":{"weight":"x"}}]}"#;
        let e = read_demand_file("d.geojson", gj.as_bytes(), "weight")
            .unwrap_err()
            .to_string();
        assert!(e.contains("第 1 个要素") && e.contains("weight"), "{e}");
    }
}
