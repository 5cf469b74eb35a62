//! Submitting a suggestion: one set of rules for every channel (the JSON API, the web form,
//! multipart with a photo, Open311). A channel reads its encoding into a plain
//! [`Submission`] and calls [`submit`], which validates, places (district, responsible
//! collection point), stores, and counts possible duplicates nearby.
//!
//! Rules, in the order they are checked (the first failure is reported):
//! 1. `category` is required and one of [`Category`]'s codes (or its Chinese label);
//! 2. `description` is required: 1–[`MAX_DESCRIPTION_CHARS`] characters, not blank, no
//!    control characters other than newline, carriage return and tab, no Unicode
//!    noncharacters ([`super::refused_char`]); stored byte-exact;
//! 3. the position is required, a valid coordinate in its CRS, and inside one of the
//!    shipped county-level districts (a hint is added when lon and lat look swapped);
//! 4. `contact` (optional) is a mobile, landline, WeChat ID or email address
//!    ([`privacy::parse_contact`]);
//!    `email` (optional) an email address ([`privacy::parse_email`]); `first_name` and
//!    `last_name` (optional) at most 50 characters each ([`privacy::parse_name`]). All four
//!    are private: stored, shown to the reporter and to officers, never in public output;
//!    an email address typed into the description is masked in public like the contact;
//! 5. `role` (optional) is one of [`ReporterRole`]'s codes;
//! 6. `photo` (optional) is a JPEG, PNG or WebP within the limits of [`photo::sanitize`];
//! 7. `campaign_id` (optional) names a campaign open at submission time that collects the
//!    category and covers the place.
//!
//! The responsible collection point is the nearest one in the suggestion's own district
//! (an office does not answer for its neighbour's streets); the nearest one overall only
//! when the district has none among the [`COLLECTION_POINT_CANDIDATES`] nearest.

use super::idempotency::{self, IdempotencyKey};
use super::{
    photo, privacy, Category, CollectionPointRef, NewSuggestion, ReporterRole, Store, StoreError,
    Suggestion, SuggestionError,
};
use crate::crs::Crs;
use crate::districts::Districts;
use crate::index::{Filter, ServiceIndex};
use crate::model::{LonLat, ServiceKind};
use chrono::{DateTime, Utc};

/// Longest description, characters (Unicode scalar values).
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// How many nearest collection points are searched for one in the suggestion's district.
pub const COLLECTION_POINT_CANDIDATES: usize = 50;

/// A submission as a channel received it, before any check. Text fields are as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Submission {
    /// `(lon, lat)` in `crs`, degrees; `None` when the channel got no position.
    pub position: Option<(f64, f64)>,
    /// The system of `position`.
    pub crs: Crs,
    /// Category code or Chinese label.
    pub category: Option<String>,
    /// What the reporter wrote.
    pub description: Option<String>,
    /// Private contact: mobile, landline, WeChat ID or email address (told of answers by email).
    pub contact: Option<String>,
    /// Private: email address (where notifications go).
    pub email: Option<String>,
    /// Private: given name.
    pub first_name: Option<String>,
    /// Private: family name.
    pub last_name: Option<String>,
    /// Reporter role code.
    pub role: Option<String>,
    /// Campaign id.
    pub campaign_id: Option<String>,
    /// Photo file bytes (sniffed, not trusted by extension).
    pub photo: Option<Vec<u8>>,
}

/// A stored submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    /// The stored record.
    pub suggestion: Suggestion,
    /// The private receipt token (shown to the reporter once; stored hashed).
    pub receipt_token: String,
    /// Open suggestions of the same category within [`Category::nearby_radius_m`], other
    /// than this one: possible duplicates the reporter may support instead.
    pub similar_nearby: usize,
    /// True when this answers a repeat of an idempotent submission: the suggestion was
    /// stored by an earlier request with the same key, and nothing was stored now.
    pub replayed: bool,
}

