//! Integration tests: the real built component, hosted by ticketing-host, against the
//! ServiceNow simulator. One test binary, so the component is compiled once per run; the
//! helpers they share are this package's library (`support.rs`).

mod attachments;
mod auth;
mod cache;
mod capacity;
mod change_api;
mod changes;
mod changes_model;
mod cmdb;
mod configure;
mod contract;
mod diagnosis;
mod egress;
mod errors;
mod hibernate;
mod hostile;
mod import_sets;
mod labels;
mod lifecycle;
mod logs;
mod races;
mod resilience;
mod sandbox;
mod secrets;
mod tickets;
mod tls;
mod tokens;
