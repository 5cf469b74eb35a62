//! The engine-neutral SQL layer of the [`Store`](super::Store): one copy of each query runs
//! on SQLite or PostgreSQL.
//!
//! Statements are written once, in the SQL both engines understand, with numbered
//! placeholders `?1`, `?2`, … (SQLite's form; rewritten to PostgreSQL's `$1`, `$2`, … by
//! [`to_postgres_placeholders`]). Parameters are [`Value`]s (integer, float, text, bytes or
//! NULL, the five SQLite storage classes), and a result row is a [`Row`] of `Value`s read by
//! column index. Only what really differs between the engines (schema DDL, the spatial
//! index of nearby look-ups, a JSON field, row locks) is written per engine, by matching on
//! [`Conn::engine`].
//!
//! Type mapping: SQLite `INTEGER` ↔ PostgreSQL `bigint`, `REAL` ↔ `double precision`,
//! `TEXT` ↔ `text`, `BLOB` ↔ `bytea`. Times are integer milliseconds since the Unix epoch
//! on both.

use super::StoreError;
use std::borrow::Cow;

/// Which database engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// SQLite (a file; the default).
    Sqlite,
    /// PostgreSQL (a server, `postgres://…`).
    Postgres,
}

/// A parameter or a column value: the five SQLite storage classes, which every PostgreSQL
/// column type of the schema maps onto.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit float.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes (a photo).
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(v.to_vec())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
impl From<&Value> for Value {
    fn from(v: &Value) -> Self {
        v.clone()
    }
}

/// `[Value; N]` from expressions convertible into [`Value`]: `args![id, 3_i64, None::<&str>]`.
macro_rules! args {
    ($($v:expr),* $(,)?) => {
        [$($crate::suggestions::sql::Value::from($v)),*]
    };
}
pub(crate) use args;

/// A column type a [`Row`] can be read as.
pub trait FromValue: Sized {
    /// The column's value as `Self`; `None` when the value has another type.
    fn from_value(v: &Value) -> Option<Self>;
    /// The type's name in error messages.
    const NAME: &'static str;
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
    const NAME: &'static str = "integer";
}
impl FromValue for f64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Real(f) => Some(*f),
            // SQLite stores a REAL column's whole number as given when it was bound as one
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
    const NAME: &'static str = "float";
}
impl FromValue for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
    const NAME: &'static str = "text";
}
impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Bytes(b) => Some(b.clone()),
            _ => None,
        }
    }
    const NAME: &'static str = "bytes";
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
    const NAME: &'static str = T::NAME;
}

/// A column value borrowed from the engine's row buffer ([`Conn::query_each_ref`]): a
/// [`Value`] without the copy of its text or bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// SQL NULL.
    Null,
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit float.
    Real(f64),
    /// UTF-8 text.
    Text(&'a str),
    /// Bytes.
    Bytes(&'a [u8]),
}

impl<'a> From<&'a Value> for ValueRef<'a> {
    fn from(v: &'a Value) -> Self {
        match v {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Int(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s),
            Value::Bytes(b) => ValueRef::Bytes(b),
        }
    }
}

impl From<ValueRef<'_>> for Value {
    fn from(v: ValueRef<'_>) -> Self {
        match v {
            ValueRef::Null => Value::Null,
            ValueRef::Int(i) => Value::Int(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(s) => Value::Text(s.to_string()),
            ValueRef::Bytes(b) => Value::Bytes(b.to_vec()),
        }
    }
}

/// One result row: its values by column index (the order of the `SELECT` list).
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    /// Column `i` as `T`.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the row has no column `i` or it holds another type.
    pub fn get<T: FromValue>(&self, i: usize) -> Result<T, StoreError> {
        let v = self
            .0
            .get(i)
            .ok_or_else(|| StoreError::corrupt(format!("no column {i} in the result")))?;
        T::from_value(v).ok_or_else(|| {
            StoreError::corrupt(format!("column {i}: expected {}, found {v:?}", T::NAME))
        })
    }
}

/// A connection (or an open transaction) of either engine.
pub trait Conn {
    /// The engine, for the few statements written per engine.
    fn engine(&self) -> Engine;

    /// Runs one statement; returns the number of rows it changed.
    ///
    /// # Errors
    /// [`StoreError`], classified ([`StoreError::Unavailable`] for a lost connection, …).
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;

