//! A tenant's store: what it holds (WASI without a way out but the guarded wasi-http, the
//! guard, the log, the memory cap), and the CPU budget charged at every epoch tick.

use wasmtime::component::ResourceTable;
use wasmtime::{Engine, Store, StoreContextMut, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use super::clock::TenantClock;
use super::engine::{CORE_INSTANCES_PER_TENANT, epoch_tick};
use super::guard::OutboundGuard;
use super::limits::SandboxLimits;
use crate::tenant_log::TenantLog;

/// Everything a tenant's `Store` holds.
pub struct TenantState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    pub(crate) guard: OutboundGuard,
    pub(super) log: TenantLog,
    store_limits: StoreLimits,
    /// Epoch ticks the current call has spent running guest code.
    cpu_ticks: u64,
}

impl TenantState {
    fn new(
        limits: &SandboxLimits,
        clock: &TenantClock,
        guard: OutboundGuard,
        log: TenantLog,
    ) -> Self {
        // No preopened directories, no inherited environment or stdio, no sockets: the
        // component's only way out is the guarded wasi-http.
        let wasi = WasiCtx::builder()
            .monotonic_clock(clock.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let mut table = ResourceTable::new();
        table.set_max_capacity(limits.max_host_resources);
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(limits.max_field_section_bytes);
        Self {
            wasi,
            http,
            table,
            guard,
            log,
            store_limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes)
                .instances(CORE_INSTANCES_PER_TENANT as usize)
                .build(),
            cpu_ticks: 0,
        }
    }

    /// A call starts: the CPU budget is whole again.
    pub(crate) fn start_call(&mut self) {
        self.cpu_ticks = 0;
    }
}

/// A store for one tenant's instance: its memory capped, its guest code charged against
/// the call's CPU budget (`max_guest_cpu`, in epoch ticks) at every tick.
pub(crate) fn new_store(
    engine: &Engine,
    limits: &SandboxLimits,
    clock: &TenantClock,
    guard: OutboundGuard,
    log: TenantLog,
) -> Store<TenantState> {
    let state = TenantState::new(limits, clock, guard, log);
    let mut store = Store::new(engine, state);
    store.limiter(|state| &mut state.store_limits);
    let budget = limits.max_guest_cpu.as_nanos() / epoch_tick(limits).as_nanos();
    store.epoch_deadline_callback(cpu_budget(budget.max(1) as u64));
    store.set_epoch_deadline(1);
    store
}

/// The epoch deadline of a tenant's store: at every tick that finds the guest running, it
/// yields to the host's other tasks and counts the tick against the call's CPU budget of
/// `budget` ticks; past it the call traps. A guest waiting on the network is not running, so
/// its waits cost it nothing.
fn cpu_budget(
    budget: u64,
) -> impl FnMut(StoreContextMut<'_, TenantState>) -> wasmtime::Result<UpdateDeadline> + Send + Sync
{
    move |mut store| {
        let ticks = &mut store.data_mut().cpu_ticks;
        *ticks += 1;
        if *ticks > budget {
            return Err(wasmtime::format_err!(
                "the call ran guest code for longer than SandboxLimits::max_guest_cpu allows"
            ));
        }
        Ok(UpdateDeadline::Yield(1))
    }
}

impl WasiView for TenantState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for TenantState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.guard,
        }
    }
}
