//! What std's prelude would have given every module, and the plain searches the component
//! uses in place of core's larger ones.

pub use alloc::boxed::Box;
pub use alloc::string::{String, ToString};
pub use alloc::vec::Vec;
pub use alloc::{format, vec};

/// Where `needle` first occurs in `haystack`: `str::find` with a `&str` pattern, as a
/// plain loop (core's two-way searcher is 2.4 KB of code).
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    (0..=haystack.len().checked_sub(needle.len())?)
        .find(|&at| &haystack[at..at + needle.len()] == needle)
}

/// `str::contains` with a `&str` pattern, through [`find`].
pub fn contains(haystack: &str, needle: &str) -> bool {
    find(haystack, needle).is_some()
}

/// `str::replace` with a `&str` pattern, through [`find`] (an empty `from` replaces nothing).
pub fn replace(text: &str, from: &str, to: &str) -> String {
    if from.is_empty() {
        return text.to_string();
    }
    let mut replaced = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = find(rest, from) {
        replaced.push_str(&rest[..at]);
        replaced.push_str(to);
        rest = &rest[at + from.len()..];
    }
    replaced.push_str(rest);
    replaced
}

/// `[S]::join`: a loop, where alloc's optimised copy is over a kilobyte per item type.
pub fn join<S: AsRef<str>>(items: &[S], separator: &str) -> String {
    let mut joined = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            joined.push_str(separator);
        }
        joined.push_str(item.as_ref());
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_searches_answer_as_str_does() {
        let texts = [
            "",
            "a",
            "json",
            "x://y://z",
            "ünï://cödé",
            "aaaa",
            "abab",
            "ServiceNow",
        ];
        for text in texts {
            for needle in ["", "a", "aa", "://", "ab", "cödé", "json", "Now", "zz"] {
                assert_eq!(find(text, needle), text.find(needle), "{text:?} {needle:?}");
                assert_eq!(contains(text, needle), text.contains(needle));
                if !needle.is_empty() {
                    assert_eq!(replace(text, needle, "<r>"), text.replace(needle, "<r>"));
                }
            }
        }
    }
}
