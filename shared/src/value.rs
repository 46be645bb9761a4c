//! Tolerant reading of single values (DOMAIN.md section 2).
//!
//! A value is either not set (absent, `null` or `undefined`), valid, or invalid. Numbers may be
//! integers or floats with an integral value; booleans and strings are never numbers.

use std::sync::Arc;

use yrs::any::Number;
use yrs::{Any, Out};

/// One value as the reader sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Read<T> {
    /// Absent, `null` or `undefined`: not set, and no warning.
    Unset,
    /// A valid value.
    Valid(T),
    /// Present but not valid: ignored, with a warning.
    Invalid,
}

/// True when the value is absent or JSON null / undefined.
#[inline]
pub(crate) fn is_unset(out: Option<&Out>) -> bool {
    matches!(out, None | Some(Out::Any(Any::Null | Any::Undefined)))
}

/// Reads an integer in `lo..=hi`.
#[inline]
pub(crate) fn int_in(out: Option<&Out>, (lo, hi): (i64, i64)) -> Read<u8> {
    let integer = match out {
        Some(Out::Any(Any::Number(Number::Int(i)))) => *i,
        Some(Out::Any(Any::Number(Number::Float(f)))) if f.is_finite() && f.trunc() == *f => {
            // Exact for every value in a small range; anything outside fails the range check.
            *f as i64
        }
        other if is_unset(other) => return Read::Unset,
        _ => return Read::Invalid,
    };
    match u8::try_from(integer) {
        Ok(small) if (lo..=hi).contains(&integer) => Read::Valid(small),
        _ => Read::Invalid,
    }
}

/// Reads a finite number (an `order`).
pub(crate) fn finite(out: Option<&Out>) -> Read<f64> {
    if is_unset(out) {
        return Read::Unset;
    }
    match out {
        Some(Out::Any(Any::Number(Number::Int(i)))) => Read::Valid(*i as f64),
        Some(Out::Any(Any::Number(Number::Float(f)))) if f.is_finite() => Read::Valid(*f),
        _ => Read::Invalid,
    }
}

/// Reads a string.
pub(crate) fn string(out: Option<&Out>) -> Read<Arc<str>> {
    if is_unset(out) {
        return Read::Unset;
    }
    match out {
        Some(Out::Any(Any::String(s))) => Read::Valid(s.clone()),
        _ => Read::Invalid,
    }
}

impl<T> Read<T> {
    /// The valid value, if any.
    pub(crate) fn valid(self) -> Option<T> {
        match self {
            Read::Valid(value) => Some(value),
            Read::Unset | Read::Invalid => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(value: Any) -> Option<Out> {
        Some(Out::Any(value))
    }

    #[test]
    fn integers_and_integral_floats_in_range_are_valid() {
        assert_eq!(
            int_in(any(Any::from(3i64)).as_ref(), (1, 5)),
            Read::Valid(3)
        );
        assert_eq!(
            int_in(any(Any::from(3.0f64)).as_ref(), (1, 5)),
            Read::Valid(3)
        );
        assert_eq!(
            int_in(any(Any::from(-0.0f64)).as_ref(), (0, 3)),
            Read::Valid(0)
        );
    }

    #[test]
    fn fractions_out_of_range_strings_and_booleans_are_invalid() {
        for value in [
            Any::from(3.5f64),
            Any::from(7i64),
            Any::from(0i64),
            Any::from(f64::NAN),
            Any::from(f64::INFINITY),
            Any::from(1e300f64),
            Any::from(i64::MIN),
            Any::from("3"),
            Any::from("high"),
            Any::Bool(true),
        ] {
            assert_eq!(
                int_in(any(value.clone()).as_ref(), (1, 5)),
                Read::Invalid,
                "{value:?}"
            );
        }
    }

    #[test]
    fn null_undefined_and_absent_are_unset() {
        assert_eq!(int_in(None, (1, 5)), Read::Unset);
        assert_eq!(int_in(any(Any::Null).as_ref(), (1, 5)), Read::Unset);
        assert_eq!(int_in(any(Any::Undefined).as_ref(), (1, 5)), Read::Unset);
        assert_eq!(string(any(Any::Null).as_ref()), Read::Unset);
    }

    #[test]
    fn order_is_any_finite_number() {
        assert_eq!(finite(any(Any::from(1.5f64)).as_ref()), Read::Valid(1.5));
        assert_eq!(finite(any(Any::from(-2i64)).as_ref()), Read::Valid(-2.0));
        assert_eq!(finite(any(Any::from(f64::NAN)).as_ref()), Read::Invalid);
        assert_eq!(finite(any(Any::from("1")).as_ref()), Read::Invalid);
    }
}
