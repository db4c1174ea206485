//! The invariants every input keeps, shared by the property tests (`tests/properties.rs`) and
//! the fuzz target (`fuzz/fuzz_targets/parse.rs`, which includes this file by path).

use instance_address::{InstanceUrl, Rule, origin_of};

/// A request path as the component sends them.
pub const REQUEST_PATH: &str = "/api/now/table/incident?sysparm_query=active%3Dtrue&x=1";

/// Parsing `input` does not panic; an accepted address round-trips and agrees with
/// [`origin_of`]; a refusal shows no control character and nothing of a userinfo.
pub fn check_parse(input: &str) {
    match InstanceUrl::parse(input) {
        Ok(url) => check_accepted(input, &url),
        Err(err) => {
            let reason = err.reason();
            assert!(!reason.is_empty(), "{input:?}: empty reason");
            assert!(
                !reason.chars().any(char::is_control),
                "{input:?}: control character in {reason:?}"
            );
            assert!(
                reason.len() <= 400,
                "{input:?}: reason too long: {reason:?}"
            );
            if let Some(userinfo) = userinfo(input) {
                // Refused before anything of the input is shown (these messages are fixed).
                assert!(
                    matches!(
                        err.rule(),
                        Rule::Userinfo
                            | Rule::Empty
                            | Rule::TooLong
                            | Rule::ControlCharacter
                            | Rule::NonAscii
                            | Rule::Space
                            | Rule::Backslash
                            | Rule::Shape
                    ),
                    "{input:?}: userinfo {userinfo:?} refused as {:?}: {reason:?}",
                    err.rule()
                );
                assert!(!reason.contains('@'), "{input:?}: {reason:?}");
            }
        }
    }
}

fn check_accepted(input: &str, url: &InstanceUrl) {
    let text = url.as_str();
    let origin = url.origin();
    assert!(
        text.bytes().all(|b| b.is_ascii_graphic()),
        "{input:?} -> {text:?}"
    );
    assert!(!text.ends_with('/'), "{input:?} -> {text:?}");
    assert!(
        !text.contains(['?', '#', '@', '\\']),
        "{input:?} -> {text:?}"
    );
    assert!(
        text.starts_with(&origin),
        "{input:?}: {text:?} does not start with {origin:?}"
    );
    assert_eq!(&text[origin.len()..], url.prefix(), "{input:?}");
    assert!(
        text.starts_with("https://") || (text.starts_with("http://") && url.is_loopback()),
        "{input:?} -> {text:?}"
    );
    // The address as stored parses to itself, with nothing left to normalise.
    let again = InstanceUrl::parse(text)
        .unwrap_or_else(|e| panic!("{input:?} -> {text:?} does not parse again: {e}"));
    assert_eq!(&again, url, "{input:?}");
    assert_eq!(again.as_str(), text, "{input:?}");
    assert_eq!(again.origin(), origin, "{input:?}");
    assert_eq!(again.note(), None, "{input:?}");
    // The host's view of the component's requests is the tenant's origin.
    assert_eq!(
        origin_of(&url.join(REQUEST_PATH)).as_ref(),
        Some(&origin),
        "{input:?}"
    );
    assert_eq!(origin_of(text).as_ref(), Some(&origin), "{input:?}");
    assert_eq!(origin_of(&origin).as_ref(), Some(&origin), "{input:?}");
    if let Some(note) = url.note() {
        assert!(!note.chars().any(char::is_control), "{input:?}: {note:?}");
        assert!(note.len() <= 240 + text.len(), "{input:?}: {note:?}");
        assert!(note.ends_with(text), "{input:?}: {note:?}");
        assert!(!note.contains('@'), "{input:?}: {note:?}");
        let from = url.normalised_from().expect("a note has its address");
        assert!(from.chars().count() <= 161, "{input:?}: {from:?}");
    } else {
        assert_eq!(url.normalised_from(), None);
    }
}

/// `origin_of` does not panic; what it returns is an origin both sides agree on.
pub fn check_origin_of(input: &str) {
    if let Some(origin) = origin_of(input) {
        assert!(
            origin.bytes().all(|b| b.is_ascii_graphic()) && !origin.contains('@'),
            "{input:?} -> {origin:?}"
        );
        assert_eq!(origin_of(&origin).as_ref(), Some(&origin), "{input:?}");
        let url = InstanceUrl::parse(&origin)
            .unwrap_or_else(|e| panic!("{input:?} -> origin {origin:?} is no instance: {e}"));
        assert_eq!(url.origin(), origin, "{input:?}");
        assert_eq!(url.as_str(), origin, "{input:?}");
    }
}

/// The userinfo the grammar sees: what stands before an `@` in the authority.
pub fn userinfo(input: &str) -> Option<&str> {
    let input = input.trim_matches(' ');
    let rest = match input.find("://") {
        Some(i)
            if i > 0
                && input[..i]
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic())
                && input[..i]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) =>
        {
            &input[i + 3..]
        }
        _ => input,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    authority.rfind('@').map(|at| &authority[..at])
}
