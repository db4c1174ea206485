//! The host's side of the component's `log` interface: a bounded log per tenant, which the
//! platform shows an admin ("check the logs"). Everything in it came from an untrusted guest,
//! so it is cleaned on the way in: a ring of [`TenantLog::CAPACITY`] entries, each string
//! capped, control and bidi-override characters replaced, and the time taken by the host.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use crate::bindings::cxm::ticketing::log::{self as wit, Exchange, Level};

/// One entry of a tenant's log.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    /// When the host received it (the guest's own clock plays no part).
    pub time: SystemTime,
    pub level: Level,
    pub event: LogEvent,
}

/// What an entry records.
#[derive(Clone, Debug, PartialEq)]
pub enum LogEvent {
    /// The component reported one exchange with ServiceNow (strings cleaned and capped).
    Exchange(Exchange),
    /// The component's note (cleaned and capped).
    Note(String),
    /// Written by the host itself, never by the component: a request its sandbox refused.
    Host(String),
}

/// A tenant's log: cheap to clone, all clones share the entries, so it outlives the
/// instance that wrote it (the tenant keeps it across a rebuild).
#[derive(Clone, Default)]
pub struct TenantLog {
    entries: Arc<Mutex<VecDeque<LogEntry>>>,
}

impl TenantLog {
    /// Entries kept; the oldest go first.
    pub const CAPACITY: usize = 200;
    /// Characters kept of a note or an exchange's message; longer ones end in `…`.
    pub const MAX_TEXT: usize = 1024;
    /// Characters kept of an exchange's path.
    pub const MAX_PATH: usize = 256;
    /// Characters kept of an exchange's method.
    pub const MAX_METHOD: usize = 16;

    /// The entries, oldest first.
    pub fn entries(&self) -> Vec<LogEntry> {
        self.lock().iter().cloned().collect()
    }

    /// A note of the host's own.
    pub(crate) fn host_note(&self, level: Level, message: &str) {
        self.push(level, LogEvent::Host(clean(message, Self::MAX_TEXT)));
    }

    fn push(&self, level: Level, event: LogEvent) {
        let mut entries = self.lock();
        while entries.len() >= Self::CAPACITY {
            entries.pop_front();
        }
        entries.push_back(LogEntry {
            time: SystemTime::now(),
            level,
            event,
        });
    }

    /// A panic elsewhere must not take the log down with it.
    fn lock(&self) -> MutexGuard<'_, VecDeque<LogEntry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl wit::Host for TenantLog {
    fn report_exchange(&mut self, level: Level, exchange: Exchange) {
        let exchange = Exchange {
            method: clean(&exchange.method, Self::MAX_METHOD),
            path: clean(&exchange.path, Self::MAX_PATH),
            status: exchange.status,
            duration_ms: exchange.duration_ms,
            attempt: exchange.attempt,
            message: exchange.message.map(|m| clean(&m, Self::MAX_TEXT)),
        };
        self.push(level, LogEvent::Exchange(exchange));
    }

    fn note(&mut self, level: Level, message: String) {
        self.push(level, LogEvent::Note(clean(&message, Self::MAX_TEXT)));
    }
}

/// At most `max` characters, with every control character (C0, DEL, C1: newlines and
/// terminal escapes included) and every bidirectional-override character replaced by a
/// space, so an entry prints as one line that shows what it says.
pub(crate) fn clean(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4));
    for (count, c) in text.chars().enumerate() {
        if count == max {
            out.pop();
            out.push('…');
            break;
        }
        out.push(if c.is_control() || is_bidi_control(c) {
            ' '
        } else {
            c
        });
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The WIT name of a level.
pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::cxm::ticketing::log::Host as _;

    fn exchange(path: &str, message: Option<&str>) -> Exchange {
        Exchange {
            method: "POST".into(),
            path: path.into(),
            status: Some(401),
            duration_ms: 12,
            attempt: 1,
            message: message.map(str::to_string),
        }
    }

    #[test]
    fn keeps_the_newest_entries_only() {
        let mut log = TenantLog::default();
        for i in 0..TenantLog::CAPACITY + 50 {
            log.note(Level::Info, format!("note {i}"));
        }
        let entries = log.entries();
        assert_eq!(entries.len(), TenantLog::CAPACITY);
        assert_eq!(entries[0].event, LogEvent::Note("note 50".into()));
        assert_eq!(
            entries.last().unwrap().event,
            LogEvent::Note(format!("note {}", TenantLog::CAPACITY + 49))
        );
        assert!(entries.windows(2).all(|w| w[0].time <= w[1].time));
    }

    #[test]
    fn long_strings_are_cut() {
        let mut log = TenantLog::default();
        log.note(Level::Warn, "é".repeat(1 << 20));
        log.report_exchange(
            Level::Error,
            Exchange {
                method: "X".repeat(100),
                ..exchange(&"/a".repeat(10_000), Some(&"m".repeat(5000)))
            },
        );
        let entries = log.entries();
        let LogEvent::Note(note) = &entries[0].event else {
            panic!("{:?}", entries[0]);
        };
        assert_eq!(note.chars().count(), TenantLog::MAX_TEXT);
        assert!(note.ends_with('…'));
        let LogEvent::Exchange(ex) = &entries[1].event else {
            panic!("{:?}", entries[1]);
        };
        assert_eq!(ex.method.chars().count(), TenantLog::MAX_METHOD);
        assert_eq!(ex.path.chars().count(), TenantLog::MAX_PATH);
        assert_eq!(
            ex.message.as_deref().map(|m| m.chars().count()),
            Some(TenantLog::MAX_TEXT)
        );
        assert_eq!((ex.status, ex.duration_ms, ex.attempt), (Some(401), 12, 1));
        assert_eq!(entries[1].level, Level::Error);
    }

    #[test]
    fn short_strings_stay_as_they_are() {
        let mut log = TenantLog::default();
        log.report_exchange(Level::Info, exchange("/api/now/table/incident", Some("ok")));
        assert_eq!(
            log.entries()[0].event,
            LogEvent::Exchange(exchange("/api/now/table/incident", Some("ok")))
        );
    }

    #[test]
    fn control_characters_never_get_through() {
        let mut log = TenantLog::default();
        let nasty = "line1\nline2\r\x1b[31mred\x1b[0m\x07\u{9b}2J\u{7f}\u{202e}txt.exe\u{2066}\0";
        log.note(Level::Error, nasty.into());
        log.report_exchange(
            Level::Error,
            Exchange {
                method: "GET\r\n".into(),
                ..exchange(nasty, Some(nasty))
            },
        );
        log.host_note(Level::Warn, nasty);
        let entries = log.entries();
        let mut texts = Vec::new();
        for entry in &entries {
            match &entry.event {
                LogEvent::Note(text) | LogEvent::Host(text) => texts.push(text.clone()),
                LogEvent::Exchange(ex) => {
                    texts.push(ex.method.clone());
                    texts.push(ex.path.clone());
                    texts.extend(ex.message.clone());
                }
            }
        }
        assert_eq!(texts.len(), 5);
        for text in texts {
            assert!(
                !text.chars().any(|c| c.is_control() || is_bidi_control(c)),
                "{text:?}"
            );
        }
        assert_eq!(
            entries[0].event,
            LogEvent::Note("line1 line2  [31mred [0m  2J  txt.exe  ".into())
        );
    }

    #[test]
    fn clones_share_one_log() {
        let log = TenantLog::default();
        let mut writer = log.clone();
        writer.note(Level::Debug, "kept".into());
        assert_eq!(log.entries().len(), 1);
        assert_eq!(level_name(log.entries()[0].level), "debug");
    }
}
