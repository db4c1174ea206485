//! Test Connection's report: each check stands for a setup step and is named by its id; a
//! check that later ones depend on stops the run when it fails, and those are skipped.

use crate::primitives::prelude::*;

use crate::primitives::error::Error;
use crate::primitives::guide::Remedy;

/// Declares [`CheckId`] from its one list: each check, in the order they run, with its id in
/// the contract (`check.id`, stable across versions), the name a person reads, and what it
/// checks for the admin (`check.label`).
macro_rules! checks {
    ($($id:ident = $key:literal, $name:literal, $label:literal;)*) => {
        /// The checks, in the order they run.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum CheckId {
            $($id,)*
        }

        impl CheckId {
            pub const ALL: [CheckId; [$(CheckId::$id,)*].len()] = [$(CheckId::$id,)*];

            /// The id in the contract (`check.id`): stable across versions.
            pub fn key(self) -> &'static str {
                match self {
                    $(CheckId::$id => $key,)*
                }
            }

            /// What it checks, for the admin (`check.label`).
            pub fn label(self) -> &'static str {
                match self {
                    $(CheckId::$id => $label,)*
                }
            }

            /// The name a person reads.
            pub fn name(self) -> &'static str {
                match self {
                    $(CheckId::$id => $name,)*
                }
            }
        }
    };
}

checks! {
    Settings = "settings", "settings", "The settings are complete";
    Instance = "instance", "instance", "The instance answers as ServiceNow";
    Token = "token", "token", "ServiceNow grants an OAuth token";
    TableApi = "table-api", "table api", "The Table API accepts the token";
    TableAccess = "table-access", "table access", "The integration user can read the ticket tables";
    AttachmentApi = "attachment-api", "attachment api", "The Attachment API accepts the credentials";
    ChangeApi = "change-api", "change api", "The Change Management API and its templates are there";
    AssignmentGroup = "assignment-group", "assignment group", "The default assignment group exists";
    ImportSet = "import-set", "import set", "The staging tables accept the integration's rows";
    Cmdb = "cmdb", "cmdb", "The integration user can read the CMDB";
}

/// A check's statuses, said once (the WIT `check-status` has the same cases): hands the list
/// to the macro `$then`, which declares [`CheckStatus`] here and converts it to the WIT type
/// in the adapters.
macro_rules! with_check_statuses {
    ($then:path) => {
        $then! { Passed, Failed, Skipped }
    };
}
pub(crate) use with_check_statuses;

macro_rules! declare_check_status {
    ($($status:ident),*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum CheckStatus {
            $($status,)*
        }
    };
}

with_check_statuses!(declare_check_status);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub id: CheckId,
    pub status: CheckStatus,
    pub detail: String,
    pub remedy: Option<Remedy>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionReport {
    /// No check failed; a check with nothing to check is skipped, not failed.
    pub passed: bool,
    /// Every check once, in [`CheckId::ALL`] order.
    pub checks: Vec<Check>,
}

/// What one check found.
pub enum Outcome {
    Passed(String),
    Failed(Error),
    /// Nothing to check (for example no default assignment group is set).
    Skipped(String),
}

/// Collects the checks as they run.
#[derive(Default)]
pub struct Checklist {
    checks: Vec<Check>,
}

impl Checklist {
    pub fn record(&mut self, id: CheckId, outcome: Outcome) {
        let (status, detail, remedy) = match outcome {
            Outcome::Passed(detail) => (CheckStatus::Passed, detail, None),
            Outcome::Skipped(detail) => (CheckStatus::Skipped, detail, None),
            Outcome::Failed(error) => (CheckStatus::Failed, error.to_string(), error.remedy),
        };
        self.checks.push(Check {
            id,
            status,
            detail,
            remedy,
        });
    }

    /// Records a check that later ones depend on, and hands on what it proved; `None` when
    /// it failed, so that `?` ends the run there.
    pub fn gate<T>(&mut self, id: CheckId, result: Result<(T, String), Error>) -> Option<T> {
        match result {
            Ok((proved, detail)) => {
                self.record(id, Outcome::Passed(detail));
                Some(proved)
            }
            Err(error) => {
                self.record(id, Outcome::Failed(error));
                None
            }
        }
    }

