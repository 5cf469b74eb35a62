//! Query-string parsing shared by the point queries (and the OGC API, districts, ops):
//! [`Params`] checks every name against the endpoint's list, then typed readers turn values
//! into library types with 400 problems naming the parameter.

use crate::crs::Crs;
use crate::index::Filter;
use crate::model::{china_local_now, parse_local_time, AccessMethod, Amenity, LonLat, ServiceKind};
use crate::server::error::AppError;
use crate::travel::TravelMode;
use axum::http::Uri;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use std::str::FromStr;

/// A parsed query string: the `(name, value)` pairs in order, percent-decoded, each name
/// checked against the parameters the endpoint knows.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses the query of `uri`.
    ///
    /// # Errors
    /// 400 naming the first parameter not in `allowed`.
    pub fn from_uri(uri: &Uri, allowed: &[&str]) -> Result<Self, AppError> {
        // `application/x-www-form-urlencoded` pairs (WHATWG URL), percent-decoded, `+` as
        // a space, invalid UTF-8 replaced: what axum's `Query` gives, without serde.
        let pairs: Vec<(String, String)> = match uri.query() {
            None | Some("") => Vec::new(),
            Some(q) => form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        };
        if let Some((k, _)) = pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            return Err(AppError::bad_choice(
                k.clone(),
                format!("unknown parameter `{k}`"),
                allowed,
            ));
        }
        Ok(Self { pairs })
    }

    /// The pairs, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The value of a single-valued parameter.
    ///
    /// # Errors
    /// 400 when the parameter is given more than once.
    pub fn one(&self, name: &str) -> Result<Option<&str>, AppError> {
        let mut it = self.pairs.iter().filter(|(k, _)| k == name);
        let first = it.next().map(|(_, v)| v.as_str());
        if it.next().is_some() {
            return Err(AppError::bad_param(
                name,
                format!("parameter `{name}` given more than once"),
            ));
        }
        Ok(first)
    }

    /// Every value of a list parameter: repeated parameters and comma-separated lists,
    /// trimmed, empty entries dropped.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// An optional number.
    ///
    /// # Errors
    /// 400 when it is not a number. NaN and infinities parse; callers range-check.
    pub fn f64(&self, name: &str) -> Result<Option<f64>, AppError> {
        match self.one(name)? {
            None => Ok(None),
            Some(v) => v.trim().parse::<f64>().map(Some).map_err(|_| {
                AppError::bad_param(name, format!("`{name}` must be a number; got `{v}`"))
            }),
        }
    }

    /// A required number; `what` describes it for the message.
    ///
    /// # Errors
    /// 400 when missing or not a number.
    pub fn required_f64(&self, name: &str, what: &str) -> Result<f64, AppError> {
        self.f64(name)?.ok_or_else(|| {
            AppError::bad_param(
                name,
                format!("missing required parameter `{name}` ({what})"),
            )
        })
    }

    /// An integer in `[min, max]`, `default` when absent.
    ///
    /// # Errors
    /// 400 when not an integer or out of range.
    pub fn int(
        &self,
        name: &str,
        default: usize,
        min: usize,
        max: usize,
    ) -> Result<usize, AppError> {
        let Some(v) = self.one(name)? else {
            return Ok(default);
        };
        let n: i64 = v.trim().parse().map_err(|_| {
            AppError::bad_param(name, format!("`{name}` must be an integer; got `{v}`"))
        })?;
        if n < min as i64 || n > max as i64 {
            return Err(AppError::bad_param(
                name,
                format!("`{name}` = {n} is outside [{min}, {max}]"),
            ));
        }
        Ok(n as usize)
    }

    /// An optional boolean (`true`/`false`, `1`/`0`, `yes`/`no`).
    ///
    /// # Errors
    /// 400 for anything else.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, AppError> {
        match self.one(name)? {
            None => Ok(None),
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "" => Ok(Some(true)),
                "false" | "0" | "no" => Ok(Some(false)),
                _ => Err(AppError::bad_choice(
                    name,
                    format!("`{name}` must be true or false; got `{v}`"),
                    &["true", "false"],
                )),
            },
        }
    }

    /// An optional value of a closed vocabulary parsed with `FromStr`.
    ///
    /// # Errors
    /// 400 naming the parameter and listing `valid`.
    pub fn choice<T: FromStr>(&self, name: &str, valid: &[&str]) -> Result<Option<T>, AppError>
    where
        T::Err: std::fmt::Display,
    {
        match self.one(name)? {
            None => Ok(None),
            Some(v) => v
                .parse::<T>()
                .map(Some)
                .map_err(|e| AppError::bad_choice(name, format!("`{name}`: {e}"), valid)),
        }
    }
}

/// Every CRS code the API accepts.
pub const CRS_CODES: &[&str] = &["wgs84", "gcj02", "bd09"];
/// Every travel-mode code the API accepts.
pub const MODE_CODES: &[&str] = &["walk", "ebike"];

/// A query position as given and as used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryPosition {
    /// The position in `crs`, longitude normalised into `[-180, 180)`.
    pub given: LonLat,
    /// The system `given` is in.
    pub crs: Crs,
    /// `given` converted to WGS-84: what the index is queried with.
    pub wgs84: LonLat,
}

