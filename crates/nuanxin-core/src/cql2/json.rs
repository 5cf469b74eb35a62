//! CQL2 JSON (OGC 21-065r2 §9 and its JSON Schema `cql2.json`), the same subset as the text
//! encoding: `{"op": …, "args": […]}` nodes, `{"property": …}`, `{"timestamp": …}`,
//! `{"date": …}`, `{"bbox": […]}` and GeoJSON geometry objects.

use super::{CmpOp, Cql2Error, Expr, GeomArg, ParseContext, QueryableType, Scalar, SpatialOp};
use crate::crs::OgcCrs;
use geo::{Coord, Geometry, LineString, MultiPolygon, Polygon, Rect};
use serde_json::Value;

/// Parses a CQL2 JSON expression from its text.
///
/// # Errors
/// [`Cql2Error`] naming the JSON pointer of the problem (or the character for bad JSON).
pub fn parse_json(src: &str, ctx: &ParseContext<'_>) -> Result<Expr, Cql2Error> {
    let v: Value = serde_json::from_str(src).map_err(|e| Cql2Error {
        at: format!("line {} column {}", e.line(), e.column()),
        message: format!("not valid JSON: {e}"),
    })?;
    expr(&v, "", ctx)
}

fn args<'v>(v: &'v Value, ptr: &str, n: Option<usize>) -> Result<&'v [Value], Cql2Error> {
    let a = v
        .get("args")
        .and_then(Value::as_array)
        .ok_or_else(|| Cql2Error::at_pointer(ptr, "an operation needs an `args` array"))?;
    if let Some(n) = n {
        if a.len() != n {
            return Err(Cql2Error::at_pointer(
                &format!("{ptr}/args"),
                format!("expected {n} arguments, found {}", a.len()),
            ));
        }
    }
    Ok(a)
}

fn expr(v: &Value, ptr: &str, ctx: &ParseContext<'_>) -> Result<Expr, Cql2Error> {
    if let Some(b) = v.as_bool() {
        return Ok(Expr::Bool(b));
    }
    let Some(op) = v.get("op").and_then(Value::as_str) else {
        return Err(Cql2Error::at_pointer(
            ptr,
            "expected a boolean expression ({\"op\": …, \"args\": […]} or true/false)",
        ));
    };
    let arg_ptr = |i: usize| format!("{ptr}/args/{i}");
    let lower = op.to_ascii_lowercase();
    match lower.as_str() {
        "and" | "or" => {
            let a = args(v, ptr, None)?;
            if a.len() < 2 {
                return Err(Cql2Error::at_pointer(
                    &format!("{ptr}/args"),
                    format!("`{op}` needs at least 2 arguments"),
                ));
            }
            let parts = a
                .iter()
                .enumerate()
                .map(|(i, x)| expr(x, &arg_ptr(i), ctx))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if lower == "and" {
                Expr::And(parts)
            } else {
                Expr::Or(parts)
            })
        }
        "not" => {
            let a = args(v, ptr, Some(1))?;
            Ok(Expr::Not(Box::new(expr(&a[0], &arg_ptr(0), ctx)?)))
        }
        "=" | "<>" | "<" | "<=" | ">" | ">=" => {
            let a = args(v, ptr, Some(2))?;
            let cmp = CmpOp::parse(op).unwrap_or(CmpOp::Eq);
            Ok(Expr::Compare(
                cmp,
                scalar(&a[0], &arg_ptr(0), ctx)?,
                scalar(&a[1], &arg_ptr(1), ctx)?,
            ))
        }
        "like" => {
            let a = args(v, ptr, Some(2))?;
            Ok(Expr::Like(
                scalar(&a[0], &arg_ptr(0), ctx)?,
                scalar(&a[1], &arg_ptr(1), ctx)?,
            ))
        }
        "between" => {
            let a = args(v, ptr, Some(3))?;
            Ok(Expr::Between(
                scalar(&a[0], &arg_ptr(0), ctx)?,
                scalar(&a[1], &arg_ptr(1), ctx)?,
                scalar(&a[2], &arg_ptr(2), ctx)?,
            ))
        }
        "in" => {
            let a = args(v, ptr, Some(2))?;
            let list = a[1].as_array().ok_or_else(|| {
                Cql2Error::at_pointer(&arg_ptr(1), "the second argument of `in` is an array")
            })?;
            let items = list
                .iter()
                .enumerate()
                .map(|(i, x)| scalar(x, &format!("{ptr}/args/1/{i}"), ctx))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Expr::In(scalar(&a[0], &arg_ptr(0), ctx)?, items))
        }
        "isnull" => {
            let a = args(v, ptr, Some(1))?;
            Ok(Expr::IsNull(scalar(&a[0], &arg_ptr(0), ctx)?))
        }
        _ => {
            if let Some(sop) = SpatialOp::parse(&lower) {
                let a = args(v, ptr, Some(2))?;
                return Ok(Expr::Spatial(
                    sop,
                    geom_arg(&a[0], &arg_ptr(0), ctx)?,
                    geom_arg(&a[1], &arg_ptr(1), ctx)?,
                ));
            }
            Err(Cql2Error::at_pointer(
                &format!("{ptr}/op"),
                format!("operator `{op}` is not supported"),
            ))
        }
    }
}

