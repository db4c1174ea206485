//! What the admin may type, and the instance address it becomes.

use super::Expect::{self, Accept};
use super::{DEV1, ok};

pub(super) const ACCEPTED: &[(&str, Expect)] = &[
    // A bare subdomain is a service-now.com instance.
    ("dev12345", ok("https://dev12345.service-now.com")),
    (" dev12345 ", ok("https://dev12345.service-now.com")),
    ("DEV12345", ok("https://dev12345.service-now.com")),
    ("dev12345/", ok("https://dev12345.service-now.com")),
    ("acme-corp", ok("https://acme-corp.service-now.com")),
    // A host name alone is https.
    ("acme.service-now.com", ok("https://acme.service-now.com")),
    ("acme.service-now.com/", ok("https://acme.service-now.com")),
    ("snow.acme.internal", ok("https://snow.acme.internal")),
    (
        "Snow.Acme.Internal:8443/snow/",
        Accept(
            "https://snow.acme.internal:8443/snow",
            "https://snow.acme.internal:8443",
            None,
        ),
    ),
    ("localhost", ok("https://localhost")),
    ("localhost:8080", ok("https://localhost:8080")),
    // Full URLs keep their port and prefix; default ports and trailing slashes go.
    (
        "https://agency.servicenowservices.com/",
        ok("https://agency.servicenowservices.com"),
    ),
    ("HTTPS://Dev1.Service-Now.COM", ok(DEV1)),
    ("https://dev1.service-now.com:443", ok(DEV1)),
    ("https://dev1.service-now.com//", ok(DEV1)),
    (
        "https://proxy.example.com:8443/snow/",
        Accept(
            "https://proxy.example.com:8443/snow",
            "https://proxy.example.com:8443",
            None,
        ),
    ),
    (
        "https://proxy.example.com:65535/a/b",
        Accept(
            "https://proxy.example.com:65535/a/b",
            "https://proxy.example.com:65535",
            None,
        ),
    ),
    (
        "https://proxy.example.com/a-b_c~d.e/f%20g/!$&'()*+,;=",
        Accept(
            "https://proxy.example.com/a-b_c~d.e/f%20g/!$&'()*+,;=",
            "https://proxy.example.com",
            None,
        ),
    ),
    (
        "https://proxy.example.com/.../x",
        Accept(
            "https://proxy.example.com/.../x",
            "https://proxy.example.com",
            None,
        ),
    ),
    ("https://snow:8443", ok("https://snow:8443")),
    (
        "https://xn--bcher-kva.example",
        ok("https://xn--bcher-kva.example"),
    ),
    (
        "https://1password.example.com",
        ok("https://1password.example.com"),
    ),
    ("https://0x7f.example.com", ok("https://0x7f.example.com")),
    // Loopback is valid syntax, over http too.
    ("http://127.0.0.1:8080", ok("http://127.0.0.1:8080")),
    ("http://127.1.2.3:80", ok("http://127.1.2.3")),
    ("https://127.0.0.1", ok("https://127.0.0.1")),
    ("http://localhost:8080/", ok("http://localhost:8080")),
    (
        "http://LOCALHOST:8080/sim",
        Accept("http://localhost:8080/sim", "http://localhost:8080", None),
    ),
    ("http://[::1]:9", ok("http://[::1]:9")),
    ("http://[0:0:0:0:0:0:0:1]:8080", ok("http://[::1]:8080")),
    // Pages of the instance, pasted from the browser, become the instance.
    (
        "https://dev1.service-now.com/now/nav/ui/home",
        Accept(
            DEV1,
            DEV1,
            Some(
                "the browser address https://dev1.service-now.com/now/nav/ui/home was taken as the instance https://dev1.service-now.com",
            ),
        ),
    ),
    (
        "https://dev1.service-now.com/nav_to.do?uri=%2Fincident.do%3Fsys_id%3D1",
        Accept(
            DEV1,
            DEV1,
            Some(
                "the browser address https://dev1.service-now.com/nav_to.do… was taken as the instance https://dev1.service-now.com",
            ),
        ),
    ),
    (
        "https://dev1.service-now.com/navpage.do",
        Accept(
            DEV1,
            DEV1,
            Some(
                "the browser address https://dev1.service-now.com/navpage.do was taken as the instance https://dev1.service-now.com",
            ),
        ),
    ),
    (
        "https://dev1.service-now.com/home.do#top",
        Accept(
            DEV1,
            DEV1,
            Some(
                "the browser address https://dev1.service-now.com/home.do… was taken as the instance https://dev1.service-now.com",
            ),
        ),
    ),
    (
        "https://dev1.service-now.com/$pa_dashboard.do",
        Accept(
            DEV1,
            DEV1,
            Some(
                "the browser address https://dev1.service-now.com/$pa_dashboard.do was taken as the instance https://dev1.service-now.com",
            ),
        ),
    ),
    (
        "https://dev1.service-now.com/incident_list.do?sysparm_query=active=true",
        Accept(
            DEV1,
            DEV1,
            Some(
                "the browser address https://dev1.service-now.com/incident_list.do… was taken as the instance https://dev1.service-now.com",
            ),
        ),
    ),
    (
        "https://dev1.service-now.com/login.do",
        Accept(
            DEV1,
            DEV1,
            Some(
                "the browser address https://dev1.service-now.com/login.do was taken as the instance https://dev1.service-now.com",
            ),
        ),
    ),
    (
        "https://dev1.service-now.com/NOW/workspace/agent/home",
        Accept(
            DEV1,
            DEV1,
            Some(
                "the browser address https://dev1.service-now.com/NOW/workspace/agent/home was taken as the instance https://dev1.service-now.com",
            ),
        ),
    ),
    (
        "dev1.service-now.com/now/nav/ui/home",
        Accept(
            DEV1,
            DEV1,
            Some(
                "the browser address https://dev1.service-now.com/now/nav/ui/home was taken as the instance https://dev1.service-now.com",
            ),
        ),
    ),
    (
        "https://dev1.service-now.com/api/now/table/incident",
        Accept(
            DEV1,
            DEV1,
            Some(
                "the REST API address https://dev1.service-now.com/api/now/table/incident was taken as the instance https://dev1.service-now.com",
            ),
        ),
    ),
    (
        "https://proxy.example.com/snow/now/nav/ui/home",
        Accept(
            "https://proxy.example.com/snow",
            "https://proxy.example.com",
            Some(
                "the browser address https://proxy.example.com/snow/now/nav/ui/home was taken as the instance https://proxy.example.com/snow",
            ),
        ),
    ),
    // Found by fuzzing: the note shows nothing but a page's plain path...
    (
        "https://dev1.service-now.com/now/nav@/ui/home",
        Accept(
            DEV1,
            DEV1,
            Some(
                "the browser address https://dev1.service-now.com/now/nav… was taken as the instance https://dev1.service-now.com",
            ),
        ),
    ),
    // ...and a trailing slash does not change what a segment is.
    (
        "snow.icnal/prf/fixsnow.icnal/prf/fix/sp/",
        Accept(
            "https://snow.icnal/prf/fixsnow.icnal/prf/fix/sp",
            "https://snow.icnal",
            None,
        ),
    ),
];
