//! ServiceNow's Table API (`/api/now/table/{table}`, facts §2): reads and writes of records,
//! through the instance's REST API ([`Rest`]). Every answer is parsed here, once, into the
//! typed row its caller asked for.

use crate::primitives::prelude::*;

use crate::primitives::error::{Error, Result};
use crate::primitives::http::{Method, Transport};
use crate::primitives::ids::{Name, SysId};
use crate::primitives::json::{self, Value};
use crate::primitives::time::Timestamp;
use crate::servicenow::auth::Authorization;
use crate::servicenow::query::Query;
use crate::servicenow::request::{Answered, Rest};
use crate::servicenow::rows::{Columns, Row, Stored, parse_stored};
use instance_address::InstanceUrl;

/// One page of a query's records, and what the answer said besides.
#[derive(Debug)]
pub struct Page<R> {
    pub rows: Vec<R>,
    pub end: PageEnd,
}

/// What a page's answer says besides its records.
#[derive(Debug, Default)]
pub struct PageEnd {
    /// The instance has more records after these.
    pub more: bool,
    /// The instance's clock when it answered (its `Date` header), if it said.
    pub date: Option<Timestamp>,
}

/// One instance's Table API, as the integration user.
pub struct TableApi<'a, T> {
    pub transport: &'a T,
    pub instance: &'a InstanceUrl,
}