    /// The report: every check in order, those that never ran skipped, and the verdict.
    pub fn finish(mut self) -> ConnectionReport {
        let stopped_at = self
            .checks
            .iter()
            .find(|c| c.status == CheckStatus::Failed)
            .map(|c| c.id);
        let checks: Vec<Check> = CheckId::ALL
            .into_iter()
            .map(|id| match self.checks.iter().position(|c| c.id == id) {
                Some(at) => self.checks.swap_remove(at),
                None => Check {
                    id,
                    status: CheckStatus::Skipped,
                    detail: match stopped_at {
                        Some(failed) => format!("not run: \"{}\" failed", failed.name()),
                        None => "not run".into(),
                    },
                    remedy: None,
                },
            })
            .collect();
        ConnectionReport {
            passed: checks.iter().all(|c| c.status != CheckStatus::Failed),
            checks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::error::ErrorKind;

    fn statuses(report: &ConnectionReport) -> Vec<(CheckId, CheckStatus)> {
        report.checks.iter().map(|c| (c.id, c.status)).collect()
    }

    #[test]
    fn check_ids_are_stable_words_and_labels_say_what_is_checked() {
        // Ids are what platforms store; they must stay the 0.1 contract's names.
        let ids: Vec<&str> = CheckId::ALL.iter().map(|id| id.key()).collect();
        assert_eq!(
            ids,
            [
                "settings",
                "instance",
                "token",
                "table-api",
                "table-access",
                "attachment-api",
                "change-api",
                "assignment-group",
                "import-set",
                "cmdb"
            ]
        );
        for id in CheckId::ALL {
            assert_eq!(id.key().replace('-', " "), id.name());
            assert!(!id.label().is_empty());
        }
    }

    #[test]
    fn a_failed_gate_skips_the_rest() {
        let mut list = Checklist::default();
        assert_eq!(
            list.gate(CheckId::Settings, Ok((7, "fine".into()))),
            Some(7)
        );
        let fix = Remedy {
            text: "fix it",
            step: None,
        };
        let denied = Error::new(ErrorKind::CredentialsRefused, "no").with_remedy(fix);
        assert_eq!(list.gate::<()>(CheckId::Instance, Err(denied)), None);
        let report = list.finish();
        use CheckId::*;
        use CheckStatus::*;
        assert_eq!(
            statuses(&report),
            [
                (Settings, Passed),
                (Instance, Failed),
                (Token, Skipped),
                (TableApi, Skipped),
                (TableAccess, Skipped),
                (AttachmentApi, Skipped),
                (ChangeApi, Skipped),
                (AssignmentGroup, Skipped),
                (ImportSet, Skipped),
                (Cmdb, Skipped),
            ]
        );
        assert_eq!(report.checks[1].remedy, Some(fix));
        assert_eq!(report.checks[2].detail, "not run: \"instance\" failed");
        assert!(!report.passed);
    }

    #[test]
    fn skipped_is_not_failed_and_order_is_by_id() {
        let mut list = Checklist::default();
        list.record(
            CheckId::AssignmentGroup,
            Outcome::Skipped("no group".into()),
        );
        list.record(CheckId::Cmdb, Outcome::Skipped("off".into()));
        for id in &CheckId::ALL[..7] {
            list.record(*id, Outcome::Passed("ok".into()));
        }
        let report = list.finish();
        assert!(report.passed);
        let ids: Vec<CheckId> = report.checks.iter().map(|c| c.id).collect();
        assert_eq!(ids, CheckId::ALL);

        let mut list = Checklist::default();
        list.record(
            CheckId::TableAccess,
            Outcome::Failed(Error::new(ErrorKind::Forbidden, "no")),
        );
        list.record(
            CheckId::AttachmentApi,
            Outcome::Skipped("attachments are off".into()),
        );
        list.record(
            CheckId::AssignmentGroup,
            Outcome::Passed("independent".into()),
        );
        let report = list.finish();
        assert!(!report.passed);
        assert_eq!(report.checks[5].status, CheckStatus::Skipped);
        assert_eq!(report.checks[7].status, CheckStatus::Passed);
    }
}
