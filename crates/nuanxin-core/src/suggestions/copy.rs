//! Copying a whole store to another, across engines (`nuanxin db copy`): SQLite →
//! PostgreSQL to move a deployment over, PostgreSQL → SQLite for a local copy.
//!
//! Every table of [`TABLES`] is copied in dependency order, in pages of rows read in key
//! order, and written with upserts (`INSERT … ON CONFLICT (key) DO UPDATE`) inside ONE
//! transaction on the destination: the copy is all or nothing, and running it again changes
//! nothing. Officer tokens are copied as stored (hashed), photos byte for byte, the salt of
//! supporter hashes (`meta`) too, so "me too" stays idempotent after the move. PostgreSQL
//! identity sequences are moved past the copied ids.
//!
//! Each table gets a row count and a checksum computed the same way on both sides from the
//! engine-neutral values ([`Value`]): SHA-256 over the SHA-256 digests of its rows, sorted
//! (so neither engine's collation matters). A row's digest covers every column, in the
//! order of [`TABLES`]' key then the remaining columns by name, each value tagged with its
//! type. Equal checksums mean equal tables.

use super::sql::{Conn, Engine, Row, Value};
use super::{Store, StoreError};
use sha2::{Digest, Sha256};

/// A table to copy: its name and primary-key columns.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// Table name.
    pub name: &'static str,
    /// Primary-key columns (the order rows are read in).
    pub key: &'static [&'static str],
    /// An identity column PostgreSQL numbers from a sequence, moved past the copied ids.
    pub identity: Option<&'static str>,
    /// Rows per page (the suggestions carry photos of up to 5 MB).
    pub page: usize,
}

/// Every table of the schema, parents before children. A test checks that no table of
/// [`super::MIGRATIONS`] is missing: a new table must be added here.
pub const TABLES: &[Table] = &[
    Table {
        name: "meta",
        key: &["key"],
        identity: None,
        page: 1000,
    },
    Table {
        name: "service_points",
        key: &["id"],
        identity: None,
        page: 1000,
    },
    Table {
        name: "campaigns",
        key: &["id"],
        identity: None,
        page: 1000,
    },
    Table {
        name: "officer_tokens",
        key: &["id"],
        identity: Some("id"),
        page: 1000,
    },
    Table {
        name: "suggestions",
        key: &["id"],
        identity: None,
        page: 100,
    },
    Table {
        name: "redactions",
        key: &["seq"],
        identity: Some("seq"),
        page: 100,
    },
    Table {
        name: "status_changes",
        key: &["seq"],
        identity: Some("seq"),
        page: 1000,
    },
    Table {
        name: "supports",
        key: &["suggestion_id", "client_hash"],
        identity: None,
        page: 1000,
    },
    Table {
        name: "audit_log",
        key: &["seq"],
        identity: Some("seq"),
        page: 1000,
    },
    // the notification outbox (`suggestions::outbox`): pending rows are delivered by the
    // destination's servers after a move
    Table {
        name: "outbox",
        key: &["seq"],
        identity: Some("seq"),
        page: 1000,
    },
    // the shared submission rate limit (`suggestions::cluster`): copied so that a move does
    // not hand every client a fresh burst
    Table {
        name: "rate_limits",
        key: &["key"],
        identity: None,
        page: 1000,
    },
];

/// What the copy did to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    /// Table name.
    pub table: &'static str,
    /// Rows in the source.
    pub source_rows: u64,
    /// Checksum of the source rows (hex SHA-256, see the module docs).
    pub source_sha256: String,
    /// Rows in the destination after the copy.
    pub destination_rows: u64,
    /// Checksum of the destination rows.
    pub destination_sha256: String,
}

impl TableCopy {
    /// Whether both sides now hold the same rows.
    pub fn matches(&self) -> bool {
        self.source_rows == self.destination_rows && self.source_sha256 == self.destination_sha256
    }
}

/// Row count and checksum of one table, accumulated row by row.
#[derive(Default)]
struct Digest256 {
    rows: Vec<[u8; 32]>,
}

