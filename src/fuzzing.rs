//! Entry points for the fuzz targets in `tests/fuzz` (feature `fuzzing` only): each feeds
//! arbitrary bytes to a parser of what ServiceNow or the platform sends, and panics only
//! where an invariant the rest of the component relies on is broken.

use crate::primitives::prelude::*;

use alloc::collections::VecDeque;
use core::cell::{Cell, RefCell};
use core::time::Duration;

use crate::primitives::clock::Clock;
use crate::primitives::http::{Request, Response, Transport, TransportError};
use crate::primitives::ids::{ChangeTemplate, Name, SysId, query_value_problem};
use crate::primitives::log::NoLog;
use crate::servicenow::auth::Authorization;
use crate::servicenow::change_api::ChangeApi;
use crate::servicenow::cmdb::CmdbRow;
use crate::servicenow::import_set::ImportSetApi;
use crate::servicenow::oauth::request_token;
use crate::servicenow::query::Query;
use crate::servicenow::request::Rest;
use crate::servicenow::retry::{RetryPolicy, Retrying};
use crate::servicenow::rows::Columns;
use crate::servicenow::table::TableApi;
use crate::servicenow::ticket::{TicketRef, TicketRow};
use crate::servicenow::ticket_kind::TicketKind;
use crate::settings::validated::{RawSettings, Settings, TicketCategory, error_shows_secret};
use instance_address::InstanceUrl;

/// Answers cut from the fuzzer's bytes: status (2 bytes), a content type (1 byte), a body
/// length (2 bytes), the body; repeated.
fn answers(mut data: &[u8]) -> VecDeque<Response> {
    let mut out = VecDeque::new();
    while data.len() >= 5 && out.len() < 8 {
        let status = 100 + u16::from_le_bytes([data[0], data[1]]) % 500;
        let content_type = [
            "application/json",
            "text/html",
            "",
            "application/json;charset=UTF-8",
        ][usize::from(data[2]) % 4];
        let len = usize::from(u16::from_le_bytes([data[3], data[4]])).min(data.len() - 5);
        let body = data[5..5 + len].to_vec();
        data = &data[5 + len..];
        let mut headers = vec![("content-type".to_string(), content_type.to_string())];
        if status == 429 {
            headers.push(("retry-after".into(), (len % 90).to_string()));
        }
        out.push_back(Response {
            status,
            headers,
            body,
        });
    }
    out
}

struct Replay(RefCell<VecDeque<Response>>);

impl Transport for Replay {
    fn send(&self, _: &Request) -> Result<Response, TransportError> {
        self.0
            .borrow_mut()
            .pop_front()
            .ok_or_else(|| TransportError::Interrupted("no more answers".into()))
    }
}

#[derive(Default)]
struct Instant(Cell<Duration>);

impl Clock for Instant {
    fn now(&self) -> Duration {
        self.0.get()
    }
    fn unix_now(&self) -> Duration {
        Duration::from_secs(1_790_000_000) + self.0.get()
    }
    fn sleep(&self, duration: Duration) {
        self.0.set(self.0.get().saturating_add(duration));
    }
}

fn check_error(error: &crate::primitives::error::Error) {
    assert!(
        !error.message.chars().any(char::is_control),
        "a control character in {:?}",
        error.message
    );
}

/// Table API answers, read as a list and as a written record.
pub fn table_answers(data: &[u8]) {
    let transport = Replay(RefCell::new(answers(data)));
    let clock = Instant::default();
    let policy = RetryPolicy::default();
    let retrying = Retrying {
        transport: &transport,
        clock: &clock,
        policy: &policy,
        log: &NoLog,
    };
    let instance = InstanceUrl::parse("dev1").expect("a valid instance");
    let api = TableApi(Rest {
        transport: &retrying,
        instance: &instance,
    });
    let token = Authorization::bearer("t");
    let table = Name::known("incident");
    match api.query::<TicketRow>(&token, &table, &Query::default(), 5) {
        Ok(rows) => rows
            .iter()
            .for_each(|row| assert!(SysId::parse(row.sys_id.as_str()).is_some())),
        Err(error) => check_error(&error),
    }
    match api.insert::<TicketRow>(&token, &table, &Columns::default()) {
        Ok(stored) => assert!(SysId::parse(stored.row.sys_id.as_str()).is_some()),
        Err(error) => check_error(&error),
    }
    assert!(clock.now() <= policy.max_wait * 2, "waited past the budget");
}

