//! Seeding the CMDB as Discovery or a Service Graph Connector would (docs/servicenow/cmdb.md#classes):
//! a cloud resource's CI, the account and datacenter CIs it hangs off, and the relationships
//! between them; and a ticket's affected CIs.

use serde_json::{Map, Value};

use crate::Simulator;
use crate::server::State;
use crate::store::{Write, text};
use crate::users::ADMIN_USER;

use super::{
    CONTAINS_REL_TYPE_ID, HOSTED_ON_REL_TYPE_ID, INSTALL_STATUS_RETIRED, KEY_VALUE_TABLE,
    REL_TABLE, TASK_CI_TABLE, is_ci_class,
};

const ACCOUNT_CLASS: &str = "cmdb_ci_cloud_service_account";
const RESOURCE_GROUP_CLASS: &str = "cmdb_ci_resource_group";

/// The cloud a CI was discovered in: it decides the datacenter class its region lands in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Cloud {
    #[default]
    Aws,
    Azure,
    Gcp,
}

impl Cloud {
    fn datacenter_class(self) -> &'static str {
        match self {
            Cloud::Aws => "cmdb_ci_aws_datacenter",
            Cloud::Azure => "cmdb_ci_azure_datacenter",
            Cloud::Gcp => "cmdb_ci_google_datacenter",
        }
    }
}

/// A cloud resource's CI to seed with [`Simulator::insert_cloud_ci`].
#[derive(Clone, Debug)]
pub struct CloudCi {
    class: String,
    cloud: Cloud,
    fields: Map<String, Value>,
    account: Option<String>,
    region: Option<String>,
    resource_group: Option<String>,
    tags: Vec<(String, String)>,
}

impl CloudCi {
    /// A CI of `class` (e.g. `cmdb_ci_cloud_database`) with its `name` and `object_id`.
    pub fn new(class: &str, name: &str, object_id: &str) -> CloudCi {
        let mut fields = Map::new();
        fields.insert("name".into(), name.into());
        fields.insert("object_id".into(), object_id.into());
        CloudCi {
            class: class.to_string(),
            cloud: Cloud::Aws,
            fields,
            account: None,
            region: None,
            resource_group: None,
            tags: Vec::new(),
        }
    }

    /// An EC2 instance: `object_id` and `vm_inst_id` both the instance id, `state` on.
    pub fn aws_vm(name: &str, instance_id: &str) -> CloudCi {
        CloudCi::new("cmdb_ci_vm_instance", name, instance_id)
            .with("vm_inst_id", instance_id)
            .with("state", "on")
    }

    /// An Azure VM: `object_id` as given (the facts leave open whether it is the ARM resource id
    /// or the vmId), `vm_inst_id` the vmId, `state` on.
    pub fn azure_vm(name: &str, object_id: &str, vm_id: &str) -> CloudCi {
        CloudCi::new("cmdb_ci_vm_instance", name, object_id)
            .with("vm_inst_id", vm_id)
            .with("state", "on")
            .on(Cloud::Azure)
    }

    pub fn on(mut self, cloud: Cloud) -> CloudCi {
        self.cloud = cloud;
        self
    }

    /// Hosted (through its region's datacenter, if any) on the cloud service account whose
    /// `account_id` this is; the account CI is made on first use.
    pub fn account(mut self, account_id: &str) -> CloudCi {
        self.account = Some(account_id.to_string());
        self
    }

    /// Hosted on the datacenter of this region (of the account, if one is given).
    pub fn region(mut self, region: &str) -> CloudCi {
        self.region = Some(region.to_string());
        self
    }

    /// Contained in the Azure resource group of this name.
    pub fn resource_group(mut self, name: &str) -> CloudCi {
        self.resource_group = Some(name.to_string());
        self
    }

    /// Retired: `install_status` 7, `operational_status` 6 [I], a VM `terminated`.
    pub fn retired(self) -> CloudCi {
        let vm = self.class == "cmdb_ci_vm_instance";
        let ci = self
            .with("install_status", INSTALL_STATUS_RETIRED)
            .with("operational_status", "6");
        if vm {
            ci.with("state", "terminated")
        } else {
            ci
        }
    }

    /// A tag: a `cmdb_key_value` row pointing at the CI (its `configuration_item`, [I]).
    pub fn tag(mut self, key: &str, value: &str) -> CloudCi {
        self.tags.push((key.to_string(), value.to_string()));
        self
    }

    /// Any other column of the class.
    pub fn with(mut self, column: &str, value: &str) -> CloudCi {
        self.fields.insert(column.into(), value.into());
        self
    }
}

