//! The store's service points: the edited points kept in the database (records and JSON),
//! read back at start-up. Part of [`super`] (the store); shares its imports and helpers.

use super::*;
use crate::suggestions::sql::ValueRef;
use std::sync::Arc;

impl Store {
    // ---------------------------------------------------------------- service points

    /// Every stored service point, sorted by id.
    ///
    /// # Errors
    /// [`StoreError`]; [`StoreError::Corrupt`] names the first undecodable record.
    ///
    /// Read as [`Store::service_points_shared`] reads them, each point then moved out of
    /// its `Arc`.
    pub fn service_points(&self) -> Result<Vec<ServicePoint>, StoreError> {
        self.service_points_from(PointColumn::Record, |p| p)
    }

    /// Every stored service point, sorted by id, each in the `Arc` the index shares it
    /// through ([`crate::index::ServiceIndex::from_shared`]): what a server reads at
    /// start-up.
    ///
    /// # Errors
    /// [`StoreError`]; [`StoreError::Corrupt`] names the first undecodable record.
    ///
    /// The rows are streamed with their values borrowed ([`Conn::query_each_ref`]: no copy
    /// per row), and reading overlaps decoding: this thread steps through the rows and
    /// copies each binary record ([`ServicePoint::to_record`]) into a batch of 1 024
    /// rows; a second thread decodes the batches as they arrive and
    /// hands their buffers back. Memory holds the points and a few batches, never the rows.
    /// A row without a record (written by an older version) is decoded from its JSON text.
    /// Figures (1M points): docs/benchmarks.md, "Nationwide volumes", and `examples/restart_load.rs`.
    pub fn service_points_shared(&self) -> Result<Vec<Arc<ServicePoint>>, StoreError> {
        self.service_points_from(PointColumn::Record, Arc::new)
    }

    /// [`Store::service_points`] decoded from the JSON texts only: the baseline of the
    /// restart benchmark (`examples/restart_load.rs`).
    ///
    /// # Errors
    /// As [`Store::service_points`].
    #[doc(hidden)]
    pub fn service_points_from_json(&self) -> Result<Vec<ServicePoint>, StoreError> {
        self.service_points_from(PointColumn::Json, |p| p)
    }

    fn service_points_from<T: Send>(
        &self,
        column: PointColumn,
        wrap: fn(ServicePoint) -> T,
    ) -> Result<Vec<T>, StoreError> {
        let sql = match column {
            PointColumn::Record => {
                "SELECT id, record, CASE WHEN record IS NULL THEN json END \
                 FROM service_points ORDER BY id"
            }
            PointColumn::Json => "SELECT id, NULL, json FROM service_points ORDER BY id",
        };
        self.read(|c| {
            let n: i64 = c
                .query_one("SELECT count(*) FROM service_points", &[])?
                .get(0)?;
            let n = usize::try_from(n).unwrap_or(0);
            std::thread::scope(|scope| {
                let (full, full_rx) = std::sync::mpsc::sync_channel::<RowBatch>(BATCHES_IN_FLIGHT);
                let (empty_tx, empty) = std::sync::mpsc::channel::<RowBatch>();
                let decoder = std::thread::Builder::new()
                    .name("point-decoder".into())
                    .spawn_scoped(scope, move || {
                        let mut points = Vec::with_capacity(n);
                        for mut batch in full_rx {
                            batch.decode_into(&mut points, wrap)?;
                            batch.clear();
                            // The reader may have finished: then the buffer is dropped.
                            let _ = empty_tx.send(batch);
                        }
                        Ok::<_, StoreError>(points)
                    })
                    .map_err(|e| {
                        StoreError::database("starting the service-point decoder").caused_by(e)
                    })?;
                let mut batch = RowBatch::default();
                let read = c.query_each_ref(sql, &[], &mut |row| {
                    batch.push(row)?;
                    if batch.len() >= READ_BATCH_ROWS {
                        let next = empty.try_recv().unwrap_or_default();
                        // A closed channel means the decoder stopped at a bad record: its
                        // error is the one reported.
                        full.send(std::mem::replace(&mut batch, next))
                            .map_err(|_| StoreError::corrupt("service point decoder stopped"))?;
                    }
                    Ok(())
                });
                if read.is_ok() && batch.len() > 0 {
                    // As above: a decoder that stopped reports its own error.
                    let _ = full.send(batch);
                }
                drop(full);
                let decoded = decoder
                    .join()
                    .map_err(|_| StoreError::database("the service-point decoder failed"))?;
                let points = decoded?;
                read?;
                Ok(points)
            })
        })
    }