impl Digest256 {
    fn add(&mut self, row: &Row) {
        let mut h = Sha256::new();
        for v in &row.0 {
            match v {
                Value::Null => h.update(b"N"),
                Value::Int(i) => h.update(format!("I{i};")),
                // the exact bits: 0.1 stays 0.1 whatever the engine printed
                Value::Real(f) => h.update(format!("R{:016x};", f.to_bits())),
                Value::Text(s) => {
                    h.update(format!("T{}:", s.len()));
                    h.update(s.as_bytes());
                }
                Value::Bytes(b) => {
                    h.update(format!("B{}:", b.len()));
                    h.update(b);
                }
            }
        }
        self.rows.push(h.finalize().into());
    }

    fn finish(mut self) -> (u64, String) {
        self.rows.sort_unstable();
        let mut h = Sha256::new();
        for r in &self.rows {
            h.update(r);
        }
        (self.rows.len() as u64, hex::encode(h.finalize()))
    }
}

/// The columns of `table`: its key, then the others by name.
fn columns(c: &mut dyn Conn, table: &Table) -> Result<Vec<String>, StoreError> {
    let sql = match c.engine() {
        Engine::Sqlite => "SELECT name FROM pragma_table_info(?1)",
        Engine::Postgres => {
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = ?1"
        }
    };
    let mut others: Vec<String> = c
        .query(sql, &[Value::Text(table.name.into())])?
        .iter()
        .map(|r| r.get::<String>(0))
        .collect::<Result<_, _>>()?;
    if others.is_empty() {
        return Err(StoreError::database(format!("no table {}", table.name)));
    }
    others.retain(|c| !table.key.contains(&c.as_str()));
    others.sort();
    let mut cols: Vec<String> = table.key.iter().map(|k| k.to_string()).collect();
    cols.extend(others);
    Ok(cols)
}

/// Reads `table` page by page in key order (keyset paging: each page starts after the last
/// key of the one before), calling `each` with every page.
fn scan(
    store: &Store,
    table: &Table,
    cols: &[String],
    mut each: impl FnMut(Vec<Row>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let k = table.key.len();
    let key_list = table.key.join(", ");
    let first = format!(
        "SELECT {} FROM {} ORDER BY {key_list} LIMIT {}",
        cols.join(", "),
        table.name,
        table.page
    );
    let marks: Vec<String> = (1..=k).map(|i| format!("?{i}")).collect();
    let next = format!(
        "SELECT {} FROM {} WHERE ({key_list}) > ({}) ORDER BY {key_list} LIMIT {}",
        cols.join(", "),
        table.name,
        marks.join(", "),
        table.page
    );
    let mut after: Option<Vec<Value>> = None;
    loop {
        let rows = store.read(|c| match &after {
            None => c.query(&first, &[]),
            Some(key) => c.query(&next, key),
        })?;
        let done = rows.len() < table.page;
        after = rows.last().map(|r| r.0[..k].to_vec());
        each(rows)?;
        if done {
            return Ok(());
        }
    }
}

/// Row count and checksum of `table` in `store`.
fn checksum(store: &Store, table: &Table) -> Result<(u64, String), StoreError> {
    let cols = store.read(|c| columns(c, table))?;
    let mut d = Digest256::default();
    scan(store, table, &cols, |rows| {
        rows.iter().for_each(|r| d.add(r));
        Ok(())
    })?;
    Ok(d.finish())
}

/// Copies every table of `from` into `to` (see the module docs) in one transaction of
/// `to`, then checksums both sides. Returns one [`TableCopy`] per table of [`TABLES`].
/// With `replace`, every table of `to` is emptied first (in the same transaction);
/// without it, rows of `to` that `from` lacks are kept (and show as a checksum difference).
///
/// # Errors
/// [`StoreError`] from either side (nothing is written then); [`StoreError::Database`]
/// when the two schemas differ (a table's columns).
pub fn copy_store(from: &Store, to: &Store, replace: bool) -> Result<Vec<TableCopy>, StoreError> {
    let (vf, vt) = (from.schema_version()?, to.schema_version()?);
    if vf != vt {
        return Err(StoreError::database(format!(
            "schema versions differ: source {vf}, destination {vt}"
        )));
    }
    to.write(|dst| {
        if replace {
            // children first
            for table in TABLES.iter().rev() {
                dst.execute(&format!("DELETE FROM {}", table.name), &[])?;
            }
        }
        for table in TABLES {
            let cols = from.read(|c| columns(c, table))?;
            let mut dst_cols = columns(dst, table)?;
            let mut src_sorted = cols.clone();
            src_sorted.sort();
            dst_cols.sort();
            if src_sorted != dst_cols {
                return Err(StoreError::database(format!(
                    "table {}: source columns {src_sorted:?}, destination columns {dst_cols:?}",
                    table.name
                )));
            }
            let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
            let set: Vec<String> = cols
                .iter()
                .filter(|c| !table.key.contains(&c.as_str()))
                .map(|c| format!("{c} = excluded.{c}"))
                .collect();
            let upsert = format!(
                "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}",
                table.name,
                cols.join(", "),
                marks.join(", "),
                table.key.join(", "),
                set.join(", ")
            );
            scan(from, table, &cols, |rows| {
                for r in rows {
                    dst.execute(&upsert, &r.0)?;
                }
                Ok(())
            })?;
            if let (Engine::Postgres, Some(col)) = (dst.engine(), table.identity) {
                dst.query(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{t}', '{col}'), max({col})) \
                         FROM {t} HAVING max({col}) IS NOT NULL",
                        t = table.name
                    ),
                    &[],
                )?;
            }
        }
        Ok(())
    })?;
    TABLES
        .iter()
        .map(|t| {
            let (source_rows, source_sha256) = checksum(from, t)?;
            let (destination_rows, destination_sha256) = checksum(to, t)?;
            Ok(TableCopy {
                table: t.name,
                source_rows,
                source_sha256,
                destination_rows,
                destination_sha256,
            })
        })
        .collect()
}

