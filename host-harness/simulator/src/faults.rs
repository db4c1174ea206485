//! The misconfigurations and outages an admin can hit while following the setup guide,
//! as switches, and the canned pages that stand in front of the instance for some of them.
//! "Guide step N" is a step of docs/setup-guide.md.

use crate::reply::Reply;

/// Fault switches. The default is a healthy, correctly configured instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Guide step 1 skipped: `glide.oauth.inbound.client.credential.grant_type.enabled` is false or
    /// absent, so the token endpoint gives the generic 401 (docs/servicenow/auth.md#token-errors).
    pub grant_disabled: bool,
    /// Guide step 4: the OAuth application's Active box is unchecked: generic 401
    /// (docs/servicenow/auth.md#token-errors).
    pub application_inactive: bool,
    /// Guide step 4: OAuth Application User not set: 400 `unauthorized_client`
    /// (docs/servicenow/auth.md#token-errors).
    pub oauth_user_missing: bool,
    /// A sleeping developer instance: every path answers 200 with the HTML wake-up page
    /// (docs/servicenow/availability.md#hibernating-instances).
    pub hibernating: bool,
    /// A proxy or SSO in front of the instance: every path answers 200 with a login page.
    pub login_page: bool,
    /// Guide step 3/4: the auth scope is not linked to the OAuth application: tokens mint, every
    /// Table API call is 403 "Missing required api access scope"
    /// (docs/servicenow/table-api.md#errors,
    /// docs/servicenow/availability.md#hibernating-instances).
    pub auth_scope_missing: bool,
    /// Tables whose POST is refused by ACL (403, docs/servicenow/table-api.md#errors).
    pub acl_deny_insert: Vec<String>,
    /// Tables whose PATCH/PUT is refused by ACL (403, docs/servicenow/table-api.md#errors).
    pub acl_deny_update: Vec<String>,
    /// Tables whose GET is refused by ACL (403, docs/servicenow/table-api.md#errors).
    pub acl_deny_read: Vec<String>,
    /// The instance refuses every bearer token (e.g. revoked): Table API 401, while the
    /// token endpoint still mints.
    pub reject_tokens: bool,
    /// `Some(retry_after_secs)`: a rate-limit rule fires on every Table API call
    /// (docs/servicenow/availability.md#rate-limits).
    pub rate_limit: Option<u64>,
    /// A load balancer with no instance behind it: every path answers 503.
    pub unavailable: bool,
    /// An overloaded instance: every answer is held back this long (it still comes).
    pub stall: Option<std::time::Duration>,
    /// Transient: the next this-many Table API calls are refused by a rate-limit rule (429,
    /// `Retry-After: 1`), then the rule's hour is over.
    pub rate_limited_calls: u32,
    /// Transient: the next this-many requests, whatever the path, meet the load balancer's
    /// 503 page, then the instance is back.
    pub unavailable_calls: u32,
    /// Transient: the next this-many inserts (Table API, Import Set API, and changes the
    /// Change Management API creates) are stored, but their answer is lost on the way back (a
    /// proxy's 502), as when a connection drops after the instance did the work.
    pub lost_insert_answers: u32,
    /// Answers that are not what they claim (HTML on 200, truncated JSON, a grant without
    /// `expires_in`, ...): each is given once, to the first request whose path starts with
    /// its `path`, in place of the instance's own answer.
    pub canned: Vec<Canned>,
    /// Something in front of the instance answers every path with a body this large (a
    /// runaway export, a misbehaving proxy).
    pub oversized_answer: Option<Oversized>,
    /// Something in front of the instance (SSO, a proxy) answers every path with
    /// `302 Found` and this `Location`.
    pub redirect_to: Option<String>,
    /// docs/servicenow/auth.md#api-keys setup step 3 skipped for these APIs: no REST API Access
    /// Policy attaches the API key profile to them, so an `x-sn-apikey` is not looked at there and
    /// the call is unauthenticated (401). [I]: no capture of this case.
    pub api_key_policy_missing: Vec<RestApi>,
    /// docs/servicenow/attachments.md: the OAuth application is securely scoped ("Allow access only
    /// to APIs in selected scope") and no auth scope of it names the Attachment API: every
    /// Attachment API call with one of its tokens is 403 "Access to unscoped api is not allowed".
    /// Tokens with the `useraccount` scope (the password grant's), Basic auth and API keys are not
    /// affected.
    pub attachment_api_unscoped: bool,
    /// The integration's user may not read the CMDB (no CMDB read role: docs/servicenow/cmdb.md#access),
    /// and how the instance shows it.
    pub cmdb_read: CmdbRead,
}

/// How a missing CMDB read role shows on the Table API (docs/servicenow/cmdb.md#access). Which
/// one a real instance gives depends on its ACLs; both are documented answers, their link to a
/// missing CMDB role is [I].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CmdbRead {
    /// The user has a CMDB read role (`itil` does it).
    #[default]
    Granted,
    /// A table ACL refuses the query: 403 "Insufficient rights to query records" on every CMDB
    /// table (the CI classes, `cmdb_rel_ci`, `cmdb_rel_type`, `cmdb_key_value`).
    Refused,
    /// Row ACLs hide every CI: lists answer 200 with no rows (`X-Total-Count` still counts the
    /// matches, the limit being applied before ACLs [I]), a record read answers 404.
    RowsHidden,
}

