//! Being told (issue 14): the delivery worker of the notification outbox
//! ([`crate::suggestions::outbox`]) — webhooks ([`webhook`]) and email over SMTP
//! ([`email`]) — its configuration, and the admins' view of it ([`admin`]).
//!
//! The store writes one outbox row per destination in the transaction of every answer or
//! status change. [`run`] claims due rows (a lease of [`OutboxConfig::lease`]; PostgreSQL:
//! `FOR UPDATE SKIP LOCKED`, so every server of a cluster runs a worker), delivers them
//! concurrently, and marks a row delivered only after the receiver acknowledged it (a 2xx
//! answer; an SMTP server's `250` after the message). A failed row is due again after an
//! exponential backoff with jitter ([`backoff`]), up to [`OutboxConfig::max_attempts`];
//! then it is given up and shown to admins (`GET /api/v1/admin/outbox`, `/metrics`).
//! A server killed mid-delivery leaves its rows leased: they are delivered again when the
//! lease ends — at least once, with the same idempotency key.
//!
//! Logs name rows by sequence number and tracking id only: never an address, a URL's
//! secret, a receipt code or token, or the SMTP password.

pub mod admin;
pub mod email;
pub mod webhook;

use super::config::Config;
use super::metrics::Metrics;
use crate::suggestions::outbox::{Channel, EventKind, OutboxRow, OutboxTargets, WebhookTarget};
use crate::suggestions::Store;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// One webhook (`[[webhooks]]`). Unknown keys are rejected.
#[derive(Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// Where to POST: `http://` or `https://` (certificates checked against the Mozilla
    /// roots compiled in).
    pub url: String,
    /// The shared secret the signature is computed with (`X-Nuanxin-Signature`); at least
    /// 16 characters. Alternatively `secret_env`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The name of an environment variable holding the secret (instead of `secret`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<String>,
    /// Events to send: `suggestion.status_changed`, `suggestion.answered`. Default (empty):
    /// all.
    pub events: Vec<String>,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &"…")
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

impl WebhookConfig {
    /// The secret: `secret`, else the value of `secret_env`.
    ///
    /// # Errors
    /// A message naming the key when neither gives one of at least 16 characters.
    pub fn secret(&self) -> Result<String, String> {
        let s = match (&self.secret, &self.secret_env) {
            (Some(s), _) => s.clone(),
            (None, Some(var)) => std::env::var(var).map_err(|_| {
                format!("webhooks: the environment variable `{var}` named by secret_env is not set")
            })?,
            (None, None) => {
                return Err("webhooks: every webhook needs `secret` (or `secret_env`)".into())
            }
        };
        if s.chars().count() < 16 {
            return Err("webhooks: the secret must have at least 16 characters".into());
        }
        Ok(s)
    }

    /// The events, parsed.
    ///
    /// # Errors
    /// A message naming the unknown event.
    pub fn event_kinds(&self) -> Result<Vec<EventKind>, String> {
        self.events
            .iter()
            .map(|e| e.parse().map_err(|m| format!("webhooks: {m}")))
            .collect()
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (a relay on the same host or a trusted network only).
    None,
    /// Plain connection upgraded with STARTTLS (required; default port 587).
    #[default]
    Starttls,
    /// TLS from the first byte ("implicit TLS", default port 465).
    Tls,
}

/// The SMTP server (`[smtp]`). Unknown keys are rejected.
#[derive(Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// Host name (checked against the certificate with TLS).
    pub host: String,
    /// Port. Default by `tls`: 25 (`none`), 587 (`starttls`), 465 (`tls`).
    pub port: Option<u16>,
    /// `none`, `starttls` (default) or `tls`.
    pub tls: SmtpTls,
    /// User name for AUTH, if the server wants one.
    pub user: Option<String>,
    /// Password for AUTH: set it in the environment (`NUANXIN_SMTP__PASSWORD`), never in
    /// a file under version control. Never logged or serialised.
    #[serde(skip_serializing)]
    pub password: Option<String>,
    /// The sender, e.g. `暖新地图 <noreply@map.example.gov.cn>`.
    pub from: String,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.user.as_ref().map(|_| "…"))
            .field("password", &self.password.as_ref().map(|_| "…"))
            .finish_non_exhaustive()
    }
}

