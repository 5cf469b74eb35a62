//! The short receipt code: 6 Crockford base-32 characters a person can read aloud and type
//! (<https://www.crockford.com/base32.html>), given with the tracking id on submission.
//! Together, tracking id + code open the reporter's own record on any device.
//!
//! The code is derived from the long receipt token (the first 30 bits of
//! SHA-256(`"nuanxin receipt code|"` + token)), so one secret yields both; the store keeps
//! only a salted SHA-256 of the code ([`code_hash`]), never the code. Typing is forgiving
//! as Crockford's spec allows: case is ignored, `O` reads as `0`, `I` and `L` as `1`, and
//! spaces and hyphens are skipped. 30 bits make guessing hopeless at the lookup's per-IP
//! rate limit (10⁹ guesses per suggestion).

use sha2::{Digest, Sha256};

/// Crockford's base-32 alphabet (no I, L, O, U).
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a code.
pub const CODE_LEN: usize = 6;

/// The short code of the receipt `token`.
pub fn code_of(token: &str) -> String {
    let d = Sha256::digest(format!("nuanxin receipt code|{token}").as_bytes());
    // the first 30 bits, 5 at a time
    let bits = u32::from_be_bytes([d[0], d[1], d[2], d[3]]) >> 2;
    (0..CODE_LEN)
        .map(|i| ALPHABET[((bits >> (25 - 5 * i)) & 31) as usize] as char)
        .collect()
}

/// The canonical form of a typed code, or `None` when it is not 6 Crockford characters
/// (after skipping spaces and hyphens and mapping look-alikes).
pub fn normalize(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_LEN);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' | '\u{3000}' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_LEN).then_some(out)
}

/// The code as shown to people: two groups of three (`7K3 P9Q`), easier to read aloud.
pub fn display(code: &str) -> String {
    if code.len() == CODE_LEN {
        format!("{} {}", &code[..3], &code[3..])
    } else {
        code.to_string()
    }
}

/// What the store keeps of a code: SHA-256 hex of `id|code` (canonical code). Bound to
/// the tracking id, so a code opens only its own suggestion.
pub fn code_hash(id: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{id}|{code}").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_30_bits_of_the_tokens_hash() {
        // python3 -c "import hashlib;d=hashlib.sha256(b'nuanxin receipt code|abc').digest();
        //   b=int.from_bytes(d[:4],'big')>>2;
        //   print(''.join('0123456789ABCDEFGHJKMNPQRSTVWXYZ'[(b>>(25-5*i))&31] for i in range(6)))"
        assert_eq!(code_of("abc"), "YCTNF7");
        assert_eq!(code_of("abc").len(), CODE_LEN);
        assert_ne!(code_of("abd"), code_of("abc"));
    }

    #[test]
    fn typing_is_forgiving() {
        assert_eq!(normalize("7k3-p9q").as_deref(), Some("7K3P9Q"));
        assert_eq!(normalize(" 7K3 P9Q ").as_deref(), Some("7K3P9Q"));
        assert_eq!(normalize("oil 234").as_deref(), Some("011234"));
        assert_eq!(normalize("7K3P9").as_deref(), None);
        assert_eq!(normalize("7K3P9QQ").as_deref(), None);
        // U is not in Crockford's alphabet
        assert_eq!(normalize("UUUUUU").as_deref(), None);
        assert_eq!(normalize("七K3P9Q").as_deref(), None);
        assert_eq!(display("7K3P9Q"), "7K3 P9Q");
    }
}
