//! Text from elsewhere (the instance, the platform) made fit for an error message or a log
//! line: quoted, escaped, cut short.

use crate::primitives::prelude::*;

/// The longest piece of server text an error or a log line carries.
const SERVER_TEXT_MAX: usize = 300;

/// A value from the platform in a message: quoted, its control characters escaped (`{:?}`),
/// cut to `max` characters with `…` after the quotes when it was longer.
pub fn quoted(text: &str, max: usize) -> String {
    let cut: String = text.chars().take(max).collect();
    let mut shown = format!("{cut:?}");
    if text.chars().nth(max).is_some() {
        shown.push('…');
    }
    shown
}

/// Text from the instance, made fit for an error message or a log line: control characters
/// (newlines included) become spaces, runs of white space one space, and it is cut to
/// [`SERVER_TEXT_MAX`] characters. The instance is not trusted to be brief or printable.
pub fn server_text(text: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    for word in text.split(|c: char| c.is_whitespace() || c.is_control()) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count == SERVER_TEXT_MAX {
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_is_printable_and_bounded() {
        assert_eq!(
            server_text("Data Policy Exception: \n The following\tfields\u{7}  are mandatory"),
            "Data Policy Exception: The following fields are mandatory"
        );
        let long = server_text(&"x".repeat(1000));
        assert_eq!(long.chars().count(), SERVER_TEXT_MAX + 1);
        assert!(long.ends_with('…'));
        assert_eq!(server_text("\u{1b}[31m"), "[31m");
    }
}
