//! ServiceNow's ordinary failures, survived (docs/servicenow/availability.md#rate-limits): a rate
//! limit waits for `Retry-After` (or `X-RateLimit-Reset`); a 5xx or a dropped connection backs off
//! exponentially, with jitter so that many tenants do not retry in step. Both within a bounded
//! number of tries and a bounded total wait, so the call ends well inside the host's deadline; past
//! either, the last answer stands and becomes the platform's error (`rate-limited` with
//! `retry-after-seconds`, `service-unavailable`, ...).
//!
//! A request that may have run on the instance is repeated only if running it twice does no
//! harm ([`Request::idempotent`]); a 429 is always repeated, because the rate limiter
//! refuses the request before it runs.

use crate::primitives::prelude::*;

use core::time::Duration;

use crate::primitives::clock::Clock;
use crate::primitives::http::{Request, Response, Transport, TransportError};
use crate::primitives::log::{Exchange, Level, Log};
use crate::servicenow::answer;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries of one request, the first included.
    pub attempts: u32,
    /// The first backoff; each further retry doubles it, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// The most one request may spend waiting between its tries. A longer `Retry-After` is
    /// not waited for: the platform gets `rate-limited` and can come back later.
    pub max_wait: Duration,
    /// The most one request may take, its tries and waits included. A try that would likely
    /// end past it (judged by how long the last one took) is not started: an instance that
    /// accepts requests and never answers costs one 30 s first-byte timeout or two, not four,
    /// and the call ends with its own error well inside the host's deadline (120 s).
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_wait: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

/// A transport that tries again where that is safe, and logs every try.
pub struct Retrying<'a, T, C> {
    pub transport: &'a T,
    pub clock: &'a C,
    pub policy: &'a RetryPolicy,
    pub log: &'a dyn Log,
}

impl<T: Transport, C: Clock> Transport for Retrying<'_, T, C> {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let mut jitter = Jitter::seeded(self.clock.unix_now());
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        let first = self.clock.now();
        loop {
            let started = self.clock.now();
            let outcome = self.transport.send(request);
            let took = self.clock.now().saturating_sub(started);
            self.log
                .exchange(&exchange(request, &outcome, attempt, took));
            let Some(wait) = self.wait_before_retry(request, &outcome, attempt, &mut jitter) else {
                return outcome;
            };
            let spent = self.clock.now().saturating_sub(first);
            if waited + wait > self.policy.max_wait || spent + wait + took > self.policy.max_elapsed
            {
                return outcome;
            }
            self.log.note(
                Level::Info,
                &format!(
                    "{} {}: trying again in {} ms",
                    request.method.as_str(),
                    request.path(),
                    wait.as_millis()
                ),
            );
            self.clock.sleep(wait);
            waited += wait;
            attempt += 1;
        }
    }
}

impl<T, C: Clock> Retrying<'_, T, C> {
    /// How long to wait before trying `request` again, or `None` when its outcome stands.
    fn wait_before_retry(
        &self,
        request: &Request,
        outcome: &Result<Response, TransportError>,
        attempt: u32,
        jitter: &mut Jitter,
    ) -> Option<Duration> {
        if attempt >= self.policy.attempts {
            return None;
        }
        match outcome {
            Ok(response) if response.status == 429 => Some(
                self.announced(response)
                    .unwrap_or_else(|| self.backoff(attempt, jitter)),
            ),
            Ok(response) if matches!(response.status, 500 | 502 | 503 | 504) => {
                request.idempotent.then(|| {
                    self.announced(response)
                        .unwrap_or_else(|| self.backoff(attempt, jitter))
                })
            }
            Err(TransportError::Interrupted(_)) => {
                request.idempotent.then(|| self.backoff(attempt, jitter))
            }
            _ => None,
        }
    }

    /// The wait the instance asked for: `Retry-After` seconds, else until `X-RateLimit-Reset`.
    fn announced(&self, response: &Response) -> Option<Duration> {
        if let Some(seconds) = response.retry_after() {
            return Some(Duration::from_secs(seconds.into()));
        }
        let reset: u64 = response.header("x-ratelimit-reset")?.trim().parse().ok()?;
        Some(Duration::from_secs(reset).saturating_sub(self.clock.unix_now()))
    }

    /// Exponential, capped, with "equal jitter": half the delay fixed, half random.
    fn backoff(&self, attempt: u32, jitter: &mut Jitter) -> Duration {
        let doublings = attempt.saturating_sub(1).min(16);
        let delay = self
            .policy
            .first_backoff
            .saturating_mul(1 << doublings)
            .min(self.policy.max_backoff);
        delay / 2 + jitter.up_to(delay / 2)
    }
}

