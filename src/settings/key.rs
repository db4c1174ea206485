//! The settings' keys: what `configure`, `validate-field` and `error.field` call them, and
//! the keys of the CLI's settings file.

use crate::primitives::error::Error;
use crate::primitives::prelude::*;

pub const INSTANCE: &str = "instance";
pub const AUTH_METHOD: &str = "auth_method";
pub const CLIENT_ID: &str = "client_id";
pub const CLIENT_SECRET: &str = "client_secret";
pub const USERNAME: &str = "username";
pub const PASSWORD: &str = "password";
pub const API_KEY: &str = "api_key";
pub const DEFAULT_ASSIGNMENT_GROUP: &str = "default_assignment_group";
pub const DEFAULT_PRIORITY: &str = "default_priority";
pub const TICKET_CATEGORIES: &str = "ticket_categories";
pub const UNLISTED_CATEGORY_KIND: &str = "unlisted_category_kind";
pub const ON_CLOSED_MATCH: &str = "on_closed_match";
pub const ATTACHMENTS: &str = "attachments";
pub const LINK_CONFIGURATION_ITEMS: &str = "link_configuration_items";
pub const CHANGE_MANAGEMENT_API: &str = "change_management_api";
pub const WRITE_PATH: &str = "write_path";
pub const IMPORT_SET_TABLES: &str = "import_set_tables";

/// A settings error naming the field it is about.
pub fn invalid(key: &'static str, message: String) -> Error {
    Error::invalid_settings(message).with_field(key)
}
