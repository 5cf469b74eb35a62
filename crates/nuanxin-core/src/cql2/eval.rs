//! Evaluation of a parsed [`Expr`] against one GeoJSON Feature (`serde_json::Value`), with
//! SQL three-valued logic (module docs), and the `sortby` ordering.

use super::{CmpOp, Expr, GeomArg, QueryableType, Queryables, Scalar, SortKey, SpatialOp};
use chrono::{DateTime, NaiveDate, Utc};
use geo::{Geometry, Relate};
use serde_json::Value;
use std::cmp::Ordering;

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Str(String),
    Num(f64),
    Bool(bool),
    Instant(DateTime<Utc>),
    /// Anything else (arrays, objects): only `IS NULL` applies.
    Other,
}

/// Whether `feature` satisfies `expr` (is *true*, not unknown). `queryables` gives the types
/// used to read properties (`date-time` strings as instants).
pub fn matches(expr: &Expr, feature: &Value, queryables: &Queryables) -> bool {
    eval(expr, feature, queryables) == Some(true)
}

fn eval(e: &Expr, f: &Value, q: &Queryables) -> Option<bool> {
    match e {
        Expr::Bool(b) => Some(*b),
        Expr::And(parts) => {
            let mut unknown = false;
            for p in parts {
                match eval(p, f, q) {
                    Some(false) => return Some(false),
                    None => unknown = true,
                    Some(true) => {}
                }
            }
            if unknown {
                None
            } else {
                Some(true)
            }
        }
        Expr::Or(parts) => {
            let mut unknown = false;
            for p in parts {
                match eval(p, f, q) {
                    Some(true) => return Some(true),
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            if unknown {
                None
            } else {
                Some(false)
            }
        }
        Expr::Not(inner) => eval(inner, f, q).map(|b| !b),
        Expr::Compare(op, a, b) => {
            let ord = compare(&value(a, f, q), &value(b, f, q))?;
            Some(match op {
                CmpOp::Eq => ord == Ordering::Equal,
                CmpOp::Ne => ord != Ordering::Equal,
                CmpOp::Lt => ord == Ordering::Less,
                CmpOp::Le => ord != Ordering::Greater,
                CmpOp::Gt => ord == Ordering::Greater,
                CmpOp::Ge => ord != Ordering::Less,
            })
        }
        Expr::Like(a, p) => match (value(a, f, q), value(p, f, q)) {
            (Val::Str(s), Val::Str(pat)) => Some(like(&s, &pat)),
            (Val::Null, _) | (_, Val::Null) => None,
            (Val::Num(n), Val::Str(pat)) => Some(like(&format_num(n), &pat)),
            _ => None,
        },
        Expr::Between(v, lo, hi) => {
            let v = value(v, f, q);
            let a = compare(&value(lo, f, q), &v)?;
            let b = compare(&v, &value(hi, f, q))?;
            Some(a != Ordering::Greater && b != Ordering::Greater)
        }
        Expr::In(v, list) => {
            let v = value(v, f, q);
            if v == Val::Null {
                return None;
            }
            let mut unknown = false;
            for item in list {
                match compare(&v, &value(item, f, q)) {
                    Some(Ordering::Equal) => return Some(true),
                    None => unknown = true,
                    Some(_) => {}
                }
            }
            if unknown {
                None
            } else {
                Some(false)
            }
        }
        Expr::IsNull(v) => Some(value(v, f, q) == Val::Null),
        Expr::Spatial(op, a, b) => {
            let ga = geometry(a, f)?;
            let gb = geometry(b, f)?;
            let m = ga.relate(&gb);
            Some(match op {
                SpatialOp::Intersects => m.is_intersects(),
                SpatialOp::Disjoint => m.is_disjoint(),
                SpatialOp::Equals => m.is_equal_topo(),
                SpatialOp::Within => m.is_within(),
                SpatialOp::Contains => m.is_contains(),
                SpatialOp::Touches => m.is_touches(),
                SpatialOp::Crosses => m.is_crosses(),
                SpatialOp::Overlaps => m.is_overlaps(),
            })
        }
    }
}

fn format_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The raw JSON of property `name`: from `properties`, else `id` from the feature's id.
fn raw<'f>(f: &'f Value, name: &str) -> Option<&'f Value> {
    match f.get("properties").and_then(|p| p.get(name)) {
        Some(v) => Some(v),
        None if name == "id" => f.get("id"),
        None => None,
    }
}

fn property_value(f: &Value, name: &str, q: &Queryables) -> Val {
    let kind = q.get(name).map(|q| q.kind);
    match raw(f, name) {
        None | Some(Value::Null) => Val::Null,
        Some(Value::String(s)) => match kind {
            Some(QueryableType::DateTime) | Some(QueryableType::Date) => {
                parse_instant(s).map_or_else(|| Val::Str(s.clone()), Val::Instant)
            }
            _ => Val::Str(s.clone()),
        },
        Some(Value::Number(n)) => n.as_f64().map_or(Val::Null, Val::Num),
        Some(Value::Bool(b)) => Val::Bool(*b),
        Some(_) => Val::Other,
    }
}

