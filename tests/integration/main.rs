//! Integration tests: the real built component, hosted by host-harness, against the
//! ServiceNow simulator. One test binary, so the component is compiled once per run.

mod common;

mod configure;
mod contract;
mod diagnosis;
mod errors;
mod lifecycle;
mod sandbox;
mod tickets;
mod tokens;