/// Validates `s`, places it and stores it at `now`; `admit` runs after every check passed
/// and before anything is stored (the caller's rate limit: a reporter correcting a typo is
/// not charged for rejected attempts).
///
/// With an idempotency `key` ([`super::idempotency`]): when a suggestion was already stored
/// with that key, it is returned (`replayed`) without any check, charge or write, provided
/// the request is the same as the one that stored it; a concurrent request with the same
/// key that commits first wins the same way.
///
/// # Errors
/// The first rule broken (see the module docs) as a [`SuggestionError`]; `admit`'s error;
/// [`SuggestionError::IdempotencyKeyReused`] when `key` stored a different request;
/// [`SuggestionError::Store`] when the database fails.
pub fn submit<E: From<SuggestionError>>(
    store: &Store,
    index: &ServiceIndex,
    s: Submission,
    now: DateTime<Utc>,
    key: Option<&IdempotencyKey>,
    admit: impl FnOnce() -> Result<(), E>,
) -> Result<Submitted, E> {
    let keyed = key.map(|k| (k, idempotency::fingerprint(&s)));
    if let Some((k, fingerprint)) = &keyed {
        if let Some(done) = replay(store, k, fingerprint)? {
            return Ok(done);
        }
    }
    let n = prepare(store, index, s, now)?;
    admit()?;
    let (location, category) = (n.location, n.category);
    let stored = match &keyed {
        None => store.insert_suggestion(n),
        Some((k, fingerprint)) => store.insert_suggestion_with(
            n,
            store.receipt_for_key(k),
            Some((k.hash(), fingerprint.clone())),
        ),
    };
    let (suggestion, receipt_token) = match (stored, &keyed) {
        (Ok(done), _) => done,
        // the same key committed by a concurrent request meanwhile (unique index)
        (Err(StoreError::Constraint { .. }), Some((k, fingerprint))) => {
            if let Some(done) = replay(store, k, fingerprint)? {
                return Ok(done);
            }
            return Err(SuggestionError::Store(StoreError::constraint(
                "idempotency key stored but not found",
            ))
            .into());
        }
        (Err(e), _) => return Err(SuggestionError::from(e).into()),
    };
    let similar_nearby = similar_nearby(store, &suggestion, location, category)?;
    Ok(Submitted {
        suggestion,
        receipt_token,
        similar_nearby,
        replayed: false,
    })
}

/// The answer to a repeat of the idempotent submission stored with `key`, if any.
fn replay(
    store: &Store,
    key: &IdempotencyKey,
    fingerprint: &str,
) -> Result<Option<Submitted>, SuggestionError> {
    let Some((suggestion, stored_fingerprint)) = store.suggestion_by_idempotency_key(key)? else {
        return Ok(None);
    };
    if stored_fingerprint != fingerprint {
        return Err(SuggestionError::IdempotencyKeyReused { id: suggestion.id });
    }
    let similar_nearby =
        similar_nearby(store, &suggestion, suggestion.location, suggestion.category)?;
    Ok(Some(Submitted {
        receipt_token: store.receipt_for_key(key),
        suggestion,
        similar_nearby,
        replayed: true,
    }))
}

/// Open suggestions of `category` near `location` other than `s`.
fn similar_nearby(
    store: &Store,
    s: &Suggestion,
    location: LonLat,
    category: Category,
) -> Result<usize, SuggestionError> {
    Ok(store
        .nearby_open(location, category, category.nearby_radius_m())?
        .into_iter()
        .filter(|(o, _)| o.id != s.id)
        .count())
}

