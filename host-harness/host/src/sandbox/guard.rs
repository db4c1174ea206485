//! The guard on a tenant's egress: where its requests may go (its instance's origin, the
//! component's methods, nothing while suspended), how many it may have under way, and the
//! tenant's own client that sends what it allows. It outlives an instance: a rebuilt or
//! woken instance gets the same guard carried over.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use http::{Method, Uri};
use instance_address::origin_of as request_origin;
use rustls::RootCertStore;
use wasmtime_wasi_http::Error as HttpError;

use super::limits::SandboxLimits;
use crate::api::log::Level;
use crate::budget::{Budget, Slot};
use crate::egress::{ClientPolicy, ParkedClient, TenantClient};
use crate::observe;
use crate::tenant_log::TenantLog;
use crate::trust::ClientIdentity;

/// The wasi-http hook that confines a tenant to its instance, and sends what it allows
/// through the tenant's own client and its kept connection.
pub struct OutboundGuard {
    /// The origin the tenant's settings name (set by a successful configure).
    allowed_origin: Option<String>,
    /// Cut off by the platform: nothing goes out, whatever the origin, until it resumes.
    suspended: bool,
    pub(super) limits: SandboxLimits,
    denied: Arc<AtomicU64>,
    log: TenantLog,
    client: Option<TenantClient>,
    /// A hibernating tenant's client, while its idle connection lasts.
    parked: Option<Arc<ParkedClient>>,
    /// What the tenant's requests hold of the host, across its instances.
    pub(super) budget: Arc<Budget>,
    /// The roots its TLS trusts (the host's, and the tenant's own).
    roots: Arc<RootCertStore>,
    /// The certificate it presents, for mutual TLS.
    client_identity: Option<Arc<ClientIdentity>>,
    /// The tenant's id, for what the host tells the platform (`observe`).
    pub(super) tenant: Arc<str>,
}

impl OutboundGuard {
    pub(crate) fn new(
        limits: &SandboxLimits,
        roots: Arc<RootCertStore>,
        tenant: Arc<str>,
        log: TenantLog,
    ) -> Self {
        Self {
            allowed_origin: None,
            suspended: false,
            limits: limits.clone(),
            denied: Arc::new(AtomicU64::new(0)),
            log,
            client: None,
            parked: None,
            budget: Budget::new(
                limits.max_requests_in_flight,
                limits.max_buffered_request_bytes,
            ),
            roots,
            client_identity: None,
            tenant,
        }
    }

    /// The same guard for a rebuilt or woken instance: origin, suspension, counters, log and
    /// client (a hibernating tenant's, if its connection has not idled out).
    pub(crate) fn carry_over(&self) -> Self {
        Self {
            allowed_origin: self.allowed_origin.clone(),
            suspended: self.suspended,
            limits: self.limits.clone(),
            denied: self.denied.clone(),
            log: self.log.clone(),
            client: (self.client.clone()).or_else(|| self.parked.as_ref().and_then(|p| p.client())),
            parked: None,
            budget: self.budget.clone(),
            roots: self.roots.clone(),
            client_identity: self.client_identity.clone(),
            tenant: self.tenant.clone(),
        }
    }

    /// The same guard for a hibernating tenant: its requests under way and answers unread
    /// are dropped; its client is parked with its idle connection, and let go of when that
    /// connection idles out (see `docs/performance.md`, "Hibernation").
    pub(crate) fn carry_over_hibernating(&mut self) -> Self {
        self.budget.cancel_all();
        Self {
            client: None,
            parked: self.client.take().and_then(ParkedClient::park),
            ..self.carry_over()
        }
    }

    /// The origin the tenant may reach (whether or not it is suspended).
    pub(crate) fn allowed_origin(&self) -> Option<&str> {
        self.allowed_origin.as_deref()
    }

