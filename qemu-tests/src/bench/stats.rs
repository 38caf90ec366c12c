//! The statistics the benchmarks report: median, minimum and maximum of a
//! sample, and the ratio of two medians.

use std::fmt;

/// Median, minimum and maximum of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub runs: usize,
}

impl Summary {
    /// `None` for an empty sample. The median of an even count is the mean
    /// of the middle two.
    pub fn of(values: &[f64]) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
        Some(Summary { median, min: v[0], max: v[n - 1], runs: n })
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1} ({:.1}-{:.1})", self.median, self.min, self.max)
    }
}

/// `numerator / denominator` of the medians as the report prints it
/// (`2.35x`), or `None` when it means nothing (a zero denominator).
pub fn ratio(numerator: &Summary, denominator: &Summary) -> Option<String> {
    (denominator.median > 0.0).then(|| format!("{:.2}x", numerator.median / denominator.median))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_odd_and_even_samples() {
        let s = Summary::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.runs), (3.0, 1.0, 5.0, 3));
        let s = Summary::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!(s.median, 2.5);
        assert!(Summary::of(&[]).is_none());
        assert_eq!(Summary::of(&[2.0, 1.0, 30.0]).unwrap().to_string(), "2.0 (1.0-30.0)");
    }

    #[test]
    fn ratios_of_medians() {
        let linux = Summary::of(&[700.0, 720.0, 1000.0]).unwrap();
        let ringo = Summary::of(&[300.0, 360.0, 400.0]).unwrap();
        assert_eq!(ratio(&linux, &ringo).as_deref(), Some("2.00x"));
        assert_eq!(ratio(&ringo, &linux).as_deref(), Some("0.50x"));
        assert_eq!(ratio(&linux, &Summary::of(&[0.0]).unwrap()), None);
    }
}
