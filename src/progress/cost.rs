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

/// `cc-health usage --by chain`: provider usage per sprint chain, the runs' calls
/// regrouped under the chain their progress events name (runs in no chain under none).
pub fn usage_by_chain(
    roots: &Roots,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    prices: &PriceTable,
    utc: bool,
    now: Timestamp,
) -> Result<(Vec<crate::health::UsageRow>, Skipped)> {
    let (rows, mut skipped) = usage(roots, UsageBy::Run, since, until, prices, utc)?;
    let (states, s) = super::read::all_runs(roots, None, None, now)?;
    skipped.merge(s);
    let chain_of: std::collections::HashMap<&str, &str> = states
        .iter()
        .filter_map(|st| Some((st.run_id.as_str(), st.chain_id.as_deref()?)))
        .collect();
    let rows = crate::health::regroup(rows, |run| {
        run.and_then(|r| chain_of.get(r)).map(|c| (*c).to_string())
    });
    Ok((rows, skipped))
}