    /// Lets the tenant reach `origin` only (none: nothing).
    pub(crate) fn set_allowed_origin(&mut self, origin: Option<String>) {
        self.allowed_origin = origin;
    }

    /// Whether the platform has cut the tenant off.
    pub(crate) fn is_suspended(&self) -> bool {
        self.suspended
    }

    /// Reopens a suspended tenant to its origin.
    pub(crate) fn resume(&mut self) {
        self.suspended = false;
    }

    pub(crate) fn denied(&self) -> u64 {
        self.denied.load(Ordering::Relaxed)
    }

    /// The tenant's requests under way, and the request body bytes the host holds for them.
    pub(crate) fn in_flight(&self) -> (usize, u64) {
        (self.budget.in_flight(), self.budget.buffered())
    }

    /// Cuts the tenant off: its requests under way and answers unread are dropped, its
    /// connections closed.
    pub(crate) fn suspend(&mut self) {
        self.suspended = true;
        self.cancel_requests();
    }

    /// The tenant's own trust and client certificate, in force from its next connection;
    /// what it had under way stops.
    pub(crate) fn set_tls(
        &mut self,
        roots: Arc<RootCertStore>,
        client_identity: Option<Arc<ClientIdentity>>,
    ) {
        self.roots = roots;
        self.client_identity = client_identity;
        self.cancel_requests();
    }

    /// Drops the tenant's requests under way and answers unread, and closes its idle
    /// connection: nothing it asked for before leaves afterwards.
    pub(crate) fn cancel_requests(&mut self) {
        self.budget.cancel_all();
        self.client = None;
        self.parked = None;
    }

    /// Why the request may not go out, if it may not.
    fn refusal(&self, method: &Method, target: Option<&str>) -> Option<Refusal> {
        if self.suspended {
            return Some(Refusal::Suspended);
        }
        let target = target.unwrap_or("an address without a host");
        if self.allowed_origin.as_deref() != Some(target) {
            return Some(Refusal::Elsewhere {
                target: target.to_string(),
                allowed: self.allowed_origin.clone(),
            });
        }
        if !matches!(*method, Method::GET | Method::POST | Method::PATCH) {
            return Some(Refusal::Method(method.clone()));
        }
        None
    }

    /// The tenant's client for `origin`: one per tenant and origin, made on first use.
    fn client_for(&mut self, origin: &str) -> Result<TenantClient, HttpError> {
        if let Some(client) = self.client.as_ref().filter(|c| c.origin() == origin) {
            return Ok(client.clone());
        }
        let policy = ClientPolicy {
            allow_private_network: self.limits.allow_private_network,
            allowed_networks: self.limits.allowed_networks.clone(),
            allowed_hosts: self.limits.allowed_hosts.clone(),
            idle_timeout: self.limits.idle_connection_timeout,
            max_response_body: self.limits.max_response_body,
            resolve: self.limits.resolve.clone(),
            proxy: self.limits.proxy.clone(),
            roots: self.roots.clone(),
            client_identity: self.client_identity.clone(),
        };
        let client = TenantClient::new(origin, &policy, self.denied.clone(), self.log.clone())?;
        self.client = Some(client.clone());
        Ok(client)
    }

    /// Whether a request for `uri` may go out now: refused (counted and logged), refused
    /// because the tenant has its most under way, or admitted with its slot and the
    /// tenant's client for its origin.
    pub(super) fn admit(&mut self, method: &Method, uri: &Uri) -> Admission {
        // Normalised as the tenant's allowed origin was (instance-address), so they compare.
        let target = request_origin(&uri.to_string());
        if let Some(refusal) = self.refusal(method, target.as_deref()) {
            observe::refused(&self.tenant, refusal.label());
            self.denied.fetch_add(1, Ordering::Relaxed);
            self.log.host_note(
                Level::Warn,
                &format!("the platform refused a request: {refusal}"),
            );
            return Admission::Refused;
        }
        let client = target.map(|origin| self.client_for(&origin));
        match self.budget.admit() {
            Some(slot) => Admission::Admitted { client, slot },
            None => {
                observe::refused(&self.tenant, "in-flight");
                self.log.host_note(
                    Level::Warn,
                    &format!(
                        "the platform refused a request: the tenant has {} under way, \
                         its most (SandboxLimits::max_requests_in_flight)",
                        self.limits.max_requests_in_flight
                    ),
                );
                Admission::Full
            }
        }
    }
}

