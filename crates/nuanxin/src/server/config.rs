//! Server configuration: defaults, then `nuanxin.toml`, then `NUANXIN_*` environment
//! variables, then command-line flags (each overrides the one before), merged by `figment`.

use crate::crs::Crs;
use crate::travel::Speeds;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything the server can be configured with. Field names are the TOML keys; the
/// environment variable of a key is `NUANXIN_` + the key in upper case (nested keys joined
/// with `__`, e.g. `NUANXIN_RATE_LIMIT__PER_MINUTE`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on. Default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Service-point files (GeoJSON, CSV, XLSX) imported at start into the database when it
    /// holds no points yet. Empty: the embedded demo data.
    pub data: Vec<PathBuf>,
    /// Seed an empty database with the embedded demo data (427 synthetic points of
    /// Changsha, each marked `demo`) and serve stored demo points. `false` (`--no-demo`):
    /// neither. Default true.
    pub demo: bool,
    /// Coordinate system of `data`. Default `wgs84`.
    pub data_crs: Crs,
    /// The database of suggestions, officer tokens, campaigns, the audit log and edited
    /// service points: a SQLite file (a path or `sqlite:PATH`) or a PostgreSQL database
    /// (`postgres://user[:password]@host[:port]/database`, also `postgresql://`), for several
    /// servers sharing one database. Default `./nuanxin.db`.
    pub db_path: PathBuf,
    /// Origins allowed by CORS; `["*"]` allows any. Default: none (same origin only).
    pub cors_origins: Vec<String>,
    /// Largest accepted request body, bytes. Default 6 MiB (a 5 MB photo plus form fields).
    pub body_limit_bytes: usize,
    /// Per-request timeout, seconds. Default 30.
    pub request_timeout_s: u64,
    /// Seconds a connection may take to send a complete request head, after it opens and
    /// between keep-alive requests; then it is closed. Default 10.
    pub idle_timeout_s: u64,
    /// Seconds a response may wait for the client to accept more bytes (a client that stops
    /// reading); then the connection is closed and the response freed. Default 30.
    pub write_timeout_s: u64,
    /// Most open connections; at the cap the longest-idle connection is closed to make room.
    /// Lowered to fit the open-file limit (raised to the hard limit at start). Default 4096.
    pub max_connections: usize,
    /// Rate limit of suggestion submissions per client IP.
    pub rate_limit: RateLimit,
    /// Concurrency, queue, per-client share and time budget of the CPU-heavy analyses
    /// (coverage, proposals, what-if, network service areas).
    pub analyses: super::throttle::AnalysisLimits,
    /// Rate limit of "me too" votes per client IP (one vote per device token besides).
    /// Default 60 per minute, burst 30: generous, because many riders share one carrier
    /// gateway address.
    pub support_rate_limit: RateLimit,
    /// Rate limit of receipt look-ups (tracking id + code) per client IP. Default 20 per
    /// minute, burst 10.
    pub lookup_rate_limit: RateLimit,
    /// Travel speeds for minutes and service circles.
    pub speeds: Speeds,
    /// Optional online raster basemap URL template (`{z}/{x}/{y}`); off (None) by default so
    /// the map works with nothing but this server reachable.
    pub basemap_url: Option<String>,
    /// Attribution shown for `basemap_url`.
    pub basemap_attribution: Option<String>,
    /// Public base URL, `scheme://host[:port][/path]`, of the absolute links the server writes
    /// (OGC API, Open311, paging links). Set it to the address users reach (the reverse
    /// proxy's `https://…`). Default: `http://` + the listen address (`127.0.0.1` for an
    /// unspecified one). Request headers (`Host`, `X-Forwarded-Host`) never change links.
    pub public_url: Option<String>,
    /// Street basemap: an MBTiles archive of vector tiles in the OpenMapTiles schema (made with
    /// `tilemaker` from an OSM extract), served at `/tiles/{z}/{x}/{y}.pbf` and drawn with a
    /// Chinese style. Checked at start. Default: none (the offline layers only).
    pub basemap_tiles: Option<PathBuf>,
    /// Online basemap by name: `"tianditu"` (天地图, WGS-84/CGCS2000, vector and label layers;
    /// needs `tianditu_key`). Default: none.
    pub basemap: Option<String>,
    /// Key of the 天地图 web service (free, <https://console.tianditu.gov.cn/>), for
    /// `basemap = "tianditu"`. Sent to the browser: use a key restricted to your domain.
    pub tianditu_key: Option<String>,
    /// Trust `X-Forwarded-For` for the client IP (only behind a reverse proxy). Default false.
    pub trust_forwarded_for: bool,
    /// Threads answering requests. Default (`None`): one per CPU.
    pub worker_threads: Option<usize>,
    /// Handling deadlines per category, in working days (`[deadlines]`; Monday–Friday in
    /// Beijing time, public holidays not known). Default: first answer within 3 working
    /// days, resolution within 30.
    pub deadlines: crate::suggestions::deadlines::DeadlinePolicy,
    /// Departments a suggestion can be assigned to (their names appear on public answers).
    /// Default 公安, 司法, 住建, 城管, 街道, 工会.
    pub departments: Vec<String>,
    /// Webhooks told of every answer and status change (`[[webhooks]]`: `url`, `secret`,
    /// `events`), e.g. a 12345 hotline platform or a mini-program's server. Default none.
    pub webhooks: Vec<super::notify::WebhookConfig>,
    /// The SMTP server that emails reporters who left an email address (`[smtp]`: `host`,
    /// `port`, `tls`, `user`, `from`; the password from the environment variable
    /// `NUANXIN_SMTP__PASSWORD`). Default none: no emails.
    pub smtp: Option<super::notify::SmtpConfig>,
    /// Delivery of notifications from the outbox (`[outbox]`: attempts, backoff, timeout).
    pub outbox: super::notify::OutboxConfig,
    /// Byte cap of the in-memory cache of encoded vector tiles (points and suggestions
    /// share it; least recently used tiles go first). Default 64 MiB; 0 disables it.
    pub tile_cache_bytes: usize,
    /// The page draws a layer of ours (points of a kind, suggestions) from vector tiles when
    /// it has more features than this, from GeoJSON clustered in the browser otherwise
    /// (`/config.json` `tiles_above`). Default [`super::vector_tiles::TILES_ABOVE`] (5,000).
    pub tiles_above: usize,
}

