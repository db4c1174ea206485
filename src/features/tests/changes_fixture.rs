//! What changes-since's tests share: tickets and journal entries as an instance answers them,
//! its pages, and cursors.

use crate::primitives::prelude::*;

use crate::primitives::http::Response;
use crate::primitives::ids::{Name, SysId};
use crate::primitives::time::Timestamp;
use crate::servicenow::cursor::Cursor;
use crate::servicenow::cursor::{Mark, Position};
use crate::servicenow::ticket::CORRELATION_DISPLAY;
use crate::test_support::transport::*;
use serde_json::{Value, json};

pub(super) const AGENT: &str = "beth.anglin";
pub(super) const INTEGRATION: &str = "cxm_integration";

pub(super) fn id(c: char) -> String {
    c.to_string().repeat(32)
}

pub(super) fn ticket(c: char, number: &str, updated: &str, ours: bool) -> Value {
    json!({
        "sys_id": id(c), "number": number, "state": "6", "active": "true",
        "priority": "2", "assignment_group": id('9'),
        "sys_updated_on": updated, "sys_updated_by": AGENT,
        "sys_created_by": INTEGRATION,
        "correlation_display": if ours { CORRELATION_DISPLAY } else { "" },
    })
}

pub(super) fn entry(c: char, ticket: char, element: &str, by: &str, at: &str, text: &str) -> Value {
    json!({
        "sys_id": id(c), "sys_created_on": at, "sys_created_by": by, "name": "incident",
        "element_id": id(ticket), "element": element, "value": text, "sys_tags": "",
    })
}

/// A Table API page; `next` adds the `Link` header's `rel="next"` as captured.
pub(super) fn page(rows: &[Value], next: bool) -> Response {
    let mut response = json(200, &json!({ "result": rows }).to_string());
    let mut link = String::from("<https://dev1.service-now.com/x?sysparm_offset=0>;rel=\"first\"");
    if next {
        link.push_str(",<https://dev1.service-now.com/x?sysparm_offset=1>;rel=\"next\"");
    }
    response.headers.push(("link".into(), link));
    response
}

/// The decoded `sysparm_query` of a request.
pub(super) fn query_of(request: &crate::primitives::http::Request) -> String {
    let query = request.url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "sysparm_query")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// A cursor at the incident `c` updated at `time`, with the journal floor there too.
pub(super) fn cursor_at(time: &str, c: char) -> String {
    cursor_with(time, c, time)
}

pub(super) fn cursor_with(time: &str, c: char, floor: &str) -> String {
    let mark = Mark {
        position: Position::At(
            Timestamp::parse(time).unwrap(),
            SysId::parse(&id(c)).unwrap(),
        ),
        floor: Timestamp::parse(floor),
    };
    Cursor::new(vec![(Name::known("incident"), mark)]).encode()
}

/// A Table API page with the instance's clock as its `Date`.
pub(super) fn dated(rows: &[Value], more: bool, date: &str) -> Response {
    let mut response = page(rows, more);
    response.headers.push(("date".into(), date.into()));
    response
}