impl<T: Transport> TableApi<'_, T> {
    /// `POST /api/now/table/{table}`: one new record; answers the record as stored.
    pub fn insert<R: Row>(
        &self,
        auth: &Authorization,
        table: &Name,
        columns: &Columns,
    ) -> Result<Stored<R>> {
        let what = format!("creating a record in {table}");
        self.write(Method::Post, auth, table, None, columns, &what)
    }

    /// `GET /api/now/table/{table}/{sys_id}`: one record's `result`, with the given columns,
    /// and what the call was, for messages; the provider reads it as its row type
    /// ([`parse_row`](crate::servicenow::rows::parse_row)). The request is built and sent outside the generic code, so that each
    /// row type adds only its parsing to the component.
    pub(crate) fn get_result(
        &self,
        auth: &Authorization,
        table: &Name,
        sys_id: &SysId,
        columns: &[&str],
    ) -> Result<(Value, String)> {
        let fields = join(columns, ",");
        let params = [
            ("sysparm_exclude_reference_link", "true"),
            ("sysparm_fields", fields.as_str()),
        ];
        let url = self.url(table, Some(sys_id), &params);
        let what = format!("reading {table} record {sys_id}");
        let rest = self.rest();
        let result = rest
            .send(auth, &rest.request(Method::Get, url, auth), &what)?
            .result;
        Ok((result, what))
    }

    /// `PATCH /api/now/table/{table}/{sys_id}`: changes only the given columns; answers the
    /// whole record as stored.
    pub fn update<R: Row>(
        &self,
        auth: &Authorization,
        table: &Name,
        sys_id: &SysId,
        columns: &Columns,
    ) -> Result<Stored<R>> {
        let what = format!("updating {table} record {sys_id}");
        self.write(Method::Patch, auth, table, Some(sys_id), columns, &what)
    }

    fn write<R: Row>(
        &self,
        method: Method,
        auth: &Authorization,
        table: &Name,
        sys_id: Option<&SysId>,
        columns: &Columns,
        what: &str,
    ) -> Result<Stored<R>> {
        parse_stored(
            self.write_result(method, auth, table, sys_id, columns, what)?,
            what,
        )
    }

    fn write_result(
        &self,
        method: Method,
        auth: &Authorization,
        table: &Name,
        sys_id: Option<&SysId>,
        columns: &Columns,
        what: &str,
    ) -> Result<Value> {
        let url = self.url(table, sys_id, &[("sysparm_exclude_reference_link", "true")]);
        let body = json::write_object(columns.iter());
        let request = self
            .rest()
            .request(method, url, auth)
            .header("content-type", "application/json")
            .body(body)
            .idempotent(method != Method::Post && !columns.appends_journal());
        Ok(self.rest().send(auth, &request, what)?.result)
    }

    /// `GET /api/now/table/{table}/{sys_id}` with every column: a record as stored, for when
    /// the answer to the write that stored it was lost.
    pub fn read_back<R: Row>(
        &self,
        auth: &Authorization,
        table: &Name,
        sys_id: &SysId,
    ) -> Result<Stored<R>> {
        let url = self.url(
            table,
            Some(sys_id),
            &[("sysparm_exclude_reference_link", "true")],
        );
        let what = format!("reading {table} record {sys_id}");
        parse_stored(
            self.rest()
                .send(auth, &self.rest().request(Method::Get, url, auth), &what)?
                .result,
            &what,
        )
    }

    /// `GET /api/now/table/{table}?sysparm_query=…`: at most `limit` matching records, with
    /// `R`'s columns.
    pub fn query<R: Row>(
        &self,
        auth: &Authorization,
        table: &Name,
        query: &Query,
        limit: u32,
    ) -> Result<Vec<R>> {
        let mut rows = Vec::new();
        self.each_row(auth, table, query, R::COLUMNS, limit, &mut |value| {
            rows.push(R::from_json(value)?);
            Ok(())
        })?;
        Ok(rows)
    }

    /// A query's records, each handed to `row` (not generic: each row type adds only its
    /// reading); answers whether more records match than the page holds (the `Link`
    /// header's `rel="next"`, facts §16, or, when something in between dropped the header,
    /// a full page) and the instance's clock.
    pub fn each_row(
        &self,
        auth: &Authorization,
        table: &Name,
        query: &Query,
        columns: &[&str],
        limit: u32,
        row: &mut dyn FnMut(&Value) -> Result<(), json::Error>,
    ) -> Result<PageEnd> {
        let (answered, what) = self.query_result(auth, table, query, columns, limit)?;
        let count = json::each(&answered.result, row).map_err(|e| {
            Error::unexpected(format!("{what}: the result is not a list of records: {e}"))
        })?;
        let more = match answered.link {
            // The URLs in the header may hold commas; the relation is what matters.
            Some(link) => contains(&link.to_ascii_lowercase(), "rel=\"next\""),
            None => count >= limit as usize,
        };
        Ok(PageEnd {
            more,
            date: answered.date.as_deref().and_then(Timestamp::from_http_date),
        })
    }

    fn query_result(
        &self,
        auth: &Authorization,
        table: &Name,
        query: &Query,
        columns: &[&str],
        limit: u32,
    ) -> Result<(Answered, String)> {
        let encoded = query.checked()?;
        let fields = join(columns, ",");
        let limit = limit.to_string();
        let mut params = vec![("sysparm_exclude_reference_link", "true")];
        if !encoded.is_empty() {
            params.push(("sysparm_query", encoded.as_str()));
        }
        params.push(("sysparm_fields", &fields));
        params.push(("sysparm_limit", &limit));
        let url = self.url(table, None, &params);
        let what = format!("reading {table}");
        let answered =
            self.rest()
                .send(auth, &self.rest().request(Method::Get, url, auth), &what)?;
        Ok((answered, what))
    }

    fn url(&self, table: &Name, sys_id: Option<&SysId>, params: &[(&str, &str)]) -> String {
        let mut path = String::from("/api/now/table/");
        path.push_str(table.as_str());
        if let Some(sys_id) = sys_id {
            path.push('/');
            path.push_str(sys_id.as_str());
        }
        self.rest().url(&path, params)
    }

    /// The instance's REST API, which the Table API is a part of.
    fn rest(&self) -> Rest<'_, T> {
        Rest {
            transport: self.transport,
            instance: self.instance,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::error::ErrorKind;
    use crate::primitives::http::Response;
    use crate::primitives::json::Fields;
    use crate::servicenow::rows::{row, sys_id};
    use crate::test_support::instance::dev1;
    use crate::test_support::transport::*;
    use serde_json::json;

    /// `dev1`'s Table API over the scripted transport.
    fn api(transport: &ScriptedTransport) -> TableApi<'_, ScriptedTransport> {
        TableApi {
            transport,
            instance: dev1(),
        }
    }

    fn token() -> Authorization {
        Authorization::bearer("tok-9")
    }

    static INCIDENT: Name = Name::known("incident");

    row! {
        #[derive(Debug)]
        struct NumberRow {
            sys_id: SysId = sys_id => required,
            number: String = json::string => required,
        }
    }

    const CREATED: &str =
        r#"{"result":{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001"}}"#;

    fn api_error(status: u16, message: &str, detail: &str) -> Response {
        json(
            status,
            &json!({"error": {"message": message, "detail": detail}, "status": "failure"})
                .to_string(),
        )
    }

    #[test]
    fn insert_posts_json_with_bearer() {
        let transport = ScriptedTransport::default();
        transport.push_json(201, CREATED);
        let api = api(&transport);
        let mut columns = Columns::default();
        columns.set("short_description", "disk full");
        let stored: Stored<NumberRow> = api.insert(&token(), &INCIDENT, &columns).unwrap();
        assert_eq!(stored.row.number, "INC0010001");
        assert_eq!(
            stored.row.sys_id.as_str(),
            "0123456789abcdef0123456789abcdef"
        );
        assert_eq!(
            stored.columns.get("number").and_then(Value::as_str),
            Some("INC0010001")
        );
        let sent = &transport.sent()[0];
        assert_eq!(
            sent.url,
            "https://dev1.service-now.com/api/now/table/incident?sysparm_exclude_reference_link=true"
        );
        assert_eq!(sent.header_value("authorization"), Some("Bearer tok-9"));
        assert_eq!(sent.header_value("accept"), Some("application/json"));
        assert_eq!(sent.header_value("content-type"), Some("application/json"));
        assert_eq!(sent.body, br#"{"short_description":"disk full"}"#);
    }

    #[test]
    fn query_encodes_parameters() {
        let transport = ScriptedTransport::default();
        transport.push_json(
            200,
            &format!(
                r#"{{"result":[{{"sys_id":"{}","number":"1"}},{{"sys_id":"{}","number":"2"}}]}}"#,
                "a".repeat(32),
                "b".repeat(32)
            ),
        );
        let api = api(&transport);
        let query = Query::default()
            .eq("name", "Cloud Ops & EU")
            .order_by_desc("sys_created_on");
        let rows: Vec<NumberRow> = api
            .query(&token(), &Name::known("sys_user_group"), &query, 2)
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            query.checked().unwrap(),
            "name=Cloud Ops & EU^ORDERBYDESCsys_created_on"
        );
        assert!(transport.sent()[0].url.ends_with(
            "sys_user_group?sysparm_exclude_reference_link=true\
             &sysparm_query=name%3DCloud+Ops+%26+EU%5EORDERBYDESCsys_created_on\
             &sysparm_fields=sys_id%2Cnumber&sysparm_limit=2"
        ));
    }

    /// A value that could widen the query or run on the instance makes the whole query
    /// refused before anything is sent, on whichever side of a `^NQ` it stands.
    #[test]
    fn values_that_would_change_a_query_are_refused_not_sent() {
        let cases = [
            (
                Query::default().eq("name", "Ops^ORactive=true"),
                "the value for name contains ^",
            ),
            (
                Query::default()
                    .eq("name", "x")
                    .or_else(Query::default().eq("correlation_id", "javascript:gs.getUserID()")),
                "the value for correlation_id starts with javascript:",
            ),
            (
                Query::default().like("name", "a\nb"),
                "the value for name contains a control character",
            ),
            (
                Query::default().one_of("element_id", &["a", "b,c"]),
                "contains a comma",
            ),
            (
                Query::default().one_of("element_id", &[]),
                "the list of values for element_id is empty",
            ),
            (
                Query::default().eq("Name^OR", "x"),
                "is not a ServiceNow column name",
            ),
            (
                Query::default().order_by("sys_id^NQactive"),
                "is not a ServiceNow column name",
            ),
        ];
        for (query, says) in cases {
            let error = query.checked().unwrap_err();
            assert_eq!(error.kind, ErrorKind::InvalidTicket);
            assert!(error.message.contains(says), "{} / {says}", error.message);
            let transport = ScriptedTransport::default();
            let api = api(&transport);
            let refused = api.query::<NumberRow>(&token(), &INCIDENT, &query, 1);
            assert_eq!(refused.unwrap_err().message, error.message);
            assert!(transport.sent().is_empty(), "{says}");
        }
    }

    /// `more` comes from the `Link` header as captured (facts §16); without the header, a
    /// full page may have more behind it.
    #[test]
    fn a_page_says_whether_more_records_wait() {
        let two = format!(
            r#"{{"result":[{{"sys_id":"{}","number":"1"}},{{"sys_id":"{}","number":"2"}}]}}"#,
            "a".repeat(32),
            "b".repeat(32)
        );
        let link = |rels: &[&str]| {
            rels.iter()
                .map(|rel| {
                    format!("<https://h/api/now/table/incident?sysparm_fields=a,b>;rel=\"{rel}\"")
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        let cases = [
            (Some(link(&["first", "prev", "next", "last"])), 5, true),
            (Some(link(&["first", "prev", "last"])), 2, false),
            (None, 2, true),
            (None, 3, false),
        ];
        for (header, limit, more) in cases {
            let transport = ScriptedTransport::default();
            let mut response = json(200, &two);
            if let Some(header) = &header {
                response.headers.push(("link".into(), header.clone()));
            }
            transport.push(Ok(response));
            let api = api(&transport);
            let mut rows = 0;
            let end = api
                .each_row(
                    &token(),
                    &INCIDENT,
                    &Query::default(),
                    NumberRow::COLUMNS,
                    limit,
                    &mut |_| {
                        rows += 1;
                        Ok(())
                    },
                )
                .unwrap();
            assert_eq!(rows, 2);
            assert_eq!(end.more, more, "{header:?} limit {limit}");
        }
    }

    #[test]
    fn error_envelopes_map_to_kinds() {
        let cases = [
            (
                api_error(
                    401,
                    "User Not Authenticated",
                    "Required to provide Auth information",
                ),
                ErrorKind::NotAuthenticated,
            ),
            (
                api_error(
                    403,
                    "User Not Authorized",
                    "Missing required api access scope: cxm_api_access",
                ),
                ErrorKind::MissingAuthScope,
            ),
            (
                api_error(
                    403,
                    "Operation Failed",
                    "ACL Exception Insert Failed due to security constraints",
                ),
                ErrorKind::Forbidden,
            ),
            (
                api_error(
                    403,
                    "Operation Failed",
                    "Data Policy Exception: \n The following fields are mandatory: Resolution code",
                ),
                ErrorKind::RejectedByPolicy,
            ),
            (
                api_error(
                    404,
                    "No Record found",
                    "Record doesn't exist or ACL restricts the record retrieval",
                ),
                ErrorKind::NotFound,
            ),
            (
                api_error(400, "Invalid table u_nope", "Table u_nope does not exist"),
                ErrorKind::UnknownTicketKind,
            ),
            (
                api_error(400, "Exception while reading request", "bad json"),
                ErrorKind::BadRequest,
            ),
            (
                api_error(503, "Service Unavailable", ""),
                ErrorKind::ServiceUnavailable,
            ),
        ];
        for (response, kind) in cases {
            let transport = ScriptedTransport::default();
            let status = response.status;
            transport.push(Ok(response));
            let api = api(&transport);
            let err = api
                .insert::<NumberRow>(&token(), &INCIDENT, &Columns::default())
                .unwrap_err();
            assert_eq!(err.kind, kind, "{status}");
            assert_eq!(err.http_status, Some(status));
            assert!(!err.to_string().contains("tok-9"));
        }
    }

    #[test]
    fn rate_limit_carries_retry_after() {
        let transport = ScriptedTransport::default();
        let mut response = api_error(
            429,
            "Rate limit exceeded",
            "Rate limit of 10 requests per hour for Table API exceeded",
        );
        response.headers.push(("retry-after".into(), "42".into()));
        transport.push(Ok(response));
        let api = api(&transport);
        let err = api
            .query::<NumberRow>(&token(), &INCIDENT, &Query::default(), 1)
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::RateLimited);
        assert_eq!(err.retry_after_seconds, Some(42));
        assert!(err.message.contains("10 requests per hour"));
    }

    #[test]
    fn quota_truncated_200_is_an_error() {
        let transport = ScriptedTransport::default();
        transport.push_json(
            200,
            r#"{"result":[{"sys_id":"1"}],"error":{"detail":"","message":"Transaction cancelled: maximum execution time exceeded"},"status":"failure"}"#,
        );
        let api = api(&transport);
        let err = api
            .query::<NumberRow>(&token(), &INCIDENT, &Query::default(), 1)
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::UnexpectedResponse);
        assert!(err.message.contains("maximum execution time"));
    }

    #[test]
    fn hibernating_201_is_not_success() {
        let transport = ScriptedTransport::default();
        transport.push(Ok(html(201, HIBERNATING)));
        let api = api(&transport);
        let err = api
            .insert::<NumberRow>(&token(), &INCIDENT, &Columns::default())
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::ServiceAsleep);
        assert_eq!(err.http_status, Some(201));
    }
}

