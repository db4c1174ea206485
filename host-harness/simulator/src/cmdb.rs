//! Cloud resources in the CMDB (docs/servicenow/cmdb.md): the configuration item classes that
//! Cloud Discovery and the Service Graph Connectors fill, the relationship and tag tables, the
//! affected-CI table `task_ci`, and the `task` parent of the ticket tables; which table extends
//! which, so that a parent table lists the rows of its children; the reference columns these
//! tables add; and the choice labels of a CI's status columns.
//!
//! # Inferred behaviours
//!
//! - A class the documentation names without its parent extends `cmdb_ci` directly; `object_id`,
//!   `install_status` and `operational_status` are `cmdb_ci` columns, so a query on `cmdb_ci` can
//!   use them (the documentation lists them on every cloud class, not where they are defined).
//! - `operational_status` choices 1 Operational, 2 Non-Operational, 6 Retired; a new CI is
//!   Installed (1) and Operational (1) unless the write says otherwise. Writes to CI tables get no
//!   choice validation.
//! - Account and region are not columns of a VM: a VM is "Hosted on" its datacenter (which holds
//!   `region`), the datacenter "Hosted on" its cloud service account (which holds `account_id`),
//!   as `cmdb_rel_ci` rows with the VM as `parent`; an Azure resource group "Contains" its VMs
//!   (the group as `parent`). The direction (dependent CI as parent) is inferred.
//! - The `cmdb_key_value` column that points at the CI is `configuration_item`.
//! - A reference to a record that does not exist is stored as "" (as for groups,
//!   docs/servicenow/table-api.md#reference-fields); with `sysparm_input_display_value=true` a CI
//!   is found by `name`, the first one created winning when names repeat.
//! - Setting `cmdb_ci` on a ticket adds no `task_ci` row; the same CI may be linked to a task
//!   twice.
//! - Reading a parent table shows the parent's columns only; rows of different classes come oldest
//!   first, those of the same second in class-name order.
//! - `CmdbRead::RowsHidden` still counts the hidden matches in `X-Total-Count`; neither CMDB fault
//!   hides `task_ci` or the CI name a ticket's `cmdb_ci` displays.

use serde_json::Value;

pub(crate) mod seed;

use crate::schema::{SYSTEM_COLUMNS, TASK_COLUMNS, TableSchema};
use crate::store::Row;

pub(crate) const CI_TABLE: &str = "cmdb_ci";
pub(crate) const TASK_TABLE: &str = "task";
pub(crate) const TASK_CI_TABLE: &str = "task_ci";
pub(crate) const REL_TABLE: &str = "cmdb_rel_ci";
pub(crate) const REL_TYPE_TABLE: &str = "cmdb_rel_type";
pub(crate) const KEY_VALUE_TABLE: &str = "cmdb_key_value";

/// `install_status` Retired (docs/servicenow/cmdb.md#classes).
pub const INSTALL_STATUS_RETIRED: &str = "7";

/// Columns of every configuration item (`cmdb_ci`).
const CI_COLUMNS: &[&str] = &[
    "sys_id",
    "sys_created_on",
    "sys_updated_on",
    "sys_created_by",
    "sys_updated_by",
    "sys_mod_count",
    "sys_class_name",
    "name",
    "object_id",
    "install_status",
    "operational_status",
    "short_description",
    "comments",
];

const fn class(
    name: &'static str,
    base: &'static [&'static str],
    columns: &'static [&'static str],
) -> TableSchema {
    TableSchema {
        name,
        base,
        numbering: None,
        columns,
        task: None,
        read_only: false,
    }
}

