//! The contract's world, generated from `wit/ticketing.wit`, which documents its types.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "provider",
    exports: { default: async },
    // Credentials cross in a type of the host's own, whose `Debug` hides them.
    with: { "cxm:ticketing/secrets": crate::secret::wit },
    additional_derives: [PartialEq],
});
