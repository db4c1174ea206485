//! What the unit tests share: the scripted transport, and sessions and providers configured
//! over it.

pub mod answers;
pub mod instance;
pub mod json;
pub mod provider;
pub mod session;
pub mod transport;
pub mod values;