/// Submission rate limit per client IP (a token bucket).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimit {
    /// Sustained submissions per minute. Default 10.
    pub per_minute: u32,
    /// Burst size. Default 5.
    pub burst: u32,
    /// Set false to disable (tests, trusted deployments). Default true.
    pub enabled: bool,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_minute: 10,
            burst: 5,
            enabled: true,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data: Vec::new(),
            demo: true,
            data_crs: Crs::Wgs84,
            db_path: PathBuf::from("nuanxin.db"),
            cors_origins: Vec::new(),
            body_limit_bytes: 6 * 1024 * 1024,
            request_timeout_s: 30,
            idle_timeout_s: 10,
            write_timeout_s: 30,
            max_connections: 4096,
            rate_limit: RateLimit::default(),
            analyses: Default::default(),
            support_rate_limit: RateLimit {
                per_minute: 60,
                burst: 30,
                enabled: true,
            },
            lookup_rate_limit: RateLimit {
                per_minute: 20,
                burst: 10,
                enabled: true,
            },
            speeds: Speeds::default(),
            basemap_url: None,
            basemap_attribution: None,
            public_url: None,
            basemap_tiles: None,
            basemap: None,
            tianditu_key: None,
            trust_forwarded_for: false,
            worker_threads: None,
            deadlines: Default::default(),
            departments: ["公安", "司法", "住建", "城管", "街道", "工会"]
                .map(String::from)
                .to_vec(),
            webhooks: Vec::new(),
            smtp: None,
            outbox: Default::default(),
            tile_cache_bytes: 64 * 1024 * 1024,
            tiles_above: super::vector_tiles::TILES_ABOVE,
        }
    }
}

impl Config {
    /// The base of absolute links, without a trailing `/`: [`Config::public_url`], or else
    /// `http://` + the listen address.
    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim().trim_end_matches('/').to_string(),
            None => {
                let mut a = self.listen;
                if a.ip().is_unspecified() {
                    a.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                format!("http://{a}")
            }
        }
    }

    /// Checks settings that parse but cannot work.
    ///
    /// # Errors
    /// A message naming the key: `public_url` that is not `http(s)://` + a plain host.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(u) = &self.public_url {
            let rest = u
                .trim()
                .strip_prefix("https://")
                .or_else(|| u.trim().strip_prefix("http://"));
            let host = rest.map(|r| r.split('/').next().unwrap_or(""));
            let path_ok = rest.is_some_and(|r| {
                r.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~/:[]%".contains(&b))
            });
            if !host.is_some_and(super::forwarded::is_safe_host) || !path_ok {
                return Err(format!(
                    "public_url `{u}` must be http:// or https:// followed by a host, e.g. https://map.example.gov.cn"
                ));
            }
        }
        super::notify::validate(self)?;
        Ok(())
    }

    /// Loads defaults ← `file` ← `NUANXIN_*` environment. Without `file`, `nuanxin.toml` in
    /// the working directory is read if it exists; a `file` given explicitly must exist.
    ///
    /// # Errors
    /// A `figment` error naming the bad key and its source, or the missing file.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        if let Some(f) = file {
            if !f.exists() {
                return Err(Box::new(figment::Error::from(format!(
                    "configuration file {} does not exist",
                    f.display()
                ))));
            }
        }
        let file = file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("nuanxin.toml"));
        check_file_keys(&file)?;
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("NUANXIN_").split("__"))
            .extract()
            .map_err(Box::new)?;
        check_speeds(&config.speeds).map_err(|e| Box::new(figment::Error::from(e)))?;
        Ok(config)
    }
}

