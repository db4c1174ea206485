//! End-to-end: the simulator over real TCP, spoken to with raw HTTP/1.1.

mod attachments;
mod auth;
mod client;
mod cmdb;
mod polling;
mod server;
mod table_api;
mod tokens;

use super::*;
use client::*;
use std::time::Duration;
