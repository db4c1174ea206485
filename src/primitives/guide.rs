//! Remedies in the words of the setup guide an admin followed
//! (docs/setup-guide.md), each with the step it points back to.

/// What to change, and where in the guide that was set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Remedy {
    pub text: &'static str,
    pub step: Option<&'static str>,
}

const STEP_GRANT: &str = "ServiceNow Step 1: Enable Client Credentials Grant Type";
const STEP_USER: &str = "ServiceNow Step 2: Create an OAuth Application User";
const STEP_SCOPE: &str = "ServiceNow Step 3: Create an API Authentication Scope";
const STEP_APP: &str = "ServiceNow Step 4: Create an OAuth Application";
const STEP_CONFIGURE: &str = "Cloud ex Machina Step 2: Enter ServiceNow Configuration";
const STEP_SETTINGS: &str = "Cloud ex Machina Step 3: Save (additional settings)";

pub const ENTER_SETTINGS: Remedy = Remedy {
    text: "Enter the Subdomain, Client ID and Client Secret in Settings > Integrations > ServiceNow.",
    step: Some(STEP_CONFIGURE),
};

pub const INSTANCE_ADDRESS: Remedy = Remedy {
    text: "For ServiceNow.com instances enter only the subdomain (e.g. dev12345); for on-premise \
           instances enter your full instance URL.",
    step: Some(STEP_CONFIGURE),
};

pub const COPY_CREDENTIALS: Remedy = Remedy {
    text: "Verify the Client ID and Client Secret are copied correctly (no extra spaces).",
    step: Some(STEP_APP),
};

pub const UNREACHABLE: Remedy = Remedy {
    text: "Check the instance address. For on-premise instances, ensure the ServiceNow instance \
           is accessible from Cloud ex Machina.",
    step: Some(STEP_CONFIGURE),
};

pub const HIBERNATING: Remedy = Remedy {
    text: "The developer instance is hibernating: sign in at developer.servicenow.com to wake it, \
           wait until it is up, then test the connection again.",
    step: None,
};

pub const NOT_SERVICENOW: Remedy = Remedy {
    text: "The address answered with a web page instead of the ServiceNow REST API: check the \
           instance address, and that no SSO or proxy login page sits in front of \
           /oauth_token.do and /api/now.",
    step: Some(STEP_CONFIGURE),
};

/// ServiceNow answers almost every token failure with the same 401, so the remedy lists the
/// causes in the order an admin should check them.
pub const TOKEN_DENIED: Remedy = Remedy {
    text: "ServiceNow refused the client credentials without saying why. Check, in this order: \
           (0) the instance runs Washington DC (2024) or later: earlier releases have no \
           Client Credentials grant type (choose the password grant or Basic authentication); \
           (1) Client Credentials grant type is enabled in system properties: \
           glide.oauth.inbound.client.credential.grant_type.enabled = true (Step 1); \
           (2) the OAuth application is marked as Active (Step 4); \
           (3) the Client ID and Client Secret are copied correctly, or regenerate the Client \
           Secret and update the integration (Step 4); \
           (4) the OAuth Application User is set on the application and the user is active \
           (Steps 2 and 4). The instance's System Log names the real cause (search for \"oauth\").",
    step: Some(STEP_GRANT),
};

pub const OAUTH_USER_MISSING: Remedy = Remedy {
    text: "Set the OAuth Application User on the OAuth application to the user created in \
           Step 2 (add the OAuth Application User field to the form with Form Builder).",
    step: Some(STEP_APP),
};

pub const TOKEN_REFUSED: Remedy = Remedy {
    text: "Verify the OAuth application user still has access and hasn't been deactivated, and \
           check the OAuth application is still active.",
    step: Some(STEP_USER),
};

pub const AUTH_SCOPE: Remedy = Remedy {
    text: "Verify the auth scope covers the Table API (REST API PATH now/table) and is linked to \
           the OAuth application in its Auth Scopes related list.",
    step: Some(STEP_SCOPE),
};

pub const ROLES: Remedy = Remedy {
    text: "Ensure the OAuth application user has the rest_service and itil roles, and review \
           ServiceNow's ACL (Access Control List) configuration for the target tables.",
    step: Some(STEP_USER),
};

pub const INVALID_TABLE: Remedy = Remedy {
    text: "Review the ticket categories: a table they name does not exist on this instance.",
    step: Some(STEP_SETTINGS),
};

pub const RATE_LIMITED: Remedy = Remedy {
    text: "A ServiceNow rate-limit rule (sys_rate_limit_rules) is throttling the integration \
           user: retry later, or raise the rule's limit.",
    step: None,
};

