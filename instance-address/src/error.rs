//! Why an address was refused: the rule it broke, and a message that names it.

use alloc::string::{String, ToString};
use core::fmt;

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
    pub(crate) fn new(rule: Rule, reason: impl Into<String>) -> Self {
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

/// At most `max` characters of `s` (printable ASCII here), with … when cut.
pub(crate) fn cap(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}
