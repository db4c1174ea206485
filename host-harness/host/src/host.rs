//! Engine and component loaded once; a tenant is one `Store` with one live instance, kept
//! across calls because the token cache lives inside it.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use instance_address::InstanceUrl;
use tokio::sync::OnceCell;
use url::Url;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolConcurrencyLimitError, PoolingAllocationConfig,
    Store,
};

use crate::address;
use crate::api::ErrorKind;
use crate::api::{
    Attachment, Candidate, ChangesPage, CommentKind, ConnectionReport, CreateOutcome,
    Error as ProviderError, FieldKind, ProviderInfo, Resolution, ResolveOutcome, Setting,
    SettingValue, Ticket, TicketChanges, TicketDetails, TicketRef, UpdateResult,
};
use crate::artifact_cache::{self, CacheLoad};
use crate::bindings::cxm::ticketing::log::{self as wit_log, Level};
use crate::bindings::{Provider, ProviderPre};
use crate::capacity;
use crate::deadline::Deadline;
use crate::sandbox::{OutboundGuard, SandboxLimits, TenantClock, TenantState};
use crate::secret::Secret;
use crate::tenant_log::{LogEntry, TenantLog, printable};
use crate::trust::{self, TenantTls};
use crate::turns::Turns;
use rustls::RootCertStore;

/// Loads the component once and makes tenants from it.
#[derive(Clone)]
pub struct Host {
    pre: ProviderPre<TenantState>,
    limits: SandboxLimits,
    /// The `max_tenants` the engine's pool was sized for (`with_limits` keeps it).
    pool_tenants: u32,
    /// What the component's `describe` answers: the same every time, asked once.
    info: Arc<OnceCell<Arc<ProviderInfo>>>,
    /// The creates in flight, one at a time per tenant and correlation id, across every
    /// instance this host (and each made by `with_limits`) holds.
    creates: Arc<Turns>,
    /// The roots its tenants' TLS trusts (webpki's and `extra_roots`), or why the extra ones
    /// cannot be used: then no tenant is made.
    roots: Result<Arc<RootCertStore>, String>,
}

impl Host {
    /// Loads the component from a `.wasm` file (the caller knows where its build put it),
    /// compiling it. A process that starts often should use [`Host::from_file_cached`].
    pub fn from_file(path: &Path, limits: SandboxLimits) -> Result<Self> {
        let engine = new_engine(&limits)?;
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
        let engine = new_engine(&limits)?;
        let (component, load) = artifact_cache::load_or_compile(&engine, path, cache_dir)?;
        Ok((Self::from_component(&engine, &component, limits)?, load))
    }