/// The tables this module adds to the instance (docs/servicenow/cmdb.md#classes).
pub(crate) static TABLES: &[TableSchema] = &[
    class(TASK_TABLE, TASK_COLUMNS, &[]),
    class(CI_TABLE, CI_COLUMNS, &[]),
    class("cmdb_ci_vm_object", CI_COLUMNS, &["state"]),
    class(
        "cmdb_ci_vm_instance",
        CI_COLUMNS,
        &[
            "state",
            "vm_inst_id",
            "cpus",
            "memory",
            "disks",
            "disks_size",
            "nics",
            "ip_address",
            "fqdn",
            "placement_group_id",
            "terminated_on",
        ],
    ),
    class(
        "cmdb_ci_cloud_load_balancer",
        CI_COLUMNS,
        &[
            "state",
            "dns_name",
            "fqdn",
            "canonical_hosted_zone_id",
            "canonical_hosted_zone_name",
        ],
    ),
    class(
        "cmdb_ci_cloud_service_account",
        CI_COLUMNS,
        &[
            "account_id",
            "datacenter_type",
            "account_email",
            "is_master_account",
            "parent_account",
            "organization_id",
        ],
    ),
    class("cmdb_ci_aws_datacenter", CI_COLUMNS, &["region"]),
    class("cmdb_ci_azure_datacenter", CI_COLUMNS, &["region"]),
    class("cmdb_ci_google_datacenter", CI_COLUMNS, &["region"]),
    class("cmdb_ci_availability_zone", CI_COLUMNS, &["state"]),
    class("cmdb_ci_resource_group", CI_COLUMNS, &["state"]),
    class(
        "cmdb_ci_cloud_database",
        CI_COLUMNS,
        &[
            "tcp_port",
            "fqdn",
            "category",
            "type",
            "version",
            "state",
            "automated_backup",
        ],
    ),
    class(
        "cmdb_ci_cloud_object_storage",
        CI_COLUMNS,
        &["cloud_provider", "encryption_type", "state"],
    ),
    class(
        "cmdb_ci_storage_volume",
        CI_COLUMNS,
        &["volume_id", "size_bytes", "storage_type", "state"],
    ),
    class("cmdb_ci_cloud_function", CI_COLUMNS, &["state"]),
    class(REL_TABLE, SYSTEM_COLUMNS, &["parent", "child", "type"]),
    class(
        REL_TYPE_TABLE,
        SYSTEM_COLUMNS,
        &["name", "parent_descriptor", "child_descriptor"],
    ),
    class(
        KEY_VALUE_TABLE,
        SYSTEM_COLUMNS,
        &["configuration_item", "key", "value"],
    ),
    class(TASK_CI_TABLE, SYSTEM_COLUMNS, &["task", "ci_item"]),
];

/// The table a table extends, and the label its class shows (a CI's `sys_class_name` with
/// `sysparm_display_value=true`; a ticket's class shows its name as before):
/// docs/servicenow/cmdb.md#classes.
const CLASSES: &[(&str, &str, &str)] = &[
    ("incident", TASK_TABLE, "Incident"),
    ("change_request", TASK_TABLE, "Change Request"),
    ("problem", TASK_TABLE, "Problem"),
    ("sc_task", TASK_TABLE, "Catalog Task"),
    ("cmdb_ci_vm_object", CI_TABLE, "Virtual Machine Object"),
    (
        "cmdb_ci_vm_instance",
        "cmdb_ci_vm_object",
        "Virtual Machine Instance",
    ),
    (
        "cmdb_ci_cloud_load_balancer",
        "cmdb_ci_vm_object",
        "Cloud Load Balancer",
    ),
    (
        "cmdb_ci_cloud_service_account",
        CI_TABLE,
        "Cloud Service Account",
    ),
    ("cmdb_ci_aws_datacenter", CI_TABLE, "AWS Datacenter"),
    ("cmdb_ci_azure_datacenter", CI_TABLE, "Azure Datacenter"),
    ("cmdb_ci_google_datacenter", CI_TABLE, "GCP Datacenter"),
    ("cmdb_ci_availability_zone", CI_TABLE, "Availability Zone"),
    ("cmdb_ci_resource_group", CI_TABLE, "Resource Group"),
    ("cmdb_ci_cloud_database", CI_TABLE, "Cloud DataBase"),
    (
        "cmdb_ci_cloud_object_storage",
        CI_TABLE,
        "Cloud Object Storage",
    ),
    ("cmdb_ci_storage_volume", CI_TABLE, "Storage Volume"),
    ("cmdb_ci_cloud_function", CI_TABLE, "Cloud Function"),
];

