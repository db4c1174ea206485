//! What is refused, with the rule it breaks and a phrase of the reason.

use instance_address::Rule;

use super::Expect::{self, Refuse};

pub(super) const REFUSED: &[(&str, Expect)] = &[
    // Nothing typed, too much typed.
    ("", Refuse(Rule::Empty, "the instance is empty")),
    ("   ", Refuse(Rule::Empty, "the instance is empty")),
    // Characters refused anywhere.
    (
        "\tdev1",
        Refuse(Rule::ControlCharacter, "control character"),
    ),
    (
        "dev1\n",
        Refuse(Rule::ControlCharacter, "control character"),
    ),
    (
        "https://dev1.service-now.com/\u{7f}",
        Refuse(Rule::ControlCharacter, "control character"),
    ),
    (
        "https://dev1.service-now.com/now\u{85}",
        Refuse(Rule::ControlCharacter, "control character"),
    ),
    (
        "https://user:hunter2\r@x.example.com",
        Refuse(Rule::ControlCharacter, "control character"),
    ),
    ("dev 123", Refuse(Rule::Space, "contains a space")),
    (
        "https:\\\\dev1.service-now.com",
        Refuse(Rule::Backslash, "backslash"),
    ),
    (
        "https://dev1.service-now.com\\@evil.example",
        Refuse(Rule::Backslash, "backslash"),
    ),
    (
        "https://dév1.service-now.com",
        Refuse(Rule::NonAscii, "xn--"),
    ),
    (
        "dev1.service-now.com\u{200b}",
        Refuse(Rule::NonAscii, "non-ASCII"),
    ),
    // No credentials in the address.
    (
        "https://user:pw@x.example.com",
        Refuse(Rule::Userinfo, "user name or password"),
    ),
    (
        "https://admin:hunter2@dev1.service-now.com/now/nav/ui/home",
        Refuse(Rule::Userinfo, "user name or password"),
    ),
    (
        "admin:hunter2@dev1.service-now.com",
        Refuse(Rule::Userinfo, "user name or password"),
    ),
    (
        "https://@x.example.com",
        Refuse(Rule::Userinfo, "user name or password"),
    ),
    (
        "http://a:hunter2@[::1]:9",
        Refuse(Rule::Userinfo, "user name or password"),
    ),
    // Scheme and shape.
    (
        "ftp://x.example.com",
        Refuse(Rule::Scheme, "scheme \"ftp\""),
    ),
    (
        "file:///etc/passwd",
        Refuse(Rule::Scheme, "scheme \"file\""),
    ),
    (
        "javascript:alert(1)",
        Refuse(Rule::Shape, "does not start with https://"),
    ),
    (
        "https:dev1.service-now.com",
        Refuse(Rule::Shape, "does not start with https://"),
    ),
    (
        "a/b://c.example.com",
        Refuse(Rule::Shape, "neither a subdomain"),
    ),
    ("dev1:8080", Refuse(Rule::Shape, "without a dot")),
    ("snow/prefix", Refuse(Rule::Shape, "without a dot")),
    (
        "http://dev1.service-now.com",
        Refuse(
            Rule::InsecureHttp,
            "the instance URL \"http://dev1.service-now.com\" uses http: ServiceNow must be reached over https",
        ),
    ),
    (
        "http://snow.acme.internal:8080/x",
        Refuse(Rule::InsecureHttp, "uses http"),
    ),
    // Host names are DNS names.
    ("https://", Refuse(Rule::Host, "no host")),
    ("https://:443", Refuse(Rule::Host, "no host")),
    ("<dev123>", Refuse(Rule::Host, "contains '<'")),
    (
        "https://dev_1.service-now.com",
        Refuse(Rule::Host, "contains '_'"),
    ),
    (
        "https://-dev1.service-now.com",
        Refuse(Rule::Host, "hyphen"),
    ),
    (
        "https://dev1-.service-now.com",
        Refuse(Rule::Host, "hyphen"),
    ),
    (
        "https://dev1..service-now.com",
        Refuse(Rule::Host, "empty label"),
    ),
    (
        "https://dev1.service-now.com.",
        Refuse(Rule::Host, "empty label"),
    ),
    (
        "https://.service-now.com",
        Refuse(Rule::Host, "empty label"),
    ),
    (
        "https://dev%31.service-now.com",
        Refuse(Rule::Host, "percent-encoding"),
    ),
    ("https://[::1", Refuse(Rule::Host, "closing bracket")),
    ("https://[::1]x", Refuse(Rule::Host, "nothing or :port")),
    (
        "https://[::1%25eth0]",
        Refuse(Rule::Host, "not an IPv6 address"),
    ),
    // IP literals: loopback only, dotted quads only.
    (
        "https://10.0.0.1",
        Refuse(Rule::IpAddress, "10.0.0.1 is an IP address"),
    ),
    (
        "http://10.0.0.1",
        Refuse(Rule::IpAddress, "other than loopback"),
    ),
    (
        "https://169.254.169.254/",
        Refuse(Rule::IpAddress, "169.254.169.254"),
    ),
    (
        "https://[::ffff:169.254.169.254]",
        Refuse(Rule::IpAddress, "IPv6"),
    ),
    (
        "https://[::ffff:127.0.0.1]",
        Refuse(Rule::IpAddress, "other than loopback"),
    ),
    (
        "https://[fe80::1]",
        Refuse(Rule::IpAddress, "other than loopback"),
    ),
    (
        "https://2130706433",
        Refuse(Rule::IpAddress, "not a dotted quad"),
    ),
    (
        "https://0x7f.1",
        Refuse(Rule::IpAddress, "not a dotted quad"),
    ),
    (
        "https://127.1",
        Refuse(Rule::IpAddress, "not a dotted quad"),
    ),
    (
        "https://0177.0.0.1",
        Refuse(Rule::IpAddress, "not a dotted quad"),
    ),
    (
        "https://127.000.0.1",
        Refuse(Rule::IpAddress, "not a dotted quad"),
    ),
    (
        "https://256.0.0.1",
        Refuse(Rule::IpAddress, "not a dotted quad"),
    ),
    (
        "https://1.2.3.4.5",
        Refuse(Rule::IpAddress, "not a dotted quad"),
    ),
    (
        "https://intranet.123",
        Refuse(Rule::IpAddress, "not a dotted quad"),
    ),
    // Ports.
    (
        "https://dev1.service-now.com:0",
        Refuse(Rule::Port, "1 to 65535"),
    ),
    (
        "https://dev1.service-now.com:65536",
        Refuse(Rule::Port, "1 to 65535"),
    ),
    (
        "https://dev1.service-now.com:08443",
        Refuse(Rule::Port, "leading zeros"),
    ),
    (
        "https://dev1.service-now.com:+443",
        Refuse(Rule::Port, "1 to 65535"),
    ),
    (
        "https://dev1.service-now.com:443:443",
        Refuse(Rule::Port, "1 to 65535"),
    ),
    (
        "https://dev1.service-now.com:",
        Refuse(Rule::Port, "port is empty"),
    ),
    ("acme.service-now.com:", Refuse(Rule::Port, "port is empty")),
    (
        "acme.service-now.com:https",
        Refuse(Rule::Port, "1 to 65535"),
    ),
    (
        "localhost:",
        Refuse(Rule::Shape, "does not start with https://"),
    ),
    (
        "admin:hunter2",
        Refuse(Rule::Shape, "does not start with https://"),
    ),
    // Path prefixes.
    (
        "https://proxy.example.com/../admin",
        Refuse(Rule::Prefix, ". or .."),
    ),
    (
        "https://proxy.example.com/snow/./x",
        Refuse(Rule::Prefix, ". or .."),
    ),
    (
        "https://proxy.example.com/snow%2fadmin",
        Refuse(Rule::Prefix, "encoded slash"),
    ),
    (
        "https://proxy.example.com/snow%5Cadmin",
        Refuse(Rule::Prefix, "encoded slash"),
    ),
    (
        "https://proxy.example.com/%2e%2e/admin",
        Refuse(Rule::Prefix, "encoded slash, backslash or dot"),
    ),
    (
        "https://proxy.example.com/snow//x",
        Refuse(Rule::Prefix, "empty segment"),
    ),
    (
        "https://proxy.example.com/sn%zz",
        Refuse(Rule::Prefix, "two hex digits"),
    ),
    (
        "https://proxy.example.com/sn%0aw",
        Refuse(Rule::Prefix, "encoded control character"),
    ),
    (
        "https://proxy.example.com/a:b",
        Refuse(Rule::Prefix, "contains ':'"),
    ),
    (
        "https://proxy.example.com/a@b",
        Refuse(Rule::Prefix, "contains '@'"),
    ),
    (
        "https://proxy.example.com/a\"b",
        Refuse(Rule::Prefix, "contains '\"'"),
    ),
    (
        "https://proxy.example.com/../now/nav/ui/home",
        Refuse(Rule::Prefix, ". or .."),
    ),
    // Queries and fragments only on a page of the instance.
    (
        "https://dev1.service-now.com/?x=1",
        Refuse(Rule::QueryOrFragment, "must not have a query or fragment"),
    ),
    (
        "https://dev1.service-now.com#top",
        Refuse(Rule::QueryOrFragment, "must not have a query or fragment"),
    ),
    (
        "https://proxy.example.com/snow?x",
        Refuse(Rule::QueryOrFragment, "must not have a query or fragment"),
    ),
];
