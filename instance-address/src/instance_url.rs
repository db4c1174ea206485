//! An instance's base address: parsed from what the admin typed, and what it tells.

use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;

use crate::SERVICE_NOW_DOMAIN;
use crate::authority::{is_label, make_origin, parse_authority};
use crate::error::{InvalidInstance, Rule};
use crate::input::{check_characters, split_authority, split_scheme};
use crate::origin::{Host, Origin, Scheme};
use crate::path::{Normalised, parse_tail};

/// The base address of a ServiceNow instance: scheme, host, optional port and path prefix (a proxy
/// may add one, docs/servicenow/availability.md#instance-addresses), without a trailing slash.
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
