//! Inline SVG charts drawn by the server: one readable unit per axis, hover values
//! (`<title>` on every point and bar), and a log scale when the values span orders of
//! magnitude. Colours come from CSS classes, so light and dark themes apply.

use maud::{Markup, html};

/// What the values of a chart measure; the axis picks one readable unit for all ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds, shown as ms or s (whichever suits the largest value).
    Millis,
    /// A fraction 0–1, shown as a percentage.
    Rate,
    /// US dollars.
    Usd,
    /// A plain count.
    Count,
}

impl Unit {
    /// The axis unit for values up to `max`: its suffix and divisor.
    fn scale(self, max: f64) -> (&'static str, f64) {
        match self {
            Unit::Millis if max >= 60_000.0 * 2.0 => ("min", 60_000.0),
            Unit::Millis if max >= 1000.0 => ("s", 1000.0),
            Unit::Millis => ("ms", 1.0),
            Unit::Rate => ("%", 0.01),
            Unit::Usd => ("$", 1.0),
            Unit::Count if max >= 1e6 => ("M", 1e6),
            Unit::Count if max >= 1e4 => ("k", 1e3),
            Unit::Count => ("", 1.0),
        }
    }

    /// A value written in full for hover text.
    pub fn show(self, v: f64) -> String {
        match self {
            Unit::Millis => crate::output::human_duration(v),
            Unit::Rate => format!("{:.1}%", v * 100.0),
            Unit::Usd => format!("${v:.2}"),
            Unit::Count => trim(v),
        }
    }

    fn tick(self, v: f64, max: f64) -> String {
        let (suffix, div) = self.scale(max);
        let x = trim(v / div);
        match self {
            Unit::Usd => format!("${x}"),
            Unit::Rate => format!("{x}%"),
            Unit::Count => format!("{x}{suffix}"),
            Unit::Millis => format!("{x} {suffix}"),
        }
    }
}

fn trim(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let s = if v.abs() >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A round upper bound for a linear axis.
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= v {
            return m * mag;
        }
    }
    10.0 * mag
}

