//! attach-file: the platform's evidence (a cost report, a graph) attached to a ticket
//! through the Attachment API (the API itself is `crate::servicenow::attachment`).

use crate::primitives::prelude::*;

use crate::primitives::clock::Clock;
use crate::primitives::error::{Error, ErrorKind, Result};
use crate::primitives::guide;
use crate::primitives::http::Transport;
use crate::primitives::ids::SysId;
use crate::servicenow::attachment::{AttachmentRow, Upload};
use crate::servicenow::ticket::TicketRef;
use crate::settings::key;

use crate::features::session::Session;
use crate::features::tickets;

/// A file attached to a ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub sys_id: SysId,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: u64,
    /// Downloads it from the instance (`sys_attachment.do`), signed in.
    pub link: String,
}

/// Attaches `content` to the ticket as `file_name`. The file is checked before anything
/// goes out (size, name, type); the ticket is found first, so a wrong reference is the
/// same `not-found` or `invalid-ticket` as for any other call.
pub fn attach_file<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    reference: &TicketRef,
    file_name: &str,
    content_type: &str,
    content: &[u8],
) -> Result<Attachment> {
    if !session.configured()?.attachments {
        // The admin's choice: no evidence goes to ServiceNow, and the Attachment API's
        // scope was not checked by Test Connection.
        return Err(Error::new(
            ErrorKind::InvalidSettings,
            "attachments are off in this tenant's settings: no file is attached to a ticket",
        )
        .with_field(key::ATTACHMENTS)
        .with_remedy(guide::TURN_ON_ATTACHMENTS));
    }
    let upload = Upload::new(file_name, content_type, content)?;
    let table = reference.kind.table();
    let record = tickets::find(session, reference)?.sys_id;
    let row = session
        .authorized(|api, auth| api.attachments.attach(auth, table, &record, &upload))
        .map_err(|error| {
            if error.outcome_unknown {
                error.with_note(
                    "the file may have been attached all the same: look at the ticket's \
                     attachments before sending it again",
                )
            } else {
                error
            }
        })?;
    attachment(session, row, content.len())
}

