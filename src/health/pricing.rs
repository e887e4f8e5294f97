//! Model prices (USD per million tokens): a built-in table for current major models,
//! merged with `pricing` overrides from `ccmon.json`, and the cost of a call.

use std::collections::BTreeMap;

use crate::config::ModelPrice;

/// When the built-in prices were taken from the providers' published price lists.
pub const PRICES_AS_OF: &str = "2025-11";

const fn price(input: f64, output: f64, cache_read: f64, cache_write: f64) -> ModelPrice {
    ModelPrice {
        input,
        output,
        cache_read,
        cache_write,
    }
}

/// The built-in table: model, then input, output, cache-read and cache-write prices per
/// million tokens (cache writes priced as input where the provider does not charge
/// extra for them).
pub const BUILT_IN: &[(&str, ModelPrice)] = &[
    ("claude-opus-4-5", price(5.0, 25.0, 0.50, 6.25)),
    ("claude-opus-4-1", price(15.0, 75.0, 1.50, 18.75)),
    ("claude-opus-4", price(15.0, 75.0, 1.50, 18.75)),
    ("claude-sonnet-4-5", price(3.0, 15.0, 0.30, 3.75)),
    ("claude-sonnet-4", price(3.0, 15.0, 0.30, 3.75)),
    ("claude-3-7-sonnet", price(3.0, 15.0, 0.30, 3.75)),
    ("claude-haiku-4-5", price(1.0, 5.0, 0.10, 1.25)),
    ("claude-3-5-haiku", price(0.80, 4.0, 0.08, 1.0)),
    ("gpt-5", price(1.25, 10.0, 0.125, 1.25)),
    ("gpt-5-mini", price(0.25, 2.0, 0.025, 0.25)),
    ("gpt-5-nano", price(0.05, 0.40, 0.005, 0.05)),
    ("gpt-4.1", price(2.0, 8.0, 0.50, 2.0)),
    ("gpt-4.1-mini", price(0.40, 1.60, 0.10, 0.40)),
    ("gpt-4o", price(2.50, 10.0, 1.25, 2.50)),
    ("gpt-4o-mini", price(0.15, 0.60, 0.075, 0.15)),
    ("o3", price(2.0, 8.0, 0.50, 2.0)),
    ("o4-mini", price(1.10, 4.40, 0.275, 1.10)),
    ("gemini-2.5-pro", price(1.25, 10.0, 0.31, 1.25)),
    ("gemini-2.5-flash", price(0.30, 2.50, 0.075, 0.30)),
];

/// The prices in force: the built-in table with the config's entries on top.
#[derive(Debug, Clone)]
pub struct PriceTable {
    prices: BTreeMap<String, ModelPrice>,
}

impl PriceTable {
    /// The built-in table merged with `overrides` (which win, and may add models).
    pub fn new(overrides: &BTreeMap<String, ModelPrice>) -> PriceTable {
        let mut prices: BTreeMap<String, ModelPrice> =
            BUILT_IN.iter().map(|(m, p)| (m.to_string(), *p)).collect();
        for (m, p) in overrides {
            prices.insert(m.clone(), *p);
        }
        PriceTable { prices }
    }

    /// The price of `model`: an exact entry, else the longest entry the name starts with
    /// followed by `-`, `@` or `:` (dated and versioned names, `claude-sonnet-4-5-20250929`),
    /// looked up without any `vendor/` prefix.
    ///
    /// ```
    /// use ccmon::health::PriceTable;
    /// let t = PriceTable::new(&Default::default());
    /// assert_eq!(t.get("claude-sonnet-4-5-20250929").unwrap().output, 15.0);
    /// assert_eq!(t.get("openai/gpt-4o-mini").unwrap().input, 0.15);
    /// assert!(t.get("my-local-llama").is_none());
    /// ```
    pub fn get(&self, model: &str) -> Option<ModelPrice> {
        let name = model.rsplit('/').next().unwrap_or(model).trim();
        if let Some(p) = self.prices.get(name) {
            return Some(*p);
        }
        self.prices
            .iter()
            .filter(|(key, _)| {
                name.strip_prefix(key.as_str())
                    .is_some_and(|rest| rest.starts_with(['-', '@', ':']))
            })
            .max_by_key(|(key, _)| key.len())
            .map(|(_, p)| *p)
    }

    /// Every entry, by model.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &ModelPrice)> {
        self.prices.iter().map(|(m, p)| (m.as_str(), p))
    }
}

/// Token counts of a call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    /// Input tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Tokens read from the cache.
    pub cache_read: u64,
    /// Tokens written to the cache.
    pub cache_write: u64,
}

impl Tokens {
    /// Whether there is anything to price.
    pub fn any(&self) -> bool {
        self.input + self.output + self.cache_read + self.cache_write > 0
    }

    /// The cost in USD at `price`.
    ///
    /// ```
    /// use ccmon::health::{PriceTable, Tokens};
    /// let p = PriceTable::new(&Default::default()).get("claude-sonnet-4-5").unwrap();
    /// let t = Tokens { input: 1_000_000, output: 100_000, cache_read: 0, cache_write: 0 };
    /// assert!((t.cost(&p) - 4.5).abs() < 1e-12);
    /// ```
    pub fn cost(&self, price: &ModelPrice) -> f64 {
        (self.input as f64 * price.input
            + self.output as f64 * price.output
            + self.cache_read as f64 * price.cache_read
            + self.cache_write as f64 * price.cache_write)
            / 1e6
    }
}

/// What a call cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cost {
    /// Given by the caller.
    Recorded(f64),
    /// Computed from the price table.
    Estimated(f64),
    /// Tokens were used, but the model has no known price.
    Unpriced,
    /// Nothing to price (no tokens, no cost).
    Nothing,
}

impl Cost {
    /// The cost of a call: as recorded, else estimated from the model's price.
    pub fn of(
        recorded: Option<f64>,
        model: Option<&str>,
        tokens: Tokens,
        table: &PriceTable,
    ) -> Cost {
        if let Some(c) = recorded {
            return Cost::Recorded(c);
        }
        if !tokens.any() {
            return Cost::Nothing;
        }
        match model.and_then(|m| table.get(m)) {
            Some(p) => Cost::Estimated(tokens.cost(&p)),
            None => Cost::Unpriced,
        }
    }
}

/// The price table as text for `--help`.
pub fn help_table() -> String {
    let mut out = format!(
        "Built-in prices (USD per million tokens, as of {PRICES_AS_OF}; add or override models\n\
         under \"pricing\" in ccmon.json):\n  {:<20} {:>7} {:>7} {:>10} {:>11}\n",
        "MODEL", "INPUT", "OUTPUT", "CACHE READ", "CACHE WRITE"
    );
    for (m, p) in BUILT_IN {
        out.push_str(&format!(
            "  {m:<20} {:>7} {:>7} {:>10} {:>11}\n",
            p.input, p.output, p.cache_read, p.cache_write
        ));
    }
    out
}
