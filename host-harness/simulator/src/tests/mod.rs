//! End-to-end: the simulator over real TCP, spoken to with raw HTTP/1.1.

mod attachments;
mod auth;
mod change_api;
mod choices;
mod client;
mod cmdb;
mod import_sets;
mod polling;
mod server;
mod table_api;
mod tokens;

use super::*;
use client::*;
use std::time::Duration;
