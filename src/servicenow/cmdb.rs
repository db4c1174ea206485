//! Finding a cloud resource's configuration item (CI) in the CMDB through the Table API, and
//! the rows that link a ticket to CIs (docs/servicenow/cmdb.md#finding-a-ci,
//! docs/servicenow/cmdb.md#linking-a-ticket-to-a-ci): each lookup as a table, an encoded query
//! and what it looked for in words. The order they run in is the feature's.

use crate::primitives::prelude::*;

use crate::primitives::ids::{Name, SysId};
use crate::servicenow::cloud_resource::{Cloud, CloudResource, ConfigurationItem};
use crate::servicenow::query::Query;
use crate::servicenow::rows::{row, text};

/// Every configuration item; a query on it must not name a column of a class below it (a
/// column the table lacks is ignored, and the query then matches every CI).
pub static CMDB_CI: Name = Name::known("cmdb_ci");
static VM_INSTANCE: Name = Name::known("cmdb_ci_vm_instance");
static LOAD_BALANCER: Name = Name::known("cmdb_ci_cloud_load_balancer");
static CLOUD_DATABASE: Name = Name::known("cmdb_ci_cloud_database");
static SERVICE_ACCOUNT: Name = Name::known("cmdb_ci_cloud_service_account");
static RELATIONSHIPS: Name = Name::known("cmdb_rel_ci");
/// A ticket's further CIs (`task`, `ci_item`).
pub static TASK_CI: Name = Name::known("task_ci");

/// The relationship a VM has with its region's datacenter, and a datacenter with its account.
const HOSTED_ON: &str = "Hosted on::Hosts";
/// `install_status` Retired: never linked.
const RETIRED: &str = "7";
/// Two rows tell one CI from several: none is no CI, one the CI, two an ambiguity.
pub const MATCHES: u32 = 2;
/// The datacenters of one account: one a region [I], and no cloud has this many regions.
pub const DATACENTERS: u32 = 60;

row! {
    /// A row as the lookups read it, one type for all of them: a CI (`sys_id`, `name`), or a
    /// `cmdb_rel_ci` row's dependent CI (`parent`); a column the table lacks reads empty.
    pub struct CmdbRow {
        pub sys_id: String = text => or_default,
        pub name: String = text => or_default,
        pub parent: String = text => or_default,
    }
}

impl CmdbRow {
    /// The CI this row is; named by its sys_id when it shows no name.
    pub fn ci(&self) -> Option<ConfigurationItem> {
        let sys_id = SysId::parse(&self.sys_id)?;
        let name = if self.name.is_empty() {
            self.sys_id.clone()
        } else {
            self.name.clone()
        };
        Some(ConfigurationItem { sys_id, name })
    }

    pub fn id(&self) -> Option<SysId> {
        SysId::parse(&self.sys_id)
    }

    /// A relationship's dependent CI; none when the reference names no record.
    pub fn parent(&self) -> Option<SysId> {
        SysId::parse(&self.parent)
    }
}

/// What a lookup found: the CI, or why there is none (absent, or several match).
pub type Found = Result<ConfigurationItem, String>;

/// One lookup: where, the query, and what it looks for, for the reasons an admin reads.
pub struct Lookup {
    pub table: &'static Name,
    pub query: Query,
    pub said: String,
}

/// Not retired: `install_status!=7`, on the CI or, through a relationship, on its parent.
fn live(query: Query, column: &str) -> Query {
    query.ne(column, RETIRED)
}

/// The provider's own id on the resource's class: a VM by `object_id` or `vm_inst_id`, any
/// other resource by `object_id`, on its class where the id tells it, else on `cmdb_ci`.
pub fn by_id(resource: &CloudResource) -> Lookup {
    let id = resource.resource_id.as_str();
    match classify(resource.cloud, id) {
        Class::Vm(vm_id) => Lookup {
            table: &VM_INSTANCE,
            query: live(
                Query::default()
                    .eq("object_id", vm_id)
                    .or_eq("vm_inst_id", vm_id),
                "install_status",
            ),
            said: format!("object_id or vm_inst_id {vm_id:?} on {VM_INSTANCE}"),
        },
        Class::Object(table) => Lookup {
            table,
            query: live(Query::default().eq("object_id", id), "install_status"),
            said: format!("object_id {id:?} on {table}"),
        },
    }
}

