//! Model prices (USD per million tokens): a built-in table for current major models,
//! merged with `pricing` overrides from `ccmon.json`, and the cost of a call.

use std::collections::BTreeMap;

use crate::config::{LongContextPrice, ModelPrice};

/// When the built-in prices were taken from the providers' published price lists
/// (cross-checked against the model price table that the `litellm` package ships).
pub const PRICES_AS_OF: &str = "2026-11-30";

/// Input, output, cache-read and 5-minute cache-write prices; 1-hour cache writes at
/// twice the input price (Anthropic's rule).
const fn claude(input: f64, output: f64, cache_read: f64, cache_write: f64) -> ModelPrice {
    ModelPrice {
        input,
        output,
        cache_read,
        cache_write,
        cache_write_1h: Some(input * 2.0),
        long_context: None,
    }
}

/// A Claude model with a 1M-token context whose tokens beyond 200 000 (of each kind) are
/// priced at `long_input`/`long_output` (cache rates scaled the same way).
const fn claude_long(
    input: f64,
    output: f64,
    cache_read: f64,
    cache_write: f64,
    long_input: f64,
    long_output: f64,
) -> ModelPrice {
    ModelPrice {
        long_context: Some(LongContextPrice {
            above_tokens: 200_000,
            input: long_input,
            output: long_output,
            cache_read: None,
            cache_write: None,
            cache_write_1h: None,
        }),
        ..claude(input, output, cache_read, cache_write)
    }
}

/// OpenAI and Google: input, output and cached-input prices; writing the cache costs
/// what input costs.
const fn price(input: f64, output: f64, cache_read: f64) -> ModelPrice {
    ModelPrice {
        input,
        output,
        cache_read,
        cache_write: input,
        cache_write_1h: None,
        long_context: None,
    }
}