/// Fastest speed a `[speeds]` setting may have, metres per second (100 m/s = 360 km/h: far
/// above any walker or e-bike, so only mistakes such as a unit slip are refused).
const MAX_SPEED_M_PER_S: f64 = 100.0;

/// Rejects a speed that is not a positive number of metres per second up to
/// [`MAX_SPEED_M_PER_S`]: zero or a negative speed gave infinite or negative minutes
/// (newcomer, stop 25).
fn check_speeds(speeds: &Speeds) -> Result<(), String> {
    for (key, v) in [
        ("speeds.walk_m_per_s", speeds.walk_m_per_s),
        ("speeds.ebike_m_per_s", speeds.ebike_m_per_s),
    ] {
        if !(v.is_finite() && v > 0.0 && v <= MAX_SPEED_M_PER_S) {
            return Err(format!(
                "{key} = {v}：须为不超过 {MAX_SPEED_M_PER_S} 的正数（米/秒） (must be a positive number of metres per second, at most {MAX_SPEED_M_PER_S})"
            ));
        }
    }
    Ok(())
}

/// Rejects keys of the TOML file that no setting has (a typo such as `ratelimit` would
/// otherwise be ignored silently). Environment variables are not checked: `NUANXIN_*` names
/// are also used by scripts for other purposes.
fn check_file_keys(file: &Path) -> Result<(), Box<figment::Error>> {
    if !file.exists() {
        return Ok(());
    }
    let given: serde_json::Value = Figment::from(Toml::file(file))
        .extract()
        .map_err(Box::new)?;
    let known = serde_json::to_value(Config::default()).unwrap_or_default();
    fn walk(
        given: &serde_json::Value,
        known: &serde_json::Value,
        prefix: &str,
        file: &Path,
    ) -> Result<(), Box<figment::Error>> {
        let (Some(g), Some(k)) = (given.as_object(), known.as_object()) else {
            return Ok(());
        };
        for (key, value) in g {
            let path = format!("{prefix}{key}");
            match k.get(key) {
                None => {
                    let mut valid: Vec<&str> = k.keys().map(String::as_str).collect();
                    valid.sort_unstable();
                    return Err(Box::new(figment::Error::from(format!(
                        "{}: unknown key `{path}`; valid keys here: {}",
                        file.display(),
                        valid.join(", ")
                    ))));
                }
                Some(kv) => walk(value, kv, &format!("{path}."), file)?,
            }
        }
        Ok(())
    }
    walk(&given, &known, "", file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_in_the_file_are_rejected_with_the_valid_ones() {
        // Regression: `ratelimit = 3` and `listen_port = 3` were accepted silently.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("n.toml");
        std::fs::write(&f, "ratelimit = 3\n").unwrap();
        let e = Config::load(Some(&f)).unwrap_err().to_string();
        assert!(e.contains("unknown key `ratelimit`"), "{e}");
        assert!(e.contains("rate_limit"), "{e}");
        std::fs::write(&f, "[rate_limit]\nper_minutes = 3\n").unwrap();
        let e = Config::load(Some(&f)).unwrap_err().to_string();
        assert!(e.contains("unknown key `rate_limit.per_minutes`"), "{e}");
        std::fs::write(&f, "[rate_limit]\nper_minute = 3\n").unwrap();
        assert_eq!(Config::load(Some(&f)).unwrap().rate_limit.per_minute, 3);
    }

    #[test]
    fn public_url_must_be_http_or_https_with_a_plain_host() {
        let with = |u: &str| Config {
            public_url: Some(u.into()),
            ..Config::default()
        };
        for ok in [
            "https://map.example.gov.cn",
            "http://10.0.0.2:8080/",
            "https://a.cn/nuanxin",
        ] {
            assert!(with(ok).validate().is_ok(), "{ok}");
        }
        for bad in [
            "map.example.gov.cn",
            "javascript:alert(1)",
            "https://",
            "https://a\"b",
            "ftp://a",
        ] {
            assert!(with(bad).validate().is_err(), "{bad}");
        }
        assert_eq!(with("https://a.cn/x/").public_base(), "https://a.cn/x");
        let c = Config {
            listen: "0.0.0.0:9000".parse().unwrap(),
            ..Config::default()
        };
        assert_eq!(c.public_base(), "http://127.0.0.1:9000");
    }

    #[test]
    fn file_overrides_defaults_and_explicit_file_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\ncors_origins = [\"*\"]\n[rate_limit]\nburst = 9\n",
        )
        .unwrap();
        let c = Config::load(Some(&path)).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.cors_origins, ["*"]);
        assert_eq!(c.rate_limit.burst, 9);
        assert_eq!(c.rate_limit.per_minute, 10); // default kept
        let e = Config::load(Some(&dir.path().join("missing.toml"))).unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
    }
}
