//! ServiceNow's Attachment API (`/api/now/attachment`, docs/servicenow/attachments.md): a file's
//! bytes posted to a record, and the cheapest read that proves the API lets the integration in. It
//! speaks the Table API's envelopes and errors, so its calls are methods of the same client.
//!
//! What the platform sends is checked here before anything goes out: the size against
//! [`MAX_ATTACHMENT_BYTES`], the file name (a name, not a path) and the content type (a
//! media type's shape).

use crate::primitives::prelude::*;

use crate::primitives::error::{Error, ErrorKind, Result};
use crate::primitives::guide;
use crate::primitives::http::{Method, Transport};
use crate::primitives::ids::{Name, SysId};
use crate::primitives::json::{self, Fields, Value};
use crate::servicenow::auth::Authorization;
use crate::servicenow::request::Rest;
use crate::servicenow::rows::{sys_id, text};

/// The largest file the provider attaches: 4 MiB. The platform's evidence (a cost report as
/// CSV, a graph as PNG) fits many times over; ServiceNow's own limit
/// (`com.glide.attachment.max_size`) is 1024 MB by default, but the file travels through
/// the tenant's memory and the host's request cap (`SandboxLimits::max_request_body`, 4 MiB
/// by default to match), so this is what a tenant can carry.
pub const MAX_ATTACHMENT_BYTES: usize = 4 << 20;

/// The longest file name accepted.
const FILE_NAME_MAX: usize = 255;
/// The longest content type accepted.
const CONTENT_TYPE_MAX: usize = 255;

/// A file to attach, checked.
#[derive(Debug)]
pub struct Upload<'a> {
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub content: &'a [u8],
}

impl<'a> Upload<'a> {
    /// Checks what the platform sent, before anything goes out.
    pub fn new(file_name: &'a str, content_type: &'a str, content: &'a [u8]) -> Result<Self> {
        if content.is_empty() {
            return Err(Error::invalid_ticket(
                "the file is empty: nothing to attach",
            ));
        }
        if content.len() > MAX_ATTACHMENT_BYTES {
            return Err(Error::invalid_ticket(format!(
                "the file is {} bytes, more than the {} bytes (4 MiB) an attachment may be",
                content.len(),
                MAX_ATTACHMENT_BYTES
            )));
        }
        if let Some(problem) = file_name_problem(file_name) {
            return Err(Error::invalid_ticket(format!(
                "the file name {} {problem}",
                shown(file_name)
            )));
        }
        if let Some(problem) = content_type_problem(content_type) {
            return Err(Error::invalid_ticket(format!(
                "the content type {} {problem}",
                shown(content_type)
            )));
        }
        Ok(Self {
            file_name,
            content_type,
            content,
        })
    }
}

/// Why a file name cannot be an attachment's, if it cannot: a name, not a path, that prints
/// as what it is.
fn file_name_problem(name: &str) -> Option<&'static str> {
    if name.trim().is_empty() {
        Some("is empty")
    } else if name.trim() != name {
        Some("has leading or trailing spaces")
    } else if name.chars().count() > FILE_NAME_MAX {
        Some("is longer than 255 characters")
    } else if name.contains(['/', '\\']) {
        Some("contains a path separator: give the file's name, not its path")
    } else if name == "." || name == ".." {
        Some("is not a file's name")
    } else if name.chars().any(char::is_control) {
        Some("contains a control character")
    } else if name.chars().any(is_bidi_control) {
        // "invoice\u{202E}fdp.exe" shows as "invoiceexe.pdf".
        Some("contains a character that reorders how the name is shown")
    } else {
        None
    }
}