#[cfg(test)]
mod answers {
    use super::*;
    use crate::primitives::error::ErrorKind;
    use crate::primitives::json::Fields;
    use crate::servicenow::rows::{row, sys_id};
    use crate::test_support::instance::dev1;
    use crate::test_support::transport::*;

    row! {
        #[derive(Debug)]
        struct IdRow {
            #[allow(dead_code)]
            sys_id: SysId = sys_id => required,
        }
    }

    /// Answers that are JSON but not what they claim: each a specific error naming what serde
    /// found wrong, never a success.
    #[test]
    fn malformed_results_keep_serdes_message() {
        let cases = [
            (
                r#"{"result":{"sys_id":"x"}}"#,
                "not a list of records: invalid type: map",
            ),
            (r#"{"result":[{"sys_id":5}]}"#, "invalid type: integer `5`"),
            (r#"{"result":[{}]}"#, "missing field `sys_id`"),
            (r#"{"result":[{"sys_id":"0123"}]}"#, "32 lower-case hex"),
            (
                r#"{"result":[{"sys_id":"0123"#,
                "not a Table API result: EOF",
            ),
            (r#"{"status":"success"}"#, "the answer has no result"),
        ];
        for (body, says) in cases {
            let transport = ScriptedTransport::default();
            transport.push_json(200, body);
            let api = TableApi {
                transport: &transport,
                instance: dev1(),
            };
            let err = api
                .query::<IdRow>(
                    &Authorization::bearer("t"),
                    &Name::known("incident"),
                    &Query::default(),
                    1,
                )
                .unwrap_err();
            assert_eq!(err.kind, ErrorKind::UnexpectedResponse, "{body}");
            assert!(err.message.contains(says), "{} / {says}", err.message);
        }
    }
}