fn start_of_day(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// An RFC 3339 instant, or a date (start of its UTC day).
fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(start_of_day)
}

fn value(s: &Scalar, f: &Value, q: &Queryables) -> Val {
    match s {
        Scalar::Property(n) => property_value(f, n, q),
        Scalar::Str(s) => Val::Str(s.clone()),
        Scalar::Num(n) => Val::Num(*n),
        Scalar::Bool(b) => Val::Bool(*b),
        Scalar::Timestamp(t) => Val::Instant(*t),
        Scalar::Date(d) => Val::Instant(start_of_day(*d)),
        Scalar::CaseI(inner) => match value(inner, f, q) {
            Val::Str(s) => Val::Str(s.to_lowercase()),
            other => other,
        },
    }
}

/// Orders two values of compatible types; `None` when either is null or they cannot be
/// compared (unknown).
fn compare(a: &Val, b: &Val) -> Option<Ordering> {
    match (a, b) {
        (Val::Null, _) | (_, Val::Null) | (Val::Other, _) | (_, Val::Other) => None,
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        (Val::Instant(x), Val::Instant(y)) => Some(x.cmp(y)),
        (Val::Instant(x), Val::Str(s)) => parse_instant(s).map(|y| x.cmp(&y)),
        (Val::Str(s), Val::Instant(y)) => parse_instant(s).map(|x| x.cmp(y)),
        (Val::Num(x), Val::Str(s)) => s
            .trim()
            .parse::<f64>()
            .ok()?
            .partial_cmp(x)
            .map(Ordering::reverse),
        (Val::Str(s), Val::Num(y)) => s.trim().parse::<f64>().ok()?.partial_cmp(y),
        _ => None,
    }
}

/// SQL LIKE: `%` any run, `_` one character, `\` makes the next character literal.
fn like(s: &str, pat: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum P {
        Any,
        One,
        Lit(char),
    }
    let mut p = Vec::new();
    let mut it = pat.chars();
    while let Some(c) = it.next() {
        p.push(match c {
            '%' => P::Any,
            '_' => P::One,
            '\\' => P::Lit(it.next().unwrap_or('\\')),
            c => P::Lit(c),
        });
    }
    let s: Vec<char> = s.chars().collect();
    // Dynamic programming over (pattern, text) prefixes.
    let mut row = vec![false; s.len() + 1];
    row[0] = true;
    for tok in &p {
        let mut next = vec![false; s.len() + 1];
        match tok {
            P::Any => {
                let mut seen = false;
                for j in 0..=s.len() {
                    seen |= row[j];
                    next[j] = seen;
                }
            }
            P::One => next[1..].copy_from_slice(&row[..s.len()]),
            P::Lit(c) => {
                for j in 1..=s.len() {
                    next[j] = row[j - 1] && s[j - 1] == *c;
                }
            }
        }
        row = next;
    }
    row[s.len()]
}

fn geometry(a: &GeomArg, f: &Value) -> Option<Geometry<f64>> {
    match a {
        GeomArg::Literal(g) => Some(g.clone()),
        GeomArg::Property(_) => {
            let g = f.get("geometry")?;
            if g.is_null() {
                return None;
            }
            let gj: geojson::Geometry = serde_json::from_value(g.clone()).ok()?;
            Geometry::<f64>::try_from(gj).ok()
        }
    }
}

/// The `sortby` order of two features: key by key, nulls last in either direction, values
/// of different types by their type. Ties keep the caller's order (use a stable sort).
pub fn compare_for_sort(a: &Value, b: &Value, keys: &[SortKey], q: &Queryables) -> Ordering {
    for k in keys {
        let va = property_value(a, &k.name, q);
        let vb = property_value(b, &k.name, q);
        let ord = match (&va, &vb) {
            (Val::Null, Val::Null) => Ordering::Equal,
            (Val::Null, _) => return Ordering::Greater,
            (_, Val::Null) => return Ordering::Less,
            _ => compare(&va, &vb).unwrap_or(Ordering::Equal),
        };
        let ord = if k.descending { ord.reverse() } else { ord };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod like_tests {
    use super::like;

    #[test]
    fn like_wildcards_and_escapes() {
        assert!(like("五一广场驿站", "%驿站"));
        assert!(like("五一广场驿站", "五一%"));
        assert!(like("abc", "a_c"));
        assert!(!like("abbc", "a_c"));
        assert!(like("100%", "100\\%"));
        assert!(!like("1000", "100\\%"));
        assert!(like("", "%"));
        assert!(!like("", "_"));
        assert!(like("a%b", "a%%b"));
    }
}