/// The attachment as ServiceNow stored it: the size it answers must be the size sent.
fn attachment<T: Transport, C: Clock>(
    session: &Session<T, C>,
    row: AttachmentRow,
    sent: usize,
) -> Result<Attachment> {
    let size_bytes: u64 = row.size_bytes.trim().parse().map_err(|_| {
        Error::unexpected(format!(
            "attachment {}: ServiceNow answered a size that is not a number ({:?})",
            row.sys_id, row.size_bytes
        ))
    })?;
    if size_bytes != sent as u64 {
        return Err(Error::unexpected(format!(
            "attachment {}: ServiceNow stored {size_bytes} bytes of the {sent} sent",
            row.sys_id
        )));
    }
    let instance = &session.configured()?.instance;
    Ok(Attachment {
        link: instance.join(&format!("/sys_attachment.do?sys_id={}", row.sys_id)),
        sys_id: row.sys_id,
        file_name: row.file_name,
        content_type: row.content_type,
        size_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::connection;
    use crate::features::diagnosis::{CheckId, CheckStatus};
    use crate::features::session::Session;
    use crate::primitives::clock::ManualClock;
    use crate::primitives::error::ErrorKind;
    use crate::primitives::guide;
    use crate::primitives::http::Method;
    use crate::primitives::ids::Name;
    use crate::servicenow::attachment::MAX_ATTACHMENT_BYTES;
    use crate::servicenow::auth::AuthMethod;
    use crate::servicenow::ticket_kind::TicketKind;
    use crate::settings::validated::{RawSettings, TicketCategory};
    use crate::test_support::session::{cost_incidents, session};
    use crate::test_support::transport::*;
    use serde_json::json;

    const RECORD: &str = "0123456789abcdef0123456789abcdef";
    const FOUND: &str = r#"{"result":[{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001","state":"2"}]}"#;

    fn raw(attachments: bool) -> RawSettings {
        RawSettings {
            attachments,
            ..cost_incidents()
        }
    }

    fn inc() -> TicketRef {
        TicketRef::parse(TicketKind::Incident, "INC0010001").unwrap()
    }

    fn stored(size: usize) -> String {
        json!({"result": {
            "sys_id": "a".repeat(32), "file_name": "costs.csv", "content_type": "text/csv",
            "size_bytes": size.to_string(), "table_name": "incident", "table_sys_id": RECORD,
            "download_link": "https://elsewhere.example/x", "state": "pending",
        }})
        .to_string()
    }

    const CSV: &[u8] = b"vm,cost\ni-0abc,42\n";

    #[test]
    fn a_file_is_posted_to_the_ticket_found_by_its_number() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = session(&transport, &clock, raw(true));
        transport
            .push_json(200, TOKEN_OK)
            .push_json(200, FOUND)
            .push_json(201, &stored(CSV.len()));
        let attachment = attach_file(&mut p, &inc(), "costs.csv", "text/csv", CSV).unwrap();
        assert_eq!(attachment.sys_id.as_str(), "a".repeat(32));
        assert_eq!(attachment.size_bytes, CSV.len() as u64);
        assert_eq!(
            attachment.link,
            format!(
                "https://dev1.service-now.com/sys_attachment.do?sys_id={}",
                "a".repeat(32)
            ),
            "built from the settings, not from what the instance said"
        );
        let upload = &transport.sent()[2];
        assert_eq!(upload.method, Method::Post);
        assert!(upload.url.contains(&format!("table_sys_id={RECORD}")));
        assert_eq!(upload.body, CSV);
    }

    /// The admin's Attachments setting is off: nothing goes out, and the error names the
    /// field to turn on.
    #[test]
    fn attachments_off_in_the_settings_refuse_the_file_before_anything_is_sent() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = session(&transport, &clock, raw(false));
        let error = attach_file(&mut p, &inc(), "costs.csv", "text/csv", b"a,b\n").unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidSettings);
        assert_eq!(error.field, Some("attachments"));
        assert_eq!(error.remedy, Some(guide::TURN_ON_ATTACHMENTS));
        assert!(
            error.message.contains("attachments are off"),
            "{}",
            error.message
        );
        assert!(transport.sent().is_empty());
    }

    #[test]
    fn bad_files_are_refused_before_anything_is_sent() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = session(&transport, &clock, raw(true));
        let big = vec![b'x'; MAX_ATTACHMENT_BYTES + 1];
        for (name, content_type, content) in [
            ("costs.csv", "text/csv", &big[..]),
            ("../costs.csv", "text/csv", CSV),
            ("costs.csv", "text/csv\r\nX: 1", CSV),
            ("costs.csv", "text/csv", &[][..]),
        ] {
            let error = attach_file(&mut p, &inc(), name, content_type, content).unwrap_err();
            assert_eq!(
                error.kind,
                ErrorKind::InvalidTicket,
                "{name} {content_type}"
            );
        }
        let other = TicketRef::parse(TicketKind::Table(Name::known("sys_user")), RECORD).unwrap();
        let error = attach_file(&mut p, &other, "a.csv", "text/csv", CSV).unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidTicket);
        assert!(transport.sent().is_empty());
    }

    #[test]
    fn what_servicenow_stored_must_be_what_was_sent() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = session(&transport, &clock, raw(true));
        transport
            .push_json(200, TOKEN_OK)
            .push_json(200, FOUND)
            .push_json(201, &stored(3));
        let error = attach_file(&mut p, &inc(), "costs.csv", "text/csv", CSV).unwrap_err();
        assert_eq!(error.kind, ErrorKind::UnexpectedResponse);
        assert!(
            error.message.contains("stored 3 bytes of the 18 sent"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_lost_answer_is_not_sent_again_and_says_the_file_may_be_there() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = session(&transport, &clock, raw(true));
        transport
            .push_json(200, TOKEN_OK)
            .push_json(200, FOUND)
            .push_json(502, r#"{"error":{"message":"Bad Gateway"}}"#);
        let error = attach_file(&mut p, &inc(), "costs.csv", "text/csv", CSV).unwrap_err();
        assert_eq!(error.kind, ErrorKind::ServiceUnavailable);
        assert!(
            error.message.contains("may have been attached"),
            "{}",
            error.message
        );
        let posts = transport
            .sent()
            .iter()
            .filter(|r| r.method == Method::Post && r.url.contains("/attachment/"))
            .count();
        assert_eq!(posts, 1);
    }

    const UNSCOPED: &str = r#"{"error":{"message":"User Not Authorized","detail":"Access to unscoped api is not allowed"},"status":"failure"}"#;

    #[test]
    fn an_attachment_api_outside_the_scopes_is_the_missing_scope_with_the_guides_remedy() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = session(&transport, &clock, raw(true));
        transport
            .push_json(200, TOKEN_OK)
            .push_json(200, FOUND)
            .push_json(403, UNSCOPED);
        let error = attach_file(&mut p, &inc(), "costs.csv", "text/csv", CSV).unwrap_err();
        assert_eq!(error.kind, ErrorKind::MissingAuthScope);
        assert_eq!(error.remedy, Some(guide::ATTACHMENT_SCOPE));
        assert_eq!(error.http_status, Some(403));
    }

    /// The Table API took the key and found the ticket; the Attachment API refused it: the
    /// key lacks an access policy for this API, whether Test Connection or an upload asks.
    #[test]
    fn an_api_key_the_attachment_api_refuses_is_its_access_policy_on_upload_too() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut key = raw(true);
        key.auth_method = AuthMethod::ApiKey;
        key.api_key = "key-0123456789abcdef".into();
        let mut p = session(&transport, &clock, key);
        transport
            .push_json(200, FOUND)
            .push_json(401, NOT_AUTHENTICATED);
        let error = attach_file(&mut p, &inc(), "costs.csv", "text/csv", CSV).unwrap_err();
        assert_eq!(error.kind, ErrorKind::CredentialsRefused);
        assert_eq!(error.remedy, Some(guide::API_KEY_ATTACHMENT_POLICY));
        assert_eq!(transport.remaining(), 0);
    }

    fn statuses(
        report: &crate::features::diagnosis::ConnectionReport,
    ) -> Vec<(CheckId, CheckStatus)> {
        report.checks.iter().map(|c| (c.id, c.status)).collect()
    }

    #[test]
    fn test_connection_checks_the_attachment_api_when_attachments_are_on() {
        let clock = ManualClock::default();
        // On, and let in.
        let transport = ScriptedTransport::default();
        let mut p = session(&transport, &clock, raw(true));
        transport
            .push_json(200, TOKEN_OK)
            .push_json(200, r#"{"result":[]}"#)
            .push_json(200, r#"{"result":[]}"#);
        let report = connection::test_connection(&mut p);
        assert!(report.passed, "{report:?}");
        assert_eq!(report.checks[5].id, CheckId::AttachmentApi);
        assert_eq!(report.checks[5].status, CheckStatus::Passed);
        assert!(
            transport.sent()[2]
                .url
                .ends_with("/api/now/attachment?sysparm_limit=1")
        );

        // On, outside the scopes: that check fails with the guide's remedy, the others run.
        let transport = ScriptedTransport::default();
        let mut p = session(&transport, &clock, raw(true));
        transport
            .push_json(200, TOKEN_OK)
            .push_json(200, r#"{"result":[]}"#)
            .push_json(403, UNSCOPED);
        let report = connection::test_connection(&mut p);
        assert!(!report.passed);
        use CheckId::*;
        use CheckStatus::*;
        assert_eq!(
            statuses(&report),
            [
                (Settings, Passed),
                (Instance, Passed),
                (Token, Passed),
                (TableApi, Passed),
                (TableAccess, Passed),
                (AttachmentApi, Failed),
                (ChangeApi, Skipped),
                (AssignmentGroup, Skipped),
                (ImportSet, Skipped),
                (Cmdb, Skipped),
            ]
        );
        assert_eq!(report.checks[5].remedy, Some(guide::ATTACHMENT_SCOPE));
        assert!(
            report.checks[5]
                .detail
                .contains("Access to unscoped api is not allowed")
        );

        // An API key the Table API takes but the Attachment API does not.
        let transport = ScriptedTransport::default();
        let mut key = raw(true);
        key.auth_method = AuthMethod::ApiKey;
        key.api_key = "key-0123456789abcdef".into();
        let mut p = session(&transport, &clock, key);
        transport
            .push_json(200, r#"{"result":[]}"#)
            .push_json(401, NOT_AUTHENTICATED);
        let report = connection::test_connection(&mut p);
        assert_eq!(report.checks[5].status, Failed);
        assert_eq!(
            report.checks[5].remedy,
            Some(guide::API_KEY_ATTACHMENT_POLICY)
        );

        // Off: not asked.
        let transport = ScriptedTransport::default();
        let mut p = session(&transport, &clock, raw(false));
        transport
            .push_json(200, TOKEN_OK)
            .push_json(200, r#"{"result":[]}"#);
        let report = connection::test_connection(&mut p);
        assert_eq!(report.checks[5].status, Skipped);
        assert_eq!(transport.sent().len(), 2);
    }
}
