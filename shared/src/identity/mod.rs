//! Identity and tenancy on the store port: users, sessions, one-time tokens, throttles,
//! accounts (tenants), memberships, roles and permissions. Key design: `infra/ACCESS_PATTERNS.md`.

pub mod invitations;
pub mod mails;
pub mod passwords;
pub mod sessions;
pub mod tenancy;
pub mod throttle;
pub mod tokens;
pub mod users;

// The item helpers belong to the store port; re-exported for callers that still name them here.
pub use crate::ports::store::{rfc3339, ItemBuilder, ItemExt};

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 random bytes, URL-safe base64: bearer secrets (refresh, verification, reset tokens).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored only as their SHA-256, so a leaked table grants nothing.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Characters that change how text displays without being seen: controls, bidirectional
/// overrides and isolates, zero-width characters. Names never need them, and a name that
/// holds them can impersonate another or reorder what an admin reads.
pub fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
            | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}')
}

/// Checks a display name (person, account, role): trimmed, 1..=`max` characters, no hidden
/// characters. Returns the trimmed name or what is wrong, in the user's words.
pub fn display_name(raw: &str, max: usize) -> std::result::Result<String, String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > max {
        return Err(format!("must be 1-{max} characters"));
    }
    if name.chars().any(is_hidden_char) {
        return Err("must not contain control, invisible or text-direction characters".into());
    }
    Ok(name.to_string())
}

/// What a name looks like to a reader: case, spacing, punctuation and common look-alike
/// letters (Cyrillic, Greek, full-width, digits for letters) folded away. Two names with the
/// same skeleton are confusable.
pub fn skeleton(name: &str) -> String {
    name.chars()
        .filter(|c| !is_hidden_char(*c))
        .map(|c| match c {
            // Full-width ASCII.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'а' | 'α' | 'ɑ' | '@' | '4' | 'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'в' | 'β' | 'ь' => 'b',
            'с' | 'ϲ' | 'ç' => 'c',
            'ԁ' | 'ɗ' => 'd',
            'е' | 'ε' | 'ё' | 'è' | 'é' | 'ê' | 'ë' | '3' => 'e',
            'ɡ' => 'g',
            'һ' | 'н' => 'h',
            'і' | 'ι' | 'ı' | 'ì' | 'í' | 'î' | 'ï' | '1' | '!' | '|' | 'l' | 'ӏ' => 'i',
            'ј' => 'j',
            'κ' | 'к' => 'k',
            'м' | 'μ' => 'm',
            'п' | 'η' | 'ñ' => 'n',
            'о' | 'ο' | 'σ' | '0' | 'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
            'р' | 'ρ' => 'p',
            'ԛ' => 'q',
            'г' => 'r',
            'ѕ' | '5' | '$' => 's',
            'т' | 'τ' | '7' => 't',
            'υ' | 'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ν' | 'ѵ' => 'v',
            'ԝ' | 'ω' | 'ш' => 'w',
            'х' | 'χ' => 'x',
            'у' | 'γ' | 'ý' | 'ÿ' => 'y',
            'ᴢ' | '2' => 'z',
            other => other,
        })
        .filter(|c| c.is_alphanumeric())
        .collect()
}
