//! What the platform controls and reads of a tenant between calls: where its egress may go
//! (and cutting it off), its TLS, its requests under way, its log and its clock.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use super::lifecycle::Tenant;
use crate::egress;
use crate::tenant_log::LogEntry;
use crate::trust::{self, TenantTls};

impl Tenant {
    /// The tenant's id, as the platform gave it to `Host::tenant`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Where this tenant's outbound requests may go: its instance's origin, once configured;
    /// `None` while suspended.
    pub fn allowed_origin(&self) -> Option<&str> {
        let guard = self.guard();
        if guard.is_suspended() {
            return None;
        }
        guard.allowed_origin()
    }

    /// Overrides the origin the tenant may reach until its next successful configure, which
    /// sets it from the settings again. `None` suspends the tenant (see [`Tenant::suspend`]):
    /// a configure does not undo that, only [`Tenant::resume`] does.
    pub fn set_allowed_origin(&mut self, origin: Option<String>) {
        match origin {
            Some(origin) => self.guard_mut().set_allowed_origin(Some(origin)),
            None => self.suspend(),
        }
    }

    /// Cuts the tenant's egress (the platform suspends it): its requests under way and
    /// answers unread are dropped, its connections closed, and every request is refused
    /// until [`Tenant::resume`]. Configuring again does not reopen it; its settings still
    /// change.
    pub fn suspend(&mut self) {
        self.guard_mut().suspend();
    }

    /// Reopens a suspended tenant to its instance's origin.
    pub fn resume(&mut self) {
        self.guard_mut().resume();
    }

    /// Whether the platform has cut the tenant off ([`Tenant::suspend`]).
    pub fn is_suspended(&self) -> bool {
        self.guard().is_suspended()
    }

    /// How many outbound requests the sandbox refused so far (at the origin check, or when
    /// a name resolved to an address tenants may not reach).
    pub fn denied_requests(&self) -> u64 {
        self.guard().denied()
    }

    /// What this tenant's TLS trusts and presents beyond the host's policy: its on-premise
    /// instance's private CA, a client certificate for an instance that requires mutual TLS.
    /// In force from its next connection; what it had under way stops. A root that is not
    /// a usable certificate, or a certificate and key that do not make a client identity,
    /// are refused and nothing changes.
    pub fn set_tls(&mut self, tls: &TenantTls) -> Result<()> {
        let limits = self.host.limits();
        let mut extra = limits.extra_roots.clone();
        extra.extend(tls.extra_roots.iter().cloned());
        let roots = trust::roots_with_os(&extra, limits.os_roots)?;
        let identity = tls
            .client_certificate
            .as_ref()
            .map(|certificate| Arc::new(certificate.identity()));
        // Made once here so that a bad key is this call's error, not every request's.
        egress::tls_config(roots.clone(), identity.as_deref())
            .map_err(|e| anyhow::anyhow!("the tenant's TLS: {e:?}"))?;
        self.guard_mut().set_tls(roots, identity);
        Ok(())
    }

    /// The tenant's requests under way, and the request body bytes the host buffers for
    /// them; bounded by [`crate::sandbox::SandboxLimits::max_requests_in_flight`] and
    /// [`crate::sandbox::SandboxLimits::max_buffered_request_bytes`].
    pub fn requests_in_flight(&self) -> (usize, u64) {
        self.guard().in_flight()
    }

    /// The tenant's log, oldest entry first: what the component reported (cleaned and bounded, see
    /// [`crate::tenant_log::TenantLog`]) and the requests the host refused. It survives a rebuilt
    /// instance.
    pub fn log(&self) -> Vec<LogEntry> {
        self.log.entries()
    }

    /// Moves the tenant's monotonic clock forward (tests: expire a cached token).
    pub fn advance_clock(&self, by: Duration) {
        self.clock.advance(by);
    }
}