/// What the log keeps of one try.
fn exchange(
    request: &Request,
    outcome: &Result<Response, TransportError>,
    attempt: u32,
    duration: Duration,
) -> Exchange {
    let (status, message) = match outcome {
        Ok(response) => (
            Some(response.status),
            (!response.is_success())
                .then(|| answer::servicenow_message(response))
                .flatten(),
        ),
        Err(error) => (None, Some(error.to_string())),
    };
    let message = message.map(|m| request.redact(&m));
    Exchange {
        method: request.method.as_str(),
        path: request.path().to_string(),
        status,
        duration,
        attempt,
        message,
    }
}

/// A small xorshift generator: jitter needs spread, not secrecy.
struct Jitter(u64);

impl Jitter {
    fn seeded(seed: Duration) -> Self {
        Self(u64::from(seed.subsec_nanos()) ^ seed.as_secs().rotate_left(32) | 1)
    }

    fn up_to(&mut self, limit: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let nanos = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(self.0 % nanos.saturating_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::clock::ManualClock;
    use crate::primitives::http::Method;
    use crate::primitives::ids::{Name, SysId};
    use crate::primitives::log::MemoryLog;
    use crate::primitives::log::NoLog;
    use crate::servicenow::auth::Authorization;
    use crate::servicenow::query::Query;
    use crate::servicenow::table::TableApi;
    use crate::servicenow::ticket::TicketRow;
    use crate::test_support::answers::{any_response, scripted};
    use crate::test_support::instance::{dev1, dev1_rest};
    use crate::test_support::transport::*;
    use proptest::prelude::*;

    fn get() -> Request {
        Request::new(
            Method::Get,
            "https://dev1.service-now.com/api/now/table/incident?x=secret-ish".into(),
        )
    }

    fn post() -> Request {
        Request::new(
            Method::Post,
            "https://dev1.service-now.com/api/now/table/incident".into(),
        )
    }

    fn with_header(mut response: Response, name: &str, value: &str) -> Response {
        response.headers.push((name.into(), value.into()));
        response
    }

    fn rate_limited(retry_after: &str) -> Response {
        with_header(
            json(
                429,
                r#"{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 10 requests per hour for Table API exceeded"},"status":"failure"}"#,
            ),
            "retry-after",
            retry_after,
        )
    }

    fn send(
        transport: &impl Transport,
        clock: &ManualClock,
        request: &Request,
    ) -> (Result<Response, TransportError>, MemoryLog) {
        let log = MemoryLog::default();
        let policy = RetryPolicy::default();
        let retrying = Retrying {
            transport,
            clock: &clock,
            policy: &policy,
            log: &log,
        };
        (retrying.send(request), log)
    }

    #[test]
    fn a_rate_limit_waits_as_told_then_succeeds() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        transport
            .push(Ok(rate_limited("2")))
            .push(Ok(rate_limited("3")))
            .push_json(201, "{}");
        let (outcome, log) = send(&transport, &clock, &post());
        assert_eq!(outcome.unwrap().status, 201);
        assert_eq!(
            clock.slept(),
            [Duration::from_secs(2), Duration::from_secs(3)]
        );
        let exchanges = log.exchanges.borrow();
        let attempts: Vec<(u32, Option<u16>)> =
            exchanges.iter().map(|e| (e.attempt, e.status)).collect();
        assert_eq!(attempts, [(1, Some(429)), (2, Some(429)), (3, Some(201))]);
        assert_eq!(
            exchanges[0].message.as_deref(),
            Some("Rate limit exceeded: Rate limit of 10 requests per hour for Table API exceeded")
        );
        assert_eq!(exchanges[0].path, "/api/now/table/incident");
    }

    #[test]
    fn the_rate_limit_reset_time_is_used_without_retry_after() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let reset = (ManualClock::EPOCH + Duration::from_secs(7))
            .as_secs()
            .to_string();
        let mut limited = rate_limited("0");
        limited.headers.retain(|(n, _)| n != "retry-after");
        transport
            .push(Ok(with_header(limited, "x-ratelimit-reset", &reset)))
            .push_json(200, "{}");
        let (outcome, _) = send(&transport, &clock, &get());
        assert_eq!(outcome.unwrap().status, 200);
        assert_eq!(clock.slept(), [Duration::from_secs(7)]);
    }