fn property(name: &str, ptr: &str, ctx: &ParseContext<'_>) -> Result<Scalar, Cql2Error> {
    match ctx.queryables.get(name) {
        Some(q) if q.kind == QueryableType::Geometry => Err(Cql2Error::at_pointer(
            ptr,
            format!("`{name}` is a geometry: use it in a spatial operator such as s_intersects"),
        )),
        Some(_) => Ok(Scalar::Property(name.to_string())),
        None => Err(Cql2Error::at_pointer(
            ptr,
            format!(
                "unknown property `{name}`; queryables: {}",
                ctx.queryables.names().join(", ")
            ),
        )),
    }
}

fn scalar(v: &Value, ptr: &str, ctx: &ParseContext<'_>) -> Result<Scalar, Cql2Error> {
    match v {
        Value::String(s) => Ok(Scalar::Str(s.clone())),
        Value::Number(n) => n
            .as_f64()
            .map(Scalar::Num)
            .ok_or_else(|| Cql2Error::at_pointer(ptr, "number out of range")),
        Value::Bool(b) => Ok(Scalar::Bool(*b)),
        Value::Object(m) => {
            if let Some(name) = m.get("property").and_then(Value::as_str) {
                return property(name, ptr, ctx);
            }
            if let Some(t) = m.get("timestamp").and_then(Value::as_str) {
                return chrono::DateTime::parse_from_rfc3339(t)
                    .map(|t| Scalar::Timestamp(t.with_timezone(&chrono::Utc)))
                    .map_err(|_| {
                        Cql2Error::at_pointer(ptr, format!("bad timestamp `{t}` (RFC 3339)"))
                    });
            }
            if let Some(d) = m.get("date").and_then(Value::as_str) {
                return chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map(Scalar::Date)
                    .map_err(|_| {
                        Cql2Error::at_pointer(ptr, format!("bad date `{d}` (YYYY-MM-DD)"))
                    });
            }
            match m.get("op").and_then(Value::as_str) {
                Some(op) if op.eq_ignore_ascii_case("casei") => {
                    let a = args(v, ptr, Some(1))?;
                    Ok(Scalar::CaseI(Box::new(scalar(
                        &a[0],
                        &format!("{ptr}/args/0"),
                        ctx,
                    )?)))
                }
                Some(op) => Err(Cql2Error::at_pointer(
                    &format!("{ptr}/op"),
                    format!("`{op}` is not a supported function here"),
                )),
                None => Err(Cql2Error::at_pointer(
                    ptr,
                    "expected a value: string, number, boolean, {\"property\": …}, {\"timestamp\": …} or {\"date\": …}",
                )),
            }
        }
        _ => Err(Cql2Error::at_pointer(ptr, "expected a value")),
    }
}