/// The class a resource id tells (docs/servicenow/cmdb.md#classes).
enum Class<'a> {
    /// A VM, by the id its `object_id` or `vm_inst_id` holds.
    Vm(&'a str),
    /// Another resource, whose `object_id` is the id, on this table.
    Object(&'static Name),
}

fn classify(cloud: Cloud, id: &str) -> Class<'_> {
    match cloud {
        Cloud::Aws if id.starts_with("i-") => Class::Vm(id),
        Cloud::Aws if id.starts_with("arn:") => {
            // arn:partition:service:region:account:resource
            let mut parts = id.splitn(6, ':');
            let service = parts.nth(2).unwrap_or_default();
            let resource = parts.nth(2).unwrap_or_default();
            match (service, resource.strip_prefix("instance/")) {
                // An EC2 instance's object_id is its instance id, not its ARN.
                ("ec2", Some(instance)) if instance.starts_with("i-") => Class::Vm(instance),
                ("elasticloadbalancing", _) => Class::Object(&LOAD_BALANCER),
                ("rds", _) => Class::Object(&CLOUD_DATABASE),
                _ => Class::Object(&CMDB_CI),
            }
        }
        Cloud::Azure if is_guid(id) => Class::Vm(id),
        Cloud::Azure
            if id
                .to_ascii_lowercase()
                .contains("/providers/microsoft.compute/virtualmachines/") =>
        {
            Class::Object(&VM_INSTANCE)
        }
        Cloud::Gcp if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => Class::Vm(id),
        _ => Class::Object(&CMDB_CI),
    }
}

/// An Azure vmId: 8-4-4-4-12 hexadecimal digits.
fn is_guid(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether the resource's id names a VM (a name lookup then keeps to VMs).
fn vm_class(resource: &CloudResource) -> Option<&'static Name> {
    match classify(resource.cloud, &resource.resource_id) {
        Class::Vm(_) => Some(&VM_INSTANCE),
        Class::Object(table) if *table == VM_INSTANCE => Some(&VM_INSTANCE),
        Class::Object(_) => None,
    }
}

/// The cloud service account CI of the resource's account (`account_id`).
pub fn accounts(resource: &CloudResource) -> Lookup {
    let account = resource.account.as_str();
    Lookup {
        table: &SERVICE_ACCOUNT,
        query: live(Query::default().eq("account_id", account), "install_status"),
        said: format!("the account CI with account_id {account:?} on {SERVICE_ACCOUNT}"),
    }
}

/// The datacenter CIs hosted on these accounts (`cmdb_rel_ci`, the datacenter as `parent`).
pub fn datacenters_of(resource: &CloudResource, accounts: &[SysId]) -> Lookup {
    let class = datacenter_class(resource.cloud);
    Lookup {
        table: &RELATIONSHIPS,
        query: live(
            hosted_on(accounts).eq("parent.sys_class_name", class.as_str()),
            "parent.install_status",
        ),
        said: format!("its {class} datacenters"),
    }
}

/// Which of these datacenters is the resource's region's.
pub fn datacenter_in_region(resource: &CloudResource, datacenters: &[SysId]) -> Lookup {
    let class = datacenter_class(resource.cloud);
    let region = resource.region.as_str();
    Lookup {
        table: class,
        query: live(
            Query::default()
                .one_of("sys_id", &ids(datacenters))
                .eq("region", region),
            "install_status",
        ),
        said: format!("the one in region {region:?}"),
    }
}

/// The CI named as the resource among those hosted on these datacenters (or accounts).
pub fn hosted_named(resource: &CloudResource, hosts: &[SysId]) -> Lookup {
    let name = resource.display_name.as_str();
    let mut query = hosted_on(hosts).eq("parent.name", name);
    let mut class = String::new();
    if let Some(vm) = vm_class(resource) {
        query = query.eq("parent.sys_class_name", vm.as_str());
        class = format!(" {vm}");
    }
    Lookup {
        table: &RELATIONSHIPS,
        query: live(query, "parent.install_status"),
        said: format!("the{class} CIs named {name:?} Hosted on it"),
    }
}

