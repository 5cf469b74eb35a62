//! Suggestions (人民建议): pinned at a place, stored durably, answered and tracked.
//!
//! - [`Store`]: the database, SQLite or PostgreSQL (suggestions, their history, supporters, campaigns,
//!   officer tokens, the audit log and the edited service points);
//!   [`sql`] is the engine-neutral SQL layer its methods are written against, [`pg`] the
//!   PostgreSQL engine, [`copy`] the whole-store copy between engines (`nuanxin db copy`);
//! - [`privacy`]: contact parsing and masking of phone and ID-card numbers in public text;
//! - [`photo`]: content sniffing and metadata stripping of attached photos;
//! - [`export`]: CSV (UTF-8 with BOM) and GeoJSON exports;
//! - [`stats`]: handling-speed KPIs; [`kpi`]: per district, category and month against the
//!   [`deadlines`] (working days);
//! - [`submit`]: the rules of a new suggestion ([`submit::submit`]), shared by every channel
//!   (JSON API, forms, Open311).
//!
//! # Lifecycle
//! `submitted → accepted → in_progress → resolved | declined` (see [`Status::can_move_to`]);
//! an officer may reopen a resolved or declined suggestion (back to `accepted`), and so may
//! its reporter with the receipt token within [`REOPEN_WINDOW_DAYS`] days ("not fixed").
//! Every change records who, when and a public note; the public history omits who.
//!
//! # Where a suggestion may be pinned
//! Only inside one of the shipped county-level districts (Hunan, [`crate::districts`]): a
//! position outside every district is rejected ([`SuggestionError::OutsideServiceArea`]),
//! because no office would be responsible for it. A point on a district border counts as
//! inside (the district with the smaller adcode wins a shared border).
//!
//! Why this file is long: the vocabulary of suggestions (categories, statuses, roles, notes,
//! contacts, campaigns) and the errors, shared by every submodule; the rules live in the
//! submodules (`submit`, `triage`, `deadlines`, `privacy`, the store).

pub mod cluster;
pub mod copy;
pub mod deadlines;
pub mod export;
mod health;
pub mod idempotency;
pub mod kpi;
pub mod outbox;
pub mod pg;
pub mod photo;
pub mod privacy;
pub mod receipt_code;
pub mod sql;
mod sqlite;
pub mod stats;
mod store;
pub mod submit;
pub mod triage;

pub use store::{
    AuditEntry, ListQuery, Location, Migration, NewSuggestion, Officer, PointImportCounts,
    PointImportMode, Store, StoreCause, StoreError, SupportOutcome, MIGRATIONS, REOPEN_WINDOW_DAYS,
};

