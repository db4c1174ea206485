//! The tables the simulated instance knows: their columns, numbering and the task
//! business rules (state model, choices, data policy) from docs/servicenow/records.md#identifiers.

/// Columns every `task` extension shares (docs/servicenow/records.md#incident).
pub(crate) const TASK_COLUMNS: &[&str] = &[
    "number",
    "sys_id",
    "short_description",
    "description",
    "state",
    "active",
    "impact",
    "urgency",
    "priority",
    "assignment_group",
    "assigned_to",
    "correlation_id",
    "correlation_display",
    "close_code",
    "close_notes",
    "comments",
    "work_notes",
    "category",
    "subcategory",
    "opened_at",
    "opened_by",
    "resolved_at",
    "closed_at",
    "sys_created_on",
    "sys_updated_on",
    "sys_created_by",
    "sys_updated_by",
    "sys_mod_count",
    "sys_class_name",
    "caller_id",
    "cmdb_ci",
    "contact_type",
];

/// Columns every table carries.
pub(crate) const SYSTEM_COLUMNS: &[&str] = &[
    "sys_id",
    "sys_created_on",
    "sys_updated_on",
    "sys_created_by",
    "sys_updated_by",
    "sys_mod_count",
];

/// docs/servicenow/polling.md: `sys_journal_field` rows never change, so they carry no update
/// columns: the captured row is `sys_id, sys_created_on, name, element_id, sys_tags, value,
/// sys_created_by, element`.
const JOURNAL_BASE_COLUMNS: &[&str] = &["sys_id", "sys_created_on", "sys_created_by", "sys_tags"];

/// Date-time columns: their raw values are UTC "YYYY-MM-DD HH:MM:SS"
/// (docs/servicenow/records.md#identifiers, docs/servicenow/polling.md).
const DATE_TIME_COLUMNS: &[&str] = &[
    "sys_created_on",
    "sys_updated_on",
    "opened_at",
    "resolved_at",
    "closed_at",
    "start_date",
    "end_date",
];

pub(crate) fn is_date_time(column: &str) -> bool {
    DATE_TIME_COLUMNS.contains(&column)
}

/// Columns the instance maintains itself; a client's value for them is ignored.
pub(crate) const READ_ONLY_COLUMNS: &[&str] = &[
    "sys_id",
    "number",
    "priority",
    "sys_created_on",
    "sys_updated_on",
    "sys_created_by",
    "sys_updated_by",
    "sys_mod_count",
    "sys_class_name",
];

/// docs/servicenow/records.md#incident: journal fields append to `sys_journal_field` and always
/// read back as "".
pub(crate) const JOURNAL_COLUMNS: &[&str] = &["comments", "work_notes"];

pub(crate) const GROUP_TABLE: &str = "sys_user_group";
pub(crate) const JOURNAL_TABLE: &str = "sys_journal_field";
pub(crate) const CHOICE_TABLE: &str = "sys_choice";
pub(crate) const ATTACHMENT_TABLE: &str = "sys_attachment";

/// docs/servicenow/records.md#incident: the reference columns and the table each points at. Links
/// are rendered for these only.
pub(crate) fn reference_target(column: &str) -> Option<&'static str> {
    match column {
        "assignment_group" => Some(GROUP_TABLE),
        "assigned_to" | "caller_id" | "opened_by" => Some("sys_user"),
        _ => None,
    }
}

/// The table a reference column of `table` points at: the columns above, and those of
/// docs/servicenow/cmdb.md (`cmdb_ci` on tasks, `task_ci`, `cmdb_rel_ci`, ...).
pub(crate) fn reference_of(table: &str, column: &str) -> Option<&'static str> {
    crate::cmdb::reference_target(table, column).or_else(|| reference_target(column))
}

