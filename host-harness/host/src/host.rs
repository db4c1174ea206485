//! The host: the engine and the component loaded once (from a path or bytes the caller
//! gives), under the sandbox policy of its tenants. A tenant is made by `Host::tenant` (in
//! `tenant`), which instantiates the component here.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use rustls::RootCertStore;
use tokio::sync::OnceCell;
use wasmtime::component::Component;
use wasmtime::{Engine, PoolConcurrencyLimitError, Store};

use crate::api::ProviderInfo;
use crate::artifact_cache::{self, CacheLoad};
use crate::bindings::{Provider, ProviderPre};
use crate::sandbox::{self, OutboundGuard, SandboxLimits, TenantClock, TenantState};
use crate::tenant_log::TenantLog;
use crate::trust;
use crate::turns::{Turn, Turns};

/// Loads the component once and makes tenants from it.
#[derive(Clone)]
pub struct Host {
    pre: ProviderPre<TenantState>,
    limits: SandboxLimits,
    /// The `max_tenants` the engine's pool was sized for (`with_limits` keeps it).
    pool_tenants: u32,
    /// What the component's `describe` answers: the same every time, asked once.
    description: Arc<OnceCell<Arc<ProviderInfo>>>,
    /// The creates in flight, one at a time per tenant and correlation id, across every
    /// instance this host (and each made by `with_limits`) holds.
    create_turns: Arc<Turns>,
    /// The roots its tenants' TLS trusts (webpki's and `extra_roots`), or why the extra ones
    /// cannot be used: then no tenant is made.
    roots: Result<Arc<RootCertStore>, String>,
}

impl Host {
    /// Loads the component from a `.wasm` file (the caller knows where its build put it),
    /// compiling it. A process that starts often should use [`Host::from_file_cached`].
    pub fn from_file(path: &Path, limits: SandboxLimits) -> Result<Self> {
        let engine = sandbox::new_engine(&limits)?;
        let component = Component::from_file(&engine, path)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("loading the component {}", path.display()))?;
        Self::from_component(&engine, &component, limits)
    }

    /// Loads the component from a `.wasm` file through an artifact cache in `cache_dir`
    /// (the caller's choice; created if missing): compiled once per component, wasmtime
    /// version and engine configuration, loaded from disk by every later call. A stale,
    /// foreign or unreadable artifact is never used (see [`CacheLoad`] and the
    /// `artifact_cache` module); the directory must be as trusted as the host binary.
    pub fn from_file_cached(path: &Path, cache_dir: &Path, limits: SandboxLimits) -> Result<Self> {
        Ok(Self::load_cached(path, cache_dir, limits)?.0)
    }

    /// [`Host::from_file_cached`], also saying what the cache did and how long it took.
    pub fn load_cached(
        path: &Path,
        cache_dir: &Path,
        limits: SandboxLimits,
    ) -> Result<(Self, CacheLoad)> {
        let engine = sandbox::new_engine(&limits)?;
        let (component, load) = artifact_cache::load_or_compile(&engine, path, cache_dir)?;
        Ok((Self::from_component(&engine, &component, limits)?, load))
    }

    /// Loads the component from its bytes (binary or text format).
    pub fn from_bytes(bytes: &[u8], limits: SandboxLimits) -> Result<Self> {
        let engine = sandbox::new_engine(&limits)?;
        let component = Component::new(&engine, bytes)
            .map_err(anyhow::Error::from)
            .context("loading the component")?;
        Self::from_component(&engine, &component, limits)
    }

    fn from_component(
        engine: &Engine,
        component: &Component,
        limits: SandboxLimits,
    ) -> Result<Self> {
        let linker = sandbox::new_linker(engine)?;
        let pre = ProviderPre::new(linker.instantiate_pre(component)?)?;
        Ok(Self {
            pre,
            pool_tenants: limits.max_tenants,
            roots: Ok(trust::roots_with_os(&limits.extra_roots, limits.os_roots)?),
            limits,
            description: Arc::default(),
            create_turns: Arc::default(),
        })
    }

    /// The same compiled component under another sandbox policy (for example a platform
    /// that grants some tenants `allow_private_network`); nothing is compiled again. The
    /// engine stays the one this host was made with: its pool (`max_tenants`) is shared,
    /// and a tenant's memory never grows past the `memory_bytes` the engine was made with.
    pub fn with_limits(&self, limits: SandboxLimits) -> Self {
        Self {
            roots: trust::roots_with_os(&limits.extra_roots, limits.os_roots)
                .map_err(|e| format!("{e:#}")),
            pre: self.pre.clone(),
            limits,
            pool_tenants: self.pool_tenants,
            description: self.description.clone(),
            create_turns: self.create_turns.clone(),
        }
    }

    /// The sandbox policy of this host's tenants.
    pub fn limits(&self) -> &SandboxLimits {
        &self.limits
    }

    /// The component's imports, by interface name: what the sandbox must grant.
    pub fn component_imports(&self) -> Vec<String> {
        let engine = self.pre.engine();
        self.pre
            .instance_pre()
            .component()
            .component_type()
            .imports(engine)
            .map(|(name, _)| name.to_string())
            .collect()
    }

    /// The guard of a new tenant `id`, writing to its `log`; fails when the roots this host's
    /// limits name are not usable.
    pub(crate) fn new_guard(&self, id: &str, log: TenantLog) -> Result<OutboundGuard> {
        let roots = self.roots.clone().map_err(anyhow::Error::msg)?;
        Ok(OutboundGuard::new(&self.limits, roots, id.into(), log))
    }

    /// A new instance of the component in a new store, with this tenant's `clock`, `guard`
    /// and `log`; fails when the pool is full.
    pub(crate) async fn instantiate(
        &self,
        clock: &TenantClock,
        guard: OutboundGuard,
        log: TenantLog,
    ) -> Result<(Store<TenantState>, Provider)> {
        let mut store = sandbox::new_store(self.pre.engine(), &self.limits, clock, guard, log);
        let provider = match self.pre.instantiate_async(&mut store).await {
            Ok(provider) => provider,
            Err(e) if e.is::<PoolConcurrencyLimitError>() => {
                return Err(anyhow::Error::from(e).context(format!(
                    "the host is full: its pool was sized for max_tenants = {} \
                     (SandboxLimits::max_tenants, plus a little room for tenants being \
                     rebuilt) when the host was made",
                    self.pool_tenants
                )));
            }
            Err(e) => return Err(e.into()),
        };
        Ok((store, provider))
    }

    /// What the component's `describe` answered, once asked.
    pub(crate) fn description(&self) -> Option<Arc<ProviderInfo>> {
        self.description.get().cloned()
    }

    /// Keeps what `describe` answered; the first answer kept is the one every tenant gets.
    pub(crate) async fn keep_description(&self, info: Arc<ProviderInfo>) -> Arc<ProviderInfo> {
        self.description
            .get_or_init(|| async { info })
            .await
            .clone()
    }

    /// Waits for the turn of a create of `tenant` with `correlation_id`, across every
    /// instance of this host, and holds it until the answer is dropped.
    pub(crate) async fn create_turn(&self, tenant: &str, correlation_id: &str) -> Turn {
        self.create_turns.take(tenant, correlation_id).await
    }
}