use crate::crs::Crs;
use crate::model::{LonLat, UnknownCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::vocabulary as vocab;

vocab!(
    /// What a suggestion is about (GLOSSARY.md, "Suggestions").
    Category, "category", {
        /// 进门难: cannot get into residential compounds to deliver.
        EntryAccess = "entry_access", "进门难", "Entry access";
        /// 停车难: nowhere to park the e-bike.
        Parking = "parking", "停车难", "Parking";
        /// 补给难: nowhere to get water, food, charging.
        Supplies = "supplies", "补给难", "Supplies";
        /// 休息难: nowhere to rest.
        Rest = "rest", "休息难", "Rest";
        /// 学历提升难: hard to upgrade education or skills.
        Education = "education", "学历提升难", "Education";
        /// 子女托管难: no summer care for children.
        Childcare = "childcare", "子女托管难", "Childcare";
        /// 权益保障: labour rights, injury, contracts.
        Rights = "rights", "权益保障", "Rights";
        /// 安全隐患: a hazard seen on the road.
        SafetyHazard = "safety_hazard", "安全隐患", "Safety hazard";
        /// 其他: anything else.
        Other = "other", "其他", "Other";
    }
);

vocab!(
    /// Who the reporter says they are (optional).
    ReporterRole, "role", {
        /// 快递员
        Courier = "courier", "快递员", "Courier";
        /// 外卖骑手: a food-delivery rider.
        Rider = "rider", "外卖骑手", "Food-delivery rider";
        /// 网约车/货车司机: a ride-hailing or truck driver.
        Driver = "driver", "网约车/货车司机", "Driver";
        /// 居民
        Resident = "resident", "居民", "Resident";
        /// 其他
        Other = "other", "其他", "Other";
    }
);

vocab!(
    /// Where a suggestion is in its lifecycle.
    Status, "status", {
        /// 已提交: received, not yet looked at.
        Submitted = "submitted", "已提交", "Submitted";
        /// 已受理: the responsible office took it on.
        Accepted = "accepted", "已受理", "Accepted";
        /// 办理中: being worked on.
        InProgress = "in_progress", "办理中", "In progress";
        /// 已办结: done.
        Resolved = "resolved", "已办结", "Resolved";
        /// 不予采纳: declined, with the reason in the note.
        Declined = "declined", "不予采纳", "Declined";
    }
);

vocab!(
    /// The kind of a campaign, as the report's WeChat columns name them.
    CampaignKind, "campaign kind", {
        /// 日常征集: the standing, everyday collection.
        Daily = "daily", "日常征集", "Daily collection";
        /// 专项征集: a collection on one problem (e.g. parking at a business district).
        Special = "special", "专项征集", "Special collection";
        /// 主题征集: a themed collection (e.g. summer childcare).
        Themed = "themed", "主题征集", "Themed collection";
    }
);

vocab!(
    /// What a bearer token may do.
    OfficerRole, "role", {
        /// 办理人员: answers suggestions of their districts, edits their service points.
        Officer = "officer", "办理人员", "Officer";
        /// 管理员: everything, everywhere; reads the audit log; creates campaigns.
        Admin = "admin", "管理员", "Administrator";
    }
);

impl Category {
    /// Default duplicate-search radius, metres: how far apart two reports of this category
    /// are likely about the same thing. Compound gates and road hazards are specific places
    /// (150 m, 100 m); parking, supplies and rest concern a street block (200–300 m);
    /// education, childcare and rights concern a neighbourhood (1 km). A search may ask
    /// for another radius up to [`MAX_NEARBY_RADIUS_M`].
    pub fn nearby_radius_m(self) -> f64 {
        match self {
            Category::EntryAccess => 150.0,
            Category::Parking => 200.0,
            Category::Supplies | Category::Rest | Category::Other => 300.0,
            Category::Education | Category::Childcare | Category::Rights => 1000.0,
            Category::SafetyHazard => 100.0,
        }
    }
}

/// Largest radius of a duplicate search, metres.
pub const MAX_NEARBY_RADIUS_M: f64 = 5000.0;

/// Longest public note (an officer's answer, a reporter's reopen reason), characters
/// (Unicode scalar values); the same limit as a suggestion's description.
pub const MAX_NOTE_CHARS: usize = 2000;

/// The first character of `text` that no public text may hold, if any: a control character
/// (Unicode category Cc) other than tab, line feed and carriage return, or a Unicode
/// noncharacter (U+FDD0–U+FDEF and the last two code points of every plane, U+xxFFFE and
/// U+xxFFFF; Unicode 15 §23.7 "not for open interchange"). XML 1.0 (§2.2 `Char`) cannot
/// carry the controls nor U+FFFE/U+FFFF, so one such character in a description made every
/// Open311 XML list and Atom feed that held it unreadable (found by a newcomer's attack).
///
/// ```
/// use nuanxin_core::suggestions::refused_char;
/// assert_eq!(refused_char("路口\n第二行\t好"), None);
/// assert_eq!(refused_char("a\u{1}b"), Some('\u{1}'));
/// assert_eq!(refused_char("x \u{fffe}"), Some('\u{fffe}'));
/// assert_eq!(refused_char("\u{1fffF}"), Some('\u{1ffff}'));
/// assert_eq!(refused_char("\u{fdd0}"), Some('\u{fdd0}'));
/// ```
pub fn refused_char(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        let cp = c as u32;
        (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            || (0xFDD0..=0xFDEF).contains(&cp)
            || cp & 0xFFFE == 0xFFFE
    })
}

