//! One read-and-fold over a stream's records, shared by the programs' views: pick the
//! files by date, parse each line into the stream's borrowed view, keep the records in
//! the window (de-duplicated by id over several roots), fold them in parallel.

use crate::error::Result;
use crate::store::{LineError, Roots, Scan, Skipped, Stream};
use crate::time::Timestamp;

/// A stream read through a borrowed view of each stored line (`JourneyView<'a>`...).
pub trait Views {
    /// The stream.
    const STREAM: Stream;
    /// The view of one line, borrowing from it.
    type View<'a>;
    /// Parses a line; `None` when it is not a valid record of the stream.
    fn parse(bytes: &[u8]) -> Option<Self::View<'_>>;
    /// When the record happened.
    fn timestamp(v: &Self::View<'_>) -> Timestamp;
    /// Its id, for de-duplication across roots.
    fn id<'v>(v: &'v Self::View<'_>) -> Option<&'v str>;
}

/// Folds every valid record of stream `S` with a timestamp in `[since, until]`
/// (unbounded sides when `None`), one accumulator per worker. Only files whose date
/// can hold such records are opened; malformed lines are skipped and counted.
pub fn fold_views<S, A, I, F, M>(
    roots: &Roots,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    init: I,
    visit: F,
    merge: M,
) -> Result<(A, Skipped)>
where
    S: Views,
    A: Send,
    I: Fn() -> A + Sync,
    F: Fn(&mut A, &S::View<'_>) + Sync,
    M: Fn(A, A) -> A,
{
    let files = roots.files(S::STREAM, since, until)?;
    fold_scan::<S, _, _, _, _>(
        &Scan::new(files, roots.needs_dedup()),
        since,
        until,
        init,
        visit,
        merge,
    )
}

/// [`fold_views`] over the files of `scan` (de-duplicated by id when it does).
pub fn fold_scan<S, A, I, F, M>(
    scan: &Scan,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    init: I,
    visit: F,
    merge: M,
) -> Result<(A, Skipped)>
where
    S: Views,
    A: Send,
    I: Fn() -> A + Sync,
    F: Fn(&mut A, &S::View<'_>) + Sync,
    M: Fn(A, A) -> A,
{
    scan.run(
        init,
        |acc, line| {
            let v = S::parse(line.bytes).ok_or(LineError::Malformed)?;
            let t = S::timestamp(&v);
            if since.is_none_or(|s| t >= s)
                && until.is_none_or(|u| t <= u)
                && scan.first_sighting(S::id(&v))
            {
                visit(acc, &v);
            }
            Ok(())
        },
        merge,
    )
}
