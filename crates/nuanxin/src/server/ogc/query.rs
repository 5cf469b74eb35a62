//! The items query of OGC API – Features beyond Part 1's paging: `bbox` with `bbox-crs`,
//! `datetime` over a collection's temporal property, CQL2 `filter` (`filter-lang`,
//! `filter-crs`), queryables as query parameters, `sortby`, `properties` and the output
//! `crs` (Parts 2 and 3). Filtering, sorting and counting happen here, on the server,
//! before paging, so `numberMatched` counts the filtered set.

use super::CollectionProvider;
use crate::cql2::{self, CmpOp, Expr, ParseContext, Queryables, Scalar, SortKey};
use crate::crs::OgcCrs;
use crate::model::Bbox;
use crate::server::error::AppError;
use crate::server::points::query::Params;
use crate::server::AppState;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Largest page of items; larger `limit`s are reduced to it.
pub const ITEMS_LIMIT_MAX: usize = 10_000;
/// Default page of items.
pub const ITEMS_LIMIT_DEFAULT: usize = 100;

/// Query parameters of `/collections/{id}/items` besides the collection's queryables.
pub const ITEMS_PARAMS: &[&str] = &[
    "f",
    "bbox",
    "bbox-crs",
    "limit",
    "offset",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
    "sortby",
    "properties",
    "crs",
];

/// `filter-lang` values accepted. `cql-text` is the name earlier drafts (and GDAL 3.6, which
/// looks for it in the API definition) use for CQL2 text.
pub const FILTER_LANGS: &[&str] = &["cql2-text", "cql2-json", "cql-text"];

/// An inclusive interval of instants; `None` ends are open.
pub type Interval = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A parsed items request.
#[derive(Debug, Clone)]
pub struct ItemsRequest {
    /// WGS-84 box.
    pub bbox: Option<Bbox>,
    /// Page size.
    pub limit: usize,
    /// Items skipped.
    pub offset: usize,
    /// Inclusive instant interval on the temporal property (`None` ends are open).
    pub datetime: Option<Interval>,
    /// The filter (CQL2 and queryable parameters, ANDed).
    pub filter: Option<Expr>,
    /// Sort keys.
    pub sortby: Vec<SortKey>,
    /// Properties to return (all when `None`).
    pub properties: Option<Vec<String>>,
    /// Output CRS.
    pub crs: OgcCrs,
}

fn crs_param(p: &Params, name: &str) -> Result<OgcCrs, AppError> {
    match p.one(name)? {
        None => Ok(OgcCrs::Crs84),
        Some(v) => OgcCrs::parse(v).map_err(|e| {
            AppError::bad_choice(
                name,
                format!("`{name}`: {e}"),
                &OgcCrs::ALL.map(OgcCrs::uri),
            )
        }),
    }
}

/// Reads the `crs` parameter (for a single item too).
///
/// # Errors
/// 400 for an unsupported CRS.
pub fn output_crs(p: &Params) -> Result<OgcCrs, AppError> {
    crs_param(p, "crs")
}

/// `bbox` in `crs` (its own axis order; 4 or 6 numbers) as a WGS-84 box.
fn bbox_in(v: &str, crs: OgcCrs) -> Result<Bbox, AppError> {
    if crs == OgcCrs::Crs84 {
        return Ok(Bbox::parse(v)?);
    }
    let nums: Vec<f64> = v
        .split(',')
        .map(|t| t.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| crate::model::BboxError::Syntax(v.to_string()))?;
    let (a0, b0, a1, b1) = match nums.as_slice() {
        [a0, b0, a1, b1] | [a0, b0, _, a1, b1, _] => (*a0, *b0, *a1, *b1),
        _ => return Err(crate::model::BboxError::Syntax(v.to_string()).into()),
    };
    let (w, s) = crs.to_lon_lat(a0, b0);
    let (e, n) = crs.to_lon_lat(a1, b1);
    Ok(Bbox::new(w, s, e, n)?)
}

