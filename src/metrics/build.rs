//! Building journey executions from command-line values: SUCCESS words, `k=v` score
//! lists, and the composite quality score.

use std::collections::BTreeMap;

use super::view::{DIMENSIONS, weighted_mean};
use crate::error::{Error, Result};
use crate::record::Quality;

/// SUCCESS as given on the command line: `true`/`false`, `1`/`0`, `ok`/`fail`
/// (any case).
///
/// ```
/// use ccmon::metrics::parse_success;
/// assert_eq!(parse_success("OK", "SUCCESS").unwrap(), true);
/// assert_eq!(parse_success("0", "SUCCESS").unwrap(), false);
/// assert!(parse_success("maybe", "SUCCESS").is_err());
/// ```
pub fn parse_success(value: &str, field: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "ok" => Ok(true),
        "false" | "0" | "fail" => Ok(false),
        _ => Err(Error::invalid(
            field,
            format!(
                "got {}; expected one of true, false, 1, 0, ok, fail",
                crate::error::value_kind(value)
            ),
        )),
    }
}

/// The camelCase name of a quality dimension given as `typeSafety`, `type_safety`,
/// `type-safety` or `TYPESAFETY`; `None` for anything else.
pub fn canonical_dimension(name: &str) -> Option<&'static str> {
    let folded: String = name
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    DIMENSIONS
        .iter()
        .copied()
        .find(|d| d.to_ascii_lowercase() == folded)
}

/// Parses `k=v,k=v` scores or weights for `flag`: keys are quality dimensions, values
/// numbers.
pub fn parse_scores(text: &str, flag: &str) -> Result<Vec<(&'static str, f64)>> {
    let mut out: Vec<(&'static str, f64)> = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').ok_or_else(|| {
            Error::invalid(
                flag,
                format!(
                    "got {}; expected NAME=NUMBER",
                    crate::error::value_kind(pair)
                ),
            )
        })?;
        let name = canonical_dimension(key.trim()).ok_or_else(|| {
            Error::invalid(
                flag,
                format!(
                    "got an unknown quality dimension; expected one of {}",
                    DIMENSIONS.join(", ")
                ),
            )
        })?;
        let number: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| {
                Error::invalid(
                    flag,
                    format!(
                        "{name}: got {}; expected a number",
                        crate::error::value_kind(value)
                    ),
                )
            })?;
        if out.iter().any(|(n, _)| *n == name) {
            return Err(Error::invalid(flag, format!("{name} is given twice")));
        }
        out.push((name, number));
    }
    if out.is_empty() {
        return Err(Error::invalid(
            flag,
            "expected NAME=NUMBER[,NAME=NUMBER...]",
        ));
    }
    Ok(out)
}

/// Quality scores with their composite (the weighted mean of the dimensions given,
/// rounded to 2 decimals) and `thresholdResult` (`composite >= threshold`).
///
/// ```
/// use std::collections::BTreeMap;
/// use ccmon::metrics::score_quality;
/// let weights = BTreeMap::from([("correctness".to_string(), 3.0)]);
/// let q = score_quality(&[("correctness", 90.0), ("codeStyle", 70.0)], &weights, 80.0).unwrap();
/// assert_eq!((q.composite, q.threshold_result), (Some(85.0), Some(true)));
/// ```
pub fn score_quality(
    scores: &[(&'static str, f64)],
    weights: &BTreeMap<String, f64>,
    threshold: f64,
) -> Result<Quality> {
    let mut q = Quality::default();
    for &(name, v) in scores {
        if !(0.0..=100.0).contains(&v) {
            return Err(Error::invalid(
                "--quality",
                format!("{name}={v} is outside 0–100"),
            ));
        }
        let slot = match name {
            "correctness" => &mut q.correctness,
            "typeSafety" => &mut q.type_safety,
            "codeStyle" => &mut q.code_style,
            "testCoverage" => &mut q.test_coverage,
            _ => &mut q.completeness,
        };
        *slot = Some(v);
    }
    for (name, w) in weights {
        if !w.is_finite() || *w < 0.0 {
            return Err(Error::invalid(
                "--weights",
                format!("{name}={w} must be a number ≥ 0"),
            ));
        }
    }
    if !threshold.is_finite() || !(0.0..=100.0).contains(&threshold) {
        return Err(Error::invalid(
            "--threshold",
            format!("{threshold} is outside 0–100"),
        ));
    }
    let composite = weighted_mean(scores.iter().copied(), weights).ok_or_else(|| {
        Error::invalid(
            "--weights",
            "every dimension given has weight 0, so there is no composite",
        )
    })?;
    let composite = (composite * 100.0).round() / 100.0;
    q.composite = Some(composite);
    q.threshold = Some(threshold);
    q.threshold_result = Some(composite >= threshold);
    Ok(q)
}