    /// A transport whose every try takes `each` on the clock (a first-byte timeout).
    struct Slow<'a> {
        inner: &'a ScriptedTransport,
        clock: &'a ManualClock,
        each: Duration,
    }

    impl Transport for Slow<'_> {
        fn send(&self, request: &Request) -> Result<Response, TransportError> {
            self.clock.advance(self.each);
            self.inner.send(request)
        }
    }

    #[test]
    fn an_instance_that_never_answers_is_not_tried_past_the_elapsed_budget() {
        // Four tries that each end after `each` without an answer: how many were made, and
        // the waits between them.
        let tries = |each: Duration| {
            let transport = ScriptedTransport::default();
            let clock = ManualClock::default();
            for _ in 0..4 {
                transport.push(Err(TransportError::Interrupted("no answer".into())));
            }
            let slow = Slow {
                inner: &transport,
                clock: &clock,
                each,
            };
            assert!(send(&slow, &clock, &get()).0.is_err());
            (4 - transport.remaining(), clock.slept())
        };
        // One try of 30 s: a second would end past 60 s.
        assert_eq!(tries(Duration::from_secs(30)), (1, vec![]));
        // Tries of 20 s fit twice (20 + w + 20, w under a second), not a third time.
        assert_eq!(tries(Duration::from_secs(20)).0, 2);
    }

    #[test]
    fn a_wait_longer_than_the_budget_is_the_platforms() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        transport.push(Ok(rate_limited("3600")));
        let (outcome, _) = send(&transport, &clock, &get());
        assert_eq!(outcome.unwrap().status, 429);
        assert!(clock.slept().is_empty());
        assert_eq!(transport.remaining(), 0);
    }

    #[test]
    fn outages_back_off_with_jitter_within_bounds() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        transport
            .push(Ok(html(503, "<html>down</html>")))
            .push(Err(TransportError::Interrupted("reset".into())))
            .push(Ok(html(502, "<html>bad gateway</html>")))
            .push(Ok(html(503, "<html>still down</html>")));
        let (outcome, log) = send(&transport, &clock, &get());
        // Four tries, then the last answer stands.
        assert_eq!(outcome.unwrap().status, 503);
        let slept = clock.slept();
        assert_eq!(slept.len(), 3);
        for (i, wait) in slept.iter().enumerate() {
            let full = Duration::from_millis(500) * (1 << i);
            assert!(*wait >= full / 2 && *wait <= full, "try {i}: {wait:?}");
        }
        assert_eq!(log.exchanges.borrow().len(), 4);
        assert_eq!(log.notes.borrow().len(), 3);
    }

    #[test]
    fn a_write_that_may_have_run_is_not_repeated() {
        for failure in [
            Ok(html(502, "<html>bad gateway</html>")),
            Err(TransportError::Interrupted("connection reset".into())),
        ] {
            let transport = ScriptedTransport::default();
            let clock = ManualClock::default();
            transport.push(failure.clone());
            let (outcome, _) = send(&transport, &clock, &post());
            assert_eq!(outcome, failure);
            assert!(clock.slept().is_empty());
        }
    }

    #[test]
    fn refusals_and_unreachable_instances_are_not_retried() {
        for failure in [
            Ok(json(
                400,
                r#"{"error":{"message":"bad"},"status":"failure"}"#,
            )),
            Ok(json(
                403,
                r#"{"error":{"message":"no"},"status":"failure"}"#,
            )),
            Err(TransportError::Unreachable("connection refused".into())),
            Err(TransportError::Denied),
        ] {
            let transport = ScriptedTransport::default();
            let clock = ManualClock::default();
            transport.push(failure.clone());
            let (outcome, _) = send(&transport, &clock, &get());
            assert_eq!(outcome, failure);
            assert!(clock.slept().is_empty());
        }
    }

    #[test]
    fn jitter_stays_within_its_limit() {
        let mut jitter = Jitter::seeded(Duration::new(1_790_000_000, 123));
        for _ in 0..1000 {
            assert!(jitter.up_to(Duration::from_millis(250)) <= Duration::from_millis(250));
        }
        assert_eq!(jitter.up_to(Duration::ZERO), Duration::ZERO);
    }

    proptest! {
        #[test]
        fn table_api_answers_never_panic_and_fail_specifically(responses in proptest::collection::vec(any_response(), 4)) {
            let transport = scripted(&responses);
            let clock = ManualClock::default();
            let policy = RetryPolicy::default();
            let retrying = Retrying { transport: &transport, clock: &&clock, policy: &policy, log: &NoLog };
            let api = TableApi(dev1_rest(&retrying));
            let token = Authorization::bearer("t");
            match api.query::<TicketRow>(&token, &Name::known("incident"), &Query::default(), 5) {
                Ok(rows) => {
                    // Whatever was accepted holds valid ids.
                    for row in rows {
                        prop_assert!(SysId::parse(row.sys_id.as_str()).is_some());
                    }
                }
                Err(error) => {
                    prop_assert!(!error.message.chars().any(char::is_control), "{}", error.message);
                    prop_assert!(!error.message.contains("Bearer"));
                    if let Some(status) = error.http_status {
                        prop_assert!((100..600).contains(&status));
                    }
                }
            }
            // Bounded: never more tries than the policy allows.
            prop_assert!(transport.sent().len() <= policy.attempts as usize);
        }
    }
}
