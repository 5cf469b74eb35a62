//! The command-line tool under hostile or unusual conditions (issue 15): oversized imports
//! end in a clear error, a closed standard output ends a command quietly.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::xlsx_support;

use crate::support;
use support::bin::nuanxin;

/// `serve --data` with the 7.6 KB workbook holding one cell at XFD1048576 used to abort at
/// start-up (a 512 GiB allocation); now it ends with an error naming the cell, before it
/// listens.
#[test]
fn serve_data_with_a_cell_at_xfd1048576_ends_in_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let far = format!(
        r#"<row r="1048576">{}</row>"#,
        xlsx_support::inline("XFD1048576", "x")
    );
    let file = dir.path().join("stations.xlsx");
    std::fs::write(
        &file,
        xlsx_support::xlsx(&xlsx_support::sheet("A1:D2", &far)),
    )
    .unwrap();
    let started = Instant::now();
    let out = nuanxin()
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&file)
        .arg("--db")
        .arg(dir.path().join("n.db"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("XFD1048576"), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("memory allocation"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    // nothing was listening: the banner never printed
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Listening"));
}

/// `nuanxin nearest … | head -0`: the reader is gone before the table is written. The
/// command used to panic ("failed printing to stdout: Broken pipe", exit 101); it now ends
/// quietly, by SIGPIPE like any Unix tool.
#[test]
fn a_closed_stdout_ends_the_cli_quietly() {
    let mut child = nuanxin()
        .args(["nearest", "--lon", "112.97", "--lat", "28.19", "-k", "50"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end at once, before the command writes anything.
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr, "", "nothing on stderr");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert!(
            status.success() || status.signal() == Some(libc::SIGPIPE),
            "{status:?}"
        );
    }
}

/// A running `nuanxin serve` on a free loopback port with a fresh database; killed on drop.
struct Server(support::bin::Server);

impl Server {
    /// Starts the server with extra environment settings; `nofile` lowers the soft
    /// open-file limit the server starts with (the hard limit stays).
    fn start(env: &[(&str, &str)], nofile: Option<u64>) -> Server {
        Self::start_in(tempfile::tempdir().unwrap(), env, nofile)
    }

    /// Starts the server on the database `n.db` in `dir`.
    fn start_in(dir: tempfile::TempDir, env: &[(&str, &str)], nofile: Option<u64>) -> Server {
        let mut cmd = match nofile {
            // The soft limit is lowered by the shell, which then becomes the server (exec).
            Some(n) => {
                let mut c = Command::new("sh");
                c.args(["-c", r#"ulimit -S -n "$1" && shift && exec "$@""#, "sh"])
                    .arg(n.to_string())
                    .arg(env!("CARGO_BIN_EXE_nuanxin"))
                    .env_remove("RUST_LOG")
                    .env_remove("NUANXIN_DB_PATH");
                c
            }
            None => nuanxin(),
        };
        cmd.envs(env.iter().copied());
        Server(support::bin::Server::start(cmd, dir, &[]))
    }

    fn connect(&self) -> std::net::TcpStream {
        std::net::TcpStream::connect(&self.0.addr).unwrap()
    }

    /// One HTTP/1.1 request on a new connection: status code and body.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        let r = self.0.request(method, path, headers, body);
        (r.status, r.body)
    }

    fn dir(&self) -> &std::path::Path {
        self.0.dir()
    }

    /// The server's log (standard error) so far.
    fn log(&self) -> String {
        self.0.log()
    }

    /// Stops the server and hands back its directory (database kept).
    fn stop(self) -> tempfile::TempDir {
        self.0.stop()
    }

    /// How many service points `/healthz` says are served.
    fn points(&self) -> u64 {
        let (status, body) = self.request("GET", "/healthz", &[], "");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["points"]
            .as_u64()
            .unwrap()
    }

    /// `GET /healthz` on a new connection; the status line, or the error within `within`.
    fn healthz(&self, within: Duration) -> std::io::Result<String> {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect_timeout(
            &std::net::SocketAddr::from(([127, 0, 0, 1], self.0.port())),
            within,
        )?;
        s.set_read_timeout(Some(within))?;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")?;
        let mut buf = String::new();
        s.read_to_string(&mut buf)?;
        Ok(buf.lines().next().unwrap_or("").to_string())
    }
}

/// The attack: 300 silent sockets against a server started with a 256-file limit used to
/// exhaust its descriptors, and `/healthz` stopped answering. Now the server raises its
/// soft limit to the hard one, caps connections (here at 100) and closes the longest-idle
/// connection to make room: with more idle connections open than the cap, `/healthz`
/// answers within a second.
#[test]
fn more_idle_connections_than_the_cap_do_not_lock_out_healthz() {
    let server = Server::start(&[("NUANXIN_MAX_CONNECTIONS", "100")], Some(256));
    let idle: Vec<_> = (0..300).map(|_| server.connect()).collect();
    // let the server accept them all
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let status = server
        .healthz(Duration::from_secs(1))
        .expect("healthz answered");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(started.elapsed() < Duration::from_secs(1));
    drop(idle);
}

/// A connection that never sends a request is closed after the idle timeout (here 1 s);
/// it used to stay open forever.
#[test]
fn a_silent_connection_is_closed_after_the_idle_timeout() {
    let server = Server::start(&[("NUANXIN_IDLE_TIMEOUT_S", "1")], None);
    let mut silent = server.connect();
    silent
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 64];
    // the server closes: read returns 0 bytes (EOF) or a reset, not a timeout
    match silent.read(&mut buf) {
        Ok(n) => assert_eq!(n, 0),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    // and the server still answers
    assert_eq!(
        server.healthz(Duration::from_secs(2)).unwrap(),
        "HTTP/1.1 200 OK"
    );
}

/// A client that stops reading must not hold its connection and the responses it asked
/// for forever (issue 15, slow readers). The client pipelines requests for far more bytes
/// than the socket buffers hold and never reads; with `write_timeout_s = 1` the server drops
/// the stalled connection. Reading afterwards yields only what was already in the buffers
/// and then the end of the stream: fewer responses than were asked for. Without the stall
/// timeout the server waits, and every response arrives once the client reads.
#[test]
fn a_client_that_never_reads_is_disconnected_after_the_write_timeout() {
    use std::io::Write;
    let server = Server::start(&[("NUANXIN_WRITE_TIMEOUT_S", "1")], None);
    let (status, doc) = server.request("GET", "/api/openapi.json", &[], "");
    assert_eq!(status, 200);
    // At least 64 MiB of responses (loopback buffers hold a few MiB).
    let n = (64 << 20) / doc.len().max(1) + 1;
    let mut s = server.connect();
    let (local, peer) = (s.local_addr().unwrap(), s.peer_addr().unwrap());
    assert_eq!(
        server_end_state(local, peer),
        Some(TCP_ESTABLISHED),
        "the connection as the kernel lists it"
    );
    let req = "GET /api/openapi.json HTTP/1.1\r\nHost: t\r\n\r\n".repeat(n);
    s.write_all(req.as_bytes()).unwrap();
    // Never read while the server writes, until the server has dropped the connection: its end
    // leaves ESTABLISHED (FIN_WAIT1 after its close, or gone after a reset). A condition, not a
    // fixed time: on a loaded machine the server takes seconds to fill the buffers before its
    // 1 s stall clock even starts (a fixed 4 s wait failed at load 14). Without the stall
    // timeout the server never lets go and this fails after 120 s.
    let started = Instant::now();
    while server_end_state(local, peer) == Some(TCP_ESTABLISHED) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the server kept the stalled connection open for 120 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Then look at what is left.
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut got = Vec::new();
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(k) => got.extend_from_slice(&chunk[..k]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "the server kept the connection open: {e} after {} bytes",
                got.len()
            ),
        }
    }
    let answered = got.windows(15).filter(|w| w == b"HTTP/1.1 200 OK").count();
    assert!(
        answered < n,
        "{answered} of {n} responses: the stalled connection was not dropped"
    );
    // The server is fine.
    assert_eq!(
        server.healthz(Duration::from_secs(2)).unwrap(),
        "HTTP/1.1 200 OK"
    );
}

/// `ESTABLISHED` in Linux's `/proc/net/tcp` (`st` column; include/net/tcp_states.h).
const TCP_ESTABLISHED: u8 = 0x01;

/// The TCP state of the server's end of the loopback connection from the client's `local`
/// address to the server's `peer` address (IPv4, as `TcpStream::local_addr` / `peer_addr` gave
/// them while connected), as Linux lists it in `/proc/net/tcp` (`TCP_ESTABLISHED`, `0x04`
/// FIN_WAIT1, …); `None` when that end is gone (closed by a reset).
fn server_end_state(local: std::net::SocketAddr, peer: std::net::SocketAddr) -> Option<u8> {
    let port = |a: &str| u16::from_str_radix(a.rsplit(':').next()?, 16).ok();
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() > 3 && port(f[1]) == Some(peer.port()) && port(f[2]) == Some(local.port()) {
            u8::from_str_radix(f[3], 16).ok()
        } else {
            None
        }
    })
}