    /// Loads the component from its bytes (binary or text format).
    pub fn from_bytes(bytes: &[u8], limits: SandboxLimits) -> Result<Self> {
        let engine = new_engine(&limits)?;
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
        let mut linker = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        crate::sandbox::add_outgoing_handler_to_linker(&mut linker)?;
        // Offered whether or not this build of the component imports it: a linker may
        // define more than a component asks for.
        wit_log::add_to_linker::<TenantState, HasSelf<TenantLog>>(&mut linker, |state| {
            &mut state.log
        })?;
        let pre = ProviderPre::new(linker.instantiate_pre(component)?)?;
        Ok(Self {
            pre,
            pool_tenants: limits.max_tenants,
            roots: Ok(trust::roots_with_os(&limits.extra_roots, limits.os_roots)?),
            limits,
            info: Arc::default(),
            creates: Arc::default(),
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
            info: self.info.clone(),
            creates: self.creates.clone(),
        }
    }

    /// The provider's `describe`: its name, calls, ticket kinds and settings form. Asked
    /// of a throwaway instance the first time, then kept.
    pub async fn describe(&self) -> Result<Arc<ProviderInfo>> {
        if let Some(info) = self.info.get() {
            return Ok(info.clone());
        }
        self.tenant("describe").await?.describe().await
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

    /// A fresh, unconfigured instance for one tenant.
    pub async fn tenant(&self, id: impl Into<String>) -> Result<Tenant> {
        let clock = TenantClock::default();
        let log = TenantLog::default();
        let roots = self.roots.clone().map_err(anyhow::Error::msg)?;
        let id: String = id.into();
        let guard = OutboundGuard::new(&self.limits, roots, id.as_str().into(), log.clone());
        let (store, provider) = self.instantiate(&clock, guard, log.clone()).await?;
        crate::observe::tenant_state(&id, Some(true), None);
        Ok(Tenant {
            id,
            host: self.clone(),
            clock,
            log,
            instance: Instance::Live { store, provider },
            settings: None,
            deadline: Deadline::default(),
        })
    }

    async fn instantiate(
        &self,
        clock: &TenantClock,
        guard: OutboundGuard,
        log: TenantLog,
    ) -> Result<(Store<TenantState>, Provider)> {
        let state = TenantState::new(&self.limits, clock, guard, log);
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|state| &mut state.limits);
        let tick = self.limits.epoch_tick.max(Duration::from_micros(100));
        let budget = self.limits.max_guest_cpu.as_nanos() / tick.as_nanos();
        store.epoch_deadline_callback(crate::sandbox::cpu_budget(budget.max(1) as u64));
        store.set_epoch_deadline(1);
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
}

impl Drop for Tenant {
    fn drop(&mut self) {
        crate::observe::tenant_state(&self.id, None, Some(self.is_live()));
    }
}

/// The origin an address setting names, by the instance address rules the component
/// shares; `None` when it names none (the component refuses such settings anyway).
fn origin_of(address: &str) -> Option<String> {
    InstanceUrl::parse(address).ok().map(|url| url.origin())
}

/// The IP address an instance setting names, if it names one. Parsed here, with the URL
/// standard's rules (which also read `0x7f.1` or `2130706433` as 127.0.0.1), apart from the
/// component's instance grammar: the host's check must not depend on what the guest accepts.
fn instance_ip(instance: &str) -> Option<IpAddr> {
    let instance = instance.trim();
    // An IP address is ASCII; anything else is a name (and IDNA mapping is not needed here).
    if !instance.is_ascii() {
        return None;
    }
    let text = if instance.contains("://") {
        instance.to_string()
    } else {
        format!("https://{instance}")
    };
    match Url::parse(&text).ok()?.host()? {
        url::Host::Ipv4(ip) => Some(ip.into()),
        url::Host::Ipv6(ip) => Some(ip.into()),
        url::Host::Domain(_) => None,
    }
}

/// An engine whose guests yield at every epoch tick, so a call's deadline stops even a guest
/// that spins without ever waiting on I/O; the ticker runs as long as the engine lives.
///
/// Instances come from wasmtime's pooling allocator, sized from the limits: one slot per
/// tenant (`max_tenants`, plus a little room for rebuilding a tenant while its old instance
/// still lives), each memory slot reserving the sandbox's memory cap (not 4 GiB), and one
/// fiber stack per tenant (a `Store` keeps the stack of its last call for the next one, and
/// wasmtime offers no way to hand it back short of dropping the store). The pool is
/// reserved up front. What a tenant costs in memory mappings is in [`crate::capacity`]; a
/// host whose tenants would need more than Linux allows the process (`vm.max_map_count`)
/// is refused here with [`crate::MapCountTooLow`], before anything is reserved.
fn new_engine(limits: &SandboxLimits) -> Result<Engine> {
    capacity::check(limits.max_tenants)?;
    let slots = capacity::slots(limits.max_tenants);
    let memory = limits.memory_bytes.max(1 << 16);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(slots)
        .total_core_instances(slots.saturating_mul(CORE_INSTANCES_PER_TENANT))
        .total_memories(slots.saturating_mul(MEMORIES_PER_TENANT))
        .total_tables(slots.saturating_mul(TABLES_PER_TENANT))
        .total_stacks(slots)
        .max_memories_per_component(MEMORIES_PER_TENANT)
        .max_tables_per_component(TABLES_PER_TENANT)
        .max_core_instances_per_component(CORE_INSTANCES_PER_TENANT)
        .max_memory_size(memory)
        .table_elements(TABLE_ELEMENTS);
    let mut config = Config::new();
    config
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
        // Bounds checks are explicit below 4 GiB of reservation; the guard lets small
        // constant offsets go unchecked.
        .memory_reservation(memory as u64)
        .memory_reservation_for_growth(0)
        .memory_guard_size(MEMORY_GUARD)
        .max_wasm_stack(MAX_WASM_STACK)
        .async_stack_size(ASYNC_STACK);
    let engine = Engine::new(&config)?;
    start_epoch_ticker(&engine, limits.epoch_tick.max(Duration::from_micros(100)))?;
    Ok(engine)
}

/// What one tenant's instance of the component takes from the pool: the component has
/// three core modules (its code, wit-component's shim and fixup), one memory, two tables.
pub(crate) const CORE_INSTANCES_PER_TENANT: u32 = 8;
const MEMORIES_PER_TENANT: u32 = 2;
const TABLES_PER_TENANT: u32 = 4;
/// Largest table a core module may declare (the component's own has a few hundred).
const TABLE_ELEMENTS: usize = 10_000;
/// Unmapped space after each memory slot.
const MEMORY_GUARD: u64 = 2 << 20;
/// Native stack the component's compiled code may use (its own stack lives in its linear
/// memory); its JSON reader's nesting limit keeps the deepest call far below this.
const MAX_WASM_STACK: usize = 256 << 10;
/// A call's fiber stack: the guest's native frames plus the host functions it calls
/// (wasi-http, the egress client).
const ASYNC_STACK: usize = 1 << 20;

/// Advances the engine's epoch until the engine is gone.
fn start_epoch_ticker(engine: &Engine, tick: Duration) -> Result<()> {
    let engine = engine.weak();
    std::thread::Builder::new()
        .name("wasm-epoch".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(tick);
            }
        })
        .context("starting the epoch ticker")?;
    Ok(())
}