/// `cmdb_rel_ci` rows whose `child` is one of these and whose type is Hosted on.
fn hosted_on(children: &[SysId]) -> Query {
    Query::default()
        .one_of("child", &ids(children))
        .eq("type.name", HOSTED_ON)
}

fn ids(sys_ids: &[SysId]) -> Vec<&str> {
    sys_ids.iter().map(SysId::as_str).collect()
}

fn datacenter_class(cloud: Cloud) -> &'static Name {
    static AWS: Name = Name::known("cmdb_ci_aws_datacenter");
    static AZURE: Name = Name::known("cmdb_ci_azure_datacenter");
    static GCP: Name = Name::known("cmdb_ci_google_datacenter");
    match cloud {
        Cloud::Aws => &AWS,
        Cloud::Azure => &AZURE,
        Cloud::Gcp => &GCP,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servicenow::cloud_resource::ResourceInput;

    fn resource(provider: &str, id: &str) -> CloudResource {
        CloudResource::parse(ResourceInput {
            provider: provider.into(),
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            resource_id: id.into(),
            display_name: "web-01".into(),
        })
        .unwrap()
    }

    fn encoded(lookup: &Lookup) -> (String, String) {
        (lookup.table.to_string(), lookup.query.checked().unwrap())
    }

    #[test]
    fn a_vm_is_looked_up_by_its_id_on_the_vm_class() {
        let vm = "object_id=i-0abc^ORvm_inst_id=i-0abc^install_status!=7";
        let expected = ("cmdb_ci_vm_instance".to_string(), vm.to_string());
        assert_eq!(encoded(&by_id(&resource("aws", "i-0abc"))), expected);
        let arn = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc";
        assert_eq!(encoded(&by_id(&resource("aws", arn))), expected);
        let guid = "0f8fad5b-d9cb-469f-a165-70867728950e";
        let (table, query) = encoded(&by_id(&resource("azure", guid)));
        assert_eq!(table, "cmdb_ci_vm_instance");
        assert!(query.contains("^ORvm_inst_id="), "{query}");
    }

    #[test]
    fn other_ids_use_object_id_only_and_never_vm_inst_id_on_cmdb_ci() {
        let azure =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web";
        assert_eq!(
            encoded(&by_id(&resource("azure", azure))),
            (
                "cmdb_ci_vm_instance".into(),
                format!("object_id={azure}^install_status!=7")
            )
        );
        let lb = "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/web/1";
        assert_eq!(
            encoded(&by_id(&resource("aws", lb))).0,
            "cmdb_ci_cloud_load_balancer"
        );
        let bucket = "arn:aws:s3:::logs";
        let (table, query) = encoded(&by_id(&resource("aws", bucket)));
        assert_eq!(table, "cmdb_ci");
        assert_eq!(query, "object_id=arn:aws:s3:::logs^install_status!=7");
        assert!(
            !encoded(&by_id(&resource("gcp", "projects/p/x")))
                .1
                .contains("vm_inst_id")
        );
    }

    #[test]
    fn a_name_is_looked_up_within_its_account_and_region() {
        let vm = resource("aws", "i-0abc");
        let id = SysId::parse(&"a".repeat(32)).unwrap();
        assert_eq!(
            encoded(&accounts(&vm)).1,
            "account_id=123456789012^install_status!=7"
        );
        assert_eq!(
            encoded(&datacenters_of(&vm, core::slice::from_ref(&id))).1,
            format!(
                "childIN{}^type.name=Hosted on::Hosts^parent.sys_class_name=\
                 cmdb_ci_aws_datacenter^parent.install_status!=7",
                id
            )
        );
        assert_eq!(
            encoded(&datacenter_in_region(&vm, core::slice::from_ref(&id))),
            (
                "cmdb_ci_aws_datacenter".into(),
                format!("sys_idIN{id}^region=eu-west-1^install_status!=7")
            )
        );
        assert_eq!(
            encoded(&hosted_named(&vm, core::slice::from_ref(&id))).1,
            format!(
                "childIN{id}^type.name=Hosted on::Hosts^parent.name=web-01^\
                 parent.sys_class_name=cmdb_ci_vm_instance^parent.install_status!=7"
            )
        );
    }
}
