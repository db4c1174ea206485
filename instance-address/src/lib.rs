//! The instance-address rules in one place: what the admin may type for their ServiceNow
//! instance, how it normalises, and the origin it stands for. The component validates its
//! settings with them, and the host derives each tenant's allowed origin with them (from the
//! settings it holds rather than from what the guest says) and checks every request URL the
//! guest sends with [`origin_of`], under the same rules.
//!
//! # The grammar
//!
//! Written by hand so that it is the whole story: nothing here is "whatever a URL library
//! accepts". `ALPHA`, `DIGIT`, `HEXDIG` are as in RFC 3986; comparisons of letters ignore case.
//!
//! ```text
//! input     = *" " ( subdomain ["/"] | bare | url ) *" "   ; ≤ 2048 bytes after trimming
//! subdomain = label                                  ; -> https://<label>.service-now.com
//!                                                    ;    ("localhost" is the host, not this)
//! bare      = authority path [ "?" any ] [ "#" any ] ; -> https:// + bare; the host needs a dot,
//!                                                    ;    or is localhost or an IP literal
//! url       = scheme "://" authority path [ "?" any ] [ "#" any ]
//! scheme    = "https" | "http"                       ; http only with a loopback host
//! authority = host [ ":" port ]                      ; no userinfo ("user:pw@")
//! port      = "1"-"9" *4DIGIT                        ; 1..=65535; the default port is dropped
//! host      = "[" ipv6 "]" | ipv4 | name             ; ≤ 253 bytes, lower-cased
//! ipv6      = an address equal to ::1                ; written as [::1]
//! ipv4      = dec "." dec "." dec "." dec            ; 127.0.0.0/8 only; dec = "0" | "1"-"9"
//!                                                    ;  *2DIGIT, ≤ 255 (no leading zeros)
//! name      = label *( "." label )                   ; its last label must not be numeric
//! label     = 1*63( ALPHA | DIGIT | "-" )            ; not starting or ending with "-"
//! path      = [ prefix ] [ ui-path ] [ "/" ]
//! prefix    = 1*( "/" segment )                      ; ≤ 512 bytes; kept, for a proxy
//! segment   = 1*( unreserved | sub-delim | pct )     ; not "." nor ".."
//! pct       = "%" HEXDIG HEXDIG                      ; not %2F "/", %5C "\", %2E ".",
//!                                                    ;  nor a control character
//! ui-path   = "/" ( "now" | *pchar ".do" | "api/now" ) *( "/" any-segment )
//!                                                    ; a page of the instance: dropped, with
//!                                                    ;  a note saying so (see InstanceUrl::note)
//! ```
//!
//! A query or fragment is allowed only after a `ui-path` (an address pasted from the browser),
//! and is dropped with it. Anywhere in the input these are refused: control characters (tabs,
//! line breaks, DEL, C1), spaces inside, backslashes, non-ASCII characters (ServiceNow
//! instance names are ASCII: an internationalised name is typed in its `xn--` form, which is
//! an ordinary label), and percent-encoding in the host.
//!
//! A *numeric* host (its last label all digits, or `0x…`) must be a dotted quad as above:
//! the other forms that resolvers and URL parsers read as IPv4 (`2130706433`, `0x7f.1`,
//! `127.1`, `0177.0.0.1`) are refused outright, as is every IP literal outside loopback
//! (`10.0.0.1`, `[::ffff:169.254.169.254]`, `[fe80::1]`). Loopback (`localhost`, 127.0.0.0/8,
//! `[::1]`) is valid syntax so that tests and other hosts can use a local simulator; whether a
//! tenant may reach it is the host's decision alone.
//!
//! Error messages name the rule broken. They repeat from the input only what was checked to be
//! harmless (a scheme name, a validated host, a dotted quad, one printable character), capped
//! in length: never a control character, never anything that stood before an `@`.

// No std: the ServiceNow component links this crate and has no std (its `src/lib.rs`).
#![no_std]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::net::Ipv6Addr;

