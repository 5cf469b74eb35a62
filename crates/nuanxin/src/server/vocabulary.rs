//! `GET /api/v1/vocabulary`: the codes of every closed vocabulary the API uses, in
//! declaration order, each with its Simplified Chinese and English label.
//!
//! The labels have one source, the vocabulary enums of the core crate
//! (`model::{ServiceKind, Amenity, AccessMethod}`, `suggestions::{Category, Status,
//! ReporterRole, CampaignKind, OfficerRole}`, declared with their labels by one macro); the
//! web page reads them from here instead of declaring its own (`web/i18n.js`), so a code the
//! server adds or renames cannot be missing from the page.

use super::error::{AppError, Problem};
use super::points::query::Params;
use super::web::{etag_of, not_modified};
use super::AppState;
use crate::model::{AccessMethod, Amenity, ServiceKind};
use crate::suggestions::{CampaignKind, Category, OfficerRole, ReporterRole, Status};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::OnceLock;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// One code of a vocabulary with its labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Term {
    /// The code used in the API, files and the database, e.g. `station`.
    pub code: &'static str,
    /// Simplified Chinese label for people, e.g. `驿站`.
    pub zh: &'static str,
    /// English label for people, e.g. `Rest station`.
    pub en: &'static str,
}

/// Every closed vocabulary of the API, each a list of its codes in declaration order (the
/// order a user interface lists them in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Vocabulary {
    /// Kinds of service point (`kind` of points, `kinds` of coverage).
    pub kind: Vec<Term>,
    /// What a service point offers (`amenities`).
    pub amenity: Vec<Term>,
    /// How a rider gets into a service point (`access`).
    pub access: Vec<Term>,
    /// What a suggestion is about (`category`).
    pub category: Vec<Term>,
    /// Where a suggestion is in its lifecycle (`status`).
    pub status: Vec<Term>,
    /// Who the reporter of a suggestion says they are (`role` of a suggestion).
    pub role: Vec<Term>,
    /// Kinds of campaign (`kind` of a campaign).
    pub campaign_kind: Vec<Term>,
    /// What a bearer token may do (`role` of an officer token).
    pub officer_role: Vec<Term>,
}

/// The terms of one vocabulary enum, from its `ALL`, `as_str`, `label_zh` and `label_en`.
macro_rules! terms {
    ($t:ty) => {
        <$t>::ALL
            .iter()
            .map(|v| Term {
                code: v.as_str(),
                zh: v.label_zh(),
                en: v.label_en(),
            })
            .collect::<Vec<Term>>()
    };
}

impl Vocabulary {
    /// Every vocabulary, from the core enums.
    pub fn build() -> Self {
        Vocabulary {
            kind: terms!(ServiceKind),
            amenity: terms!(Amenity),
            access: terms!(AccessMethod),
            category: terms!(Category),
            status: terms!(Status),
            role: terms!(ReporterRole),
            campaign_kind: terms!(CampaignKind),
            officer_role: terms!(OfficerRole),
        }
    }

    /// The vocabularies by name (the JSON field names), for checks over all of them.
    pub fn by_name(&self) -> [(&'static str, &[Term]); 8] {
        [
            ("kind", &self.kind),
            ("amenity", &self.amenity),
            ("access", &self.access),
            ("category", &self.category),
            ("status", &self.status),
            ("role", &self.role),
            ("campaign_kind", &self.campaign_kind),
            ("officer_role", &self.officer_role),
        ]
    }
}

/// The response body and its ETag, computed once (the vocabularies change only with the
/// binary).
fn body() -> Result<&'static (Vec<u8>, String), AppError> {
    static BODY: OnceLock<(Vec<u8>, String)> = OnceLock::new();
    if let Some(b) = BODY.get() {
        return Ok(b);
    }
    let json = serde_json::to_vec(&Vocabulary::build())
        .map_err(|e| AppError::Internal(format!("vocabulary: {e}")))?;
    let etag = etag_of(&json);
    Ok(BODY.get_or_init(|| (json, etag)))
}

