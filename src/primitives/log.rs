//! What the component tells the host about its exchanges with ServiceNow, for the admin's
//! "check the logs" (the WIT `log` interface). Never a query value, a body, a token or a
//! secret: only the method, the path, the status, the time taken and ServiceNow's message.

use crate::primitives::prelude::*;

use core::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

/// One request and what came of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    pub method: &'static str,
    /// Without the query.
    pub path: String,
    pub status: Option<u16>,
    pub duration: Duration,
    /// 1 for the first try.
    pub attempt: u32,
    /// ServiceNow's error message, or why no answer came.
    pub message: Option<String>,
}

impl Exchange {
    /// How much an admin should care: successes are routine, refusals are the admin's to
    /// fix, outages and lost answers are the instance's.
    pub fn level(&self) -> Level {
        match self.status {
            Some(200..=399) => Level::Debug,
            Some(400..=499) => Level::Warn,
            _ => Level::Error,
        }
    }
}

pub trait Log {
    fn exchange(&self, exchange: &Exchange);
    fn note(&self, level: Level, message: &str);
}

/// Where nothing is listening (unit tests that do not look).
pub struct NoLog;

impl Log for NoLog {
    fn exchange(&self, _: &Exchange) {}
    fn note(&self, _: Level, _: &str) {}
}

/// Keeps what was logged, for tests to read.
#[cfg(test)]
#[derive(Default)]
pub struct MemoryLog {
    pub exchanges: core::cell::RefCell<Vec<Exchange>>,
    pub notes: core::cell::RefCell<Vec<(Level, String)>>,
}

#[cfg(test)]
impl Log for MemoryLog {
    fn exchange(&self, exchange: &Exchange) {
        self.exchanges.borrow_mut().push(exchange.clone());
    }

    fn note(&self, level: Level, message: &str) {
        self.notes.borrow_mut().push((level, message.to_string()));
    }
}
