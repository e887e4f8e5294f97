//! Exact sums of floats: the answer does not depend on the order values are added or
//! accumulators merged in, so a report folded by several workers, or from rollups, says
//! the same to the last bit as a one-thread raw scan.
//!
//! Shewchuk's non-overlapping partials (the exact sum as a short list of floats), read
//! back with the correct rounding of Python's `math.fsum`. Written here rather than taken
//! from the `fsum` crate because reports need two things it does not offer: merging
//! two accumulators exactly (per-worker folds) and storing one (rollups).

use serde::{Deserialize, Serialize};

/// The exact sum of the finite floats added so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExactSum {
    /// Non-overlapping, increasing in magnitude; their exact sum is the sum.
    partials: Vec<f64>,
}

impl ExactSum {
    /// Adds `x` exactly (non-finite values are ignored: sums of stored figures never
    /// hold them).
    pub fn add(&mut self, mut x: f64) {
        if !x.is_finite() {
            return;
        }
        let mut kept = 0;
        for i in 0..self.partials.len() {
            let mut y = self.partials[i];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                self.partials[kept] = lo;
                kept += 1;
            }
            x = hi;
        }
        self.partials.truncate(kept);
        if x.is_finite() {
            self.partials.push(x);
        }
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &ExactSum) {
        for &x in &other.partials {
            self.add(x);
        }
    }

    /// The exact sum, correctly rounded to the nearest float (ties to even).
    pub fn value(&self) -> f64 {
        let p = &self.partials;
        let Some((&top, rest)) = p.split_last() else {
            return 0.0;
        };
        let mut total = top;
        let mut n = rest.len();
        while n > 0 {
            n -= 1;
            let x = p[n];
            let before = total;
            total = before + x;
            let error = x - (total - before);
            if error != 0.0 {
                // Half-way cases: the partials below decide which way to round.
                if n > 0 && ((error < 0.0 && p[n - 1] < 0.0) || (error > 0.0 && p[n - 1] > 0.0)) {
                    let y = error * 2.0;
                    let up = total + y;
                    if y == up - total {
                        total = up;
                    }
                }
                break;
            }
        }
        total
    }
}

impl From<f64> for ExactSum {
    fn from(x: f64) -> ExactSum {
        let mut s = ExactSum::default();
        s.add(x);
        s
    }
}

impl std::ops::AddAssign for ExactSum {
    fn add_assign(&mut self, other: ExactSum) {
        self.merge(&other);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(values: &[f64]) -> f64 {
        let mut s = ExactSum::default();
        for &v in values {
            s.add(v);
        }
        s.value()
    }

    #[test]
    fn sums_exactly_and_rounds_correctly() {
        assert_eq!(sum(&[]), 0.0);
        assert_eq!(sum(&[0.1; 10]), 1.0);
        assert_eq!(sum(&[1e100, 1.0, -1e100]), 1.0);
        assert_eq!(sum(&[1e-16, 1.0, 1e16]), 1.000_000_000_000_000_2e16);
        assert_eq!(sum(&[1e308, -1e308, 1e308]), 1e308);
        assert_eq!(sum(&[f64::NAN, 2.0, f64::INFINITY]), 2.0);
    }

    #[test]
    fn order_and_merging_do_not_change_the_answer() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut values = Vec::new();
        for _ in 0..2000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let scale = [1e-9, 0.37, 1.0, 1e3, 1e7][(state % 5) as usize];
            values.push((state >> 11) as f64 / (1u64 << 53) as f64 * scale);
        }
        let forward = sum(&values);
        let mut reversed = values.clone();
        reversed.reverse();
        assert_eq!(sum(&reversed).to_bits(), forward.to_bits());
        for split in [1, 7, 999, 1999] {
            let (mut a, mut b) = (ExactSum::default(), ExactSum::default());
            values[..split].iter().for_each(|&v| a.add(v));
            values[split..].iter().for_each(|&v| b.add(v));
            b.merge(&a);
            assert_eq!(b.value().to_bits(), forward.to_bits(), "split {split}");
        }
        // A plain left-to-right sum differs from the reversed one here, which is the
        // point.
        let plain: f64 = values.iter().sum();
        let plain_reversed: f64 = reversed.iter().sum();
        assert_ne!(plain.to_bits(), plain_reversed.to_bits());
    }
}
