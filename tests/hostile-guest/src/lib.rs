//! A hostile tenant: a component that speaks the contract but, asked to create a ticket,
//! carries out the attack the ticket's title names against the host it runs in, keeps what
//! it took (requests, bodies, header collections, answers) for as long as it lives, and
//! answers `skipped` with what it got. The host's tests load it exactly as a platform loads
//! the real component, and check the host's bounds.
//!
//! Attacks, by title:
//! - `bodies N BYTES`: N POSTs to its instance, BYTES written into each body, none finished.
//! - `fields N BYTES`: N header collections, each with one value of BYTES bytes.
//! - `unread N`: N GETs at once, their answers awaited and never read.
//! - `unfinished`: one POST whose body is begun and never finished, left to the host.
//! - `finish`: finishes every body it began (after the platform suspended or reconfigured
//!   it, say).
//! - `spin`: a loop that never ends and never waits.
//!
//! `configure` takes any settings, even an address that names no origin. `test-connection`
//! on a candidate begins a POST to the candidate's address and leaves it unfinished.
//!
//! Only a wasm32 build is a guest; elsewhere (the workspace's native builds) the crate is
//! empty.

#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;

wit_bindgen::generate!({
    path: "../../wit",
    inline: "
        package cxm:hostile-guest;

        world guest {
            include cxm:ticketing/provider@0.4.0;
            import wasi:http/outgoing-handler@0.2.2;
        }
    ",
    world: "cxm:hostile-guest/guest",
    generate_all,
});

use cxm::ticketing::secrets::Secret;
use cxm::ticketing::types::{
    Attachment, Candidate, ChangesPage, CommentKind, ConnectionReport, CreateOutcome, Error,
    ErrorKind, FieldKind, ProviderInfo, Resolution, ResolveOutcome, Setting, SettingField,
    SettingValue, Ticket, TicketChanges, TicketDetails, TicketRef, UpdateResult,
};
use exports::cxm::ticketing::ticketing_provider::Guest;
use wasi::http::outgoing_handler;
use wasi::http::types::{Fields, Method, OutgoingBody, OutgoingRequest, Scheme};

/// What the guest took and keeps: dropping nothing is the attack.
#[expect(dead_code, reason = "held, never read: keeping them is the point")]
enum Held {
    Request(outgoing_handler::FutureIncomingResponse),
    Body(OutgoingBody),
    Stream(wasi::io::streams::OutputStream),
    Fields(Fields),
    Answer(wasi::http::types::IncomingResponse),
}

thread_local! {
    static ADDRESS: RefCell<String> = const { RefCell::new(String::new()) };
    static HELD: RefCell<Vec<Held>> = const { RefCell::new(Vec::new()) };
}

fn keep(held: Held) {
    HELD.with(|all| all.borrow_mut().push(held));
}

struct Hostile;

fn refused() -> Error {
    Error {
        kind: ErrorKind::NotConfigured,
        message: "a hostile guest does not do that".into(),
        field: None,
        remedy: None,
        guide_step: None,
        http_status: None,
        retry_after_seconds: None,
    }
}

/// The configured address as (scheme, authority).
fn target() -> (Scheme, String) {
    let address = ADDRESS.with(|a| a.borrow().clone());
    match address.split_once("://") {
        Some(("https", rest)) => (Scheme::Https, rest.trim_end_matches('/').to_string()),
        Some((_, rest)) => (Scheme::Http, rest.trim_end_matches('/').to_string()),
        None => (Scheme::Https, address),
    }
}

fn request(method: &Method) -> OutgoingRequest {
    let request = OutgoingRequest::new(Fields::new());
    let (scheme, authority) = target();
    let _ = request.set_method(method);
    let _ = request.set_scheme(Some(&scheme));
    let _ = request.set_authority(Some(&authority));
    let _ = request.set_path_with_query(Some("/api/now/table/incident"));
    request
}

/// N POSTs, each body written to `bytes` and left unfinished.
fn bodies(count: usize, bytes: usize) -> String {
    let (mut handed, mut refused, mut written) = (0, 0, 0u64);
    let chunk = vec![b'x'; 4096];
    for _ in 0..count {
        let request = request(&Method::Post);
        let Ok(body) = request.body() else { continue };
        let Ok(stream) = body.write() else { continue };
        match outgoing_handler::handle(request, None) {
            Ok(future) => {
                handed += 1;
                keep(Held::Request(future));
            }
            Err(_) => refused += 1,
        }
        let mut left = bytes;
        while left > 0 {
            let n = left.min(chunk.len());
            if stream.blocking_write_and_flush(&chunk[..n]).is_err() {
                break;
            }
            written += n as u64;
            left -= n;
        }
        keep(Held::Stream(stream));
        keep(Held::Body(body));
    }
    format!("handed {handed}, refused {refused}, wrote {written}")
}

/// N header collections of one `bytes`-long value each.
fn fields(count: usize, bytes: usize) -> String {
    let value = vec![b'v'; bytes];
    let (mut made, mut refused) = (0, 0);
    for i in 0..count {
        let name = format!("x-hostile-{i}");
        match Fields::from_list(&[(name, value.clone())]) {
            Ok(fields) => {
                made += 1;
                keep(Held::Fields(fields));
            }
            Err(_) => refused += 1,
        }
    }
    format!("made {made}, refused {refused}")
}

