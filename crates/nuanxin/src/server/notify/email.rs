//! Email delivery over SMTP (`lettre`, rustls): the reporter of a suggestion (and the
//! reporters of its duplicates) is told of every answer and status change.
//!
//! The message is plain UTF-8 text, Chinese first and English second, with the status, the
//! answer, the department, the short tracking id and the public link of the suggestion —
//! never the receipt code or token (the reporter looks the suggestion up with the code they
//! kept). Its `Message-ID` is derived from the row's idempotency key, so a message sent
//! twice (at least once delivery) carries the same id and mail clients show it once.

use super::{SmtpConfig, SmtpTls};
use crate::suggestions::outbox::OutboxRow;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// An SMTP transport and the sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// The transport of `c` with commands timing out after `timeout_s` seconds.
    ///
    /// # Errors
    /// A message when the sender is not an address or TLS cannot be set up for the host.
    pub fn new(c: &SmtpConfig, timeout_s: u64) -> Result<Self, String> {
        let host = c.host.trim();
        let builder = match c.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| format!("smtp: {e}"))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| format!("smtp: {e}"))?,
        };
        let mut builder = builder
            .port(c.port())
            .timeout(Some(Duration::from_secs(timeout_s.max(1))));
        if let (Some(user), Some(password)) = (&c.user, &c.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            from: c
                .from
                .parse()
                .map_err(|_| "smtp: from is not an address".to_string())?,
        })
    }

    /// The sender.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Sends `msg`; `Ok` once the server accepted it (`250` after the data).
    ///
    /// # Errors
    /// The transport's message (it may echo the recipient: callers redact it).
    pub async fn send(&self, msg: Message) -> Result<(), String> {
        self.transport
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }
}

/// Text of an optional JSON string, or `fallback`.
fn text<'a>(v: &'a serde_json::Value, fallback: &'a str) -> &'a str {
    v.as_str().filter(|s| !s.is_empty()).unwrap_or(fallback)
}

/// Subject and body of the email for `row` (see the module docs).
///
/// # Errors
/// A message when the payload is not the store's JSON.
pub fn compose(row: &OutboxRow, public_base: &str) -> Result<(String, String), String> {
    let p: serde_json::Value =
        serde_json::from_str(&row.payload).map_err(|e| format!("payload: {e}"))?;
    let s = &p["suggestion"];
    let ch = &p["change"];
    let id = text(&s["id"], "");
    let mine = text(&p["recipient_suggestion_id"], id);
    let to_zh = text(&ch["to_label_zh"], text(&ch["to"], ""));
    let to_en = text(&ch["to"], "").replace('_', " ");
    let note = text(&ch["note"], "");
    let dept = text(&ch["department"], text(&s["department"], ""));
    let category = text(&s["category_label_zh"], text(&s["category"], ""));
    let link = format!("{public_base}/#s/{id}");
    let answered = ch["from"] == ch["to"];
    let subject = if answered {
        format!("【暖新地图】您的建议 {mine} 有新答复 / New answer to your suggestion")
    } else {
        format!("【暖新地图】您的建议 {mine} 状态更新为「{to_zh}」 / Status: {to_en}")
    };
    let mut b = String::new();
    b.push_str("您好！\n\n");
    if mine != id {
        b.push_str(&format!(
            "您提交的建议 {mine} 已与建议 {id} 合并办理，以下是该建议的最新答复。\n\n"
        ));
    } else if answered {
        b.push_str(&format!(
            "您提交的建议 {mine}（{category}）有了新的答复。\n\n"
        ));
    } else {
        b.push_str(&format!(
            "您提交的建议 {mine}（{category}）状态已更新。\n\n"
        ));
    }
    b.push_str(&format!("状态：{to_zh}\n"));
    b.push_str(&format!("答复：{note}\n"));
    if !dept.is_empty() {
        b.push_str(&format!("办理部门：{dept}\n"));
    }
    b.push_str(&format!("查询编号：{id}\n"));
    b.push_str(&format!("查看详情：{link}\n"));
    b.push_str("在任意设备上打开“查询”，输入您提交时保存的查询码，即可查看全部进展。\n\n");
    b.push_str("—— 暖新地图（本邮件由系统自动发送，请勿直接回复）\n\n");
    b.push_str("----------------------------------------\n\n");
    if mine != id {
        b.push_str(&format!(
            "Your suggestion {mine} is handled together with suggestion {id}; here is its latest answer.\n\n"
        ));
    } else if answered {
        b.push_str(&format!("Your suggestion {mine} has a new answer.\n\n"));
    } else {
        b.push_str(&format!(
            "The status of your suggestion {mine} changed.\n\n"
        ));
    }
    b.push_str(&format!("Status: {to_en}\nAnswer: {note}\n"));
    if !dept.is_empty() {
        b.push_str(&format!("Department: {dept}\n"));
    }
    b.push_str(&format!(
        "Tracking id: {id}\nDetails: {link}\nOn any device, open \"Look up\" and type the code you kept when you submitted.\n\n— Nuanxin Map (automatic message; please do not reply)\n"
    ));
    Ok((subject, b))
}