/// Checks a position given in `crs` and places it: `(as given, WGS-84, county adcode)`.
///
/// # Errors
/// [`SuggestionError::BadCoordinate`] for an invalid coordinate,
/// [`SuggestionError::OutsideServiceArea`] outside every shipped district; both say when
/// lon and lat look swapped.
pub fn place(lon: f64, lat: f64, crs: Crs) -> Result<(LonLat, LonLat, String), SuggestionError> {
    const SWAPPED: &str = "; lon and lat look swapped: location is [lon, lat]";
    let input = LonLat::new(lon, lat).map_err(|source| SuggestionError::BadCoordinate {
        source,
        hint: if LonLat::new(lat, lon).is_ok() {
            SWAPPED.to_string()
        } else {
            String::new()
        },
    })?;
    let wgs = crs.to_wgs84(input);
    let districts = Districts::embedded();
    match districts.county_at(wgs) {
        Some(d) => Ok((input, wgs, d.adcode.clone())),
        None => {
            let hint = LonLat::new(lat, lon)
                .ok()
                .filter(|sw| districts.county_at(crs.to_wgs84(*sw)).is_some())
                .map(|_| SWAPPED.to_string())
                .unwrap_or_default();
            Err(SuggestionError::OutsideServiceArea {
                lon: wgs.lon,
                lat: wgs.lat,
                hint,
            })
        }
    }
}

/// Checks a description (rule 2 of the module docs).
///
/// # Errors
/// [`SuggestionError::Invalid`] naming `description`.
pub fn check_description(description: &str) -> Result<(), SuggestionError> {
    let invalid = |msg: String| SuggestionError::Invalid {
        field: "description",
        msg,
    };
    if description.trim().is_empty() {
        return Err(invalid(
            "description is required (1–2,000 characters)".into(),
        ));
    }
    let n = description.chars().count();
    if n > MAX_DESCRIPTION_CHARS {
        return Err(invalid(format!(
            "description has {n} characters; at most 2,000 are accepted"
        )));
    }
    if let Some(c) = super::refused_char(description) {
        return Err(super::refused_char_error("description", c));
    }
    Ok(())
}

/// Validates a submission and prepares it for storage: district, responsible collection
/// point, campaign checks. Blocking (point-in-polygon, a campaign lookup in `store`).
///
/// # Errors
/// The first rule broken (see the module docs).
pub fn prepare(
    store: &Store,
    index: &ServiceIndex,
    s: Submission,
    now: DateTime<Utc>,
) -> Result<NewSuggestion, SuggestionError> {
    let category: Category = match &s.category {
        Some(c) => c.parse()?,
        None => {
            return Err(SuggestionError::Choice {
                field: "category",
                msg: "category is required".into(),
                valid: Category::codes(),
            })
        }
    };
    let description = s.description.unwrap_or_default();
    check_description(&description)?;
    let Some((lon, lat)) = s.position else {
        return Err(SuggestionError::Invalid {
            field: "location",
            msg: "location is required: `location: [lon, lat]` or `lon` and `lat`".into(),
        });
    };
    let (input_location, location, adcode) = place(lon, lat, s.crs)?;
    let contact = match s.contact.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(c) => Some(privacy::parse_contact(c)?),
    };
    let email = match s.email.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(e) => Some(privacy::parse_email(e)?),
    };
    let first_name = match s.first_name.as_deref() {
        Some(n) => privacy::parse_name("first_name", n)?,
        None => None,
    };
    let last_name = match s.last_name.as_deref() {
        Some(n) => privacy::parse_name("last_name", n)?,
        None => None,
    };
    let role: Option<ReporterRole> = match s.role.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(r) => Some(r.parse()?),
    };
    let photo = match s.photo {
        Some(bytes) if !bytes.is_empty() => {
            let (fmt, clean) = photo::sanitize(bytes)?;
            Some((fmt.media_type().to_string(), clean))
        }
        _ => None,
    };
    let campaign_id = match s.campaign_id.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(id) => {
            let invalid = |msg: String| SuggestionError::Invalid {
                field: "campaign_id",
                msg,
            };
            let c = store
                .campaign(id)?
                .ok_or_else(|| invalid(format!("no campaign `{id}`")))?;
            if !c.is_open_at(now) {
                return Err(invalid(format!("campaign `{id}` is not open now")));
            }
            if !c.categories.is_empty() && !c.categories.contains(&category) {
                return Err(SuggestionError::Choice {
                    field: "category",
                    msg: format!("campaign `{id}` does not collect `{category}`"),
                    valid: c.categories.iter().map(|c| c.as_str()).collect(),
                });
            }
            if !c.covers(location, Some(&adcode)) {
                return Err(invalid(format!(
                    "the location is outside the area of campaign `{id}`"
                )));
            }
            Some(c.id)
        }
    };
    let collection_point = responsible_collection_point(index, location, &adcode);
    Ok(NewSuggestion {
        location,
        input_location,
        input_crs: s.crs,
        category,
        description,
        role,
        contact,
        email,
        first_name,
        last_name,
        campaign_id,
        adcode: Some(adcode),
        collection_point,
        photo,
        created_at: now,
    })
}