/// The longest input accepted, in bytes, after trimming spaces.
pub const MAX_INPUT_LEN: usize = 2048;
/// The longest host name (RFC 1035).
pub const MAX_HOST_LEN: usize = 253;
/// The longest DNS label (RFC 1035).
pub const MAX_LABEL_LEN: usize = 63;
/// The longest path prefix kept for a proxy, in bytes.
pub const MAX_PREFIX_LEN: usize = 512;
/// The domain a bare subdomain belongs to.
pub const SERVICE_NOW_DOMAIN: &str = "service-now.com";

/// The rule an address broke, for callers that sort refusals without reading the message.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Nothing was typed.
    Empty,
    /// Longer than [`MAX_INPUT_LEN`].
    TooLong,
    /// A control character (tab, line break, DEL, C1) anywhere.
    ControlCharacter,
    /// A character outside ASCII anywhere (an IDN must be typed as `xn--`).
    NonAscii,
    /// A space inside the address.
    Space,
    /// A backslash anywhere.
    Backslash,
    /// Neither a subdomain, a host name nor a URL.
    Shape,
    /// A scheme other than https (or http).
    Scheme,
    /// A user name or password before the host.
    Userinfo,
    /// http to a host that is not loopback.
    InsecureHttp,
    /// The host is not a DNS name, or is too long, or holds percent-encoding.
    Host,
    /// An IP literal other than loopback, or a numeric host that is not a dotted quad.
    IpAddress,
    /// The port is not 1..=65535.
    Port,
    /// The path prefix breaks the segment rules.
    Prefix,
    /// A query or fragment on an address that is not a page of the instance.
    QueryOrFragment,
}

/// Why an instance address was refused; the message names the rule (and, where harmless, the
/// offending part).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidInstance {
    rule: Rule,
    reason: String,
}

impl InvalidInstance {
    fn new(rule: Rule, reason: impl Into<String>) -> Self {
        Self {
            rule,
            reason: reason.into(),
        }
    }

    /// The reason, as shown to the admin.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The rule broken.
    pub fn rule(&self) -> Rule {
        self.rule
    }
}

impl fmt::Display for InvalidInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl core::error::Error for InvalidInstance {}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Host {
    /// Lower-cased DNS name.
    Name(String),
    /// A dotted quad in 127.0.0.0/8.
    Ipv4([u8; 4]),
    /// `[::1]`.
    Ipv6Loopback,
}

impl Host {
    fn is_loopback(&self) -> bool {
        match self {
            Host::Name(name) => name == "localhost",
            Host::Ipv4(_) | Host::Ipv6Loopback => true,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Ipv4([a, b, c, d]) => write!(f, "{a}.{b}.{c}.{d}"),
            Host::Ipv6Loopback => f.write_str("[::1]"),
        }
    }
}

/// scheme://host[:port], the port only when not the scheme's default.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Origin {
    scheme: Scheme,
    host: Host,
    port: Option<u16>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

/// The base address of a ServiceNow instance: scheme, host, optional port and path prefix
/// (a proxy may add one, facts §7), without a trailing slash.
///
/// Two addresses are equal when they name the same base address; the note on how one was
/// normalised does not count.
#[derive(Clone, Debug)]
pub struct InstanceUrl {
    origin: Origin,
    /// "" or "/seg(/seg)*".
    prefix: String,
    /// origin + prefix.
    serialized: String,
    /// The page address the instance was taken from, sanitised, when it was one.
    normalised_from: Option<Normalised>,
}

#[derive(Clone, Debug)]
struct Normalised {
    what: &'static str,
    address: String,
}

impl PartialEq for InstanceUrl {
    fn eq(&self, other: &Self) -> bool {
        self.serialized == other.serialized
    }
}

impl Eq for InstanceUrl {}

impl core::hash::Hash for InstanceUrl {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.serialized.hash(state);
    }
}

impl fmt::Display for InstanceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.serialized)
    }
}

