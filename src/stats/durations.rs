//! Duration distributions: count, mean, min, max and nearest-rank percentiles.

use hdrhistogram::Histogram;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Up to this many values are kept exactly; past it they move into an HdrHistogram, so
/// memory stays bounded whatever the number of records.
const EXACT_LIMIT: usize = 2048;

/// Histogram resolution: microseconds, so fractional milliseconds count.
const UNITS_PER_MS: f64 = 1000.0;

/// A distribution of durations in milliseconds.
///
/// Percentiles are nearest-rank: the smallest value with at least `q` of the values at
/// or below it. Small sets are computed exactly; large ones with an HdrHistogram at 3
/// significant digits, within 0.1% of the exact value.
///
/// ```
/// use ccmon::stats::DurationStats;
/// let mut d = DurationStats::default();
/// for ms in [100.0, 200.0, 300.0, 400.0] { d.record(ms); }
/// assert_eq!(d.percentile(0.5), Some(200.0));
/// assert_eq!(d.percentile(0.95), Some(400.0));
/// assert_eq!(d.mean(), Some(250.0));
/// ```
#[derive(Debug, Clone, Default)]
pub struct DurationStats {
    count: u64,
    sum: super::ExactSum,
    min: f64,
    max: f64,
    exact: Vec<f64>,
    histogram: Option<Histogram<u64>>,
    /// Values (in units) not yet in `histogram`. A fold records into many groups'
    /// histograms in turn, and each value then misses the cache; recording a group's
    /// values a batch at a time keeps its histogram's counts in cache.
    pending: Vec<u32>,
}

/// How many values wait before they go into the histogram (16 KiB a group): well above
/// the few hundred cache lines a histogram's busy region spans.
const PENDING: usize = 4096;

impl DurationStats {
    /// Adds one duration (negative and non-finite values are ignored).
    pub fn record(&mut self, ms: f64) {
        if !ms.is_finite() || ms < 0.0 {
            return;
        }
        if self.count == 0 || ms < self.min {
            self.min = ms;
        }
        if self.count == 0 || ms > self.max {
            self.max = ms;
        }
        self.count += 1;
        self.sum.add(ms);
        match &mut self.histogram {
            Some(h) => match u32::try_from(units(ms)) {
                Ok(u) => {
                    self.pending.push(u);
                    if self.pending.len() >= PENDING {
                        self.settle();
                    }
                }
                Err(_) => record_units(h, ms),
            },
            None => {
                self.exact.push(ms);
                if self.exact.len() > EXACT_LIMIT {
                    self.spill();
                }
            }
        }
    }

    /// Records the values still waiting into the histogram. Reading is right without
    /// it, but copies the histogram to settle it (see [`DurationStats::settled`]).
    pub fn settle(&mut self) {
        if let Some(h) = &mut self.histogram {
            for u in self.pending.drain(..) {
                // Auto-resizing: recording cannot fail for values in range.
                let _ = h.record(u64::from(u));
            }
        }
    }

