//! The stand-in for the integration platform: one sandboxed component instance per tenant.

pub mod simulator;