/// The write paths' answers: the Change Management API's template list and created change,
/// an import set row's transform results, and CMDB rows.
pub fn write_answers(data: &[u8]) {
    let transport = Replay(RefCell::new(answers(data)));
    let instance = InstanceUrl::parse("dev1").expect("a valid instance");
    let token = Authorization::bearer("t");
    let mut columns = Columns::default();
    columns
        .set("short_description", "Idle VM")
        .set("correlation_id", "opp-1");
    let changes = ChangeApi(Rest {
        transport: &transport,
        instance: &instance,
    });
    match changes.templates(&token, &ChangeTemplate::Name("Restart a VM".into())) {
        Ok(rows) => rows
            .iter()
            .for_each(|row| assert!(row.name == "Restart a VM" && row.active)),
        Err(error) => check_error(&error),
    }
    let template = SysId::parse(&"a".repeat(32)).expect("a sys_id");
    if let Err(error) = changes.create_standard(&token, &template, &columns) {
        check_error(&error);
    }
    let imports = ImportSetApi(Rest {
        transport: &transport,
        instance: &instance,
    });
    let (staging, target) = (Name::known("u_cxm_import"), Name::known("incident"));
    if let Err(error) = imports.load(&token, &staging, &target, &columns, true) {
        check_error(&error);
    }
    let table = TableApi(Rest {
        transport: &transport,
        instance: &instance,
    });
    match table.query::<CmdbRow>(&token, &Name::known("cmdb_ci"), &Query::default(), 2) {
        Ok(rows) => rows.iter().for_each(|row| {
            if let Some(ci) = row.ci() {
                assert!(SysId::parse(ci.sys_id.as_str()).is_some());
            }
        }),
        Err(error) => check_error(&error),
    }
}

/// The token endpoint's answer.
pub fn token_answer(data: &[u8]) {
    let transport = Replay(RefCell::new(answers(data)));
    let settings =
        Settings::validate(RawSettings::bare("dev1", "id", "fuzz-secret")).expect("valid settings");
    match request_token(&transport, &settings.token_url, &settings.credentials) {
        Ok(grant) => assert!(grant.expires_in <= Duration::from_secs(24 * 3600)),
        Err(error) => {
            check_error(&error);
            assert!(!error.message.contains("fuzz-secret"));
        }
    }
}

/// What the platform and the admin type: settings fields, ticket references, a changes
/// cursor handed back, a file's name and content type.
pub fn platform_input(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\u{0}');
    let mut next = || fields.next().unwrap_or_default().to_string();
    let (instance, client_id, secret, category, reference) =
        (next(), next(), next(), next(), next());
    let (cursor, file_name, content_type) = (next(), next(), next());
    match crate::servicenow::cursor::Cursor::parse(&cursor) {
        Ok(Some(parsed)) => assert_eq!(parsed.encode(), cursor),
        Ok(None) => assert!(cursor.is_empty()),
        Err(error) => check_error(&error),
    }
    match crate::servicenow::attachment::Upload::new(&file_name, &content_type, b"x") {
        Ok(_) => {
            assert!(!file_name.contains(['/', '\\']) && !file_name.chars().any(char::is_control))
        }
        Err(error) => check_error(&error),
    }
    let mut settings = RawSettings::bare(&instance, &client_id, &secret);
    settings.ticket_categories = vec![TicketCategory {
        event_category: category,
        kind: TicketKind::Incident,
        enabled: true,
        template: None,
    }];
    match Settings::validate(settings.clone()) {
        Ok(valid) => {
            assert!(matches!(
                &valid.credentials,
                crate::servicenow::auth::Credentials::ClientCredentials { client_id, .. }
                    if !client_id.trim().is_empty()
            ));
            let origin = valid.instance.origin();
            assert_eq!(
                instance_address::origin_of(&valid.instance.join("/api/now/table/incident?x=1")),
                Some(origin)
            );
        }
        Err(error) => {
            check_error(&error);
            assert!(
                !error_shows_secret(&settings, &error),
                "{:?}",
                error.message
            );
        }
    }
    if let Ok(reference) = TicketRef::parse(TicketKind::Incident, &reference) {
        let id = format!("{:?}", reference.id);
        assert!(query_value_problem(&id).is_none());
    }
}