/// Row count and checksum of every table of [`TABLES`] in `store` (as [`copy_store`]
/// prints them), to compare two stores without copying.
///
/// # Errors
/// [`StoreError`].
pub fn checksums(store: &Store) -> Result<Vec<(&'static str, u64, String)>, StoreError> {
    TABLES
        .iter()
        .map(|t| checksum(store, t).map(|(n, h)| (t.name, n, h)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table the migrations create is copied (a new table must join [`TABLES`]).
    #[test]
    fn every_table_is_copied() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        let mut tables: Vec<String> = s
            .read(|c| {
                c.query(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'suggestions_open_rtree%'",
                    &[],
                )
            })
            .unwrap()
            .iter()
            .map(|r| r.get(0).unwrap())
            .collect();
        tables.sort();
        let mut listed: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        listed.sort();
        assert_eq!(tables, listed);
    }

    /// The checksum covers types and exact values, and not the order rows came in.
    #[test]
    fn checksum_is_order_free_and_exact() {
        let rows = [
            Row(vec![Value::Int(1), Value::Real(0.1), Value::Null]),
            Row(vec![
                Value::Int(2),
                Value::Text("1".into()),
                Value::Bytes(vec![0, 1]),
            ]),
        ];
        let sum = |rs: &[&Row]| {
            let mut d = Digest256::default();
            rs.iter().for_each(|r| d.add(r));
            d.finish()
        };
        let a = sum(&[&rows[0], &rows[1]]);
        assert_eq!(a, sum(&[&rows[1], &rows[0]]));
        assert_eq!(a.0, 2);
        // text "1" is not integer 1; 0.1 is not the nearest float32
        let b = Row(vec![Value::Int(2), Value::Int(1), Value::Bytes(vec![0, 1])]);
        assert_ne!(a, sum(&[&rows[0], &b]));
        let c = Row(vec![Value::Int(1), Value::Real(0.1f32 as f64), Value::Null]);
        assert_ne!(a, sum(&[&c, &rows[1]]));
        // SHA-256 of nothing: e3b0c442… (FIPS 180-4 test vector)
        assert!(sum(&[]).1.starts_with("e3b0c442"));
    }
}