/// hyper refuses a request target over 65 534 bytes itself, before any handler: it answered
/// `414` with an empty body (issue 15, newcomer finding). Now the body is a problem.
#[test]
fn a_request_target_over_hypers_limit_gets_a_problem_body() {
    let server = Server::start(&[], None);
    let q = "a".repeat(100_000);
    let (status, body) = server.request("GET", &format!("/api/v1/search?q={q}"), &[], "");
    assert_eq!(status, 414, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("a JSON body");
    assert_eq!(v["status"], 414);
    assert!(v["detail"].as_str().unwrap().contains("POST body"), "{v}");
}

/// Receipt and officer tokens never reach the request log, whichever way a client sends
/// them (issue 15: the page put `?receipt=` in URLs and the log kept it in full). The test
/// creates each secret, uses it in headers and in query strings, then greps the whole log
/// for every one of them.
#[test]
fn no_secret_reaches_the_log() {
    let server = Server::start(&[("RUST_LOG", "debug")], None);
    let db = server.dir().join("n.db");
    let out = nuanxin()
        .args("admin create-token --role admin --name t --db".split(' '))
        .arg(&db)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "create-token: {err}");
    let officer = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(officer.len() >= 16, "{officer}");

    let (status, body) = server.request(
        "POST",
        "/api/v1/suggestions",
        &[("Content-Type", "application/json")],
        r#"{"lon":112.9823,"lat":28.1941,"category":"rest","description":"路口缺少休息点","contact":"13800138000"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let receipt = v["receipt_token"].as_str().unwrap().to_string();
    let id = v["id"].as_str().unwrap().to_string();
    assert!(receipt.len() >= 16, "{receipt}");

    let path = format!("/api/v1/suggestions/{id}");
    // a receipt in the URL is refused (400), and redacted from the log all the same
    for (p, headers, expected) in [
        (format!("{path}?receipt={receipt}"), vec![], 400),
        (format!("{path}?Receipt={receipt}&lang=zh"), vec![], 200),
        (
            path.clone(),
            vec![("X-Receipt-Token", receipt.as_str())],
            200,
        ),
        (format!("{path}?token={officer}"), vec![], 200),
        (format!("{path}?code={officer}"), vec![], 200),
    ] {
        let (status, body) = server.request("GET", &p, &headers, "");
        assert_eq!(status, expected, "{p}: {body}");
    }
    let bearer = format!("Bearer {officer}");
    let (status, _) = server.request("GET", &path, &[("Authorization", bearer.as_str())], "");
    assert_eq!(status, 200);
    // the short receipt code: in the look-up's body, in a header, and typed into a URL
    let code = v["receipt_code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 6, "{code}");
    support::bin::record_secrets(&[&receipt, &officer, &code, "13800138000"]);
    let (status, body) = server.request(
        "POST",
        "/api/v1/suggestions/lookup",
        &[("Content-Type", "application/json")],
        &format!(r#"{{"id":"{id}","code":"{code}"}}"#),
    );
    assert_eq!(status, 200, "{body}");
    let (status, _) = server.request("GET", &path, &[("X-Receipt-Code", code.as_str())], "");
    assert_eq!(status, 200);
    let (status, _) = server.request("GET", &format!("{path}?code={code}"), &[], "");
    assert_eq!(status, 200);

    let log = server.log();
    assert!(
        log.contains("/api/v1/suggestions"),
        "requests are logged: {log}"
    );
    assert!(log.contains("receipt=[redacted]"), "{log}");
    for secret in [&receipt, &officer, &code, &"13800138000".to_string()] {
        assert!(
            !log.contains(secret.as_str()),
            "secret {secret} in the log:\n{log}"
        );
    }
}

/// Bounded parameters (issue 15, item 5): `offset` above 2^63 and a `status` list past
/// SQLite's limit on bound variables gave 500; each is now a 400 problem naming the
/// parameter, and values inside the documented ranges still work.
#[test]
fn huge_offsets_and_long_lists_are_400_not_500() {
    let server = Server::start(&[], None);
    let get = |p: &str| server.request("GET", p, &[], "");
    // 2^63 = 9223372036854775808: fits usize, not SQLite's i64
    let (status, body) = get("/api/v1/suggestions?offset=9223372036854775808");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("offset"), "{body}");
    let (status, body) = get("/api/v1/suggestions?offset=1000000000");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"items\":[]"), "{body}");
    // 11 000 × `open` = 33 000 SQL variables before the fix (SQLite allows 32 766), in a
    // URI short enough for the HTTP parser (55 kB)
    let long = format!("/api/v1/suggestions?status={}", "open,".repeat(11_000));
    let (status, body) = get(&long);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("status"), "{body}");
    // 50 repeats are within the documented limit and are answered
    let ok = format!("/api/v1/suggestions?status={}", "open,".repeat(50));
    assert_eq!(get(&ok).0, 200);
    let (status, body) = get("/api/v1/suggestions?category=rest,rest&limit=0");
    assert_eq!(status, 400, "{body}");
}

