//! The engine every tenant's instance runs in: wasmtime's pooling allocator sized from the
//! sandbox policy, and epoch interruption driven by a ticker thread.

use std::time::Duration;

use anyhow::{Context, Result};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::limits::SandboxLimits;
use crate::capacity;

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
/// is refused here with [`capacity::MapCountTooLow`], before anything is reserved.
pub(crate) fn new_engine(limits: &SandboxLimits) -> Result<Engine> {
    capacity::check_this_process(limits.max_tenants)?;
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
    start_epoch_ticker(&engine, epoch_tick(limits))?;
    Ok(engine)
}

/// What one tenant's instance of the component takes from the pool: the component has
/// three core modules (its code, wit-component's shim and fixup), one memory, two tables.
pub(super) const CORE_INSTANCES_PER_TENANT: u32 = 8;
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

/// How often the engine's epoch advances under `limits`: `epoch_tick`, at least 100 µs.
pub(super) fn epoch_tick(limits: &SandboxLimits) -> Duration {
    limits.epoch_tick.max(Duration::from_micros(100))
}
