//! Text from a tenant, made safe to show: an escape sequence could rewrite a terminal's
//! screen, a direction override reorder what a log viewer shows.

/// At most `max` characters, with every control character (C0, DEL, C1: newlines and
/// terminal escapes included) and every bidirectional-override character replaced by a
/// space, so an entry prints as one line that shows what it says.
pub(crate) fn printable_capped(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4));
    for (count, c) in text.chars().enumerate() {
        if count == max {
            out.pop();
            out.push('…');
            break;
        }
        out.push(shown(c));
    }
    out
}

/// Text from a tenant as a terminal or a log viewer gets it: every control or direction
/// override character a space (an escape sequence could rewrite the screen, an override
/// reorder what is shown).
pub fn printable(text: &str) -> String {
    text.chars().map(shown).collect()
}

/// `c`, or a space for a control or direction override character.
fn shown(c: char) -> char {
    if c.is_control() || is_bidi_control(c) {
        ' '
    } else {
        c
    }
}

/// Whether `c` is a bidirectional mark, embedding, override or isolate.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_has_no_escape_nor_direction_override() {
        assert_eq!(
            printable("invoice\u{202E}fdp.exe\u{1b}[2J\nnext\u{2066}"),
            "invoice fdp.exe [2J next "
        );
        assert_eq!(printable("Grüße, ok"), "Grüße, ok");
    }
}
