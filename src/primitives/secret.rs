//! A secret the admin gave (a client secret, a password, an API key).

use crate::primitives::prelude::*;

use core::fmt;

/// A secret of the settings (the client secret, the password, the API key): it goes only
/// into a token request's body or an `Authorization`/`x-sn-apikey` header, and every
/// message is redacted of it. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
