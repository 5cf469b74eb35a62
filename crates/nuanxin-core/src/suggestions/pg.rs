//! The PostgreSQL engine of the store (`tokio-postgres`, no TLS).
//!
//! The store's API is synchronous (the server calls it from `spawn_blocking`, the command
//! line from `main`), while the driver is asynchronous. The driver therefore runs on a
//! private one-thread tokio runtime owned by this module; a call sends its future there
//! and waits on a channel. That works from any thread, inside a tokio runtime or not, and
//! never blocks an async worker of the server on the network for longer than the query.
//!
//! Connections: a small pool (at most [`MAX_CONNECTIONS`] per process) of sessions, each
//! with its prepared statements cached. A session whose connection broke is dropped; the
//! next call opens a new one, so the store reconnects by itself after a restart or a
//! failover of the server (the caller sees [`StoreError::Unavailable`] meanwhile).
//!
//! Durability: every session runs with `synchronous_commit = on`, so a `COMMIT` that
//! returned has been flushed to the WAL (and to the synchronous standbys named in
//! `synchronous_standby_names`) — PostgreSQL docs, "synchronous_commit".
//!
//! Migrations: recorded in table `schema_migrations` (version, applied_at in ms), applied
//! while holding a session-level advisory lock ([`MIGRATION_LOCK`]) so that servers started
//! together apply each script once.
//!
//! Why this file is long: the PostgreSQL engine in one place: the bridge from the synchronous
//! store to the async driver, the session pool, error classification, migrations under an
//! advisory lock.

use super::sql::{to_postgres_placeholders, Conn, Engine, Row, Value};
use super::store::Migration;
use super::StoreError;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Config, NoTls, Statement};

/// Most connections one process opens to the server.
pub const MAX_CONNECTIONS: usize = 16;

/// How long a call waits for a free connection when all are busy before it gives up with
/// [`StoreError::Unavailable`].
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(30);

/// Connect timeout used when the URL sets none (`connect_timeout=…` overrides it).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Most prepared statements a session keeps; past it the cache starts again (list queries
/// build one statement per combination of filters).
const MAX_STATEMENTS: usize = 256;

/// Key of the advisory lock held while migrating (ASCII "nuanxin" as an integer).
pub const MIGRATION_LOCK: i64 = 0x006e_7561_6e78_696e;

/// The private runtime the driver runs on (one worker thread, started on first use).
fn runtime() -> Result<&'static tokio::runtime::Runtime, StoreError> {
    static RT: OnceLock<Result<tokio::runtime::Runtime, Arc<std::io::Error>>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("nuanxin-postgres")
            .enable_all()
            .build()
            .map_err(Arc::new)
    })
    .as_ref()
    .map_err(|e| {
        StoreError::database("cannot start the PostgreSQL driver").caused_by(Arc::clone(e))
    })
}

/// Runs `fut` on the driver's runtime and waits for its output.
pub(crate) fn block_on<T: Send + 'static>(
    fut: impl Future<Output = T> + Send + 'static,
) -> Result<T, StoreError> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime()?.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv()
        .map_err(|e| StoreError::database("the PostgreSQL driver task failed").caused_by(e))
}

/// Classifies a driver error: a lost, refused or timed-out connection, a server shutting
/// down or a read-only server (a standby after failover) is [`StoreError::Unavailable`];
/// a constraint violation (SQLSTATE class 23) is [`StoreError::Constraint`]; data
/// corruption (XX001, XX002) is [`StoreError::Corrupt`]; anything else
/// [`StoreError::Database`]. The context names the SQLSTATE; the driver's error (the
/// server's text, detail and constraint) is the source.
pub(crate) fn classify(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let kind = match code {
            c if c.starts_with("08") => StoreError::unavailable,
            "57P01" | "57P02" | "57P03" | "53300" | "25006" => StoreError::unavailable,
            c if c.starts_with("23") => StoreError::constraint,
            "XX001" | "XX002" => StoreError::corrupt,
            _ => StoreError::database,
        };
        return kind(format!("PostgreSQL {code}")).caused_by(e);
    }
    let io = std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
    let shown = e.to_string();
    let kind = if e.is_closed()
        || io
        || shown.starts_with("error connecting")
        || shown.starts_with("timeout")
        || shown.starts_with("error communicating")
    {
        StoreError::unavailable
    } else {
        StoreError::database
    };
    kind("PostgreSQL").caused_by(e)
}

