//! Following and triage in the store (issue 14): the short receipt code, duplicates,
//! departments and moderation. Every officer action is one transaction with its audit
//! entry; SQL is portable between the two engines (see [`super::sql`]).
//!
//! - **Duplicate of**: the duplicate is declined with a public note naming the original;
//!   its supporters move to the original (each counted once) and its reporter becomes a
//!   supporter of the original; the duplicate keeps `duplicate_of`, so its reporter is shown
//!   the original's answers.
//! - **Department**: one of the configured names; recorded on the suggestion and on every
//!   later history entry, so public answers name the department that gave them.
//! - **Redaction**: the description or the photo; the original is kept in `redactions` for
//!   admins, the public (and everyone else) sees [`redacted_text`] in its place.

use super::receipt_code;
use super::sql::{args, Conn};
use super::store::{audit_tx, constant_time_eq, from_ms, ms};
use super::{Officer, PublicNote, Status, Store, StoreError, Suggestion, SuggestionError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What can be redacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RedactField {
    /// The description.
    Description,
    /// The attached photo.
    Photo,
}

impl RedactField {
    fn as_str(self) -> &'static str {
        match self {
            RedactField::Description => "description",
            RedactField::Photo => "photo",
        }
    }
}

/// One redaction with the original (admins only).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Redaction {
    /// What was redacted.
    pub field: RedactField,
    /// Why (public).
    pub reason: String,
    /// The original description (for `description`).
    pub original_text: Option<String>,
    /// The original photo's media type (for `photo`; the bytes at `…/redactions/{seq}/photo`).
    pub original_photo_type: Option<String>,
    /// Sequence number.
    pub seq: i64,
    /// Who (token id).
    pub officer_id: Option<i64>,
    /// When.
    pub at: DateTime<Utc>,
}

/// The text shown in place of a redacted description.
pub fn redacted_text(reason: &str) -> String {
    format!("（此内容已被工作人员屏蔽：{reason}）[Redacted by staff: {reason}]")
}

fn not_found(id: &str) -> SuggestionError {
    SuggestionError::NotFound(format!("no suggestion `{id}`"))
}

impl Store {
    /// Whether `code` (as typed: see [`receipt_code::normalize`]) is the short receipt code
    /// of suggestion `id`. Suggestions stored before codes existed have none (false).
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn check_receipt_code(&self, id: &str, code: &str) -> Result<bool, StoreError> {
        let Some(code) = receipt_code::normalize(code) else {
            return Ok(false);
        };
        let want = receipt_code::code_hash(id, &code);
        let row = self.read(|c| {
            c.query_opt(
                "SELECT code_hash FROM suggestions WHERE id = ?1",
                &args![id],
            )
        })?;
        let stored: Option<String> = match row {
            Some(r) => r.get(0)?,
            None => None,
        };
        Ok(stored.is_some_and(|h| constant_time_eq(h.as_bytes(), want.as_bytes())))
    }

    /// Assigns suggestion `id` to `department` (validated by the caller against the
    /// configured list), audited as `suggestion.department`.
    ///
    /// # Errors
    /// [`SuggestionError::NotFound`]; [`SuggestionError::Store`].
    pub fn assign_department(
        &self,
        id: &str,
        department: &str,
        officer: &Officer,
        at: DateTime<Utc>,
    ) -> Result<Suggestion, SuggestionError> {
        self.write_suggestions(|c| {
            let n = c.execute(
                "UPDATE suggestions SET department = ?2, updated_at = ?3 WHERE id = ?1",
                &args![id, department, ms(at)],
            )?;
            if n == 0 {
                return Err(not_found(id));
            }
            let detail = serde_json::json!({ "department": department }).to_string();
            audit_tx(c, at, Some(officer), "suggestion.department", id, &detail)?;
            Ok(())
        })?;
        self.suggestion(id)?.ok_or_else(|| not_found(id))
    }