/// The error for `c` in `field` ([`refused_char`]).
pub(crate) fn refused_char_error(field: &'static str, c: char) -> SuggestionError {
    let what = if c.is_control() {
        "the control character"
    } else {
        "the Unicode noncharacter"
    };
    SuggestionError::Invalid {
        field,
        msg: format!("{field} contains {what} U+{:04X}", c as u32),
    }
}

/// A public note on a status change: 1–[`MAX_NOTE_CHARS`] characters, not blank, no
/// [`refused_char`]. The
/// store takes only this type, so every channel enforces the same limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicNote(String);

impl PublicNote {
    /// Checks `text` (kept byte-exact).
    ///
    /// # Errors
    /// [`SuggestionError::Invalid`] naming `note` when blank, longer than
    /// [`MAX_NOTE_CHARS`] or holding a [`refused_char`].
    pub fn new(text: impl Into<String>) -> Result<Self, SuggestionError> {
        let text = text.into();
        if text.trim().is_empty() || text.chars().count() > MAX_NOTE_CHARS {
            return Err(SuggestionError::Invalid {
                field: "note",
                msg: "a public note of 1–2,000 characters is required".into(),
            });
        }
        if let Some(c) = refused_char(&text) {
            return Err(refused_char_error("note", c));
        }
        Ok(PublicNote(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Status {
    /// Whether the suggestion still awaits an outcome (submitted, accepted, in progress).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Submitted | Status::Accepted | Status::InProgress
        )
    }

    /// Whether an officer may move a suggestion from `self` to `to`.
    ///
    /// Forward: submitted → accepted | declined; accepted → in_progress | resolved | declined;
    /// in_progress → resolved | declined. Reopen: resolved | declined → accepted. Staying in
    /// the same status is allowed too (a public reply without a change of status).
    pub fn can_move_to(self, to: Status) -> bool {
        use Status::*;
        self == to
            || matches!(
                (self, to),
                (Submitted, Accepted)
                    | (Submitted, Declined)
                    | (Accepted, InProgress)
                    | (Accepted, Resolved)
                    | (Accepted, Declined)
                    | (InProgress, Resolved)
                    | (InProgress, Declined)
                    | (Resolved, Accepted)
                    | (Declined, Accepted)
            )
    }

    /// The statuses reachable from `self` (excluding `self`).
    pub fn next(self) -> Vec<Status> {
        Status::ALL
            .iter()
            .copied()
            .filter(|s| *s != self && self.can_move_to(*s))
            .collect()
    }
}

/// A private contact of the reporter: never shown in public output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    /// `phone`, `wechat` or `email`.
    pub kind: ContactKind,
    /// The number or WeChat ID as given (spaces and dashes removed from phone numbers).
    pub value: String,
}

/// The kind of a [`Contact`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// A mainland mobile or landline number.
    Phone,
    /// A WeChat ID (微信号).
    Wechat,
    /// An email address (邮箱): the reporter is told of answers by email.
    Email,
}

/// The collection point (人民建议征集点) responsible for a suggestion: the nearest one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectionPointRef {
    /// Service point id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// WGS-84 geodesic distance from the suggestion, metres.
    pub distance_m: f64,
}

/// An attached photo (metadata already stripped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoInfo {
    /// `image/jpeg`, `image/png` or `image/webp` (decided by content, not by the upload's claim).
    pub media_type: String,
    /// Size after stripping, bytes.
    pub size_bytes: u64,
}

/// One entry of a suggestion's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusChange {
    /// Status before (`None` for the submission itself).
    pub from: Option<Status>,
    /// Status after.
    pub to: Status,
    /// Public note (the official answer); may be empty for the submission.
    pub note: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (token id), `None` for the submission. Never in public output.
    pub officer_id: Option<i64>,
    /// Who (token name). Never in public output.
    pub officer_name: Option<String>,
    /// The department the suggestion was assigned to when this entry was written (shown
    /// on public answers).
    pub department: Option<String>,
}