/// One end of a `datetime` value as an instant: `Some(None)` for an open end (`..` or
/// empty), `None` when unparsable. A full date stands for the whole UTC day: its start when
/// it opens an interval, its last nanosecond when it closes one.
fn datetime_bound(part: &str, is_end: bool) -> Option<Option<DateTime<Utc>>> {
    if part.is_empty() || part == ".." {
        return Some(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(part) {
        return Some(Some(t.with_timezone(&Utc)));
    }
    let day = chrono::NaiveDate::parse_from_str(part, "%Y-%m-%d").ok()?;
    let t = if is_end {
        day.and_hms_nano_opt(23, 59, 59, 999_999_999)?
    } else {
        day.and_time(chrono::NaiveTime::MIN)
    };
    Some(Some(t.and_utc()))
}

/// Parses `datetime` (RFC 3339 instant or interval with `..`, OGC API – Features Part 1
/// §7.15.4) as an inclusive interval: an instant `t` is `[t, t]`, a date its whole UTC day.
///
/// # Errors
/// 400 for bad syntax or a start after the end.
pub fn parse_datetime(v: &str) -> Result<Interval, AppError> {
    let parts: Vec<&str> = v.split('/').collect();
    let bad = |why: &str| {
        AppError::bad_param(
            "datetime",
            format!(
                "`datetime` must be an RFC 3339 instant or interval (a/b, ../b, a/..){why}; got `{v}`"
            ),
        )
    };
    match parts.as_slice() {
        [one] if *one != ".." && !one.is_empty() => {
            let s = datetime_bound(one, false).ok_or_else(|| bad(""))?;
            let e = datetime_bound(one, true).ok_or_else(|| bad(""))?;
            Ok((s, e))
        }
        [start, end] => {
            let s = datetime_bound(start, false).ok_or_else(|| bad(""))?;
            let e = datetime_bound(end, true).ok_or_else(|| bad(""))?;
            match (s, e) {
                (Some(a), Some(b)) if a > b => Err(bad(" whose start is not after its end")),
                _ => Ok((s, e)),
            }
        }
        _ => Err(bad("")),
    }
}

fn filter_error(param: &str, e: cql2::Cql2Error) -> AppError {
    AppError::bad_param(param, format!("`{param}`: {}, at {}", e.message, e.at))
}

impl ItemsRequest {
    /// Reads the request for collection `c` (whose queryables are also accepted as
    /// parameters, each an equality test).
    ///
    /// # Errors
    /// 400 problems naming the parameter (and, for filters, the position).
    pub fn parse(p: &Params, c: &dyn CollectionProvider) -> Result<Self, AppError> {
        let queryables = c.queryables();
        let bbox_crs = crs_param(p, "bbox-crs")?;
        if p.one("bbox-crs")?.is_some() && p.one("bbox")?.is_none() {
            return Err(AppError::bad_param(
                "bbox-crs",
                "`bbox-crs` is given without `bbox`",
            ));
        }
        let bbox = p.one("bbox")?.map(|v| bbox_in(v, bbox_crs)).transpose()?;
        let limit = match p.one("limit")? {
            None => ITEMS_LIMIT_DEFAULT,
            Some(v) => {
                let n: i64 = v.trim().parse().map_err(|_| {
                    AppError::bad_param("limit", format!("`limit` must be an integer; got `{v}`"))
                })?;
                if n < 1 {
                    return Err(AppError::bad_param(
                        "limit",
                        format!("`limit` = {n} is below the minimum 1"),
                    ));
                }
                (n as u64).min(ITEMS_LIMIT_MAX as u64) as usize
            }
        };
        let offset = p.int("offset", 0, 0, usize::MAX / 2)?;
        let datetime = p.one("datetime")?.map(parse_datetime).transpose()?;
        let filter_crs = crs_param(p, "filter-crs")?;
        let ctx = ParseContext {
            queryables: &queryables,
            crs: filter_crs,
        };
        let lang = p.one("filter-lang")?.unwrap_or("cql2-text");
        let mut parts = Vec::new();
        if let Some(f) = p.one("filter")? {
            let e = match lang {
                "cql2-text" | "cql-text" => cql2::parse_text(f, &ctx),
                "cql2-json" => cql2::parse_json(f, &ctx),
                other => {
                    return Err(AppError::bad_choice(
                        "filter-lang",
                        format!("`filter-lang`: unknown filter language `{other}`"),
                        FILTER_LANGS,
                    ))
                }
            }
            .map_err(|e| filter_error("filter", e))?;
            parts.push(e);
        } else if p.one("filter-lang")?.is_some() || p.one("filter-crs")?.is_some() {
            return Err(AppError::bad_param(
                "filter",
                "`filter-lang` or `filter-crs` is given without `filter`",
            ));
        }
        for q in queryable_params(&queryables) {
            for (k, v) in p.pairs().iter().filter(|(k, _)| k == q) {
                parts.push(Expr::Compare(
                    CmpOp::Eq,
                    Scalar::Property(k.clone()),
                    Scalar::Str(v.clone()),
                ));
            }
        }
        let filter = match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Expr::And(parts)),
        };
        let sortby = match p.one("sortby")? {
            Some(s) => cql2::parse_sortby(s, &queryables).map_err(|e| filter_error("sortby", e))?,
            None => Vec::new(),
        };
        let properties = match p.one("properties")? {
            None => None,
            Some(v) => {
                let schema = c.schema();
                let names: Vec<String> = v
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                if let Some(bad) = names.iter().find(|n| schema.get(n).is_none()) {
                    return Err(AppError::bad_choice(
                        "properties",
                        format!("`properties`: unknown property `{bad}`"),
                        &schema.names(),
                    ));
                }
                Some(names)
            }
        };
        Ok(Self {
            bbox,
            limit,
            offset,
            datetime,
            filter,
            sortby,
            properties,
            crs: output_crs(p)?,
        })
    }

    /// Whether the provider's own paging can answer this request (no filter, no sort, no
    /// time condition it cannot apply).
    fn provider_pages(&self, c: &dyn CollectionProvider) -> bool {
        self.filter.is_none()
            && self.sortby.is_empty()
            && (self.datetime.is_none() || c.temporal_property().is_none())
    }
}

