//! The figures the bench reports: each printed as it comes (name, value, unit), or all at the
//! end as JSON; and the summaries of timings they are made of.

use std::time::Duration;

struct Figure {
    name: String,
    value: f64,
    unit: &'static str,
    /// The target it is held to, and whether it met it.
    target: Option<(Target, bool)>,
}

/// A bound a figure should stay within.
#[derive(Clone, Copy, Debug)]
pub(super) enum Target {
    AtMost(f64),
    AtLeast(f64),
}

impl Target {
    fn met(self, value: f64) -> bool {
        match self {
            Self::AtMost(bound) => value <= bound,
            Self::AtLeast(bound) => value >= bound,
        }
    }

    fn shown(self) -> String {
        match self {
            Self::AtMost(bound) => format!("<= {bound}"),
            Self::AtLeast(bound) => format!(">= {bound}"),
        }
    }
}

#[derive(Default)]
pub(super) struct Figures {
    list: Vec<Figure>,
    json: bool,
}

impl Figures {
    pub(super) fn new(json: bool) -> Self {
        Self {
            json,
            ..Self::default()
        }
    }

    pub(super) fn add(&mut self, name: impl Into<String>, value: f64, unit: &'static str) {
        self.push(Figure {
            name: name.into(),
            value,
            unit,
            target: None,
        });
    }

    /// A figure held to a target: printed with the target and whether it was met.
    pub(super) fn target(
        &mut self,
        name: impl Into<String>,
        value: f64,
        unit: &'static str,
        target: Target,
    ) {
        self.push(Figure {
            name: name.into(),
            value,
            unit,
            target: Some((target, target.met(value))),
        });
    }

    fn push(&mut self, figure: Figure) {
        if !self.json {
            let value = if figure.value.fract() == 0.0 || figure.value.abs() >= 100.0 {
                format!("{:.0}", figure.value)
            } else if figure.value.abs() < 0.01 {
                // A rare event per ticket (a new connection in 500) is not 0.00.
                format!("{:.4}", figure.value)
            } else {
                format!("{:.2}", figure.value)
            };
            let verdict = match figure.target {
                Some((target, true)) => format!("  target {}: met", target.shown()),
                Some((target, false)) => format!("  target {}: NOT MET", target.shown()),
                None => String::new(),
            };
            println!("{:<56} {:>10} {}{verdict}", figure.name, value, figure.unit);
        }
        self.list.push(figure);
    }

    pub(super) fn note(&self, text: &str) {
        if self.json {
            eprintln!("{text}");
        } else {
            println!("# {text}");
        }
    }

    /// With `--json`, every figure at once, with the machine they come from.
    pub(super) fn finish(self, machine: &str) {
        if !self.json {
            return;
        }
        let list: Vec<_> = self
            .list
            .iter()
            .map(|f| {
                let mut figure =
                    serde_json::json!({"name": f.name, "value": f.value, "unit": f.unit});
                if let Some((target, met)) = f.target {
                    figure["target"] = target.shown().into();
                    figure["met"] = met.into();
                }
                figure
            })
            .collect();
        println!(
            "{:#}",
            serde_json::json!({"machine": machine, "figures": list})
        );
    }
}

pub(super) fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    pick(times, 0.5)
}

/// A quantile of sorted times.
pub(super) fn pick(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * q) as usize]
}

pub(super) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub(super) fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

pub(super) fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

/// Growth from `before` to `after` shared among `tenants` (at least one), where both were
/// read.
pub(super) fn per_tenant(after: Option<u64>, before: Option<u64>, tenants: usize) -> Option<f64> {
    after
        .zip(before)
        .map(|(a, b)| a.saturating_sub(b) as f64 / tenants.max(1) as f64)
}
