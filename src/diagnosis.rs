//! Test Connection's report: checks run in order, and once one fails the rest are skipped,
//! because each needs what the previous one proved.

use crate::error::Error;
use crate::guide::Remedy;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckStatus {
    Passed,
    Failed,
    Skipped,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub status: CheckStatus,
    pub detail: String,
    pub remedy: Option<Remedy>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectionReport {
    pub checks: Vec<Check>,
}

impl ConnectionReport {
    /// No check failed (a check with nothing to check is skipped, not failed).
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != CheckStatus::Failed)
    }
}

/// Builds a report over a fixed list of check names.
pub struct Checklist {
    names: &'static [&'static str],
    report: ConnectionReport,
}

impl Checklist {
    pub fn new(names: &'static [&'static str]) -> Self {
        Self {
            names,
            report: ConnectionReport::default(),
        }
    }

    fn next_name(&self) -> &'static str {
        self.names
            .get(self.report.checks.len())
            .copied()
            .unwrap_or("extra check")
    }

    pub fn pass(&mut self, detail: impl Into<String>) {
        let name = self.next_name();
        self.report.checks.push(Check {
            name,
            status: CheckStatus::Passed,
            detail: detail.into(),
            remedy: None,
        });
    }

    /// A check that had nothing to check.
    pub fn skip(&mut self, detail: impl Into<String>) {
        let name = self.next_name();
        self.report.checks.push(Check {
            name,
            status: CheckStatus::Skipped,
            detail: detail.into(),
            remedy: None,
        });
    }

    /// Records a failure that the later checks do not depend on.
    pub fn fail_and_continue(&mut self, error: &Error) {
        let name = self.next_name();
        self.report.checks.push(Check {
            name,
            status: CheckStatus::Failed,
            detail: error.to_string(),
            remedy: error.remedy,
        });
    }

    /// Records the failure and skips every check after it.
    pub fn fail(mut self, error: &Error) -> ConnectionReport {
        let failed = self.next_name();
        self.fail_and_continue(error);
        for name in &self.names[self.report.checks.len().min(self.names.len())..] {
            self.report.checks.push(Check {
                name,
                status: CheckStatus::Skipped,
                detail: format!("not run: \"{failed}\" failed"),
                remedy: None,
            });
        }
        self.report
    }

    pub fn finish(self) -> ConnectionReport {
        self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn a_failure_skips_the_rest() {
        let mut list = Checklist::new(&["a", "b", "c"]);
        list.pass("fine");
        let fix = Remedy {
            text: "fix it",
            step: None,
        };
        let report = list.fail(&Error::new(ErrorKind::TokenDenied, "no").with_remedy(fix));
        let statuses: Vec<_> = report.checks.iter().map(|c| (c.name, c.status)).collect();
        assert_eq!(
            statuses,
            vec![
                ("a", CheckStatus::Passed),
                ("b", CheckStatus::Failed),
                ("c", CheckStatus::Skipped)
            ]
        );
        assert_eq!(report.checks[1].remedy, Some(fix));
        assert!(report.checks[2].detail.contains("\"b\" failed"));
        assert!(!report.passed());
    }

    #[test]
    fn skipped_is_not_failed() {
        let mut list = Checklist::new(&["a", "b", "c"]);
        list.pass("ok");
        list.skip("nothing to check");
        assert!(list.finish().passed());

        let mut list = Checklist::new(&["a", "b"]);
        list.fail_and_continue(&Error::new(ErrorKind::Forbidden, "no"));
        list.pass("independent");
        let report = list.finish();
        assert!(!report.passed());
        assert_eq!(report.checks[1].status, CheckStatus::Passed);
    }
}
