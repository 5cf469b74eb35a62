//! Idempotent submissions: the `Idempotency-Key` request header (IETF
//! draft-ietf-httpapi-idempotency-key-header-06).
//!
//! A client that files a suggestion and loses the answer (a dropped connection, a crashed
//! server, a phone that went offline) cannot know whether it was stored. With a key — a
//! fresh UUID per suggestion, kept with the queued request — it can simply send the same
//! request again: the first request with a key stores the suggestion together with the
//! key's hash (unique in the database, so two concurrent requests with one key store one
//! suggestion: the second waits for the first's commit and then finds it); every repeat
//! answers `201` with the original suggestion and the same receipt token, and stores
//! nothing. A repeat whose content differs from the first request is refused (422), so a
//! key reused by mistake never silently answers for another suggestion.
//!
//! The receipt token of a keyed suggestion is derived from the key and the database's secret
//! salt ([`receipt_for`]), so a repeat can answer it again although only its hash is stored;
//! without the salt neither the key's hash nor the database reveals it.

use super::submit::Submission;
use super::SuggestionError;
use sha2::{Digest, Sha256};

/// Shortest accepted key, characters (a UUID has 36).
pub const MIN_KEY_CHARS: usize = 8;
/// Longest accepted key, characters.
pub const MAX_KEY_CHARS: usize = 255;

/// A client's idempotency key: 8–255 visible ASCII characters (a UUID is recommended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Reads the header value: the key itself, or a structured-field string (`"…"`, as the
    /// draft writes it).
    ///
    /// # Errors
    /// [`SuggestionError::Invalid`] naming `Idempotency-Key` when it is too short, too long
    /// or has characters other than visible ASCII.
    pub fn parse(header: &str) -> Result<Self, SuggestionError> {
        let t = header.trim();
        let t = t
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .unwrap_or(t);
        let invalid = |msg: String| SuggestionError::Invalid {
            field: "Idempotency-Key",
            msg,
        };
        if !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "Idempotency-Key takes visible ASCII characters only (use a UUID)".into(),
            ));
        }
        let n = t.len();
        if !(MIN_KEY_CHARS..=MAX_KEY_CHARS).contains(&n) {
            return Err(invalid(format!(
                "Idempotency-Key has {n} characters; {MIN_KEY_CHARS}–{MAX_KEY_CHARS} are accepted (use a UUID)"
            )));
        }
        Ok(IdempotencyKey(t.to_string()))
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database stores and looks up: SHA-256 (hex) of the key.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(format!("idempotency-key\0{}", self.0)))
    }
}

/// The receipt token of a suggestion filed with `key` in a database with secret `salt`:
/// 48 hex characters (as random receipts), the first 24 bytes of
/// SHA-256(`"receipt\0"` ‖ salt ‖ `"\0"` ‖ key).
pub fn receipt_for(salt: &str, key: &IdempotencyKey) -> String {
    let d = Sha256::digest(format!("receipt\0{salt}\0{}", key.0));
    hex::encode(&d[..24])
}

/// A digest of everything a submission says (position, CRS, category, description,
/// contact, role, campaign and the photo's bytes), as sent: two requests with one key must
/// have the same fingerprint to count as repeats.
pub fn fingerprint(s: &Submission) -> String {
    let photo = s.photo.as_deref().map(|b| hex::encode(Sha256::digest(b)));
    let canonical = serde_json::json!([
        s.position.map(|(lon, lat)| [lon, lat]),
        s.crs.as_str(),
        s.category,
        s.description,
        s.contact,
        s.role,
        s.campaign_id,
        photo,
    ]);
    // email and names were added later: appended only when given, so fingerprints of
    // requests without them stay what they were
    let canonical = match (&s.email, &s.first_name, &s.last_name) {
        (None, None, None) => canonical,
        (e, f, l) => serde_json::json!([canonical, e, f, l]),
    };
    hex::encode(Sha256::digest(canonical.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_bare_or_quoted_and_checked() {
        let k = IdempotencyKey::parse("8e03978e-40d5-43e8-bc93-6894a57f9324").unwrap();
        assert_eq!(
            IdempotencyKey::parse("\"8e03978e-40d5-43e8-bc93-6894a57f9324\"").unwrap(),
            k
        );
        for bad in [
            "short",
            "has space inside",
            "中文中文中文中文中文",
            &"x".repeat(256),
            "",
        ] {
            let e = IdempotencyKey::parse(bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    SuggestionError::Invalid {
                        field: "Idempotency-Key",
                        ..
                    }
                ),
                "{bad}: {e}"
            );
        }
        assert!(IdempotencyKey::parse(&"x".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse("12345678").is_ok());
    }

    #[test]
    fn receipts_depend_on_key_and_salt_and_look_like_random_ones() {
        let a = IdempotencyKey::parse("key-aaaaaaaa").unwrap();
        let b = IdempotencyKey::parse("key-bbbbbbbb").unwrap();
        let r = receipt_for("salt1", &a);
        assert_eq!(r.len(), 48);
        assert!(r.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(r, receipt_for("salt1", &a));
        assert_ne!(r, receipt_for("salt2", &a));
        assert_ne!(r, receipt_for("salt1", &b));
        // the stored hash reveals neither the key nor the receipt
        assert_ne!(a.hash(), r);
        assert_eq!(a.hash().len(), 64);
        // hand computation: SHA-256("idempotency-key\0key-aaaaaaaa")
        let expected = hex::encode(Sha256::digest(b"idempotency-key\x00key-aaaaaaaa"));
        assert_eq!(a.hash(), expected);
    }

    #[test]
    fn fingerprints_change_with_any_field_and_the_photo() {
        let base = Submission {
            position: Some((112.98, 28.19)),
            category: Some("parking".into()),
            description: Some("停车难".into()),
            photo: Some(vec![1, 2, 3]),
            ..Default::default()
        };
        let f = fingerprint(&base);
        assert_eq!(f, fingerprint(&base.clone()));
        let variants = [
            Submission {
                position: Some((112.98, 28.190001)),
                ..base.clone()
            },
            Submission {
                category: Some("rest".into()),
                ..base.clone()
            },
            Submission {
                description: Some("停车难!".into()),
                ..base.clone()
            },
            Submission {
                contact: Some("13800138000".into()),
                ..base.clone()
            },
            Submission {
                email: Some("rider@example.com".into()),
                ..base.clone()
            },
            Submission {
                first_name: Some("小明".into()),
                ..base.clone()
            },
            Submission {
                last_name: Some("王".into()),
                ..base.clone()
            },
            Submission {
                photo: Some(vec![1, 2, 4]),
                ..base.clone()
            },
            Submission {
                photo: None,
                ..base.clone()
            },
            Submission {
                crs: crate::crs::Crs::Gcj02,
                ..base.clone()
            },
        ];
        for v in variants {
            assert_ne!(fingerprint(&v), f, "{v:?}");
        }
    }
}