    /// The histogram with every value in it: itself, or a settled copy while values
    /// are waiting.
    fn settled(&self) -> Option<std::borrow::Cow<'_, Histogram<u64>>> {
        let h = self.histogram.as_ref()?;
        if self.pending.is_empty() {
            return Some(std::borrow::Cow::Borrowed(h));
        }
        let mut h = h.clone();
        for &u in &self.pending {
            let _ = h.record(u64::from(u));
        }
        Some(std::borrow::Cow::Owned(h))
    }

    fn spill(&mut self) {
        let mut h = histogram_up_to(units(self.max));
        for &ms in &self.exact {
            record_units(&mut h, ms);
        }
        self.exact = Vec::new();
        self.histogram = Some(h);
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, mut other: DurationStats) {
        if other.count == 0 {
            return;
        }
        self.settle();
        other.settle();
        if self.count == 0 || other.min < self.min {
            self.min = other.min;
        }
        if self.count == 0 || other.max > self.max {
            self.max = other.max;
        }
        self.count += other.count;
        self.sum.merge(&other.sum);
        match other.histogram {
            Some(oh) => {
                if self.histogram.is_none() {
                    self.spill();
                }
                if let Some(h) = &mut self.histogram {
                    // Both auto-resize, so adding cannot run out of range.
                    let _ = h.add(&oh);
                }
            }
            None => {
                for ms in other.exact {
                    match &mut self.histogram {
                        Some(h) => record_units(h, ms),
                        None => self.exact.push(ms),
                    }
                }
                if self.exact.len() > EXACT_LIMIT {
                    self.spill();
                }
            }
        }
    }

    /// Adds every value of a stored distribution (check it with
    /// [`StoredDurations::consistent`] first), recording its buckets straight into this
    /// one's histogram: what merging its decoded form would do, without the allocation.
    pub fn merge_stored(&mut self, s: &StoredDurations) {
        if s.count == 0 {
            return;
        }
        self.settle();
        if self.count == 0 || s.min < self.min {
            self.min = s.min;
        }
        if self.count == 0 || s.max > self.max {
            self.max = s.max;
        }
        self.count += s.count;
        self.sum.merge(&s.sum);
        let exact = s
            .floats
            .iter()
            .copied()
            .chain(s.micros.iter().map(|&m| m as f64 / UNITS_PER_MS));
        match &s.buckets {
            Some(buckets) => {
                if self.histogram.is_none() {
                    self.spill();
                }
                if let Some(h) = &mut self.histogram {
                    // Checked by `consistent`: every bucket is well formed.
                    buckets.visit(|value, n| {
                        // Auto-resizing: in range whatever the value.
                        let _ = h.record_n(value, n);
                    });
                }
            }
            None => {
                for ms in exact {
                    match &mut self.histogram {
                        Some(h) => record_units(h, ms),
                        None => self.exact.push(ms),
                    }
                }
                if self.exact.len() > EXACT_LIMIT {
                    self.spill();
                }
            }
        }
    }

    /// How many durations.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The mean, or `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum.value() / self.count as f64)
    }

    /// The smallest, or `None` when empty.
    pub fn min(&self) -> Option<f64> {
        (self.count > 0).then_some(self.min)
    }

    /// The largest, or `None` when empty.
    pub fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }

    /// The nearest-rank percentile `q` (0 < q ≤ 1), or `None` when empty.
    pub fn percentile(&self, q: f64) -> Option<f64> {
        let [p] = self.percentiles([q]);
        p
    }

    /// Several nearest-rank percentiles at once: values still waiting for the histogram
    /// are settled once, and a small set is sorted once, not for each.
    pub fn percentiles<const N: usize>(&self, qs: [f64; N]) -> [Option<f64>; N] {
        if self.count == 0 {
            return [None; N];
        }
        let qs = qs.map(|q| q.clamp(0.0, 1.0));
        match self.settled() {
            Some(h) => qs.map(|q| {
                let units = h.median_equivalent(h.value_at_quantile(q));
                Some((units as f64 / UNITS_PER_MS).clamp(self.min, self.max))
            }),
            None => {
                let mut sorted = self.exact.clone();
                sorted.sort_by(f64::total_cmp);
                qs.map(|q| {
                    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
                    Some(sorted[rank - 1])
                })
            }
        }
    }

    /// Count, mean, min, p50, p75, p90, p95, p99 and max in one value.
    ///
    /// ```
    /// use ccmon::stats::DurationStats;
    /// let mut d = DurationStats::default();
    /// (1..=100).for_each(|ms| d.record(f64::from(ms)));
    /// let s = d.summary();
    /// assert_eq!((s.count, s.min, s.p50, s.p90, s.p99, s.max), (100, Some(1.0), Some(50.0), Some(90.0), Some(99.0), Some(100.0)));
    /// assert_eq!(s.mean, Some(50.5));
    /// ```
    pub fn summary(&self) -> Summary {
        let [p50, p75, p90, p95, p99] = self.percentiles([0.50, 0.75, 0.90, 0.95, 0.99]);
        Summary {
            count: self.count,
            min: self.min(),
            p50,
            p75,
            p90,
            p95,
            p99,
            max: self.max(),
            mean: self.mean(),
        }
    }
}

/// How a distribution is stored in a rollup: the exact values while there are few
/// (whole microseconds as integers, others as floats), else the histogram's recorded
/// buckets, each as the highest value it holds and its count, which record back into
/// the same buckets ([`Packed`]). Decoded as it is, it merges into a [`DurationStats`]
/// without building a histogram of its own ([`DurationStats::merge_stored`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredDurations {
    count: u64,
    sum: super::ExactSum,
    min: f64,
    max: f64,
    micros: Vec<u64>,
    floats: Vec<f64>,
    buckets: Option<Packed>,
}