/// Names of the queryables that may be given as query parameters (every non-geometry one).
pub fn queryable_params(q: &Queryables) -> Vec<&str> {
    q.0.iter()
        .filter(|q| q.kind != cql2::QueryableType::Geometry)
        .map(|q| q.name.as_str())
        .collect()
}

/// Whether a feature's temporal property lies in the inclusive interval.
fn in_interval(f: &Value, prop: &str, (start, end): Interval) -> bool {
    let Some(t) = f
        .get("properties")
        .and_then(|p| p.get(prop))
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
    else {
        return false;
    };
    start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e)
}

/// Runs `req` against collection `c`: the page of features (not yet shaped for output) and
/// the number matched.
///
/// # Errors
/// [`AppError`] from the provider.
pub fn run(
    req: &ItemsRequest,
    c: &dyn CollectionProvider,
    state: &AppState,
) -> Result<super::ItemsPage, AppError> {
    if req.provider_pages(c) {
        return c.items(state, req.bbox.as_ref(), req.limit, req.offset);
    }
    let queryables = c.queryables();
    let temporal = c.temporal_property();
    let admits = |f: &Value| {
        req.datetime
            .zip(temporal)
            .is_none_or(|(iv, prop)| in_interval(f, prop, iv))
            && req
                .filter
                .as_ref()
                .is_none_or(|e| cql2::matches(e, f, &queryables))
    };
    let mut matched = 0usize;
    let mut kept: Vec<Value> = Vec::new();
    let sorting = !req.sortby.is_empty();
    let end = req.offset.saturating_add(req.limit);
    c.scan(state, req.bbox.as_ref(), &mut |f: Value| {
        if admits(&f) {
            // Without sorting only the requested page is kept; with it every match is.
            if sorting || (matched >= req.offset && matched < end) {
                kept.push(f);
            }
            matched += 1;
        }
    })?;
    if sorting {
        kept.sort_by(|a, b| cql2::compare_for_sort(a, b, &req.sortby, &queryables));
        kept = kept.into_iter().skip(req.offset).take(req.limit).collect();
    }
    Ok(super::ItemsPage {
        features: kept,
        number_matched: matched,
    })
}

