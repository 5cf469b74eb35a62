//! Privacy: parsing the reporter's contact, and masking personal numbers typed into
//! free text before it is shown in public.
//!
//! Masked in public text (officers and the reporter see the original):
//! - mainland mobile numbers: 11 digits `1[3-9]xxxxxxxxx` (GB/T numbering plan of MIIT),
//!   optionally prefixed `+86`/`86`, digits possibly grouped by spaces or dashes
//!   (`138 0013 8000`, `138-0013-8000`);
//! - landline numbers with area code: `0` + 2–3 more area digits + 7–8 subscriber digits,
//!   10–12 digits in all (`0731-88888888`, `010 6552 9988`);
//! - resident ID-card numbers (GB 11643-1999): 17 digits and a check character `0-9` or `X`,
//!   whose first digit is a region (1–8) and digits 7–14 a plausible birth date
//!   (19xx/20xx, month 01–12, day 01–31). The check character is not verified, so a number
//!   typed with one wrong digit is still masked.
//!
//! Full-width digits (`０-９`, as Chinese input methods type them) count as digits. The
//! contact value the reporter submitted is also masked wherever it appears in the text
//! (case-insensitive), which catches a WeChat ID typed into the description.
//! Numbers that are not one of these shapes (dates such as `20261129`, amounts, 400/800
//! hotlines without a leading 0, decimal fractions such as `0.008152810265322441`) are left
//! alone.

use super::{Contact, ContactKind, SuggestionError};

/// Replacement for a mobile number.
pub const MASK_MOBILE: &str = "[手机号已隐藏]";
/// Replacement for a landline number.
pub const MASK_LANDLINE: &str = "[电话已隐藏]";
/// Replacement for an ID-card number.
pub const MASK_ID_CARD: &str = "[身份证号已隐藏]";
/// Replacement for the submitted contact found in text.
pub const MASK_CONTACT: &str = "[联系方式已隐藏]";

fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '０'..='９' => Some((c as u32 - '０' as u32) as u8),
        _ => None,
    }
}

fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '-' | '\u{2010}' | '\u{2011}' | '\u{2013}' | '\u{3000}' | '－'
    )
}

/// What a run of digits is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberKind {
    Mobile,
    Landline,
    IdCard,
}

fn is_mobile(d: &[u8]) -> bool {
    d.len() == 11 && d[0] == 1 && (3..=9).contains(&d[1])
}

/// Region digit 1–8 and a plausible birth date `YYYYMMDD` at digits 7–14 (GB 11643-1999 §4).
fn plausible_id(d: &[u8]) -> bool {
    let n = |r: std::ops::Range<usize>| d[r].iter().fold(0u32, |a, v| a * 10 + u32::from(*v));
    d.len() >= 17
        && (1..=8).contains(&d[0])
        && (1900..=2099).contains(&n(6..10))
        && (1..=12).contains(&n(10..12))
        && (1..=31).contains(&n(12..14))
}

fn classify(d: &[u8], trailing_x: bool) -> Option<NumberKind> {
    if trailing_x {
        return (d.len() == 17 && plausible_id(d)).then_some(NumberKind::IdCard);
    }
    if is_mobile(d) || (d.len() == 13 && d[0] == 8 && d[1] == 6 && is_mobile(&d[2..])) {
        return Some(NumberKind::Mobile);
    }
    if d.len() == 18 && plausible_id(d) {
        return Some(NumberKind::IdCard);
    }
    if (10..=12).contains(&d.len()) && d[0] == 0 && d[1] != 0 {
        return Some(NumberKind::Landline);
    }
    None
}

/// A maximal run of digits: char indices `[start, end)` into the text and its digits.
struct Group {
    start: usize,
    end: usize,
    digits: Vec<u8>,
}

