//! The linker every tenant's instance is made with: WASI (the store's, with no way out),
//! wasi-http through the guard, and the component's `log` interface into the tenant's log.

use wasmtime::component::{HasSelf, Linker, Resource};
use wasmtime::{Engine, StoreContextMut};
use wasmtime_wasi_http::p2::bindings::http::{outgoing_handler, types};
use wasmtime_wasi_http::p2::types::HostOutgoingRequest;
use wasmtime_wasi_http::{RequestOptions, WasiHttpView};

use super::state::TenantState;
use crate::bindings::cxm::ticketing::log as wit_log;
use crate::tenant_log::TenantLog;

/// The linker for `engine`'s tenants.
pub(crate) fn new_linker(engine: &Engine) -> wasmtime::Result<Linker<TenantState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    add_outgoing_handler_to_linker(&mut linker)?;
    // Offered whether or not this build of the component imports it: a linker may
    // define more than a component asks for.
    wit_log::add_to_linker::<TenantState, HasSelf<TenantLog>>(&mut linker, |state| &mut state.log)?;
    Ok(linker)
}

/// Where wasmtime-wasi-http 48 defines `wasi:http/outgoing-handler` (its WIT's version).
const OUTGOING_HANDLER: &str = "wasi:http/outgoing-handler@0.2.12";

/// Defines `wasi:http/outgoing-handler.handle` over wasmtime-wasi-http's own, which the
/// linker must already hold. wasi-http 0.2 hands the request's options to the host
/// (`own<request-options>`), but wasmtime-wasi-http 48 only reads them and leaves them in
/// the tenant's resource table: one entry for every request, as long as the tenant lives.
/// This is the same call followed by the delete that the ownership implies.
fn add_outgoing_handler_to_linker(linker: &mut Linker<TenantState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let defined = linker.instance(OUTGOING_HANDLER).and_then(|mut instance| {
        instance.func_wrap(
            "handle",
            |mut store: StoreContextMut<'_, TenantState>,
             (request, options): (
                Resource<HostOutgoingRequest>,
                Option<Resource<RequestOptions>>,
            )| {
                let mut view = store.data_mut().http();
                let options_rep = options.as_ref().map(Resource::rep);
                let result = outgoing_handler::Host::handle(&mut view, request, options);
                if let Some(rep) = options_rep {
                    // Already read by `handle` (it keeps a copy); a guest that passed a
                    // handle it does not own got its error from `handle` already.
                    let _ = view.table.delete(Resource::<RequestOptions>::new_own(rep));
                }
                let result = match result {
                    Ok(future) => Ok(future),
                    Err(e) => Err(types::Host::convert_error_code(&mut view, e)?),
                };
                Ok((result,))
            },
        )
    });
    linker.allow_shadowing(false);
    defined
}
