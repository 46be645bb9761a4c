//! `created_at` as DOMAIN.md section 5.1 item 6 reads it: an RFC 3339 instant, to the
//! nanosecond.
//!
//! The grammar is RFC 3339's `date-time`, read exactly:
//!
//! ```text
//! YYYY-MM-DD ( "T" | "t" | " " ) hh:mm:ss [ "." digit+ ] ( "Z" | "z" | ( "+" | "-" ) hh:mm )
//! ```
//!
//! - the date is a real calendar date; hours ≤ 23, minutes ≤ 59, seconds ≤ 59;
//! - the fraction counts to the nanosecond, and digits after the ninth are ignored;
//! - the offset's hours ≤ 23 and minutes ≤ 59;
//! - a leap second (`:60`) stands only where it falls on the last second of a month in UTC
//!   (`23:59:60Z` on the 30th of June, say, or `01:59:60+02:00` on the first of July), and
//!   sorts as `:59.999999999` of that second's minute, whatever its fraction.
//!
//! Anything else is not an instant. The `time` crate's own RFC 3339 parser is not used: it
//! takes any byte as the separator between date and time.

use time::{Date, Duration, Month, PrimitiveDateTime, Time};

/// Nanoseconds a leap second sorts at within its minute's last second.
const LAST_NANOSECOND: u32 = 999_999_999;

