//! What makes two usernames or two emails the same, for every tier.
//!
//! A name is stored as its owner chose it (in NFC) and compared in its canonical form: NFC,
//! then lower case. `ADA` and `ada` are one user, `Ada@Conduit.Example` and
//! `ada@conduit.example` one account. The models tier keeps the canonical forms in unique
//! columns; experience refuses names that would look like another (invisible characters).

use unicode_normalization::UnicodeNormalization;

/// `s` in Unicode Normalization Form C: how names are stored.
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// The form two usernames are compared in.
pub fn canonical_username(username: &str) -> String {
    nfc(&nfc(username.trim()).to_lowercase())
}

/// The form two emails are compared in (the whole address without case: mail providers
/// treat the local part so, and two accounts differing only in case are never intended).
pub fn canonical_email(email: &str) -> String {
    nfc(&email.trim().to_lowercase())
}

/// True for a character that is not seen, or that changes how the characters around it are
/// seen: controls, format characters (zero-width ones, the bidirectional overrides and
/// isolates, the soft hyphen, the byte-order mark), line and paragraph separators, tag
/// characters, and private-use and noncharacter code points.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}'                      // soft hyphen
            | '\u{034F}'                    // combining grapheme joiner
            | '\u{061C}'                    // Arabic letter mark
            | '\u{115F}' | '\u{1160}'       // Hangul fillers
            | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'       // Mongolian selectors and vowel separator
            | '\u{200B}'..='\u{200F}'       // zero-width space/joiners, LRM, RLM
            | '\u{2028}'..='\u{202E}'       // separators, bidi embeddings and overrides
            | '\u{2060}'..='\u{206F}'       // word joiner, invisible operators, bidi isolates
            | '\u{3164}'                    // Hangul filler
            | '\u{FE00}'..='\u{FE0F}'       // variation selectors
            | '\u{FEFF}'                    // byte-order mark
            | '\u{FFA0}'                    // halfwidth Hangul filler
            | '\u{FFF0}'..='\u{FFFB}'       // specials and interlinear annotations
            | '\u{1D173}'..='\u{1D17A}'     // musical format controls
            | '\u{E0000}'..='\u{E0FFF}'     // tags and variation selectors supplement
            | '\u{E000}'..='\u{F8FF}'       // private use
            | '\u{F0000}'..='\u{10FFFF}'    // supplementary private use
        )
        || (c as u32 & 0xFFFE) == 0xFFFE // noncharacters U+xxFFFE, U+xxFFFF
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_composition_do_not_make_another_name() {
        assert_eq!(canonical_username("ADA"), canonical_username("ada"));
        // "é" precomposed and as e + combining acute.
        assert_eq!(
            canonical_username("Ren\u{e9}"),
            canonical_username("rene\u{301}")
        );
        assert_ne!(canonical_username("ada"), canonical_username("adb"));
        assert_eq!(
            canonical_email(" Ada@Conduit.Example"),
            canonical_email("ada@conduit.example")
        );
        assert_eq!(nfc("rene\u{301}"), "ren\u{e9}");
    }

    #[test]
    fn invisible_and_direction_changing_characters_are_found() {
        for c in [
            '\u{200B}',
            '\u{200D}',
            '\u{202E}',
            '\u{2066}',
            '\u{FEFF}',
            '\u{0007}',
            '\u{E0041}',
            '\u{2028}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", c as u32);
        }
        for c in ['a', 'Z', ' ', '-', '_', '\u{e9}', '\u{4e2d}', '\u{1F600}'] {
            assert!(!is_invisible(c), "U+{:04X}", c as u32);
        }
    }
}
