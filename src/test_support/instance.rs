//! The instance the unit tests talk to.

use instance_address::InstanceUrl;
use std::sync::LazyLock;

use crate::servicenow::request::Rest;

/// `https://dev1.service-now.com`.
pub fn dev1() -> &'static InstanceUrl {
    static DEV1: LazyLock<InstanceUrl> = LazyLock::new(|| InstanceUrl::parse("dev1").unwrap());
    &DEV1
}

/// `dev1`'s REST API over `transport`: what each API of the instance is made from.
pub fn dev1_rest<T>(transport: &T) -> Rest<'_, T> {
    Rest {
        transport,
        instance: dev1(),
    }
}