    /// Marks suggestion `id` as a duplicate of `original` (see the module docs), with the
    /// public `note`, audited as `suggestion.duplicate`. Returns the duplicate.
    ///
    /// # Errors
    /// [`SuggestionError::NotFound`] for either; [`SuggestionError::Conflict`] when `id` is
    /// `original`, `original` is itself a duplicate, or `id` is already closed;
    /// [`SuggestionError::Store`].
    pub fn mark_duplicate(
        &self,
        id: &str,
        original: &str,
        note: &PublicNote,
        officer: &Officer,
        at: DateTime<Utc>,
    ) -> Result<Suggestion, SuggestionError> {
        if id == original {
            return Err(SuggestionError::Conflict(
                "a suggestion cannot duplicate itself".into(),
            ));
        }
        let reporter = self.supporter_hash(&format!("reporter:{id}"));
        let targets = self.outbox_targets();
        self.write_suggestions(|c| {
            let (from, _) = Self::lock_status(c, id)?;
            let Some(orig) = c.query_opt(
                "SELECT duplicate_of FROM suggestions WHERE id = ?1",
                &args![original],
            )?
            else {
                return Err(not_found(original));
            };
            if let Some(root) = orig.get::<Option<String>>(0)? {
                return Err(SuggestionError::Conflict(format!(
                    "`{original}` is itself a duplicate of `{root}`; mark it as a duplicate of `{root}`"
                )));
            }
            if !from.is_open() {
                return Err(SuggestionError::Conflict(format!(
                    "suggestion `{id}` is already closed ({from})"
                )));
            }
            let t = ms(at);
            // supporters move to the original, each once; the duplicate's reporter joins them
            c.execute(
                "INSERT INTO supports (suggestion_id, client_hash, at) \
                 SELECT ?2, client_hash, at FROM supports WHERE suggestion_id = ?1 \
                 ON CONFLICT (suggestion_id, client_hash) DO NOTHING",
                &args![id, original],
            )?;
            c.execute(
                "INSERT INTO supports (suggestion_id, client_hash, at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (suggestion_id, client_hash) DO NOTHING",
                &args![original, reporter.as_str(), t],
            )?;
            c.execute("DELETE FROM supports WHERE suggestion_id = ?1", &args![id])?;
            recount(c, original)?;
            recount(c, id)?;
            c.execute(
                "UPDATE suggestions SET status = 'declined', duplicate_of = ?2, updated_at = ?3, \
                 first_answer_at = COALESCE(first_answer_at, ?3), resolved_at = NULL WHERE id = ?1",
                &args![id, original, t],
            )?;
            let seq: i64 = c
                .query_one(
                    "INSERT INTO status_changes (suggestion_id, from_status, to_status, note, officer_id, at, department) \
                     VALUES (?1, ?2, 'declined', ?3, ?4, ?5, (SELECT department FROM suggestions WHERE id = ?1)) RETURNING seq",
                    &args![id, from.as_str(), note.as_str(), officer.id, t],
                )?
                .get(0)?;
            let detail = serde_json::json!({
                "duplicate_of": original, "from": from, "to": Status::Declined, "note": note.as_str()
            })
            .to_string();
            audit_tx(c, at, Some(officer), "suggestion.duplicate", id, &detail)?;
            super::outbox::enqueue(c, &targets, seq, at)?;
            Ok(())
        })?;
        self.suggestion(id)?.ok_or_else(|| not_found(id))
    }

