//! Assignment groups: a group given by name resolved to the `sys_user_group` sys_id that
//! ServiceNow stores. One lookup, shared by create, update and Test Connection.

use crate::primitives::prelude::*;

use crate::primitives::clock::Clock;
use crate::primitives::error::{Error, ErrorKind, Result};
use crate::primitives::guide;
use crate::primitives::http::Transport;
use crate::primitives::ids::{AssignmentGroup, Name, SysId};
use crate::servicenow::query::Query;
use crate::servicenow::rows::{Columns, Stored, row, sys_id, text};
use crate::servicenow::ticket::TicketRow;

use crate::features::session::Session;

static SYS_USER_GROUP: Name = Name::known("sys_user_group");

/// Names are not unique: ask for a few, to notice ambiguity and list the candidates
/// (docs/servicenow/table-api.md#assignment-groups).
const NAME_MATCHES: u32 = 5;

row! {
    struct GroupRow {
        sys_id: SysId = sys_id => required,
        name: String = text => or_default,
    }
}

/// Where an assignment group came from: it decides whose mistake a bad one is.
#[derive(Clone, Copy)]
pub(super) enum GroupSource {
    Ticket,
    DefaultSetting,
    Update,
}

impl GroupSource {
    fn whose(self) -> &'static str {
        match self {
            GroupSource::Ticket => "ticket's",
            GroupSource::DefaultSetting => "default",
            GroupSource::Update => "new",
        }
    }

    fn ambiguity_kind(self) -> ErrorKind {
        match self {
            GroupSource::DefaultSetting => ErrorKind::InvalidSettings,
            GroupSource::Ticket | GroupSource::Update => ErrorKind::InvalidTicket,
        }
    }
}

/// The `sys_user_group` sys_id of a group given by sys_id (taken as it is) or by exact name.
pub(super) fn resolve_group<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    group: &AssignmentGroup,
    source: GroupSource,
) -> Result<SysId> {
    let name = match group {
        AssignmentGroup::SysId(sys_id) => return Ok(sys_id.clone()),
        AssignmentGroup::Name(name) => name,
    };
    let now = session.now();
    if let Some(sys_id) = session.facts().groups.get(name, now) {
        return Ok(sys_id.clone());
    }
    let rows: Vec<GroupRow> = session.select(
        &SYS_USER_GROUP,
        &Query::default().eq("name", name),
        NAME_MATCHES,
    )?;
    // An ignored query term would match every group: trust only exact names.
    let found: Vec<SysId> = rows
        .into_iter()
        .filter(|row| row.name == *name)
        .map(|row| row.sys_id)
        .collect();
    match found.as_slice() {
        [sys_id] => {
            let now = session.now();
            session
                .facts()
                .groups
                .insert(name.clone(), sys_id.clone(), now);
            Ok(sys_id.clone())
        }
        [] => Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "the {} assignment group {name:?} does not exist in sys_user_group",
                source.whose()
            ),
        )
        .with_remedy(guide::ASSIGNMENT_GROUP)),
        several => {
            let ids: Vec<&str> = several.iter().map(SysId::as_str).collect();
            Err(Error::new(
                source.ambiguity_kind(),
                format!(
                    "several groups in sys_user_group are named {name:?} ({}): give the {} \
                     assignment group by its sys_id",
                    ids.join(", "),
                    source.whose()
                ),
            )
            .with_remedy(guide::ASSIGNMENT_GROUP))
        }
    }
}

/// ServiceNow emptied a group reference that was written: that group is gone, so no
/// name may resolve to it from the cache any more.
pub(super) fn forget_group_if_refused<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    sent: &Columns,
    stored: &Stored<TicketRow>,
) {
    let emptied = stored
        .columns
        .get("assignment_group")
        .and_then(|v| v.as_str())
        == Some("");
    if let Some(sent) = sent.get("assignment_group")
        && emptied
    {
        session
            .facts()
            .groups
            .retain_values(|sys_id| sys_id.as_str() != sent);
    }
}

/// Test Connection's question: does the default group exist, exactly once? Unlike
/// [`resolve_group`], a sys_id is read too, and a missing name gets similar ones.
pub(super) fn verify_group<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    group: &AssignmentGroup,
) -> Result<String> {
    match group {
        AssignmentGroup::SysId(sys_id) => match session.get::<GroupRow>(&SYS_USER_GROUP, sys_id) {
            Ok(row) => Ok(format!("the group {:?} ({sys_id}) exists", row.name)),
            Err(error) if error.kind == ErrorKind::NotFound => Err(Error::new(
                ErrorKind::NotFound,
                format!("no sys_user_group record has the sys_id {sys_id}"),
            )
            .with_remedy(guide::ASSIGNMENT_GROUP)),
            Err(error) => Err(error),
        },
        AssignmentGroup::Name(name) => {
            match resolve_group(session, group, GroupSource::DefaultSetting) {
                Ok(sys_id) => Ok(format!("the group {name:?} exists ({sys_id})")),
                Err(mut error) if error.kind == ErrorKind::NotFound => {
                    let similar = groups_like(session, name)?;
                    if !similar.is_empty() {
                        error.message =
                            format!("{}; similar names: {}", error.message, similar.join(", "));
                    }
                    Err(error)
                }
                Err(error) => Err(error),
            }
        }
    }
}

/// Group names sharing the longest word of `name`, to suggest what the admin meant
/// ("Cloud Ops" finds "Cloud Operations").
fn groups_like<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    name: &str,
) -> Result<Vec<String>> {
    let word = name
        .split_whitespace()
        .max_by_key(|w| w.len())
        .unwrap_or(name);
    let query = Query::default().like("name", word);
    let rows: Vec<GroupRow> = session.select(&SYS_USER_GROUP, &query, NAME_MATCHES)?;
    Ok(rows.into_iter().map(|row| row.name).collect())
}
