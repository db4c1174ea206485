//! Times as ServiceNow stores them, and the conversions the component needs (HTTP dates,
//! seconds since the epoch, the compact form a cursor carries).

use crate::primitives::prelude::*;

use core::fmt;

use crate::primitives::json::{self, Value};

/// A time as ServiceNow stores it: UTC `YYYY-MM-DD HH:MM:SS` (docs/servicenow/polling.md), checked
/// to be a real one. In that shape text order is time order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(String);

impl Timestamp {
    pub fn parse(text: &str) -> Option<Self> {
        let shape = text.len() == 19
            && text.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                10 => b == b' ',
                13 | 16 => b == b':',
                _ => b.is_ascii_digit(),
            });
        if !shape {
            return None;
        }
        let number = |range| digits(text, range);
        let (year, month, day) = (number(0..4), number(5..7), number(8..10));
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        let valid = year >= 1970
            && (1..=days).contains(&day)
            && number(11..13) < 24
            && number(14..16) < 60
            && number(17..19) < 60;
        valid.then(|| Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The instance's clock as an answer's `Date` header gives it: RFC 9110's IMF-fixdate
    /// (`Sun, 06 Nov 1994 08:49:37 GMT`), the one form a server may send; `None` for
    /// anything else.
    pub fn from_http_date(text: &str) -> Option<Self> {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        const NUMBERS: [&str; 12] = [
            "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12",
        ];
        let part = |range| text.get(range);
        if text.len() != 29 || part(3..5)? != ", " || part(25..29)? != " GMT" {
            return None;
        }
        let month = MONTHS.iter().position(|m| Some(*m) == part(8..11))?;
        let mut iso = String::with_capacity(19);
        iso.push_str(part(12..16)?);
        iso.push('-');
        iso.push_str(NUMBERS[month]);
        iso.push('-');
        iso.push_str(part(5..7)?);
        iso.push(' ');
        iso.push_str(part(17..25)?);
        (part(7..8)? == " " && part(11..12)? == " " && part(16..17)? == " ")
            .then(|| Self::parse(&iso))
            .flatten()
    }

    /// Seconds since the Unix epoch (the time was checked to be one from 1970 on).
    fn unix_seconds(&self) -> u64 {
        let number = |range| digits(&self.0, range);
        let (year, month, day) = (number(0..4), number(5..7), number(8..10));
        // Howard Hinnant's `days_from_civil`: years counted from March, so that the leap
        // day is the last of its year.
        let year = if month <= 2 { year - 1 } else { year };
        let (era, year_of_era) = (year / 400, year % 400);
        let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        let days = era * 146_097 + day_of_era - 719_468;
        days * 86_400 + number(11..13) * 3600 + number(14..16) * 60 + number(17..19)
    }

    /// The time `seconds` after the Unix epoch (Howard Hinnant's `civil_from_days`).
    fn from_unix_seconds(seconds: u64) -> Self {
        let (days, second) = (seconds / 86_400, seconds % 86_400);
        let z = days + 719_468;
        let era = z / 146_097;
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        };
        let year = year_of_era + era * 400 + u64::from(month <= 2);
        Self(format!(
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
            second / 3600,
            second / 60 % 60,
            second % 60
        ))
    }

    /// The time `seconds` earlier (never before the epoch).
    pub fn seconds_earlier(&self, seconds: u64) -> Self {
        Self::from_unix_seconds(self.unix_seconds().saturating_sub(seconds))
    }

    /// `YYYYMMDDHHMMSS`: the cursor's spelling, without the space and separators.
    pub fn compact(&self) -> String {
        self.0.chars().filter(char::is_ascii_digit).collect()
    }

    pub fn from_compact(digits: &str) -> Option<Self> {
        if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Self::parse(&format!(
            "{}-{}-{} {}:{}:{}",
            &digits[0..4],
            &digits[4..6],
            &digits[6..8],
            &digits[8..10],
            &digits[10..12],
            &digits[12..14]
        ))
    }
}

