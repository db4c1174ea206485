//! Remedies in the words of the setup guide an admin followed
//! (`shared/seeds/000_397e29d27959faa0.txt`), so an error points at the step to revisit.

pub const ENTER_SETTINGS: &str = "Enter the Subdomain, Client ID and Client Secret in Settings > Integrations > ServiceNow \
     (Configuring the Integration, Step 2).";

pub const INSTANCE_ADDRESS: &str = "For ServiceNow.com instances enter only the subdomain (e.g. dev12345); for on-premise \
     instances enter the full instance URL (Configuring the Integration, Step 2).";

pub const COPY_CREDENTIALS: &str =
    "Verify the Client ID and Client Secret are copied correctly (no extra spaces).";

pub const UNREACHABLE: &str = "Check the instance address. For on-premise instances, ensure the ServiceNow instance is \
     accessible from Cloud ex Machina.";

pub const HIBERNATING: &str = "The developer instance is hibernating: sign in at developer.servicenow.com to wake it, \
     wait until it is up, then test the connection again.";

pub const NOT_SERVICENOW: &str = "The address answered with a web page instead of the ServiceNow REST API: check the \
     instance address, and that no SSO or proxy login page sits in front of /oauth_token.do and /api/now.";

/// ServiceNow answers almost every token failure with the same 401, so the remedy lists the
/// causes in the order an admin should check them.
pub const TOKEN_DENIED: &str = "ServiceNow refused the client credentials without saying why. Check, in this order: \
     (1) Client Credentials grant type is enabled: system property \
     glide.oauth.inbound.client.credential.grant_type.enabled = true (Step 1); \
     (2) the OAuth application is marked as Active (Step 4); \
     (3) the Client ID and Client Secret are copied correctly, no extra spaces, or regenerate the \
     Client Secret (Step 4); (4) the OAuth Application User is set and active (Steps 2 and 4). \
     The instance's System Log names the real cause (search for \"oauth\").";

pub const OAUTH_USER_MISSING: &str = "Set the OAuth Application User on the OAuth application to the service account \
     created in Step 2 (Step 4: add the OAuth Application User field with Form Builder).";

pub const TOKEN_REFUSED: &str = "Verify the OAuth application user still has access and hasn't been deactivated, and \
     check the OAuth application is still active.";

pub const AUTH_SCOPE: &str = "Verify the auth scope covers the Table API (REST API PATH now/table, Step 3) and is \
     linked to the OAuth application in its Auth Scopes related list (Step 4).";

pub const ROLES: &str = "Ensure the OAuth application user has the rest_service and itil roles (Step 2) and review \
     ServiceNow's ACL configuration for the target tables.";

pub const INVALID_TABLE: &str =
    "Check the ticket categories: the table named does not exist on this instance.";

pub const RATE_LIMITED: &str = "A ServiceNow rate-limit rule (sys_rate_limit_rules) is throttling the integration \
     user: retry later, or raise the rule's limit.";

pub const UNAVAILABLE: &str = "The instance is unavailable (maintenance or overload): retry later.";

pub const ASSIGNMENT_GROUP: &str =
    "Verify the assignment group specified in the integration exists in ServiceNow.";
