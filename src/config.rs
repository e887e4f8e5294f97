//! The optional configuration file `ROOT/ccmon.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// The configuration file's name inside a data root.
pub const CONFIG_FILE: &str = "ccmon.json";

/// Settings read from `ROOT/ccmon.json`. Every key is optional; the defaults are the
/// ones of the specification.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Config {
    /// Make every append durable (`fsync`) before the program exits.
    pub fsync: bool,
    /// Stamp records with the writer's host name.
    pub host: bool,
    /// Extra redaction keys and patterns.
    pub redact: RedactConfig,
    /// Provider health thresholds.
    pub health: HealthConfig,
    /// Quality score weights and threshold.
    pub quality: QualityConfig,
    /// Prices per model, USD per million tokens.
    pub pricing: BTreeMap<String, ModelPrice>,
    /// Alert rules.
    pub alerts: Vec<AlertRule>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            fsync: false,
            host: true,
            redact: RedactConfig::default(),
            health: HealthConfig::default(),
            quality: QualityConfig::default(),
            pricing: BTreeMap::new(),
            alerts: Vec::new(),
        }
    }
}

/// Extra secrets to redact, on top of the built-in rules.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RedactConfig {
    /// Key names whose string values are secrets.
    pub keys: Vec<String>,
    /// Regular expressions whose matches are secrets.
    pub patterns: Vec<String>,
}

/// When a provider counts as degraded or down.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HealthConfig {
    /// The window health is computed over (a DURATION).
    pub window: String,
    /// Availability under which a provider is degraded.
    pub degraded_below: f64,
    /// Availability under which a provider is down.
    pub down_below: f64,
    /// Consecutive failures that make a provider degraded.
    pub degraded_after_failures: u32,
    /// Consecutive failures that make a provider down.
    pub down_after_failures: u32,
    /// p95 latency above which a provider is degraded, if set.
    pub p95_limit_ms: Option<f64>,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            window: "1h".into(),
            degraded_below: 0.95,
            down_below: 0.80,
            degraded_after_failures: 3,
            down_after_failures: 5,
            p95_limit_ms: None,
        }
    }
}

/// How the composite quality score is computed.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct QualityConfig {
    /// Weight of each quality dimension.
    pub weights: BTreeMap<String, f64>,
    /// The composite score a run must reach.
    pub threshold: f64,
}

impl Default for QualityConfig {
    fn default() -> Self {
        let weights = [
            "correctness",
            "typeSafety",
            "codeStyle",
            "testCoverage",
            "completeness",
        ]
        .into_iter()
        .map(|k| (k.to_string(), 1.0))
        .collect();
        QualityConfig {
            weights,
            threshold: 80.0,
        }
    }
}

/// A model's prices in USD per million tokens.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ModelPrice {
    /// Input tokens.
    pub input: f64,
    /// Output tokens.
    pub output: f64,
    /// Tokens read from the prompt cache.
    pub cache_read: f64,
    /// Tokens written to the prompt cache (the 5-minute cache where there are two).
    pub cache_write: f64,
    /// Tokens written to the 1-hour prompt cache; absent: twice the input price (the
    /// providers' rule).
    #[serde(rename = "cacheWrite1h")]
    pub cache_write_1h: Option<f64>,
    /// Higher rates for the tokens of a call beyond a size.
    pub long_context: Option<LongContextPrice>,
}

/// Long-context rates (USD per million tokens): the tokens of each kind beyond
/// `aboveTokens` in one call are priced at them (as ccusage does). Cache rates absent
/// here scale with the input rate.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct LongContextPrice {
    /// The prompt size above which these rates apply.
    pub above_tokens: u64,
    /// Input tokens.
    pub input: f64,
    /// Output tokens.
    pub output: f64,
    /// Cache reads.
    pub cache_read: Option<f64>,
    /// 5-minute cache writes.
    pub cache_write: Option<f64>,
    /// 1-hour cache writes.
    #[serde(rename = "cacheWrite1h")]
    pub cache_write_1h: Option<f64>,
}

