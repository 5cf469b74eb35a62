use super::{AccessMethod, AmenitySet, LonLat, OpeningHours, ServiceKind};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// A service point (服务点): a rest station, legal-aid point, rider-friendly community or
/// suggestion-collection point.
///
/// Serialised field names are the API's and the database's. All positions are `[lon, lat]`
/// WGS-84 degrees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServicePoint {
    /// Stable identifier, unique in one dataset. Ids that came as GeoJSON numbers keep
    /// their decimal text (`17` → `"17"`).
    pub id: String,
    /// What the point is.
    pub kind: ServiceKind,
    /// Display name (usually Chinese).
    pub name: String,
    /// Street address, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// 6-digit GB/T 2260 code of the district the point lies in, e.g. `"430102"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adcode: Option<String>,
    /// Where the point is.
    pub location: LonLat,
    /// Opening hours; `None` means unknown (never treated as open by an `open_now` filter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening_hours: Option<OpeningHours>,
    /// What it offers.
    #[serde(default)]
    pub amenities: AmenitySet,
    /// How a rider gets in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessMethod>,
    /// Who runs it (工会, 社区, 党群服务中心 ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// Public contact phone of the point (not a person's private number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Where the record came from (file name, organisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When the record was last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// True for generated demonstration data, which must never be mistaken for real points.
    #[serde(default)]
    pub demo: bool,
    /// Rider-friendly communities: the gate riders should use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrance: Option<LonLat>,
    /// Rider-friendly communities: the compound outline as GeoJSON Polygon coordinates
    /// (rings of `[lon, lat]`, first ring exterior).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outline: Option<Vec<Vec<[f64; 2]>>>,
}

/// Why a service point is not valid as a whole.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServicePointError {
    /// A required text field is empty.
    #[error("field `{0}` must not be empty")]
    Empty(&'static str),
    /// The adcode is not six digits.
    #[error("adcode `{0}` is not a 6-digit GB/T 2260 code")]
    BadAdcode(String),
    /// The id breaks [`ServicePoint::validate_id`]'s rules.
    #[error("id {id:?} {reason}")]
    BadId {
        /// The id as given, cut to 40 characters.
        id: String,
        /// Why, in English.
        reason: &'static str,
    },
    /// A text field is longer than [`ServicePoint::TEXT_LIMITS`] allows.
    #[error("`{field}` has {chars} characters; at most {limit} are accepted")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length, characters (Unicode scalar values).
        chars: usize,
        /// The limit, characters.
        limit: usize,
    },
    /// A text field holds a character no name, address or phone number needs: a control
    /// character, a Unicode noncharacter, or an invisible bidirectional or zero-width
    /// formatting character (see [`ServicePoint::refused_text_char`]).
    #[error("`{field}` contains the character U+{code:04X}, which is not accepted in text")]
    BadChar {
        /// The field.
        field: &'static str,
        /// The character's code point.
        code: u32,
    },
}

impl crate::error::Classify for ServicePointError {
    fn class(&self) -> crate::error::ErrorClass {
        crate::error::ErrorClass::invalid(self.field())
    }
}

impl ServicePointError {
    /// The field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            ServicePointError::Empty(f) => f,
            ServicePointError::BadAdcode(_) => "adcode",
            ServicePointError::BadId { .. } => "id",
            ServicePointError::TooLong { field, .. } => field,
            ServicePointError::BadChar { field, .. } => field,
        }
    }
}

impl ServicePoint {
    /// A point with the required fields and everything else unset.
    pub fn new(
        id: impl Into<String>,
        kind: ServiceKind,
        name: impl Into<String>,
        location: LonLat,
    ) -> Self {
        Self {
            id: id.into(),
            kind,
            name: name.into(),
            address: None,
            adcode: None,
            location,
            opening_hours: None,
            amenities: AmenitySet::EMPTY,
            access: None,
            operator: None,
            phone: None,
            source: None,
            updated_at: None,
            demo: false,
            entrance: None,
            outline: None,
        }
    }

