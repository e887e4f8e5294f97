//! Time windows ending now, and trend buckets aligned to their size.

use serde::Serialize;

use crate::time::Timestamp;

/// The closed interval `[now - length, now]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First instant inside.
    pub start: Timestamp,
    /// Last instant inside (now).
    pub end: Timestamp,
}

impl Window {
    /// The window of `length_ms` ending at `now`.
    ///
    /// ```
    /// use ccmon::{record::Timestamp, stats::Window};
    /// let w = Window::ending(Timestamp(10_000), 3_000);
    /// assert!(w.contains(Timestamp(7_000)) && w.contains(Timestamp(10_000)));
    /// assert!(!w.contains(Timestamp(6_999)) && !w.contains(Timestamp(10_001)));
    /// ```
    pub fn ending(now: Timestamp, length_ms: i64) -> Window {
        Window {
            start: Timestamp(now.0.saturating_sub(length_ms)),
            end: now,
        }
    }

    /// Whether `t` lies inside.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t <= self.end
    }
}

/// One trend bucket `[start, start + size)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// Its first instant.
    pub start: Timestamp,
    /// The first instant after it.
    pub end: Timestamp,
}

/// `count` consecutive buckets of `size_ms`, aligned to multiples of the size (UTC),
/// the last one holding `now` (and so partial).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buckets {
    first: i64,
    size: i64,
    count: usize,
}

impl Buckets {
    /// The buckets ending with the one that holds `now`.
    ///
    /// ```
    /// use ccmon::{record::Timestamp, stats::Buckets};
    /// let b = Buckets::ending(Timestamp(10_500), 3, 1_000);
    /// assert_eq!(b.index_of(Timestamp(10_999)), Some(2));
    /// assert_eq!(b.index_of(Timestamp(8_000)), Some(0));
    /// assert_eq!(b.index_of(Timestamp(7_999)), None);
    /// ```
    pub fn ending(now: Timestamp, count: usize, size_ms: i64) -> Buckets {
        let size = size_ms.max(1);
        let last = now.0.div_euclid(size) * size;
        let first = last - (count.saturating_sub(1) as i64) * size;
        Buckets { first, size, count }
    }

    /// The bucket holding `t`, if any.
    pub fn index_of(&self, t: Timestamp) -> Option<usize> {
        let offset = t.0.checked_sub(self.first)?;
        if offset < 0 {
            return None;
        }
        let i = (offset / self.size) as usize;
        (i < self.count).then_some(i)
    }

    /// Every bucket, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = Bucket> + '_ {
        (0..self.count).map(|i| {
            let start = self.first + i as i64 * self.size;
            Bucket {
                start: Timestamp(start),
                end: Timestamp(start + self.size),
            }
        })
    }

    /// How many buckets.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}