/// Demo data never mixes with real data silently (issue 15, item 11): `import --replace`
/// removes every stored point of the file's kinds (the 427 synthetic points included) and
/// `--no-demo` (`demo = false`) serves no demo point.
#[test]
fn replace_import_and_no_demo_keep_demo_points_out() {
    let demo = nuanxin::demo::demo_points();
    let demo_stations = demo
        .iter()
        .filter(|p| p.kind == nuanxin::model::ServiceKind::Station)
        .count() as u64;
    assert!(demo_stations > 0 && demo.iter().all(|p| p.demo));
    // a fresh database is seeded with the demo data
    let server = Server::start(&[], None);
    assert_eq!(server.points(), demo.len() as u64);
    let dir = server.stop();
    let db = dir.path().join("n.db");
    let csv = dir.path().join("stations.csv");
    std::fs::write(
        &csv,
        "名称,类型,经度,纬度\n芙蓉区真实驿站,驿站,112.9885,28.1938\n天心区真实驿站,驿站,112.9722,28.1432\n",
    )
    .unwrap();
    let out = nuanxin()
        .arg("import")
        .arg(&csv)
        .arg("--db")
        .arg(&db)
        .arg("--replace")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("删除 {demo_stations} 个，存入 2 个")),
        "{stdout}"
    );
    // the demo points of other kinds are still there, and served with demo on
    let server = Server::start_in(dir, &[], None);
    assert_eq!(server.points(), demo.len() as u64 - demo_stations + 2);
    let dir = server.stop();
    // with the demo off, only the real stations are served
    let server = Server::start_in(dir, &[("NUANXIN_DEMO", "false")], None);
    assert_eq!(server.points(), 2);
    drop(server);
    // and a fresh database is not seeded with demo data
    assert_eq!(
        Server::start(&[("NUANXIN_DEMO", "false")], None).points(),
        0
    );
}