/// The message for `row` from `from` (see [`compose`]).
///
/// # Errors
/// A message when the payload or the recipient is not valid.
pub fn message(row: &OutboxRow, public_base: &str, from: &Mailbox) -> Result<Message, String> {
    let (subject, body) = compose(row, public_base)?;
    let to: Mailbox = row
        .destination
        .parse()
        .map_err(|_| "the recipient is not a valid address".to_string())?;
    let domain = from.email.domain().to_string();
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<{}@{domain}>", row.idempotency_key)))
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| format!("message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggestions::outbox::{Channel, EventKind};

    fn row(payload: serde_json::Value) -> OutboxRow {
        OutboxRow {
            seq: 7,
            idempotency_key: "nx-7-0123456789abcdef".into(),
            channel: Channel::Email,
            destination: "li@example.com".into(),
            event: EventKind::StatusChanged,
            suggestion_id: "S20261207-AAAAAA".into(),
            payload: payload.to_string(),
            attempts: 1,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn text_has_status_answer_department_id_and_link_and_no_code() {
        let r = row(serde_json::json!({
            "suggestion": {"id": "S20261207-AAAAAA", "category_label_zh": "停车难", "department": "城管"},
            "change": {"from": "accepted", "to": "resolved", "to_label_zh": "已办结", "note": "已加装停车架", "department": "城管"},
        }));
        let (subject, body) = compose(&r, "https://map.example.gov.cn").unwrap();
        assert!(
            subject.contains("S20261207-AAAAAA") && subject.contains("已办结"),
            "{subject}"
        );
        for want in [
            "状态：已办结",
            "答复：已加装停车架",
            "办理部门：城管",
            "查询编号：S20261207-AAAAAA",
            "https://map.example.gov.cn/#s/S20261207-AAAAAA",
            "Status: resolved",
        ] {
            assert!(body.contains(want), "{want} in {body}");
        }
        // the Chinese text comes first
        assert!(body.find("状态").unwrap() < body.find("Status").unwrap());
        let from: Mailbox = "暖新地图 <noreply@example.gov.cn>".parse().unwrap();
        let m = String::from_utf8(message(&r, "https://x.cn", &from).unwrap().formatted()).unwrap();
        assert!(
            m.contains("Message-ID: <nx-7-0123456789abcdef@example.gov.cn>"),
            "{m}"
        );
    }

    #[test]
    fn a_duplicates_reporter_is_told_of_the_merge() {
        let r = row(serde_json::json!({
            "recipient_suggestion_id": "S20261207-BBBBBB",
            "suggestion": {"id": "S20261207-AAAAAA"},
            "change": {"from": "accepted", "to": "accepted", "note": "补充"},
        }));
        let (subject, body) = compose(&r, "https://x.cn").unwrap();
        assert!(subject.contains("S20261207-BBBBBB") && subject.contains("新答复"));
        assert!(
            body.contains("已与建议 S20261207-AAAAAA 合并办理"),
            "{body}"
        );
    }
}