/// The collection point responsible for a suggestion at `location` in county `adcode`:
/// the nearest one of that county among the [`COLLECTION_POINT_CANDIDATES`] nearest, else
/// the nearest one; its distance rounded to 0.1 m. `None` when the index has none.
pub fn responsible_collection_point(
    index: &ServiceIndex,
    location: LonLat,
    adcode: &str,
) -> Option<CollectionPointRef> {
    let filter = Filter {
        kinds: vec![ServiceKind::CollectionPoint],
        ..Default::default()
    };
    let candidates = index.nearest(location, COLLECTION_POINT_CANDIDATES, &filter);
    let same_district = candidates
        .iter()
        .position(|h| h.point.adcode.as_deref() == Some(adcode));
    candidates
        .into_iter()
        .nth(same_district.unwrap_or(0))
        .map(|h| CollectionPointRef {
            id: h.point.id.clone(),
            name: h.point.name.clone(),
            distance_m: (h.distance_m * 10.0).round() / 10.0,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_checked_by_characters_not_bytes() {
        // 2,000 CJK characters are 6,000 bytes in UTF-8 and still accepted.
        assert!(check_description(&"停".repeat(2000)).is_ok());
        assert!(check_description(&"停".repeat(2001)).is_err());
        assert!(check_description(" \n\t").is_err());
        assert!(check_description("第一行\n第二行\t").is_ok());
        let e = check_description("bell\u{7}").unwrap_err().to_string();
        assert!(e.contains("U+0007"), "{e}");
        let e = check_description("x \u{ffff}").unwrap_err().to_string();
        assert!(e.contains("noncharacter U+FFFF"), "{e}");
        assert!(super::super::PublicNote::new("已处理\u{fffe}").is_err());
        assert!(super::super::privacy::parse_name("first_name", "王\u{fdd0}").is_err());
    }

    #[test]
    fn notes_have_one_to_two_thousand_characters() {
        assert!(super::super::PublicNote::new("已派人处理").is_ok());
        assert!(super::super::PublicNote::new("  ").is_err());
        assert!(super::super::PublicNote::new("答".repeat(2000)).is_ok());
        assert!(super::super::PublicNote::new("答".repeat(2001)).is_err());
    }

    #[test]
    fn swapped_coordinates_get_a_hint() {
        // 28.2 N, 112.98 E (Changsha) given as [lat, lon]: 112.98 is no latitude.
        let e = place(28.2, 112.98, Crs::Wgs84).unwrap_err();
        assert!(matches!(e, SuggestionError::BadCoordinate { .. }), "{e:?}");
        assert!(e.to_string().contains("look swapped"), "{e}");
        // Inside China but outside Hunan (Beijing): no swap hint, outside the service area.
        let e = place(116.4, 39.9, Crs::Wgs84).unwrap_err();
        assert!(
            matches!(e, SuggestionError::OutsideServiceArea { ref hint, .. } if hint.is_empty())
        );
    }
}
