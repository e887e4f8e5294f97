//! Exact sums of floats: the answer does not depend on the order values are added or
//! accumulators merged in, so a report folded by several workers, or from rollups, says
//! the same to the last bit as a one-thread raw scan.
//!
//! Shewchuk's non-overlapping partials (the exact sum as a short list of floats), read
//! back with the correct rounding of Python's `math.fsum`. Written here rather than taken
//! from the `fsum` crate because reports need two things it does not offer: merging
//! two accumulators exactly (per-worker folds) and storing one (rollups).

//!
//! Most values (durations, costs) are added faster, and just as exactly, as integers:
//! a float whose last bit is worth at least 2^-64 and that is below 2^62 is an exact
//! multiple of 2^-64, so it goes into one 128-bit integer of such units. Only values
//! outside that range, or a sum that would overflow it, go through the partials; the
//! integer joins them when the sum is read, merged or stored.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The exact sum of the finite floats added so far.
#[derive(Debug, Clone, Default)]
pub struct ExactSum {
    /// Non-overlapping, increasing in magnitude; their exact sum, plus `fixed`, is the
    /// sum.
    partials: Vec<f64>,
    /// A sum of values in units of 2^-[`FIXED_BITS`].
    fixed: i128,
}

/// The fraction bits of [`ExactSum::fixed`].
const FIXED_BITS: i32 = 64;

impl ExactSum {
    /// Adds `x` exactly (non-finite values are ignored: sums of stored figures never
    /// hold them).
    #[inline]
    pub fn add(&mut self, x: f64) {
        match fixed_units(x).and_then(|v| self.fixed.checked_add(v)) {
            Some(sum) => self.fixed = sum,
            None => self.add_partial(x),
        }
    }

    /// Adds `x` to the partials (Shewchuk's algorithm).
    fn add_partial(&mut self, mut x: f64) {
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

    /// Moves the integer sum into the partials, as three floats that each hold their
    /// part of it exactly (43 bits or fewer, scaled by a power of two).
    fn settle(&mut self) {
        const PART: i32 = 43;
        const MASK: i128 = (1 << PART) - 1;
        let fixed = std::mem::take(&mut self.fixed);
        if fixed == 0 {
            return;
        }
        let parts = [fixed & MASK, (fixed >> PART) & MASK, fixed >> (2 * PART)];
        for (k, part) in (0i32..).zip(parts) {
            if part != 0 {
                // `part` fits in 53 bits and the scale is a power of two in range, so
                // both conversions are exact.
                self.add_partial(part as f64 * 2f64.powi(k * PART - FIXED_BITS));
            }
        }
    }

    /// The sum with every value in the partials.
    fn settled(&self) -> std::borrow::Cow<'_, ExactSum> {
        if self.fixed == 0 {
            std::borrow::Cow::Borrowed(self)
        } else {
            let mut s = self.clone();
            s.settle();
            std::borrow::Cow::Owned(s)
        }
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &ExactSum) {
        for &x in &other.partials {
            self.add_partial(x);
        }
        match self.fixed.checked_add(other.fixed) {
            Some(sum) => self.fixed = sum,
            // Too large together: ours moves into the partials, and theirs takes its place.
            None => {
                self.settle();
                self.fixed = other.fixed;
            }
        }
    }

    /// The exact sum, correctly rounded to the nearest float (ties to even).
    pub fn value(&self) -> f64 {
        let settled = self.settled();
        let p = &settled.partials;
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

/// `x` in units of 2^-[`FIXED_BITS`], when it is a whole number of them and far
/// enough below the integer's limit; `None` for zeros (whose sign the partials keep),
/// subnormals, non-finite values and values beyond that range.
#[inline]
fn fixed_units(x: f64) -> Option<i128> {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    // x = mantissa * 2^(biased - 1075) for normal floats.
    let shift = biased - 1075 + FIXED_BITS;
    if biased == 0 || !(0..=61 + FIXED_BITS - 52).contains(&shift) {
        return None;
    }
    let mantissa = i128::from((bits & ((1 << 52) - 1)) | (1 << 52));
    let units = mantissa << shift;
    Some(if x.is_sign_negative() { -units } else { units })
}

/// Stored as the partials alone (the integer sum settled into them), as before there
/// was an integer sum.
impl Serialize for ExactSum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.settled().partials.serialize(s)
    }
}

impl<'de> Deserialize<'de> for ExactSum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ExactSum {
            partials: Vec::deserialize(d)?,
            fixed: 0,
        })
    }
}

/// Equal when the exact sums are equal, however each was reached.
impl PartialEq for ExactSum {
    fn eq(&self, other: &ExactSum) -> bool {
        let mut difference = self.clone();
        difference.settle();
        let mut minus = other.clone();
        minus.settle();
        for x in minus.partials {
            difference.add_partial(-x);
        }
        difference.partials.iter().all(|&x| x == 0.0)
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

    /// The same values through the partials alone: the sum before the integer path.
    fn partials_only(values: &[f64]) -> ExactSum {
        let mut s = ExactSum::default();
        values.iter().for_each(|&v| s.add_partial(v));
        s
    }

    #[test]
    fn the_integer_path_is_exact() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        // Scales inside and outside the integer range, both signs, near its limits.
        let scales = [1e-30, 1e-4, 0.37, 1.0, 1e3, 1e11, 1e17, 4.6e18, 1e300];
        for round in 0..50 {
            let values: Vec<f64> = (0..400)
                .map(|_| {
                    let r = next();
                    let v = (r >> 11) as f64 / (1u64 << 53) as f64 * scales[(r % 9) as usize];
                    if r & 1 << 10 != 0 { -v } else { v }
                })
                .collect();
            let mut fast = ExactSum::default();
            values.iter().for_each(|&v| fast.add(v));
            let slow = partials_only(&values);
            assert_eq!(
                fast.value().to_bits(),
                slow.value().to_bits(),
                "round {round}"
            );
            assert_eq!(fast, slow);
            // Stored and read back: the partials alone carry the whole sum.
            let text = serde_json::to_string(&fast).unwrap();
            let back: ExactSum = serde_json::from_str(&text).unwrap();
            assert_eq!(back.value().to_bits(), slow.value().to_bits());
            let mut merged = ExactSum::default();
            merged.merge(&fast);
            merged.merge(&back);
            let mut twice = values.clone();
            twice.extend(&values);
            assert_eq!(
                merged.value().to_bits(),
                partials_only(&twice).value().to_bits()
            );
        }
        // A sum past the integer's range (2^127 units, 2^63) overflows into the
        // partials, and merging two such integers does too.
        let big = [2f64.powi(61) * 1.5; 8];
        let mut s = ExactSum::default();
        big.iter().for_each(|&v| s.add(v));
        assert_eq!(s.value(), 2f64.powi(61) * 12.0);
        let mut m = s.clone();
        m.merge(&s);
        assert_eq!(m.value(), 2f64.powi(61) * 24.0);
        // Zeros keep their sign, as before.
        assert_eq!(sum(&[-0.0]).to_bits(), (-0.0f64).to_bits());
        assert_ne!(ExactSum::from(0.1), ExactSum::from(0.1 + 1e-17));
    }
}
