//! The tenant's log as the CLI prints it with `-v`.

use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use ticketing_host::{LogEntry, LogEvent, level_name};

use ticketing_host::printable;

/// The tenant's log for `-v`: one line per entry, UTC time first. The host cleaned what the
/// component wrote; control characters are dropped here once more all the same.
pub fn log(entries: &[LogEntry]) -> String {
    let mut out = String::new();
    if entries.is_empty() {
        out.push_str("log: (empty)\n");
    }
    for entry in entries {
        let what = match &entry.event {
            LogEvent::Exchange(ex) => {
                let status = ex
                    .status
                    .map_or_else(|| "no answer".to_string(), |s| s.to_string());
                let mut line = format!(
                    "{} {} → {status} ({} ms, attempt {})",
                    ex.method, ex.path, ex.duration_ms, ex.attempt
                );
                if let Some(message) = &ex.message {
                    let _ = write!(line, ": {message}");
                }
                line
            }
            LogEvent::Note(note) => note.clone(),
            LogEvent::Host(note) => format!("[host] {note}"),
        };
        let _ = writeln!(
            out,
            "log: {} {:5} {}",
            utc(entry.time),
            level_name(entry.level),
            printable(&what)
        );
    }
    out
}

/// `2026-11-26T09:30:01.250Z`.
fn utc(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's days-to-civil.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use ticketing_host::api::log::{Exchange, Level};

    #[test]
    fn times_are_utc() {
        assert_eq!(utc(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_000_000_250);
        assert_eq!(utc(t), "2026-11-18T11:06:40.250Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(utc(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn entries_print_one_line_each() {
        let entries = [
            LogEntry {
                time: UNIX_EPOCH,
                level: Level::Warn,
                event: LogEvent::Exchange(Exchange {
                    method: "POST".into(),
                    path: "/oauth_token.do".into(),
                    status: Some(401),
                    duration_ms: 12,
                    attempt: 1,
                    message: Some("access_denied\x1b[2J".into()),
                }),
            },
            LogEntry {
                time: UNIX_EPOCH,
                level: Level::Error,
                event: LogEvent::Host("refused".into()),
            },
        ];
        let text = log(&entries);
        assert_eq!(
            text,
            "log: 1970-01-01T00:00:00.000Z warn  POST /oauth_token.do → 401 (12 ms, attempt 1): access_denied [2J\n\
             log: 1970-01-01T00:00:00.000Z error [host] refused\n"
        );
    }
}