/// Parses an RFC 3339 instant into Unix nanoseconds; `None` unless it is one exactly.
pub(crate) fn parse_instant(text: &str) -> Option<i128> {
    let mut input = Input(text.as_bytes());
    let year = input.digits(4)?;
    input.byte(b'-')?;
    let month = input.digits(2)?;
    input.byte(b'-')?;
    let day = input.digits(2)?;
    input.one_of(b"Tt ")?;
    let hour = input.digits(2)?;
    input.byte(b':')?;
    let minute = input.digits(2)?;
    input.byte(b':')?;
    let second = input.digits(2)?;
    let nanosecond = if input.byte(b'.').is_some() {
        input.fraction()?
    } else {
        0
    };
    let offset_minutes = match input.one_of(b"Zz+-")? {
        b'Z' | b'z' => 0,
        sign => {
            let hours = input.digits(2)?;
            input.byte(b':')?;
            let minutes = input.digits(2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let total = i64::from(hours * 60 + minutes);
            if sign == b'-' {
                -total
            } else {
                total
            }
        }
    };
    if !input.0.is_empty() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let date = Date::from_calendar_date(
        i32::try_from(year).ok()?,
        Month::try_from(u8::try_from(month).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let leap = second == 60;
    let (second, nanosecond) = if leap {
        (59, LAST_NANOSECOND)
    } else {
        (second, nanosecond)
    };
    let time = Time::from_hms_nano(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
        nanosecond,
    )
    .ok()?;
    let utc = PrimitiveDateTime::new(date, time)
        .checked_sub(Duration::minutes(offset_minutes))?
        .assume_utc();
    if leap && !is_last_second_of_a_month(utc.date(), utc.time()) {
        return None;
    }
    Some(utc.unix_timestamp_nanos())
}

/// True at 23:59:59 (any fraction) on the last day of a month.
fn is_last_second_of_a_month(date: Date, time: Time) -> bool {
    (time.hour(), time.minute(), time.second()) == (23, 59, 59)
        && date.next_day().is_none_or(|next| next.day() == 1)
}

/// What is left of the text being parsed.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    /// Exactly `count` ASCII digits, as a number.
    fn digits(&mut self, count: usize) -> Option<u32> {
        let (head, rest) = self.0.split_at_checked(count)?;
        let mut value = 0;
        for &byte in head {
            if !byte.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(byte - b'0');
        }
        self.0 = rest;
        Some(value)
    }

    /// The byte `expected`.
    fn byte(&mut self, expected: u8) -> Option<()> {
        self.one_of(&[expected]).map(drop)
    }

    /// One of `allowed`, returned.
    fn one_of(&mut self, allowed: &[u8]) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        if !allowed.contains(&first) {
            return None;
        }
        self.0 = rest;
        Some(first)
    }

    /// One or more digits after a decimal point, as nanoseconds (digits after the ninth
    /// ignored).
    fn fraction(&mut self) -> Option<u32> {
        let count = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
        if count == 0 {
            return None;
        }
        let mut nanos = 0;
        for position in 0..9 {
            let digit = self.0.get(position).filter(|_| position < count);
            nanos = nanos * 10 + digit.map_or(0, |&d| u32::from(d - b'0'));
        }
        self.0 = &self.0[count..];
        Some(nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i128 = 1_000_000_000;
    /// 2026-01-01T00:00:00Z.
    const NEW_YEAR_2026: i128 = 1_767_225_600 * SECOND;

    #[test]
    fn reads_the_separators_rfc_3339_allows_and_no_other() {
        for text in [
            "2026-01-01T00:00:00Z",
            "2026-01-01t00:00:00z",
            "2026-01-01 00:00:00Z",
        ] {
            assert_eq!(parse_instant(text), Some(NEW_YEAR_2026), "{text}");
        }
        for separator in ["x", "_", "/", "  ", "", "\t", "é", "TT"] {
            let text = format!("2026-01-01{separator}00:00:00Z");
            assert_eq!(parse_instant(&text), None, "{text:?}");
        }
    }

    #[test]
    fn the_time_crate_alone_would_take_any_separator() {
        // Why the separator is checked here: if this ever fails, the crate became strict.
        use time::format_description::well_known::Rfc3339;
        assert!(time::OffsetDateTime::parse("2026-01-01x00:00:00Z", &Rfc3339).is_ok());
    }

    #[test]
    fn offsets_shift_to_utc_within_their_ranges() {
        assert_eq!(
            parse_instant("2026-01-01T01:30:00+01:30"),
            Some(NEW_YEAR_2026)
        );
        assert_eq!(
            parse_instant("2025-12-31T23:00:00-01:00"),
            Some(NEW_YEAR_2026)
        );
        assert_eq!(
            parse_instant("2026-01-01T00:00:00-00:00"),
            Some(NEW_YEAR_2026)
        );
        assert_eq!(
            parse_instant("2026-01-01T23:59:00+23:59"),
            Some(NEW_YEAR_2026)
        );
        for text in [
            "2026-01-01T00:00:00+24:00",
            "2026-01-01T00:00:00+01:60",
            "2026-01-01T00:00:00+0100",
            "2026-01-01T00:00:00+01",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00UTC",
            "2026-01-01T00:00:00Z ",
            " 2026-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_instant(text), None, "{text:?}");
        }
    }

    #[test]
    fn fractions_count_to_the_nanosecond_and_no_further() {
        let at = |text: &str| parse_instant(text).map(|n| n - NEW_YEAR_2026);
        assert_eq!(at("2026-01-01T00:00:00.5Z"), Some(500_000_000));
        assert_eq!(at("2026-01-01T00:00:00.000000001Z"), Some(1));
        assert_eq!(at("2026-01-01T00:00:00.0000000019999Z"), Some(1));
        assert_eq!(
            at("2026-01-01T00:00:00.123456789123456789Z"),
            Some(123_456_789)
        );
        for text in [
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00,5Z",
            "2026-01-01T00:00:00.5.5Z",
            "2026-01-01T00:00:00.-5Z",
        ] {
            assert_eq!(parse_instant(text), None, "{text:?}");
        }
    }

    #[test]
    fn fields_are_in_range_and_dates_real() {
        for text in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-01-00T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-01-01T00:00:61Z",
            "2026-1-01T00:00:00Z",
            "+2026-01-01T00:00:00Z",
            "2026-01-01T0:00:00Z",
            "2026-01-01T00:00Z",
            "",
        ] {
            assert_eq!(parse_instant(text), None, "{text:?}");
        }
        assert!(parse_instant("2024-02-29T00:00:00Z").is_some());
        assert!(parse_instant("0000-01-01T00:00:00Z").is_some());
        assert!(parse_instant("9999-12-31T23:59:59.999999999Z").is_some());
    }

    #[test]
    fn a_leap_second_stands_only_as_the_last_second_of_a_month_in_utc() {
        let last = parse_instant("2016-12-31T23:59:59.999999999Z");
        assert_eq!(parse_instant("2016-12-31T23:59:60Z"), last);
        assert_eq!(parse_instant("2016-12-31T23:59:60.25Z"), last);
        assert_eq!(parse_instant("2017-01-01T00:59:60+01:00"), last);
        assert_eq!(parse_instant("2016-12-31T22:59:60-01:00"), last);
        assert_eq!(
            parse_instant("2026-06-30T23:59:60Z"),
            parse_instant("2026-06-30T23:59:59.999999999Z")
        );
        assert!(parse_instant("2024-02-29T23:59:60Z").is_some());
        for text in [
            "2016-12-30T23:59:60Z",
            "2016-12-31T23:58:60Z",
            "2016-12-31T22:59:60Z",
            "2016-12-31T23:59:60+01:00",
            "2024-02-28T23:59:60Z",
        ] {
            assert_eq!(parse_instant(text), None, "{text:?}");
        }
        // It sorts before the next month's first instant and after its own minute's others.
        assert!(last < parse_instant("2017-01-01T00:00:00Z"));
        assert!(last > parse_instant("2016-12-31T23:59:59.999999998Z"));
    }
}
