//! The host's own reading of a tenant's address setting, apart from the component's: the
//! origin the tenant may reach (by the instance address rules both share), and whether an IP
//! literal is one tenants may never reach (by the URL standard's rules, so the host's check
//! does not depend on what the guest accepts).

use std::net::IpAddr;

use instance_address::InstanceUrl;
use url::Url;

use super::host_error::host_error;
use crate::address;
use crate::api::{
    Error as ProviderError, ErrorKind, FieldKind, ProviderInfo, Setting, SettingValue,
};
use crate::printable::printable;
use crate::sandbox::SandboxLimits;

/// The origin an address setting names, by the instance address rules the component
/// shares; `None` when it names none (the component refuses such settings anyway).
pub(super) fn instance_origin(address: &str) -> Option<String> {
    InstanceUrl::parse(address).ok().map(|url| url.origin())
}

/// The key of the form's address field, if the form has one.
pub(super) fn address_key(info: &ProviderInfo) -> Option<&str> {
    let field = info.settings.iter().find(|f| f.kind == FieldKind::Address);
    field.map(|field| field.key.as_str())
}

/// The value of the form's address field among `settings`, if given as text.
pub(super) fn address_in(info: &ProviderInfo, settings: &[Setting]) -> Option<String> {
    let key = address_key(info)?;
    settings.iter().find_map(|s| match &s.value {
        SettingValue::Text(text) if s.key == key => Some(text.clone()),
        _ => None,
    })
}

/// The host's own check of an address setting: an IP literal must not be one of the
/// addresses tenants may never reach. Names are checked when a request connects.
pub(super) fn address_refusal(address: &str, limits: &SandboxLimits) -> Option<ProviderError> {
    let ip = instance_ip(address)?;
    let rule =
        address::refusal_admitting(ip, limits.allow_private_network, &limits.allowed_networks)?;
    let message = format!(
        "the platform's sandbox refuses the instance address {ip}: host rule \"{rule}\"; \
         tenants may not reach such addresses"
    );
    let remedy = "Enter the instance's public address: its subdomain (dev12345), its \
                  https://<name>.service-now.com URL, or your proxy's public host name.";
    Some(host_error(
        ErrorKind::BlockedByHost,
        message,
        None,
        Some(remedy),
    ))
}

/// The error for settings from which the host can tell no origin (`address` as given, if
/// given): the tenant could reach nothing. It names the form's address `field`.
pub(super) fn no_origin_error(address: Option<&str>, field: Option<String>) -> ProviderError {
    let said = match address {
        Some(text) => {
            let shown: String = printable(text).chars().take(80).collect();
            format!("the instance address {shown:?} names no origin the platform can open")
        }
        None => "the settings name no instance address".to_string(),
    };
    let message = format!("{said}: the tenant could reach nothing, so they are not taken");
    let remedy = "Enter the instance as its subdomain (dev12345) or its full https URL \
                  (https://dev12345.service-now.com).";
    host_error(ErrorKind::InvalidSettings, message, field, Some(remedy))
}

/// The IP address an instance setting names, if it names one. Parsed here, with the URL
/// standard's rules (which also read `0x7f.1` or `2130706433` as 127.0.0.1), apart from the
/// component's instance grammar: the host's check must not depend on what the guest accepts.
fn instance_ip(instance: &str) -> Option<IpAddr> {
    let instance = instance.trim();
    // An IP address is ASCII; anything else is a name (and IDNA mapping is not needed here).
    if !instance.is_ascii() {
        return None;
    }
    let text = if instance.contains("://") {
        instance.to_string()
    } else {
        format!("https://{instance}")
    };
    match Url::parse(&text).ok()?.host()? {
        url::Host::Ipv4(ip) => Some(ip.into()),
        url::Host::Ipv6(ip) => Some(ip.into()),
        url::Host::Domain(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ip_an_instance_names() {
        let cases = [
            ("https://169.254.169.254", Some("169.254.169.254")),
            (
                "  https://169.254.169.254/prefix/ ",
                Some("169.254.169.254"),
            ),
            ("10.0.0.5", Some("10.0.0.5")),
            ("http://127.0.0.1:8080", Some("127.0.0.1")),
            ("https://0x7f.1", Some("127.0.0.1")),
            ("https://2130706433", Some("127.0.0.1")),
            (
                "https://[::ffff:169.254.169.254]",
                Some("::ffff:169.254.169.254"),
            ),
            ("https://[fd00:ec2::254]:443", Some("fd00:ec2::254")),
            ("dev12345", None),
            ("https://dev1.service-now.com", None),
            ("http://localhost:8080", None),
            ("", None),
            ("not a url at all", None),
        ];
        for (instance, expected) in cases {
            let expected = expected.map(|ip| ip.parse().unwrap());
            assert_eq!(instance_ip(instance), expected, "{instance:?}");
        }
    }
}
