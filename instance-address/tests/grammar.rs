//! The instance grammar as a table: what the admin may type, what it becomes, and why the rest
//! is refused. Each row also goes through the invariants the property tests and the fuzz target
//! check (`support/invariants.rs`).

#[path = "grammar/accepted.rs"]
mod accepted;
#[path = "grammar/refused.rs"]
mod refused;
mod support;

use accepted::ACCEPTED;
use instance_address::{InstanceUrl, Rule, origin_of};
use refused::REFUSED;
use support::invariants;

#[derive(Clone, Copy)]
enum Expect {
    /// as_str, origin, note.
    Accept(&'static str, &'static str, Option<&'static str>),
    /// The rule, and a phrase of the reason.
    Refuse(Rule, &'static str),
}

use Expect::{Accept, Refuse};

const DEV1: &str = "https://dev1.service-now.com";

const fn ok(as_str: &'static str) -> Expect {
    Accept(as_str, as_str, None)
}

fn table() -> Vec<(String, Expect)> {
    let label63 = "a".repeat(63);
    let label64 = "a".repeat(64);
    let host253 = format!("{0}.{0}.{0}.{1}", "a".repeat(63), "b".repeat(61));
    let host254 = format!("{0}.{0}.{0}.{1}", "a".repeat(63), "b".repeat(62));
    assert_eq!((host253.len(), host254.len()), (253, 254));
    let long_prefix = format!("https://proxy.example.com/{}", "p".repeat(512));
    let mut rows: Vec<(String, Expect)> = ACCEPTED
        .iter()
        .chain(REFUSED)
        .map(|&(i, e)| (i.to_string(), e))
        .collect();
    rows.extend([
        (label63.clone(), Accept("https://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.service-now.com", "https://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.service-now.com", None)),
        (format!("https://{label64}.example.com"), Refuse(Rule::Host, "longer than 63")),
        (label64, Refuse(Rule::Host, "longer than 63")),
        (format!("https://{host254}"), Refuse(Rule::Host, "longer than 253")),
        ("x".repeat(2049), Refuse(Rule::TooLong, "longer than 2048")),
        (long_prefix, Refuse(Rule::Prefix, "longer than 512")),
    ]);
    let accepted_253 = InstanceUrl::parse(&format!("https://{host253}")).unwrap();
    assert_eq!(accepted_253.host(), host253);
    rows
}

#[test]
fn the_grammar_table() {
    let rows = table();
    assert!(rows.len() >= 60, "{} rows", rows.len());
    let mut failures = Vec::new();
    for (input, expect) in &rows {
        invariants::check_parse(input);
        let got = InstanceUrl::parse(input);
        match (expect, &got) {
            (Accept(as_str, origin, note), Ok(url)) => {
                if url.as_str() != *as_str
                    || url.origin() != *origin
                    || url.note().as_deref() != *note
                {
                    failures.push(format!(
                        "{input:?}: got {:?} {:?} {:?}",
                        url.as_str(),
                        url.origin(),
                        url.note()
                    ));
                }
            }
            (Refuse(rule, phrase), Err(err)) => {
                if err.rule() != *rule || !err.reason().contains(phrase) {
                    failures.push(format!(
                        "{input:?}: got {:?} {:?}",
                        err.rule(),
                        err.reason()
                    ));
                }
                assert!(!err.reason().contains("hunter2"), "{input:?}: {err}");
            }
            (_, got) => failures.push(format!("{input:?}: got {got:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// Inputs that made the fuzz target fail once (see the README's "Fuzzing"), replayed.
#[test]
fn fuzz_regressions() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz-regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let input = String::from_utf8_lossy(&bytes);
        invariants::check_parse(&input);
        invariants::check_origin_of(&input);
        count += 1;
    }
    assert!(count > 0);
}

#[test]
fn origins_of_request_urls() {
    for (url, origin) in [
        (
            "https://Dev1.service-now.com:443/api/now/table/incident",
            Some(DEV1),
        ),
        ("https://dev1.service-now.com", Some(DEV1)),
        ("https://dev1.service-now.com?x", Some(DEV1)),
        (
            "http://127.0.0.1:8080/oauth_token.do",
            Some("http://127.0.0.1:8080"),
        ),
        ("HTTP://[::1]:80/x", Some("http://[::1]")),
        (
            "https://proxy.example.com:8443/snow/api/now/table/x?q=a%2Fb@c",
            Some("https://proxy.example.com:8443"),
        ),
        ("http://dev1.service-now.com/", None),
        ("https://user@dev1.service-now.com/", None),
        ("https://dev1.service-now.com.evil.example@127.0.0.1/", None),
        ("https://dev1.service-now.com\\@evil.example/", None),
        ("https://2130706433/", None),
        ("https://[::ffff:169.254.169.254]/", None),
        ("https://10.0.0.1/", None),
        ("https://dev1.service-now.com:0/", None),
        ("https://dev1.service-now.com:99999/", None),
        ("https://dev1.service-now.com /", None),
        ("https://dev1.service-now.com/\t", None),
        ("ftp://dev1.service-now.com/", None),
        ("//dev1.service-now.com/", None),
        ("/api/now/table/incident", None),
        ("not a url", None),
        ("", None),
    ] {
        assert_eq!(origin_of(url).as_deref(), origin, "{url:?}");
        invariants::check_origin_of(url);
    }
    assert_ne!(
        origin_of("http://127.0.0.1:8081/"),
        origin_of("http://127.0.0.1:8080/")
    );
}

#[test]
fn accessors_and_equality() {
    let url = InstanceUrl::parse("https://Proxy.Example.com:8443/snow/").unwrap();
    assert_eq!(url.scheme(), "https");
    assert_eq!(url.host(), "proxy.example.com");
    assert_eq!(url.port(), Some(8443));
    assert_eq!(url.prefix(), "/snow");
    assert!(!url.is_loopback());
    assert_eq!(
        url.join("/oauth_token.do"),
        "https://proxy.example.com:8443/snow/oauth_token.do"
    );
    assert_eq!(url.to_string(), url.as_str());
    assert!(InstanceUrl::parse("http://[::1]:9").unwrap().is_loopback());
    // The note says how an address was reached; it is not part of the address.
    let page = InstanceUrl::parse("https://dev1.service-now.com/now/nav/ui/home").unwrap();
    assert_eq!(page, InstanceUrl::parse("dev1").unwrap());
    assert_eq!(
        page.normalised_from(),
        Some("https://dev1.service-now.com/now/nav/ui/home")
    );
    assert_eq!(InstanceUrl::parse("dev1").unwrap().note(), None);
}