/// One alert rule: `metric` of `target` over `window` compared with `threshold`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// The rule's name.
    pub name: String,
    /// The metric, such as `cuj.successRate`.
    pub metric: String,
    /// What the metric is about (a CUJ, skill or provider), or `*` for every one.
    #[serde(default = "any_target")]
    pub target: String,
    /// The window the metric is computed over (a DURATION).
    #[serde(default = "default_alert_window")]
    pub window: String,
    /// The comparison: `<`, `<=`, `>`, `>=`, `==` or `!=`.
    pub op: String,
    /// The value compared with.
    pub threshold: f64,
}

fn any_target() -> String {
    "*".into()
}

fn default_alert_window() -> String {
    "1h".into()
}

impl Config {
    /// Reads `ROOT/ccmon.json`; a missing file gives the defaults. A malformed file is
    /// an [`Error::Config`] naming the file and the field.
    pub fn load(root: &Path) -> Result<Config> {
        let path = root.join(CONFIG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(source) => return Err(Error::Read { path, source }),
        };
        Self::parse(&text, &path)
    }

    /// Parses configuration text; `path` is used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = match e.path().to_string() {
                p if p == "." => "(document)".to_string(),
                p => p,
            };
            config_error(
                path,
                &field,
                crate::error::without_value(&e.inner().to_string()),
            )
        })?;
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let h = &self.health;
        crate::timespec::parse_duration(&h.window, "health.window")
            .map_err(|e| config_error(path, "health.window", e.to_string()))?;
        for (field, value) in [
            ("health.degradedBelow", h.degraded_below),
            ("health.downBelow", h.down_below),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(config_error(
                    path,
                    field,
                    format!("{value} is not a fraction between 0 and 1"),
                ));
            }
        }
        for (i, p) in self.redact.patterns.iter().enumerate() {
            if let Err(e) = regex::Regex::new(p) {
                return Err(config_error(
                    path,
                    &format!("redact.patterns[{i}]"),
                    e.to_string(),
                ));
            }
        }
        for (name, w) in &self.quality.weights {
            if !w.is_finite() || *w < 0.0 {
                return Err(config_error(
                    path,
                    &format!("quality.weights.{name}"),
                    "weights must be numbers ≥ 0",
                ));
            }
        }
        for (i, rule) in self.alerts.iter().enumerate() {
            if !matches!(rule.op.as_str(), "<" | "<=" | ">" | ">=" | "==" | "!=") {
                return Err(config_error(
                    path,
                    &format!("alerts[{i}].op"),
                    format!("{:?} is not one of <, <=, >, >=, ==, !=", rule.op),
                ));
            }
            crate::timespec::parse_duration(&rule.window, "window")
                .map_err(|e| config_error(path, &format!("alerts[{i}].window"), e.to_string()))?;
        }
        Ok(())
    }
}

fn config_error(path: &Path, field: &str, message: impl Into<String>) -> Error {
    Error::Config {
        path: PathBuf::from(path),
        field: field.to_string(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_empty() {
        let c = Config::parse("{}", Path::new("ccmon.json")).unwrap();
        assert!(c.host);
        assert!(!c.fsync);
        assert_eq!(c.health.down_after_failures, 5);
        assert_eq!(c.quality.threshold, 80.0);
        assert_eq!(c.quality.weights.len(), 5);
    }

    #[test]
    fn errors_name_file_and_field() {
        let err = Config::parse(
            r#"{"health": {"downBelow": "high"}}"#,
            Path::new("/r/ccmon.json"),
        )
        .unwrap_err();
        let msg = err.to_string();
        // The kind of value, never the value (it may be a secret in the wrong place).
        assert_eq!(
            msg,
            "/r/ccmon.json: health.downBelow: expected f64, found string at line 1 column 31"
        );
        assert_eq!(err.exit_code(), 2);

        let err = Config::parse(
            r#"{"redact": {"patterns": ["(unclosed"]}}"#,
            Path::new("c.json"),
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("c.json: redact.patterns[0]:"),
            "{err}"
        );

        let err =
            Config::parse(r#"{"health": {"window": "soon"}}"#, Path::new("c.json")).unwrap_err();
        assert!(
            err.to_string().starts_with("c.json: health.window:"),
            "{err}"
        );

        let err = Config::parse("{not json", Path::new("c.json")).unwrap_err();
        assert!(err.to_string().starts_with("c.json: "), "{err}");
    }
}