    /// Runs one query; returns every row.
    ///
    /// # Errors
    /// As [`Conn::execute`].
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;

    /// Runs one query and hands each row to `f` as it is read, without collecting the
    /// result (memory holds one row at a time, a bounded buffer of them on PostgreSQL). One
    /// statement, so one consistent snapshot. Stops at the first error of `f` and returns
    /// it.
    ///
    /// # Errors
    /// As [`Conn::execute`], or the error of `f`.
    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// [`Conn::query_each`] with each row's values borrowed from the engine's buffer, valid
    /// for the call of `f` only: no copy of a text or blob (SQLite). Reading a million
    /// service points at start-up goes this way (`Store::service_points_shared`). The default
    /// lends the values of [`Conn::query_each`]'s rows (PostgreSQL).
    ///
    /// # Errors
    /// As [`Conn::query_each`].
    fn query_each_ref(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(&[ValueRef<'_>]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.query_each(sql, params, &mut |row| {
            let values: Vec<ValueRef<'_>> = row.0.iter().map(ValueRef::from).collect();
            f(&values)
        })
    }

    /// Runs statements without parameters, separated by `;` (schema scripts).
    ///
    /// # Errors
    /// As [`Conn::execute`].
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
}

impl dyn Conn + '_ {
    /// The first row of a query, if any.
    ///
    /// # Errors
    /// As [`Conn::query`].
    pub fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The first row of a query that always returns one (an aggregate).
    ///
    /// # Errors
    /// As [`Conn::query`]; [`StoreError::Corrupt`] when it returned none.
    pub fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row, StoreError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| StoreError::corrupt(format!("no row from `{sql}`")))
    }

    /// Whether a query returns any row.
    ///
    /// # Errors
    /// As [`Conn::query`].
    pub fn exists(&mut self, sql: &str, params: &[Value]) -> Result<bool, StoreError> {
        Ok(self.query_opt(sql, params)?.is_some())
    }

    /// The row-lock clause a read-then-write transaction adds to its `SELECT`: PostgreSQL
    /// runs writers concurrently (` FOR UPDATE`); SQLite has one writer at a time (empty).
    pub fn for_update(&self) -> &'static str {
        match self.engine() {
            Engine::Sqlite => "",
            Engine::Postgres => " FOR UPDATE",
        }
    }
}

/// Rewrites SQLite's numbered placeholders `?N` into PostgreSQL's `$N`, leaving string
/// literals (`'…'`), quoted identifiers (`"…"`) and comments alone.
pub fn to_postgres_placeholders(sql: &str) -> Cow<'_, str> {
    if !sql.contains('?') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    out.push(c);
                }
                '-' if chars.peek() == Some(&'-') => {
                    // a line comment runs to the end of the line
                    out.push(c);
                    for c in chars.by_ref() {
                        out.push(c);
                        if c == '\n' {
                            break;
                        }
                    }
                }
                '?' if chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
                c => out.push(c),
            },
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rewritten_outside_literals() {
        assert_eq!(
            to_postgres_placeholders(
                "SELECT '?1', \"a?2\" FROM t WHERE a = ?1 AND b IN (?2,?10) -- ?3\n AND c = ?3"
            ),
            "SELECT '?1', \"a?2\" FROM t WHERE a = $1 AND b IN ($2,$10) -- ?3\n AND c = $3"
        );
        assert!(matches!(
            to_postgres_placeholders("SELECT 1"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn rows_read_by_type() {
        let r = Row(vec![
            Value::Int(3),
            Value::Null,
            Value::Text("x".into()),
            Value::Real(1.5),
        ]);
        assert_eq!(r.get::<i64>(0).unwrap(), 3);
        assert_eq!(r.get::<f64>(0).unwrap(), 3.0);
        assert_eq!(r.get::<Option<String>>(1).unwrap(), None);
        assert_eq!(r.get::<String>(2).unwrap(), "x");
        assert_eq!(r.get::<f64>(3).unwrap(), 1.5);
        assert!(matches!(r.get::<i64>(2), Err(StoreError::Corrupt { .. })));
        assert!(matches!(
            r.get::<String>(1),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(matches!(r.get::<i64>(9), Err(StoreError::Corrupt { .. })));
    }
}