/// The table `table` extends, if any.
pub(crate) fn parent(table: &str) -> Option<&'static str> {
    CLASSES
        .iter()
        .find(|(child, _, _)| *child == table)
        .map(|(_, parent, _)| *parent)
}

/// True if `table` is `ancestor` or extends it, however deep.
pub(crate) fn extends(table: &str, ancestor: &str) -> bool {
    let mut current = Some(table);
    while let Some(name) = current {
        if name == ancestor {
            return true;
        }
        current = parent(name);
    }
    false
}

/// A configuration item class: `cmdb_ci` or a table extending it.
pub(crate) fn is_ci_class(table: &str) -> bool {
    extends(table, CI_TABLE)
}

/// The tables the CMDB read fault hides: the CI classes and the relationship, relationship type
/// and tag tables (not `task_ci`, which is a task table, [I]).
pub(crate) fn is_cmdb_table(table: &str) -> bool {
    is_ci_class(table) || [REL_TABLE, REL_TYPE_TABLE, KEY_VALUE_TABLE].contains(&table)
}

/// The reference columns the tables of this module add, and where each points
/// (docs/servicenow/cmdb.md#linking-a-ticket-to-a-ci). `cmdb_ci` is a column of every task.
pub(crate) fn reference_target(table: &str, column: &str) -> Option<&'static str> {
    match (table, column) {
        (_, "cmdb_ci") if extends(table, TASK_TABLE) => Some(CI_TABLE),
        (TASK_CI_TABLE, "task") => Some(TASK_TABLE),
        (TASK_CI_TABLE, "ci_item") | (REL_TABLE, "parent" | "child") => Some(CI_TABLE),
        (KEY_VALUE_TABLE, "configuration_item") => Some(CI_TABLE),
        (REL_TABLE, "type") => Some(REL_TYPE_TABLE),
        ("cmdb_ci_cloud_service_account", "parent_account") => {
            Some("cmdb_ci_cloud_service_account")
        }
        _ => None,
    }
}

/// The column a reference to a record of `table` displays; `None` for tables this module does
/// not know.
pub(crate) fn display_column(table: &str) -> Option<&'static str> {
    if extends(table, TASK_TABLE) {
        Some("number")
    } else if is_ci_class(table) || table == REL_TYPE_TABLE {
        Some("name")
    } else {
        None
    }
}

/// docs/servicenow/cmdb.md#classes: install_status 1 Installed, 7 Retired [V-doc]; the other
/// labels are [I].
const INSTALL_STATUS: &[(&str, &str)] = &[
    ("1", "Installed"),
    ("2", "On Order"),
    ("3", "In Maintenance"),
    ("6", "In Stock"),
    (INSTALL_STATUS_RETIRED, "Retired"),
];

/// [I] operational_status labels.
const OPERATIONAL_STATUS: &[(&str, &str)] = &[
    ("1", "Operational"),
    ("2", "Non-Operational"),
    ("6", "Retired"),
];

/// docs/servicenow/cmdb.md#classes: a VM's `state` choices.
const VM_STATES: &[(&str, &str)] = &[("on", "On"), ("off", "Off"), ("terminated", "Terminated")];

/// The label a CI column's value shows with `sysparm_display_value=true` or `all`.
pub(crate) fn choice_label(table: &str, column: &str, value: &str) -> Option<&'static str> {
    let labels: &[(&str, &str)] = match column {
        "sys_class_name" if is_ci_class(table) => {
            return CLASSES
                .iter()
                .find(|(class, _, _)| *class == value)
                .map(|(_, _, label)| *label)
                .or(if value == CI_TABLE {
                    Some("Configuration Item")
                } else {
                    None
                });
        }
        "install_status" if is_ci_class(table) => INSTALL_STATUS,
        "operational_status" if is_ci_class(table) => OPERATIONAL_STATUS,
        "state" if extends(table, "cmdb_ci_vm_instance") => VM_STATES,
        _ => return None,
    };
    labels
        .iter()
        .find(|(choice, _)| *choice == value)
        .map(|(_, label)| *label)
}