impl SmtpConfig {
    /// The port in force.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        })
    }
}

/// Delivery of the outbox (`[outbox]`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxConfig {
    /// Attempts before a row is given up. Default 12 (with the default backoff, retries
    /// spread over 34–68 minutes).
    pub max_attempts: u32,
    /// Delay before the first retry, seconds. Default 2.
    pub backoff_initial_s: f64,
    /// Longest delay between attempts, seconds. Default 3600.
    pub backoff_max_s: f64,
    /// Time allowed for one delivery (connect, send, answer), seconds. Default 10. A
    /// claimed row is leased for 3 × this, so a row of a server that died mid-delivery is
    /// sent again that long after it was claimed.
    pub timeout_s: u64,
    /// How often the worker looks for due rows, milliseconds. Default 1000.
    pub poll_ms: u64,
    /// Rows claimed (and delivered concurrently) at a time. Default 16.
    pub batch: usize,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            max_attempts: 12,
            backoff_initial_s: 2.0,
            backoff_max_s: 3600.0,
            timeout_s: 10,
            poll_ms: 1000,
            batch: 16,
        }
    }
}

impl OutboxConfig {
    /// The lease of a claimed row: 3 × the delivery timeout.
    pub fn lease(&self) -> chrono::Duration {
        chrono::Duration::seconds(3 * self.timeout_s.max(1) as i64)
    }
}

/// The delay before attempt `attempts + 1` after `attempts` failed ones: "equal jitter"
/// exponential backoff (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015):
/// `d = min(max, initial × 2^(attempts−1))`, then a uniform draw in `[d/2, d]` with
/// `unit` ∈ [0, 1) the random number.
pub fn backoff(c: &OutboxConfig, attempts: u32, unit: f64) -> Duration {
    let exp = attempts.saturating_sub(1).min(62) as i32;
    let d = (c.backoff_initial_s.max(0.0) * 2f64.powi(exp)).min(c.backoff_max_s.max(0.0));
    Duration::from_secs_f64(d / 2.0 + unit.clamp(0.0, 1.0) * d / 2.0)
}

/// Checks the notification settings of `config`.
///
/// # Errors
/// A message naming the key.
pub fn validate(config: &Config) -> Result<(), String> {
    for w in &config.webhooks {
        let u = w.url.trim();
        if !(u.starts_with("http://") || u.starts_with("https://"))
            || webhook::Target::parse(u).is_err()
        {
            return Err(format!(
                "webhooks: url must be http:// or https:// followed by a host (got {} characters that are not)",
                u.chars().count()
            ));
        }
        w.secret()?;
        w.event_kinds()?;
    }
    if let Some(s) = &config.smtp {
        if s.host.trim().is_empty() {
            return Err("smtp: host is missing".into());
        }
        if s.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(
                "smtp: from must be an address, e.g. \"暖新地图 <noreply@example.gov.cn>\"".into(),
            );
        }
        if s.user.is_some() && s.password.is_none() {
            return Err("smtp: user is set but no password (set NUANXIN_SMTP__PASSWORD)".into());
        }
    }
    if config.outbox.max_attempts == 0 || config.outbox.batch == 0 {
        return Err("outbox: max_attempts and batch must be at least 1".into());
    }
    Ok(())
}

/// The store's destinations for `config`.
///
/// # Errors
/// As [`validate`].
pub fn targets(config: &Config) -> Result<OutboxTargets, String> {
    Ok(OutboxTargets {
        webhooks: config
            .webhooks
            .iter()
            .map(|w| {
                Ok(WebhookTarget {
                    url: w.url.trim().to_string(),
                    events: w.event_kinds()?,
                })
            })
            .collect::<Result<_, String>>()?,
        email: config.smtp.is_some(),
    })
}