/// Masks mobile, landline and ID-card numbers in `text`, and every occurrence of
/// `contact` (if at least 4 characters). Everything else is kept byte-exact.
pub fn mask_public_text(text: &str, contact: Option<&str>) -> String {
    let chars: Vec<char> = text.chars().collect();
    // 1. groups of digits
    let mut groups: Vec<Group> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if digit_value(chars[i]).is_some() {
            let start = i;
            let mut digits = Vec::new();
            while i < chars.len() {
                match digit_value(chars[i]) {
                    Some(v) => digits.push(v),
                    None => break,
                }
                i += 1;
            }
            groups.push(Group {
                start,
                end: i,
                digits,
            });
        } else {
            i += 1;
        }
    }
    // 2. longest match of consecutive groups joined by exactly one separator
    let mut spans: Vec<(usize, usize, NumberKind)> = Vec::new(); // char ranges to replace
    let mut g = 0;
    while g < groups.len() {
        // the digits after a decimal point are a fraction, not a number to hide
        let s0 = groups[g].start;
        if s0 >= 2 && chars[s0 - 1] == '.' && digit_value(chars[s0 - 2]).is_some() {
            g += 1;
            continue;
        }
        let mut best: Option<(usize, usize, NumberKind)> = None;
        let mut digits: Vec<u8> = Vec::new();
        let mut j = g;
        // a "+" right before the first group belongs to the number (+86 ...)
        let start = if groups[g].start > 0 && chars[groups[g].start - 1] == '+' {
            groups[g].start - 1
        } else {
            groups[g].start
        };
        while j < groups.len() {
            if j > g {
                let gap = groups[j].start - groups[j - 1].end;
                if gap != 1 || !is_separator(chars[groups[j - 1].end]) {
                    break;
                }
            }
            digits.extend_from_slice(&groups[j].digits);
            if digits.len() > 18 {
                break;
            }
            let end = groups[j].end;
            let x = end < chars.len() && matches!(chars[end], 'X' | 'x' | 'Ｘ');
            if x && digits.len() == 17 && plausible_id(&digits) {
                best = Some((start, end + 1, NumberKind::IdCard));
            } else if let Some(kind) = classify(&digits, false) {
                best = Some((start, end, kind));
            }
            j += 1;
        }
        match best {
            Some((s, e, k)) => {
                spans.push((s, e, k));
                while g < groups.len() && groups[g].start < e {
                    g += 1;
                }
            }
            None => g += 1,
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut k = 0;
    let mut idx = 0;
    while idx < chars.len() {
        if k < spans.len() && spans[k].0 == idx {
            out.push_str(match spans[k].2 {
                NumberKind::Mobile => MASK_MOBILE,
                NumberKind::Landline => MASK_LANDLINE,
                NumberKind::IdCard => MASK_ID_CARD,
            });
            idx = spans[k].1;
            k += 1;
        } else {
            out.push(chars[idx]);
            idx += 1;
        }
    }
    match contact {
        Some(c) if c.chars().count() >= 4 => replace_ignore_ascii_case(&out, c, MASK_CONTACT),
        _ => out,
    }
}

fn replace_ignore_ascii_case(hay: &str, needle: &str, with: &str) -> String {
    let lower_hay = hay.to_ascii_lowercase();
    let lower_needle = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(hay.len());
    let mut pos = 0;
    while let Some(found) = lower_hay[pos..].find(&lower_needle) {
        let at = pos + found;
        out.push_str(&hay[pos..at]);
        out.push_str(with);
        pos = at + lower_needle.len();
    }
    out.push_str(&hay[pos..]);
    out
}

/// Parses a contact: a mainland mobile (`13800138000`, `+86 138-0013-8000`), a landline
/// with area code (`0731-88888888`), or a WeChat ID (6–20 characters: a letter first, then
/// letters, digits, `_` or `-`, as WeChat requires). Phone numbers are stored as digits only.
///
/// # Errors
/// [`SuggestionError::Invalid`] on `contact` when it is none of these.
pub fn parse_contact(s: &str) -> Result<Contact, SuggestionError> {
    let t = s.trim();
    let digits: Vec<u8> = t
        .chars()
        .filter(|c| !is_separator(*c) && *c != '+' && *c != '(' && *c != ')')
        .map(digit_value)
        .collect::<Option<Vec<u8>>>()
        .unwrap_or_default();
    if !digits.is_empty() {
        let d = if digits.len() == 13 && digits.starts_with(&[8, 6]) {
            &digits[2..]
        } else {
            &digits[..]
        };
        if is_mobile(d) || classify(d, false) == Some(NumberKind::Landline) {
            return Ok(Contact {
                kind: ContactKind::Phone,
                value: d.iter().map(|v| char::from(b'0' + v)).collect(),
            });
        }
    }
    let n = t.chars().count();
    let wechat = (6..=20).contains(&n)
        && t.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if wechat {
        return Ok(Contact {
            kind: ContactKind::Wechat,
            value: t.to_string(),
        });
    }
    Err(SuggestionError::Invalid {
        field: "contact",
        msg: "contact must be a mainland mobile number (11 digits starting 13–19), a landline with area code (e.g. 0731-88888888) or a WeChat ID (6–20 letters, digits, _ or -, starting with a letter)".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_mobile_landline_and_id_numbers() {
        // Test numbers: 13800138000 is China Mobile's published service test number;
        // 11010519491231002X is the GB 11643 example ID (check digit X computed by the
        // ISO 7064 MOD 11-2 rule by hand: sum of weights*digits = 167, 167 mod 11 = 2 → X).
        let t = "电话13800138000或+86 138-0013-8001，座机0731-88888888，身份证11010519491231002X，日期20261129，金额1500元";
        let m = mask_public_text(t, None);
        assert_eq!(
            m,
            "电话[手机号已隐藏]或[手机号已隐藏]，座机[电话已隐藏]，身份证[身份证号已隐藏]，日期20261129，金额1500元"
        );
    }

    #[test]
    fn masks_full_width_and_adjacent_numbers() {
        let t = "联系１３９００１３９０００ 13700137000";
        assert_eq!(
            mask_public_text(t, None),
            "联系[手机号已隐藏] [手机号已隐藏]"
        );
        // 12 digits starting 1 is not a mobile number; 11 digits starting 12 neither
        assert_eq!(mask_public_text("123456789012", None), "123456789012");
        assert_eq!(mask_public_text("12345678901", None), "12345678901");
        // grouped ID number
        assert_eq!(
            mask_public_text("430102 19900101 1234", None),
            "[身份证号已隐藏]"
        );
        // 18 digits that cannot be an ID (no birth date at 7–14), and a decimal fraction
        assert_eq!(
            mask_public_text("编号 123456789012345678", None),
            "编号 123456789012345678"
        );
        assert_eq!(
            mask_public_text("x 0.008152810265322441 0.13800138000", None),
            "x 0.008152810265322441 0.13800138000"
        );
    }

    #[test]
    fn masks_the_submitted_contact_and_keeps_emoji() {
        let t = "加我微信 RiderWang_88 😀🛵 谢谢";
        assert_eq!(
            mask_public_text(t, Some("riderwang_88")),
            "加我微信 [联系方式已隐藏] 😀🛵 谢谢"
        );
        let plain = "没有号码 🧋👍🏽 e\u{301}";
        assert_eq!(mask_public_text(plain, None), plain);
    }

    use proptest::prelude::*;

    fn has_mobile_digits(t: &str) -> bool {
        // any 11 consecutive ASCII digits forming 1[3-9]xxxxxxxxx
        let b = t.as_bytes();
        b.windows(11).any(|w| {
            w.iter().all(u8::is_ascii_digit) && w[0] == b'1' && (b'3'..=b'9').contains(&w[1])
        })
    }

    proptest! {
        /// Any mobile number written plainly, grouped 3-4-4 by spaces or dashes, or with
        /// +86, between arbitrary non-digit text, is masked; the surrounding text is kept.
        #[test]
        fn mobile_numbers_never_survive(
            before in "[^0-9０-９.+]{0,12}",
            after in "[^0-9０-９Xx]{0,12}",
            second in 3u8..=9,
            rest in proptest::collection::vec(0u8..=9, 9),
            style in 0usize..4,
        ) {
            let digits: String = std::iter::once(1u8).chain(std::iter::once(second)).chain(rest)
                .map(|d| char::from(b'0' + d)).collect();
            let written = match style {
                0 => digits.clone(),
                1 => format!("{} {} {}", &digits[..3], &digits[3..7], &digits[7..]),
                2 => format!("{}-{}-{}", &digits[..3], &digits[3..7], &digits[7..]),
                _ => format!("+86 {digits}"),
            };
            let text = format!("{before}{written}{after}");
            let masked = mask_public_text(&text, None);
            prop_assert!(!masked.contains(&digits), "{masked}");
            prop_assert!(!has_mobile_digits(&masked.replace([' ', '-'], "")), "{masked}");
            prop_assert!(masked.starts_with(&before), "{masked}");
            prop_assert!(masked.ends_with(&after), "{masked}");
        }

        /// Text without digits comes back byte-exact.
        #[test]
        fn digit_free_text_is_unchanged(t in "[^0-9０-９]{0,64}") {
            prop_assert_eq!(mask_public_text(&t, None), t);
        }
    }

    #[test]
    fn parses_contacts() {
        let c = parse_contact("+86 138-0013-8000").unwrap();
        assert_eq!(c.kind, ContactKind::Phone);
        assert_eq!(c.value, "13800138000");
        assert_eq!(
            parse_contact("0731-88888888").unwrap().value,
            "073188888888"
        );
        let w = parse_contact("RiderWang_88").unwrap();
        assert_eq!(w.kind, ContactKind::Wechat);
        assert!(parse_contact("12345").is_err());
        assert!(parse_contact("8abcdefg").is_err());
        assert!(parse_contact("hi").is_err());
    }
}
