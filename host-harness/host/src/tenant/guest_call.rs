//! One call into a tenant's instance: woken first if it hibernates, under the call's
//! deadline and CPU budget, told to the platform, and the instance rebuilt if it failed.

/// Calls one export of the tenant's instance under the call deadline; a trap or an expired
/// deadline rebuilds the tenant (see `Tenant::rebuild_after_failure`).
macro_rules! guest_call {
    ($tenant:ident, $export:ident($($arg:expr),*)) => {{
        $tenant.wake().await?;
        let $crate::tenant::lifecycle::Instance::Live { store, provider } = &mut $tenant.instance
        else {
            unreachable!("woken above")
        };
        store.data_mut().start_call();
        let started = std::time::Instant::now();
        let name = stringify!($export);
        let name = name.strip_prefix("call_").unwrap_or(name);
        let api = provider.cxm_ticketing_ticketing_provider();
        // The call's span: its requests' events, spawned by wasi-http, follow the caller's
        // subscriber (see the sandbox's hook).
        let span = tracing::info_span!("call", tenant = %$tenant.id, call = name);
        let call = tracing::Instrument::instrument(api.$export(store, $($arg),*), span);
        let timeout = $tenant.host.limits().call_timeout;
        let result = $tenant.deadline.within(timeout, call).await;
        let outcome = $crate::observe::outcome_of(&result);
        $crate::observe::call(&$tenant.id, name, outcome, started.elapsed());
        $tenant.rebuild_after_failure(result).await
    }};
}

pub(super) use guest_call;
