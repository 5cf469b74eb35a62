//! Suggestions API (人民建议): submit, list, follow, support, answer, export. Campaigns,
//! KPIs, the audit log and the admin service-point API are sibling modules
//! (`server::{campaigns, stats, audit, admin_points}`).
//!
//! | method | path | who | module |
//! |---|---|---|---|
//! | POST | `/api/v1/suggestions` (JSON, multipart with `photo`, or form) | anyone (rate limited) | `submit` |
//! | GET | `/api/v1/suggestions` | anyone (public fields) | `read` |
//! | GET | `/api/v1/suggestions/nearby` | anyone | `read` |
//! | GET | `/api/v1/suggestions/categories` | anyone | `read` |
//! | GET | `/api/v1/suggestions/{id}` | anyone; full record with receipt or officer token | `read` |
//! | GET | `/api/v1/suggestions/{id}/photo` | reporter (receipt) or officer | `read` |
//! | POST | `/api/v1/suggestions/{id}/support` | anyone (once per client IP) | `read` |
//! | POST | `/api/v1/suggestions/{id}/status` | officer of the district, admin | `answer` |
//! | POST | `/api/v1/suggestions/{id}/reopen` | reporter (receipt), after resolved/declined | `answer` |
//! | GET | `/api/v1/admin/suggestions/export` | officer (their districts), admin | `export` |
//! | POST | `/api/v1/suggestions/lookup` | anyone with tracking id + code | `triage` |
//! | POST | `/api/v1/suggestions/{id}/duplicate`, `/department`, `/redact` | officer of the district | `triage` |
//! | GET | `/api/v1/admin/suggestions/{id}/redactions[/{seq}/photo]` | admin | `triage` |
//!
//! The OGC API – Features collection `suggestions` is [`collection::SuggestionsCollection`].
//!
//! Credentials: officers send `Authorization: Bearer <token>` (see `server::auth`);
//! reporters send their receipt as `X-Receipt-Token: <token>` (or the short code as
//! `X-Receipt-Code`); a `?receipt=` query parameter is refused with 400. Every
//! write endpoint answers 401 without a valid token and 403 outside the token's role or
//! districts. Client IP (rate limit, supporter dedupe): see `server::auth::ClientIp`.

pub mod answer;
pub mod collection;
pub mod export;
pub mod read;
pub mod submit;
pub mod triage;

use super::auth::MaybeOfficer;
use super::db::Db;
use super::error::{AppError, Problem};
use super::AppState;
use crate::suggestions::{Audience, Suggestion};
use axum::extract::{DefaultBodyLimit, Path};
use axum::http::HeaderMap;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A suggestion's tracking id from the URL path, as a person may type it from a receipt:
/// case-insensitive, with the Crockford base-32 look-alikes (O → 0, I and L → 1) mapped
/// as Crockford's spec allows (<https://www.crockford.com/base32.html>). Tracking ids are
/// `S` + date + `-` + 6 Crockford characters (see `suggestions::store`).
pub(crate) struct TrackingId(pub String);