    /// Stores `points` as the service points, replacing all (used to seed an empty database
    /// at start). One transaction.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn replace_service_points(&self, points: &[ServicePoint]) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute("DELETE FROM service_points", &[])?;
            notify_all_points(c)?;
            put_points(c, points, Utc::now()).map(|_| ())
        })
    }

    /// Inserts or replaces many service points (an import) in one transaction, with one
    /// prepared statement and one audit entry (`points.import`, the counts) for the batch:
    /// all or nothing, and durable once it returns (one WAL sync instead of one per point).
    /// Returns how many ids existed before.
    ///
    /// # Errors
    /// [`StoreError`]; nothing is stored then.
    pub fn upsert_service_points(
        &self,
        points: &[ServicePoint],
        actor: Option<&Officer>,
    ) -> Result<usize, StoreError> {
        self.import_points(&[], points, actor)
            .map(|(_, replaced)| replaced)
    }

    /// Replaces every stored point of the given `kinds` (demo or not) by `points`, in one
    /// transaction with one audit entry (`points.replace`, kinds and counts): the import of a
    /// complete list, after which no old point of those kinds is served. Points of other
    /// kinds are kept. Returns how many points were removed.
    ///
    /// # Errors
    /// [`StoreError`]; nothing changes then.
    pub fn replace_service_points_of_kinds(
        &self,
        kinds: &[crate::model::ServiceKind],
        points: &[ServicePoint],
        actor: Option<&Officer>,
    ) -> Result<usize, StoreError> {
        self.import_points(kinds, points, actor)
            .map(|(removed, _)| removed)
    }

    /// One transaction: removes the points of `remove_kinds`, puts `points`, audits
    /// (`points.import`, or `points.replace` when kinds are removed). Returns (removed,
    /// replaced ids).
    fn import_points(
        &self,
        remove_kinds: &[crate::model::ServiceKind],
        points: &[ServicePoint],
        actor: Option<&Officer>,
    ) -> Result<(usize, usize), StoreError> {
        let mode = PointImportMode {
            remove_kinds: remove_kinds.to_vec(),
            remove_kinds_seen: false,
        };
        let ((), counts) =
            self.import_points_streamed(mode, actor, |put| points.iter().try_for_each(put))?;
        Ok((counts.removed, counts.replaced))
    }

    /// An import as a stream, in ONE transaction: `produce` is given a function that
    /// stores one point (insert or replace by id, one prepared statement) and calls it for
    /// each point as it is read; the transaction commits, durably, only when `produce`
    /// returns `Ok` (then one audit entry, `points.import` or `points.replace` with the
    /// counts), and rolls back when it returns `Err` (a rejected file stores nothing).
    /// Memory holds no list of the points.
    ///
    /// `mode` says which stored points the import replaces as a whole: those of
    /// `remove_kinds`, removed first, and with `remove_kinds_seen` those of every kind the
    /// stream holds, each removed when its first point arrives (before it is stored).
    ///
    /// # Errors
    /// [`StoreError`] (converted into `E`), or `produce`'s error; nothing is stored then.
    pub fn import_points_streamed<T, E: From<StoreError>>(
        &self,
        mode: PointImportMode,
        actor: Option<&Officer>,
        produce: impl FnOnce(&mut dyn FnMut(&ServicePoint) -> Result<(), StoreError>) -> Result<T, E>,
    ) -> Result<(T, PointImportCounts), E> {
        self.write(|c| {
            let mut w = PointWriter {
                now: Utc::now(),
                counts: PointImportCounts::default(),
                removed_kinds: Vec::new(),
                remove_kinds_seen: mode.remove_kinds_seen,
                notify_ids: Vec::new(),
            };
            for k in &mode.remove_kinds {
                w.remove_kind(c, *k)?;
            }
            let out = produce(&mut |p| w.put(c, p))?;
            if w.counts.removed > 0 || w.notify_ids.len() > crate::suggestions::cluster::MAX_NOTIFIED_IDS {
                notify_all_points(c)?;
            } else {
                notify_points(c, w.notify_ids.iter().map(String::as_str))?;
            }
            let counts = w.counts;
            let (action, detail) = if w.removed_kinds.is_empty() {
                let d = serde_json::json!({ "points": counts.stored, "replaced": counts.replaced });
                ("points.import", d)
            } else {
                let kinds: Vec<&str> = w.removed_kinds.iter().map(|k| k.as_str()).collect();
                let d = serde_json::json!({ "kinds": kinds, "removed": counts.removed, "points": counts.stored });
                ("points.replace", d)
            };
            audit_tx(c, w.now, actor, action, "", &detail.to_string())?;
            Ok((out, counts))
        })
    }

    /// Inserts or replaces one service point and writes an audit entry, in one transaction.
    /// Returns true when a point with that id existed.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn upsert_service_point(
        &self,
        point: &ServicePoint,
        actor: Option<&Officer>,
    ) -> Result<bool, StoreError> {
        let json = serde_json::to_string(point)
            .map_err(|e| StoreError::corrupt(format!("service point {}", point.id)).caused_by(e))?;
        self.write(|c| {
            let now = Utc::now();
            let existed = put_points(c, std::slice::from_ref(point), now)? > 0;
            audit_tx(c, now, actor, "point.upsert", &point.id, &json)?;
            Ok(existed)
        })
    }

    /// Deletes one service point (with an audit entry). Returns true if it existed.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn delete_service_point(
        &self,
        id: &str,
        actor: Option<&Officer>,
    ) -> Result<bool, StoreError> {
        self.write(|c| {
            let n = c.execute("DELETE FROM service_points WHERE id = ?1", &args![id])?;
            if n > 0 {
                notify_points(c, [id].into_iter())?;
                audit_tx(c, Utc::now(), actor, "point.delete", id, "{}")?;
            }
            Ok(n > 0)
        })
    }

    /// One stored service point.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn service_point(&self, id: &str) -> Result<Option<ServicePoint>, StoreError> {
        let row = self.read(|c| {
            c.query_opt(
                "SELECT id, record, CASE WHEN record IS NULL THEN json END \
                 FROM service_points WHERE id = ?1",
                &args![id],
            )
        })?;
        row.map(decode_point_row).transpose()
    }
}

