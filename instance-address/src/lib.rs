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

mod authority;
mod error;
mod input;
mod instance_url;
mod origin;
mod path;

pub use authority::origin_of;
pub use error::{InvalidInstance, Rule};
pub use instance_url::InstanceUrl;

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
