//! Many servers on one PostgreSQL database (issue 13): point changes through one server are
//! answered by the other within a second (LISTEN/NOTIFY), a lost listening connection is
//! followed by a full reload, the submission rate limit holds across servers, and while the
//! database is unreachable `/readyz` and database requests answer 503 with `Retry-After`
//! while reads from memory keep working, until the database is back.
//!
//! Each test is two in-process servers (the real router, store and listener) on a fresh
//! database of the PostgreSQL server named by `NUANXIN_TEST_DATABASE_URL`
//! (`scripts/test.d/10-postgres.sh` sets it); without it they return at once, since there is
//! no SQLite equivalent (one server per SQLite file).

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use nuanxin::index::ServiceIndex;
use nuanxin::model::{LonLat, ServiceKind, ServicePoint};
use nuanxin::server::point_sync::{PointSync, APPLICATION_NAME};
use nuanxin::server::{self, AppState, Config};
use nuanxin::suggestions::{pg, OfficerRole, Store};
use serde_json::{json, Value};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support;

/// A fresh database on the test server, or `None` (test skipped) without one.
fn fresh_database(name: &str) -> Option<tokio_postgres::Config> {
    let url = std::env::var("NUANXIN_TEST_DATABASE_URL").ok()?;
    if url.is_empty() {
        return None;
    }
    let unique = format!(
        "nuanxin_cluster_{name}_{}_{}",
        std::process::id(),
        Instant::now().elapsed().subsec_nanos() ^ rand_u32()
    );
    Some(pg::create_database(&url, &unique).unwrap())
}

fn rand_u32() -> u32 {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).unwrap();
    u32::from_le_bytes(b)
}

/// One server: its state (with the listener running) and router.
struct Server {
    state: AppState,
    router: Router,
    store: Arc<Store>,
}

async fn server(db: &tokio_postgres::Config, config: Config) -> Server {
    let sync = PointSync::connect(db.clone()).await.unwrap();
    let cfg = db.clone();
    let store = tokio::task::spawn_blocking(move || Arc::new(Store::open_postgres(cfg).unwrap()))
        .await
        .unwrap();
    let st = store.clone();
    let points = tokio::task::spawn_blocking(move || st.service_points().unwrap())
        .await
        .unwrap();
    let state = AppState::new(config, ServiceIndex::new(points).unwrap()).with_store(store.clone());
    tokio::spawn(sync.run(state.clone()));
    Server {
        router: server::router(state.clone()),
        state,
        store,
    }
}

fn config() -> Config {
    let mut c = Config::default();
    c.rate_limit.enabled = false;
    c
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

async fn call(s: &Server, req: Request<Body>) -> Resp {
    let mut req = req;
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([10, 1, 2, 3], 40000))));
    let r = support::http::send(&s.router, req).await;
    Resp {
        status: r.status,
        headers: r.headers,
        body: serde_json::from_slice(&r.body).unwrap_or(Value::Null),
    }
}