/// Rows per batch handed from the reading thread to the decoding one
/// ([`Store::service_points_shared`]): about 200 KB of records, large enough that the
/// hand-over costs nothing, small enough to stay in the cache.
const READ_BATCH_ROWS: usize = 1024;

/// Batches filled ahead of the decoder before the reader waits.
const BATCHES_IN_FLIGHT: usize = 4;

/// How a row of a [`RowBatch`] is encoded.
#[derive(Debug, Clone, Copy)]
enum Encoded {
    /// A binary record ([`ServicePoint::from_record`]).
    Record,
    /// A JSON text (rows written before the records existed).
    Json,
}

/// Rows copied out of the database for the decoding thread: each row's id and encoded
/// point, back to back in one buffer (reused from batch to batch).
#[derive(Debug, Default)]
struct RowBatch {
    bytes: Vec<u8>,
    /// Per row: where its id ends and its encoded point ends in `bytes` (each starts where
    /// the previous part ended), and the encoding.
    rows: Vec<(usize, usize, Encoded)>,
}

impl RowBatch {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.rows.clear();
    }

    /// Copies an `(id, record, json)` row.
    fn push(&mut self, row: &[ValueRef<'_>]) -> Result<(), StoreError> {
        let (id, encoded, how) = match row {
            [ValueRef::Text(id), ValueRef::Bytes(record), _] => (*id, *record, Encoded::Record),
            [ValueRef::Text(id), ValueRef::Null, ValueRef::Text(json)] => {
                (*id, json.as_bytes(), Encoded::Json)
            }
            other => {
                return Err(StoreError::corrupt(format!(
                    "service point row: expected (id, record or json), found {other:?}"
                )))
            }
        };
        self.bytes.extend_from_slice(id.as_bytes());
        let id_end = self.bytes.len();
        self.bytes.extend_from_slice(encoded);
        self.rows.push((id_end, self.bytes.len(), how));
        Ok(())
    }

    /// Decodes every row, in order, onto `out`.
    fn decode_into<T>(
        &self,
        out: &mut Vec<T>,
        wrap: fn(ServicePoint) -> T,
    ) -> Result<(), StoreError> {
        let mut start = 0;
        for &(id_end, end, how) in &self.rows {
            let encoded = &self.bytes[id_end..end];
            let point = match how {
                Encoded::Record => ServicePoint::from_record(encoded).map_err(|e| {
                    let id = String::from_utf8_lossy(&self.bytes[start..id_end]);
                    StoreError::corrupt(format!("service point {id}")).caused_by(e)
                }),
                Encoded::Json => serde_json::from_slice(encoded).map_err(|e| {
                    let id = String::from_utf8_lossy(&self.bytes[start..id_end]);
                    StoreError::corrupt(format!("service point {id}")).caused_by(e)
                }),
            }?;
            out.push(wrap(point));
            start = end;
        }
        Ok(())
    }
}

/// Which column [`Store::service_points_from`] decodes.
#[derive(Debug, Clone, Copy)]
enum PointColumn {
    /// The binary record (the JSON text when a row has none).
    Record,
    /// The JSON text (the benchmark's baseline).
    Json,
}