/// `postgres://user@host:port/dbname` of `config`, without the password (for messages).
pub fn describe(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(h, p)| match h {
            tokio_postgres::config::Host::Tcp(h) => format!("{h}:{p}"),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(d) => format!("{}:{p}", d.display()),
        })
        .collect();
    format!(
        "postgres://{}@{}/{}",
        config.get_user().unwrap_or(""),
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

/// Parses a `postgres://` / `postgresql://` URL (or a `key=value` connection string).
///
/// # Errors
/// [`StoreError::Database`] naming what is wrong (never the password).
pub fn parse_url(url: &str) -> Result<Config, StoreError> {
    url.parse::<Config>().map_err(|e| {
        StoreError::database(
            "invalid PostgreSQL URL; expected postgres://user[:password]@host[:port]/database",
        )
        .caused_by(e)
    })
}

/// Opens one connection with the session settings of the store.
fn connect(config: &Config) -> Result<Arc<Client>, StoreError> {
    let mut config = config.clone();
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("nuanxin");
    }
    // a server that vanished without closing the connection (a crashed machine) is noticed
    // after about 25 s instead of the kernel's 2 h, unless the URL says otherwise
    if config.get_keepalives() && config.get_keepalives_idle() == Duration::from_secs(7200) {
        config.keepalives_idle(Duration::from_secs(10));
        if config.get_keepalives_interval().is_none() {
            config.keepalives_interval(Duration::from_secs(5));
        }
        if config.get_keepalives_retries().is_none() {
            config.keepalives_retries(3);
        }
    }
    let r = block_on(async move {
        let (client, connection) = config.connect(NoTls).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        // a 201 means committed and flushed (and replicated to synchronous standbys)
        client
            .batch_execute("SET synchronous_commit = on; SET TIME ZONE 'UTC'")
            .await?;
        Ok::<_, tokio_postgres::Error>(client)
    })?;
    r.map(Arc::new).map_err(classify)
}

/// One pooled connection with its prepared statements.
pub(crate) struct Session {
    client: Arc<Client>,
    statements: HashMap<String, Statement>,
    /// Set when the connection failed; the session is dropped instead of reused.
    broken: bool,
}

impl Session {
    fn fail(&mut self, e: tokio_postgres::Error) -> StoreError {
        let err = classify(e);
        if matches!(err, StoreError::Unavailable { .. }) || self.client.is_closed() {
            self.broken = true;
        }
        err
    }

    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let text = to_postgres_placeholders(sql).into_owned();
        let client = self.client.clone();
        let st = block_on(async move { client.prepare(&text).await })?.map_err(|e| self.fail(e))?;
        if self.statements.len() >= MAX_STATEMENTS {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), st.clone());
        Ok(st)
    }

    fn params(
        st: &Statement,
        params: &[Value],
    ) -> Result<Vec<Box<dyn ToSql + Sync + Send>>, StoreError> {
        if st.params().len() != params.len() {
            return Err(StoreError::database(format!(
                "the statement takes {} parameters, {} given",
                st.params().len(),
                params.len()
            )));
        }
        params
            .iter()
            .zip(st.params())
            .enumerate()
            .map(|(i, (v, ty))| {
                to_param(v, ty).ok_or_else(|| {
                    StoreError::database(format!(
                        "parameter {} ({v:?}) does not fit PostgreSQL type {ty}",
                        i + 1
                    ))
                })
            })
            .collect()
    }
}

