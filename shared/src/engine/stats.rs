//! Medians, spreads and the rounding rules of DOMAIN.md 5.1 rule 2.

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

/// Counts of vote values, for medians and spreads without sorting: every valid vote is a
/// small number (0 to 5), so a full workshop's thousands of votes are counted, not sorted.
/// A value of [`Tally::SMALL`] or more (only a hand-made [`crate::model::Votes`] holds one) is
/// kept in a list instead, and the median then sorts as [`median`] does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Tally {
    /// How many votes of each small value.
    counts: [u32; Tally::SMALL as usize],
    /// Votes of larger values, unsorted.
    large: Vec<u8>,
}

impl Tally {
    /// Values below this are counted.
    pub(crate) const SMALL: u8 = 8;

    /// The tally of some values.
    pub(crate) fn of(values: impl IntoIterator<Item = u8>) -> Self {
        let mut tally = Tally::default();
        for value in values {
            tally.add(value);
        }
        tally
    }

    /// Counts one more value.
    #[inline]
    pub(crate) fn add(&mut self, value: u8) {
        match self.counts.get_mut(usize::from(value)) {
            Some(count) => *count += 1,
            None => self.large.push(value),
        }
    }

    /// Number of values counted.
    pub(crate) fn len(&self) -> usize {
        self.counts.iter().map(|c| *c as usize).sum::<usize>() + self.large.len()
    }

    /// The `n`th smallest value (0-based), if there are more than `n`.
    fn nth(&self, n: usize) -> Option<u8> {
        let mut seen = 0usize;
        for (value, count) in (0u8..).zip(self.counts) {
            seen += count as usize;
            if n < seen {
                return Some(value);
            }
        }
        let mut large = self.large.clone();
        large.sort_unstable();
        large.get(n - seen).copied()
    }

    /// The median, exactly as [`median`] computes it from the same values.
    pub(crate) fn median(&self) -> Option<f64> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        let mid = len / 2;
        let upper = f64::from(self.nth(mid)?);
        if len % 2 == 1 {
            Some(upper)
        } else {
            Some((f64::from(self.nth(mid - 1)?) + upper) / 2.0)
        }
    }

    /// max − min of the values; 0 with fewer than two.
    pub(crate) fn spread(&self) -> u8 {
        let len = self.len();
        match (
            self.nth(0),
            len.checked_sub(1).and_then(|last| self.nth(last)),
        ) {
            (Some(min), Some(max)) if len >= 2 => max - min,
            _ => 0,
        }
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
    fn tally_median_and_spread() {
        assert_eq!(Tally::of([]).median(), None);
        assert_eq!(Tally::of([]).spread(), 0);
        assert_eq!(Tally::of([4]).spread(), 0);
        assert_eq!(Tally::of([5, 1, 3]).median(), Some(3.0));
        assert_eq!(Tally::of([5, 1, 3]).spread(), 4);
        assert_eq!(Tally::of([2, 5]).median(), Some(3.5));
        assert_eq!(Tally::of([200, 1, 9, 7]).median(), Some(8.0));
        assert_eq!(Tally::of([200, 1, 9, 7]).spread(), 199);
        assert_eq!(Tally::of([255, 0]).spread(), 255);
    }

    proptest::proptest! {
        #[test]
        fn tally_agrees_with_sorting(
            values in proptest::collection::vec(proptest::prop_oneof![0..6u8, proptest::num::u8::ANY], 0..40),
        ) {
            let tally = Tally::of(values.iter().copied());
            proptest::prop_assert_eq!(tally.median(), median(values.iter().copied()));
            let spread = match (values.iter().min(), values.iter().max()) {
                (Some(min), Some(max)) if values.len() >= 2 => max - min,
                _ => 0,
            };
            proptest::prop_assert_eq!(tally.spread(), spread);
            proptest::prop_assert_eq!(tally.len(), values.len());
        }
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
