//! ServiceNow's REST APIs as the component speaks them: requests and what their answers mean
//! (`answer`, `error_body`), the Table API (`table`, `query`, `rows`), the Attachment API, the Change Management API,
//! credentials and OAuth, retries, the tickets' rows and state models, and the changes cursor.

pub mod answer;
pub mod attachment;
pub mod auth;
pub mod change_api;
pub mod cloud_resource;
pub mod cmdb;
pub mod cursor;
pub mod error_body;
pub mod import_set;
pub mod keyset;
pub mod not_applied;
pub mod oauth;
pub mod query;
pub mod request;
pub mod retry;
pub mod rows;
pub mod state_model;
pub mod table;
pub mod ticket;
pub mod ticket_change;
pub mod ticket_kind;
pub mod ticket_write;