pub const UNAVAILABLE: Remedy = Remedy {
    text: "The instance is unavailable (maintenance or overload): retry later.",
    step: None,
};

/// The CMDB refused to the integration user (docs/servicenow/cmdb.md#access).
pub const CMDB_READ: Remedy = Remedy {
    text: "Grant the integration user a CMDB read role (such as cmdb_read) or itil, so that it \
           can read the configuration item tables (cmdb_ci and the classes extending it, and \
           cmdb_rel_ci); or turn off Link Configuration Items.",
    step: Some(STEP_USER),
};

pub const ASSIGNMENT_GROUP: Remedy = Remedy {
    text: "Verify the assignment group specified in the integration exists in ServiceNow.",
    step: Some(STEP_SETTINGS),
};

pub const DATA_POLICY: Remedy = Remedy {
    text: "A ServiceNow data policy or business rule refused the change: give the fields it \
           names as mandatory.",
    step: None,
};

/// The password grant's 401 is as generic as the client credentials'
/// (docs/servicenow/auth.md#password-grant-and-refresh).
pub const PASSWORD_DENIED: Remedy = Remedy {
    text: "ServiceNow refused the password grant without saying why. Check, in this order: \
           (1) the integration user's name and password (failed sign-ins count towards a \
           lockout: after glide.user.max_unlock_attempts failures, 5 by default, the user is \
           locked out until unlocked in its user record or, with Auto Unlock, after \
           glide.user.unlock_timeout_in_mins); (2) the user is Active, not Locked out, and \
           Password needs reset is not set; (3) the OAuth application is Active and its Client \
           ID and Client Secret are copied correctly. The instance's System Log names the \
           real cause (search for \"oauth\").",
    step: Some(STEP_USER),
};

/// Basic authentication refused (docs/servicenow/auth.md#basic-authentication).
pub const BASIC_DENIED: Remedy = Remedy {
    text: "ServiceNow refused the user's name and password. Check: (1) the user name and \
           password (failed sign-ins lock the user out after glide.user.max_unlock_attempts, \
           5 by default: unlock it in its user record); (2) the user is Active and not Locked \
           out; a Web service access only user may use Basic authentication (it signs in only \
           through APIs) but cannot sign in to the UI, so do not test its password there; \
           (3) on instances that enforce the Basic auth restriction \
           (glide.authenticate.basic_auth.restriction.enforce), the user needs the role \
           snc_basic_auth_api_access.",
    step: Some(STEP_USER),
};

/// A REST API key refused (docs/servicenow/auth.md#api-keys).
pub const API_KEY_DENIED: Remedy = Remedy {
    text: "ServiceNow refused the REST API key. Check: (1) the key is copied correctly; (2) its \
           REST API Key record is Active and not past its Expiry (expired keys are deleted \
           after 7 days); (3) a REST API Access Policy for the Table API uses an Inbound \
           Authentication Profile of type API Key with x-sn-apikey as Auth Header (token based \
           auth isn't allowed in the Global REST API Policy); (4) the instance runs Washington \
           DC or later with the plugin com.glide.tokenbased_auth.",
    step: None,
};

/// The Attachment API outside the OAuth application's auth scopes (docs/servicenow/attachments.md:
/// a securely scoped application answers 403 "Access to unscoped api is not allowed"), in the
/// guide's words for step 3.
pub const ATTACHMENT_SCOPE: Remedy = Remedy {
    text: "If you need access to additional APIs (e.g., Import API, Attachment API), create \
           additional scopes as needed: a REST API Auth Scope for the Attachment API (REST API \
           PATH now/attachment, Apply auth scope to all HTTP methods in this API), added to the \
           OAuth application's Auth Scopes related list.",
    step: Some(STEP_SCOPE),
};

/// attach-file called while the admin has attachments off.
pub const TURN_ON_ATTACHMENTS: Remedy = Remedy {
    text: "Turn on Attachments in Settings > Integrations > ServiceNow, then run Test \
           Connection: it checks that the OAuth application may use the Attachment API.",
    step: Some(STEP_SETTINGS),
};

/// An API key the Table API accepts but the Attachment API does not
/// (docs/servicenow/auth.md#api-keys).
pub const API_KEY_ATTACHMENT_POLICY: Remedy = Remedy {
    text: "Create a REST API Access Policy for the Attachment API that uses the same Inbound \
           Authentication Profile (API Key, x-sn-apikey as Auth Header) as the Table API's \
           policy; token based auth isn't allowed in the Global REST API Policy.",
    step: None,
};