/// What a new row of a class gets besides the system columns: its class name, and a CI is
/// Installed and Operational [I].
pub(crate) fn defaults(row: &mut Row, table: &str) {
    if parent(table).is_none() && !is_ci_class(table) && table != TASK_TABLE {
        return;
    }
    row.insert("sys_class_name".into(), Value::String(table.to_string()));
    if is_ci_class(table) {
        row.insert("install_status".into(), "1".into());
        row.insert("operational_status".into(), "1".into());
    }
}

/// The relationship types the simulator seeds: (sys_id, name); docs/servicenow/cmdb.md#finding-a-ci
/// names them, their sys_ids are made up.
pub const HOSTED_ON_REL_TYPE_ID: &str = "5f985e0ec0a8010e00a9714f2a172815";
pub const CONTAINS_REL_TYPE_ID: &str = "55c95bf6c0a8010e0118ec7056ebc54d";
pub(crate) const REL_TYPES: &[(&str, &str)] = &[
    (HOSTED_ON_REL_TYPE_ID, "Hosted on::Hosts"),
    (CONTAINS_REL_TYPE_ID, "Contains::Contained by"),
    ("1a9cb166f1571100a92eb60da2bce5c5", "Depends on::Used by"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hierarchy_reaches_its_roots() {
        assert!(extends("cmdb_ci_vm_instance", CI_TABLE));
        assert!(extends("cmdb_ci_vm_instance", "cmdb_ci_vm_object"));
        assert!(!extends("cmdb_ci_aws_datacenter", "cmdb_ci_vm_object"));
        assert!(extends("incident", TASK_TABLE));
        assert!(!is_ci_class(TASK_CI_TABLE));
        assert!(is_cmdb_table(REL_TABLE) && !is_cmdb_table(TASK_CI_TABLE));
        // Every class named in the hierarchy has a table.
        for (class, parent, _) in CLASSES {
            for name in [class, parent] {
                let known = TABLES.iter().any(|t| t.name == *name)
                    || crate::schema::TABLES.iter().any(|t| t.name == *name);
                assert!(known, "{name}");
            }
        }
    }

    #[test]
    fn instanceof_matches_a_class_and_its_children() {
        let data: Vec<Row> = ["cmdb_ci_vm_instance", "cmdb_ci_aws_datacenter", "incident"]
            .iter()
            .map(|class| serde_json::json!({"sys_class_name": class}))
            .map(|row| row.as_object().cloned().unwrap())
            .collect();
        let count = |encoded: &str| {
            let q = crate::query::Query::parse(encoded);
            data.iter().filter(|r| q.matches(r)).count()
        };
        assert_eq!(count("sys_class_nameINSTANCEOFcmdb_ci_vm_object"), 1);
        assert_eq!(count("sys_class_nameINSTANCEOFcmdb_ci"), 2);
        assert_eq!(count("sys_class_nameINSTANCEOFtask"), 1);
        assert_eq!(count("sys_class_nameINSTANCEOFcmdb_ci_aws_datacenter"), 1);
        assert_eq!(count("sys_class_nameIN incident"), 1, "IN is still IN");
    }

    #[test]
    fn references_depend_on_the_table() {
        assert_eq!(reference_target("incident", "cmdb_ci"), Some(CI_TABLE));
        assert_eq!(reference_target(TASK_CI_TABLE, "task"), Some(TASK_TABLE));
        assert_eq!(reference_target(REL_TABLE, "type"), Some(REL_TYPE_TABLE));
        assert_eq!(reference_target("change_request", "type"), None);
        assert_eq!(reference_target("cmdb_ci_vm_instance", "cmdb_ci"), None);
    }

    #[test]
    fn statuses_show_their_labels() {
        assert_eq!(
            choice_label("cmdb_ci_vm_instance", "install_status", "7"),
            Some("Retired")
        );
        assert_eq!(choice_label(CI_TABLE, "state", "on"), None);
        assert_eq!(
            choice_label(CI_TABLE, "sys_class_name", "cmdb_ci_vm_instance"),
            Some("Virtual Machine Instance")
        );
        assert_eq!(choice_label("incident", "install_status", "7"), None);
    }
}