/// N GETs at once; each answer awaited and kept unread.
fn unread(count: usize) -> String {
    let mut futures = Vec::new();
    let mut refused = 0;
    for _ in 0..count {
        let request = request(&Method::Get);
        if let Ok(body) = request.body() {
            let _ = OutgoingBody::finish(body, None);
        }
        match outgoing_handler::handle(request, None) {
            Ok(future) => futures.push(future),
            Err(_) => refused += 1,
        }
    }
    let mut answered = 0;
    for future in futures {
        future.subscribe().block();
        match future.get() {
            Some(Ok(Ok(answer))) => {
                answered += 1;
                keep(Held::Answer(answer));
            }
            _ => refused += 1,
        }
    }
    format!("answered {answered}, refused {refused}")
}

/// One POST begun and left to the host: the body's first bytes written, never finished.
fn unfinished() -> String {
    let request = request(&Method::Post);
    let Ok(body) = request.body() else {
        return "no body".into();
    };
    let Ok(stream) = body.write() else {
        return "no stream".into();
    };
    let handed = outgoing_handler::handle(request, None);
    let wrote = stream
        .blocking_write_and_flush(b"{\"short_description\":")
        .is_ok();
    if let Ok(future) = handed {
        keep(Held::Request(future));
    }
    keep(Held::Stream(stream));
    keep(Held::Body(body));
    format!("wrote {wrote}")
}

/// Finishes every body begun: what was left to the host would now go out.
fn finish() -> String {
    let held = HELD.with(|all| std::mem::take(&mut *all.borrow_mut()));
    let mut finished = 0;
    let mut rest = Vec::new();
    for held in held {
        match held {
            // A body's stream must be gone before the body is finished.
            Held::Stream(stream) => drop(stream),
            Held::Body(body) => {
                finished += usize::from(OutgoingBody::finish(body, None).is_ok());
            }
            other => rest.push(other),
        }
    }
    HELD.with(|all| all.borrow_mut().extend(rest));
    format!("finished {finished}")
}

fn attack(title: &str) -> String {
    let words: Vec<&str> = title.split_whitespace().collect();
    let number = |i: usize| words.get(i).and_then(|w| w.parse().ok()).unwrap_or(0);
    match words.first().copied() {
        Some("bodies") => bodies(number(1), number(2)),
        Some("fields") => fields(number(1), number(2)),
        Some("unread") => unread(number(1)),
        Some("unfinished") => unfinished(),
        Some("finish") => finish(),
        Some("spin") => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        _ => format!("no attack {title:?}"),
    }
}

impl Guest for Hostile {
    fn describe() -> ProviderInfo {
        ProviderInfo {
            name: "Hostile".into(),
            version: "0".into(),
            capabilities: Vec::new(),
            ticket_kinds: Vec::new(),
            other_ticket_kinds: true,
            settings: vec![SettingField {
                key: "instance".into(),
                label: "Instance".into(),
                help: "Anything at all.".into(),
                kind: FieldKind::Address,
                required: true,
                default: None,
                choices: Vec::new(),
                auth_methods: Vec::new(),
            }],
        }
    }

    fn validate_field(_: String, _: SettingValue) -> Result<(), Error> {
        Ok(())
    }

    fn configure(settings: Vec<Setting>, _: Vec<Secret>) -> Result<(), Error> {
        for setting in settings {
            if let (true, SettingValue::Text(text)) = (setting.key == "instance", setting.value) {
                ADDRESS.with(|a| *a.borrow_mut() = text);
            }
        }
        Ok(())
    }

    fn test_connection(candidate: Option<Candidate>) -> ConnectionReport {
        if let Some(candidate) = candidate {
            let in_force = ADDRESS.with(|a| a.borrow().clone());
            let _ = Self::configure(candidate.settings, Vec::new());
            unfinished();
            ADDRESS.with(|a| *a.borrow_mut() = in_force);
        }
        ConnectionReport {
            passed: false,
            checks: Vec::new(),
        }
    }

    fn create_ticket(ticket: Ticket) -> Result<CreateOutcome, Error> {
        Ok(CreateOutcome::Skipped(attack(&ticket.title)))
    }

    fn get_ticket(_: TicketRef) -> Result<TicketDetails, Error> {
        Err(refused())
    }

    fn update_ticket(_: TicketRef, _: TicketChanges) -> Result<UpdateResult, Error> {
        Err(refused())
    }

    fn add_comment(_: TicketRef, _: CommentKind, _: String) -> Result<(), Error> {
        Err(refused())
    }

    fn resolve_ticket(_: TicketRef, _: Resolution) -> Result<ResolveOutcome, Error> {
        Err(refused())
    }

    fn resolve_by_correlation(
        _: String,
        _: String,
        _: Resolution,
    ) -> Result<ResolveOutcome, Error> {
        Err(refused())
    }

    fn changes_since(_: Option<String>) -> Result<ChangesPage, Error> {
        Err(refused())
    }

    fn attach_file(_: TicketRef, _: String, _: String, _: Vec<u8>) -> Result<Attachment, Error> {
        Err(refused())
    }

    fn hibernate() -> Vec<u8> {
        Vec::new()
    }

    fn resume(_: Vec<u8>) {}
}

export!(Hostile);
