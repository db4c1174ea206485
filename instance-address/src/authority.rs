//! The authority: a host (a DNS name or a loopback literal) and a port, and the origin they
//! make with a scheme; the origin of a request URL.

use alloc::format;
use alloc::string::{String, ToString};

use alloc::vec::Vec;
use core::net::Ipv6Addr;

use crate::error::{InvalidInstance, Rule};
use crate::input::split_authority;
use crate::origin::{Host, Origin, Scheme};
use crate::{MAX_HOST_LEN, MAX_LABEL_LEN};

pub(crate) fn parse_authority(authority: &str) -> Result<(Host, Option<u16>), InvalidInstance> {
    if authority.contains('@') {
        return Err(InvalidInstance::new(
            Rule::Userinfo,
            "the instance URL must not carry a user name or password; enter the client \
             credentials in their own fields",
        ));
    }
    let (host_text, port_text) = if let Some(inner) = authority.strip_prefix('[') {
        let Some((inside, after)) = inner.split_once(']') else {
            return Err(InvalidInstance::new(
                Rule::Host,
                "the instance's IPv6 address has no closing bracket (])",
            ));
        };
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => {
                    return Err(InvalidInstance::new(
                        Rule::Host,
                        "the instance's IPv6 address must be followed by nothing or :port",
                    ));
                }
            },
        };
        let host = parse_ipv6(inside)?;
        return Ok((host, port.map(parse_port).transpose()?));
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let host = parse_host(host_text)?;
    Ok((host, port_text.map(parse_port).transpose()?))
}

fn parse_ipv6(inside: &str) -> Result<Host, InvalidInstance> {
    match inside.parse::<Ipv6Addr>() {
        Ok(ip) if ip.is_loopback() => Ok(Host::Ipv6Loopback),
        Ok(_) => Err(InvalidInstance::new(
            Rule::IpAddress,
            "the instance's host is an IPv6 address: IP addresses other than loopback \
             (127.0.0.0/8, ::1) are refused; use the instance's host name",
        )),
        Err(_) => Err(InvalidInstance::new(
            Rule::Host,
            "the instance's host in brackets is not an IPv6 address",
        )),
    }
}

fn parse_port(text: &str) -> Result<u16, InvalidInstance> {
    if text.is_empty() {
        return Err(InvalidInstance::new(
            Rule::Port,
            "the instance's port is empty; leave out the colon or give a port from 1 to 65535",
        ));
    }
    let digits = text.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<u16>() {
        Ok(port) if digits && port > 0 && !text.starts_with('0') => Ok(port),
        _ => Err(InvalidInstance::new(
            Rule::Port,
            "the instance's port must be a number from 1 to 65535 (no leading zeros)",
        )),
    }
}

fn parse_host(text: &str) -> Result<Host, InvalidInstance> {
    if text.is_empty() {
        return Err(InvalidInstance::new(
            Rule::Host,
            "the instance URL has no host",
        ));
    }
    if text.contains('%') {
        return Err(InvalidInstance::new(
            Rule::Host,
            "the instance's host name contains percent-encoding (%); type the name as it is",
        ));
    }
    if text.len() > MAX_HOST_LEN {
        return Err(InvalidInstance::new(
            Rule::Host,
            format!("the instance's host name is longer than {MAX_HOST_LEN} characters"),
        ));
    }
    if let Some(bad) = text
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
    {
        return Err(InvalidInstance::new(
            Rule::Host,
            format!(
                "the instance's host name contains {bad:?}: a host name has only letters, \
                 digits, hyphens and dots"
            ),
        ));
    }
    let labels: Vec<&str> = text.split('.').collect();
    if labels.iter().any(|l| l.is_empty()) {
        return Err(InvalidInstance::new(
            Rule::Host,
            "the instance's host name has an empty label (a dot at either end, or two in a row)",
        ));
    }
    if labels.iter().any(|l| l.len() > MAX_LABEL_LEN) {
        return Err(InvalidInstance::new(
            Rule::Host,
            format!(
                "a label of the instance's host name is longer than {MAX_LABEL_LEN} characters"
            ),
        ));
    }
    // Numeric hosts are IP addresses to resolvers and URL parsers, in more spellings than
    // anyone types on purpose: only the canonical dotted quad is read, the rest is refused.
    let last = labels[labels.len() - 1];
    let numeric = last.bytes().all(|b| b.is_ascii_digit())
        || (last.len() >= 2 && last[..2].eq_ignore_ascii_case("0x"));
    if numeric {
        return parse_ipv4(&labels);
    }
    if labels
        .iter()
        .any(|l| l.starts_with('-') || l.ends_with('-'))
    {
        return Err(InvalidInstance::new(
            Rule::Host,
            "a label of the instance's host name starts or ends with a hyphen",
        ));
    }
    Ok(Host::Name(text.to_ascii_lowercase()))
}

fn parse_ipv4(labels: &[&str]) -> Result<Host, InvalidInstance> {
    let octet = |l: &str| -> Option<u8> {
        let canonical = l.len() <= 3
            && l.bytes().all(|b| b.is_ascii_digit())
            && (l == "0" || !l.starts_with('0'));
        if canonical { l.parse().ok() } else { None }
    };
    let octets: Option<Vec<u8>> = labels.iter().map(|l| octet(l)).collect();
    match octets.as_deref() {
        Some(&[a, b, c, d]) if a == 127 => Ok(Host::Ipv4([a, b, c, d])),
        Some(&[a, b, c, d]) => Err(InvalidInstance::new(
            Rule::IpAddress,
            format!(
                "the instance's host {a}.{b}.{c}.{d} is an IP address: IP addresses other than \
                 loopback (127.0.0.0/8, ::1) are refused; use the instance's host name"
            ),
        )),
        _ => Err(InvalidInstance::new(
            Rule::IpAddress,
            "the instance's host is numeric but not a dotted quad such as 127.0.0.1 (forms \
             such as 2130706433, 0x7f.1, 127.1 or 0177.0.0.1 are refused); use the instance's \
             host name",
        )),
    }
}

pub(crate) fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LABEL_LEN
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

pub(crate) fn make_origin(
    scheme: Scheme,
    host: Host,
    port: Option<u16>,
) -> Result<Origin, InvalidInstance> {
    let port = port.filter(|&p| p != scheme.default_port());
    let origin = Origin { scheme, host, port };
    if scheme == Scheme::Http && !origin.host.is_loopback() {
        return Err(InvalidInstance::new(
            Rule::InsecureHttp,
            format!(
                "the instance URL {:?} uses http: ServiceNow must be reached over https",
                origin.to_string()
            ),
        ));
    }
    Ok(origin)
}

/// The scheme://host[:port] of an absolute URL (a request the guest sends), normalised as
/// [`InstanceUrl::origin`] is, so the two compare: default ports left out, host lower-cased.
/// The scheme, host and port follow the same rules as an instance's (https, or http to
/// loopback; no userinfo; DNS names, loopback literals only); the path and query may be any
/// printable ASCII. `None` for anything else.
pub fn origin_of(url: &str) -> Option<String> {
    if !url.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let scheme = if scheme.eq_ignore_ascii_case("https") {
        Scheme::Https
    } else if scheme.eq_ignore_ascii_case("http") {
        Scheme::Http
    } else {
        return None;
    };
    let (authority, _) = split_authority(rest);
    let (host, port) = parse_authority(authority).ok()?;
    make_origin(scheme, host, port).ok().map(|o| o.to_string())
}