/// The label a choice column's value shows with `sysparm_display_value=true` or `all`: a
/// state its table's state model's label, priority ServiceNow's default `N - Name` label,
/// impact and urgency the same way [I]; `None` where the value is shown as it is.
pub(crate) fn choice_label(table: &str, column: &str, value: &str) -> Option<&'static str> {
    let rules = TABLES
        .iter()
        .find(|schema| schema.name == table)
        .and_then(|schema| schema.task.as_ref());
    let labels: &[(&str, &str)] = match column {
        "state" => rules.map_or(&[], |rules| rules.states),
        column if rules.and_then(|r| r.state_mirror) == Some(column) => {
            rules.map_or(&[], |rules| rules.states)
        }
        "priority" => PRIORITIES,
        "impact" | "urgency" => IMPACT_URGENCY,
        _ => &[],
    };
    labels
        .iter()
        .find(|(choice, _)| *choice == value)
        .map(|(_, label)| *label)
}

/// Whether `column` is `table`'s state, or the legacy column kept equal to it.
pub(crate) fn is_state_column(table: &str, column: &str) -> bool {
    let mirror = TABLES
        .iter()
        .find(|schema| schema.name == table)
        .and_then(|schema| schema.task.as_ref())
        .and_then(|rules| rules.state_mirror);
    column == "state" || mirror == Some(column)
}

/// Priority values and their labels, as ServiceNow's default priority lookup names them.
const PRIORITIES: &[(&str, &str)] = &[
    ("1", "1 - Critical"),
    ("2", "2 - High"),
    ("3", "3 - Moderate"),
    ("4", "4 - Low"),
    ("5", "5 - Planning"),
];

pub(crate) struct TableSchema {
    pub name: &'static str,
    /// The columns it inherits: the task columns, the system columns, or its own set.
    pub base: &'static [&'static str],
    /// Number prefix and the first number a fresh instance hands out
    /// (docs/servicenow/records.md#identifiers).
    pub numbering: Option<(&'static str, u64)>,
    /// Columns beyond the base columns.
    pub columns: &'static [&'static str],
    /// Task business rules; `None` for plain tables.
    pub task: Option<TaskRules>,
    /// `sys_choice` is served for reading only.
    pub read_only: bool,
}

impl TableSchema {
    pub(crate) fn all_columns(&self) -> Vec<&'static str> {
        let base = self.base;
        let mut columns = base.to_vec();
        columns.extend(self.columns.iter().filter(|c| !base.contains(c)));
        columns
    }
}

pub(crate) struct TaskRules {
    pub default_state: &'static str,
    /// Every state, with the label its form shows.
    pub states: &'static [(&'static str, &'static str)],
    /// States in which the record is no longer active.
    pub inactive_states: &'static [&'static str],
    pub resolved_states: &'static [&'static str],
    pub closed_states: &'static [&'static str],
    /// `None`: close_code is free text on this table.
    pub close_codes: Option<&'static [(&'static str, &'static str)]>,
    pub close_policy: Option<ClosePolicy>,
    /// docs/servicenow/records.md#change-request: change_request priorities only go to 4.
    pub max_priority: u8,
    /// Legacy column kept equal to `state` (incident_state, problem_state).
    pub state_mirror: Option<&'static str>,
}

/// A data policy that makes the close fields mandatory in some states
/// (docs/servicenow/table-api.md#errors, docs/servicenow/records.md#incident,
/// docs/servicenow/records.md#change-request).
pub(crate) struct ClosePolicy {
    pub states: &'static [&'static str],
    pub code_label: &'static str,
    pub notes_label: &'static str,
}

/// docs/servicenow/records.md#incident: incident close codes on current releases; the label is the
/// value.
pub(crate) const INCIDENT_CLOSE_CODES: &[(&str, &str)] = &[
    ("Duplicate", "Duplicate"),
    ("Known error", "Known error"),
    ("Resolved by caller", "Resolved by caller"),
    ("Resolved by change", "Resolved by change"),
    ("Resolved by problem", "Resolved by problem"),
    ("Solution provided", "Solution provided"),
    ("Workaround provided", "Workaround provided"),
    ("User error", "User error"),
];