/// A suggestion as stored: every field, private ones included. Public output goes through
/// [`SuggestionView::new`] with [`Audience::Public`].
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// Tracking id, e.g. `S20261129-7K3P9Q`.
    pub id: String,
    /// Where, WGS-84.
    pub location: LonLat,
    /// The position as submitted, in `input_crs`.
    pub input_location: LonLat,
    /// The coordinate system the reporter used.
    pub input_crs: Crs,
    /// What about.
    pub category: Category,
    /// The text exactly as submitted (byte-exact).
    pub description: String,
    /// Who the reporter says they are.
    pub role: Option<ReporterRole>,
    /// Private contact.
    pub contact: Option<Contact>,
    /// Private: the reporter's email address (Open311 `email`; where email notifications
    /// of status changes and answers go). Checked by [`privacy::parse_email`]: trimmed,
    /// the domain in lower case.
    pub email: Option<String>,
    /// Private: the reporter's given name (Open311 `first_name`), trimmed.
    pub first_name: Option<String>,
    /// Private: the reporter's family name (Open311 `last_name`), trimmed.
    pub last_name: Option<String>,
    /// Campaign the suggestion answers.
    pub campaign_id: Option<String>,
    /// County-level district (GB/T 2260), assigned by point-in-polygon.
    pub adcode: Option<String>,
    /// Nearest collection point at submission time.
    pub collection_point: Option<CollectionPointRef>,
    /// Attached photo, if any (the bytes are fetched separately).
    pub photo: Option<PhotoInfo>,
    /// Current status.
    pub status: Status,
    /// Number of distinct supporters ("me too"), the reporter not included.
    pub supporters: u32,
    /// Submitted at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// First officer entry (any status change or reply).
    pub first_answer_at: Option<DateTime<Utc>>,
    /// When it was last resolved (`None` unless the status is resolved).
    pub resolved_at: Option<DateTime<Utc>>,
    /// The suggestion this one duplicates (marked by an officer; its reporter follows the
    /// original's answers).
    pub duplicate_of: Option<String>,
    /// The department it is assigned to (one of the configured `departments`).
    pub department: Option<String>,
    /// The history, oldest first; the first entry is the submission.
    pub history: Vec<StatusChange>,
}

/// Who is looking at a suggestion; decides which fields a [`SuggestionView`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Anyone: no contact, no photo, masked description, no officer identities.
    Public,
    /// The reporter holding the receipt token: their own contact, photo and original text.
    Reporter,
    /// An officer or admin: everything.
    Officer,
}

/// Public entry of the history: like [`StatusChange`] without who.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    /// Status before (`None` for the submission).
    pub from: Option<Status>,
    /// Status after.
    pub to: Status,
    /// Chinese label of `to`.
    pub to_label_zh: String,
    /// Public note; phone and ID numbers masked in public output.
    pub note: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The department that answered (public).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Officer name (officer audience only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub officer_name: Option<String>,
    /// Officer token id (officer audience only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub officer_id: Option<i64>,
}

/// A suggestion as sent over the API. Private fields are `None` (and absent from JSON)
/// unless the [`Audience`] may see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestionView {
    /// Tracking id.
    pub id: String,
    /// `[lon, lat]` WGS-84 degrees.
    #[cfg_attr(feature = "openapi", schema(value_type = [f64; 2]))]
    pub location: [f64; 2],
    /// Category code.
    pub category: Category,
    /// Category label, Chinese.
    pub category_label_zh: String,
    /// Description; in public output phone and ID-card numbers are masked.
    pub description: String,
    /// Reporter's role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<ReporterRole>,
    /// Campaign id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<String>,
    /// County-level adcode.
    pub adcode: Option<String>,
    /// District name (Chinese).
    pub district_name: Option<String>,
    /// Responsible collection point.
    pub collection_point: Option<CollectionPointRef>,
    /// Status code.
    pub status: Status,
    /// Status label, Chinese.
    pub status_label_zh: String,
    /// Distinct supporters ("me too").
    pub supporters: u32,
    /// The tracking id of the suggestion this one duplicates: follow that one's answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// The department handling it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Whether a photo is attached (the photo itself is private).
    pub has_photo: bool,
    /// Submitted at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
    /// History, oldest first.
    pub history: Vec<HistoryEntry>,
    /// Private: the reporter's contact (reporter and officers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// Private: the reporter's email address (reporter and officers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Private: the reporter's given name (reporter and officers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Private: the reporter's family name (reporter and officers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Private: the photo's media type and size (reporter and officers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo: Option<PhotoInfo>,
    /// Private: URL of the photo (reporter and officers only; needs the same credentials).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
    /// Private: the position as submitted, `[lon, lat]` in `input_crs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<[f64; 2]>))]
    pub input_location: Option<[f64; 2]>,
    /// Private: the coordinate system of `input_location`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_crs: Option<Crs>,
}

