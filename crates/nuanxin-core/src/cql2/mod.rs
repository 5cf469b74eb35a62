//! Filtering and sorting of GeoJSON features by OGC Common Query Language (CQL2, OGC
//! 21-065r2), as OGC API – Features – Part 3 uses it: the `filter` parameter in CQL2 text
//! ([`parse_text`]) or CQL2 JSON ([`parse_json`]), `sortby` ([`parse_sortby`]), over the
//! properties a collection declares ([`Queryables`]).
//!
//! What is implemented (and what the server declares as conformance classes):
//! - *Basic CQL2*: `AND`, `OR`, `NOT`, `=`, `<>`, `<`, `<=`, `>`, `>=`, `IS [NOT] NULL`,
//!   string, number, boolean, `TIMESTAMP('…')` and `DATE('…')` literals, property names
//!   (bare or `"double-quoted"`).
//! - *Advanced comparison operators*: `[NOT] LIKE` (`%` any run, `_` one character, `\`
//!   escapes), `[NOT] BETWEEN … AND …`, `[NOT] IN (…)`.
//! - *Case-insensitive comparison*: `CASEI(…)` on either side of a comparison, `LIKE` or `IN`.
//! - *Spatial functions*: `S_INTERSECTS`, `S_DISJOINT`, `S_EQUALS`, `S_WITHIN`, `S_CONTAINS`,
//!   `S_TOUCHES`, `S_CROSSES`, `S_OVERLAPS` over WKT literals (`POINT`, `LINESTRING`,
//!   `POLYGON`, `MULTIPOINT`, `MULTILINESTRING`, `MULTIPOLYGON`) and `BBOX(…)` (4 or 6
//!   numbers), decided by the DE-9IM matrix of the `geo` crate (`Relate`), in longitude /
//!   latitude degrees. Literals are read in the `filter-crs` ([`crate::crs::OgcCrs`], its own
//!   axis order) and converted to WGS-84 longitude, latitude.
//! - Not implemented: arithmetic, temporal functions (`T_*`), array functions (`A_*`),
//!   `ACCENTI`, property-to-property comparison of geometries, custom functions.
//!
//! GDAL's OGC API driver (3.6) sends `ILIKE`, a case-insensitive `LIKE` from earlier drafts;
//! it is accepted as `CASEI(a) LIKE CASEI(b)`.
//!
//! **Semantics.** Comparisons follow SQL three-valued logic: a comparison with a missing or
//! `null` property is *unknown*, `NOT unknown` is unknown, and only features for which the
//! whole filter is *true* match. A string property declared `date-time` compares as an
//! instant with `TIMESTAMP(…)` (or a string that parses as RFC 3339); a `DATE(…)` stands
//! for the start of its UTC day. A number compares with a string that parses as a number
//! (`adcode = 430102` finds the string `"430102"`).
//!
//! **Errors** carry the position: 1-based character column for text, a JSON pointer for
//! JSON. A property that is not a queryable is an error (OGC API – Features Part 3
//! `/req/filter/filter-param`).

mod eval;
mod json;
mod text;

pub use eval::{compare_for_sort, matches};
pub use json::parse_json;
pub use text::parse_text;

use crate::crs::OgcCrs;
use chrono::{DateTime, NaiveDate, Utc};
use geo::Geometry;

/// The type of a queryable property, as JSON Schema describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryableType {
    /// `{"type": "string"}`.
    String,
    /// `{"type": "integer"}`.
    Integer,
    /// `{"type": "number"}`.
    Number,
    /// `{"type": "boolean"}`.
    Boolean,
    /// `{"type": "string", "format": "date-time"}` (RFC 3339).
    DateTime,
    /// `{"type": "string", "format": "date"}`.
    Date,
    /// A list of strings (`{"type": "array", "items": {"type": "string"}}`); returned and
    /// sortable never, filterable only by `IS NULL`.
    StringList,
    /// The feature geometry; `format` is `geometry-point` etc. (Part 5).
    Geometry,
    /// Any other JSON (objects, arrays of numbers): described by schemas, never filtered
    /// or sorted.
    Json,
}

/// One property that filters may name.
#[derive(Debug, Clone, PartialEq)]
pub struct Queryable {
    /// Property name as in the feature's `properties` (`id` also reads the feature id,
    /// `geometry` the geometry).
    pub name: String,
    /// Title for people.
    pub title: String,
    /// Type.
    pub kind: QueryableType,
    /// Closed vocabulary, when there is one (JSON Schema `enum`).
    pub values: Option<Vec<String>>,
    /// Whether the value may be `null`.
    pub nullable: bool,
}

impl Queryable {
    /// A queryable of `kind`, not nullable, without vocabulary.
    pub fn new(name: &str, title: &str, kind: QueryableType) -> Self {
        Self {
            name: name.into(),
            title: title.into(),
            kind,
            values: None,
            nullable: false,
        }
    }

    /// The same, nullable.
    pub fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// The same, restricted to `values`.
    pub fn one_of(mut self, values: &[&str]) -> Self {
        self.values = Some(values.iter().map(|v| v.to_string()).collect());
        self
    }
}

/// The queryables of a collection.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Queryables(pub Vec<Queryable>);

impl Queryables {
    /// The queryable `name`.
    pub fn get(&self, name: &str) -> Option<&Queryable> {
        self.0.iter().find(|q| q.name == name)
    }

    /// Names of every queryable, for error messages.
    pub fn names(&self) -> Vec<&str> {
        self.0.iter().map(|q| q.name.as_str()).collect()
    }
}

