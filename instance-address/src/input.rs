//! The input as a whole: the characters refused anywhere, the scheme, userinfo, and where
//! the authority ends.

use alloc::format;

use crate::MAX_INPUT_LEN;
use crate::error::{InvalidInstance, Rule, cap};
use crate::origin::Scheme;

/// Everything refused wherever it stands, checked before anything is shown back.
pub(crate) fn check_characters(input: &str) -> Result<(), InvalidInstance> {
    if input.is_empty() {
        return Err(InvalidInstance::new(Rule::Empty, "the instance is empty"));
    }
    if input.len() > MAX_INPUT_LEN {
        return Err(InvalidInstance::new(
            Rule::TooLong,
            format!(
                "the instance is longer than {MAX_INPUT_LEN} characters; enter the instance's \
                 address only"
            ),
        ));
    }
    if input.chars().any(char::is_control) {
        return Err(InvalidInstance::new(
            Rule::ControlCharacter,
            "the instance contains a control character (a tab, a line break or the like); \
             type it again without one",
        ));
    }
    if !input.is_ascii() {
        return Err(InvalidInstance::new(
            Rule::NonAscii,
            "the instance contains a non-ASCII character; ServiceNow instance addresses are \
             ASCII (type an internationalised host name in its xn-- form)",
        ));
    }
    if input.contains(' ') {
        return Err(InvalidInstance::new(
            Rule::Space,
            "the instance contains a space; an address has none",
        ));
    }
    if input.contains('\\') {
        return Err(InvalidInstance::new(
            Rule::Backslash,
            "the instance contains a backslash (\\); addresses use forward slashes (/)",
        ));
    }
    Ok(())
}

/// (scheme, the rest after `://` or the whole bare input, whether the scheme was typed).
pub(crate) fn split_scheme(input: &str) -> Result<(Scheme, &str, bool), InvalidInstance> {
    let scheme_len = input
        .bytes()
        .enumerate()
        .take_while(|&(i, b)| {
            b.is_ascii_alphabetic() || (i > 0 && (b.is_ascii_digit() || b"+-.".contains(&b)))
        })
        .count();
    let after = &input[scheme_len..];
    if scheme_len > 0 && after.starts_with("://") {
        let name = &input[..scheme_len];
        let rest = &after[3..];
        check_userinfo(rest)?;
        let scheme = if name.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else if name.eq_ignore_ascii_case("http") {
            Scheme::Http
        } else {
            return Err(InvalidInstance::new(
                Rule::Scheme,
                format!(
                    "the instance URL has the scheme {:?}; ServiceNow is reached over https",
                    cap(&name.to_ascii_lowercase(), 16)
                ),
            ));
        };
        return Ok((scheme, rest, true));
    }
    check_userinfo(input)?;
    // A byte window, not `str::contains`: the component's size is kept free of core's
    // two-way searcher (2.4 KB).
    if input.as_bytes().windows(3).any(|w| w == b"://") {
        return Err(InvalidInstance::new(
            Rule::Shape,
            "the instance is neither a subdomain such as dev12345, a host name such as \
             acme.service-now.com, nor a URL starting with https://",
        ));
    }
    // `name:` not followed by a port: a scheme without its slashes (https:host, mailto:x).
    // A dotted name is a host name with a bad port, left to the port rule.
    if scheme_len > 0 && after.starts_with(':') && !input[..scheme_len].contains('.') {
        let port_like = after[1..]
            .bytes()
            .take_while(|&b| !b"/?#".contains(&b))
            .all(|b| b.is_ascii_digit());
        if !port_like || after.len() == 1 {
            return Err(InvalidInstance::new(
                Rule::Shape,
                "the instance looks like a URL but does not start with https://",
            ));
        }
    }
    Ok((Scheme::Https, input, false))
}

fn check_userinfo(rest: &str) -> Result<(), InvalidInstance> {
    let (authority, _) = split_authority(rest);
    if authority.contains('@') {
        return Err(InvalidInstance::new(
            Rule::Userinfo,
            "the instance URL must not carry a user name or password; enter the client \
             credentials in their own fields",
        ));
    }
    Ok(())
}

/// (authority, the path, query and fragment after it).
pub(crate) fn split_authority(rest: &str) -> (&str, &str) {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    rest.split_at(end)
}