impl SuggestionView {
    /// The view of `s` for `audience`.
    pub fn new(s: &Suggestion, audience: Audience) -> Self {
        let private = audience != Audience::Public;
        let mask = |t: &str| {
            if private {
                t.to_string()
            } else {
                let masked =
                    privacy::mask_public_text(t, s.contact.as_ref().map(|c| c.value.as_str()));
                match &s.email {
                    Some(email) => privacy::mask_value(&masked, email),
                    None => masked,
                }
            }
        };
        let districts = crate::districts::Districts::embedded();
        SuggestionView {
            id: s.id.clone(),
            location: [s.location.lon, s.location.lat],
            category: s.category,
            category_label_zh: s.category.label_zh().to_string(),
            description: mask(&s.description),
            role: s.role,
            campaign_id: s.campaign_id.clone(),
            adcode: s.adcode.clone(),
            district_name: s
                .adcode
                .as_deref()
                .and_then(|a| districts.get(a))
                .map(|d| d.name.clone()),
            collection_point: s.collection_point.clone(),
            status: s.status,
            status_label_zh: s.status.label_zh().to_string(),
            supporters: s.supporters,
            duplicate_of: s.duplicate_of.clone(),
            department: s.department.clone(),
            has_photo: s.photo.is_some(),
            created_at: s.created_at,
            updated_at: s.updated_at,
            history: s
                .history
                .iter()
                .map(|h| HistoryEntry {
                    from: h.from,
                    to: h.to,
                    to_label_zh: h.to.label_zh().to_string(),
                    note: mask(&h.note),
                    at: h.at,
                    department: h.department.clone(),
                    officer_name: if audience == Audience::Officer {
                        h.officer_name.clone()
                    } else {
                        None
                    },
                    officer_id: if audience == Audience::Officer {
                        h.officer_id
                    } else {
                        None
                    },
                })
                .collect(),
            contact: if private { s.contact.clone() } else { None },
            email: if private { s.email.clone() } else { None },
            first_name: if private { s.first_name.clone() } else { None },
            last_name: if private { s.last_name.clone() } else { None },
            photo: if private { s.photo.clone() } else { None },
            photo_url: if private && s.photo.is_some() {
                Some(format!("/api/v1/suggestions/{}/photo", s.id))
            } else {
                None
            },
            input_location: private.then_some([s.input_location.lon, s.input_location.lat]),
            input_crs: private.then_some(s.input_crs),
        }
    }
}

/// A themed collection window (征集活动).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Campaign {
    /// Identifier (letters, digits, `-`, `_`).
    pub id: String,
    /// 日常 / 专项 / 主题征集.
    pub kind: CampaignKind,
    /// Title (Chinese).
    pub title: String,
    /// Longer text.
    #[serde(default)]
    pub description: String,
    /// Categories accepted; empty accepts all.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// Area by district: a county or city adcode; `None` with no `area` means everywhere.
    #[serde(default)]
    pub adcode: Option<String>,
    /// Area by polygon: GeoJSON Polygon coordinates (rings of `[lon, lat]` WGS-84).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Vec<[f64; 2]>>>))]
    pub area: Option<Vec<Vec<[f64; 2]>>>,
    /// Opens at (inclusive).
    pub starts_at: DateTime<Utc>,
    /// Closes at (exclusive); `None` for an open-ended daily collection.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
}

impl Campaign {
    /// Whether the campaign accepts suggestions at `at`.
    pub fn is_open_at(&self, at: DateTime<Utc>) -> bool {
        at >= self.starts_at && self.ends_at.is_none_or(|e| at < e)
    }