fn json_req(method: &str, uri: &str, body: &Value, token: Option<&str>) -> Request<Body> {
    let method = axum::http::Method::from_bytes(method.as_bytes()).unwrap();
    support::http::json_request(method, uri, body, token)
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

/// Waits until `test` holds for `s`'s index, at most `limit`; returns how long it took.
async fn until(s: &Server, limit: Duration, test: impl Fn(&ServiceIndex) -> bool) -> Duration {
    let started = Instant::now();
    while !test(&s.state.index()) {
        assert!(
            started.elapsed() < limit,
            "not seen within {limit:?} by the other server"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    started.elapsed()
}

fn station(id: &str, lon: f64, lat: f64) -> ServicePoint {
    ServicePoint::new(
        id,
        ServiceKind::Station,
        "测试驿站",
        LonLat::new(lon, lat).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn points_changed_through_one_server_are_answered_by_the_other() {
    let Some(db) = fresh_database("sync") else {
        eprintln!("NUANXIN_TEST_DATABASE_URL not set: skipped");
        return;
    };
    let a = server(&db, config()).await;
    let b = server(&db, config()).await;
    let st = a.store.clone();
    let token = tokio::task::spawn_blocking(move || {
        st.create_token(OfficerRole::Admin, &[], "运维").unwrap().1
    })
    .await
    .unwrap();
    // The goal is 1 s (measured: milliseconds, printed); the tests allow 5 s so that a
    // loaded CI machine does not fail them: they check that the change arrives at all.
    let second = Duration::from_secs(5);

    // added through a
    let body = json!({"kind": "station", "name": "坡子街驿站", "location": [112.9712, 28.1935]});
    let r = call(
        &a,
        json_req("PUT", "/api/v1/admin/points/st-pozi", &body, Some(&token)),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let took = until(&b, second, |i| i.get("st-pozi").is_some()).await;
    eprintln!("added: seen by the other server after {took:?}");
    let r = call(&b, get("/api/v1/points/st-pozi")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["properties"]["name"], "坡子街驿站", "{}", r.body);

    // moved through a
    let moved = json!({"kind": "station", "name": "坡子街驿站", "location": [112.9800, 28.1900]});
    let r = call(
        &a,
        json_req("PUT", "/api/v1/admin/points/st-pozi", &moved, Some(&token)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    until(&b, second, |i| {
        i.get("st-pozi").is_some_and(|p| p.location.lon == 112.98)
    })
    .await;
    // the other server's nearest answer follows the move
    let r = call(
        &b,
        get("/api/v1/nearest?lon=112.98&lat=28.19&k=1&kind=station"),
    )
    .await;
    assert_eq!(r.body["features"][0]["id"], "st-pozi", "{}", r.body);

    // deleted through b, gone from a
    let r = call(
        &b,
        Request::delete("/api/v1/admin/points/st-pozi")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    until(&a, second, |i| i.get("st-pozi").is_none()).await;

    // an import through another process (`nuanxin import --db postgres://…`): both serve it
    let importer = {
        let cfg = db.clone();
        tokio::task::spawn_blocking(move || Store::open_postgres(cfg).unwrap())
            .await
            .unwrap()
    };
    let importer = Arc::new(importer);
    let imp = importer.clone();
    tokio::task::spawn_blocking(move || {
        imp.upsert_service_points(
            &[
                station("imp-1", 112.95, 28.20),
                station("imp-2", 112.96, 28.21),
            ],
            None,
        )
        .unwrap()
    })
    .await
    .unwrap();
    for s in [&a, &b] {
        until(s, second, |i| {
            i.get("imp-1").is_some() && i.get("imp-2").is_some()
        })
        .await;
    }
    // a complete list of stations replaces the old ones (one "reload all" notification)
    let imp = importer.clone();
    tokio::task::spawn_blocking(move || {
        imp.replace_service_points_of_kinds(
            &[ServiceKind::Station],
            &[station("imp-3", 112.97, 28.22)],
            None,
        )
        .unwrap()
    })
    .await
    .unwrap();
    for s in [&a, &b] {
        until(s, second, |i| {
            i.get("imp-3").is_some() && i.get("imp-1").is_none() && i.get("imp-2").is_none()
        })
        .await;
    }
}

/// A second plain connection to the test database (for what the product never does).
async fn raw(db: &tokio_postgres::Config) -> tokio_postgres::Client {
    let (client, connection) = db.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_listening_connection_is_followed_by_a_full_reload() {
    let Some(db) = fresh_database("reload") else {
        eprintln!("NUANXIN_TEST_DATABASE_URL not set: skipped");
        return;
    };
    let b = server(&db, config()).await;
    let sql = raw(&db).await;
    // a change whose notification is lost: written without NOTIFY
    let p = station("silent-1", 112.93, 28.23);
    sql.execute(
        "INSERT INTO service_points (id, json, updated_at) VALUES ($1, $2, 0)",
        &[&p.id, &serde_json::to_string(&p).unwrap()],
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(b.state.index().get("silent-1").is_none());
    // the listening connection is cut (as by a restart or failover of the database)
    let killed = sql
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = $1",
            &[&APPLICATION_NAME],
        )
        .await
        .unwrap();
    assert_eq!(killed.len(), 1);
    // reconnected (back-off from 0.1 s) and reloaded everything: the lost change is served
    let took = until(&b, Duration::from_secs(5), |i| i.get("silent-1").is_some()).await;
    eprintln!("reloaded after {took:?}");
    // and notifications flow again
    b.store
        .upsert_service_point(&station("after-1", 112.94, 28.24), None)
        .unwrap();
    until(&b, Duration::from_secs(5), |i| i.get("after-1").is_some()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_submission_rate_limit_holds_across_servers() {
    let Some(db) = fresh_database("rate") else {
        eprintln!("NUANXIN_TEST_DATABASE_URL not set: skipped");
        return;
    };
    let mut c = Config::default();
    c.rate_limit.enabled = true;
    c.rate_limit.per_minute = 1;
    c.rate_limit.burst = 3;
    let a = server(&db, c.clone()).await;
    let b = server(&db, c).await;
    assert!(a.state.submission_limiter.as_ref().unwrap().is_shared());
    let body = json!({"location": [113.03, 28.20], "category": "rest", "description": "x"});
    let post = || json_req("POST", "/api/v1/suggestions", &body, None);
    // one client, alternating servers: the burst of 3 is for both together, not 3 each
    let mut statuses = Vec::new();
    for s in [&a, &b, &a, &b, &a] {
        statuses.push(call(s, post()).await.status);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    let r = call(&b, post()).await;
    assert_eq!(r.headers[header::RETRY_AFTER], "60");
}

/// A TCP forwarder to the test's PostgreSQL server that can be cut (open connections
/// reset, new ones closed at once) and restored: the database "goes away" for the servers
/// using it while the real server keeps running for the other tests.
struct Forwarder {
    port: u16,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

impl Forwarder {
    fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (up2, conns2) = (up.clone(), conns.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                let mut list = conns2.lock().unwrap();
                list.push(client.try_clone().unwrap());
                list.push(server.try_clone().unwrap());
                drop(list);
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        // ends when either side closes or the forwarder is cut
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Forwarder { port, up, conns }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_unreachable_writes_are_503_and_reads_from_memory_work() {
    let Some(db) = fresh_database("down") else {
        eprintln!("NUANXIN_TEST_DATABASE_URL not set: skipped");
        return;
    };
    let host = match &db.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        other => panic!("NUANXIN_TEST_DATABASE_URL must name a TCP host, not {other:?}"),
    };
    let port = db.get_ports().first().copied().unwrap_or(5432);
    let target = std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
        .unwrap()
        .next()
        .unwrap();
    let fwd = Forwarder::start(target);
    let mut cfg = tokio_postgres::Config::new();
    cfg.host("127.0.0.1")
        .port(fwd.port)
        .user(db.get_user().unwrap())
        .dbname(db.get_dbname().unwrap())
        .connect_timeout(Duration::from_secs(2));
    if let Some(p) = db.get_password() {
        cfg.password(p);
    }
    let s = server(&cfg, config()).await;
    let st = s.store.clone();
    tokio::task::spawn_blocking(move || {
        st.replace_service_points(&[station("mem-1", 112.97, 28.2)])
            .unwrap()
    })
    .await
    .unwrap();
    until(&s, Duration::from_secs(5), |i| i.get("mem-1").is_some()).await;
    let submission =
        json!({"location": [113.03, 28.20], "category": "rest", "description": "断线测试"});
    assert_eq!(call(&s, get("/readyz")).await.status, StatusCode::OK);

    fwd.cut();
    tokio::time::sleep(Duration::from_millis(1100)).await; // past the readiness cache
    let r = call(&s, get("/readyz")).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.headers[header::RETRY_AFTER], "2");
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    // reads served from memory keep working
    let r = call(&s, get("/api/v1/nearest?lon=112.97&lat=28.2&k=1")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["features"][0]["id"], "mem-1");
    assert_eq!(
        call(&s, get("/api/v1/points/mem-1")).await.status,
        StatusCode::OK
    );
    // requests that need the database: 503 with Retry-After and a problem body
    for req in [
        json_req("POST", "/api/v1/suggestions", &submission, None),
        get("/api/v1/suggestions"),
    ] {
        let r = call(&s, req).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
        assert_eq!(r.headers[header::RETRY_AFTER], "2");
        assert_eq!(r.body["status"], 503);
        assert!(
            r.body["detail"].as_str().unwrap().contains("retry"),
            "{}",
            r.body
        );
    }

    fwd.restore();
    // the pool opens new connections by itself: ready again and storing
    let started = Instant::now();
    loop {
        let ready = call(&s, get("/readyz")).await.status == StatusCode::OK;
        if ready {
            let r = call(
                &s,
                json_req("POST", "/api/v1/suggestions", &submission, None),
            )
            .await;
            if r.status == StatusCode::CREATED {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not back after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("back after {:?}", started.elapsed());
}