/// A histogram's recorded buckets in increasing order, as bytes: for each, the LEB128 of
/// its value's distance from the previous bucket's (the first's from 0), then the LEB128
/// of its count. Neighbouring buckets are close, so most take two or three bytes, and
/// reading them is a short loop rather than a deserializer's call per number.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Packed(Vec<u8>);

impl Packed {
    fn pack(buckets: impl Iterator<Item = (u64, u64)>) -> Packed {
        let mut out = Vec::new();
        let mut previous = 0u64;
        for (value, count) in buckets {
            leb128(&mut out, value.wrapping_sub(previous));
            leb128(&mut out, count);
            previous = value;
        }
        Packed(out)
    }

    /// Hands each bucket to `f` in order; `false` at the first malformed one (a
    /// truncated number, a value that does not increase or overflows), after which
    /// nothing more is handed over.
    #[inline]
    fn visit(&self, mut f: impl FnMut(u64, u64)) -> bool {
        let mut bytes = &self.0[..];
        let mut previous: Option<u64> = None;
        while !bytes.is_empty() {
            let (Some(delta), Some(count)) = (read_leb128(&mut bytes), read_leb128(&mut bytes))
            else {
                return false;
            };
            let value = match previous {
                None => delta,
                Some(p) if delta > 0 => match p.checked_add(delta) {
                    Some(v) => v,
                    None => return false,
                },
                Some(_) => return false,
            };
            previous = Some(value);
            f(value, count);
        }
        true
    }

    /// The buckets, or `None` when one is malformed.
    #[cfg(test)]
    fn buckets(&self) -> Option<Vec<(u64, u64)>> {
        let mut out = Vec::new();
        self.visit(|v, n| out.push((v, n))).then_some(out)
    }
}

fn leb128(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// One LEB128 number; nearly all take one to three bytes (a bucket's distance from
/// the previous one, in microseconds, and its count).
#[inline(always)]
fn read_leb128(bytes: &mut &[u8]) -> Option<u64> {
    let low = |b: u8| u64::from(b & 0x7f);
    let (v, rest) = match **bytes {
        [a, ref rest @ ..] if a < 0x80 => (u64::from(a), rest),
        [a, b, ref rest @ ..] if b < 0x80 => (low(a) | u64::from(b) << 7, rest),
        [a, b, c, ref rest @ ..] if c < 0x80 => (low(a) | low(b) << 7 | u64::from(c) << 14, rest),
        _ => return read_leb128_long(bytes),
    };
    *bytes = rest;
    Some(v)
}

#[cold]
fn read_leb128_long(bytes: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            // The tenth byte may only hold the top bit.
            return (shift < 63 || b <= 1).then_some(v);
        }
    }
    None
}

impl Serialize for Packed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Packed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Packed;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("packed histogram buckets")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Packed, E> {
                Ok(Packed(v.to_vec()))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Packed, E> {
                Ok(Packed(v))
            }
        }
        d.deserialize_bytes(Visitor)
    }
}

/// [`StoredDurations`] as formats 1 to 3 of rollups stored it: its buckets as pairs, its
/// sum an `S` (a plain float in format 1, an [`super::ExactSum`] in formats 2 and 3).
#[derive(Debug, Clone, Deserialize)]
pub struct StoredDurationsPairs<S> {
    count: u64,
    sum: S,
    min: f64,
    max: f64,
    micros: Vec<u64>,
    floats: Vec<f64>,
    buckets: Option<Vec<(u64, u64)>>,
}

impl<S: Into<super::ExactSum>> From<StoredDurationsPairs<S>> for StoredDurations {
    fn from(v: StoredDurationsPairs<S>) -> StoredDurations {
        StoredDurations {
            count: v.count,
            sum: v.sum.into(),
            min: v.min,
            max: v.max,
            micros: v.micros,
            floats: v.floats,
            buckets: v.buckets.map(|b| Packed::pack(b.into_iter())),
        }
    }
}

impl StoredDurations {
    /// Whether its parts add up to its count, as a decoded distribution must (its
    /// buckets well formed, none empty).
    pub fn consistent(&self) -> bool {
        let bucketed = match &self.buckets {
            None => Some(0),
            Some(p) => {
                let (mut total, mut empty) = (Some(0u64), false);
                let whole = p.visit(|_, n| {
                    total = total.and_then(|t| t.checked_add(n));
                    empty |= n == 0;
                });
                total.filter(|_| whole && !empty)
            }
        };
        let stored = (self.micros.len() as u64 + self.floats.len() as u64)
            .checked_add(bucketed.unwrap_or(u64::MAX));
        stored == Some(self.count)
            && (self.buckets.is_none() || (self.micros.is_empty() && self.floats.is_empty()))
    }
}

