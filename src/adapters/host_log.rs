//! The provider's log, reported through the host's `log` import.

use crate::adapters::bindings::cxm::ticketing::log as host_log;
use crate::primitives::log::{Exchange, Level, Log};
use crate::primitives::prelude::*;

/// The host's `log` import.
pub struct HostLog;

impl Log for HostLog {
    fn exchange(&self, exchange: &Exchange) {
        let record = host_log::Exchange {
            method: exchange.method.to_string(),
            path: exchange.path.clone(),
            status: exchange.status,
            duration_ms: u32::try_from(exchange.duration.as_millis()).unwrap_or(u32::MAX),
            attempt: exchange.attempt,
            message: exchange.message.clone(),
        };
        host_log::report_exchange(level(exchange.level()), &record);
    }

    fn note(&self, level_: Level, message: &str) {
        host_log::note(level(level_), message);
    }
}

fn level(level: Level) -> host_log::Level {
    match level {
        Level::Debug => host_log::Level::Debug,
        Level::Info => host_log::Level::Info,
        Level::Warn => host_log::Level::Warn,
        Level::Error => host_log::Level::Error,
    }
}
