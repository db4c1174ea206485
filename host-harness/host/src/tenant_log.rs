//! The host's side of the component's `log` interface: a bounded log per tenant, which the
//! platform shows an admin ("check the logs"). Everything in it came from an untrusted guest,
//! so it is cleaned on the way in: a ring of at most [`TenantLog::CAPACITY`] entries and
//! [`TenantLog::MAX_BYTES`], each string capped, control and bidi-override characters
//! replaced, and the time taken by the host.
//!
//! Every tenant of a host keeps its log while it idles, so the entries are stored packed, one
//! byte ring per tenant (about 45 bytes for an exchange) rather than as [`LogEntry`] values
//! (112 bytes each, plus an allocation per string): a full log of exchanges is about 9 KiB
//! instead of about 44.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use crate::bindings::cxm::ticketing::log::{self as wit, Exchange, Level};
use crate::printable::printable_capped;

/// One entry of a tenant's log.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    /// When the host received it (the guest's own clock plays no part).
    pub time: SystemTime,
    /// How much it matters, as the component or the host said.
    pub level: Level,
    /// What happened: a message, an exchange with the instance, or the host's own note.
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
    ring: Arc<Mutex<Ring>>,
}

impl TenantLog {
    /// Entries kept at most; the oldest go first.
    pub const CAPACITY: usize = 200;
    /// Bytes of packed entries kept at most: a guest that writes long messages keeps fewer
    /// entries, not more memory. An exchange takes about 45, so with the component's
    /// entries the count binds first; a note of 1024 characters takes up to 4 KiB.
    pub const MAX_BYTES: usize = 16 << 10;
    /// Characters kept of a note or an exchange's message; longer ones end in `…`.
    pub const MAX_TEXT: usize = 1024;
    /// Characters kept of an exchange's path.
    pub const MAX_PATH: usize = 256;
    /// Characters kept of an exchange's method.
    pub const MAX_METHOD: usize = 16;

    /// The entries, oldest first.
    pub fn entries(&self) -> Vec<LogEntry> {
        self.lock().entries()
    }

    /// A note of the host's own.
    pub(crate) fn host_note(&self, level: Level, message: &str) {
        self.push(
            level,
            LogEvent::Host(printable_capped(message, Self::MAX_TEXT)),
        );
    }

    fn push(&self, level: Level, event: LogEvent) {
        let entry = LogEntry {
            time: SystemTime::now(),
            level,
            event,
        };
        self.lock().push(&entry);
    }

    /// A panic elsewhere must not take the log down with it.
    fn lock(&self) -> MutexGuard<'_, Ring> {
        self.ring
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The packed entries, oldest first: each is its length (u16, little-endian) and then
/// [`encode`]'s bytes.
#[derive(Default)]
struct Ring {
    bytes: VecDeque<u8>,
    entries: usize,
}

impl Ring {
    /// Room is made in steps of this many bytes, not by doubling: the ring of an idle
    /// tenant stays about the size of what it holds.
    const GROWTH: usize = 1 << 10;

    fn push(&mut self, entry: &LogEntry) {
        let mut packed = Vec::with_capacity(64);
        encode(entry, &mut packed);
        // The strings are capped, so an entry is at most a few KiB: it always fits.
        let len = u16::try_from(packed.len()).expect("a capped entry fits in 64 KiB");
        let size = 2 + packed.len();
        while self.entries > 0
            && (self.entries >= TenantLog::CAPACITY
                || self.bytes.len() + size > TenantLog::MAX_BYTES)
        {
            self.pop_oldest();
        }
        let needed = self.bytes.len() + size;
        if needed > self.bytes.capacity() {
            // At most MAX_BYTES, a multiple of the step.
            let target = needed.next_multiple_of(Self::GROWTH);
            self.bytes.reserve_exact(target - self.bytes.len());
        }

        self.bytes.extend(len.to_le_bytes());
        self.bytes.extend(packed);
        self.entries += 1;
    }

