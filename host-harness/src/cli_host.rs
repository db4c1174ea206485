//! The CLI's host: the component this workspace built, compiled once into the artifact cache,
//! sized for a handful of tenants; and the configured tenant its commands call.

use std::path::PathBuf;

use anyhow::{Context, Result};
use ticketing_host::api::ErrorKind;
use ticketing_host::{Host, SandboxLimits, Tenant, TenantTls};

use crate::args::SettingsArgs;
use crate::{render, settings_file};

/// The tenant the CLI's commands call: made on a host under `args`' policy, configured from
/// its settings file.
pub async fn configured_tenant(args: &SettingsArgs, verbose: bool) -> Result<Tenant> {
    let host = built_host_with(args.limits()?)?;
    let mut tenant = host.tenant("cli").await?;
    if let Some(client_certificate) = args.client_certificate()? {
        tenant.set_tls(&TenantTls {
            extra_roots: Vec::new(),
            client_certificate: Some(client_certificate),
        })?;
    }
    let (settings, secrets) = settings_file::load(&args.config, &*tenant.describe().await?)?;
    if let Err(error) = tenant.configure(&settings, &secrets).await? {
        if verbose {
            eprint!("{}", render::log(&tenant.log()));
        }
        let mut text = render::error(&error);
        if error.kind == ErrorKind::BlockedByHost && !args.allow_private_network {
            text.push_str(
                "\n(an instance on this machine or a private network needs --allow-private-network)",
            );
        }
        return Err(anyhow::anyhow!(text)).context("the settings were refused");
    }
    Ok(tenant)
}

/// A host for the component this workspace built, with the default limits sized for a few
/// tenants; loopback and private addresses only when asked for (`--allow-private-network`,
/// the demo). The compiled component comes from the artifact cache (see [`cache_dir`]), so
/// only the first call after a build of the component or of this CLI compiles it.
pub fn built_host(allow_private_network: bool) -> Result<Host> {
    built_host_with(SandboxLimits {
        allow_private_network,
        ..SandboxLimits::default()
    })
}

/// The built component under `limits`, for a CLI's handful of tenants.
pub fn built_host_with(limits: SandboxLimits) -> Result<Host> {
    let limits = SandboxLimits {
        max_tenants: 16,
        ..limits
    };
    let component = component_artifact::component_path();
    match cache_dir() {
        Some(dir) => Host::from_file_cached(component, &dir, limits),
        None => Host::from_file(component, limits),
    }
}

/// Where the CLI keeps compiled components: `$XDG_CACHE_HOME/servicenow-ticketing`, else
/// `$HOME/.cache/servicenow-ticketing`; none (compile every time) without either.
fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|dir| !dir.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })?;
    Some(base.join("servicenow-ticketing"))
}
