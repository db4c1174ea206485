//! Secrets on the platform's side: the contract's `secrets` interface is bound to this type
//! (see `bindings.rs`), so the record that carries a credential into the component
//! has no `Debug` or `Display` that shows it.

use std::fmt;

use wasmtime::component::{ComponentType, Lift, Lower};

/// A `secret` field's value, by the field's key in the provider's settings form.
#[derive(Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Secret {
    #[component(name = "key")]
    key: String,
    #[component(name = "value")]
    value: String,
}

impl Secret {
    /// A secret for the settings form's field `key`.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }

    /// The form field it is for.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The secret itself: to hand to the component, never to print.
    pub fn expose(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("key", &self.key)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// What the generated bindings expect at the path `with` gives for `cxm:ticketing/secrets`:
/// the record, and the (empty) host trait and linker hooks bindgen makes for an interface of
/// types only, with the same signatures.
#[allow(dead_code)] // Used only by the world-level `add_to_linker`, which this host does not call.
pub mod wit {
    use wasmtime::component::{HasData, Linker, LinkerInstance};

    pub use crate::secret::Secret;

    pub trait HostWithStore<T>: HasData {}
    impl<H: ?Sized, T> HostWithStore<T> for H where H: HasData {}
    pub trait Host {}
    impl<H: Host + ?Sized> Host for &mut H {}

    pub fn add_to_linker_instance<T, D>(
        _instance: &mut LinkerInstance<'_, T>,
        _host_getter: fn(&mut T) -> D::Data<'_>,
    ) -> wasmtime::Result<()>
    where
        D: HostWithStore<T>,
        for<'a> D::Data<'a>: Host,
        T: 'static,
    {
        Ok(())
    }

    pub fn add_to_linker<T, D>(
        linker: &mut Linker<T>,
        host_getter: fn(&mut T) -> D::Data<'_>,
    ) -> wasmtime::Result<()>
    where
        D: HostWithStore<T>,
        for<'a> D::Data<'a>: Host,
        T: 'static,
    {
        let mut instance = linker.instance("cxm:ticketing/secrets@0.4.0")?;
        add_to_linker_instance::<T, D>(&mut instance, host_getter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let secret = Secret::new("client_secret", "hunter2");
        let shown = format!("{secret:?}");
        assert!(shown.contains("client_secret"));
        assert!(!shown.contains("hunter2"));
    }
}