/// The analysis commands' own errors follow `--lang` too (issue 15, item 13): Chinese by
/// default, English with `--lang en`.
#[test]
fn analysis_errors_are_in_chinese_by_default_and_english_on_request() {
    let cases: [(&[&str], &str, &str); 3] = [
        (
            &["coverage", "--adcode", "430102", "--minutes", "0"],
            "错误：--minutes 必须是大于 0 的数；现在是 0",
            "error: --minutes must be a number > 0; got 0",
        ),
        (
            &["nearest", "--lon", "200", "--lat", "28"],
            "错误：位置无效: 经度 lon = 200 超出 [-180, 180] 度",
            "error: invalid position: lon = 200 is outside [-180, 180] degrees",
        ),
        (
            &["coverage", "--adcode", "430102", "--demand", "nope"],
            "错误：--demand `nope`：既不是 builtup（建筑量）、pickups（取餐点），也不是已有的文件",
            "error: --demand `nope`: not builtup, pickups or an existing file",
        ),
    ];
    for (args, zh, en) in cases {
        let (_, err) = support::bin::texts(&support::bin::run(args, None));
        assert!(err.contains(zh), "{args:?}: {err}");
        let mut with_en = vec!["--lang", "en"];
        with_en.extend_from_slice(args);
        let (_, err) = support::bin::texts(&support::bin::run(&with_en, None));
        assert!(err.contains(en), "{args:?}: {err}");
    }
}

/// Regression (newcomer trial, stop 21): `nearest -k 99999999999` and `coverage --propose
/// 1000000000` aborted on a failed allocation of 1.6 TB / 40 GB (exit 134), `-k 0` printed
/// "no points" and succeeded, and `--minutes 1e9` ran for a minute. They are refused with the
/// ranges of the HTTP API, in Chinese by default.
#[test]
fn out_of_range_numbers_are_refused_not_aborted() {
    for (args, flag) in [
        (
            &[
                "nearest",
                "--lon",
                "112.98",
                "--lat",
                "28.19",
                "-k",
                "99999999999",
            ][..],
            "-k/--limit 必须在 1–1000 之间",
        ),
        (
            &["nearest", "--lon", "112.98", "--lat", "28.19", "-k", "0"][..],
            "-k/--limit 必须在 1–1000 之间",
        ),
        (
            &["coverage", "--adcode", "430102", "--propose", "1000000000"][..],
            "--propose 必须在 0–1000 之间",
        ),
        (
            &["coverage", "--adcode", "430102", "--minutes", "1e9"][..],
            "--minutes 必须在 0.1–120 之间",
        ),
    ] {
        let out = support::bin::run(args, None);
        let (_, err) = support::bin::texts(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(!err.contains("memory allocation"), "{args:?}: {err}");
    }
}

/// Regression (newcomer trial, stop 21): the README's "from demo to real data" commands
/// imported the sample, whose rows are all marked 演示数据, and `serve --no-demo` then served 0
/// points with no word from the import. The import now says how many rows are demo data.
#[test]
fn importing_rows_marked_as_demo_data_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/samples/changsha_sample_gcj02.csv");
    let db = dir.path().join("n.db");
    let out = support::bin::run(
        &[
            "import",
            sample.to_str().unwrap(),
            "--crs",
            "gcj02",
            "--db",
            db.to_str().unwrap(),
        ],
        Some(dir.path()),
    );
    let (stdout, err) = support::bin::texts(&out);
    assert!(out.status.success(), "{err}");
    // every data row of the sample says 演示数据 = 是 (count them independently)
    let marked = std::fs::read_to_string(&sample)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| l.trim_end().ends_with(",是"))
        .count();
    assert!(marked > 0);
    assert!(
        stdout.contains(&format!("其中 {marked} 个服务点标为演示数据")),
        "{stdout}"
    );
}

