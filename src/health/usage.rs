//! Token usage and cost (`cc-health usage`): recorded costs, costs estimated from the
//! price table, and the models that have no price (never counted as $0).

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::pricing::{Cost, PriceTable};
use super::view::fold;
use crate::error::Result;
use crate::stats::ExactSum;
use crate::store::{Roots, Skipped};
use crate::time::Timestamp;

/// What usage is grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UsageBy {
    /// The provider (default).
    #[default]
    Provider,
    /// The model.
    Model,
    /// The day (local time zone, or UTC).
    Day,
    /// The step type.
    Step,
    /// The run.
    Run,
    /// The service (calls to AI providers have none).
    Service,
    /// The sprint chain of the run (rows regrouped by [`regroup`]).
    Chain,
}

impl UsageBy {
    /// The column header.
    pub fn header(self) -> &'static str {
        match self {
            UsageBy::Provider => "PROVIDER",
            UsageBy::Model => "MODEL",
            UsageBy::Day => "DAY",
            UsageBy::Step => "STEP",
            UsageBy::Run => "RUN",
            UsageBy::Service => "SERVICE",
            UsageBy::Chain => "CHAIN",
        }
    }
}

/// One group's usage (SPEC §4 `cc-health usage --json`).
#[derive(Debug, Clone, Serialize, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageRow {
    /// The group (`null` for calls without the grouped field).
    pub key: Option<String>,
    /// Calls.
    pub calls: u64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cache-read tokens.
    pub cache_read_tokens: u64,
    /// Cache-write tokens.
    pub cache_write_tokens: u64,
    /// Known cost in USD (recorded plus estimated); `null` when nothing could be priced.
    pub cost_usd: Option<f64>,
    /// Whether part of the cost was estimated from the price table.
    pub estimated: bool,
    /// Models whose tokens could not be priced (their cost is not in `costUsd`).
    pub unpriced_models: Vec<String>,
    /// Service usage: the quantities recorded, by unit (absent without any).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quantities: BTreeMap<String, f64>,
}

#[derive(Debug, Default)]
struct Acc {
    calls: u64,
    input: u64,
    output: u64,
    cache_read: u64,
    cache_write: u64,
    cost: Option<ExactSum>,
    estimated: bool,
    unpriced: BTreeSet<String>,
    quantities: BTreeMap<String, ExactSum>,
}

impl Acc {
    fn merge(&mut self, o: Acc) {
        self.calls += o.calls;
        self.input += o.input;
        self.output += o.output;
        self.cache_read += o.cache_read;
        self.cache_write += o.cache_write;
        match (&mut self.cost, o.cost) {
            (Some(a), Some(b)) => a.merge(&b),
            (a, b) => *a = a.take().or(b),
        }
        self.estimated |= o.estimated;
        self.unpriced.extend(o.unpriced);
        for (unit, q) in o.quantities {
            self.quantities.entry(unit).or_default().merge(&q);
        }
    }
}

/// What a call without a model is listed as among unpriced models.
pub const NO_MODEL: &str = "(no model)";