impl TrackingId {
    /// The canonical (upper-case) form of a typed id.
    pub(crate) fn canonical(typed: &str) -> String {
        let upper = typed.trim().to_ascii_uppercase();
        match upper.split_once('-') {
            Some((head, tail)) => {
                let tail: String = tail
                    .chars()
                    .map(|c| match c {
                        'O' => '0',
                        'I' | 'L' => '1',
                        c => c,
                    })
                    .collect();
                format!("{head}-{tail}")
            }
            None => upper,
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for TrackingId {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, AppError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::bad_param("id", e.body_text()))?;
        Ok(TrackingId(Self::canonical(&id)))
    }
}

/// A reporter's credential: the long receipt token or the short code (with the tracking
/// id of the URL).
#[derive(Debug, Clone)]
pub(crate) enum Receipt {
    /// The receipt token (`X-Receipt-Token`).
    Token(String),
    /// The 6-character code (`X-Receipt-Code`, or the body of the lookup).
    Code(String),
}

impl Receipt {
    /// Whether this is the credential of suggestion `id`.
    pub(crate) fn check(&self, st: &crate::suggestions::Store, id: &str) -> Result<bool, AppError> {
        Ok(match self {
            Receipt::Token(t) => st.check_receipt(id, t.trim())?,
            Receipt::Code(c) => st.check_receipt_code(id, c)?,
        })
    }
}

/// The one answer to "no such tracking id" and to "wrong code" (as `POST …/lookup`), so that
/// a guess learns neither whether the id exists nor whether the code was close.
pub(crate) fn no_such_id_and_code() -> AppError {
    AppError::NotFound("no suggestion with this tracking id and code".into())
}

/// The reporter's credential of a request: the `X-Receipt-Token` header, or else the
/// `X-Receipt-Code` header.
///
/// `query` is the `receipt` query parameter, which is refused: credentials never travel in
/// URLs, which end up in request logs, proxies and browser history (issue 15). A code is
/// short enough to guess, so each request that sends one takes a token from the same
/// per-client bucket as `POST /api/v1/suggestions/lookup` (`[lookup_rate_limit]`).
///
/// # Errors
/// 400 naming `receipt` when `query` is set; 429 with `Retry-After` when the client's
/// look-up bucket is empty.
pub(crate) fn receipt_of(
    state: &AppState,
    ip: Option<std::net::IpAddr>,
    query: Option<String>,
    headers: &HeaderMap,
) -> Result<Option<Receipt>, AppError> {
    if query.is_some() {
        return Err(AppError::bad_param(
            "receipt",
            "receipts are not accepted in URLs (they end up in logs and browser history): \
             send the token in the X-Receipt-Token header, or the code in X-Receipt-Code",
        ));
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let receipt = header("x-receipt-token")
        .map(Receipt::Token)
        .or_else(|| header("x-receipt-code").map(Receipt::Code));
    if let (Some(Receipt::Code(_)), Some(limiter)) = (&receipt, &state.lookup_limiter) {
        limiter.check(ip)?;
    }
    Ok(receipt)
}

/// What the request's receipt proved about a suggestion ([`load_for`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReceiptCheck {
    /// No receipt was sent.
    Absent,
    /// The receipt (token or code) matches the suggestion: its reporter.
    Matches,
    /// A receipt token was sent and does not match (a wrong code never gets this far: 404).
    WrongToken,
}

impl ReceiptCheck {
    /// [`ReceiptCheck::Matches`] as `Ok(())`; otherwise the error of a reporter-only action:
    /// 403 for a wrong token, 401 for none.
    pub(crate) fn require(self) -> Result<(), AppError> {
        match self {
            ReceiptCheck::Matches => Ok(()),
            ReceiptCheck::WrongToken => Err(wrong_token()),
            ReceiptCheck::Absent => Err(no_receipt()),
        }
    }
}

/// 401 for a reporter-only action without a receipt.
pub(crate) fn no_receipt() -> AppError {
    AppError::Unauthorized(
        "send the receipt token (X-Receipt-Token) or code (X-Receipt-Code)".into(),
    )
}

/// The suggestion `id` for a request with credential `receipt`, and whether the receipt
/// matches it, in one store call (the receipt is checked once): 404 when there is no such
/// suggestion. With a code, an unknown id and a wrong code get the same 404
/// ([`no_such_id_and_code`]); a wrong token is left to the caller ([`ReceiptCheck`]), since an
/// officer may read with one.
pub(crate) async fn load_for(
    db: &Db,
    id: String,
    receipt: Option<&Receipt>,
) -> Result<(Suggestion, ReceiptCheck), AppError> {
    let receipt = receipt.cloned();
    db.run(move |st| {
        let is_code = matches!(receipt, Some(Receipt::Code(_)));
        let Some(s) = st.suggestion(&id)? else {
            return Err(if is_code {
                no_such_id_and_code()
            } else {
                no_such_id(&id)
            });
        };
        let check = match &receipt {
            None => ReceiptCheck::Absent,
            Some(r) if r.check(st, &id)? => ReceiptCheck::Matches,
            Some(_) if is_code => return Err(no_such_id_and_code()),
            Some(_) => ReceiptCheck::WrongToken,
        };
        Ok((s, check))
    })
    .await
}

/// Who may see what of suggestion `s`: officer (token and district), reporter (a matching
/// receipt, as [`load_for`] found) or public. A wrong receipt token is 403.
fn audience_for(
    officer: &MaybeOfficer,
    receipt: ReceiptCheck,
    s: &Suggestion,
) -> Result<Audience, AppError> {
    if let MaybeOfficer(Some(o)) = officer {
        if o.handles(s.adcode.as_deref()) {
            return Ok(Audience::Officer);
        }
    }
    match receipt {
        ReceiptCheck::Matches => Ok(Audience::Reporter),
        ReceiptCheck::WrongToken => Err(wrong_token()),
        ReceiptCheck::Absent => Ok(Audience::Public),
    }
}

/// 403 for a receipt token that does not match the suggestion.
fn wrong_token() -> AppError {
    AppError::Forbidden("the receipt token does not match this suggestion".into())
}

/// 404 for an unknown tracking id (without a code: with one, [`no_such_id_and_code`]).
fn no_such_id(id: &str) -> AppError {
    AppError::NotFound(format!("no suggestion `{id}`"))
}

/// The suggestion `id`; 404 when there is none.
pub(crate) async fn load(db: &Db, id: String) -> Result<Suggestion, AppError> {
    db.run(move |st| st.suggestion(&id)?.ok_or_else(|| no_such_id(&id)))
        .await
}

#[derive(utoipa::OpenApi)]
#[openapi(
    components(schemas(submit::SubmitBody, submit::SubmitForm, submit::SubmitResponse,
        crate::suggestions::SuggestionView, read::SuggestionPage, read::NearbyResponse,
        read::NearbyItem, read::CategoryInfo, answer::StatusBody, answer::ReopenBody,
        crate::suggestions::SupportOutcome, triage::LookupBody, triage::LookupResponse,
        triage::DuplicateBody, triage::DepartmentBody, triage::RedactBody,
        crate::suggestions::triage::Redaction, crate::suggestions::triage::RedactField, Problem)),
    tags((name = "suggestions", description = "人民建议: submit, follow, support"),
         (name = "officers", description = "办理: answers, exports, audit, service points"))
)]
struct Doc;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes({
            let (schemas, paths, method_router) = routes!(submit::submit, read::list);
            let limit = DefaultBodyLimit::max(submit::SUBMIT_BODY_LIMIT);
            // the larger body limit applies to the POST only
            let method_router = method_router.layer(limit);
            (schemas, paths, method_router)
        })
        .routes(routes!(read::nearby))
        .routes(routes!(read::categories))
        .routes(routes!(read::get_one))
        .routes(routes!(read::get_photo))
        .routes(routes!(read::support))
        .routes(routes!(answer::change_status))
        .routes(routes!(answer::reopen))
        .routes(routes!(export::export_suggestions))
        .routes(routes!(triage::lookup))
        .routes(routes!(triage::mark_duplicate))
        .routes(routes!(triage::assign_department))
        .routes(routes!(triage::redact))
        .routes(routes!(triage::redactions))
        .routes(routes!(triage::redacted_photo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_tracking_ids_are_canonical() {
        // Crockford base 32: O reads as 0, I and L as 1 (hand-mapped).
        assert_eq!(
            TrackingId::canonical(" s20261129-o1il2x "),
            "S20261129-01112X"
        );
        assert_eq!(
            TrackingId::canonical("S20261129-73W4DN"),
            "S20261129-73W4DN"
        );
    }
}