/// Shapes a feature for output: only `properties` when asked, a numeric id as a number, the
/// geometry in `crs` (its axis order, rounded to about 1 cm).
pub fn shape_feature(f: &mut Value, properties: Option<&[String]>, crs: OgcCrs) {
    if let Some(keep) = properties {
        if let Some(props) = f.get_mut("properties").and_then(Value::as_object_mut) {
            props.retain(|k, _| keep.iter().any(|n| n == k));
        }
    }
    if let Some(id) = f.get("id").and_then(Value::as_str) {
        if let Some(n) = numeric_id(id) {
            f["id"] = Value::from(n);
        }
    }
    if crs != OgcCrs::Crs84 {
        if let Some(c) = f.pointer_mut("/geometry/coordinates") {
            convert(c, crs);
        }
    }
}

/// An id written only with decimal digits, without a leading zero and below 2^53 (exact in
/// every JSON reader), as that number: RFC 7946 §3.2 allows numeric feature ids, and GDAL
/// then uses them as feature ids (FIDs).
pub fn numeric_id(id: &str) -> Option<u64> {
    if id.is_empty() || id.len() > 15 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if id.len() > 1 && id.starts_with('0') {
        return None;
    }
    id.parse().ok()
}

fn convert(v: &mut Value, crs: OgcCrs) {
    let Some(a) = v.as_array_mut() else {
        return;
    };
    if let (Some(lon), Some(lat)) = (
        a.first().and_then(Value::as_f64),
        a.get(1).and_then(Value::as_f64),
    ) {
        let (x, y) = crs.from_lon_lat(lon, lat);
        let d = crs.decimals();
        a[0] = Value::from(crate::geojson_out::round(x, d));
        a[1] = Value::from(crate::geojson_out::round(y, d));
        return;
    }
    a.iter_mut().for_each(|c| convert(c, crs));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_syntax() {
        assert!(parse_datetime("2026-11-29T10:00:00Z").is_ok());
        assert!(parse_datetime("../2026-11-29T10:00:00Z").is_ok());
        assert!(parse_datetime("2026-01-01/..").is_ok());
        assert!(parse_datetime("yesterday").is_err());
        assert!(parse_datetime("..").is_err());
        assert!(parse_datetime("a/b/c").is_err());
        // Start after end (regression: was accepted).
        let e = parse_datetime("2026-12-01T00:00:00Z/2026-01-01T00:00:00Z").unwrap_err();
        assert!(
            matches!(e, AppError::BadRequest { ref param, .. } if param.as_deref() == Some("datetime"))
        );
        assert!(parse_datetime("2026-01-02/2026-01-01").is_err());
        // Same instant in two offsets (10:00+08:00 is 02:00Z): a valid one-instant interval.
        assert!(parse_datetime("2026-01-01T10:00:00+08:00/2026-01-01T02:00:00Z").is_ok());
        // 01:00Z is before 10:00+08:00 = 02:00Z.
        assert!(parse_datetime("2026-01-01T10:00:00+08:00/2026-01-01T01:00:00Z").is_err());
        // A date closes at the end of its (UTC) day; a single date is the whole day.
        assert!(parse_datetime("2026-01-01/2026-01-01").is_ok());
        assert!(parse_datetime("2026-01-01T23:00:00Z/2026-01-01").is_ok());
        let (s, e) = parse_datetime("2026-01-01").unwrap();
        assert_eq!(s.unwrap().to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(
            e.unwrap().to_rfc3339(),
            "2026-01-01T23:59:59.999999999+00:00"
        );
    }

    #[test]
    fn numeric_ids() {
        assert_eq!(numeric_id("42"), Some(42));
        assert_eq!(numeric_id("0"), Some(0));
        assert_eq!(numeric_id("007"), None); // the leading zeros would be lost
        assert_eq!(numeric_id("p42"), None);
        assert_eq!(numeric_id("-1"), None);
        assert_eq!(numeric_id("9007199254740993"), None); // above 2^53
    }

    #[test]
    fn geometry_in_epsg4326_is_latitude_first() {
        let mut f = serde_json::json!({"type": "Feature", "id": "12",
            "geometry": {"type": "Point", "coordinates": [112.9709200, 28.1986000]},
            "properties": {"name": "x", "adcode": "430102"}});
        shape_feature(&mut f, Some(&["name".into()]), OgcCrs::Epsg4326);
        assert_eq!(f["id"], 12);
        assert_eq!(f["geometry"]["coordinates"][0], 28.1986);
        assert_eq!(f["geometry"]["coordinates"][1], 112.97092);
        assert_eq!(f["properties"], serde_json::json!({"name": "x"}));
    }
}
