//! The tickets the bench sends through a tenant, and what the simulator saw of them.

use anyhow::{Result, bail};
use servicenow_simulator::Simulator;
use ticketing_host::Tenant;
use ticketing_host::api::{CreateOutcome, Ticket, WrittenTicket};

/// Creates the `i`th bench ticket through `tenant`.
pub(super) async fn create(tenant: &mut Tenant, i: usize) -> Result<()> {
    created(tenant, i).await.map(drop)
}

/// Creates the `i`th bench ticket through `tenant`: the ticket the component handed back.
pub(super) async fn created(tenant: &mut Tenant, i: usize) -> Result<WrittenTicket> {
    let ticket = Ticket::new("cost-optimization", format!("bench event {i}"));
    match tenant.create_ticket(&ticket).await? {
        Ok(CreateOutcome::Created(written)) => Ok(written),
        other => bail!("create-ticket did not create: {other:?}"),
    }
}

/// Runs the futures on the runtime's worker threads and waits for all; the first error
/// wins.
pub(super) async fn futures_join<T, F>(futures: impl Iterator<Item = F>) -> Result<Vec<T>>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await??);
    }
    Ok(out)
}

/// HTTP requests, token requests among them, and new TCP connections the simulator saw.
#[derive(Default, Clone, Copy)]
pub(super) struct Counts {
    pub(super) requests: usize,
    pub(super) tokens: usize,
    pub(super) connections: usize,
}

impl Counts {
    pub(super) fn of(simulator: &Simulator) -> Self {
        Self {
            requests: simulator.request_count(),
            tokens: simulator.token_requests(),
            connections: simulator.connections(),
        }
    }

    pub(super) fn add(&mut self, before: Counts, after: Counts) {
        self.requests += after.requests.saturating_sub(before.requests);
        self.tokens += after.tokens.saturating_sub(before.tokens);
        self.connections += after.connections.saturating_sub(before.connections);
    }
}