/// Issue 15: clap's own argument errors and `--help` follow `--lang`: Chinese by default,
/// naming the argument and the value, exit code 2 as clap does; English with `--lang en`.
#[test]
fn clap_errors_and_help_are_in_chinese_by_default_and_english_on_request() {
    let cases: [(&[&str], &[&str], &[&str]); 5] = [
        (
            &["nearest", "--bogus"],
            &[
                "错误：未知参数 `--bogus`",
                "用法：nuanxin nearest",
                "--help",
            ],
            &["unexpected argument '--bogus'"],
        ),
        (
            &["nearest", "-k"],
            &["错误：参数 `--limit <K>` 需要一个值，但没有给出"],
            &["a value is required for '--limit <K>'"],
        ),
        (
            &["import", "x.csv", "--crs", "mars"],
            &["错误：参数 `--crs <CRS>` 的值 `mars` 无效"],
            &["invalid value 'mars' for '--crs <CRS>'"],
        ),
        (
            &["admin"],
            &[
                "错误：`admin` 需要一个子命令；可用的子命令：",
                "create-token",
            ],
            &["Usage: nuanxin admin"],
        ),
        (
            &["coverag"],
            &["错误：未知子命令 `coverag`；你是不是想用 `coverage`？"],
            &["unrecognized subcommand 'coverag'"],
        ),
    ];
    for (args, zh, en) in cases {
        let out = support::bin::run(args, None);
        let (_, err) = support::bin::texts(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        for z in zh {
            assert!(err.contains(z), "{args:?}: want {z:?} in {err}");
        }
        assert!(!err.contains("error:"), "{args:?}: {err}");
        let mut with_en = vec!["--lang", "en"];
        with_en.extend_from_slice(args);
        let out = support::bin::run(&with_en, None);
        let (_, err) = support::bin::texts(&out);
        assert_eq!(out.status.code(), Some(2), "{with_en:?}: {err}");
        for e in en {
            assert!(err.contains(e), "{with_en:?}: want {e:?} in {err}");
        }
    }
    // --help and -h: Chinese headings and descriptions; English with --lang en.
    for args in [&["--help"][..], &["-h"], &["coverage", "--help"]] {
        let out = support::bin::run(args, None);
        let (help, _) = support::bin::texts(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        for want in ["用法：nuanxin", "\n选项：\n", "显示帮助"] {
            assert!(help.contains(want), "{args:?}: want {want:?} in {help}");
        }
        assert!(
            !help.contains("Usage:") && !help.contains("Options:"),
            "{help}"
        );
        let mut with_en = vec!["--lang", "en"];
        with_en.extend_from_slice(args);
        let (help, _) = support::bin::texts(&support::bin::run(&with_en, None));
        assert!(
            help.contains("Usage: nuanxin") && help.contains("Options:"),
            "{help}"
        );
        assert!(!help.contains("用法"), "{help}");
    }
    let (help, _) = support::bin::texts(&support::bin::run(&["--help"], None));
    assert!(
        help.contains("\n命令：\n")
            && !help.contains("命令:")
            && help.contains("分析一个区域的服务覆盖"),
        "{help}"
    );
}

/// Regression (issue 15, newcomer finding): `serve` seeded a new database with the demo data
/// before binding its port, so a port in use left a seeded database behind. It binds first:
/// the failed start leaves no database at all.
#[test]
fn serve_on_a_port_in_use_leaves_no_seeded_database() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.db");
    let out = support::bin::run(
        &["serve", "--listen", &addr, "--db", db.to_str().unwrap()],
        Some(dir.path()),
    );
    let (_, err) = support::bin::texts(&out);
    assert!(!out.status.success(), "{err}");
    // In Chinese by default, the OS's reason after the Chinese explanation (newcomer
    // finding, stop 23: it was "listening on …: Address already in use").
    assert!(
        err.contains(&format!("错误：无法监听 {addr}：端口已被占用")),
        "{err}"
    );
    let out = support::bin::run(
        &[
            "--lang",
            "en",
            "serve",
            "--listen",
            &addr,
            "--db",
            db.to_str().unwrap(),
        ],
        Some(dir.path()),
    );
    let (_, err) = support::bin::texts(&out);
    assert!(
        err.contains(&format!(
            "error: listening on {addr}: the port is in use by another program"
        )),
        "{err}"
    );
    assert!(
        !db.exists(),
        "a failed start created {}: {err}",
        db.display()
    );
    drop(taken);
}

/// Regression (newcomer finding, stop 22): `admin create-token` with a mistyped `--db` quietly
/// created a new database and printed a token no server accepts. It still creates it (scripts
/// create a token before the first start) but says so, in Chinese by default; a second call on
/// the now existing file does not.
#[test]
fn create_token_says_when_it_created_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("typo.db");
    let run = || {
        let out = nuanxin()
            .args("admin create-token --role admin --name t --db".split(' '))
            .arg(&db)
            .env_remove("NUANXIN_LANG")
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let first = run();
    assert!(first.contains("原来不存在，现已新建"), "{first}");
    let second = run();
    assert!(!second.contains("原来不存在"), "{second}");
}

/// Regression (newcomer finding, stop 23): messages that stayed English under the default
/// `--lang zh`: Rust's and the library's parser reasons passed on by clap (`invalid float
/// literal`, `is not LON,LAT`, `unknown crs`), `--role`, the context of a database that cannot
/// be opened, and `nearest`'s output lines. Each is Chinese by default and English with
/// `--lang en`.
#[test]
fn leftover_english_messages_are_in_chinese_by_default_and_english_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("t.db");
    let tokens = tokens.to_str().unwrap();
    // (arguments, Chinese expected on stderr, English expected on stderr)
    let cases: [(&[&str], &str, &str); 6] = [
        (
            &["nearest", "--lon", "abc", "--lat", "1"],
            "错误：参数 `--lon <LON>` 的值 `abc` 无效：不是数字",
            "invalid float literal",
        ),
        (
            &["nearest", "--at", "1,2,3"],
            "错误：参数 `--at <LON,LAT>` 的值 `1,2,3` 无效：`1,2,3` 不是“经度,纬度”（两个数字，中间一个逗号）",
            "`1,2,3` is not LON,LAT (two numbers and one comma)",
        ),
        (
            &["nearest", "--at", "112.97,28.19", "--crs", "xyz"],
            "无效：未知的坐标系 `xyz`；可填：wgs84, gcj02, bd09",
            "unknown crs `xyz`; valid: wgs84, gcj02, bd09",
        ),
        (
            &["admin", "create-token", "--role", "god", "--db", tokens],
            "错误：--role：未知的角色 `god`；可填：officer, admin",
            "error: --role: unknown role `god`; valid: officer, admin",
        ),
        (
            &["nearest", "--at", "112.97,28.19", "--db", "/"],
            "错误：无法打开数据库 /",
            "error: opening database /",
        ),
        // `--minutes -5` used to be refused as an unknown argument `-5`.
        (
            &["coverage", "--adcode", "430102", "--minutes", "-5"],
            "错误：--minutes 必须是大于 0 的数；现在是 -5",
            "error: --minutes must be a number > 0; got -5",
        ),
    ];
    for (args, zh, en) in cases {
        let out = support::bin::run(args, Some(dir.path()));
        let (_, err) = support::bin::texts(&out);
        assert!(!out.status.success(), "{args:?}: {err}");
        assert!(err.contains(zh), "{args:?}: {err}");
        let mut with_en = vec!["--lang", "en"];
        with_en.extend_from_slice(args);
        let (_, err) = support::bin::texts(&support::bin::run(&with_en, Some(dir.path())));
        assert!(err.contains(en), "{args:?}: {err}");
    }
    // `nearest`'s report: the position line, the source and the footer.
    let args = ["nearest", "--at", "112.97,28.19", "-k", "1"];
    let out = support::bin::run(&args, Some(dir.path()));
    let (text, err) = support::bin::texts(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        text.contains("起点：经度 112.970000，纬度 28.190000（WGS-84）；数据：内置演示数据"),
        "{text}"
    );
    assert!(
        text.contains("距离为 WGS-84 椭球面上的直线距离；分钟按步行 5 km/h、电动车 15 km/h 计算。"),
        "{text}"
    );
    assert!(
        !text.contains("From lon") && !text.contains("Straight-line"),
        "{text}"
    );
    let out = support::bin::run(
        &[&["--lang", "en"][..], &args[..]].concat(),
        Some(dir.path()),
    );
    let (text, _) = support::bin::texts(&out);
    assert!(
        text.contains(
            "From lon 112.970000, lat 28.190000 (WGS-84); data: embedded demo data (synthetic;"
        ),
        "{text}"
    );
    assert!(
        text.contains("Straight-line distance on the WGS-84 ellipsoid; minutes at 5 km/h walking, 15 km/h e-bike."),
        "{text}"
    );
    // `coverage`'s count of stations reaching the area.
    let args = ["coverage", "--adcode", "430102", "--resolution", "7"];
    let out = support::bin::run(&args, Some(dir.path()));
    let (text, err) = support::bin::texts(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        text.contains("能到达该区域的服务点（全部类型）："),
        "{text}"
    );
    let out = support::bin::run(
        &[&["--lang", "en"][..], &args[..]].concat(),
        Some(dir.path()),
    );
    let (text, _) = support::bin::texts(&out);
    assert!(
        text.contains("stations (all kinds) reaching the area: "),
        "{text}"
    );
}

