//! What the host does, told to the platform's own observability: `tracing` events (with the
//! tenant's id on each) and `metrics` counters, histograms and gauges, for whatever
//! subscriber and exporter the platform installs (without them, nothing is recorded). Never
//! a secret, a token, a query or a body: requests are named by method and path only, and
//! errors by their kind.
//!
//! Metrics, all prefixed `ticketing_host_`:
//! - `calls_total{call, outcome}` and `call_seconds{call}`: each call into a tenant; the
//!   outcome is `ok`, the contract's error kind, `not-passed` (a Test Connection that did
//!   not pass), `trap` or `deadline`.
//! - `requests_total{outcome}` and `request_seconds`: each request a tenant sent; the outcome
//!   is the answer's status class (`2xx` …) or the error.
//! - `requests_refused_total{reason}`: requests the sandbox did not send (`origin`,
//!   `suspended`, `method`, `in-flight`).
//! - `rebuilds_total{why}`: instances made anew after a trap or a stopped call.
//! - `tenants_live`, `tenants_hibernating`: gauges.
//! - `request_bytes_buffered`: the request body bytes held for all tenants.

use std::time::Duration;

use crate::api::{ConnectionReport, Error as ProviderError, ProviderInfo};

/// How a call ended, as a metric label.
pub(crate) trait Outcome {
    fn outcome(&self) -> &'static str;
}

impl<T> Outcome for Result<T, ProviderError> {
    fn outcome(&self) -> &'static str {
        match self {
            Ok(_) => "ok",
            Err(error) => error.kind.name(),
        }
    }
}

impl Outcome for ConnectionReport {
    fn outcome(&self) -> &'static str {
        if self.passed { "ok" } else { "not-passed" }
    }
}

/// What `hibernate` hands over, and `resume`'s nothing: they cannot fail.
impl Outcome for Vec<u8> {
    fn outcome(&self) -> &'static str {
        "ok"
    }
}

impl Outcome for () {
    fn outcome(&self) -> &'static str {
        "ok"
    }
}

impl Outcome for ProviderInfo {
    fn outcome(&self) -> &'static str {
        "ok"
    }
}

/// The outcome of a guest call as the store answered it: none when its deadline stopped it.
pub(crate) fn outcome_of<R: Outcome>(result: &Option<wasmtime::Result<R>>) -> &'static str {
    match result {
        None => "deadline",
        Some(Err(_)) => "trap",
        Some(Ok(value)) => value.outcome(),
    }
}

/// A call into a tenant ended.
pub(crate) fn call(tenant: &str, call: &'static str, outcome: &'static str, took: Duration) {
    match outcome {
        "trap" | "deadline" => {
            tracing::error!(
                tenant,
                call,
                outcome,
                seconds = took.as_secs_f64(),
                "call failed"
            )
        }
        "ok" => tracing::info!(tenant, call, outcome, seconds = took.as_secs_f64(), "call"),
        _ => tracing::warn!(tenant, call, outcome, seconds = took.as_secs_f64(), "call"),
    }
    metrics::counter!("ticketing_host_calls_total", "call" => call, "outcome" => outcome)
        .increment(1);
    metrics::histogram!("ticketing_host_call_seconds", "call" => call).record(took);
}

/// A request a tenant sent ended: answered with `status`, or failed with `error`.
pub(crate) fn request(
    tenant: &str,
    method: &str,
    path: &str,
    answer: Result<u16, &'static str>,
    took: Duration,
) {
    let outcome = match answer {
        Ok(status) => match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        },
        Err(error) => error,
    };
    let status = answer.ok();
    tracing::debug!(
        tenant,
        method,
        path,
        status,
        outcome,
        seconds = took.as_secs_f64(),
        "request"
    );
    metrics::counter!("ticketing_host_requests_total", "outcome" => outcome).increment(1);
    metrics::histogram!("ticketing_host_request_seconds").record(took);
}

/// The sandbox did not send a request.
pub(crate) fn refused(tenant: &str, reason: &'static str) {
    tracing::warn!(tenant, reason, "request refused");
    metrics::counter!("ticketing_host_requests_refused_total", "reason" => reason).increment(1);
}

/// A tenant's instance was made anew after `why` (a trap, a stopped call).
pub(crate) fn rebuilt(tenant: &str, why: &'static str) {
    tracing::warn!(tenant, why, "instance rebuilt");
    metrics::counter!("ticketing_host_rebuilds_total", "why" => why).increment(1);
}

/// Where a tenant is: with a live instance, or hibernating without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Presence {
    Live,
    Hibernating,
}

/// A tenant moved `from` where it was (none: it is new) `to` where it is (none: it is gone).
pub(crate) fn tenant_presence(tenant: &str, from: Option<Presence>, to: Option<Presence>) {
    let gauge = |presence: Presence| match presence {
        Presence::Live => metrics::gauge!("ticketing_host_tenants_live"),
        Presence::Hibernating => metrics::gauge!("ticketing_host_tenants_hibernating"),
    };
    if let Some(from) = from {
        gauge(from).decrement(1.0);
    }
    if let Some(to) = to {
        gauge(to).increment(1.0);
        tracing::debug!(tenant, live = to == Presence::Live, "tenant");
    }
}

/// Request body bytes held for tenants moved by `delta`.
pub(crate) fn buffered(delta: f64) {
    metrics::gauge!("ticketing_host_request_bytes_buffered").increment(delta);
}
