//! A run's cost: the sum of the costs of the provider calls (and service usage)
//! recorded with its `runId`.

use crate::error::Result;
use crate::health::{PriceTable, UsageBy, usage};
use crate::store::{Roots, Skipped};
use crate::time::Timestamp;

use super::state::RunState;

/// How long before a run's first event its calls are looked for (a call may be
/// recorded with the time it was sent, before the run announced itself).
const LEAD_MS: i64 = crate::time::DAY_MS;

/// Fills `cost_usd` of every state from the provider calls with its `runId` (recorded
/// costs plus costs estimated from the price table); runs without a priced call keep
/// `None`.
pub fn attach_costs(
    roots: &Roots,
    states: &mut [RunState],
    prices: &PriceTable,
) -> Result<Skipped> {
    let Some(first) = states.iter().map(|s| s.started_at).min() else {
        return Ok(Skipped::default());
    };
    let since = Timestamp(first.0 - LEAD_MS);
    let (rows, skipped) = usage(roots, UsageBy::Run, Some(since), None, prices, true)?;
    let costs: rustc_hash::FxHashMap<&str, f64> = rows
        .iter()
        .filter_map(|r| Some((r.key.as_deref()?, r.cost_usd?)))
        .collect();
    for s in states.iter_mut() {
        s.cost_usd = costs.get(s.run_id.as_str()).copied();
    }
    Ok(skipped)
}
