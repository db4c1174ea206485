//! ServiceNow's Table API (`/api/now/table/{table}`, docs/servicenow/table-api.md#endpoints): reads
//! and writes of records, through the instance's REST API ([`Rest`]). Every answer is parsed here,
//! once, into the typed row its caller asked for.

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
pub struct TableApi<'a, T>(pub Rest<'a, T>);

impl<T: Transport> TableApi<'_, T> {
    /// `POST /api/now/table/{table}`: one new record; answers the record as stored, with `R`'s
    /// columns and those written.
    pub fn insert<R: Row>(
        &self,
        auth: &Authorization,
        table: &Name,
        columns: &Columns,
    ) -> Result<Stored<R>> {
        let what = format!("creating a record in {table}");
        // Without display values: create hands back no status, and asks nothing extra.
        let fields = columns.read_back(R::COLUMNS).join(",");
        let mut params = read_params(false);
        params.push(("sysparm_fields", &fields));
        let url = self.url(table, None, &params);
        let answer = self.write_result(Method::Post, auth, url, columns, &what)?;
        parse_stored(answer, &what)
    }

    /// `GET /api/now/table/{table}/{sys_id}`: one record's `result`, with the given columns, and
    /// what the call was, for messages; the provider reads it as its row type
    /// ([`parse_row`](crate::servicenow::rows::parse_row)). The request is built and sent outside
    /// the generic code, so that each row type adds only its parsing to the component.
    pub(crate) fn get_result(
        &self,
        auth: &Authorization,
        table: &Name,
        sys_id: &SysId,
        columns: &[&str],
        display_values: bool,
    ) -> Result<(Value, String)> {
        let fields = columns.join(",");
        let mut params = read_params(display_values);
        params.push(("sysparm_fields", fields.as_str()));
        let url = self.url(table, Some(sys_id), &params);
        let what = format!("reading {table} record {sys_id}");
        let rest = self.0;
        let result = rest
            .send(auth, &rest.request(Method::Get, url, auth), &what)?
            .result;
        Ok((result, what))
    }

    /// `PATCH /api/now/table/{table}/{sys_id}`: changes only the given columns; answers the
    /// record as stored, with `R`'s columns and those written.
    pub fn update<R: Row>(
        &self,
        auth: &Authorization,
        table: &Name,
        sys_id: &SysId,
        columns: &Columns,
    ) -> Result<Stored<R>> {
        let what = format!("updating {table} record {sys_id}");
        let fields = columns.read_back(R::COLUMNS).join(",");
        let mut params = read_params(R::DISPLAY_VALUES);
        params.push(("sysparm_fields", &fields));
        let url = self.url(table, Some(sys_id), &params);
        let answer = self.write_result(Method::Patch, auth, url, columns, &what)?;
        parse_stored(answer, &what)
    }

    /// A write of `columns` to `url`; the answer's `result`.
    fn write_result(
        &self,
        method: Method,
        auth: &Authorization,
        url: String,
        columns: &Columns,
        what: &str,
    ) -> Result<Value> {
        let body = json::write_object(columns.iter());
        let request = self
            .0
            .request(method, url, auth)
            .header("content-type", "application/json")
            .body(body)
            .idempotent(method != Method::Post && !columns.appends_journal());
        Ok(self.0.send(auth, &request, what)?.result)
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
            self.0
                .send(auth, &self.0.request(Method::Get, url, auth), &what)?
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
        let columns = (R::COLUMNS, R::DISPLAY_VALUES);
        self.each_row(auth, table, query, columns, limit, &mut |value| {
            rows.push(R::from_json(value)?);
            Ok(())
        })?;
        Ok(rows)
    }

    /// A query's records, each handed to `row` (not generic: each row type adds only its reading);
    /// `columns` are the columns read and whether with display values;
    /// answers whether more records match than the page holds (the `Link` header's `rel="next"`,
    /// docs/servicenow/polling.md, or, when something in between dropped the header, a full page)
    /// and the instance's clock.
    pub fn each_row(
        &self,
        auth: &Authorization,
        table: &Name,
        query: &Query,
        columns: (&[&str], bool),
        limit: u32,
        row: &mut dyn FnMut(&Value) -> Result<(), json::Error>,
    ) -> Result<PageEnd> {
        let (answered, what) = self.query_result(auth, table, query, columns, limit)?;
        let count = json::each(&answered.result, row).map_err(|e| {
            Error::unexpected(format!("{what}: the result is not a list of records: {e}"))
        })?;
        let more = match answered.link {
            // The URLs in the header may hold commas; the relation is what matters.
            Some(link) => link.to_ascii_lowercase().contains("rel=\"next\""),
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
        (columns, display_values): (&[&str], bool),
        limit: u32,
    ) -> Result<(Answered, String)> {
        let encoded = query.checked()?;
        let fields = columns.join(",");
        let limit = limit.to_string();
        let mut params = read_params(display_values);
        if !encoded.is_empty() {
            params.push(("sysparm_query", encoded.as_str()));
        }
        params.push(("sysparm_fields", &fields));
        params.push(("sysparm_limit", &limit));
        let url = self.url(table, None, &params);
        let what = format!("reading {table}");
        let answered = self
            .0
            .send(auth, &self.0.request(Method::Get, url, auth), &what)?;
        Ok((answered, what))
    }

    fn url(&self, table: &Name, sys_id: Option<&SysId>, params: &[(&str, &str)]) -> String {
        let mut path = String::from("/api/now/table/");
        path.push_str(table.as_str());
        if let Some(sys_id) = sys_id {
            path.push('/');
            path.push_str(sys_id.as_str());
        }
        self.0.url(&path, params)
    }
}

/// What every request asks of the records it answers with: references as bare sys_ids, and,
/// for rows read with display values, each column as `{"display_value", "value"}`.
fn read_params<'a>(display_values: bool) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![("sysparm_exclude_reference_link", "true")];
    if display_values {
        params.push(("sysparm_display_value", "all"));
    }
    params
}

#[cfg(test)]
mod tests;