/// A staging table the Import Set API does not know (docs/servicenow/import-sets.md#errors).
pub const STAGING_TABLE: Remedy = Remedy {
    text: "Review Import Set Staging Tables: each line is kind=staging table, and the staging \
           table must exist on the instance as an import set table (System Import Sets > \
           Administration > Staging Tables), spelled as its table name (u_cxm_incident_import).",
    step: Some(STEP_SETTINGS),
};

/// The staging table refuses the integration user's rows (docs/servicenow/import-sets.md#security).
pub const IMPORT_SET_ROLES: Remedy = Remedy {
    text: "Give the integration user the import_set_loader role (or the role the staging \
           table's create ACL names) so that it may create rows in the staging table, and \
           check that the staging table's ACLs let it create and read them.",
    step: Some(STEP_USER),
};

/// An OAuth application scoped away from the Import Set API.
pub const IMPORT_SET_SCOPE: Remedy = Remedy {
    text: "If you need access to additional APIs (e.g., Import API, Attachment API), create \
           additional scopes as needed: a REST API Auth Scope for the Import Set API (REST API \
           PATH now/import), added to the OAuth application's Auth Scopes related list.",
    step: Some(STEP_SCOPE),
};

/// A row stored but not transformed (docs/servicenow/import-sets.md#synchronous-and-asynchronous).
pub const TRANSFORM_MAP: Remedy = Remedy {
    text: "Give the staging table an active transform map onto the ticket table that maps each \
           u_ column onto its field and coalesces u_correlation_id onto correlation_id, and \
           keep its import sets synchronous (the default for web service import sets): the \
           rows of an asynchronous import set wait for a scheduled transform.",
    step: None,
};

/// The transform refused or skipped the row (docs/servicenow/import-sets.md#answer).
pub const TRANSFORM_REFUSED: Remedy = Remedy {
    text: "The staging table's transform map or its scripts refused the row with the message \
           shown (System Import Sets > Import Set Rows shows it too): fix the transform, or \
           give the fields it asks for. It must coalesce u_correlation_id onto correlation_id \
           and may not ignore inserts.",
    step: None,
};

/// The Change Management REST API (`/api/sn_chg_rest`) is not on the instance: it answers 400
/// "Requested URI does not represent any resource" (docs/servicenow/change-management.md#plugins:
/// the API comes with Change Management; the plugin that ships it alone is not documented).
pub const CHANGE_API_PLUGIN: Remedy = Remedy {
    text: "The instance has no Change Management REST API (sn_chg_rest): it comes with Change \
           Management. Activate the plugins \"Change Management - Core\" \
           (com.snc.change_management) and, for standard change templates, \"Change Management - \
           Standard Change Catalog\" (com.snc.change_management.standard_change_catalog); or \
           remove the templates from the ticket categories and turn off the Change Management \
           API setting, so change requests are opened through the Table API.",
    step: Some(STEP_SETTINGS),
};

/// The Change Management API's roles (docs/servicenow/change-management.md#roles).
pub const CHANGE_ROLES: Remedy = Remedy {
    text: "Give the OAuth application user the itil role (or change_manager): the Change \
           Management API lists templates for itil, change_manager, sn_change_read or admin, \
           and creates changes for itil, change_manager or admin (sn_change_read with \
           sn_change_write is not documented to be enough for creating).",
    step: Some(STEP_USER),
};

/// The Change Management API outside the OAuth application's auth scopes, in the guide's words
/// for additional APIs (step 3).
pub const CHANGE_SCOPE: Remedy = Remedy {
    text: "If you need access to additional APIs, create additional scopes as needed: a REST \
           API Auth Scope for the Change Management API (REST API PATH sn_chg_rest/change, \
           Apply auth scope to all HTTP methods in this API), added to the OAuth application's \
           Auth Scopes related list.",
    step: Some(STEP_SCOPE),
};

/// A ticket category names a standard change template the instance does not offer.
pub const CHANGE_TEMPLATE: Remedy = Remedy {
    text: "Review the ticket categories: a category's template must name an active Standard \
           Change Template (std_change_record_producer) by its exact name, or by its sys_id \
           when several share the name.",
    step: Some(STEP_SETTINGS),
};

/// The Change Management API failed on the instance (docs/servicenow/change-management.md#errors).
pub const CHANGE_API_FAILED: Remedy = Remedy {
    text: "The Change Management API failed on the instance: its System Log names the cause; \
           a misconfigured change model or standard change template, or a business rule \
           refusing the change, are common ones.",
    step: None,
};

/// A changes cursor that is not one this provider issued. Not a setup step:
/// the platform's stored cursor was damaged or belongs to something else.
pub const NEW_CURSOR: Remedy = Remedy {
    text: "Ask for changes without a cursor to start again from now; changes made before \
           then are not listed again.",
    step: None,
};