/// Unicode's explicit direction marks, embeddings, overrides and isolates.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Why a content type is not a media type (RFC 9110 section 8.3.1: `type/subtype`, then
/// `; name=value` parameters, a value a token or a quoted string), if it is not.
fn content_type_problem(content_type: &str) -> Option<&'static str> {
    const SHAPE: &str = "is not a media type such as text/csv or image/png";
    if content_type.len() > CONTENT_TYPE_MAX {
        return Some("is longer than 255 characters");
    }
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return Some(SHAPE);
    };
    if !is_token(kind) || !is_token(subtype) {
        return Some(SHAPE);
    }
    for parameter in parts {
        let Some((name, value)) = parameter.trim().split_once('=') else {
            return Some("has a parameter that is not name=value");
        };
        let quoted = value.len() >= 2
            && value.starts_with('"')
            && value.ends_with('"')
            && value[1..value.len() - 1]
                .chars()
                .all(|c| c != '"' && c != '\\' && (c == '\t' || !c.is_control()));
        if !is_token(name) || !(is_token(value) || quoted) {
            return Some("has a parameter that is not name=value");
        }
    }
    None
}

/// RFC 9110's `token`: one or more of ALPHA, DIGIT and ``!#$%&'*+-.^_`|~``.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A value from the platform in a message: quoted, cut, printable.
fn shown(text: &str) -> String {
    crate::primitives::text::quoted(text, 80)
}

/// An attachment as ServiceNow answers it (docs/servicenow/attachments.md: every value a string).
#[derive(Debug)]
pub struct AttachmentRow {
    pub sys_id: SysId,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: String,
    pub table_sys_id: String,
}

impl AttachmentRow {
    fn from_json(value: &Value) -> Result<Self, json::Error> {
        let mut fields = Fields::of(value, "struct AttachmentRow")?;
        let id = fields.get("sys_id", sys_id);
        let mut column = |name| fields.get(name, text).unwrap_or_default();
        let file_name = column("file_name");
        let content_type = column("content_type");
        let size_bytes = column("size_bytes");
        let table_sys_id = column("table_sys_id");
        fields.finish()?;
        Ok(Self {
            sys_id: id.ok_or_else(|| json::missing_field("sys_id"))?,
            file_name,
            content_type,
            size_bytes,
            table_sys_id,
        })
    }
}

/// One instance's Attachment API (`/api/now/attachment`, docs/servicenow/attachments.md), as the
/// integration user.
pub struct AttachmentApi<'a, T>(pub Rest<'a, T>);

impl<T: Transport> AttachmentApi<'_, T> {
    /// `POST /api/now/attachment/file?table_name=…&table_sys_id=…&file_name=…` with the
    /// raw bytes and their content type. Never repeated blindly: a second try would attach
    /// the file twice.
    pub fn attach(
        &self,
        auth: &Authorization,
        table: &Name,
        record: &SysId,
        upload: &Upload<'_>,
    ) -> Result<AttachmentRow> {
        let url = self.0.url(
            "/api/now/attachment/file",
            &[
                ("table_name", table.as_str()),
                ("table_sys_id", record.as_str()),
                ("file_name", upload.file_name),
            ],
        );
        let what = format!(
            "attaching {} to {table} record {record}",
            shown(upload.file_name)
        );
        let request = self
            .0
            .request(Method::Post, url, auth)
            .header("content-type", upload.content_type)
            .body(upload.content.to_vec())
            .idempotent(false);
        let answered = self
            .0
            .send(auth, &request, &what)
            .map_err(|error| attachment_remedy(error, auth))?;
        let row = AttachmentRow::from_json(&answered.result).map_err(|e| {
            Error::unexpected(format!(
                "{what}: the answer is not an attachment record: {e}"
            ))
        })?;
        if row.table_sys_id != record.as_str() {
            return Err(Error::unexpected(format!(
                "{what}: ServiceNow answered with an attachment of another record ({})",
                row.sys_id
            )));
        }
        Ok(row)
    }

    /// `GET /api/now/attachment?sysparm_limit=1`: the cheapest proof that the Attachment
    /// API lets these credentials in (Test Connection, when attachments are on).
    pub fn list_one_attachment(&self, auth: &Authorization) -> Result<()> {
        let url = self.0.url("/api/now/attachment", &[("sysparm_limit", "1")]);
        let what = "reading attachments";
        let answered = self
            .0
            .send(auth, &self.0.request(Method::Get, url, auth), what)
            .map_err(|error| attachment_remedy(error, auth))?;
        if !matches!(answered.result, Value::Array(_)) {
            return Err(Error::unexpected(format!(
                "{what}: the result is not a list of attachments"
            )));
        }
        Ok(())
    }
}

