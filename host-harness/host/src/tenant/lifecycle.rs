//! A tenant's instance over its life: made by its host, rebuilt (configured as before)
//! after a trap or a call stopped at its deadline, given back to the pool while it
//! hibernates and made again when it wakes. What the host keeps of a tenant (its guard, its
//! log, its settings) outlives every instance.

use std::sync::Arc;

use anyhow::{Context, Result};
use wasmtime::Store;

use crate::api::{ProviderInfo, Setting};
use crate::bindings::Provider;
use crate::deadline::Deadline;
use crate::host::Host;
use crate::observe::{self, Presence};
use crate::sandbox::{OutboundGuard, TenantClock, TenantState};
use crate::secret::Secret;
use crate::tenant_log::TenantLog;

use super::carried::Carried;

/// One tenant's sandboxed provider: one `Store` with one live instance of the component,
/// or none while it hibernates ([`Tenant::hibernate`]; its next call makes one).
///
/// Every call takes `&mut self`: the host serialises calls per instance, and that is the
/// contract. A platform that wants parallelism for one tenant makes several `Tenant`s from
/// the same [`Host`] with the same tenant id and settings; they share nothing but the
/// ServiceNow instance and their creates' turns: creates with one correlation id take turns
/// across them, so a ticket one of them created is what the others' create-ticket finds and
/// returns as existing. Creates on other hosts (other processes) at the same moment are
/// settled by the component after its insert: at most one open ticket per correlation id
/// once they return.
pub struct Tenant {
    pub(super) id: String,
    pub(super) host: Host,
    pub(super) clock: TenantClock,
    /// Kept by the tenant, so it outlives a rebuilt instance.
    pub(super) log: TenantLog,
    pub(super) instance: Instance,
    /// The settings in force, to rebuild the instance if a call ever traps or the tenant
    /// wakes from hibernation.
    pub(super) in_force: Option<InForce>,
    /// Each call's deadline, one timer moved forward per call.
    pub(super) deadline: Deadline,
}

/// The settings a tenant's component took last, and the secrets it keeps with them.
pub(super) struct InForce {
    pub(super) settings: Vec<Setting>,
    pub(super) secrets: Vec<Secret>,
}

/// A tenant's instance, or what the sandbox keeps of it while it hibernates.
pub(super) enum Instance {
    Live {
        store: Store<TenantState>,
        provider: Provider,
    },
    /// No store and no pool slot: the sandbox's state only (origin, suspension, counters),
    /// and what the provider handed over for its next instance.
    Hibernating {
        guard: OutboundGuard,
        carried: Option<Carried>,
    },
}

impl Host {
    /// A fresh, unconfigured instance for one tenant.
    pub async fn tenant(&self, id: impl Into<String>) -> Result<Tenant> {
        let clock = TenantClock::default();
        let log = TenantLog::default();
        let id: String = id.into();
        let guard = self.new_guard(&id, log.clone())?;
        let (store, provider) = self.instantiate(&clock, guard, log.clone()).await?;
        observe::tenant_presence(&id, None, Some(Presence::Live));
        Ok(Tenant {
            id,
            host: self.clone(),
            clock,
            log,
            instance: Instance::Live { store, provider },
            in_force: None,
            deadline: Deadline::default(),
        })
    }

    /// The provider's `describe`: its name, calls, ticket kinds and settings form. Asked
    /// of a throwaway instance the first time, then kept.
    pub async fn describe(&self) -> Result<Arc<ProviderInfo>> {
        if let Some(info) = self.description() {
            return Ok(info);
        }
        self.tenant("describe").await?.describe().await
    }
}

impl Tenant {
    /// A trap or a call stopped at its deadline (`None`) leaves an instance unusable, so the
    /// tenant gets a fresh one, configured as before, and the next call works; the failure
    /// itself is still reported.
    pub(super) async fn rebuild_after_failure<R>(
        &mut self,
        result: Option<wasmtime::Result<R>>,
    ) -> Result<R> {
        let (failure, why) = match result {
            Some(Ok(value)) => return Ok(value),
            Some(Err(trap)) => (
                anyhow::Error::from(trap)
                    .context(format!("tenant {}: the component trapped", self.id)),
                "trap",
            ),
            None => (
                anyhow::anyhow!(
                    "tenant {}: the call ran past its {} s deadline and was stopped",
                    self.id,
                    self.host.limits().call_timeout.as_secs_f32()
                ),
                "deadline",
            ),
        };
        observe::rebuilt(&self.id, why);
        let guard = self.guard().carry_over();
        self.rebuild(guard)
            .await
            .context("rebuilding the tenant after a failed call")?;
        Err(failure)
    }

    /// A new instance for the tenant with this sandbox state, configured as before.
    pub(super) async fn rebuild(&mut self, guard: OutboundGuard) -> Result<()> {
        let (mut store, provider) = self
            .host
            .instantiate(&self.clock, guard, self.log.clone())
            .await?;
        if let Some(InForce { settings, secrets }) = &self.in_force {
            let api = provider.cxm_ticketing_ticketing_provider();
            // These settings were accepted before; a refusal now would be a component bug.
            api.call_configure(&mut store, settings, secrets)
                .await?
                .map_err(|e| anyhow::anyhow!("re-configuring failed: {}", e.message))?;
        }
        self.instance = Instance::Live { store, provider };
        Ok(())
    }

    fn presence(&self) -> Presence {
        match self.instance {
            Instance::Live { .. } => Presence::Live,
            Instance::Hibernating { .. } => Presence::Hibernating,
        }
    }

    pub(super) fn guard(&self) -> &OutboundGuard {
        match &self.instance {
            Instance::Live { store, .. } => &store.data().guard,
            Instance::Hibernating { guard, .. } => guard,
        }
    }

    pub(super) fn guard_mut(&mut self) -> &mut OutboundGuard {
        match &mut self.instance {
            Instance::Live { store, .. } => &mut store.data_mut().guard,
            Instance::Hibernating { guard, .. } => guard,
        }
    }
}

impl Drop for Tenant {
    fn drop(&mut self) {
        observe::tenant_presence(&self.id, Some(self.presence()), None);
    }
}