/// Calls one export of the tenant's instance under the call deadline; a trap or an expired
/// deadline rebuilds the tenant (see `Tenant::survive`).
macro_rules! guest_call {
    ($tenant:ident, $export:ident($($arg:expr),*)) => {{
        $tenant.wake().await?;
        let Instance::Live { store, provider } = &mut $tenant.instance else {
            unreachable!("woken above")
        };
        store.data_mut().cpu_ticks = 0;
        let started = std::time::Instant::now();
        let name = stringify!($export);
        let name = name.strip_prefix("call_").unwrap_or(name);
        let api = provider.cxm_ticketing_ticketing_provider();
        // The call's span: its requests' events, spawned by wasi-http, follow the caller's
        // subscriber (see the sandbox's hook).
        let span = tracing::info_span!("call", tenant = %$tenant.id, call = name);
        let call = tracing::Instrument::instrument(api.$export(store, $($arg),*), span);
        let result = $tenant.deadline.within($tenant.host.limits.call_timeout, call).await;
        crate::observe::call(&$tenant.id, name, crate::observe::outcome_of(&result), started.elapsed());
        $tenant.survive(result).await
    }};
}

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
    id: String,
    host: Host,
    clock: TenantClock,
    /// Kept by the tenant, so it outlives a rebuilt instance.
    log: TenantLog,
    instance: Instance,
    /// The settings in force, to rebuild the instance if a call ever traps or the tenant
    /// wakes from hibernation.
    settings: Option<(Vec<Setting>, Vec<Secret>)>,
    /// Each call's deadline, one timer moved forward per call.
    deadline: Deadline,
}

/// A tenant's instance, or what the sandbox keeps of it while it hibernates.
enum Instance {
    Live {
        store: Store<TenantState>,
        provider: Provider,
    },
    /// No store and no pool slot: the sandbox's state only (origin, suspension, counters).
    Hibernating(OutboundGuard),
}

impl Tenant {
    /// The tenant's id, as the platform gave it to [`Host::tenant`].
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Where this tenant's outbound requests may go: its instance's origin, once configured;
    /// `None` while suspended.
    pub fn allowed_origin(&self) -> Option<&str> {
        let guard = self.guard();
        if guard.suspended {
            return None;
        }
        guard.allowed_origin.as_deref()
    }