    /// Whether a suggestion at `p` in county `adcode` lies in the campaign's area
    /// (boundary inclusive). A city adcode covers its counties.
    pub fn covers(&self, p: LonLat, adcode: Option<&str>) -> bool {
        if let Some(a) = &self.adcode {
            let Some(sa) = adcode else { return false };
            let districts = crate::districts::Districts::embedded();
            let in_city = districts
                .get(sa)
                .and_then(|d| d.parent_adcode.as_deref())
                .is_some_and(|parent| parent == a);
            if sa != a && !in_city {
                return false;
            }
        }
        if let Some(rings) = &self.area {
            use geo::Intersects;
            let mut it = rings
                .iter()
                .map(|r| geo::LineString::from(r.iter().map(|c| (c[0], c[1])).collect::<Vec<_>>()));
            let Some(ext) = it.next() else { return false };
            let poly = geo::Polygon::new(ext, it.collect());
            if !poly.intersects(&p.to_point()) {
                return false;
            }
        }
        true
    }

    /// Checks the campaign's own fields.
    ///
    /// # Errors
    /// [`SuggestionError::Invalid`] naming the field.
    pub fn validate(&self) -> Result<(), SuggestionError> {
        let bad = |field: &'static str, msg: String| Err(SuggestionError::Invalid { field, msg });
        if self.id.is_empty()
            || self.id.len() > 64
            || !self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return bad(
                "id",
                "campaign id must be 1–64 letters, digits, '-' or '_'".into(),
            );
        }
        let n = self.title.trim().chars().count();
        if n == 0 || n > 200 {
            return bad("title", "title must be 1–200 characters".into());
        }
        if let Some(a) = &self.adcode {
            if crate::districts::Districts::embedded().get(a).is_none() {
                return bad("adcode", format!("unknown adcode `{a}`"));
            }
        }
        if let Some(rings) = &self.area {
            let ok = !rings.is_empty()
                && rings.iter().all(|r| {
                    r.len() >= 4
                        && r.first() == r.last()
                        && r.iter().all(|c| LonLat::new(c[0], c[1]).is_ok())
                });
            if !ok {
                return bad(
                    "area",
                    "area must be GeoJSON Polygon coordinates: closed rings of at least 4 valid [lon, lat] positions".into(),
                );
            }
        }
        if let Some(e) = self.ends_at {
            if e <= self.starts_at {
                return bad("ends_at", "ends_at must be after starts_at".into());
            }
        }
        Ok(())
    }
}

