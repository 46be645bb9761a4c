//! Medians and the rounding rules of DOMAIN.md 5.1 rule 2.

/// Median of valid values: odd count, the middle; even count, the mean of the two middles.
pub(crate) fn median(values: impl IntoIterator<Item = u8>) -> Option<f64> {
    let mut sorted: Vec<u8> = values.into_iter().collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        Some(f64::from(sorted[mid]))
    } else {
        Some((f64::from(sorted[mid - 1]) + f64::from(sorted[mid])) / 2.0)
    }
}

/// A figure as shown: rounded to 3 decimals, half away from zero.
pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A figure in whole thousandths: every comparison is made on these, so equal shown values tie.
pub(crate) fn milli(x: f64) -> i64 {
    // `as` saturates; every figure here is small and finite.
    (x * 1000.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median([]), None);
        assert_eq!(median([4]), Some(4.0));
        assert_eq!(median([5, 1, 3]), Some(3.0));
        assert_eq!(median([2, 5]), Some(3.5));
        assert_eq!(median([1, 4, 2, 5]), Some(3.0));
        assert_eq!(median([1, 1, 2, 5]), Some(1.5));
    }

    #[test]
    fn rounding_is_half_away_from_zero_on_thousandths() {
        assert_eq!(round3(2.0 / 3.0), 0.667);
        assert_eq!(round3(0.0005), 0.001);
        assert_eq!(round3(-0.0005), -0.001);
        assert_eq!(milli(0.7499999), 750);
        assert_eq!(milli(0.7494), 749);
        assert_eq!(milli(-5.0), -5000);
    }
}
