//! Checks of the plain values an edit carries: numbers on their scales, words from their
//! lists, dates, times and non-empty texts.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use workshop_shared::schema::{ActionStatus, DOTS_RANGE, SCORE_RANGE, WEIGHT_RANGE};

use super::EditError;

/// A scale of DOMAIN.md section 2, for checking and explaining a number.
pub(super) struct Scale {
    what: &'static str,
    range: (i64, i64),
    meaning: &'static str,
}

impl Scale {
    pub(super) fn check(&self, value: i64) -> Result<i64, EditError> {
        let (min, max) = self.range;
        if (min..=max).contains(&value) {
            Ok(value)
        } else {
            Err(EditError::OutOfRange {
                what: self.what,
                value,
                min,
                max,
                meaning: self.meaning,
            })
        }
    }

    pub(super) fn check_opt(&self, value: Option<i64>) -> Result<Option<i64>, EditError> {
        value.map(|v| self.check(v)).transpose()
    }
}

pub(super) const SCORE: Scale = Scale {
    what: "score",
    range: SCORE_RANGE,
    meaning: "1 = major area for development, 3 = adequate, 5 = real strength",
};
pub(super) const QUICK_SCORE: Scale = Scale {
    what: "quick score",
    range: SCORE_RANGE,
    meaning: "1 = major area for development, 3 = adequate, 5 = real strength",
};
pub(super) const WEIGHT: Scale = Scale {
    what: "weight",
    range: WEIGHT_RANGE,
    meaning: "0 = not relevant here, 1 = low, 2 = medium, 3 = high importance",
};
pub(super) const IMPACT: Scale = Scale {
    what: "impact",
    range: SCORE_RANGE,
    meaning: "how much a constraint holds back, or an enabler helps: 1 = a little, 5 = a lot",
};
pub(super) const DOTS: Scale = Scale {
    what: "number of dots",
    range: DOTS_RANGE,
    meaning: "your priority votes on one constraint or enabler; 0 takes yours back",
};

/// `Some` non-empty string, or `None` for `None` and `Some("")`.
pub(super) fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

/// `text` trimmed, refused when nothing is left.
pub(super) fn non_empty<'t>(text: &'t str, what: &'static str) -> Result<&'t str, EditError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Err(EditError::Empty { what })
    } else {
        Ok(trimmed)
    }
}

/// Parses one of a fixed set of words.
pub(super) fn choice<'v, T: Copy>(
    what: &'static str,
    value: &'v str,
    parse: impl Fn(&'v str) -> Option<T>,
    all: &[T],
    spell: impl Fn(T) -> &'static str,
) -> Result<T, EditError> {
    parse(value).ok_or_else(|| EditError::BadChoice {
        what,
        value: value.to_owned(),
        valid: all.iter().map(|v| spell(*v)).collect(),
    })
}

pub(super) fn action_status(value: &str) -> Result<ActionStatus, EditError> {
    choice(
        "action status",
        value,
        ActionStatus::parse,
        ActionStatus::ALL,
        |s| s.as_str(),
    )
}

/// Checks a strict `YYYY-MM-DD` calendar date.
pub(super) fn date(value: &str) -> Result<&str, EditError> {
    let bad = || EditError::BadDate {
        value: value.to_owned(),
    };
    let shaped = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err(bad());
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value, &format).map_err(|_| bad())?;
    Ok(value)
}

/// Checks an RFC 3339 creation time.
pub(super) fn timestamp(value: &str) -> Result<&str, EditError> {
    OffsetDateTime::parse(value, &Rfc3339)
        .map(|_| value)
        .map_err(|_| EditError::BadTimestamp {
            value: value.to_owned(),
        })
}