/// True when positive values span two orders of magnitude or more.
pub fn wants_log(values: impl Iterator<Item = f64>) -> bool {
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for v in values.filter(|v| *v > 0.0 && v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    hi > 0.0 && lo.is_finite() && hi / lo >= 100.0
}

/// Maps values to the plot's height.
struct Axis {
    log: bool,
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Axis {
    fn new(values: &[f64], unit: Unit, log: bool) -> Axis {
        let max = values.iter().copied().fold(0.0f64, f64::max);
        if log {
            let min = values
                .iter()
                .copied()
                .filter(|v| *v > 0.0)
                .fold(f64::INFINITY, f64::min);
            let lo = 10f64.powf(min.log10().floor());
            let hi = 10f64.powf(max.log10().ceil()).max(lo * 10.0);
            let mut ticks = Vec::new();
            let mut t = lo;
            while t <= hi * 1.0001 {
                ticks.push(t);
                t *= 10.0;
            }
            Axis { log, lo, hi, ticks }
        } else {
            let hi = if unit == Unit::Rate {
                1.0
            } else {
                nice_max(max)
            };
            let ticks = (0..=4).map(|i| hi * f64::from(i) / 4.0).collect();
            Axis {
                log,
                lo: 0.0,
                hi,
                ticks,
            }
        }
    }

    /// 0 at the bottom, 1 at the top.
    fn frac(&self, v: f64) -> f64 {
        let f = if self.log {
            if v <= 0.0 {
                return 0.0;
            }
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        f.clamp(0.0, 1.0)
    }
}

const W: f64 = 420.0;
const H: f64 = 200.0;
const LEFT: f64 = 50.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 26.0;

fn y_of(axis: &Axis, v: f64) -> f64 {
    TOP + (1.0 - axis.frac(v)) * (H - TOP - BOTTOM)
}

fn frame(axis: &Axis, unit: Unit, x_labels: &[String]) -> Markup {
    let max = axis.hi;
    let n = x_labels.len().max(1);
    let step = (n / 6).max(1);
    let plot_w = W - LEFT - RIGHT;
    html! {
        @for t in &axis.ticks {
            @let y = y_of(axis, *t);
            line class="grid" x1=(LEFT) x2=(W - RIGHT) y1=(y) y2=(y) {}
            text class="tick" x=(LEFT - 4.0) y=(y + 3.5) text-anchor="end" { (unit.tick(*t, max)) }
        }
        @for (i, l) in x_labels.iter().enumerate() {
            @if i % step == 0 {
                @let x = LEFT + (i as f64 + 0.5) * plot_w / n as f64;
                text class="tick" x=(x) y=(H - 8.0) text-anchor="middle" { (l) }
            }
        }
        @if axis.log {
            text class="tick" x=(W - RIGHT) y=(TOP + 2.0) text-anchor="end" { "log scale" }
        }
    }
}

/// A line chart of one or more series over the same x labels (gaps where a value is
/// missing).
pub fn lines(
    title: &str,
    unit: Unit,
    x_labels: &[String],
    series: &[(&str, Vec<Option<f64>>)],
) -> Markup {
    let all: Vec<f64> = series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().copied())
        .collect();
    let log = unit != Unit::Rate && wants_log(all.iter().copied());
    let axis = Axis::new(&all, unit, log);
    let n = x_labels.len().max(1);
    let plot_w = W - LEFT - RIGHT;
    let x_of = |i: usize| LEFT + (i as f64 + 0.5) * plot_w / n as f64;
    html! {
        figure.chart {
            figcaption { (title) }
            svg viewBox=(format!("0 0 {W} {H}")) role="img" aria-label=(title) {
                (frame(&axis, unit, x_labels))
                @for (k, (name, values)) in series.iter().enumerate() {
                    @let path = path_of(values, &x_of, &axis);
                    path class=(format!("line s{k}")) d=(path) {}
                    @for (i, v) in values.iter().enumerate() {
                        @if let Some(v) = v {
                            circle class=(format!("pt s{k}")) cx=(x_of(i)) cy=(y_of(&axis, *v)) r="3" {
                                title { (name) " · " (x_labels.get(i).map_or("", String::as_str)) ": " (unit.show(*v)) }
                            }
                        }
                    }
                }
            }
            @if series.len() > 1 {
                div.legend {
                    @for (k, (name, _)) in series.iter().enumerate() {
                        span { i class=(format!("sw s{k}")) {} (name) }
                    }
                }
            }
        }
    }
}

fn path_of(values: &[Option<f64>], x_of: &dyn Fn(usize) -> f64, axis: &Axis) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let cmd = if pen_down { 'L' } else { 'M' };
                d.push_str(&format!("{cmd}{:.1},{:.1} ", x_of(i), y_of(axis, *v)));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d
}

/// Vertical bars, one per x label; several series are stacked.
pub fn bars(title: &str, unit: Unit, x_labels: &[String], series: &[(&str, Vec<f64>)]) -> Markup {
    let n = x_labels.len().max(1);
    let totals: Vec<f64> = (0..n)
        .map(|i| {
            series
                .iter()
                .map(|(_, v)| v.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let axis = Axis::new(&totals, unit, false);
    let plot_w = W - LEFT - RIGHT;
    let slot = plot_w / n as f64;
    let bar_w = (slot * 0.7).max(1.0);
    // (series, x index, x, top, height, value)
    let mut rects = Vec::new();
    for i in 0..n {
        let x = LEFT + i as f64 * slot + (slot - bar_w) / 2.0;
        let mut base = 0.0;
        for (k, (_, values)) in series.iter().enumerate() {
            let v = values.get(i).copied().unwrap_or(0.0);
            if v > 0.0 {
                let y0 = y_of(&axis, base);
                let y1 = y_of(&axis, base + v);
                rects.push((k, i, x, y1, (y0 - y1).max(0.5), v));
                base += v;
            }
        }
    }
    html! {
        figure.chart {
            figcaption { (title) }
            svg viewBox=(format!("0 0 {W} {H}")) role="img" aria-label=(title) {
                (frame(&axis, unit, x_labels))
                @for (k, i, x, y, h, v) in rects {
                    rect class=(format!("bar s{k}")) x=(format!("{x:.1}")) y=(format!("{y:.1}")) width=(format!("{bar_w:.1}")) height=(format!("{h:.1}")) {
                        title { (series[k].0) " · " (x_labels.get(i).map_or("", String::as_str)) ": " (unit.show(v)) }
                    }
                }
            }
            @if series.len() > 1 {
                div.legend {
                    @for (k, (name, _)) in series.iter().enumerate() {
                        span { i class=(format!("sw s{k}")) {} (name) }
                    }
                }
            }
        }
    }
}

/// Horizontal bars, one per labelled value (log scale when they span orders of
/// magnitude).
pub fn hbars(title: &str, unit: Unit, items: &[(String, f64)]) -> Markup {
    let values: Vec<f64> = items.iter().map(|(_, v)| *v).collect();
    let log = unit != Unit::Rate && wants_log(values.iter().copied());
    let axis = Axis::new(&values, unit, log);
    let row = 22.0;
    let label_w = 130.0;
    let h = TOP + row * items.len().max(1) as f64 + 18.0;
    let plot_w = W - label_w - RIGHT - 50.0;
    html! {
        figure.chart {
            figcaption { (title) @if log { " (log scale)" } }
            svg viewBox=(format!("0 0 {W} {h}")) role="img" aria-label=(title) {
                @for (i, (label, v)) in items.iter().enumerate() {
                    @let y = TOP + i as f64 * row;
                    @let w = (axis.frac(*v) * plot_w).max(if *v > 0.0 { 1.0 } else { 0.0 });
                    text class="tick" x=(label_w - 6.0) y=(y + 14.0) text-anchor="end" { (short(label, 20)) }
                    rect class="bar s0" x=(label_w) y=(y + 3.0) width=(format!("{w:.1}")) height="15" {
                        title { (label) ": " (unit.show(*v)) }
                    }
                    text class="tick" x=(label_w + w + 4.0) y=(y + 14.0) { (unit.show(*v)) }
                }
            }
        }
    }
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_units_are_readable() {
        assert_eq!(Unit::Millis.tick(2000.0, 4000.0), "2 s");
        assert_eq!(Unit::Millis.tick(250.0, 500.0), "250 ms");
        assert_eq!(Unit::Rate.tick(0.5, 1.0), "50%");
        assert_eq!(Unit::Usd.tick(2.5, 5.0), "$2.5");
        assert_eq!(Unit::Count.tick(20_000.0, 40_000.0), "20k");
        assert_eq!(nice_max(7.3), 10.0);
        assert_eq!(nice_max(230.0), 250.0);
    }

    #[test]
    fn log_scale_only_when_values_span_orders_of_magnitude() {
        assert!(wants_log([5.0, 900.0].into_iter()));
        assert!(!wants_log([5.0, 90.0].into_iter()));
        assert!(!wants_log([0.0, 0.0].into_iter()));
        let a = Axis::new(&[5.0, 900.0], Unit::Millis, true);
        assert_eq!(a.ticks, vec![1.0, 10.0, 100.0, 1000.0]);
        assert!((a.frac(100.0) - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn hover_titles_hold_the_values_and_text_is_escaped() {
        let svg = lines(
            "p95 <latency>",
            Unit::Millis,
            &["a".into(), "b".into()],
            &[("x<script>", vec![Some(1500.0), None])],
        )
        .into_string();
        assert!(svg.contains("1.50s"), "{svg}");
        assert!(svg.contains("x&lt;script&gt;"));
        assert!(!svg.contains("<script>"));
        assert_eq!(svg.matches("<circle").count(), 1);
    }
}