/// A parsed CQL2 boolean expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Every part true.
    And(Vec<Expr>),
    /// Any part true.
    Or(Vec<Expr>),
    /// Negation.
    Not(Box<Expr>),
    /// `TRUE` / `FALSE`.
    Bool(bool),
    /// Binary comparison.
    Compare(CmpOp, Scalar, Scalar),
    /// `value LIKE pattern` (`%`, `_`, `\` escapes).
    Like(Scalar, Scalar),
    /// `value BETWEEN low AND high` (inclusive).
    Between(Scalar, Scalar, Scalar),
    /// `value IN (list)`.
    In(Scalar, Vec<Scalar>),
    /// `value IS NULL`.
    IsNull(Scalar),
    /// Spatial relation of two geometries.
    Spatial(SpatialOp, GeomArg, GeomArg),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "=" => CmpOp::Eq,
            "<>" | "!=" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            _ => return None,
        })
    }
}

/// Spatial functions (DE-9IM named predicates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpatialOp {
    /// `S_INTERSECTS`
    Intersects,
    /// `S_DISJOINT`
    Disjoint,
    /// `S_EQUALS`
    Equals,
    /// `S_WITHIN`
    Within,
    /// `S_CONTAINS`
    Contains,
    /// `S_TOUCHES`
    Touches,
    /// `S_CROSSES`
    Crosses,
    /// `S_OVERLAPS`
    Overlaps,
}

impl SpatialOp {
    fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "s_intersects" => SpatialOp::Intersects,
            "s_disjoint" => SpatialOp::Disjoint,
            "s_equals" => SpatialOp::Equals,
            "s_within" => SpatialOp::Within,
            "s_contains" => SpatialOp::Contains,
            "s_touches" => SpatialOp::Touches,
            "s_crosses" => SpatialOp::Crosses,
            "s_overlaps" => SpatialOp::Overlaps,
            _ => return None,
        })
    }
}

/// A scalar operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// A property of the feature.
    Property(String),
    /// A string literal.
    Str(String),
    /// A number literal.
    Num(f64),
    /// A boolean literal.
    Bool(bool),
    /// `TIMESTAMP('…')`.
    Timestamp(DateTime<Utc>),
    /// `DATE('…')`.
    Date(NaiveDate),
    /// `CASEI(…)`: compared in lower case.
    CaseI(Box<Scalar>),
}

/// A geometry operand: the feature's geometry property or a literal (WGS-84 lon/lat).
#[derive(Debug, Clone, PartialEq)]
pub enum GeomArg {
    /// The feature geometry (the queryable of type [`QueryableType::Geometry`]).
    Property(String),
    /// A literal, converted to WGS-84 longitude, latitude.
    Literal(Geometry<f64>),
}

/// A filter or sortby that cannot be used: what is wrong and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (at {at})")]
pub struct Cql2Error {
    /// `character N` (1-based) of a text expression, or `JSON pointer /args/0` of a JSON one.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl Cql2Error {
    pub(crate) fn at_char(pos: usize, message: impl Into<String>) -> Self {
        Self {
            at: format!("character {}", pos + 1),
            message: message.into(),
        }
    }
    pub(crate) fn at_pointer(pointer: &str, message: impl Into<String>) -> Self {
        Self {
            at: format!(
                "JSON pointer {}",
                if pointer.is_empty() { "/" } else { pointer }
            ),
            message: message.into(),
        }
    }
}

/// What a parser needs besides the text: the queryables (property names are checked against
/// them) and the CRS of geometry literals (`filter-crs`).
#[derive(Debug, Clone, Copy)]
pub struct ParseContext<'a> {
    /// The collection's queryables.
    pub queryables: &'a Queryables,
    /// CRS of geometry literals.
    pub crs: OgcCrs,
}

/// One `sortby` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// Property name.
    pub name: String,
    /// Descending (`-name`) instead of ascending (`name`, `+name`).
    pub descending: bool,
}

/// Parses `sortby` (OGC API – Features Part 8 / Records: `name,-other,+third`; a `+` that a
/// form encoder turned into a space is accepted).
///
/// # Errors
/// [`Cql2Error`] for an empty key or a property that is not a sortable queryable (geometry
/// and lists are not sortable).
pub fn parse_sortby(s: &str, queryables: &Queryables) -> Result<Vec<SortKey>, Cql2Error> {
    let mut keys = Vec::new();
    let mut pos = 0;
    for part in s.split(',') {
        let t = part.trim();
        let (descending, name) = match t.strip_prefix('-') {
            Some(n) => (true, n.trim()),
            None => (false, t.strip_prefix('+').unwrap_or(t).trim()),
        };
        match queryables.get(name) {
            Some(q)
                if !matches!(
                    q.kind,
                    QueryableType::Geometry | QueryableType::StringList | QueryableType::Json
                ) =>
            {
                keys.push(SortKey {
                    name: name.to_string(),
                    descending,
                })
            }
            Some(_) => {
                return Err(Cql2Error::at_char(
                    pos,
                    format!("`{name}` cannot be sorted by"),
                ))
            }
            None => {
                return Err(Cql2Error::at_char(
                    pos,
                    format!(
                        "unknown sort property `{name}`; sortable: {}",
                        queryables
                            .0
                            .iter()
                            .filter(|q| !matches!(
                                q.kind,
                                QueryableType::Geometry | QueryableType::StringList
                            ))
                            .map(|q| q.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ))
            }
        }
        pos += part.chars().count() + 1;
    }
    Ok(keys)
}

#[cfg(test)]
mod tests;