    fn pop_oldest(&mut self) {
        let len = u16::from_le_bytes([self.bytes[0], self.bytes[1]]);
        self.bytes.drain(..2 + usize::from(len));
        self.entries -= 1;
    }

    fn entries(&mut self) -> Vec<LogEntry> {
        let mut bytes: &[u8] = self.bytes.make_contiguous();
        let mut entries = Vec::with_capacity(self.entries);
        while let [a, b, rest @ ..] = bytes {
            let len = usize::from(u16::from_le_bytes([*a, *b]));
            let (packed, rest) = rest.split_at(len);
            entries.extend(decode(packed));
            bytes = rest;
        }
        entries
    }
}

/// Kinds of entry, in the low bits of an entry's first byte.
const EXCHANGE: u8 = 0;
const NOTE: u8 = 1;
const HOST: u8 = 2;
/// Flags of that byte: the level above the kind, then what an exchange has.
const HAS_STATUS: u8 = 1 << 4;
const HAS_MESSAGE: u8 = 1 << 5;

fn encode(entry: &LogEntry, out: &mut Vec<u8>) {
    let since_epoch = entry
        .time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let nanos = u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX);
    out.extend(nanos.to_le_bytes());
    let level = match entry.level {
        Level::Debug => 0,
        Level::Info => 1,
        Level::Warn => 2,
        Level::Error => 3,
    } << 2;
    match &entry.event {
        LogEvent::Exchange(ex) => {
            let mut tag = EXCHANGE | level;
            tag |= if ex.status.is_some() { HAS_STATUS } else { 0 };
            tag |= if ex.message.is_some() { HAS_MESSAGE } else { 0 };
            out.push(tag);
            if let Some(status) = ex.status {
                out.extend(status.to_le_bytes());
            }
            put_varint(out, u64::from(ex.duration_ms));
            put_varint(out, u64::from(ex.attempt));
            put_str(out, &ex.method);
            put_str(out, &ex.path);
            if let Some(message) = &ex.message {
                put_str(out, message);
            }
        }
        LogEvent::Note(text) => {
            out.push(NOTE | level);
            put_str(out, text);
        }
        LogEvent::Host(text) => {
            out.push(HOST | level);
            put_str(out, text);
        }
    }
}

