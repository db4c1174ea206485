//! A cloud resource an event is about, as the platform names it, checked once where it
//! enters; and the configuration item a ticket is linked to (docs/servicenow/cmdb.md).

use crate::primitives::prelude::*;

use crate::primitives::error::{Error, Result};
use crate::primitives::ids::{SysId, query_value_problem};
use crate::primitives::text::quoted;
use crate::servicenow::rows::Choice;

/// The clouds whose resources ServiceNow's cloud discovery records (docs/servicenow/cmdb.md#classes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cloud {
    Aws,
    Azure,
    Gcp,
}

impl Cloud {
    const NAMES: [(&'static str, Self); 3] = [
        ("aws", Self::Aws),
        ("azure", Self::Azure),
        ("gcp", Self::Gcp),
    ];

    fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::NAMES
            .into_iter()
            .find(|(known, _)| name.eq_ignore_ascii_case(known))
            .map(|(_, cloud)| cloud)
    }

    /// Its name as the contract spells it (`aws`).
    pub fn name(self) -> &'static str {
        Self::NAMES
            .into_iter()
            .find(|(_, cloud)| *cloud == self)
            .map_or("", |(name, _)| name)
    }
}

/// An Azure resource id is the longest id a resource has; ServiceNow's `object_id` holds 255.
const ID_MAX: usize = 255;

/// A resource, trimmed; `account`, `region` and `display_name` may be empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudResource {
    pub cloud: Cloud,
    pub account: String,
    pub region: String,
    pub resource_id: String,
    pub display_name: String,
}

/// A resource as the platform sent it, not yet checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceInput {
    pub provider: String,
    pub account: String,
    pub region: String,
    pub resource_id: String,
    pub display_name: String,
}

impl CloudResource {
    /// Refuses what would not be a lookup of one resource: an unknown cloud, no id, or a
    /// value an encoded query would read as more than a value.
    pub fn parse(input: ResourceInput) -> Result<Self> {
        let cloud = Cloud::parse(&input.provider).ok_or_else(|| {
            Error::invalid_ticket(format!(
                "the resource's provider {} is not aws, azure or gcp",
                quoted(&input.provider, 32)
            ))
        })?;
        let resource_id = input.resource_id.trim();
        if resource_id.is_empty() {
            return Err(Error::invalid_ticket("the resource's id is empty"));
        }
        if resource_id.chars().count() > ID_MAX {
            return Err(Error::invalid_ticket(format!(
                "the resource's id is longer than ServiceNow's {ID_MAX} characters"
            )));
        }
        let parts = [
            ("id", resource_id),
            ("account", input.account.trim()),
            ("region", input.region.trim()),
            ("display name", input.display_name.trim()),
        ];
        for (what, value) in parts {
            if let Some(problem) = query_value_problem(value) {
                return Err(Error::invalid_ticket(format!(
                    "the resource's {what} {}: {problem}",
                    quoted(value, 64)
                )));
            }
        }
        Ok(Self {
            cloud,
            account: input.account.trim().into(),
            region: input.region.trim().into(),
            resource_id: resource_id.into(),
            display_name: input.display_name.trim().into(),
        })
    }
}

/// A configuration item a ticket is linked to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigurationItem {
    pub sys_id: SysId,
    /// Its name; its sys_id where the instance showed none.
    pub name: String,
}

impl ConfigurationItem {
    /// The CI a ticket's `cmdb_ci` column names, if any: the value is the sys_id, the display
    /// value (when read with display values) the CI's name.
    pub fn from_reference(column: &Choice) -> Option<Self> {
        let sys_id = SysId::parse(&column.value)?;
        let name = if column.label.is_empty() {
            sys_id.as_str().to_string()
        } else {
            column.label.clone()
        };
        Some(Self { sys_id, name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(provider: &str, id: &str) -> ResourceInput {
        ResourceInput {
            provider: provider.into(),
            resource_id: id.into(),
            ..ResourceInput::default()
        }
    }

    #[test]
    fn a_resource_is_trimmed_and_its_cloud_known() {
        let mut raw = input(" AWS ", " i-0abc123 ");
        raw.region = " eu-west-1 ".into();
        let resource = CloudResource::parse(raw).unwrap();
        assert_eq!(resource.cloud, Cloud::Aws);
        assert_eq!(resource.resource_id, "i-0abc123");
        assert_eq!(resource.region, "eu-west-1");
    }

    #[test]
    fn a_cloud_reads_back_its_own_name() {
        for (name, cloud) in Cloud::NAMES {
            assert_eq!((cloud.name(), Cloud::parse(name)), (name, Some(cloud)));
        }
    }

    #[test]
    fn what_is_no_lookup_of_one_resource_is_refused() {
        let refused = |raw: ResourceInput| CloudResource::parse(raw).unwrap_err().message;
        assert!(refused(input("oracle", "x")).contains("not aws, azure or gcp"));
        assert!(refused(input("aws", "  ")).contains("id is empty"));
        assert!(refused(input("aws", &"i".repeat(256))).contains("255"));
        assert!(refused(input("aws", "i-1^ORname=x")).contains("contains ^"));
        let mut raw = input("azure", "vm");
        raw.account = "javascript:gs.log(1)".into();
        assert!(refused(raw).contains("account"));
    }

    #[test]
    fn a_reference_column_names_its_ci() {
        let id = "0123456789abcdef0123456789abcdef";
        let named = Choice {
            value: id.into(),
            label: "web-01".into(),
        };
        let item = ConfigurationItem::from_reference(&named).unwrap();
        assert_eq!((item.sys_id.as_str(), item.name.as_str()), (id, "web-01"));
        let plain = Choice {
            value: id.into(),
            label: String::new(),
        };
        assert_eq!(ConfigurationItem::from_reference(&plain).unwrap().name, id);
        assert_eq!(ConfigurationItem::from_reference(&Choice::default()), None);
    }
}