/// docs/servicenow/records.md#change-request: change close codes.
pub(crate) const CHANGE_CLOSE_CODES: &[(&str, &str)] = &[
    ("successful", "Successful"),
    ("successful_issues", "Successful with issues"),
    ("unsuccessful", "Unsuccessful"),
];

/// docs/servicenow/records.md#incident: impact and urgency are 1 High, 2 Medium, 3 Low.
pub(crate) const IMPACT_URGENCY: &[(&str, &str)] =
    &[("1", "1 - High"), ("2", "2 - Medium"), ("3", "3 - Low")];

pub(crate) static TABLES: &[TableSchema] = &[
    TableSchema {
        name: "incident",
        base: TASK_COLUMNS,
        numbering: Some(("INC", 10_001)),
        columns: &["incident_state", "severity", "hold_reason"],
        task: Some(TaskRules {
            default_state: "1",
            states: &[
                ("1", "New"),
                ("2", "In Progress"),
                ("3", "On Hold"),
                ("6", "Resolved"),
                ("7", "Closed"),
                ("8", "Canceled"),
            ],
            inactive_states: &["6", "7", "8"],
            resolved_states: &["6"],
            closed_states: &["7"],
            close_codes: Some(INCIDENT_CLOSE_CODES),
            close_policy: Some(ClosePolicy {
                states: &["6", "7"],
                code_label: "Resolution code",
                notes_label: "Resolution notes",
            }),
            max_priority: 5,
            state_mirror: Some("incident_state"),
        }),
        read_only: false,
    },
    TableSchema {
        name: "change_request",
        base: TASK_COLUMNS,
        numbering: Some(("CHG", 30_001)),
        // docs/servicenow/change-management.md#standard-changes: the plans a standard change
        // template fills in, its approval and the template version it came from.
        columns: &[
            "type",
            "risk",
            "start_date",
            "end_date",
            "chg_model",
            "approval",
            "implementation_plan",
            "backout_plan",
            "test_plan",
            "justification",
            "std_change_producer_version",
        ],
        task: Some(TaskRules {
            default_state: "-5",
            states: &[
                ("-5", "New"),
                ("-4", "Assess"),
                ("-3", "Authorize"),
                ("-2", "Scheduled"),
                ("-1", "Implement"),
                ("0", "Review"),
                ("3", "Closed"),
                ("4", "Canceled"),
            ],
            inactive_states: &["3", "4"],
            resolved_states: &[],
            closed_states: &["3", "4"],
            close_codes: Some(CHANGE_CLOSE_CODES),
            close_policy: Some(ClosePolicy {
                states: &["3"],
                code_label: "Close code",
                notes_label: "Close notes",
            }),
            max_priority: 4,
            state_mirror: None,
        }),
        read_only: false,
    },
    TableSchema {
        name: "problem",
        base: TASK_COLUMNS,
        numbering: Some(("PRB", 40_001)),
        columns: &["problem_state"],
        task: Some(TaskRules {
            default_state: "101",
            states: &[
                ("101", "New"),
                ("102", "Assess"),
                ("103", "Root Cause Analysis"),
                ("104", "Fix in Progress"),
                ("106", "Resolved"),
                ("107", "Closed"),
            ],
            inactive_states: &["106", "107"],
            resolved_states: &["106"],
            closed_states: &["107"],
            close_codes: None,
            close_policy: None,
            max_priority: 5,
            state_mirror: Some("problem_state"),
        }),
        read_only: false,
    },
    TableSchema {
        name: "sc_task",
        base: TASK_COLUMNS,
        numbering: Some(("SCTASK", 10_001)),
        columns: &[],
        task: Some(TaskRules {
            default_state: "1",
            states: &[
                ("-5", "Pending"),
                ("1", "Open"),
                ("2", "Work in Progress"),
                ("3", "Closed Complete"),
                ("4", "Closed Incomplete"),
                ("5", "Closed Skipped"),
            ],
            inactive_states: &["3", "4", "5"],
            resolved_states: &[],
            closed_states: &["3", "4", "5"],
            close_codes: None,
            close_policy: None,
            max_priority: 5,
            state_mirror: None,
        }),
        read_only: false,
    },
    TableSchema {
        name: GROUP_TABLE,
        base: SYSTEM_COLUMNS,
        numbering: None,
        columns: &["name", "description", "active", "email", "manager", "type"],
        task: None,
        read_only: false,
    },
    TableSchema {
        name: JOURNAL_TABLE,
        base: JOURNAL_BASE_COLUMNS,
        numbering: None,
        columns: &["element_id", "name", "element", "value"],
        task: None,
        read_only: false,
    },
    TableSchema {
        name: CHOICE_TABLE,
        base: SYSTEM_COLUMNS,
        numbering: None,
        columns: &[
            "name", "element", "value", "label", "inactive", "language", "sequence",
        ],
        task: None,
        read_only: true,
    },
    TableSchema {
        name: ATTACHMENT_TABLE,
        base: SYSTEM_COLUMNS,
        numbering: None,
        // docs/servicenow/attachments.md: the documented metadata, plus what a PDI returned in
        // 2022.
        columns: &[
            "table_name",
            "table_sys_id",
            "file_name",
            "content_type",
            "size_bytes",
            "size_compressed",
            "compressed",
            "average_image_color",
            "image_width",
            "image_height",
            "state",
            "chunk_size_bytes",
            "hash",
            "sys_tags",
        ],
        task: None,
        // [I] Written through the Attachment API only; a Table API write is refused.
        read_only: true,
    },
];

