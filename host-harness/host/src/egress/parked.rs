//! A hibernating tenant's client, kept while its connection may still carry a request: the
//! pool lets go of it when that connection idles out, so a tenant that sleeps longer than
//! the idle timeout keeps nothing of it but this small, empty holder.

use std::sync::{Arc, Mutex, MutexGuard};

use super::client::TenantClient;
use super::pool::Release;

/// The client of a tenant that hibernated with an idle connection (see
/// [`ParkedClient::park`]); empty once the connection idled out.
pub(crate) struct ParkedClient(Mutex<Option<TenantClient>>);

impl ParkedClient {
    /// `client`, kept for a hibernating tenant while its idle connection lasts; none when it
    /// has no connection to keep.
    pub(crate) fn park(client: TenantClient) -> Option<Arc<Self>> {
        let pool = client.pool().clone();
        let parked = Arc::new(Self(Mutex::new(Some(client))));
        let release: Arc<dyn Release> = parked.clone();
        pool.park(Arc::downgrade(&release)).then_some(parked)
    }

    fn held(&self) -> MutexGuard<'_, Option<TenantClient>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The client, with its connection, for a woken instance; none once it idled out.
    pub(crate) fn client(&self) -> Option<TenantClient> {
        self.held().clone()
    }
}

impl Release for ParkedClient {
    fn release(&self) {
        // Dropped outside the lock: the client's last clone takes its pool with it.
        let client = self.held().take();
        drop(client);
    }
}
