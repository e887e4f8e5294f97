//! `cc-health statusline`: Claude Code's status-line JSON in, one line out (SPEC §10).
//! It never exits non-zero: a status line that fails shows nothing useful at all.

use std::io::Read;
use std::time::SystemTime;

use serde_json::Value;

use super::{CommonArgs, Settings};
use crate::agents::{self, Agent, Options, Source};
use crate::health::{self, PriceTable, UsageBy};
use crate::output;
use crate::record::Timestamp;

fn money(v: f64) -> String {
    if v >= 100.0 {
        format!("${v:.0}")
    } else {
        format!("${v:.2}")
    }
}

fn percent_of(v: &Value) -> Option<f64> {
    let n = |k: &str| v.get(k).and_then(Value::as_f64);
    n("used_percentage")
        .or_else(|| n("used_percent"))
        .or_else(|| n("utilization"))
        .or_else(|| n("percent"))
        .or_else(|| v.as_f64())
}

/// The status line for `input` with the root's records.
pub fn line(input: &Value, settings: &Settings) -> String {
    let mut parts = Vec::new();
    let model = input
        .pointer("/model/display_name")
        .or_else(|| input.pointer("/model/id"))
        .or_else(|| input.get("model"))
        .and_then(Value::as_str);
    parts.push(model.unwrap_or("claude").to_string());
    if let Some(c) = input
        .pointer("/cost/total_cost_usd")
        .and_then(Value::as_f64)
    {
        parts.push(format!("session {}", money(c)));
    }
    let prices = PriceTable::new(&settings.config.pricing);
    let now = settings.now;
    let local_midnight = {
        let dt = now.to_datetime();
        let day = if settings.style.utc {
            dt.date_naive()
        } else {
            dt.with_timezone(&chrono::Local).date_naive()
        };
        let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        let t = if settings.style.utc {
            midnight.and_utc()
        } else {
            midnight
                .and_local_timezone(chrono::Local)
                .earliest()
                .map(|d| d.with_timezone(&chrono::Utc))
                .unwrap_or_else(|| midnight.and_utc())
        };
        Timestamp::from(t)
    };
    let cost_since = |since: Timestamp| {
        health::usage(
            &settings.roots,
            UsageBy::Provider,
            Some(since),
            Some(now),
            &prices,
            true,
        )
        .ok()
        .map(|(rows, _)| health::total(&rows).cost_usd.unwrap_or(0.0))
    };
    if let Some(today) = cost_since(local_midnight) {
        parts.push(format!("today {}", money(today)));
    }
    if let Some(hour) = cost_since(Timestamp(now.0 - 3_600_000)) {
        parts.push(format!("{}/h", money(hour)));
    }
    if let Some(limits) = input.get("rate_limits").filter(|v| v.is_object()) {
        let mut l = Vec::new();
        for (label, keys) in [
            ("5h", ["five_hour", "5h", "primary"]),
            ("7d", ["seven_day", "7d", "secondary"]),
        ] {
            if let Some(p) = keys
                .iter()
                .find_map(|k| limits.get(*k).and_then(percent_of))
            {
                l.push(format!("{label} {p:.0}%"));
            }
        }
        if !l.is_empty() {
            parts.push(l.join(" · "));
        }
    }
    parts.join(" | ")
}

/// Runs `statusline`; always exit 0.
pub fn exec_statusline(common: &CommonArgs) -> crate::Exit {
    let mut text = String::new();
    let _ = std::io::stdin().take(16 << 20).read_to_string(&mut text);
    let input: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let out_line = match Settings::from_args(common) {
        Ok(settings) => {
            if let Some(t) = input.get("transcript_path").and_then(Value::as_str)
                && std::path::Path::new(t).is_file()
                && let Ok(writer) = settings.writer()
            {
                let source = Source {
                    path: t.into(),
                    agent: Agent::Claude,
                };
                if let Err(e) =
                    agents::import(&writer, &[source], Options::default(), SystemTime::now())
                {
                    crate::error::warn(format_args!("cc-health statusline: {e}"));
                }
            }
            line(&input, &settings)
        }
        Err(e) => {
            crate::error::warn(format_args!("cc-health statusline: {e}"));
            "claude".to_string()
        }
    };
    let mut out = output::stdout();
    let _ = writeln!(out, "{out_line}");
    let _ = out.flush();
    crate::Exit::Success
}