/// Decodes an `(id, record, json)` row: the binary record, or the JSON text when the record
/// is NULL.
fn decode_point_row(Row(values): Row) -> Result<ServicePoint, StoreError> {
    let mut values = values.into_iter();
    match (values.next(), values.next(), values.next()) {
        (Some(Value::Text(id)), Some(Value::Bytes(record)), _) => {
            ServicePoint::from_record(&record)
                .map_err(|e| StoreError::corrupt(format!("service point {id}")).caused_by(e))
        }
        (Some(Value::Text(id)), Some(Value::Null), Some(Value::Text(json))) => {
            serde_json::from_str(&json)
                .map_err(|e| StoreError::corrupt(format!("service point {id}")).caused_by(e))
        }
        other => Err(StoreError::corrupt(format!(
            "service point row: expected (id, record or json), found {other:?}"
        ))),
    }
}

/// Which stored points an import replaces as a whole ([`Store::import_points_streamed`]).
#[derive(Debug, Clone, Default)]
pub struct PointImportMode {
    /// Kinds whose stored points are all removed first.
    pub remove_kinds: Vec<crate::model::ServiceKind>,
    /// Also remove every stored point of each kind the import holds, when its first point
    /// arrives (`nuanxin import --replace`: the file is the complete list of its kinds).
    pub remove_kinds_seen: bool,
}

/// What an import stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PointImportCounts {
    /// Points stored.
    pub stored: usize,
    /// Of those, how many replaced a stored point with the same id (after the removals).
    pub replaced: usize,
    /// Stored points removed because their kind was replaced as a whole.
    pub removed: usize,
}

/// The state of one import inside its transaction.
struct PointWriter {
    now: DateTime<Utc>,
    counts: PointImportCounts,
    /// Kinds removed so far (each once).
    removed_kinds: Vec<crate::model::ServiceKind>,
    remove_kinds_seen: bool,
    /// Ids to announce to other servers (at most one past the limit is kept: then all).
    notify_ids: Vec<String>,
}

impl PointWriter {
    fn remove_kind(
        &mut self,
        c: &mut dyn Conn,
        kind: crate::model::ServiceKind,
    ) -> Result<(), StoreError> {
        if self.removed_kinds.contains(&kind) {
            return Ok(());
        }
        self.removed_kinds.push(kind);
        // `kind` is set on every row written since schema version 5; older rows not yet
        // converted (`fill_point_records`) are matched by their JSON.
        let delete = match c.engine() {
            Engine::Sqlite => {
                "DELETE FROM service_points WHERE kind = ?1 \
                 OR (kind IS NULL AND json_extract(json, '$.kind') = ?1)"
            }
            Engine::Postgres => {
                "DELETE FROM service_points WHERE kind = ?1 \
                 OR (kind IS NULL AND (json::jsonb ->> 'kind') = ?1)"
            }
        };
        self.counts.removed += c.execute(delete, &args![kind.as_str()])? as usize;
        Ok(())
    }

    fn put(&mut self, c: &mut dyn Conn, p: &ServicePoint) -> Result<(), StoreError> {
        if self.remove_kinds_seen {
            self.remove_kind(c, p.kind)?;
        }
        let json = serde_json::to_string(p)
            .map_err(|e| StoreError::corrupt(format!("service point {}", p.id)).caused_by(e))?;
        self.counts.replaced +=
            usize::from(c.exists("SELECT 1 FROM service_points WHERE id = ?1", &args![&p.id])?);
        c.execute(
            "INSERT INTO service_points (id, json, updated_at, kind, lon, lat, record) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (id) DO UPDATE SET json = excluded.json, \
             updated_at = excluded.updated_at, kind = excluded.kind, lon = excluded.lon, \
             lat = excluded.lat, record = excluded.record",
            &args![
                &p.id,
                json,
                ms(self.now),
                p.kind.as_str(),
                p.location.lon,
                p.location.lat,
                p.to_record()
            ],
        )?;
        self.counts.stored += 1;
        if self.notify_ids.len() <= crate::suggestions::cluster::MAX_NOTIFIED_IDS {
            self.notify_ids.push(p.id.clone());
        }
        Ok(())
    }
}

/// Inserts or replaces `points` within the transaction of `c`; returns how many ids existed
/// before.
fn put_points(
    c: &mut dyn Conn,
    points: &[ServicePoint],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut w = PointWriter {
        now,
        counts: PointImportCounts::default(),
        removed_kinds: Vec::new(),
        remove_kinds_seen: false,
        notify_ids: Vec::new(),
    };
    for p in points {
        w.put(c, p)?;
    }
    notify_points(c, points.iter().map(|p| p.id.as_str()))?;
    Ok(w.counts.replaced)
}
