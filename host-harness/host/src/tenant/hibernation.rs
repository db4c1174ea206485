//! Hibernation: a tenant's instance given back to the pool while it is idle, and made again
//! when it is called, handed what the last one carried over (`docs/performance.md`,
//! "Hibernation: more tenants than the pool").

use anyhow::{Context, Result};

use crate::observe::{self, Presence};

use super::Tenant;
use super::carried::Carried;
use super::guest_call::guest_call;
use super::lifecycle::Instance;

impl Tenant {
    /// Gives the tenant's instance back to the pool: its store, memory, fiber stack and
    /// pool slot. What the host keeps (settings, origin, suspension, counters, log) stays;
    /// so does its client with its idle connection until that idles out
    /// (`SandboxLimits::idle_connection_timeout`), and what the provider's `hibernate` hands
    /// over (its token, opaque to the host and kept as a secret). The next call makes and
    /// configures a new instance first (about what [`Host::tenant`](crate::Host::tenant)
    /// and `configure` cost) and hands that back with `resume`: a token still valid for the
    /// settings in force is used again, and what else lived only in the instance (the
    /// cached lookups) is gone. A platform with more tenants than `max_tenants` hibernates
    /// the idle ones.
    pub async fn hibernate(&mut self) {
        if self.is_hibernating() {
            return;
        }
        // A provider whose `hibernate` failed (a trap, the deadline) carries nothing over.
        let carried = self.carry().await.ok().and_then(Carried::new);
        if let Instance::Live { store, .. } = &mut self.instance {
            let guard = store.data_mut().guard.carry_over_hibernating();
            self.instance = Instance::Hibernating { guard, carried };
            observe::tenant_presence(&self.id, Some(Presence::Live), Some(Presence::Hibernating));
        }
    }

    /// The provider's bytes for its next instance.
    async fn carry(&mut self) -> Result<Vec<u8>> {
        guest_call!(self, call_hibernate())
    }

    /// Whether the tenant has no instance now (see [`Tenant::hibernate`]).
    pub fn is_hibernating(&self) -> bool {
        matches!(self.instance, Instance::Hibernating { .. })
    }

    /// Makes the instance of a hibernating tenant (a no-op for a live one) and hands it what
    /// the last one carried over. Fails if the host is full; the tenant then stays as it was.
    pub(super) async fn wake(&mut self) -> Result<()> {
        let Instance::Hibernating { guard, carried } = &mut self.instance else {
            return Ok(());
        };
        let guard = guard.carry_over();
        let carried = carried.take();
        if let Err(error) = self.rebuild(guard).await {
            if let Instance::Hibernating { carried: kept, .. } = &mut self.instance {
                *kept = carried;
            }
            return Err(error.context(format!("tenant {}: waking from hibernation", self.id)));
        }
        observe::tenant_presence(&self.id, Some(Presence::Hibernating), Some(Presence::Live));
        match carried {
            Some(carried) => self.hand_back(&carried).await,
            None => Ok(()),
        }
    }

    /// Hands the woken instance what the last one carried over. An instance that traps or
    /// overruns the deadline on it is made again without it: the wake still succeeds.
    async fn hand_back(&mut self, carried: &Carried) -> Result<()> {
        let Instance::Live { store, provider } = &mut self.instance else {
            return Ok(());
        };
        store.data_mut().start_call();
        let started = std::time::Instant::now();
        let api = provider.cxm_ticketing_ticketing_provider();
        let call = api.call_resume(store, carried.expose());
        let result = self
            .deadline
            .within(self.host.limits().call_timeout, call)
            .await;
        let outcome = observe::outcome_of(&result);
        observe::call(&self.id, "resume", outcome, started.elapsed());
        if let Some(Ok(())) = result {
            return Ok(());
        }
        observe::rebuilt(&self.id, outcome);
        let guard = self.guard().carry_over();
        self.rebuild(guard)
            .await
            .with_context(|| format!("tenant {}: waking from hibernation", self.id))
    }
}