/// The REST APIs the simulator serves, for faults that concern one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestApi {
    /// `/api/now/table` (docs/servicenow/table-api.md#endpoints).
    Table,
    /// `/api/now/attachment` (docs/servicenow/attachments.md).
    Attachment,
    /// `/api/sn_chg_rest` (docs/servicenow/change-management.md).
    ChangeManagement,
    /// `/api/now/import` (docs/servicenow/import-sets.md).
    ImportSet,
}

/// An answer of `bytes` bytes of JSON-looking filler; with `announced` its Content-Length
/// says so up front, otherwise it streams chunked and its size shows only while reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Oversized {
    pub bytes: usize,
    pub announced: bool,
}

/// One answer given instead of the instance's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Canned {
    /// A path prefix: `/oauth_token.do`, `/api/now/table/incident`, ...
    pub path: String,
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Canned {
    pub fn json(path: &str, status: u16, body: &str) -> Self {
        Self {
            path: path.into(),
            status,
            content_type: "application/json",
            body: body.into(),
        }
    }
}

/// The first canned answer for this path, taken out of the list.
pub(crate) fn canned(faults: &mut Faults, path: &str) -> Option<Reply> {
    let at = faults
        .canned
        .iter()
        .position(|c| path.starts_with(&c.path))?;
    let canned = faults.canned.remove(at);
    Some(Reply::raw(canned.status, canned.content_type, canned.body))
}

impl Faults {
    pub(crate) fn denies(list: &[String], table: &str) -> bool {
        list.iter().any(|t| t == table)
    }
}

/// docs/servicenow/availability.md#rate-limits: the documented example rule allows 10 requests per
/// hour.
pub(crate) const RATE_LIMIT_PER_HOUR: u64 = 10;

/// Faults that replace every answer, whatever the path: the request never reaches the
/// instance's own code.
pub(crate) fn front_door(faults: &mut Faults) -> Option<Reply> {
    if faults.unavailable_calls > 0 {
        faults.unavailable_calls -= 1;
        return Some(Reply::html(503, UNAVAILABLE_PAGE));
    }
    if let Some(location) = &faults.redirect_to {
        return Some(Reply::html(302, REDIRECT_PAGE).header("location", location.clone()));
    }
    if faults.unavailable {
        // docs/servicenow/availability.md#rate-limits: no ServiceNow-specific body is known for
        // 503; this is a load balancer's page.
        return Some(Reply::html(503, UNAVAILABLE_PAGE));
    }
    if faults.hibernating {
        // docs/servicenow/availability.md#hibernating-instances: a hibernating PDI answers 200 with
        // HTML on every path, oauth_token.do included.
        return Some(Reply::html(200, HIBERNATION_PAGE));
    }
    if faults.login_page {
        return Some(Reply::html(200, LOGIN_PAGE));
    }
    None
}

/// The markers clients detect (docs/servicenow/availability.md#hibernating-instances): the title,
/// the heading, the wake-up sentence and the CSS class seen in captures of the real page.
const HIBERNATION_PAGE: &str = r#"<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    <title>Instance Hibernating page</title>
</head>
<body class="instance-hibernating-page">
    <div class="container">
        <h1>Your instance is hibernating</h1>
        <p class="information">Sign in to the site to wake your instance</p>
        <button onclick="location.href='https://developer.servicenow.com/dev.do#!/home?wu=true';" class="button-text">Sign in</button>
    </div>
</body>
</html>
"#;

const LOGIN_PAGE: &str = r#"<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    <title>Sign in</title>
</head>
<body>
    <h1>Sign in to your organization</h1>
    <form method="post" action="/login">
        <label>Email <input type="email" name="username"></label>
        <label>Password <input type="password" name="password"></label>
        <button type="submit">Next</button>
    </form>
</body>
</html>
"#;

/// A proxy's page for an answer it did not get whole.
pub(crate) const BAD_GATEWAY_PAGE: &str = "<html><body><h1>502 Bad Gateway</h1>\nThe upstream server closed the connection.\n</body></html>\n";

const REDIRECT_PAGE: &str = "<html><body><p>Redirecting to sign-in.</p></body></html>\n";

const UNAVAILABLE_PAGE: &str = "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_healthy_instance_has_no_front_door_page() {
        assert!(front_door(&mut Faults::default()).is_none());
    }

    #[test]
    fn only_the_hibernation_page_mentions_hibernation() {
        assert!(HIBERNATION_PAGE.contains("<title>Instance Hibernating page</title>"));
        assert!(HIBERNATION_PAGE.contains("<h1>Your instance is hibernating</h1>"));
        assert!(HIBERNATION_PAGE.contains("Sign in to the site to wake your instance"));
        assert!(HIBERNATION_PAGE.contains("instance-hibernating-page"));
        assert!(!LOGIN_PAGE.to_lowercase().contains("hibernat"));
        assert!(!UNAVAILABLE_PAGE.to_lowercase().contains("hibernat"));
    }

    #[test]
    fn outage_wins_over_hibernation() {
        let mut faults = Faults {
            unavailable: true,
            hibernating: true,
            ..Faults::default()
        };
        assert_eq!(front_door(&mut faults).map(|r| r.status()), Some(503));
    }

    #[test]
    fn a_transient_outage_passes() {
        let mut faults = Faults {
            unavailable_calls: 2,
            ..Faults::default()
        };
        assert_eq!(front_door(&mut faults).map(|r| r.status()), Some(503));
        assert_eq!(front_door(&mut faults).map(|r| r.status()), Some(503));
        assert!(front_door(&mut faults).is_none());
    }
}