/// The words of `text` an official reading Chinese output would not understand: runs of three
/// or more ASCII letters (with `_`) outside backticks, `--flags`, words holding digits and
/// hexadecimal runs, that `allowed` does not list.
fn english_words(text: &str, allowed: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            continue; // a command or value quoted in backticks
        }
        for word in part.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
            let word = word.trim_matches('-');
            let flag = part.contains(&format!("--{word}"));
            let letters = word.chars().all(|c| c.is_ascii_alphabetic() || c == '_');
            let hex = word.chars().all(|c| c.is_ascii_hexdigit());
            if word.len() >= 3 && letters && !hex && !flag && !allowed.contains(&word) {
                out.push(word.to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `text` without any of `known` (longest first), then what Han characters are left.
fn chinese_left(text: &str, known: &[String]) -> String {
    let mut known: Vec<&String> = known.iter().filter(|k| !k.is_empty()).collect();
    known.sort_by_key(|k| std::cmp::Reverse(k.chars().count()));
    let mut text = text.to_string();
    for k in known {
        text = text.replace(k.as_str(), " ");
    }
    text.lines()
        .filter(|l| l.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Regression (polish, item 1): the normal output of every subcommand, not only its errors, is
/// Chinese by default and English with `--lang en`. `coverage`'s summary line and table
/// headers, `nearest --by time`'s road line, header and footer, `demo`, `db copy`, `roads
/// import`'s street count and `admin list-tokens`' revoked column were English or mixed. The
/// Chinese output may hold only codes, units, standards' names and data; the English output
/// only Chinese data (point, district and kind names, the 演示数据 column).
#[test]
fn normal_output_is_chinese_by_default_and_english_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let repo = repo.canonicalize().unwrap();
    let fixture = |p: &str| repo.join(p).to_str().unwrap().to_string();
    let (stations, pbf) = (
        fixture("tests/fixtures/osm/helsinki_stations.geojson"),
        fixture("tests/fixtures/osm/helsinki_center.osm.pbf"),
    );
    let sample = fixture("data/samples/changsha_sample_gcj02.csv");
    let helsinki = "24.945,60.170";
    let box_ = "24.9352,60.1642,24.9534,60.1791";
    let runs: Vec<Vec<&str>> = vec![
        vec!["import", &sample, "--crs", "gcj02", "--out", "o.geojson"],
        vec!["import", &stations, "--db", "h.db"],
        vec!["roads", "import", &pbf, "--db", "h.db"],
        vec!["roads", "info", "--db", "h.db"],
        vec!["nearest", "--at", "112.97,28.19", "-k", "3"],
        vec![
            "nearest", "--db", "h.db", "--by", "time", "--at", helsinki, "-k", "2",
        ],
        vec![
            "nearest",
            "--db",
            "h.db",
            "--by",
            "time",
            "--at",
            helsinki,
            "-k",
            "1",
            "--max-snap-m",
            "0.5",
        ],
        vec![
            "coverage",
            "--adcode",
            "430102",
            "--resolution",
            "8",
            "--demand",
            "builtup",
            "--propose",
            "1",
            "--gaps",
            "g.geojson",
        ],
        vec![
            "coverage",
            "--bbox",
            box_,
            "--db",
            "h.db",
            "--model",
            "network",
            "--resolution",
            "9",
            "--propose",
            "1",
        ],
        vec!["demo", "--check"],
        vec!["demo", "--out", "d.geojson"],
        vec!["db", "copy", "--from", "h.db", "--to", "c.db", "--replace"],
        vec!["db", "checksum", "--db", "c.db"],
        vec![
            "admin",
            "create-token",
            "--role",
            "officer",
            "--adcode",
            "430102",
            "--db",
            "h.db",
        ],
        vec!["admin", "revoke-token", "--id", "1", "--db", "h.db"],
        vec!["admin", "list-tokens", "--db", "h.db"],
    ];
    let output = |lang: &str| {
        let mut all = String::new();
        let here = d.join(lang);
        std::fs::create_dir(&here).unwrap();
        for args in &runs {
            let out = support::bin::run(&[&["--lang", lang][..], &args[..]].concat(), Some(&here));
            let (stdout, stderr) = support::bin::texts(&out);
            assert!(out.status.success(), "{args:?}: {stderr}");
            all += &format!("{stdout}\n{stderr}\n");
        }
        // paths are not words of the interface
        all.replace(d.canonicalize().unwrap().to_str().unwrap(), "")
            .replace(d.to_str().unwrap(), "")
            .replace(repo.to_str().unwrap(), "")
    };
    let zh = output("zh");
    // codes, units and names of standards and sources an official reads in Chinese text too
    let allowed = [
        "WGS",
        "GCJ",
        "SHA",
        "UTF",
        "BOM",
        "GPS",
        "OpenStreetMap",
        "geojson",
        "station",
        "legal_aid",
        "rider_friendly_community",
        "collection_point",
        "builtup",
        "officer",
        "nxo_",
        "nuanxin",
        "meta",
        "service_points",
        "campaigns",
        "officer_tokens",
        "suggestions",
        "redactions",
        "status_changes",
        "supports",
        "audit_log",
        "outbox",
        "rate_limits",
        "tests",
        "fixtures",
        "osm",
        "pbf",
        "data",
        "samples",
        "changsha_sample_gcj",
        "csv",
        "roads",
        "helsinki_center",
        "helsinki_stations",
        "serve",
    ];
    let attribution = nuanxin::coverage::demand::DemandLayer::Builtup.attribution();
    let words = english_words(&zh.replace(attribution, ""), &allowed);
    assert!(
        words.is_empty(),
        "English words in the Chinese output: {words:?}\n{zh}"
    );
    for want in [
        "区划代码",
        "覆盖率 %",
        "合计",
        "沿道路距离（米）",
        "建议新增的站点",
        "演示数据检查通过",
        "一致：全部",
    ] {
        assert!(zh.contains(want), "{want:?} missing in\n{zh}");
    }

    let en = output("en");
    let mut known: Vec<String> = nuanxin::demo::demo_points()
        .into_iter()
        .map(|p| p.name)
        .collect();
    let fixture_points: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stations).unwrap()).unwrap();
    for f in fixture_points["features"].as_array().unwrap() {
        known.push(f["properties"]["name"].as_str().unwrap().to_string());
    }
    known.extend(
        nuanxin::districts::Districts::embedded()
            .all()
            .iter()
            .map(|d| d.name.clone()),
    );
    known.extend(
        nuanxin::model::ServiceKind::ALL
            .iter()
            .map(|k| k.label_zh().to_string()),
    );
    known.extend(["演示数据", "是", "否"].map(String::from));
    let left = chinese_left(&en, &known);
    assert!(
        left.is_empty(),
        "Chinese interface text in the English output:\n{left}"
    );
    for want in [
        "adcode",
        "covered %",
        "total",
        "Along roads m",
        "proposed new sites",
        "demo dataset OK",
    ] {
        assert!(en.contains(want), "{want:?} missing in\n{en}");
    }
}

/// Regression (polish, item 2): `admin list-tokens --db TYPO.db` and `revoke-token` silently
/// created a new, empty database. The read-only admin commands refuse a database that does
/// not exist, naming the path, in Chinese by default; only `create-token` creates one (and
/// says so, see `create_token_says_when_it_created_the_database`).
#[test]
fn read_only_admin_commands_refuse_a_missing_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("TYPO.db");
    for args in [&["list-tokens"][..], &["revoke-token", "--id", "1"]] {
        for (lang, want) in [("zh", "错误：数据库 "), ("en", "error: no database at ")] {
            let out = nuanxin()
                .args(["--lang", lang, "admin"])
                .args(args)
                .arg("--db")
                .arg(&db)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{args:?}: {err}");
            assert!(err.contains(want), "{args:?}: {err}");
            assert!(err.contains(db.to_str().unwrap()), "{args:?}: {err}");
            if lang == "zh" {
                assert!(err.contains("不存在"), "{err}");
            }
            assert!(!db.exists(), "{args:?} created {}", db.display());
        }
    }
}

