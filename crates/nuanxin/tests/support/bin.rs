//! The real binary: CLI runs, and `nuanxin serve` on a free loopback port with a minimal
//! HTTP/1.1 client (one request per connection, `Connection: close`).

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The binary under test, without the caller's `RUST_LOG`, `NUANXIN_DB_PATH` and
/// `NUANXIN_LANG` (messages in the default language, Simplified Chinese).
pub fn nuanxin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nuanxin"));
    c.env_remove("RUST_LOG")
        .env_remove("NUANXIN_DB_PATH")
        .env_remove("NUANXIN_LANG");
    c
}

/// Runs `nuanxin args…` in `dir` (the test's directory when `None`) to its end.
pub fn run(args: &[&str], dir: Option<&Path>) -> Output {
    let mut c = nuanxin();
    c.args(args);
    if let Some(d) = dir {
        c.current_dir(d);
    }
    c.output().unwrap()
}

/// Standard output and standard error of a run, as text.
pub fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes `points` as the JSON array `serve --data` reads, in `dir`; returns its path.
pub fn write_points(dir: &Path, points: &[nuanxin::model::ServicePoint]) -> PathBuf {
    let data = dir.join("points.json");
    std::fs::write(&data, serde_json::to_vec(points).unwrap()).unwrap();
    data
}

/// One answer of [`http`].
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Status line and headers, as received.
    pub head: String,
    /// Body, de-chunked.
    pub body: String,
}

/// One HTTP/1.1 request to `addr` on a new connection (`Connection: close`, 30 s read
/// timeout).
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> HttpResponse {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    HttpResponse {
        status,
        head: head.to_string(),
        body: if chunked {
            dechunk(body)
        } else {
            body.to_string()
        },
    }
}

/// The body of a `Transfer-Encoding: chunked` message.
fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n").unwrap();
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
}

/// Where a server started by the tests writes its log: under `$NUANXIN_TEST_LOG_DIR` when
/// the suite sets it (scripts/test.sh; `scripts/test.d/zz-secret-grep.sh` greps every log
/// there for the secrets the suite created), else `server.log` in the server's directory.
pub fn server_log_path(dir: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    match std::env::var_os("NUANXIN_TEST_LOG_DIR") {
        Some(logs) => {
            let logs = PathBuf::from(logs);
            std::fs::create_dir_all(&logs).unwrap();
            let n = N.fetch_add(1, Ordering::Relaxed);
            let test = std::env::args()
                .next()
                .and_then(|a| {
                    Path::new(&a)
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                })
                .unwrap_or_default();
            logs.join(format!("{test}-server-{}-{n}.log", std::process::id()))
        }
        None => dir.join("server.log"),
    }
}

/// Appends secrets a test created (receipt tokens and codes, officer tokens, idempotency
/// keys, webhook secrets, reporters' contacts) to `$NUANXIN_TEST_SECRETS`, one per line: the
/// list `scripts/test.d/zz-secret-grep.sh` looks for in every log of the suite. Nothing
/// when the variable is not set (a plain `cargo test`).
pub fn record_secrets(secrets: &[&str]) {
    if let Some(path) = std::env::var_os("NUANXIN_TEST_SECRETS") {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        for s in secrets {
            writeln!(f, "{s}").unwrap();
        }
    }
}

/// A running `nuanxin serve`; killed on drop.
pub struct Server {
    /// The process.
    pub child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Holds the database `n.db`; handed back by [`Server::stop`].
    dir: Option<tempfile::TempDir>,
    /// The server's standard error ([`server_log_path`]).
    log_path: PathBuf,
}

impl Server {
    /// Runs `cmd` (the binary, or a wrapper that execs it) with `serve --listen 127.0.0.1:0
    /// --db DIR/n.db` and `extra` arguments, in `dir`, logging to [`server_log_path`] (at
    /// `warn` unless `cmd` sets `RUST_LOG`), and waits for its `Listening on http://…` line.
    pub fn start(cmd: Command, dir: tempfile::TempDir, extra: &[&OsStr]) -> Server {
        Server::start_on(cmd, dir, "n.db", extra)
    }

    /// As [`Server::start`] on the database file `db` of `dir` (made beforehand, e.g. with
    /// its road graph beside it).
    pub fn start_on(
        mut cmd: Command,
        dir: tempfile::TempDir,
        db: &str,
        extra: &[&OsStr],
    ) -> Server {
        let log_path = server_log_path(dir.path());
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(dir.path().join(db))
            .args(extra)
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log_path).unwrap());
        if !cmd.get_envs().any(|(k, v)| k == "RUST_LOG" && v.is_some()) {
            cmd.env("RUST_LOG", "warn");
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("Listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .trim_end_matches('/')
            .to_string();
        Server {
            child,
            addr,
            dir: Some(dir),
            log_path,
        }
    }

    /// `nuanxin serve --data` of `points`, with extra environment `envs`.
    pub fn with_points(points: &[nuanxin::model::ServicePoint], envs: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data = write_points(dir.path(), points);
        let mut cmd = nuanxin();
        cmd.envs(envs.iter().copied());
        Server::start(cmd, dir, &[OsStr::new("--data"), data.as_os_str()])
    }

    /// The port listened on.
    pub fn port(&self) -> u16 {
        self.addr
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .unwrap()
    }

    /// The server's directory (database `n.db`).
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().unwrap().path()
    }

    /// The server's log (standard error) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// One request on a new connection (see [`http`]).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> HttpResponse {
        http(&self.addr, method, path, headers, body)
    }

    /// Stops the server and hands back its directory (database kept).
    pub fn stop(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.dir.take().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