/// The entry [`encode`] packed (None only if the bytes are not its: a bug).
fn decode(mut bytes: &[u8]) -> Option<LogEntry> {
    let nanos = u64::from_le_bytes(take(&mut bytes, 8)?.try_into().ok()?);
    let time = SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos);
    let tag = *take(&mut bytes, 1)?.first()?;
    let level = match (tag >> 2) & 3 {
        0 => Level::Debug,
        1 => Level::Info,
        2 => Level::Warn,
        _ => Level::Error,
    };
    let event = match tag & 3 {
        EXCHANGE => {
            let status = if tag & HAS_STATUS != 0 {
                Some(u16::from_le_bytes(take(&mut bytes, 2)?.try_into().ok()?))
            } else {
                None
            };
            let duration_ms = u32::try_from(get_varint(&mut bytes)?).ok()?;
            let attempt = u32::try_from(get_varint(&mut bytes)?).ok()?;
            let method = get_str(&mut bytes)?;
            let path = get_str(&mut bytes)?;
            let message = if tag & HAS_MESSAGE != 0 {
                Some(get_str(&mut bytes)?)
            } else {
                None
            };
            LogEvent::Exchange(Exchange {
                method,
                path,
                status,
                duration_ms,
                attempt,
                message,
            })
        }
        NOTE => LogEvent::Note(get_str(&mut bytes)?),
        _ => LogEvent::Host(get_str(&mut bytes)?),
    };
    Some(LogEntry { time, level, event })
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn get_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *take(bytes, 1)?.first()?;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    put_varint(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

fn get_str(bytes: &mut &[u8]) -> Option<String> {
    let len = usize::try_from(get_varint(bytes)?).ok()?;
    let text = take(bytes, len)?;
    String::from_utf8(text.to_vec()).ok()
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if bytes.len() < n {
        return None;
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Some(head)
}

impl wit::Host for TenantLog {
    fn report_exchange(&mut self, level: Level, exchange: Exchange) {
        let exchange = Exchange {
            method: printable_capped(&exchange.method, Self::MAX_METHOD),
            path: printable_capped(&exchange.path, Self::MAX_PATH),
            status: exchange.status,
            duration_ms: exchange.duration_ms,
            attempt: exchange.attempt,
            message: exchange
                .message
                .map(|m| printable_capped(&m, Self::MAX_TEXT)),
        };
        self.push(level, LogEvent::Exchange(exchange));
    }

    fn note(&mut self, level: Level, message: String) {
        self.push(
            level,
            LogEvent::Note(printable_capped(&message, Self::MAX_TEXT)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::cxm::ticketing::log::Host as _;
    use crate::printable::is_bidi_control;

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
    fn every_field_comes_back_as_it_went_in() {
        let mut log = TenantLog::default();
        let levels = [Level::Debug, Level::Info, Level::Warn, Level::Error];
        let mut expected = Vec::new();
        for (i, level) in levels.into_iter().enumerate() {
            let ex = Exchange {
                method: "PATCH".into(),
                path: format!("/api/now/table/u_é{i}"),
                status: (i % 2 == 0).then_some(200 + i as u16),
                duration_ms: [0, 127, 128, u32::MAX][i],
                attempt: [1, 2, 300, u32::MAX][i],
                message: (i > 1).then(|| format!("message ✓ {i}")),
            };
            log.report_exchange(level, ex.clone());
            expected.push((level, LogEvent::Exchange(ex)));
            log.note(level, format!("note {i}"));
            expected.push((level, LogEvent::Note(format!("note {i}"))));
            log.host_note(level, "");
            expected.push((level, LogEvent::Host(String::new())));
        }
        let entries = log.entries();
        let got: Vec<_> = entries.iter().map(|e| (e.level, e.event.clone())).collect();
        assert_eq!(got, expected);
        let now = SystemTime::now();
        assert!(entries.iter().all(|e| e.time <= now));
        assert!(now.duration_since(entries[0].time).unwrap() < Duration::from_secs(60));
    }

    #[test]
    fn a_full_log_of_exchanges_stays_small() {
        let mut log = TenantLog::default();
        for i in 0..1000 {
            log.report_exchange(Level::Info, exchange("/api/now/table/incident", None));
            if i == 0 {
                assert!(log.lock().bytes.capacity() <= Ring::GROWTH);
            }
        }
        assert_eq!(log.entries().len(), TenantLog::CAPACITY);
        // About 45 bytes an entry, where a `LogEntry` and its strings take about 200.
        let capacity = log.lock().bytes.capacity();
        assert!(capacity <= 10 << 10, "{capacity} bytes");
    }

    #[test]
    fn long_entries_are_kept_within_the_byte_budget() {
        let mut log = TenantLog::default();
        for i in 0..100 {
            // 1024 three-byte characters: the longest note a guest can write.
            log.note(Level::Warn, format!("{i:04}{}", "€".repeat(2000)));
        }
        let ring_capacity = log.lock().bytes.capacity();
        assert!(ring_capacity <= TenantLog::MAX_BYTES, "{ring_capacity}");
        let entries = log.entries();
        assert!(
            !entries.is_empty() && entries.len() < 10,
            "{}",
            entries.len()
        );
        // The newest are the ones kept.
        let LogEvent::Note(last) = &entries.last().unwrap().event else {
            panic!("{entries:?}");
        };
        assert!(last.starts_with("0099"), "{}", &last[..8]);
        // A short entry after them still goes in, and the count cap still holds.
        log.note(Level::Info, "short".into());
        assert_eq!(
            log.entries().last().unwrap().event,
            LogEvent::Note("short".into())
        );
    }

    #[test]
    fn clones_share_one_log() {
        let log = TenantLog::default();
        let mut writer = log.clone();
        writer.note(Level::Debug, "kept".into());
        assert_eq!(log.entries().len(), 1);
        assert_eq!(log.entries()[0].level, Level::Debug);
    }
}