/// Regression (polish, item 5): `coverage`'s errors from the library (`--bbox`, `--at`,
/// `--resolution`, `--max-cells`) were English, or both languages in one line, by default.
#[test]
fn coverage_errors_from_the_library_are_in_chinese_by_default() {
    let cases: [(&[&str], &str, &str); 4] = [
        (
            &["coverage", "--bbox", "1,2,3"],
            "错误：--bbox: 范围应为逗号分隔的四个数",
            "bbox must be four comma-separated numbers",
        ),
        (
            &["coverage", "--adcode", "430102", "--at", "tomorrow"],
            "错误：--at: 时间 `tomorrow` 无法识别",
            "`tomorrow` is not a time",
        ),
        (
            &["coverage", "--adcode", "430102", "--resolution", "20"],
            "错误：H3 分辨率 20 超出 0–15 的范围",
            "resolution 20 is out of range 0..=15",
        ),
        (
            &["coverage", "--adcode", "430102", "--max-cells", "10"],
            "超过 10 个的上限；请用更粗的分辨率或更小的区域",
            "more than the limit of 10",
        ),
    ];
    for (args, zh, en) in cases {
        let (_, err) = support::bin::texts(&support::bin::run(args, None));
        assert!(err.contains(zh), "{args:?}: {err}");
        assert!(!err.contains(en), "{args:?}: English in {err}");
        let with_en = [&["--lang", "en"][..], args].concat();
        let (_, err) = support::bin::texts(&support::bin::run(&with_en, None));
        assert!(err.contains(en), "{with_en:?}: {err}");
    }
}
