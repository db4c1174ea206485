//! The instance the unit tests talk to.

use instance_address::InstanceUrl;
use std::sync::LazyLock;

/// `https://dev1.service-now.com`.
pub fn dev1() -> &'static InstanceUrl {
    static DEV1: LazyLock<InstanceUrl> = LazyLock::new(|| InstanceUrl::parse("dev1").unwrap());
    &DEV1
}