/// The built-in table, newest families first: model, then its prices per million
/// tokens. A dated or versioned name (`claude-sonnet-4-5-20250929`,
/// `gpt-5-2025-08-07`) takes its family's entry; another minor version does not.
pub const BUILT_IN: &[(&str, ModelPrice)] = &[
    // Anthropic (1-hour cache writes at 2x input).
    ("claude-fable-5", claude(10.0, 50.0, 1.0, 12.5)),
    ("claude-fable-5-1", claude(10.0, 50.0, 0.25, 12.5)),
    ("claude-mythos-5", claude(10.0, 50.0, 1.0, 12.5)),
    ("claude-mythos-5-1", claude(10.0, 50.0, 0.25, 12.5)),
    ("claude-mythos-preview", claude(10.0, 50.0, 1.0, 12.5)),
    ("claude-opus-5-5", claude(4.0, 20.0, 0.20, 5.0)),
    ("claude-opus-5", claude(5.0, 25.0, 0.50, 6.25)),
    ("claude-sonnet-5-5", claude(2.0, 10.0, 0.10, 2.5)),
    ("claude-sonnet-5", claude(2.0, 10.0, 0.20, 2.5)),
    ("claude-haiku-5-5", claude(0.10, 0.50, 0.01, 0.125)),
    ("claude-opus-4-8", claude(5.0, 25.0, 0.50, 6.25)),
    ("claude-opus-4-7", claude(5.0, 25.0, 0.50, 6.25)),
    ("claude-opus-4-6", claude(5.0, 25.0, 0.50, 6.25)),
    ("claude-opus-4-5", claude(5.0, 25.0, 0.50, 6.25)),
    ("claude-opus-4-1", claude(15.0, 75.0, 1.50, 18.75)),
    ("claude-opus-4", claude(15.0, 75.0, 1.50, 18.75)),
    ("claude-sonnet-4-6", claude(3.0, 15.0, 0.30, 3.75)),
    (
        "claude-sonnet-4-5",
        claude_long(3.0, 15.0, 0.30, 3.75, 6.0, 22.5),
    ),
    (
        "claude-sonnet-4",
        claude_long(3.0, 15.0, 0.30, 3.75, 6.0, 22.5),
    ),
    ("claude-haiku-4-5", claude(1.0, 5.0, 0.10, 1.25)),
    ("claude-3-7-sonnet", claude(3.0, 15.0, 0.30, 3.75)),
    ("claude-3-5-sonnet", claude(3.0, 15.0, 0.30, 3.75)),
    ("claude-3-5-haiku", claude(0.80, 4.0, 0.08, 1.0)),
    ("claude-3-opus", claude(15.0, 75.0, 1.50, 18.75)),
    ("claude-3-haiku", claude(0.25, 1.25, 0.03, 0.30)),
    // OpenAI (cached input at its own rate; no charge to write the cache).
    ("gpt-5.6", price(4.0, 20.0, 0.40)),
    ("gpt-5.6-sol", price(4.0, 20.0, 0.40)),
    ("gpt-5.6-terra", price(2.0, 12.0, 0.20)),
    ("gpt-5.6-luna", price(0.20, 1.20, 0.02)),
    ("gpt-5.5", price(5.0, 30.0, 0.50)),
    ("gpt-5.5-pro", price(30.0, 180.0, 30.0)),
    ("gpt-5.4", price(2.50, 15.0, 0.25)),
    ("gpt-5.4-mini", price(0.75, 4.50, 0.075)),
    ("gpt-5.4-nano", price(0.20, 1.25, 0.02)),
    ("gpt-5.4-pro", price(30.0, 180.0, 30.0)),
    ("gpt-5.3-codex", price(1.75, 14.0, 0.175)),
    ("gpt-5.2", price(1.75, 14.0, 0.175)),
    ("gpt-5.2-codex", price(1.75, 14.0, 0.175)),
    ("gpt-5.2-pro", price(21.0, 168.0, 21.0)),
    ("gpt-5.1", price(1.25, 10.0, 0.125)),
    ("gpt-5.1-codex", price(1.25, 10.0, 0.125)),
    ("gpt-5.1-codex-max", price(1.25, 10.0, 0.125)),
    ("gpt-5.1-codex-mini", price(0.25, 2.0, 0.025)),
    ("gpt-5", price(1.25, 10.0, 0.125)),
    ("gpt-5-codex", price(1.25, 10.0, 0.125)),
    ("gpt-5-mini", price(0.25, 2.0, 0.025)),
    ("gpt-5-nano", price(0.05, 0.40, 0.005)),
    ("gpt-5-pro", price(15.0, 120.0, 15.0)),
    ("codex-mini-latest", price(1.50, 6.0, 0.375)),
    ("gpt-4.1", price(2.0, 8.0, 0.50)),
    ("gpt-4.1-mini", price(0.40, 1.60, 0.10)),
    ("gpt-4.1-nano", price(0.10, 0.40, 0.025)),
    ("gpt-4o", price(2.50, 10.0, 1.25)),
    ("gpt-4o-mini", price(0.15, 0.60, 0.075)),
    ("o4-mini", price(1.10, 4.40, 0.275)),
    ("o3", price(2.0, 8.0, 0.50)),
    ("o3-mini", price(1.10, 4.40, 0.55)),
    ("o3-pro", price(20.0, 80.0, 20.0)),
    ("o1", price(15.0, 60.0, 7.50)),
    // Google.
    ("gemini-2.5-pro", price(1.25, 10.0, 0.31)),
    ("gemini-2.5-flash", price(0.30, 2.50, 0.075)),
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
    /// followed by a date or version (`claude-sonnet-4-5-20250929`, `gpt-5-2025-08-07`,
    /// `...@20250929`, `...-v1:0`, `...-latest`), looked up without any `vendor/`
    /// prefix. Another minor version is not a suffix: `claude-opus-4-9` is not priced
    /// as `claude-opus-4`.
    ///
    /// ```
    /// use ccmon::health::PriceTable;
    /// let t = PriceTable::new(&Default::default());
    /// assert_eq!(t.get("claude-sonnet-4-5-20250929").unwrap().output, 15.0);
    /// assert_eq!(t.get("openai/gpt-4o-mini").unwrap().input, 0.15);
    /// assert!(t.get("my-local-llama").is_none());
    /// assert_eq!(t.get("claude-opus-4-6").unwrap().input, 5.0);
    /// assert!(t.get("claude-opus-4-9").is_none());
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
                    .is_some_and(is_version_suffix)
            })
            .max_by_key(|(key, _)| key.len())
            .map(|(_, p)| *p)
    }

    /// Every entry, by model.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &ModelPrice)> {
        self.prices.iter().map(|(m, p)| (m.as_str(), p))
    }
}