/// What the worker delivers with: the webhooks with their secrets, the mailer, the public
/// base URL.
pub struct Notifier {
    webhooks: Vec<(String, String)>,
    mailer: Option<email::Mailer>,
    public_base: String,
    config: OutboxConfig,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("webhooks", &self.webhooks.len())
            .field("email", &self.mailer.is_some())
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// The notifier of `config`.
    ///
    /// # Errors
    /// As [`validate`]; an SMTP transport that cannot be built.
    pub fn new(config: &Config) -> Result<Self, String> {
        validate(config)?;
        Ok(Self {
            webhooks: config
                .webhooks
                .iter()
                .map(|w| Ok((w.url.trim().to_string(), w.secret()?)))
                .collect::<Result<_, String>>()?,
            mailer: config
                .smtp
                .as_ref()
                .map(|s| email::Mailer::new(s, config.outbox.timeout_s))
                .transpose()?,
            public_base: config.public_base(),
            config: config.outbox,
        })
    }

    /// Whether anything is configured (no worker runs otherwise… except for rows left by an
    /// earlier configuration: the worker always runs and gives those up).
    pub fn is_configured(&self) -> bool {
        !self.webhooks.is_empty() || self.mailer.is_some()
    }

    /// Delivers one row; `Ok` after the receiver acknowledged it.
    async fn deliver(&self, row: &OutboxRow) -> Result<(), Failure> {
        let timeout = Duration::from_secs(self.config.timeout_s.max(1));
        match row.channel {
            Channel::Webhook => {
                let Some((_, secret)) = self.webhooks.iter().find(|(u, _)| *u == row.destination)
                else {
                    return Err(Failure::Permanent(
                        "this webhook is no longer configured".into(),
                    ));
                };
                let body = webhook::body(&row.payload, &self.public_base);
                tokio::time::timeout(
                    timeout,
                    webhook::post(&row.destination, secret, row, body.as_bytes()),
                )
                .await
                .map_err(|_| Failure::Retry(format!("no answer within {} s", timeout.as_secs())))?
            }
            Channel::Email => {
                let Some(m) = &self.mailer else {
                    return Err(Failure::Permanent("email (smtp) is not configured".into()));
                };
                let msg =
                    email::message(row, &self.public_base, m.from()).map_err(Failure::Permanent)?;
                tokio::time::timeout(timeout, m.send(msg))
                    .await
                    .map_err(|_| {
                        Failure::Retry(format!("no answer within {} s", timeout.as_secs()))
                    })?
                    .map_err(|e| Failure::Retry(e.replace(&row.destination, "<recipient>")))
            }
        }
    }
}

/// Why a delivery failed.
#[derive(Debug)]
pub enum Failure {
    /// Worth retrying (a network error, a non-2xx answer, a timeout).
    Retry(String),
    /// Retrying cannot help (the destination is no longer configured): given up at once.
    Permanent(String),
}