    /// Overrides the origin the tenant may reach until its next successful configure, which
    /// sets it from the settings again. `None` suspends the tenant (see [`Tenant::suspend`]):
    /// a configure does not undo that, only [`Tenant::resume`] does.
    pub fn set_allowed_origin(&mut self, origin: Option<String>) {
        match origin {
            Some(origin) => self.guard_mut().allowed_origin = Some(origin),
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
        self.guard_mut().suspended = false;
    }

    /// Whether the platform has cut the tenant off ([`Tenant::suspend`]).
    pub fn is_suspended(&self) -> bool {
        self.guard().suspended
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
        let mut extra = self.host.limits.extra_roots.clone();
        extra.extend(tls.extra_roots.iter().cloned());
        let roots = trust::roots_with_os(&extra, self.host.limits.os_roots)?;
        let identity = tls
            .client_certificate
            .as_ref()
            .map(|certificate| Arc::new(certificate.identity()));
        // Made once here so that a bad key is this call's error, not every request's.
        crate::egress::tls_config(roots.clone(), identity.as_deref())
            .map_err(|e| anyhow::anyhow!("the tenant's TLS: {e:?}"))?;
        self.guard_mut().set_tls(roots, identity);
        Ok(())
    }

    /// The tenant's requests under way, and the request body bytes the host buffers for
    /// them; bounded by [`SandboxLimits::max_requests_in_flight`] and
    /// [`SandboxLimits::max_buffered_request_bytes`].
    pub fn requests_in_flight(&self) -> (usize, u64) {
        self.guard().in_flight()
    }

    /// The tenant's log, oldest entry first: what the component reported (cleaned and
    /// bounded, see [`TenantLog`]) and the requests the host refused. It survives a rebuilt
    /// instance.
    pub fn log(&self) -> Vec<LogEntry> {
        self.log.entries()
    }

    /// Moves the tenant's monotonic clock forward (tests: expire a cached token).
    pub fn advance_clock(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// The provider's `describe` (see [`Host::describe`]).
    pub async fn describe(&mut self) -> Result<Arc<ProviderInfo>> {
        if let Some(info) = self.host.info.get() {
            return Ok(info.clone());
        }
        let info = Arc::new(guest_call!(self, call_describe())?);
        Ok(self.host.info.get_or_init(|| async { info }).await.clone())
    }

    /// `validate-field`: one value checked as the admin types it; no network.
    pub async fn validate_field(
        &mut self,
        key: &str,
        value: &SettingValue,
    ) -> Result<Result<(), ProviderError>> {
        guest_call!(self, call_validate_field(key, value))
    }

    /// `configure`; on success the sandbox opens to the origin of the settings' address
    /// field only (unless the tenant is suspended). An address given as an IP that tenants
    /// may not reach is refused by the host before the component sees it, with
    /// `blocked-by-host`; the previous settings stay. A secret not given is the one in force.
    pub async fn configure(
        &mut self,
        settings: &[Setting],
        secrets: &[Secret],
    ) -> Result<Result<(), ProviderError>> {
        let address = match self.checked_address(settings).await? {
            Ok(address) => address,
            Err(refused) => return Ok(Err(refused)),
        };
        let result = guest_call!(self, call_configure(settings, secrets))?;
        if result.is_ok() {
            // The host works the origin out itself, from the settings it holds and with the
            // same address rules as the component, rather than trusting the guest to say
            // where it may go.
            let origin = address.as_deref().and_then(origin_of);
            let guard = self.guard_mut();
            // Nothing asked for under the old settings leaves under the new ones.
            guard.cancel_requests();
            guard.allowed_origin = origin.clone();
            if origin.is_none() {
                // A component that took settings naming no instance: the tenant can reach
                // nothing, and the platform says so rather than the component's OK.
                return Ok(Err(self.no_origin(address.as_deref()).await?));
            }
            let mut secrets = secrets.to_vec();
            if let Some((_, in_force)) = &self.settings {
                // What the component kept: the secrets in force that were not given again.
                for old in in_force {
                    if !secrets.iter().any(|s| s.key() == old.key()) {
                        secrets.push(old.clone());
                    }
                }
            }
            self.settings = Some((settings.to_vec(), secrets));
        }
        Ok(result)
    }

    /// The address `settings` give, once the host's own check lets it through; refused, the
    /// refusal is logged and answered as the call's error.
    async fn checked_address(
        &mut self,
        settings: &[Setting],
    ) -> Result<Result<Option<String>, ProviderError>> {
        let address = self.address_in(settings).await?;
        if let Some(refused) = address.as_deref().and_then(|a| self.refuse_address(a)) {
            self.log.host_note(Level::Warn, &refused.message);
            return Ok(Err(refused));
        }
        Ok(Ok(address))
    }

    /// The key of the form's address field, if the form has one.
    async fn address_key(&mut self) -> Result<Option<String>> {
        let info = self.describe().await?;
        let field = info.settings.iter().find(|f| f.kind == FieldKind::Address);
        Ok(field.map(|field| field.key.clone()))
    }

    /// The value of the form's address field among `settings`, if given as text.
    async fn address_in(&mut self, settings: &[Setting]) -> Result<Option<String>> {
        let Some(key) = self.address_key().await? else {
            return Ok(None);
        };
        Ok(settings.iter().find_map(|s| match &s.value {
            SettingValue::Text(text) if s.key == key => Some(text.clone()),
            _ => None,
        }))
    }

    /// The error for settings from which the host can tell no origin: the tenant could reach
    /// nothing. Logged, and naming the address field.
    async fn no_origin(&mut self, address: Option<&str>) -> Result<ProviderError> {
        let field = self.address_key().await?;
        let said = match address {
            Some(text) => {
                let shown: String = printable(text).chars().take(80).collect();
                format!("the instance address {shown:?} names no origin the platform can open")
            }
            None => "the settings name no instance address".to_string(),
        };
        let message = format!("{said}: the tenant could reach nothing, so they are not taken");
        self.log.host_note(Level::Warn, &message);
        Ok(ProviderError {
            kind: ErrorKind::InvalidSettings,
            message,
            field,
            remedy: Some(
                "Enter the instance as its subdomain (dev12345) or its full https URL \
                 (https://dev12345.service-now.com)."
                    .into(),
            ),
            guide_step: None,
            http_status: None,
            retry_after_seconds: None,
        })
    }

    /// The host's own check of an address setting: an IP literal must not be one of the
    /// addresses tenants may never reach. Names are checked when a request connects.
    fn refuse_address(&self, address: &str) -> Option<ProviderError> {
        let ip = instance_ip(address)?;
        let limits = &self.host.limits;
        let rule =
            address::refusal_admitting(ip, limits.allow_private_network, &limits.allowed_networks)?;
        Some(ProviderError {
            kind: ErrorKind::BlockedByHost,
            message: format!(
                "the platform's sandbox refuses the instance address {ip}: host rule \
                 \"{rule}\"; tenants may not reach such addresses"
            ),
            field: None,
            remedy: Some(
                "Enter the instance's public address: its subdomain (dev12345), its \
                 https://<name>.service-now.com URL, or your proxy's public host name."
                    .into(),
            ),
            guide_step: None,
            http_status: None,
            retry_after_seconds: None,
        })
    }

    /// Test Connection on the settings in force.
    pub async fn test_connection(&mut self) -> Result<ConnectionReport> {
        guest_call!(self, call_test_connection(None))
    }

    /// Test Connection on values the admin has not saved: for this one call the tenant may
    /// reach the candidate's address (nothing else), and afterwards the origin in force is
    /// back. The settings in force keep serving meanwhile. An address the host refuses is
    /// the host's error, as at configure.
    pub async fn test_candidate(
        &mut self,
        candidate: &Candidate,
    ) -> Result<Result<ConnectionReport, ProviderError>> {
        let address = match self.checked_address(&candidate.settings).await? {
            Ok(address) => address,
            Err(refused) => return Ok(Err(refused)),
        };
        // Awake first: a wake that fails must not leave the candidate's origin behind in
        // the hibernating tenant (`guest_call!` wakes it, and returns early if it cannot).
        self.wake().await?;
        let in_force = self.guard().allowed_origin.clone();
        self.guard_mut().allowed_origin = address.as_deref().and_then(origin_of);
        let report = guest_call!(self, call_test_connection(Some(candidate)));
        let guard = self.guard_mut();
        // Whatever the candidate's test left under way stops with it.
        guard.cancel_requests();
        guard.allowed_origin = in_force;
        Ok(Ok(report?))
    }

    /// Opens a ticket for an event. Creates of this tenant with the same correlation id take
    /// turns across every instance of this host, so the second finds the first's ticket.
    pub async fn create_ticket(
        &mut self,
        ticket: &Ticket,
    ) -> Result<Result<CreateOutcome, ProviderError>> {
        let correlation_id = ticket.correlation_id.as_deref().map(str::trim);
        let _turn = match correlation_id {
            Some(id) if !id.is_empty() => Some(self.host.creates.take(&self.id, id).await),
            _ => None,
        };
        guest_call!(self, call_create_ticket(ticket))
    }

    /// A ticket as it stands in the ticketing system, by its id or display id.
    pub async fn get_ticket(
        &mut self,
        ticket: &TicketRef,
    ) -> Result<Result<TicketDetails, ProviderError>> {
        guest_call!(self, call_get_ticket(ticket))
    }

    /// Changes a ticket's priority, team, title, description or other fields; the answer
    /// names what the ticketing system did not store as sent.
    pub async fn update_ticket(
        &mut self,
        ticket: &TicketRef,
        changes: &TicketChanges,
    ) -> Result<Result<UpdateResult, ProviderError>> {
        guest_call!(self, call_update_ticket(ticket, changes))
    }

    /// Adds a comment: internal (for the support team) or public.
    pub async fn add_comment(
        &mut self,
        ticket: &TicketRef,
        kind: CommentKind,
        text: &str,
    ) -> Result<Result<(), ProviderError>> {
        guest_call!(self, call_add_comment(ticket, kind, text))
    }

    /// Resolves (or closes) a ticket with a resolution code and notes; one that is done
    /// already, or not there, is said so, not an error.
    pub async fn resolve_ticket(
        &mut self,
        ticket: &TicketRef,
        resolution: &Resolution,
    ) -> Result<Result<ResolveOutcome, ProviderError>> {
        guest_call!(self, call_resolve_ticket(ticket, resolution))
    }

    /// Resolves the ticket this integration opened for an event, found by its category and
    /// correlation id, when the event recovers.
    pub async fn resolve_by_correlation(
        &mut self,
        event_category: &str,
        correlation_id: &str,
        resolution: &Resolution,
    ) -> Result<Result<ResolveOutcome, ProviderError>> {
        guest_call!(
            self,
            call_resolve_by_correlation(event_category, correlation_id, resolution)
        )
    }

    /// This integration's tickets changed after `cursor` (none: start from now), a page at a
    /// time; call again with the page's cursor, at once while `more` is true. The platform
    /// stores the cursor as given.
    pub async fn changes_since(
        &mut self,
        cursor: Option<&str>,
    ) -> Result<Result<ChangesPage, ProviderError>> {
        guest_call!(self, call_changes_since(cursor))
    }

    /// Attaches a file to a ticket. A file larger than this host lets a tenant send in one
    /// request (`SandboxLimits::max_request_body`) is refused here, before it is copied into
    /// the tenant's memory (where a file larger than that memory would trap the call); the
    /// component refuses what is over its own cap before sending.
    pub async fn attach_file(
        &mut self,
        ticket: &TicketRef,
        file_name: &str,
        content_type: &str,
        content: &[u8],
    ) -> Result<Result<Attachment, ProviderError>> {
        let cap = self.host.limits.max_request_body;
        if content.len() as u64 > cap {
            let refused = ProviderError {
                kind: ErrorKind::InvalidTicket,
                message: format!(
                    "the file is {} bytes, more than the {cap} bytes the platform's sandbox \
                     lets a tenant send in one request",
                    content.len()
                ),
                field: None,
                remedy: None,
                guide_step: None,
                http_status: None,
                retry_after_seconds: None,
            };
            self.log.host_note(Level::Warn, &refused.message);
            return Ok(Err(refused));
        }
        guest_call!(
            self,
            call_attach_file(ticket, file_name, content_type, content)
        )
    }

    /// A trap or a call stopped at its deadline (`None`) leaves an instance unusable, so the
    /// tenant gets a fresh one, configured as before, and the next call works; the failure
    /// itself is still reported.
    async fn survive<R>(&mut self, result: Option<wasmtime::Result<R>>) -> Result<R> {
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
                    self.host.limits.call_timeout.as_secs_f32()
                ),
                "deadline",
            ),
        };
        crate::observe::rebuilt(&self.id, why);
        self.recover()
            .await
            .context("rebuilding the tenant after a failed call")?;
        Err(failure)
    }

    async fn recover(&mut self) -> Result<()> {
        let guard = self.guard().carry_over();
        self.rebuild(guard).await
    }

    /// A new instance for the tenant with this sandbox state, configured as before.
    async fn rebuild(&mut self, guard: OutboundGuard) -> Result<()> {
        let (mut store, provider) = self
            .host
            .instantiate(&self.clock, guard, self.log.clone())
            .await?;
        if let Some((settings, secrets)) = &self.settings {
            let api = provider.cxm_ticketing_ticketing_provider();
            // These settings were accepted before; a refusal now would be a component bug.
            api.call_configure(&mut store, settings, secrets)
                .await?
                .map_err(|e| anyhow::anyhow!("re-configuring failed: {}", e.message))?;
        }
        self.instance = Instance::Live { store, provider };
        Ok(())
    }

    /// Gives the tenant's instance back to the pool: its store, memory, fiber stack and
    /// pool slot, and its idle connections. What the host keeps (settings, origin,
    /// suspension, counters, log) stays; the next call makes and configures a new
    /// instance first (about what [`Host::tenant`] and `configure` cost), so what lived
    /// only in the instance is gone: the cached token (the next call asks for one) and
    /// the cached lookups. A platform with more tenants than `max_tenants` hibernates the
    /// idle ones; after 30 minutes idle nothing of value is lost (tokens last at most
    /// that by default, the lookups 10 minutes).
    pub fn hibernate(&mut self) {
        if let Instance::Live { store, .. } = &mut self.instance {
            store.data_mut().guard.cancel_requests();
            let guard = store.data().guard.carry_over_idle();
            self.instance = Instance::Hibernating(guard);
            crate::observe::tenant_state(&self.id, Some(false), Some(true));
        }
    }

    /// Whether the tenant has no instance now (see [`Tenant::hibernate`]).
    pub fn is_hibernating(&self) -> bool {
        matches!(self.instance, Instance::Hibernating(_))
    }

    /// Makes the instance of a hibernating tenant (a no-op for a live one). Fails if the
    /// host is full; the tenant then stays as it was.
    async fn wake(&mut self) -> Result<()> {
        if let Instance::Hibernating(guard) = &self.instance {
            let guard = guard.carry_over();
            self.rebuild(guard)
                .await
                .with_context(|| format!("tenant {}: waking from hibernation", self.id))?;
            crate::observe::tenant_state(&self.id, Some(true), Some(false));
        }
        Ok(())
    }

    fn is_live(&self) -> bool {
        matches!(self.instance, Instance::Live { .. })
    }

    fn guard(&self) -> &OutboundGuard {
        match &self.instance {
            Instance::Live { store, .. } => &store.data().guard,
            Instance::Hibernating(guard) => guard,
        }
    }

    fn guard_mut(&mut self) -> &mut OutboundGuard {
        match &mut self.instance {
            Instance::Live { store, .. } => &mut store.data_mut().guard,
            Instance::Hibernating(guard) => guard,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::instance_ip;

    #[test]
    fn the_ip_an_instance_names() {
        let cases = [
            ("https://169.254.169.254", Some("169.254.169.254")),
            (
                "  https://169.254.169.254/prefix/ ",
                Some("169.254.169.254"),
            ),
            ("10.0.0.5", Some("10.0.0.5")),
            ("http://127.0.0.1:8080", Some("127.0.0.1")),
            ("https://0x7f.1", Some("127.0.0.1")),
            ("https://2130706433", Some("127.0.0.1")),
            (
                "https://[::ffff:169.254.169.254]",
                Some("::ffff:169.254.169.254"),
            ),
            ("https://[fd00:ec2::254]:443", Some("fd00:ec2::254")),
            ("dev12345", None),
            ("https://dev1.service-now.com", None),
            ("http://localhost:8080", None),
            ("", None),
            ("not a url at all", None),
        ];
        for (instance, expected) in cases {
            let expected = expected.map(|ip| ip.parse().unwrap());
            assert_eq!(instance_ip(instance), expected, "{instance:?}");
        }
    }
}