/// Whether what follows a price-table key in a model name is a date or version of
/// that model rather than another model (`-20250929`, `-2025-08-07`, `@2025`, `:0`,
/// `-v1`, `-latest`).
fn is_version_suffix(rest: &str) -> bool {
    if rest.starts_with(['@', ':']) {
        return true;
    }
    let Some(part) = rest.strip_prefix('-') else {
        return false;
    };
    let first = part.split(['-', ':', '@']).next().unwrap_or("");
    (first.len() >= 4 && first.bytes().all(|b| b.is_ascii_digit()))
        || first == "latest"
        || (first.starts_with('v')
            && first[1..].bytes().all(|b| b.is_ascii_digit())
            && first.len() > 1)
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
    /// Tokens written to the cache (both durations).
    pub cache_write: u64,
    /// The part of `cache_write` written to the 1-hour cache.
    pub cache_write_1h: u64,
}

impl Tokens {
    /// Whether there is anything to price.
    pub fn any(&self) -> bool {
        self.input + self.output + self.cache_read + self.cache_write > 0
    }

    /// The cost in USD at `price`: 5-minute cache writes at the cache-write rate, 1-hour
    /// ones at the 1-hour rate; for a model with long-context rates, the tokens of each
    /// kind beyond its size (`aboveTokens`) at those rates (how ccusage prices them).
    ///
    /// ```
    /// use ccmon::health::{PriceTable, Tokens};
    /// let p = PriceTable::new(&Default::default()).get("claude-sonnet-4-5").unwrap();
    /// let t = Tokens { input: 1_000_000, output: 100_000, ..Tokens::default() };
    /// // 200 000 input tokens at $3, the other 800 000 at the long-context $6.
    /// assert!((t.cost(&p) - (0.6 + 4.8 + 1.5)).abs() < 1e-12);
    /// // 1-hour cache writes cost twice the input price, 5-minute ones 1.25 times.
    /// let w = Tokens { cache_write: 100_000, cache_write_1h: 40_000, ..Tokens::default() };
    /// assert!((w.cost(&p) - (0.06 * 3.75 + 0.04 * 6.0)).abs() < 1e-12);
    /// ```
    pub fn cost(&self, price: &ModelPrice) -> f64 {
        let one_hour = self.cache_write_1h.min(self.cache_write);
        let five_min = self.cache_write - one_hour;
        let write_1h = price.cache_write_1h.unwrap_or(price.input * 2.0);
        let base = |n: u64, rate: f64| n as f64 * rate;
        let dollars = match price.long_context {
            None => {
                base(self.input, price.input)
                    + base(self.output, price.output)
                    + base(self.cache_read, price.cache_read)
                    + base(five_min, price.cache_write)
                    + base(one_hour, write_1h)
            }
            Some(l) => {
                let scale = if price.input > 0.0 {
                    l.input / price.input
                } else {
                    1.0
                };
                let tier = |n: u64, rate: f64, long: f64| {
                    let below = n.min(l.above_tokens);
                    below as f64 * rate + (n - below) as f64 * long
                };
                tier(self.input, price.input, l.input)
                    + tier(self.output, price.output, l.output)
                    + tier(
                        self.cache_read,
                        price.cache_read,
                        l.cache_read.unwrap_or(price.cache_read * scale),
                    )
                    + tier(
                        five_min,
                        price.cache_write,
                        l.cache_write.unwrap_or(price.cache_write * scale),
                    )
                    + tier(
                        one_hour,
                        write_1h,
                        l.cache_write_1h.unwrap_or(write_1h * scale),
                    )
            }
        };
        dollars / 1e6
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
         under \"pricing\" in ccmon.json, with \"cacheWrite1h\" and \"longContext\":\n\
         {{\"aboveTokens\": 200000, \"input\": 6, \"output\": 22.5}} where a model has them):\n  \
         {:<22} {:>7} {:>7} {:>10} {:>11} {:>8} {:>12}\n",
        "MODEL", "INPUT", "OUTPUT", "CACHE READ", "CACHE WRITE", "1H WRITE", ">200K IN/OUT"
    );
    for (m, p) in BUILT_IN {
        let one_hour = p
            .cache_write_1h
            .map_or_else(|| "-".to_string(), |v| v.to_string());
        let long = p
            .long_context
            .map_or_else(|| "-".to_string(), |l| format!("{}/{}", l.input, l.output));
        out.push_str(&format!(
            "  {m:<22} {:>7} {:>7} {:>10} {:>11} {:>8} {:>12}\n",
            p.input, p.output, p.cache_read, p.cache_write, one_hour, long
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> PriceTable {
        PriceTable::new(&BTreeMap::new())
    }

    #[test]
    fn names_find_their_own_entry() {
        let t = table();
        for (name, input, output) in [
            ("claude-opus-4-6", 5.0, 25.0),
            ("claude-opus-4-6-20260205", 5.0, 25.0),
            ("claude-opus-4-20250514", 15.0, 75.0),
            ("claude-opus-4-1-20250805", 15.0, 75.0),
            ("claude-sonnet-4-5-20250929", 3.0, 15.0),
            ("claude-haiku-4-5-20251001", 1.0, 5.0),
            ("anthropic/claude-3-5-haiku-20241022", 0.8, 4.0),
            ("gpt-5-codex", 1.25, 10.0),
            ("gpt-5-2025-08-07", 1.25, 10.0),
            ("gpt-5.1-codex-mini", 0.25, 2.0),
            ("gpt-5.2-codex", 1.75, 14.0),
            ("claude-sonnet-4-5@20250929", 3.0, 15.0),
            ("claude-sonnet-4-5-v1:0", 3.0, 15.0),
        ] {
            let p = t.get(name).unwrap_or_else(|| panic!("{name} has no price"));
            assert_eq!((p.input, p.output), (input, output), "{name}");
        }
        for unknown in [
            "claude-opus-4-9",
            "gpt-5-turbo-ultra",
            "llama-3",
            "claude-opus",
        ] {
            assert!(t.get(unknown).is_none(), "{unknown}");
        }
    }

    #[test]
    fn cache_writes_priced_by_duration() {
        let p = table().get("claude-opus-4-6").unwrap();
        // 500 five-minute and 1500 one-hour writes, 20 input, 30 output: the figure
        // ccusage 20.0.24 gives for the same response.
        let t = Tokens {
            input: 20,
            output: 30,
            cache_write: 2000,
            cache_write_1h: 1500,
            ..Tokens::default()
        };
        assert!((t.cost(&p) - 0.018975).abs() < 1e-12, "{}", t.cost(&p));
    }

    #[test]
    fn long_context_rates_apply_to_the_tokens_above_the_size() {
        let p = table().get("claude-sonnet-4-5").unwrap();
        let at = |input: u64| {
            Tokens {
                input,
                output: 1000,
                ..Tokens::default()
            }
            .cost(&p)
        };
        assert!((at(200_000) - (0.6 + 0.015)).abs() < 1e-12);
        // ccusage 20.0.24 gives $1.215 for 300 000 input and 1 000 output tokens.
        assert!((at(300_000) - 1.215).abs() < 1e-12);
        // Cache reads beyond the size at the scaled long-context rate ($0.108 in ccusage).
        let r = Tokens {
            input: 1000,
            output: 1000,
            cache_read: 250_000,
            ..Tokens::default()
        };
        assert!((r.cost(&p) - 0.108).abs() < 1e-12, "{}", r.cost(&p));
        // Models without long-context rates: one rate.
        let opus = table().get("claude-opus-4-6").unwrap();
        let big = Tokens {
            input: 300_000,
            output: 1000,
            ..Tokens::default()
        };
        assert!((big.cost(&opus) - 1.525).abs() < 1e-12);
    }

    #[test]
    fn config_overrides_and_adds() {
        let mut o = BTreeMap::new();
        o.insert(
            "my-model".to_string(),
            ModelPrice {
                input: 1.0,
                output: 2.0,
                ..ModelPrice::default()
            },
        );
        let t = PriceTable::new(&o);
        assert_eq!(t.get("my-model").unwrap().output, 2.0);
        let one_hour = Tokens {
            cache_write: 10,
            cache_write_1h: 10,
            ..Tokens::default()
        };
        // No 1-hour rate given: twice the input rate.
        assert!((one_hour.cost(&t.get("my-model").unwrap()) - 20.0 / 1e6).abs() < 1e-15);
    }
}