impl InstanceUrl {
    /// Accepts what the admin may type (see the crate's grammar): `dev12345`,
    /// `acme.service-now.com`, `https://proxy.example.com:8443/snow/`, or an address copied
    /// from the browser, `https://dev1.service-now.com/now/nav/ui/home`, which becomes the
    /// instance it is a page of (and [`InstanceUrl::note`] says so).
    pub fn parse(input: &str) -> Result<Self, InvalidInstance> {
        let input = input.trim_matches(' ');
        check_characters(input)?;
        // From here on the input is printable ASCII without spaces or backslashes, so slicing
        // at any byte is safe and any character of it may be shown.
        // A lone label, with or without a trailing slash, is a service-now.com subdomain.
        let lone = input.strip_suffix('/').unwrap_or(input);
        if is_label(lone) && !lone.eq_ignore_ascii_case("localhost") {
            let name = format!("{}.{SERVICE_NOW_DOMAIN}", lone.to_ascii_lowercase());
            let origin = make_origin(Scheme::Https, Host::Name(name), None)?;
            return Ok(Self::from_parts(origin, String::new(), None));
        }
        let (scheme, rest, explicit) = split_scheme(input)?;
        let (authority, tail) = split_authority(rest);
        let (host, port) = parse_authority(authority)?;
        if let Host::Name(name) = &host
            && !explicit
            && !name.contains('.')
            && name != "localhost"
        {
            return Err(InvalidInstance::new(
                Rule::Shape,
                "a host name without a dot needs its scheme (https://snow:8443 for an \
                 on-premise host); for a service-now.com instance type just the subdomain, \
                 such as dev12345",
            ));
        }
        let origin = make_origin(scheme, host, port)?;
        let (prefix, normalised_from) = parse_tail(&origin, tail)?;
        Ok(Self::from_parts(origin, prefix, normalised_from))
    }

    fn from_parts(origin: Origin, prefix: String, normalised_from: Option<Normalised>) -> Self {
        let serialized = format!("{origin}{prefix}");
        Self {
            origin,
            prefix,
            serialized,
            normalised_from,
        }
    }

    /// `https://dev12345.service-now.com` or with a port and path prefix; never ends with `/`.
    pub fn as_str(&self) -> &str {
        &self.serialized
    }

    /// scheme://host[:port], what the host's sandbox allows this tenant to reach; the default
    /// port is left out, the host is lower case.
    pub fn origin(&self) -> String {
        self.origin.to_string()
    }

    /// An absolute URL under the instance, `path` starting with `/`.
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.as_str(), path)
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &'static str {
        self.origin.scheme.as_str()
    }

    /// The host, lower case; `[::1]` for IPv6 loopback.
    pub fn host(&self) -> String {
        self.origin.host.to_string()
    }

    /// The port, when it is not the scheme's default.
    pub fn port(&self) -> Option<u16> {
        self.origin.port
    }

    /// The path prefix a proxy added, `""` or `/seg(/seg)*`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether the host is loopback (`localhost`, 127.0.0.0/8, `[::1]`). Valid syntax
    /// either way: whether a tenant may reach it is the host's decision.
    pub fn is_loopback(&self) -> bool {
        self.origin.host.is_loopback()
    }

    /// When the admin gave the address of a page of the instance, that address, sanitised
    /// (cut with `…` at its query, fragment or any character other than letters, digits and
    /// `-._~/$`; capped in length).
    pub fn normalised_from(&self) -> Option<&str> {
        self.normalised_from.as_ref().map(|n| n.address.as_str())
    }

    /// A sentence for the admin when the address was normalised from a page of the instance:
    /// "the browser address https://dev1.service-now.com/now/nav/ui/home was taken as the
    /// instance https://dev1.service-now.com". `None` when the address was taken as typed.
    pub fn note(&self) -> Option<String> {
        self.normalised_from.as_ref().map(|n| {
            format!(
                "the {} {} was taken as the instance {}",
                n.what, n.address, self.serialized
            )
        })
    }
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

/// Everything refused wherever it stands, checked before anything is shown back.
fn check_characters(input: &str) -> Result<(), InvalidInstance> {
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
fn split_scheme(input: &str) -> Result<(Scheme, &str, bool), InvalidInstance> {
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
fn split_authority(rest: &str) -> (&str, &str) {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    rest.split_at(end)
}

fn parse_authority(authority: &str) -> Result<(Host, Option<u16>), InvalidInstance> {
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

fn make_origin(scheme: Scheme, host: Host, port: Option<u16>) -> Result<Origin, InvalidInstance> {
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

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LABEL_LEN
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
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
fn parse_tail(
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

/// At most `max` characters of `s` (printable ASCII here), with … when cut.
fn cap(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}