/// Runs the delivery worker of `store` forever (spawn it; it stops with the runtime).
pub async fn run(store: Arc<Store>, notifier: Arc<Notifier>, metrics: Arc<Metrics>) {
    let poll = Duration::from_millis(notifier.config.poll_ms.max(50));
    loop {
        let (st, cfg) = (store.clone(), notifier.config);
        let claimed = tokio::task::spawn_blocking(move || {
            st.claim_outbox(Utc::now(), cfg.batch, cfg.lease())
        })
        .await;
        let rows = match claimed {
            Ok(Ok(rows)) => rows,
            Ok(Err(e)) => {
                tracing::warn!("outbox: cannot claim rows: {e}");
                tokio::time::sleep(poll).await;
                continue;
            }
            Err(e) => {
                tracing::error!("outbox: claim task failed: {e}");
                tokio::time::sleep(poll).await;
                continue;
            }
        };
        if rows.is_empty() {
            tokio::time::sleep(poll).await;
            continue;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for row in rows {
            let (store, notifier, metrics) = (store.clone(), notifier.clone(), metrics.clone());
            tasks.spawn(async move { deliver_one(&store, &notifier, &metrics, row).await });
        }
        while tasks.join_next().await.is_some() {}
    }
}

/// Delivers `row` and records the outcome.
async fn deliver_one(store: &Arc<Store>, notifier: &Notifier, metrics: &Metrics, row: OutboxRow) {
    let outcome = notifier.deliver(&row).await;
    let (seq, channel, attempts) = (row.seq, row.channel, row.attempts);
    let now = Utc::now();
    let st = store.clone();
    let (result, recorded) = match outcome {
        Ok(()) => {
            tracing::info!(seq, channel = channel.as_str(), suggestion = %row.suggestion_id, attempts, "outbox: delivered");
            (
                "delivered",
                tokio::task::spawn_blocking(move || st.outbox_delivered(seq, now)).await,
            )
        }
        Err(Failure::Retry(e)) if attempts < notifier.config.max_attempts => {
            let wait = backoff(&notifier.config, attempts, rand::random::<f64>());
            tracing::warn!(seq, channel = channel.as_str(), suggestion = %row.suggestion_id, attempts, retry_in_s = wait.as_secs_f64(), error = %e, "outbox: delivery failed; will retry");
            let next = now + chrono::Duration::from_std(wait).unwrap_or_default();
            (
                "retry",
                tokio::task::spawn_blocking(move || st.outbox_retry(seq, next, &e)).await,
            )
        }
        Err(Failure::Retry(e) | Failure::Permanent(e)) => {
            tracing::error!(seq, channel = channel.as_str(), suggestion = %row.suggestion_id, attempts, error = %e, "outbox: delivery given up");
            (
                "gave_up",
                tokio::task::spawn_blocking(move || st.outbox_give_up(seq, now, &e)).await,
            )
        }
    };
    metrics.count_outbox(channel.as_str(), result);
    match recorded {
        Ok(Ok(())) => {}
        // the row stays leased and is delivered again after the lease (at least once)
        Ok(Err(e)) => tracing::warn!(seq, "outbox: cannot record the outcome: {e}"),
        Err(e) => tracing::warn!(seq, "outbox: record task failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_equal_jitter() {
        let c = OutboxConfig::default();
        // attempt 1 failed: d = 2 s → [1, 2]; attempt 4: 16 s → [8, 16]; attempt 20: the cap
        assert_eq!(backoff(&c, 1, 0.0), Duration::from_secs(1));
        assert_eq!(backoff(&c, 1, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(&c, 4, 0.5), Duration::from_secs(12));
        assert_eq!(backoff(&c, 20, 0.0), Duration::from_secs(1800));
        assert_eq!(backoff(&c, 1000, 1.0), Duration::from_secs(3600));
        // the documented span of the default schedule: 11 waits of at most 2^1 … 2^11 s
        // (the 12th attempt gives up), 4094 s ≈ 68 min in all; at least half that
        let total: f64 = (1..12).map(|a| backoff(&c, a, 1.0).as_secs_f64()).sum();
        assert_eq!(total, 2.0 * (2f64.powi(11) - 1.0));
    }

    #[test]
    fn settings_are_checked_with_the_key_named() {
        let mut c = Config::default();
        c.webhooks.push(WebhookConfig {
            url: "ftp://x".into(),
            secret: Some("0123456789abcdef".into()),
            ..Default::default()
        });
        assert!(validate(&c).unwrap_err().contains("url"));
        c.webhooks[0].url = "https://hooks.example.com/nuanxin?k=1".into();
        assert!(validate(&c).is_ok());
        c.webhooks[0].secret = Some("short".into());
        assert!(validate(&c).unwrap_err().contains("16"));
        c.webhooks[0].secret = Some("0123456789abcdef".into());
        c.webhooks[0].events = vec!["suggestion.created".into()];
        assert!(validate(&c).unwrap_err().contains("suggestion.created"));
        c.webhooks.clear();
        c.smtp = Some(SmtpConfig {
            host: "smtp.example.com".into(),
            from: "not an address".into(),
            ..Default::default()
        });
        assert!(validate(&c).unwrap_err().contains("from"));
        c.smtp = Some(SmtpConfig {
            host: "smtp.example.com".into(),
            from: "暖新地图 <noreply@example.gov.cn>".into(),
            user: Some("u".into()),
            ..Default::default()
        });
        assert!(validate(&c).unwrap_err().contains("NUANXIN_SMTP__PASSWORD"));
        let shown = format!(
            "{:?}",
            SmtpConfig {
                password: Some("hunter2-secret".into()),
                ..Default::default()
            }
        );
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
