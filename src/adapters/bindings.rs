//! The bindings `wit-bindgen` generates for the component's world, and nothing else.

// The contract's world plus the `wasi:http` client imports (WASI 0.2 WIT in `wit/deps`), as
// a world of the component's own: the contract (`wit/ticketing.wit`) stays what hosts bind to.
wit_bindgen::generate!({
    path: "wit",
    inline: "
        package cxm:servicenow-component;

        world component {
            include cxm:ticketing/provider@0.4.0;
            import wasi:http/outgoing-handler@0.2.2;
            import wasi:clocks/wall-clock@0.2.2;
        }
    ",
    world: "cxm:servicenow-component/component",
    generate_all,
});