    /// Checks the invariants the type cannot express.
    ///
    /// # Errors
    /// The first [`ServicePointError`] found.
    pub fn validate(&self) -> Result<(), ServicePointError> {
        for (field, limit) in Self::TEXT_LIMITS {
            let text = self.text_field(field).unwrap_or("");
            let chars = text.chars().count();
            if chars > limit {
                return Err(ServicePointError::TooLong {
                    field,
                    chars,
                    limit,
                });
            }
            if let Some(c) = text.chars().find(|&c| Self::refused_text_char(c)) {
                return Err(ServicePointError::BadChar {
                    field,
                    code: c as u32,
                });
            }
        }
        if self.id.trim().is_empty() {
            return Err(ServicePointError::Empty("id"));
        }
        Self::validate_id(&self.id)?;
        if self.name.trim().is_empty() {
            return Err(ServicePointError::Empty("name"));
        }
        if let Some(a) = &self.adcode {
            if a.len() != 6 || !a.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ServicePointError::BadAdcode(a.clone()));
            }
        }
        Ok(())
    }

    /// Whether `c` is refused in the text fields ([`ServicePoint::TEXT_LIMITS`]): control
    /// characters (C0, C1, including U+0000, which PostgreSQL text cannot hold), Unicode
    /// noncharacters (U+FDD0–U+FDEF and U+xxFFFE/U+xxFFFF, which XML 1.0 cannot carry), and the
    /// invisible formatting characters that can make a name read differently from what it is
    /// (zero-width and bidirectional controls U+200B–U+200F, U+202A–U+202E, U+2060–U+2069,
    /// U+FEFF). Line breaks and tabs are accepted (spreadsheet cells hold them). Regression: a newcomer stored the name `"\u{202E}\u{0}abc"` through the admin
    /// API and the NUL reached the HTML `<title>` of the OGC item page.
    pub fn refused_text_char(c: char) -> bool {
        let cp = c as u32;
        (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            || (0xFDD0..=0xFDEF).contains(&cp)
            || cp & 0xFFFE == 0xFFFE
            || invisible_format(c)
    }

    /// Longest accepted id, characters. Real ids (OSM-style, GB/T 2260-prefixed, operators'
    /// station numbers) are far shorter; the cap keeps URLs and index keys small.
    pub const MAX_ID_CHARS: usize = 100;

    /// Checks an id on its own: at most [`ServicePoint::MAX_ID_CHARS`] characters, no
    /// surrounding whitespace, no control or invisible formatting characters (C0/C1 controls,
    /// zero-width and bidirectional controls U+200B–U+200F, U+202A–U+202E, U+2060–U+2069,
    /// U+FEFF), and no `/` or `\`, since an id is a path segment of `/api/v1/points/{id}` and
    /// PostgreSQL text cannot hold U+0000. (Newcomer attack, stop 22: `"\u{202E}\u{0}"`,
    /// `../../x` and a 5,000-character id were accepted.)
    ///
    /// # Errors
    /// [`ServicePointError::BadId`] naming the rule.
    pub fn validate_id(id: &str) -> Result<(), ServicePointError> {
        let bad = |reason| {
            Err(ServicePointError::BadId {
                id: id.chars().take(40).collect(),
                reason,
            })
        };
        if id.chars().count() > Self::MAX_ID_CHARS {
            return bad("is longer than 100 characters");
        }
        if id.trim() != id {
            return bad("starts or ends with whitespace");
        }
        if id.chars().any(|c| c.is_control() || invisible_format(c)) {
            return bad("contains a control or invisible formatting character");
        }
        if id.contains(['/', '\\']) {
            return bad("contains `/` or `\\`");
        }
        Ok(())
    }

    /// Longest accepted text fields, characters (Unicode scalar values): `(field, limit)`.
    /// Names and operators fit a sign (200); addresses and opening hours in OSM syntax fit
    /// a paragraph (500); a phone field holds a few numbers (50). Checked by
    /// [`ServicePoint::validate`], so the importer and the admin API enforce the same limits.
    pub const TEXT_LIMITS: [(&'static str, usize); 5] = [
        ("name", 200),
        ("address", 500),
        ("opening_hours", 500),
        ("operator", 200),
        ("phone", 50),
    ];

    /// The text of one of the [`ServicePoint::TEXT_LIMITS`] fields (`opening_hours` as
    /// written), `None` when unset or not a text field.
    pub fn text_field(&self, field: &str) -> Option<&str> {
        match field {
            "name" => Some(&self.name),
            "address" => self.address.as_deref(),
            "opening_hours" => self.opening_hours.as_ref().map(|h| h.as_str()),
            "operator" => self.operator.as_deref(),
            "phone" => self.phone.as_deref(),
            _ => None,
        }
    }

    /// Whether the point is open at local time `at`; unknown hours count as closed.
    pub fn is_open_at(&self, at: NaiveDateTime) -> bool {
        self.opening_hours
            .as_ref()
            .is_some_and(|h| h.is_open_at(at))
    }
}

/// Zero-width and bidirectional formatting characters (U+200B–U+200F, U+202A–U+202E,
/// U+2060–U+2069, U+FEFF): invisible, yet they change how a name or an id reads.
fn invisible_format(c: char) -> bool {
    matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0xFEFF)
}