/// Labels (Chinese and English) of every code of the API's closed vocabularies: service
/// kinds, amenities, access methods, suggestion categories and statuses, reporter roles,
/// campaign kinds, officer roles. `ETag` with `Cache-Control: no-cache`: revalidated with
/// `If-None-Match` (304) by clients that keep a copy.
#[utoipa::path(get, path = "/api/v1/vocabulary", tag = "operations",
    responses(
        (status = 200, description = "Every vocabulary with its labels", body = Vocabulary),
        (status = 304, description = "Not modified (the `If-None-Match` ETag matches)"),
        (status = 400, description = "Unknown query parameter", content_type = "application/problem+json", body = Problem),
    ))]
pub async fn vocabulary(uri: Uri, headers: HeaderMap) -> Result<Response, AppError> {
    Params::from_uri(&uri, &[])?;
    let (json, etag) = body()?;
    let mut h = HeaderMap::new();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    if not_modified(&headers, etag) {
        return Ok((StatusCode::NOT_MODIFIED, h).into_response());
    }
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok((StatusCode::OK, h, json.clone()).into_response())
}

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(Vocabulary, Term, Problem)))]
struct Doc;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi()).routes(routes!(vocabulary))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_han(s: &str) -> bool {
        s.chars().any(|c| {
            ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
        })
    }

    /// Every value of every vocabulary has a Chinese label (with Chinese characters) and an
    /// English one (without), distinct within the vocabulary, and its code is what serde
    /// writes for the value (the code the API and the database use).
    #[test]
    fn every_value_has_both_labels_and_its_serde_code() {
        let v = Vocabulary::build();
        for (name, terms) in v.by_name() {
            assert!(!terms.is_empty(), "{name} is empty");
            let mut zh = std::collections::HashSet::new();
            let mut en = std::collections::HashSet::new();
            for t in terms {
                assert!(
                    has_han(t.zh),
                    "{name}.{}: zh label `{}` has no Chinese",
                    t.code,
                    t.zh
                );
                assert!(
                    !t.en.trim().is_empty() && !has_han(t.en) && t.en.trim() == t.en,
                    "{name}.{}: en label `{}`",
                    t.code,
                    t.en
                );
                assert!(zh.insert(t.zh), "{name}: zh label `{}` twice", t.zh);
                assert!(en.insert(t.en), "{name}: en label `{}` twice", t.en);
            }
        }
        fn serde_codes<T: Serialize>(all: &[T]) -> Vec<String> {
            all.iter()
                .map(|x| {
                    serde_json::to_value(x)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect()
        }
        let codes = |ts: &[Term]| ts.iter().map(|t| t.code.to_string()).collect::<Vec<_>>();
        assert_eq!(codes(&v.kind), serde_codes(ServiceKind::ALL));
        assert_eq!(codes(&v.amenity), serde_codes(Amenity::ALL));
        assert_eq!(codes(&v.access), serde_codes(AccessMethod::ALL));
        assert_eq!(codes(&v.category), serde_codes(Category::ALL));
        assert_eq!(codes(&v.status), serde_codes(Status::ALL));
        assert_eq!(codes(&v.role), serde_codes(ReporterRole::ALL));
        assert_eq!(codes(&v.campaign_kind), serde_codes(CampaignKind::ALL));
        assert_eq!(codes(&v.officer_role), serde_codes(OfficerRole::ALL));
        // the lists the glossary names (docs/GLOSSARY.md), written out independently
        assert_eq!(
            codes(&v.kind),
            [
                "station",
                "legal_aid",
                "rider_friendly_community",
                "collection_point"
            ]
        );
        assert_eq!(
            codes(&v.status),
            [
                "submitted",
                "accepted",
                "in_progress",
                "resolved",
                "declined"
            ]
        );
        assert_eq!(codes(&v.category).len(), 9);
    }

    /// The JSON field names are the names `by_name` gives (the page looks them up by name).
    #[test]
    fn json_fields_are_the_vocabulary_names() {
        let v = Vocabulary::build();
        let json = serde_json::to_value(&v).unwrap();
        let obj = json.as_object().unwrap();
        let names: Vec<&str> = v.by_name().iter().map(|(n, _)| *n).collect();
        let mut keys: Vec<&str> = obj.keys().map(|k| k.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        keys.sort_unstable();
        assert_eq!(keys, sorted);
        assert_eq!(json["status"][3]["zh"], "已办结");
        assert_eq!(json["kind"][0]["en"], "Rest station");
    }
}