    /// The duplicates of `original` (tracking ids, oldest first).
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn duplicates_of(&self, original: &str) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            c.query(
                "SELECT id FROM suggestions WHERE duplicate_of = ?1 ORDER BY created_at, id",
                &args![original],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect()
        })
    }

    /// Redacts the description or the photo of suggestion `id` with a public `reason`: the
    /// original goes to `redactions` (admins), the description is replaced by
    /// [`redacted_text`] or the photo removed. Audited as `suggestion.redact` (field and
    /// reason; never the original).
    ///
    /// # Errors
    /// [`SuggestionError::NotFound`]; [`SuggestionError::Conflict`] when there is no photo
    /// to redact; [`SuggestionError::Store`].
    pub fn redact(
        &self,
        id: &str,
        field: RedactField,
        reason: &PublicNote,
        officer: &Officer,
        at: DateTime<Utc>,
    ) -> Result<Suggestion, SuggestionError> {
        self.write_suggestions(|c| {
            Self::lock_status(c, id)?;
            let t = ms(at);
            match field {
                RedactField::Description => {
                    c.execute(
                        "INSERT INTO redactions (suggestion_id, field, reason, original_text, officer_id, at) \
                         SELECT id, 'description', ?2, description, ?3, ?4 FROM suggestions WHERE id = ?1",
                        &args![id, reason.as_str(), officer.id, t],
                    )?;
                    c.execute(
                        "UPDATE suggestions SET description = ?2, updated_at = ?3 WHERE id = ?1",
                        &args![id, redacted_text(reason.as_str()), t],
                    )?;
                }
                RedactField::Photo => {
                    let n = c.execute(
                        "INSERT INTO redactions (suggestion_id, field, reason, original_photo, original_photo_type, officer_id, at) \
                         SELECT id, 'photo', ?2, photo, photo_type, ?3, ?4 FROM suggestions \
                         WHERE id = ?1 AND photo IS NOT NULL",
                        &args![id, reason.as_str(), officer.id, t],
                    )?;
                    if n == 0 {
                        return Err(SuggestionError::Conflict(format!(
                            "suggestion `{id}` has no photo"
                        )));
                    }
                    c.execute(
                        "UPDATE suggestions SET photo = NULL, photo_type = NULL, updated_at = ?2 WHERE id = ?1",
                        &args![id, t],
                    )?;
                }
            }
            let detail =
                serde_json::json!({ "field": field.as_str(), "reason": reason.as_str() }).to_string();
            audit_tx(c, at, Some(officer), "suggestion.redact", id, &detail)?;
            Ok(())
        })?;
        self.suggestion(id)?.ok_or_else(|| not_found(id))
    }

    /// The redactions of suggestion `id` with the originals (for admins), oldest first.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn redactions(&self, id: &str) -> Result<Vec<Redaction>, StoreError> {
        self.read(|c| {
            c.query(
                "SELECT seq, field, reason, original_text, original_photo_type, officer_id, at \
                 FROM redactions WHERE suggestion_id = ?1 ORDER BY seq",
                &args![id],
            )?
            .iter()
            .map(|r| {
                let field: String = r.get(1)?;
                Ok(Redaction {
                    seq: r.get(0)?,
                    field: if field == "photo" {
                        RedactField::Photo
                    } else {
                        RedactField::Description
                    },
                    reason: r.get(2)?,
                    original_text: r.get(3)?,
                    original_photo_type: r.get(4)?,
                    officer_id: r.get(5)?,
                    at: from_ms(r.get(6)?),
                })
            })
            .collect()
        })
    }

    /// The original photo of redaction `seq` of suggestion `id`: media type and bytes.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn redacted_photo(
        &self,
        id: &str,
        seq: i64,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let row = self.read(|c| {
            c.query_opt(
                "SELECT original_photo_type, original_photo FROM redactions \
                 WHERE suggestion_id = ?1 AND seq = ?2 AND original_photo IS NOT NULL",
                &args![id, seq],
            )
        })?;
        row.map(|r| Ok((r.get(0)?, r.get(1)?))).transpose()
    }
}

/// Sets the supporters count of `id` from its rows in `supports`.
fn recount(c: &mut dyn Conn, id: &str) -> Result<(), StoreError> {
    c.execute(
        "UPDATE suggestions SET supporters = \
         (SELECT count(*) FROM supports WHERE suggestion_id = ?1) WHERE id = ?1",
        &args![id],
    )?;
    Ok(())
}