/// `v` as a parameter of PostgreSQL type `ty`; `None` when it does not fit.
fn to_param(v: &Value, ty: &Type) -> Option<Box<dyn ToSql + Sync + Send>> {
    let text_like = <String as ToSql>::accepts(ty);
    Some(match v {
        Value::Null => {
            if *ty == Type::INT2 {
                Box::new(None::<i16>)
            } else if *ty == Type::INT4 {
                Box::new(None::<i32>)
            } else if *ty == Type::INT8 {
                Box::new(None::<i64>)
            } else if *ty == Type::FLOAT4 {
                Box::new(None::<f32>)
            } else if *ty == Type::FLOAT8 {
                Box::new(None::<f64>)
            } else if *ty == Type::BYTEA {
                Box::new(None::<Vec<u8>>)
            } else if *ty == Type::BOOL {
                Box::new(None::<bool>)
            } else if text_like {
                Box::new(None::<String>)
            } else {
                return None;
            }
        }
        Value::Int(i) => {
            if *ty == Type::INT8 {
                Box::new(*i)
            } else if *ty == Type::INT4 {
                Box::new(i32::try_from(*i).ok()?)
            } else if *ty == Type::INT2 {
                Box::new(i16::try_from(*i).ok()?)
            } else if *ty == Type::FLOAT8 {
                Box::new(*i as f64)
            } else if *ty == Type::BOOL {
                Box::new(*i != 0)
            } else {
                return None;
            }
        }
        Value::Real(f) => {
            if *ty == Type::FLOAT8 {
                Box::new(*f)
            } else if *ty == Type::FLOAT4 {
                Box::new(*f as f32)
            } else {
                return None;
            }
        }
        Value::Text(s) if text_like => Box::new(s.clone()),
        Value::Bytes(b) if *ty == Type::BYTEA => Box::new(b.clone()),
        Value::Text(_) | Value::Bytes(_) => return None,
    })
}

/// Column `i` of `row` as a [`Value`].
fn from_column(row: &tokio_postgres::Row, i: usize) -> Result<Value, tokio_postgres::Error> {
    let ty = row.columns()[i].type_();
    let v = if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)?.map(Value::Int)
    } else if *ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)?
            .map(|v| Value::Int(v.into()))
    } else if *ty == Type::INT2 {
        row.try_get::<_, Option<i16>>(i)?
            .map(|v| Value::Int(v.into()))
    } else if *ty == Type::BOOL {
        row.try_get::<_, Option<bool>>(i)?
            .map(|v| Value::Int(v.into()))
    } else if *ty == Type::FLOAT8 {
        row.try_get::<_, Option<f64>>(i)?.map(Value::Real)
    } else if *ty == Type::FLOAT4 {
        row.try_get::<_, Option<f32>>(i)?
            .map(|v| Value::Real(v.into()))
    } else if *ty == Type::BYTEA {
        row.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Bytes)
    } else {
        // text, varchar, name…; any other type fails here with the driver's message
        row.try_get::<_, Option<String>>(i)?.map(Value::Text)
    };
    Ok(v.unwrap_or(Value::Null))
}