impl Serialize for DurationStats {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (mut micros, mut floats) = (Vec::new(), Vec::new());
        for &ms in &self.exact {
            match exact_micros(ms) {
                Some(m) => micros.push(m),
                None => floats.push(ms),
            }
        }
        let buckets = self.settled().map(|h| {
            Packed::pack(
                h.iter_recorded()
                    .map(|v| (v.value_iterated_to(), v.count_at_value())),
            )
        });
        StoredDurations {
            count: self.count,
            sum: self.sum.clone(),
            min: self.min,
            max: self.max,
            micros,
            floats,
            buckets,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for DurationStats {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = StoredDurations::deserialize(d)?;
        if !s.consistent() {
            return Err(serde::de::Error::custom("inconsistent distribution"));
        }
        let mut exact = s.floats;
        exact.extend(s.micros.iter().map(|&m| m as f64 / UNITS_PER_MS));
        let histogram = match s.buckets {
            None => None,
            Some(buckets) => {
                let mut h = histogram_up_to(units(s.max));
                let mut in_range = true;
                let whole = buckets.visit(|value, count| {
                    in_range &= h.record_n(value, count).is_ok();
                });
                if !whole || !in_range {
                    return Err(serde::de::Error::custom("malformed histogram buckets"));
                }
                Some(h)
            }
        };
        Ok(DurationStats {
            count: s.count,
            sum: s.sum,
            min: s.min,
            max: s.max,
            exact,
            histogram,
            pending: Vec::new(),
        })
    }
}

/// `ms` as whole microseconds when that is exact (`m as f64 / 1000.0` reads back as
/// the same float), for compact storage.
pub fn exact_micros(ms: f64) -> Option<u64> {
    let units = (ms * UNITS_PER_MS).round();
    if !(0.0..9e15).contains(&units) {
        return None;
    }
    let m = units as u64;
    (m as f64 / UNITS_PER_MS == ms).then_some(m)
}

/// An empty histogram (3 significant digits, growing as needed) already wide enough
/// for values up to `highest` units: growing from the smallest one doubles its range,
/// reallocating and copying, once per power of two.
fn histogram_up_to(highest: u64) -> Histogram<u64> {
    Histogram::<u64>::new_with_bounds(1, highest.max(2), 3)
        .map(|mut h| {
            h.auto(true);
            h
        })
        .or_else(|_| Histogram::new(3))
        .expect("3 significant digits is a valid precision")
}

fn record_units(h: &mut Histogram<u64>, ms: f64) {
    // Auto-resizing: recording cannot fail for values in range.
    let _ = h.record(units(ms));
}

/// `ms` in histogram units.
fn units(ms: f64) -> u64 {
    (ms * UNITS_PER_MS).round().min((u64::MAX / 4) as f64) as u64
}

/// A distribution's figures, milliseconds; `None` when there were no values.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Summary {
    /// How many values.
    pub count: u64,
    /// Smallest.
    pub min: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 75th percentile.
    pub p75: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(d: &DurationStats) -> DurationStats {
        postcard::from_bytes(&postcard::to_stdvec(d).unwrap()).unwrap()
    }

