//! The instance-address rules in one place: what the admin may type for their ServiceNow
//! instance, how it normalises, and the origin it stands for. The component validates its
//! settings with them, and the host derives each tenant's allowed origin with them, from the
//! settings it holds rather than from what the guest says.

use std::fmt;

use url::{Host, Url};

/// Why an instance address was refused; the message names the address as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidInstance {
    reason: String,
}

impl InvalidInstance {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// The reason, as shown to the admin.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for InvalidInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for InvalidInstance {}

/// The base address of a ServiceNow instance: scheme, host, optional port and path prefix
/// (a proxy may add one, facts §7), without a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceUrl(Url);

impl InstanceUrl {
    /// Accepts what the admin may type: `dev12345`, `dev12345.service-now.com`, or a full URL.
    pub fn parse(input: &str) -> Result<Self, InvalidInstance> {
        let input = input.trim();
        if input.is_empty() {
            return Err(InvalidInstance::new("the instance is empty"));
        }
        let text = if input.contains("://") {
            input.to_string()
        } else if is_subdomain(input) {
            format!("https://{}.service-now.com", input.to_ascii_lowercase())
        } else if input.contains('.') && !input.contains(['/', '?', '#', '@', ' ']) {
            // A host name typed without its scheme: ServiceNow is https.
            format!("https://{input}")
        } else {
            return Err(InvalidInstance::new(format!(
                "the instance {input:?} is neither a subdomain such as dev12345 nor a URL"
            )));
        };
        let url = Url::parse(&text).map_err(|e| {
            InvalidInstance::new(format!("the instance URL {input:?} is not valid: {e}"))
        })?;
        let host = url.host().ok_or_else(|| {
            InvalidInstance::new(format!("the instance URL {input:?} has no host"))
        })?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => {
                return Err(InvalidInstance::new(format!(
                    "the instance URL {input:?} uses http: ServiceNow must be reached over https"
                )));
            }
            other => {
                return Err(InvalidInstance::new(format!(
                    "the instance URL {input:?} has scheme {other:?}; use https"
                )));
            }
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(InvalidInstance::new(
                "the instance URL must not carry a user name or password; enter the client \
                 credentials in their own fields",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(InvalidInstance::new(format!(
                "the instance URL {input:?} must not have a query or fragment"
            )));
        }
        let mut url = url;
        let path = url.path().trim_end_matches('/').to_string();
        url.set_path(&path);
        Ok(Self(url))
    }

    /// `https://dev12345.service-now.com` or with a path prefix; never ends with `/`.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// scheme://host[:port], what the host's sandbox allows this tenant to reach.
    pub fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }

    /// An absolute URL under the instance, `path` starting with `/`.
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.as_str(), path)
    }
}

/// The scheme://host[:port] of any absolute URL (a request the guest sends), normalised as
/// [`InstanceUrl::origin`] is, so the two compare: default ports left out, host lower-cased.
/// `None` for anything without a host.
pub fn origin_of(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    url.host()?;
    Some(url.origin().ascii_serialization())
}

fn is_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomain_becomes_service_now_com() {
        let url = InstanceUrl::parse(" dev12345 ").unwrap();
        assert_eq!(url.as_str(), "https://dev12345.service-now.com");
        assert_eq!(url.origin(), "https://dev12345.service-now.com");
    }

    #[test]
    fn full_urls_keep_host_port_and_prefix() {
        let fedramp = InstanceUrl::parse("https://agency.servicenowservices.com/").unwrap();
        assert_eq!(fedramp.as_str(), "https://agency.servicenowservices.com");
        let proxied = InstanceUrl::parse("https://proxy.example.com:8443/snow/").unwrap();
        assert_eq!(proxied.as_str(), "https://proxy.example.com:8443/snow");
        assert_eq!(proxied.origin(), "https://proxy.example.com:8443");
        assert_eq!(
            proxied.join("/oauth_token.do"),
            "https://proxy.example.com:8443/snow/oauth_token.do"
        );
        let bare_host = InstanceUrl::parse("dev1.service-now.com").unwrap();
        assert_eq!(bare_host.as_str(), "https://dev1.service-now.com");
    }

    #[test]
    fn http_only_to_loopback() {
        assert!(InstanceUrl::parse("http://127.0.0.1:8080").is_ok());
        assert!(InstanceUrl::parse("http://localhost:8080").is_ok());
        assert!(InstanceUrl::parse("http://[::1]:8080").is_ok());
        let err = InstanceUrl::parse("http://dev1.service-now.com").unwrap_err();
        assert!(err.reason().contains("https"), "{err}");
    }

    #[test]
    fn rejects_junk_instances() {
        for bad in [
            "",
            "   ",
            "ftp://x.example.com",
            "https://user:pw@x.example.com",
            "https://x.example.com/?a=b",
            "dev 123",
            "<dev123>",
        ] {
            let err = InstanceUrl::parse(bad).unwrap_err();
            assert!(!err.reason().is_empty(), "{bad:?}");
        }
    }

    #[test]
    fn origins_compare_by_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://Dev1.service-now.com:443/api/now/table/incident").as_deref(),
            Some("https://dev1.service-now.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/oauth_token.do").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_ne!(
            origin_of("http://127.0.0.1:8081/"),
            origin_of("http://127.0.0.1:8080/")
        );
        assert_eq!(origin_of("not a url"), None);
    }

    #[test]
    fn an_instance_and_its_requests_share_one_origin() {
        for typed in [
            "dev1",
            "https://proxy.example.com:8443/snow/",
            "http://[::1]:9",
        ] {
            let instance = InstanceUrl::parse(typed).unwrap();
            let request = instance.join("/api/now/table/incident?sysparm_limit=1");
            assert_eq!(origin_of(&request), Some(instance.origin()), "{typed}");
        }
    }
}