impl Conn for Session {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let st = self.statement(sql)?;
        let params = Self::params(&st, params)?;
        let client = self.client.clone();
        block_on(async move {
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            client.execute(&st, &refs).await
        })?
        .map_err(|e| self.fail(e))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let st = self.statement(sql)?;
        let params = Self::params(&st, params)?;
        let client = self.client.clone();
        let rows = block_on(async move {
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            client.query(&st, &refs).await
        })?
        .map_err(|e| self.fail(e))?;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| from_column(r, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row)
                    .map_err(|e| StoreError::corrupt("PostgreSQL").caused_by(e))
            })
            .collect()
    }

    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        use futures_util::StreamExt;
        /// Rows converted ahead of the caller (the driver task waits when it is full).
        const BUFFERED_ROWS: usize = 1024;
        let st = self.statement(sql)?;
        let params = Self::params(&st, params)?;
        let client = self.client.clone();
        let (tx, rx) = std::sync::mpsc::sync_channel(BUFFERED_ROWS);
        runtime()?.spawn(async move {
            let stream = match client
                .query_raw(
                    &st,
                    params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)),
                )
                .await
            {
                Ok(s) => s,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            let mut stream = std::pin::pin!(stream);
            while let Some(r) = stream.next().await {
                let row = r.and_then(|r| {
                    (0..r.len())
                        .map(|i| from_column(&r, i))
                        .collect::<Result<Vec<_>, _>>()
                        .map(Row)
                });
                let failed = row.is_err();
                // Never block the driver's one thread on a slow caller (other sessions
                // share it): wait asynchronously while the buffer is full. A caller that
                // stopped early dropped the receiver: stop reading then.
                let mut item = row;
                loop {
                    match tx.try_send(item) {
                        Ok(()) => break,
                        Err(std::sync::mpsc::TrySendError::Full(back)) => {
                            item = back;
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                        Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return,
                    }
                }
                if failed {
                    return;
                }
            }
        });
        for r in rx {
            let row = r.map_err(|e| self.fail(e))?;
            f(row)?;
        }
        Ok(())
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        let client = self.client.clone();
        let sql = sql.to_string();
        block_on(async move { client.batch_execute(&sql).await })?.map_err(|e| self.fail(e))
    }
}

/// A session checked out of the pool: back to it when dropped, unless it broke (or a panic
/// unwinds through it, leaving a transaction in an unknown state).
struct Lease<'a> {
    pool: &'a Postgres,
    session: Option<Session>,
}

impl std::ops::Deref for Lease<'_> {
    type Target = Session;
    fn deref(&self) -> &Session {
        match &self.session {
            Some(session) => session,
            // Set when the lease is made; only `drop` takes it.
            None => unreachable!("a lease holds its session until dropped"),
        }
    }
}

impl std::ops::DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut Session {
        match &mut self.session {
            Some(session) => session,
            // Set when the lease is made; only `drop` takes it.
            None => unreachable!("a lease holds its session until dropped"),
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(mut s) = self.session.take() {
            if std::thread::panicking() {
                s.broken = true;
            }
            self.pool.checkin(s);
        }
    }
}

struct PoolState {
    idle: Vec<Session>,
    /// Sessions open (idle or checked out).
    open: usize,
}

/// A PostgreSQL database: its connection settings and the pool of sessions.
pub(crate) struct Postgres {
    config: Config,
    state: Mutex<PoolState>,
    freed: Condvar,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("database", &describe(&self.config))
            .finish()
    }
}

impl Postgres {
    /// Connects to the database of `config` and applies the missing migrations.
    pub(crate) fn open(config: Config, migrations: &[Migration]) -> Result<Self, StoreError> {
        let pg = Postgres {
            config,
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        };
        pg.migrate(migrations).map_err(|e| pg.naming(e))?;
        Ok(pg)
    }

    /// `e` with the database (without password) named in its message, once.
    fn naming(&self, e: StoreError) -> StoreError {
        let db = describe(&self.config);
        e.map_context(|m| {
            if m.starts_with(&db) {
                m
            } else {
                format!("{db}: {m}")
            }
        })
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An idle session, a new one, or (all [`MAX_CONNECTIONS`] busy) the next one freed;
    /// returned to the pool when the lease is dropped.
    fn checkout(&self) -> Result<Lease<'_>, StoreError> {
        self.take().map(|s| Lease {
            pool: self,
            session: Some(s),
        })
    }