/// docs/servicenow/records.md#incident priority lookup (`dl_u_priority`): impact × urgency →
/// priority. The 3 × 3 cell is instance configuration (5 - Planning by default, 4 - Low in some doc
/// versions).
pub(crate) fn priority(impact: u8, urgency: u8, low_low: u8) -> Option<u8> {
    const MATRIX: [[u8; 3]; 3] = [
        // urgency: 1  2  3
        [1, 2, 3], // impact 1
        [2, 3, 4], // impact 2
        [3, 4, 0], // impact 3 (the 3 × 3 cell is configurable)
    ];
    let cell = *MATRIX
        .get(usize::from(impact).checked_sub(1)?)?
        .get(usize::from(urgency).checked_sub(1)?)?;
    Some(if cell == 0 { low_low } else { cell })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_matrix_follows_the_lookup_rules() {
        let table: Vec<Vec<u8>> = (1..=3)
            .map(|i| (1..=3).map(|u| priority(i, u, 5).unwrap()).collect())
            .collect();
        assert_eq!(table, [[1, 2, 3], [2, 3, 4], [3, 4, 5]]);
        assert_eq!(priority(3, 3, 4), Some(4));
        assert_eq!(priority(0, 1, 5), None);
        assert_eq!(priority(4, 1, 5), None);
    }

    #[test]
    fn task_tables_share_the_task_columns() {
        for schema in TABLES.iter().filter(|t| t.task.is_some()) {
            let columns = schema.all_columns();
            for column in TASK_COLUMNS {
                assert!(columns.contains(column), "{} lacks {column}", schema.name);
            }
        }
        let change = TABLES.iter().find(|t| t.name == "change_request").unwrap();
        assert!(change.all_columns().contains(&"chg_model"));
    }

    #[test]
    fn journal_rows_have_the_captured_shape() {
        let journal = TABLES.iter().find(|t| t.name == JOURNAL_TABLE).unwrap();
        let mut columns = journal.all_columns();
        columns.sort_unstable();
        assert_eq!(
            columns,
            [
                "element",
                "element_id",
                "name",
                "sys_created_by",
                "sys_created_on",
                "sys_id",
                "sys_tags",
                "value"
            ]
        );
    }
}
