//! Simulated time: the real monotonic clock plus an offset that tests push forward, so tokens can
//! expire without anyone waiting half an hour. A test can also freeze it, so that several writes
//! land in the same second (docs/servicenow/polling.md: ties are common) or in known ones.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(crate) struct Clock {
    /// Wall-clock time when the simulator started, as time since the Unix epoch.
    wall_at_start: Duration,
    started: Instant,
    offset: Duration,
    /// Real time stops here once frozen; only `advance` moves the clock then.
    frozen: Option<Duration>,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            wall_at_start: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
            started: Instant::now(),
            offset: Duration::ZERO,
            frozen: None,
        }
    }

    /// Simulated time since the Unix epoch.
    pub(crate) fn now(&self) -> Duration {
        self.frozen.unwrap_or_else(|| self.real()) + self.offset
    }

    fn real(&self) -> Duration {
        self.wall_at_start + self.started.elapsed()
    }

    /// Stops real time from moving the clock; `advance` still does.
    pub(crate) fn freeze(&mut self) {
        if self.frozen.is_none() {
            self.frozen = Some(self.real());
        }
    }

    pub(crate) fn advance(&mut self, by: Duration) {
        self.offset = self.offset.saturating_add(by);
    }

    /// docs/servicenow/records.md#identifiers: raw date-time values are "YYYY-MM-DD HH:MM:SS" in
    /// UTC.
    pub(crate) fn timestamp(&self) -> String {
        format_timestamp(self.now().as_secs())
    }

    /// The `Date` header of an answer: the instance's clock, the one that stamps its records
    /// (RFC 9110 section 6.6.1: an origin server with a clock sends it on every answer; [I] that
    /// ServiceNow's is the same clock as `sys_updated_on`'s, as on any one machine).
    pub(crate) fn http_date(&self) -> String {
        format_http_date(self.now().as_secs())
    }
}

/// Formats seconds since the Unix epoch as RFC 9110's IMF-fixdate,
/// "Sun, 06 Nov 1994 08:49:37 GMT".
pub(crate) fn format_http_date(unix_secs: u64) -> String {
    const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_secs / 86_400;
    let secs_of_day = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[((days + 4) % 7) as usize];
    let month = MONTHS[(month - 1) as usize];
    format!(
        "{weekday}, {day:02} {month} {year:04} {:02}:{:02}:{:02} GMT",
        secs_of_day / 3600,
        secs_of_day % 3600 / 60,
        secs_of_day % 60
    )
}

/// Formats seconds since the Unix epoch as "YYYY-MM-DD HH:MM:SS" (UTC).
pub(crate) fn format_timestamp(unix_secs: u64) -> String {
    let days = unix_secs / 86_400;
    let secs_of_day = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        secs_of_day / 3600,
        secs_of_day % 3600 / 60,
        secs_of_day % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm,
/// restricted to dates on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants_as_http_dates() {
        assert_eq!(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            format_http_date(784_111_777),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(
            format_http_date(951_782_400),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
        assert_eq!(
            format_http_date(1_735_689_599),
            "Tue, 31 Dec 2024 23:59:59 GMT"
        );
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_timestamp(0), "1970-01-01 00:00:00");
        assert_eq!(format_timestamp(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(format_timestamp(1_718_454_896), "2024-06-15 12:34:56");
        assert_eq!(format_timestamp(1_735_689_599), "2024-12-31 23:59:59");
    }

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let mut clock = Clock::new();
        clock.freeze();
        let frozen = clock.now();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(clock.now(), frozen);
        clock.advance(Duration::from_secs(1));
        assert_eq!(clock.now(), frozen + Duration::from_secs(1));
        clock.freeze();
        assert_eq!(clock.now(), frozen + Duration::from_secs(1));
    }

    #[test]
    fn advancing_moves_now_forward() {
        let mut clock = Clock::new();
        let before = clock.now();
        clock.advance(Duration::from_secs(1800));
        assert!(clock.now() >= before + Duration::from_secs(1800));
    }
}