/// The Attachment API's own remedies: a missing auth scope is the guide's remedy for additional
/// APIs, not the Table API's; an API key refused here, which the Table API took, lacks a REST API
/// Access Policy for this API (docs/servicenow/auth.md#api-keys: the API then answers as if no key
/// was sent).
fn attachment_remedy(error: Error, auth: &Authorization) -> Error {
    match error.kind {
        ErrorKind::MissingAuthScope => error.with_remedy(guide::ATTACHMENT_SCOPE),
        ErrorKind::CredentialsRefused if auth.is_api_key() => {
            error.with_remedy(guide::API_KEY_ATTACHMENT_POLICY)
        }
        _ => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::instance::{dev1, dev1_rest};
    use crate::test_support::transport::*;
    use proptest::prelude::*;

    fn upload(name: &str, content_type: &str) -> Result<()> {
        Upload::new(name, content_type, b"a,b\n1,2\n").map(drop)
    }

    #[test]
    fn names_are_names_not_paths() {
        for good in [
            "cost report.csv",
            "graph.png",
            "Relatório 2026-01.pdf",
            ".env",
            "a",
        ] {
            upload(good, "text/csv").unwrap_or_else(|e| panic!("{good:?}: {e}"));
        }
        for (bad, says) in [
            ("", "is empty"),
            ("   ", "is empty"),
            (" report.csv", "leading or trailing spaces"),
            ("../../etc/passwd", "path separator"),
            ("C:\\reports\\x.csv", "path separator"),
            ("reports/x.csv", "path separator"),
            ("..", "not a file's name"),
            ("a\nb.csv", "control character"),
            ("a\u{0}.csv", "control character"),
            ("invoice\u{202E}fdp.exe", "reorders"),
        ] {
            let error = upload(bad, "text/csv").unwrap_err();
            assert_eq!(error.kind, ErrorKind::InvalidTicket, "{bad:?}");
            assert!(error.message.contains(says), "{} / {says}", error.message);
            assert!(!error.message.chars().any(char::is_control), "{bad:?}");
        }
        let long = "x".repeat(256);
        assert!(
            upload(&long, "text/csv")
                .unwrap_err()
                .message
                .contains("255")
        );
    }

    #[test]
    fn content_types_have_a_media_types_shape() {
        for good in [
            "text/csv",
            "image/png",
            "application/octet-stream",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "text/csv; charset=utf-8",
            "text/plain;charset=\"utf-8\"",
        ] {
            upload("a.csv", good).unwrap_or_else(|e| panic!("{good:?}: {e}"));
        }
        for bad in [
            "",
            "csv",
            "text/",
            "/csv",
            "text/csv/x",
            "text csv",
            "text/csv; charset",
            "text/csv; =x",
            "text/csv\r\nX-Injected: 1",
            "text/csv; charset=\"a\"b\"",
        ] {
            let error = upload("a.csv", bad).unwrap_err();
            assert_eq!(error.kind, ErrorKind::InvalidTicket, "{bad:?}");
            assert!(error.message.contains("content type"), "{}", error.message);
        }
    }

    #[test]
    fn size_is_capped_before_anything_is_sent() {
        let cap = vec![0u8; MAX_ATTACHMENT_BYTES];
        assert!(Upload::new("a.bin", "application/octet-stream", &cap).is_ok());
        let over = vec![0u8; MAX_ATTACHMENT_BYTES + 1];
        let error = Upload::new("a.bin", "application/octet-stream", &over).unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidTicket);
        assert!(error.message.contains("4194305 bytes"), "{}", error.message);
        assert!(error.message.contains("4 MiB"), "{}", error.message);
        let error = Upload::new("a.bin", "application/octet-stream", &[]).unwrap_err();
        assert!(error.message.contains("empty"));
    }

    fn api_error(status: u16, message: &str, detail: &str) -> crate::primitives::http::Response {
        json(
            status,
            &serde_json::json!({"error": {"message": message, "detail": detail}, "status": "failure"})
                .to_string(),
        )
    }

    #[test]
    fn an_upload_posts_the_raw_bytes_with_their_type() {
        let transport = ScriptedTransport::default();
        let record = SysId::parse(&"b".repeat(32)).unwrap();
        transport.push_json(
            201,
            &serde_json::json!({"result": {
                "sys_id": "a".repeat(32), "file_name": "cost report.csv",
                "content_type": "text/csv", "size_bytes": "8",
                "table_name": "incident", "table_sys_id": "b".repeat(32),
                "hash": "0".repeat(64), "state": "pending",
            }})
            .to_string(),
        );
        let api = AttachmentApi(dev1_rest(&transport));
        let upload = Upload::new("cost report.csv", "text/csv", b"a,b\n1,2\n").unwrap();
        let row = api
            .attach(
                &Authorization::bearer("tok-9"),
                &Name::known("incident"),
                &record,
                &upload,
            )
            .unwrap();
        assert_eq!(row.size_bytes, "8");
        let sent = &transport.sent()[0];
        assert_eq!(
            sent.url,
            format!(
                "https://dev1.service-now.com/api/now/attachment/file?table_name=incident\
                 &table_sys_id={}&file_name=cost+report.csv",
                "b".repeat(32)
            )
        );
        assert_eq!(sent.header_value("content-type"), Some("text/csv"));
        assert_eq!(sent.header_value("accept"), Some("application/json"));
        assert_eq!(sent.body, b"a,b\n1,2\n");
        assert!(!sent.idempotent);
    }

    /// A securely scoped OAuth application without the Attachment API in a scope: 403 "Access to
    /// unscoped api is not allowed" (docs/servicenow/attachments.md), with the guide's remedy.
    #[test]
    fn the_unscoped_403_is_the_missing_scope_with_the_guides_remedy() {
        let transport = ScriptedTransport::default();
        transport.push(Ok(api_error(
            403,
            "User Not Authorized",
            "Access to unscoped api is not allowed",
        )));
        let api = AttachmentApi(dev1_rest(&transport));
        let error = api
            .list_one_attachment(&Authorization::bearer("tok-9"))
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::MissingAuthScope);
        assert_eq!(error.remedy, Some(guide::ATTACHMENT_SCOPE));
        assert!(guide::ATTACHMENT_SCOPE.text.contains(
            "If you need access to additional APIs (e.g., Import API, Attachment API), \
                 create additional scopes as needed"
        ));
        assert_eq!(error.http_status, Some(403));
        assert!(
            transport.sent()[0]
                .url
                .ends_with("/api/now/attachment?sysparm_limit=1")
        );
    }

    proptest! {
        /// Whatever the platform calls a file and its type, it is refused with a printable
        /// reason, or it is a name (no path, nothing that reorders or hides) and a media type
        /// that cannot end its header.
        #[test]
        fn an_accepted_file_is_a_name_with_a_media_type(name in ".{0,40}", content_type in prop_oneof!["[a-z]{1,8}/[a-z0-9.+-]{1,12}(; ?[a-z]{1,8}=[a-z0-9-]{1,8})?", ".{0,40}"]) {
            match Upload::new(&name, &content_type, b"x") {
                Ok(_) => {
                    prop_assert!(!name.contains(['/', '\\']) && name != "." && name != "..");
                    prop_assert!(!name.chars().any(char::is_control));
                    let overrides = '\u{202A}'..='\u{202E}';
                    prop_assert!(!name.chars().any(|c| overrides.contains(&c)), "{:?}", name);
                    prop_assert!(content_type.contains('/'));
                    prop_assert!(!content_type.chars().any(char::is_control));
                }
                Err(error) => {
                    prop_assert_eq!(error.kind, ErrorKind::InvalidTicket);
                    prop_assert!(!error.message.chars().any(char::is_control), "{}", error.message);
                }
            }
        }
    }
}