/// Usage of the calls in `[since, until]`, grouped `by`: days in date order, other
/// groups by cost (then calls), largest first.
pub fn usage(
    roots: &Roots,
    by: UsageBy,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    prices: &PriceTable,
    utc: bool,
) -> Result<(Vec<UsageRow>, Skipped)> {
    let (map, skipped) = fold(
        roots,
        since,
        until,
        FxHashMap::<Option<String>, Acc>::default,
        |m, v| {
            let key = match by {
                UsageBy::Provider => Some(v.provider.to_string()),
                UsageBy::Model => v.model.as_deref().map(str::to_string),
                UsageBy::Day => Some(v.timestamp.day(utc)),
                UsageBy::Step => v.step_type.as_deref().map(str::to_string),
                UsageBy::Run | UsageBy::Chain => v.run_id.as_deref().map(str::to_string),
                UsageBy::Service => v.is_service().then(|| v.provider.to_string()),
            };
            let a = m.entry(key).or_default();
            let tokens = v.tokens();
            a.calls += 1;
            a.input += tokens.input;
            a.output += tokens.output;
            a.cache_read += tokens.cache_read;
            a.cache_write += tokens.cache_write;
            if let (Some(q), Some(unit)) = (v.quantity, v.unit.as_deref()) {
                a.quantities.entry(unit.to_string()).or_default().add(q);
            }
            match Cost::of(v.cost_usd, v.model.as_deref(), tokens, prices) {
                Cost::Recorded(c) => a.cost.get_or_insert_default().add(c),
                Cost::Estimated(c) => {
                    a.cost.get_or_insert_default().add(c);
                    a.estimated = true;
                }
                Cost::Unpriced => {
                    a.unpriced
                        .insert(v.model.as_deref().unwrap_or(NO_MODEL).to_string());
                }
                Cost::Nothing => {}
            }
        },
        |mut a, b| {
            for (k, v) in b {
                a.entry(k).or_default().merge(v);
            }
            a
        },
    )?;
    let mut rows: Vec<UsageRow> = map
        .into_iter()
        .map(|(key, a)| UsageRow {
            key,
            calls: a.calls,
            input_tokens: a.input,
            output_tokens: a.output,
            cache_read_tokens: a.cache_read,
            cache_write_tokens: a.cache_write,
            // Sums of many prices: keep them to the micro-dollar.
            cost_usd: a.cost.map(|c| (c.value() * 1e6).round() / 1e6),
            estimated: a.estimated,
            unpriced_models: a.unpriced.into_iter().collect(),
            quantities: a
                .quantities
                .into_iter()
                .map(|(u, q)| (u, q.value()))
                .collect(),
        })
        .collect();
    sort_rows(&mut rows, by);
    Ok((rows, skipped))
}

fn sort_rows(rows: &mut [UsageRow], by: UsageBy) {
    if by == UsageBy::Day {
        rows.sort_by(|a, b| a.key.cmp(&b.key));
    } else {
        rows.sort_by(|a, b| {
            b.cost_usd
                .unwrap_or(-1.0)
                .total_cmp(&a.cost_usd.unwrap_or(-1.0))
                .then(b.calls.cmp(&a.calls))
                .then(a.key.is_none().cmp(&b.key.is_none()))
                .then(a.key.cmp(&b.key))
        });
    }
}

/// Rows grouped anew: each row's key mapped by `key_of` (e.g. a run to its sprint
/// chain), rows with the same new key summed, ordered as usage orders them.
pub fn regroup(
    rows: Vec<UsageRow>,
    key_of: impl Fn(Option<&str>) -> Option<String>,
) -> Vec<UsageRow> {
    let mut groups: BTreeMap<Option<String>, Vec<UsageRow>> = BTreeMap::new();
    for r in rows {
        groups.entry(key_of(r.key.as_deref())).or_default().push(r);
    }
    let mut out: Vec<UsageRow> = groups
        .into_iter()
        .map(|(key, rows)| {
            let mut t = total(&rows);
            t.key = key;
            t
        })
        .collect();
    sort_rows(&mut out, UsageBy::Chain);
    out
}

/// All rows together (the TOTAL line).
pub fn total(rows: &[UsageRow]) -> UsageRow {
    let mut t = UsageRow {
        key: None,
        calls: 0,
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_usd: None,
        estimated: false,
        unpriced_models: Vec::new(),
        quantities: BTreeMap::new(),
    };
    let mut unpriced = BTreeSet::new();
    for r in rows {
        t.calls += r.calls;
        t.input_tokens += r.input_tokens;
        t.output_tokens += r.output_tokens;
        t.cache_read_tokens += r.cache_read_tokens;
        t.cache_write_tokens += r.cache_write_tokens;
        if let Some(c) = r.cost_usd {
            t.cost_usd = Some(t.cost_usd.unwrap_or(0.0) + c);
        }
        t.estimated |= r.estimated;
        unpriced.extend(r.unpriced_models.iter().cloned());
        for (unit, q) in &r.quantities {
            *t.quantities.entry(unit.clone()).or_default() += q;
        }
    }
    t.cost_usd = t.cost_usd.map(|c| (c * 1e6).round() / 1e6);
    t.unpriced_models = unpriced.into_iter().collect();
    t
}
