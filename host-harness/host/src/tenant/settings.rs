//! A tenant's settings: the form (`describe`), checking a value, configuring, and testing the
//! connection on the settings in force or on a candidate's. Configuring opens the tenant's
//! egress to the origin of its address setting, as the host reads it.

use std::sync::Arc;

use anyhow::Result;

use super::address_setting::{
    address_in, address_key, address_refusal, instance_origin, no_origin_error,
};
use super::guest_call::guest_call;
use super::lifecycle::{InForce, Tenant};
use crate::api::log::Level;
use crate::api::{
    Candidate, ConnectionReport, Error as ProviderError, ProviderInfo, Setting, SettingValue,
};
use crate::secret::Secret;

impl Tenant {
    /// The provider's `describe` (see `Host::describe`).
    pub async fn describe(&mut self) -> Result<Arc<ProviderInfo>> {
        if let Some(info) = self.host.description() {
            return Ok(info);
        }
        let info = Arc::new(guest_call!(self, call_describe())?);
        Ok(self.host.keep_description(info).await)
    }

    /// `validate-field`: one value checked as the admin types it; no network.
    pub async fn validate_field(
        &mut self,
        key: &str,
        value: &SettingValue,
    ) -> Result<Result<(), ProviderError>> {
        guest_call!(self, call_validate_field(key, value))
    }

    /// `configure`; on success the sandbox opens to the origin of the settings' address
    /// field only (unless the tenant is suspended). An address given as an IP that tenants
    /// may not reach is refused by the host before the component sees it, with
    /// `blocked-by-host`; the previous settings stay. A secret not given is the one in force.
    pub async fn configure(
        &mut self,
        settings: &[Setting],
        secrets: &[Secret],
    ) -> Result<Result<(), ProviderError>> {
        let address = match self.checked_address(settings).await? {
            Ok(address) => address,
            Err(refused) => return Ok(Err(refused)),
        };
        let result = guest_call!(self, call_configure(settings, secrets))?;
        if result.is_ok() {
            // The host works the origin out itself, from the settings it holds and with the
            // same address rules as the component, rather than trusting the guest to say
            // where it may go.
            let origin = address.as_deref().and_then(instance_origin);
            let guard = self.guard_mut();
            // Nothing asked for under the old settings leaves under the new ones.
            guard.cancel_requests();
            guard.set_allowed_origin(origin.clone());
            if origin.is_none() {
                // A component that took settings naming no instance: the tenant can reach
                // nothing, and the platform says so rather than the component's OK.
                return Ok(Err(self.no_origin(address.as_deref()).await?));
            }
            let secrets = with_secrets_in_force(secrets, self.in_force.as_ref());
            self.in_force = Some(InForce {
                settings: settings.to_vec(),
                secrets,
            });
        }
        Ok(result)
    }

    /// The address `settings` give, once the host's own check lets it through; refused, the
    /// refusal is logged and answered as the call's error.
    async fn checked_address(
        &mut self,
        settings: &[Setting],
    ) -> Result<Result<Option<String>, ProviderError>> {
        let info = self.describe().await?;
        let address = address_in(&info, settings);
        let limits = self.host.limits();
        if let Some(refused) = address.as_deref().and_then(|a| address_refusal(a, limits)) {
            self.log.host_note(Level::Warn, &refused.message);
            return Ok(Err(refused));
        }
        Ok(Ok(address))
    }

    /// The error for settings from which the host can tell no origin: the tenant could reach
    /// nothing. Logged, and naming the address field.
    async fn no_origin(&mut self, address: Option<&str>) -> Result<ProviderError> {
        let info = self.describe().await?;
        let refused = no_origin_error(address, address_key(&info).map(str::to_string));
        self.log.host_note(Level::Warn, &refused.message);
        Ok(refused)
    }

    /// Test Connection on the settings in force.
    pub async fn test_connection(&mut self) -> Result<ConnectionReport> {
        guest_call!(self, call_test_connection(None))
    }

    /// Test Connection on values the admin has not saved: for this one call the tenant may
    /// reach the candidate's address (nothing else), and afterwards the origin in force is
    /// back. The settings in force keep serving meanwhile. An address the host refuses is
    /// the host's error, as at configure.
    pub async fn test_candidate(
        &mut self,
        candidate: &Candidate,
    ) -> Result<Result<ConnectionReport, ProviderError>> {
        let address = match self.checked_address(&candidate.settings).await? {
            Ok(address) => address,
            Err(refused) => return Ok(Err(refused)),
        };
        // Awake first: a wake that fails must not leave the candidate's origin behind in
        // the hibernating tenant (`guest_call!` wakes it, and returns early if it cannot).
        self.wake().await?;
        let in_force = self.guard().allowed_origin().map(str::to_string);
        let candidates = address.as_deref().and_then(instance_origin);
        self.guard_mut().set_allowed_origin(candidates);
        let report = guest_call!(self, call_test_connection(Some(candidate)));
        let guard = self.guard_mut();
        // Whatever the candidate's test left under way stops with it.
        guard.cancel_requests();
        guard.set_allowed_origin(in_force);
        Ok(Ok(report?))
    }
}

/// The secrets the component keeps after a configure given `secrets`: those, and the ones
/// in force that were not given again.
fn with_secrets_in_force(secrets: &[Secret], in_force: Option<&InForce>) -> Vec<Secret> {
    let mut secrets = secrets.to_vec();
    if let Some(in_force) = in_force {
        for old in &in_force.secrets {
            if !secrets.iter().any(|s| s.key() == old.key()) {
                secrets.push(old.clone());
            }
        }
    }
    secrets
}