impl Simulator {
    /// Stores a cloud CI as discovery would, with its account and region CIs and the
    /// `cmdb_rel_ci` rows between them (docs/servicenow/cmdb.md#classes); returns its sys_id.
    /// The error names a class that is not a CI class.
    pub fn insert_cloud_ci(&self, ci: CloudCi) -> Result<String, String> {
        if !is_ci_class(&ci.class) {
            return Err(format!("{} is not a configuration item class", ci.class));
        }
        let mut state = self.state();
        let sys_id = insert(&mut state, &ci.class, &ci.fields);
        let account = ci
            .account
            .as_deref()
            .map(|id| find_or_insert_account(&mut state, id, ci.cloud));
        let host = match ci.region.as_deref() {
            Some(region) => Some(find_or_insert_datacenter(
                &mut state,
                ci.cloud,
                region,
                account.as_deref(),
            )),
            None => account,
        };
        if let Some(host) = host {
            relate(&mut state, &sys_id, HOSTED_ON_REL_TYPE_ID, &host);
        }
        if let Some(group) = ci.resource_group.as_deref() {
            let group = find_or_insert(&mut state, RESOURCE_GROUP_CLASS, "name", group, |f| {
                f.insert("object_id".into(), group.into());
            });
            relate(&mut state, &group, CONTAINS_REL_TYPE_ID, &sys_id);
        }
        for (key, value) in &ci.tags {
            let mut fields = Map::new();
            fields.insert("configuration_item".into(), sys_id.as_str().into());
            fields.insert("key".into(), key.as_str().into());
            fields.insert("value".into(), value.as_str().into());
            insert(&mut state, KEY_VALUE_TABLE, &fields);
        }
        Ok(sys_id)
    }

    /// Links a CI to a ticket as an affected CI (a `task_ci` row); returns the row's sys_id.
    pub fn link_affected_ci(&self, task_sys_id: &str, ci_sys_id: &str) -> String {
        let mut fields = Map::new();
        fields.insert("task".into(), task_sys_id.into());
        fields.insert("ci_item".into(), ci_sys_id.into());
        insert(&mut self.state(), TASK_CI_TABLE, &fields)
    }
}

fn insert(state: &mut State, table: &str, fields: &Map<String, Value>) -> String {
    let now = state.clock.timestamp();
    let write = Write {
        now: &now,
        user: ADMIN_USER,
        user_id: None,
        input_display_value: false,
        data_policy: false,
    };
    state
        .store
        .insert(table, fields, &write)
        .map(|row| text(&row, "sys_id").to_string())
        .unwrap_or_default()
}

/// The sys_id of the first row of `table` whose `column` is `value`, or of a new one.
fn find_or_insert(
    state: &mut State,
    table: &str,
    column: &str,
    value: &str,
    more: impl FnOnce(&mut Map<String, Value>),
) -> String {
    let found = state
        .store
        .rows_in(table)
        .into_iter()
        .find(|row| text(row, column) == value)
        .map(|row| text(row, "sys_id").to_string());
    found.unwrap_or_else(|| {
        let mut fields = Map::new();
        fields.insert("name".into(), value.into());
        fields.insert(column.into(), value.into());
        more(&mut fields);
        insert(state, table, &fields)
    })
}

fn find_or_insert_account(state: &mut State, account_id: &str, cloud: Cloud) -> String {
    find_or_insert(state, ACCOUNT_CLASS, "account_id", account_id, |f| {
        f.insert("object_id".into(), account_id.into());
        f.insert("datacenter_type".into(), cloud.datacenter_class().into());
    })
}

/// A region's datacenter: one per account, hosted on it [I].
fn find_or_insert_datacenter(
    state: &mut State,
    cloud: Cloud,
    region: &str,
    account: Option<&str>,
) -> String {
    let class = cloud.datacenter_class();
    let hosted_on_account = |dc: &str| match account {
        Some(account) => related(state, dc, HOSTED_ON_REL_TYPE_ID, account),
        None => true,
    };
    let found = state
        .store
        .rows_in(class)
        .into_iter()
        .map(|row| (text(row, "region"), text(row, "sys_id")))
        .find(|(r, dc)| *r == region && hosted_on_account(dc))
        .map(|(_, dc)| dc.to_string());
    if let Some(found) = found {
        return found;
    }
    let mut fields = Map::new();
    fields.insert("name".into(), region.into());
    fields.insert("object_id".into(), region.into());
    fields.insert("region".into(), region.into());
    let dc = insert(state, class, &fields);
    if let Some(account) = account {
        relate(state, &dc, HOSTED_ON_REL_TYPE_ID, account);
    }
    dc
}

fn related(state: &State, parent: &str, rel_type: &str, child: &str) -> bool {
    state.store.rows_in(REL_TABLE).into_iter().any(|row| {
        text(row, "parent") == parent
            && text(row, "type") == rel_type
            && text(row, "child") == child
    })
}

/// A `cmdb_rel_ci` row: `parent` (the dependent CI) `type` `child`.
fn relate(state: &mut State, parent: &str, rel_type: &str, child: &str) {
    let mut fields = Map::new();
    fields.insert("parent".into(), parent.into());
    fields.insert("child".into(), child.into());
    fields.insert("type".into(), rel_type.into());
    insert(state, REL_TABLE, &fields);
}
