//! What the built component asks of its sandbox.

use support::host;

#[test]
fn imports_only_http_and_what_std_needs() {
    let imports = host().component_imports();
    assert!(
        imports
            .iter()
            .any(|i| i.starts_with("wasi:http/outgoing-handler@")),
        "{imports:?}"
    );
    for import in &imports {
        assert!(
            !import.starts_with("wasi:filesystem") && !import.starts_with("wasi:sockets"),
            "the component imports {import}"
        );
        let allowed = [
            "wasi:http/",
            "wasi:io/",
            "wasi:clocks/",
            "wasi:cli/",
            "wasi:random/",
            "cxm:ticketing/types@",
        ];
        assert!(
            allowed.iter().any(|p| import.starts_with(p)),
            "unexpected import {import}"
        );
    }
}