impl Serialize for QueryPosition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // 7 decimals like every other coordinate output (crate::geojson_out).
        let r = |v: f64| crate::geojson_out::round(v, crate::geojson_out::DEFAULT_DECIMALS);
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("position", &[r(self.given.lon), r(self.given.lat)])?;
        m.serialize_entry("crs", self.crs.as_str())?;
        m.serialize_entry("position_wgs84", &[r(self.wgs84.lon), r(self.wgs84.lat)])?;
        m.end()
    }
}

/// Reads `lon`, `lat` and `crs`: normalises the longitude, checks the latitude, converts to
/// WGS-84.
///
/// # Errors
/// 400 naming `lon`, `lat` or `crs`.
pub fn query_position(p: &Params) -> Result<QueryPosition, AppError> {
    let lon = p.required_f64("lon", "longitude, degrees")?;
    let lat = p.required_f64("lat", "latitude, degrees")?;
    let crs = p.choice::<Crs>("crs", CRS_CODES)?.unwrap_or_default();
    let given = LonLat::normalized(lon, lat)?;
    Ok(QueryPosition {
        given,
        crs,
        wgs84: crs.to_wgs84(given),
    })
}

/// Reads the filter parameters `kind`, `amenity`, `access`, `open_now`, `open_at`.
///
/// # Errors
/// 400 naming the parameter, listing valid codes for vocabularies.
pub fn query_filter(p: &Params) -> Result<Filter, AppError> {
    let mut f = Filter::default();
    for v in p.list("kind") {
        let k = ServiceKind::from_str(v).map_err(|e| {
            AppError::bad_choice("kind", format!("`kind`: {e}"), &ServiceKind::codes())
        })?;
        if !f.kinds.contains(&k) {
            f.kinds.push(k);
        }
    }
    for v in p.list("amenity") {
        let a = Amenity::from_str(v).map_err(|e| {
            AppError::bad_choice("amenity", format!("`amenity`: {e}"), &Amenity::codes())
        })?;
        f.amenities.insert(a);
    }
    for v in p.list("access") {
        let a = AccessMethod::from_str(v).map_err(|e| {
            AppError::bad_choice("access", format!("`access`: {e}"), &AccessMethod::codes())
        })?;
        if !f.access.contains(&a) {
            f.access.push(a);
        }
    }
    let open_now = p.bool("open_now")?.unwrap_or(false);
    if let Some(at) = p.one("open_at")? {
        if open_now {
            return Err(AppError::bad_param(
                "open_at",
                "give either `open_now` or `open_at`, not both",
            ));
        }
        f.open_at = Some(parse_local_time(at).ok_or_else(|| {
            AppError::bad_param(
                "open_at",
                format!("`open_at` must be a local (UTC+8) time YYYY-MM-DDTHH:MM[:SS]; got `{at}`"),
            )
        })?);
    } else if open_now {
        f.open_at = Some(china_local_now());
    }
    Ok(f)
}

/// Reads `out_crs` (`wgs84` default: nothing added).
///
/// # Errors
/// 400 for an unknown system.
pub fn query_out_crs(p: &Params) -> Result<Crs, AppError> {
    Ok(p.choice::<Crs>("out_crs", CRS_CODES)?.unwrap_or_default())
}

/// Reads `mode` (`walk` default).
///
/// # Errors
/// 400 for an unknown mode.
pub fn query_mode(p: &Params) -> Result<TravelMode, AppError> {
    Ok(p.choice::<TravelMode>("mode", MODE_CODES)?
        .unwrap_or_default())
}

/// The filter parameter names shared by the point queries.
pub const FILTER_PARAMS: [&str; 5] = ["kind", "amenity", "access", "open_now", "open_at"];

/// The filter parameter names shared by the point queries.
pub fn filter_params() -> &'static [&'static str] {
    &FILTER_PARAMS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str, allowed: &[&str]) -> Result<Params, AppError> {
        Params::from_uri(&format!("/x?{q}").parse().unwrap(), allowed)
    }

    #[test]
    fn lists_merge_repeats_and_commas() {
        let p = params(
            "kind=station,legal_aid&kind=%20collection_point&kind=",
            &["kind"],
        )
        .unwrap();
        assert_eq!(p.list("kind"), ["station", "legal_aid", "collection_point"]);
    }

    #[test]
    fn unknown_and_repeated_parameters_are_named() {
        let e = params("lng=1", &["lon"]).unwrap_err();
        assert_eq!(e.problem().param.as_deref(), Some("lng"));
        let p = params("lon=1&lon=2", &["lon"]).unwrap();
        assert_eq!(
            p.one("lon").unwrap_err().problem().param.as_deref(),
            Some("lon")
        );
    }
}

#[cfg(test)]
mod position_echo_tests {
    use super::*;

    /// Regression (issue 15, newcomer finding): the echoed `query.position` kept every digit
    /// given (`112.97000000000001`); it is rounded to 7 decimals like every other output.
    #[test]
    fn the_echoed_query_position_has_7_decimals() {
        let q = QueryPosition {
            given: LonLat::new(112.123_456_789_1, 28.987_654_321_9).unwrap(),
            crs: Crs::Wgs84,
            wgs84: LonLat::new(112.123_456_749_9, 28.000_000_05).unwrap(),
        };
        let v = serde_json::to_value(q).unwrap();
        assert_eq!(v["position"], serde_json::json!([112.1234568, 28.9876543]));
        assert_eq!(
            v["position_wgs84"],
            serde_json::json!([112.1234567, 28.0000001])
        );
    }
}
