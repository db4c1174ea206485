//! How tickets are written beyond the Table API's plain insert: linked to the CI of their
//! cloud resource, change requests through the Change Management API, and creates and updates
//! through import set staging tables (docs/servicenow/cmdb.md,
//! docs/servicenow/change-management.md, docs/servicenow/import-sets.md).

use crate::primitives::prelude::*;

use crate::primitives::error::Result;
use crate::primitives::ids::Name;
use crate::primitives::text::quoted;
use crate::servicenow::ticket_kind::TicketKind;
use crate::settings::key::{self, invalid};

/// The staging table a kind of ticket is written through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StagingTable {
    pub kind: TicketKind,
    pub table: Name,
}

/// Where creates and updates go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum WritePath {
    /// `POST`/`PATCH /api/now/table/{table}`.
    #[default]
    TableApi,
    /// `POST /api/now/import/{staging}`, one staging table per kind of ticket.
    ImportSet(Vec<StagingTable>),
}

/// The write settings, checked against the categories at configure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Writes {
    /// Look up each ticket's cloud resource in the CMDB and link the CI found.
    pub link_configuration_items: bool,
    /// Open change requests without a template through the Change Management API too.
    pub change_management_api: bool,
    pub write_path: WritePath,
}

impl Writes {
    /// The staging table for tickets of `kind`, when writes go through import sets.
    pub fn staging_table(&self, kind: &TicketKind) -> Option<&Name> {
        match &self.write_path {
            WritePath::TableApi => None,
            WritePath::ImportSet(tables) => {
                tables.iter().find(|s| s.kind == *kind).map(|s| &s.table)
            }
        }
    }

    /// Every kind some category leads to must have its staging table when writes go through
    /// import sets: a ticket with nowhere to go is refused at configure, not at 3 a.m.
    pub fn check_kinds<'a>(&self, kinds: impl Iterator<Item = &'a TicketKind>) -> Result<()> {
        let WritePath::ImportSet(_) = &self.write_path else {
            return Ok(());
        };
        for kind in kinds {
            if self.staging_table(kind).is_none() {
                let table = kind.table();
                return Err(invalid(
                    key::IMPORT_SET_TABLES,
                    format!(
                        "tickets of kind {table} are written through an import set, but no \
                         staging table is listed for them: add a line \
                         {table}=<staging table>"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The lines of the staging tables setting: `kind=staging_table`, one a line; blank lines
/// are skipped.
pub fn staging_tables(lines: &[String]) -> Result<Vec<StagingTable>> {
    let refuse = |message: String| invalid(key::IMPORT_SET_TABLES, message);
    let mut tables: Vec<StagingTable> = Vec::new();
    for line in lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        let Some((kind, table)) = line.split_once('=') else {
            return Err(refuse(format!(
                "the line {} is not kind=staging_table (for example \
                 incident=u_cxm_incident_import)",
                quoted(line, 64)
            )));
        };
        let (kind, table) = (kind.trim(), table.trim());
        let kind = Name::parse(kind)
            .map(|name| TicketKind::for_table(&name))
            .ok_or_else(|| {
                refuse(format!(
                    "{} in the line {} is not a ticket kind (incident, change_request, problem \
                     or a table name)",
                    quoted(kind, 64),
                    quoted(line, 64)
                ))
            })?;
        let table = Name::parse(table).ok_or_else(|| {
            refuse(format!(
                "{} in the line {} is not a ServiceNow table name (lower-case letters, digits \
                 and underscores)",
                quoted(table, 64),
                quoted(line, 64)
            ))
        })?;
        if tables.iter().any(|s| s.kind == kind) {
            return Err(refuse(format!(
                "tickets of kind {} are given two staging tables",
                kind.table()
            )));
        }
        tables.push(StagingTable { kind, table });
    }
    Ok(tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| (*l).to_string()).collect()
    }

    #[test]
    fn staging_tables_are_read_one_a_line() {
        let tables = staging_tables(&lines(&[
            " incident = u_cxm_incident_import ",
            "",
            "u_finding=u_cxm_finding_import",
        ]))
        .unwrap();
        assert_eq!(tables.len(), 2);
        assert_eq!(tables[0].kind, TicketKind::Incident);
        assert_eq!(tables[0].table.as_str(), "u_cxm_incident_import");
        assert_eq!(tables[1].kind.table().as_str(), "u_finding");
    }

    #[test]
    fn a_bad_line_is_named() {
        let refused = |given: &[&str]| {
            let error = staging_tables(&lines(given)).unwrap_err();
            assert_eq!(error.field, Some(key::IMPORT_SET_TABLES));
            error.message
        };
        assert!(refused(&["incident"]).contains("not kind=staging_table"));
        assert!(refused(&["Incident!=x"]).contains("not a ticket kind"));
        assert!(refused(&["incident=u x"]).contains("not a ServiceNow table name"));
        assert!(refused(&["incident=a", "incident=b"]).contains("two staging tables"));
    }

    #[test]
    fn import_sets_need_a_staging_table_for_every_kind_routed() {
        let writes = Writes {
            write_path: WritePath::ImportSet(
                staging_tables(&lines(&["incident=u_inc_import"])).unwrap(),
            ),
            ..Writes::default()
        };
        assert!(writes.check_kinds([TicketKind::Incident].iter()).is_ok());
        let error = writes
            .check_kinds([TicketKind::Incident, TicketKind::Problem].iter())
            .unwrap_err();
        assert!(
            error.message.contains("problem=<staging table>"),
            "{}",
            error.message
        );
        assert!(
            Writes::default()
                .check_kinds([TicketKind::Problem].iter())
                .is_ok()
        );
    }
}