/// Why a suggestion or a change to it was refused. The server maps these to 4xx.
#[derive(Debug, thiserror::Error)]
pub enum SuggestionError {
    /// A field is missing or invalid (400).
    #[error("{field}: {msg}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        msg: String,
    },
    /// A code is not one of a closed list (400 listing the valid ones).
    #[error(transparent)]
    Unknown(#[from] UnknownCode),
    /// A field must be one of `valid` (missing, or not accepted here, e.g. by a campaign)
    /// (400 listing them).
    #[error("{msg}")]
    Choice {
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        msg: String,
        /// The values accepted here.
        valid: Vec<&'static str>,
    },
    /// The position is not a valid coordinate (400 naming `lon` or `lat`).
    #[error("{source}{hint}")]
    BadCoordinate {
        /// Why.
        #[source]
        source: crate::model::CoordError,
        /// Extra hint (e.g. lon and lat look swapped), empty or starting with `; `.
        hint: String,
    },
    /// The position lies outside every shipped district (400).
    #[error(
        "location {lon}, {lat} (WGS-84) is outside the service area (the districts of Hunan){hint}"
    )]
    OutsideServiceArea {
        /// Longitude, degrees.
        lon: f64,
        /// Latitude, degrees.
        lat: f64,
        /// Extra hint (e.g. lon and lat look swapped).
        hint: String,
    },
    /// The photo is too large (413).
    #[error("photo is {size} bytes; the limit is {limit} bytes")]
    PhotoTooLarge {
        /// Size given.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// No such suggestion, campaign or point (404).
    #[error("{0}")]
    NotFound(String),
    /// The status change is not allowed from the current status (409).
    #[error("cannot move from {from} to {to}; allowed: {}", allowed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))]
    BadTransition {
        /// Current status.
        from: Status,
        /// Requested status.
        to: Status,
        /// Allowed targets.
        allowed: Vec<Status>,
    },
    /// Conflicts with stored data (409), e.g. a campaign id already used.
    #[error("{0}")]
    Conflict(String),
    /// An `Idempotency-Key` already used for a submission with different content (422):
    /// the key names another suggestion.
    #[error("this Idempotency-Key was used for suggestion {id} with different content; use a new key for a new suggestion")]
    IdempotencyKeyReused {
        /// The suggestion stored with the key.
        id: String,
    },
    /// Storage failed (500; logged).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::error::Classify for SuggestionError {
    fn class(&self) -> crate::error::ErrorClass {
        use crate::error::ErrorClass;
        match self {
            SuggestionError::Invalid { field, .. } => ErrorClass::invalid(*field),
            SuggestionError::Unknown(u) => u.class(),
            SuggestionError::Choice { field, valid, .. } => {
                ErrorClass::invalid_choice(*field, valid)
            }
            SuggestionError::BadCoordinate { source, .. } => source.class(),
            SuggestionError::OutsideServiceArea { .. } => ErrorClass::invalid("location"),
            SuggestionError::PhotoTooLarge { .. } => ErrorClass::TooLarge,
            SuggestionError::NotFound(_) => ErrorClass::NotFound,
            SuggestionError::BadTransition { .. } | SuggestionError::Conflict(_) => {
                ErrorClass::Conflict
            }
            SuggestionError::IdempotencyKeyReused { .. } => ErrorClass::Unprocessable,
            SuggestionError::Store(s) => s.class(),
        }
    }

    /// The message alone for an invalid field (the class names the field).
    fn detail(&self) -> String {
        match self {
            SuggestionError::Invalid { msg, .. } => msg.clone(),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_match_the_glossary() {
        assert_eq!(
            Category::codes(),
            vec![
                "entry_access",
                "parking",
                "supplies",
                "rest",
                "education",
                "childcare",
                "rights",
                "safety_hazard",
                "other"
            ]
        );
        assert_eq!("停车难".parse::<Category>().unwrap(), Category::Parking);
        let e = "potholes".parse::<Category>().unwrap_err();
        assert_eq!(e.valid.len(), 9);
    }

    #[test]
    fn lifecycle_transitions() {
        use Status::*;
        assert!(Submitted.can_move_to(Accepted));
        assert!(!Submitted.can_move_to(Resolved));
        assert!(!Submitted.can_move_to(InProgress));
        assert!(InProgress.can_move_to(Resolved));
        assert!(Resolved.can_move_to(Accepted));
        assert!(Declined.can_move_to(Accepted));
        assert!(!Resolved.can_move_to(Submitted));
        assert_eq!(Submitted.next(), vec![Accepted, Declined]);
        assert!(Accepted.is_open() && !Resolved.is_open() && !Declined.is_open());
    }

    #[test]
    fn campaign_area_and_window() {
        let t0 = "2026-07-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let t1 = "2026-09-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let c = Campaign {
            id: "summer".into(),
            kind: CampaignKind::Themed,
            title: "暑期托管".into(),
            description: String::new(),
            categories: vec![Category::Childcare],
            adcode: Some("430100".into()),
            area: None,
            starts_at: t0,
            ends_at: Some(t1),
        };
        c.validate().unwrap();
        assert!(c.is_open_at(t0));
        assert!(!c.is_open_at(t1));
        let p = LonLat::new(112.97, 28.2).unwrap();
        // 430102 芙蓉区 is a county of 430100 长沙市; 430202 荷塘区 is in 株洲市.
        assert!(c.covers(p, Some("430102")));
        assert!(!c.covers(p, Some("430202")));
        let square = Campaign {
            adcode: None,
            area: Some(vec![vec![
                [112.0, 28.0],
                [113.0, 28.0],
                [113.0, 29.0],
                [112.0, 29.0],
                [112.0, 28.0],
            ]]),
            ..c
        };
        square.validate().unwrap();
        assert!(square.covers(p, None));
        // on the edge counts as inside
        assert!(square.covers(LonLat::new(113.0, 28.5).unwrap(), None));
        assert!(!square.covers(LonLat::new(113.5, 28.5).unwrap(), None));
    }
}