    fn take(&self) -> Result<Session, StoreError> {
        let deadline = std::time::Instant::now() + CHECKOUT_TIMEOUT;
        let mut st = self.lock();
        loop {
            while let Some(s) = st.idle.pop() {
                if !s.client.is_closed() {
                    return Ok(s);
                }
                st.open -= 1;
            }
            if st.open < MAX_CONNECTIONS {
                st.open += 1;
                drop(st);
                return match connect(&self.config) {
                    Ok(client) => Ok(Session {
                        client,
                        statements: HashMap::new(),
                        broken: false,
                    }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.freed.notify_one();
                        Err(self.naming(e))
                    }
                };
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return Err(StoreError::unavailable(format!(
                    "{}: all {MAX_CONNECTIONS} connections busy for {} s",
                    describe(&self.config),
                    CHECKOUT_TIMEOUT.as_secs()
                )));
            }
            st = self
                .freed
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn checkin(&self, s: Session) {
        let mut st = self.lock();
        if s.broken || s.client.is_closed() {
            st.open -= 1;
        } else {
            st.idle.push(s);
        }
        drop(st);
        self.freed.notify_one();
    }

    /// Runs `f` on a session, outside a transaction (each statement commits by itself).
    pub(crate) fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut s = self.checkout()?;
        f(&mut *s)
    }

    /// Runs `f` in one transaction: committed when it returns `Ok` (durably, with
    /// `synchronous_commit = on`), rolled back when it returns `Err`.
    pub(crate) fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut s = self.checkout()?;
        match s.batch("BEGIN") {
            Err(e) => Err(e.into()),
            Ok(()) => match f(&mut *s) {
                Ok(v) => s.batch("COMMIT").map(|()| v).map_err(E::from),
                Err(e) => {
                    if !s.broken && s.batch("ROLLBACK").is_err() {
                        s.broken = true;
                    }
                    Err(e)
                }
            },
        }
    }

    /// Applies the missing migrations under the advisory lock [`MIGRATION_LOCK`].
    fn migrate(&self, migrations: &[Migration]) -> Result<(), StoreError> {
        let mut s = self.checkout()?;
        let r = Self::migrate_locked(&mut s, migrations);
        if !s.broken {
            let _ = s.batch(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
        }
        r
    }

    fn migrate_locked(s: &mut Session, migrations: &[Migration]) -> Result<(), StoreError> {
        s.batch(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
        s.batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version bigint PRIMARY KEY,
                 applied_at bigint NOT NULL
             )",
        )?;
        let version: i64 = (&mut *s as &mut dyn Conn)
            .query_one(
                "SELECT COALESCE(max(version), 0) FROM schema_migrations",
                &[],
            )?
            .get(0)?;
        if version as usize > migrations.len() {
            return Err(StoreError::database(format!(
                "the database has schema version {version}, newer than this program ({})",
                migrations.len()
            )));
        }
        for (i, m) in migrations.iter().enumerate().skip(version as usize) {
            let v = (i + 1) as i64;
            let applied = s.batch("BEGIN").and_then(|()| {
                s.batch(m.postgres)?;
                s.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                    &[
                        Value::Int(v),
                        Value::Int(chrono::Utc::now().timestamp_millis()),
                    ],
                )?;
                s.batch("COMMIT")
            });
            if let Err(e) = applied {
                let _ = s.batch("ROLLBACK");
                return Err(match e {
                    e @ StoreError::Database { .. } => {
                        e.map_context(|m| format!("migration {v}: {m}"))
                    }
                    e => e,
                });
            }
        }
        Ok(())
    }

    /// The highest migration applied.
    pub(crate) fn schema_version(&self) -> Result<i64, StoreError> {
        self.read(|c| {
            c.query_one(
                "SELECT COALESCE(max(version), 0) FROM schema_migrations",
                &[],
            )?
            .get(0)
        })
    }
}

/// Creates a new, empty database on the server of `server_url` (its database is the one
/// connected to for the `CREATE DATABASE`) and returns the settings that connect to it.
/// For tests: each gets its own database, so they stay independent and run in parallel.
///
/// # Errors
/// [`StoreError`] when the server refuses.
#[doc(hidden)]
pub fn create_database(server_url: &str, name: &str) -> Result<Config, StoreError> {
    let mut config = parse_url(server_url)?;
    let cfg = config.clone();
    let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
    block_on(async move {
        let (client, connection) = cfg.connect(NoTls).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client.batch_execute(&sql).await
    })?
    .map_err(classify)?;
    config.dbname(name);
    Ok(config)
}