/// The number written in `text[range]`, whose bytes were checked to be ASCII digits.
fn digits(text: &str, range: core::ops::Range<usize>) -> u64 {
    text.as_bytes()[range]
        .iter()
        .fold(0, |n, b| n * 10 + u64::from(b - b'0'))
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A column holding a time.
pub fn timestamp(value: &Value) -> Result<Timestamp, json::Error> {
    let text = json::string(value)?;
    Timestamp::parse(&text)
        .ok_or_else(|| json::invalid_value(value, "a UTC time as \"YYYY-MM-DD HH:MM:SS\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::values::ts;
    use proptest::prelude::*;

    #[test]
    fn timestamps_are_real_utc_times() {
        assert_eq!(ts("2024-02-29 23:59:59").as_str(), "2024-02-29 23:59:59");
        for bad in [
            "",
            "2023-02-29 00:00:00",
            "2024-13-01 00:00:00",
            "2024-04-31 00:00:00",
            "2024-01-01 24:00:00",
            "2024-01-01 00:60:00",
            "2024-01-01T00:00:00",
            "2024-01-01 00:00",
            "1969-12-31 23:59:59",
            "2024-01-01 00:00:00 ",
            "２０２４-01-01 00:00:00",
            "+024-01-01 00:00:00",
        ] {
            assert!(Timestamp::parse(bad).is_none(), "{bad:?}");
        }
        assert!(ts("2024-01-01 00:00:10") > ts("2024-01-01 00:00:09"));
        let time = ts("2026-01-02 03:04:05");
        assert_eq!(time.compact(), "20260102030405");
        assert_eq!(Timestamp::from_compact(&time.compact()), Some(time));
    }

    #[test]
    fn a_date_header_is_read_as_the_instances_clock() {
        for (date, time) in [
            ("Sun, 06 Nov 1994 08:49:37 GMT", "1994-11-06 08:49:37"),
            ("Thu, 26 Nov 2026 14:52:13 GMT", "2026-11-26 14:52:13"),
            ("Thu, 29 Feb 2024 23:59:59 GMT", "2024-02-29 23:59:59"),
            ("Fri, 01 Jan 1970 00:00:00 GMT", "1970-01-01 00:00:00"),
        ] {
            assert_eq!(Timestamp::from_http_date(date), Some(ts(time)), "{date}");
        }
        for bad in [
            "",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nox 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT ",
            "Sun, 06 Nov 1994 8:49:37  GMT",
            "Sun, 06 Nov 1994 08:49:3é GMT",
            "Sun, 06 Nov 1994T08:49:37 GMT",
            "Sun,\u{a0}6 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(Timestamp::from_http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn seconds_since_the_epoch_are_counted_across_leap_days_and_years() {
        for (time, seconds) in [
            ("1970-01-01 00:00:00", 0),
            ("1970-03-01 00:00:00", 59 * 86_400),
            ("2000-02-29 00:00:00", 951_782_400),
            ("2000-03-01 00:00:00", 951_868_800),
            ("2024-06-15 12:34:56", 1_718_454_896),
            ("2024-12-31 23:59:59", 1_735_689_599),
            ("2100-03-01 00:00:00", 4_107_542_400),
        ] {
            assert_eq!(ts(time).unix_seconds(), seconds, "{time}");
            assert_eq!(Timestamp::from_unix_seconds(seconds), ts(time), "{seconds}");
        }
        // Every day of four centuries, either way.
        for day in (0..146_097 * 4).step_by(97) {
            let seconds = day * 86_400 + 86_399;
            assert_eq!(
                Timestamp::from_unix_seconds(seconds).unix_seconds(),
                seconds
            );
        }
        assert_eq!(
            ts("2024-03-01 00:00:00").seconds_earlier(1),
            ts("2024-02-29 23:59:59")
        );
        assert_eq!(
            ts("1970-01-01 00:00:00").seconds_earlier(1),
            ts("1970-01-01 00:00:00")
        );
    }

    proptest! {
        #[test]
        fn an_accepted_time_is_a_real_one(text in prop_oneof!["[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", ".{0,20}"]) {
            if let Some(time) = Timestamp::parse(&text) {
                prop_assert_eq!(time.as_str(), text.as_str());
                let month: u32 = text[5..7].parse().unwrap();
                let day: u32 = text[8..10].parse().unwrap();
                prop_assert!((1..=12).contains(&month) && (1..=31).contains(&day));
            }
        }
    }
}