fn geom_arg(v: &Value, ptr: &str, ctx: &ParseContext<'_>) -> Result<GeomArg, Cql2Error> {
    if let Some(name) = v.get("property").and_then(Value::as_str) {
        return match ctx.queryables.get(name) {
            Some(q) if q.kind == QueryableType::Geometry => Ok(GeomArg::Property(name.into())),
            Some(_) => Err(Cql2Error::at_pointer(
                ptr,
                format!("`{name}` is not a geometry"),
            )),
            None => Err(Cql2Error::at_pointer(
                ptr,
                format!(
                    "unknown property `{name}`; queryables: {}",
                    ctx.queryables.names().join(", ")
                ),
            )),
        };
    }
    if let Some(b) = v.get("bbox").and_then(Value::as_array) {
        let nums: Option<Vec<f64>> = b.iter().map(Value::as_f64).collect();
        let nums = nums.ok_or_else(|| Cql2Error::at_pointer(ptr, "bbox members are numbers"))?;
        return bbox_geometry(&nums, ctx.crs)
            .map(GeomArg::Literal)
            .map_err(|m| Cql2Error::at_pointer(ptr, m));
    }
    let mut g = v.clone();
    convert_positions(&mut g, ctx.crs);
    let gj: geojson::Geometry = serde_json::from_value(g).map_err(|e| {
        Cql2Error::at_pointer(
            ptr,
            format!("expected a GeoJSON geometry, {{\"bbox\": […]}} or {{\"property\": \"geometry\"}}: {e}"),
        )
    })?;
    Geometry::<f64>::try_from(gj)
        .map(GeomArg::Literal)
        .map_err(|e| Cql2Error::at_pointer(ptr, format!("bad geometry: {e}")))
}

/// Converts every position inside a GeoJSON `coordinates` tree from `crs` to lon/lat.
fn convert_positions(v: &mut Value, crs: OgcCrs) {
    fn walk(v: &mut Value, crs: OgcCrs) {
        let Some(a) = v.as_array_mut() else {
            return;
        };
        if let (Some(x), Some(y)) = (
            a.first().and_then(Value::as_f64),
            a.get(1).and_then(Value::as_f64),
        ) {
            let (lon, lat) = crs.to_lon_lat(x, y);
            a[0] = Value::from(lon);
            a[1] = Value::from(lat);
            a.truncate(2);
            return;
        }
        a.iter_mut().for_each(|c| walk(c, crs));
    }
    if crs == OgcCrs::Crs84 {
        return;
    }
    if let Some(c) = v.get_mut("coordinates") {
        walk(c, crs);
    }
    if let Some(Value::Array(gs)) = v.get_mut("geometries") {
        gs.iter_mut().for_each(|g| convert_positions(g, crs));
    }
}

/// A `BBOX` of 4 (or 6, with heights) numbers in `crs` as a WGS-84 geometry: a rectangle,
/// or two when it crosses the antimeridian (west > east in degrees).
pub(crate) fn bbox_geometry(v: &[f64], crs: OgcCrs) -> Result<Geometry<f64>, String> {
    let (a0, b0, a1, b1) = match v {
        [a0, b0, a1, b1] => (*a0, *b0, *a1, *b1),
        [a0, b0, _, a1, b1, _] => (*a0, *b0, *a1, *b1),
        _ => return Err(format!("a bbox has 4 or 6 numbers, found {}", v.len())),
    };
    let (w, s) = crs.to_lon_lat(a0, b0);
    let (e, n) = crs.to_lon_lat(a1, b1);
    if !(w.is_finite() && s.is_finite() && e.is_finite() && n.is_finite()) || s > n {
        return Err(format!(
            "bad bbox: corners ({w}, {s}) and ({e}, {n}) in longitude, latitude"
        ));
    }
    let rect = |w: f64, e: f64| {
        Polygon::new(
            LineString::new(vec![
                Coord { x: w, y: s },
                Coord { x: e, y: s },
                Coord { x: e, y: n },
                Coord { x: w, y: n },
                Coord { x: w, y: s },
            ]),
            vec![],
        )
    };
    if w > e {
        Ok(Geometry::MultiPolygon(MultiPolygon(vec![
            rect(w, 180.0),
            rect(-180.0, e),
        ])))
    } else if w == e || s == n {
        // Degenerate: keep it as a rectangle geometry (a line or point).
        Ok(Geometry::Rect(Rect::new(
            Coord { x: w, y: s },
            Coord { x: e, y: n },
        )))
    } else {
        Ok(Geometry::Polygon(rect(w, e)))
    }
}
