//! The path after the authority: the prefix a proxy adds, kept, and a page of the
//! instance, dropped with a note.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::MAX_PREFIX_LEN;
use crate::error::{InvalidInstance, Rule, cap};
use crate::origin::Origin;

/// The page address an instance was taken from, sanitised, and what the page was.
#[derive(Clone, Debug)]
pub(crate) struct Normalised {
    pub(crate) what: &'static str,
    pub(crate) address: String,
}

/// Where a page of the instance starts among the path's segments, and what it is called.
fn ui_start(segments: &[&str]) -> Option<(usize, &'static str)> {
    segments.iter().enumerate().find_map(|(i, seg)| {
        let lower = seg.to_ascii_lowercase();
        if lower == "api"
            && segments
                .get(i + 1)
                .is_some_and(|n| n.eq_ignore_ascii_case("now"))
        {
            Some((i, "REST API address"))
        } else if lower == "now" || (lower.len() > 3 && lower.ends_with(".do")) {
            Some((i, "browser address"))
        } else {
            None
        }
    })
}

/// The path prefix kept, and the page address the instance was taken from, if any.
pub(crate) fn parse_tail(
    origin: &Origin,
    tail: &str,
) -> Result<(String, Option<Normalised>), InvalidInstance> {
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    let (path, extra) = tail.split_at(path_end);
    let segments: Vec<&str> = match path.strip_prefix('/') {
        Some(rest) => rest.split('/').collect(),
        None => Vec::new(),
    };
    let (kept, normalised_from) = match ui_start(&segments) {
        Some((start, what)) => {
            // Shown up to the first character that is not plainly part of a page's path
            // (its query too is left out): what the admin recognises, nothing they did not
            // mean to show.
            let plain = path
                .find(|c: char| !(c.is_ascii_alphanumeric() || "-._~/$".contains(c)))
                .unwrap_or(path.len());
            let mut address = format!("{origin}{}", &path[..plain]);
            if plain < path.len() || !extra.is_empty() {
                address.push('…');
            }
            let address = cap(&address, 160);
            (&segments[..start], Some(Normalised { what, address }))
        }
        None => {
            if !extra.is_empty() {
                return Err(InvalidInstance::new(
                    Rule::QueryOrFragment,
                    "the instance URL must not have a query or fragment (unless it is the \
                     address of a page of the instance, such as /now/nav/ui/home)",
                ));
            }
            let mut segments = &segments[..];
            // One trailing slash (or several) is not a segment.
            while let [rest @ .., ""] = segments {
                segments = rest;
            }
            (segments, None)
        }
    };
    let mut prefix = String::new();
    for segment in kept {
        check_segment(segment)?;
        prefix.push('/');
        prefix.push_str(segment);
    }
    if prefix.len() > MAX_PREFIX_LEN {
        return Err(InvalidInstance::new(
            Rule::Prefix,
            format!("the instance's path prefix is longer than {MAX_PREFIX_LEN} characters"),
        ));
    }
    Ok((prefix, normalised_from))
}

fn check_segment(segment: &str) -> Result<(), InvalidInstance> {
    if segment.is_empty() {
        return Err(InvalidInstance::new(
            Rule::Prefix,
            "the instance's path prefix has an empty segment (//)",
        ));
    }
    if segment == "." || segment == ".." {
        return Err(InvalidInstance::new(
            Rule::Prefix,
            "the instance's path prefix has a . or .. segment",
        ));
    }
    let bytes = segment.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .and_then(|h| u8::from_str_radix(core::str::from_utf8(h).ok()?, 16).ok());
            match hex {
                None => {
                    return Err(InvalidInstance::new(
                        Rule::Prefix,
                        "the instance's path prefix has a % not followed by two hex digits",
                    ));
                }
                Some(b'/' | b'\\' | b'.') => {
                    return Err(InvalidInstance::new(
                        Rule::Prefix,
                        "the instance's path prefix has an encoded slash, backslash or dot \
                         (%2F, %5C, %2E)",
                    ));
                }
                Some(c) if c < 0x20 || c == 0x7f => {
                    return Err(InvalidInstance::new(
                        Rule::Prefix,
                        "the instance's path prefix has an encoded control character",
                    ));
                }
                Some(_) => i += 3,
            }
            continue;
        }
        let allowed = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b);
        if !allowed {
            return Err(InvalidInstance::new(
                Rule::Prefix,
                format!(
                    "the instance's path prefix contains {:?}: a prefix segment has only \
                     letters, digits and -._~!$&'()*+,;= (or %XX)",
                    b as char
                ),
            ));
        }
        i += 1;
    }
    Ok(())
}