#[cfg(test)]
mod tests {
    /// Regression (newcomer, stop 24): `PUT /api/v1/admin/points/nc-a` with the name
    /// `"\u{202E}\u{0}abc"` was stored, and the NUL reached the OGC HTML page's `<title>`.
    #[test]
    fn control_and_invisible_characters_are_refused_in_text_fields() {
        let p = |name: &str, address: Option<&str>| {
            let mut p = ServicePoint::new(
                "sp-1",
                ServiceKind::Station,
                name,
                LonLat::new(112.97, 28.19).unwrap(),
            );
            p.address = address.map(str::to_string);
            p.validate()
        };
        for (name, code) in [
            ("\u{202E}\u{0}abc", 0x202E),
            ("a\u{0}b", 0),
            ("驿站\u{FFFE}", 0xFFFE),
            ("x\u{200B}y", 0x200B),
            ("\u{85}", 0x85),
            ("\u{FEFF}站", 0xFEFF),
        ] {
            assert_eq!(
                p(name, None),
                Err(ServicePointError::BadChar {
                    field: "name",
                    code
                }),
                "{name:?}"
            );
        }
        assert_eq!(
            p("驿站", Some("芙蓉区\u{7}")),
            Err(ServicePointError::BadChar {
                field: "address",
                code: 7
            })
        );
        // Ordinary text, and the line breaks and tabs spreadsheet cells hold, are accepted.
        assert_eq!(
            p(
                "五一广场 Wuyi Square 驿站（24h）·№1",
                Some("芙蓉区\n五一大道 1 号\t")
            ),
            Ok(())
        );
    }

    use super::*;

    /// Each rule of [`ServicePoint::validate_id`] with a case on either side.
    #[test]
    fn ids_are_checked() {
        for ok in [
            "st-hk",
            "vol-000001",
            "node:123",
            "站点_7",
            &"a".repeat(100),
        ] {
            assert!(ServicePoint::validate_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "\u{202E}\u{0}",
            "a\u{0}b",
            "a\tb",
            "zw\u{200B}sp",
            "../../x",
            "a\\b",
            " padded",
            &"a".repeat(101),
        ] {
            let e = ServicePoint::validate_id(bad).expect_err(bad);
            assert_eq!(e.field(), "id");
        }
        let p = ServicePoint::new(
            "a\u{7}",
            ServiceKind::Station,
            "x",
            LonLat::new(113.0, 28.2).unwrap(),
        );
        assert!(matches!(p.validate(), Err(ServicePointError::BadId { .. })));
    }
}