    #[test]
    fn stored_distributions_give_the_same_figures() {
        for n in [0usize, 1, 7, 2048, 2049, 10_000] {
            let mut d = DurationStats::default();
            for i in 0..n {
                // Decimal milliseconds, a fraction of a microsecond, and a large value.
                d.record(match i % 3 {
                    0 => i as f64 * 1.7,
                    1 => 0.123_456_7 * i as f64,
                    _ => 1e7 + i as f64,
                });
            }
            let back = round_trip(&d);
            assert_eq!(back.summary(), d.summary(), "n = {n}");
            // And it merges as the original would.
            let (mut a, mut b) = (d.clone(), d.clone());
            a.merge(d.clone());
            b.merge(back);
            assert_eq!(a.summary(), b.summary(), "merged, n = {n}");
        }
        assert_eq!(exact_micros(123.4), Some(123_400));
        assert_eq!(exact_micros(0.000_1), None);
        assert!(postcard::from_bytes::<DurationStats>(&[1, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
    }

    /// Values waiting to go into the histogram count in every figure, merge, and the
    /// stored form, exactly as if each had gone in when recorded.
    #[test]
    fn waiting_values_count_everywhere() {
        let values = |n: usize| (0..n).map(|i| (i * 7919 % 20_011) as f64 * 1.3 + 0.5);
        for n in [
            2049usize,
            2050,
            2048 + PENDING,
            2049 + PENDING,
            3 * PENDING + 17,
        ] {
            let mut d = DurationStats::default();
            let mut direct = Histogram::<u64>::new(3).unwrap();
            for v in values(n) {
                d.record(v);
                record_units(&mut direct, v);
            }
            let q = |h: &Histogram<u64>, q: f64| {
                h.median_equivalent(h.value_at_quantile(q)) as f64 / UNITS_PER_MS
            };
            for p in [0.5, 0.9, 0.99, 1.0] {
                assert_eq!(
                    d.percentile(p),
                    Some(q(&direct, p).clamp(d.min, d.max)),
                    "n = {n}, q = {p}"
                );
            }
            assert_eq!(
                d.percentiles([0.5, 0.99]),
                [d.percentile(0.5), d.percentile(0.99)]
            );
            let waiting = d.pending.len();
            let summary = d.summary();
            assert_eq!(round_trip(&d).summary(), summary, "n = {n}");
            let mut settled = d.clone();
            settled.settle();
            assert!(settled.pending.is_empty());
            assert_eq!(settled.summary(), summary, "n = {n}");
            assert_eq!(d.pending.len(), waiting, "reading does not settle");
            let mut merged = DurationStats::default();
            merged.merge(d.clone());
            merged.merge(d);
            assert_eq!(merged.count(), 2 * n as u64);
            assert_eq!(merged.percentile(0.5), settled.percentile(0.5), "n = {n}");
        }
    }

    /// Packed buckets read back as written; malformed ones are never read as buckets;
    /// buckets stored as pairs (formats 2 and 3) merge as the packed ones do.
    #[test]
    fn packed_buckets() {
        let buckets = [
            (0u64, 3u64),
            (1, 1),
            (127, 200),
            (128, 1),
            (20_128, 70_000),
            (1 << 40, 7),
            (u64::MAX, 1),
        ];
        let packed = Packed::pack(buckets.iter().copied());
        assert_eq!(packed.buckets().unwrap(), buckets);
        let bytes: &[&[u8]] = &[
            &[0x80],       // a truncated number
            &[5, 1, 0, 1], // a value that does not increase
            &[0x80; 11],   // eleven bytes
            &[
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 1,
            ], // past 64 bits
            &[5],          // a value without its count
        ];
        for bad in bytes {
            let p = Packed(bad.to_vec());
            assert_eq!(p.buckets(), None, "{bad:?}");
            let stored = StoredDurations {
                count: 1,
                buckets: Some(p),
                ..Default::default()
            };
            assert!(!stored.consistent(), "{bad:?}");
        }
        // An empty bucket is not consistent either.
        let empty = StoredDurations {
            count: 0,
            buckets: Some(Packed::pack([(5, 0)].into_iter())),
            ..Default::default()
        };
        assert!(!empty.consistent());

        let mut d = DurationStats::default();
        for i in 0..5_000 {
            d.record(f64::from(i) * 3.7 + 0.25);
        }
        d.settle();
        let h = d.histogram.as_ref().unwrap();
        let pairs: Vec<(u64, u64)> = h
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect();
        let v3 = StoredDurationsPairs {
            count: d.count,
            sum: d.sum.clone(),
            min: d.min,
            max: d.max,
            micros: vec![],
            floats: vec![],
            buckets: Some(pairs),
        };
        let stored: StoredDurations =
            postcard::from_bytes(&postcard::to_stdvec(&d).unwrap()).unwrap();
        assert!(stored.consistent());
        let from_v3 = StoredDurations::from(v3);
        assert_eq!(from_v3.buckets, stored.buckets);
        let (mut a, mut b) = (DurationStats::default(), DurationStats::default());
        a.merge_stored(&stored);
        b.merge_stored(&from_v3);
        assert_eq!(a.summary(), d.summary());
        assert_eq!(b.summary(), d.summary());
    }
}
