//! Wall-clock time, injected so tests can fix it.

use std::sync::Arc;

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

/// A source of the current UTC time; cheap to clone.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> OffsetDateTime + Send + Sync>);

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Clock").field(&self.now()).finish()
    }
}

impl Clock {
    /// The operating system's clock.
    pub fn system() -> Clock {
        Clock(Arc::new(OffsetDateTime::now_utc))
    }

    /// A clock that asks `now` for the time (tests use a fixed or stepping one).
    pub fn from_fn(now: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    /// The current time in UTC.
    pub fn now(&self) -> OffsetDateTime {
        (self.0)().to_offset(time::UtcOffset::UTC)
    }

    /// Today's date in UTC, what the engine takes as "today".
    pub fn today(&self) -> Date {
        self.now().date()
    }

    /// The current time as RFC 3339 with millisecond precision, e.g. `2026-11-23T09:00:00.123Z`.
    pub fn timestamp(&self) -> String {
        rfc3339(self.now())
    }
}

/// Formats a time as RFC 3339 in UTC with millisecond precision.
pub fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    // Whole milliseconds keep the strings short and of one width, so they also sort as text.
    let at = at
        .replace_nanosecond(at.millisecond() as u32 * 1_000_000)
        .unwrap_or(at);
    at.format(&Rfc3339)
        // Formatting only fails for years outside 0..=9999.
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00Z"))
}

/// Parses an RFC 3339 time, `None` if it is not one.
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        let clock = Clock::from_fn(|| datetime!(2026-11-23 10:00:00.123456 +01:00));
        assert_eq!(clock.timestamp(), "2026-11-23T09:00:00.123Z");
        assert_eq!(
            parse_rfc3339(&clock.timestamp()).unwrap(),
            datetime!(2026-11-23 09:00:00.123 UTC)
        );
        assert_eq!(clock.today(), time::macros::date!(2026 - 11 - 23));
    }
}