/// Why the guard refuses a request.
#[derive(Debug, PartialEq)]
enum Refusal {
    /// The platform suspended the tenant.
    Suspended,
    /// `target` is not the tenant's origin (`allowed`, if one is configured).
    Elsewhere {
        target: String,
        allowed: Option<String>,
    },
    /// A method the component does not use.
    Method(Method),
}

impl Refusal {
    /// Its label in the platform's metrics.
    fn label(&self) -> &'static str {
        match self {
            Refusal::Suspended => "suspended",
            Refusal::Elsewhere { .. } => "origin",
            Refusal::Method(_) => "method",
        }
    }
}

impl fmt::Display for Refusal {
    /// Its words in the tenant's log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Suspended => f.write_str("the tenant is suspended by the platform"),
            Refusal::Elsewhere { target, allowed } => write!(
                f,
                "{target} is not this tenant's instance ({})",
                allowed.as_deref().unwrap_or("none configured")
            ),
            Refusal::Method(method) => {
                write!(f, "the method {method} is not one the component uses")
            }
        }
    }
}

/// What the guard decided for one request.
pub(super) enum Admission {
    /// Not this tenant's to send (its origin, its method, or the tenant is suspended).
    Refused,
    /// The tenant has its most requests under way.
    Full,
    /// It goes out through the tenant's client for its origin (none for an address without
    /// a host, which only an origin the platform set by hand lets this far: it is denied
    /// then), holding its share of the tenant's budget.
    Admitted {
        client: Option<Result<TenantClient, HttpError>>,
        slot: Slot,
    },
}

#[cfg(test)]
impl OutboundGuard {
    /// A guard as the host makes one, under `limits`.
    pub(super) fn for_test(limits: &SandboxLimits) -> Self {
        let roots = crate::trust::roots(&[]).unwrap();
        Self::new(limits, roots, "tenant".into(), TenantLog::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(origin: &str) -> OutboundGuard {
        let mut guard = OutboundGuard::for_test(&SandboxLimits::default());
        guard.allowed_origin = Some(origin.into());
        guard
    }

    #[test]
    fn only_the_components_methods_to_its_own_origin() {
        let origin = "https://dev1.service-now.com";
        let guard = guard(origin);
        for method in [Method::GET, Method::POST, Method::PATCH] {
            assert_eq!(guard.refusal(&method, Some(origin)), None, "{method}");
        }
        for method in [
            Method::PUT,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
            Method::TRACE,
            Method::CONNECT,
        ] {
            assert!(guard.refusal(&method, Some(origin)).is_some(), "{method}");
        }
        for elsewhere in [
            Some("https://dev2.service-now.com"),
            Some("http://dev1.service-now.com"),
            Some("https://dev1.service-now.com:8443"),
            None,
        ] {
            assert!(
                guard.refusal(&Method::GET, elsewhere).is_some(),
                "{elsewhere:?}"
            );
        }
    }

    #[test]
    fn a_suspended_guard_refuses_everything_until_resumed() {
        let origin = "https://dev1.service-now.com";
        let mut guard = guard(origin);
        guard.suspend();
        assert!(guard.refusal(&Method::GET, Some(origin)).is_some());
        let rebuilt = guard.carry_over();
        assert!(rebuilt.refusal(&Method::GET, Some(origin)).is_some());
        guard.resume();
        assert_eq!(guard.refusal(&Method::GET, Some(origin)), None);
    }
}
