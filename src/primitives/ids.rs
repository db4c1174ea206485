//! ServiceNow's identifiers as types that can only hold valid values, so whatever reaches a URL
//! path or an encoded query has been checked once, where it entered.

use crate::primitives::prelude::*;

use alloc::borrow::Cow;
use core::fmt;

/// A record's `sys_id`: 32 lower-case hex digits. Ordered as ServiceNow orders them (as
/// text), for the keyset cursor of changes-since.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SysId(String);

impl SysId {
    pub fn parse(text: &str) -> Option<Self> {
        let valid =
            text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        valid.then(|| Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SysId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A ticket's human number: an upper-case prefix and digits (INC0010001, SCTASK0010001).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketNumber(String);

impl TicketNumber {
    pub fn parse(text: &str) -> Option<Self> {
        let digits = text.trim_start_matches(|c: char| c.is_ascii_uppercase());
        let valid = digits.len() < text.len()
            && !digits.is_empty()
            && text.len() <= 40
            && digits.bytes().all(|b| b.is_ascii_digit());
        valid.then(|| Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A ServiceNow table or column name: lower-case letters, digits and underscores, starting
/// with a letter. Names go into URL paths and encoded queries, so nothing else passes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Name(Cow<'static, str>);

impl Name {
    pub fn parse(text: &str) -> Option<Self> {
        is_name(text).then(|| Self(Cow::Owned(text.to_string())))
    }

    /// A name this crate knows, checked when the constant is evaluated.
    pub const fn known(name: &'static str) -> Self {
        assert!(is_name_const(name.as_bytes()), "not a ServiceNow name");
        Self(Cow::Borrowed(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

pub fn is_name(text: &str) -> bool {
    is_name_const(text.as_bytes())
}

const fn is_name_const(bytes: &[u8]) -> bool {
    if bytes.is_empty() || bytes.len() > 80 || !bytes[0].is_ascii_lowercase() {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return false;
        }
        i += 1;
    }
    true
}

/// Why a value may not stand in an encoded query (`sysparm_query`), if it may not. A `^` would end
/// the term and start another (`^OR`, `^NQ` widen a query to other records); the instance runs a
/// value that starts with `javascript:` as a server-side script
/// (docs/servicenow/README.md#what-integrators-run-into). ServiceNow documents `^^` for a literal
/// `^`, but not that the REST parser honours it, so such values are refused rather than escaped.
pub fn query_value_problem(value: &str) -> Option<&'static str> {
    if value.contains('^') {
        Some(
            "contains ^, which ServiceNow's encoded queries read as the start of another condition",
        )
    } else if value
        .trim_start()
        .get(..11)
        .is_some_and(|start| start.eq_ignore_ascii_case("javascript:"))
    {
        Some("starts with javascript:, which ServiceNow would run as a script")
    } else if value.chars().any(char::is_control) {
        Some("contains a control character")
    } else {
        None
    }
}

/// A record as an admin or the platform names it: its sys_id, or a name to look up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SysIdOrName {
    SysId(SysId),
    Name(String),
}

/// An assignment group: a `sys_user_group` sys_id or name.
pub type AssignmentGroup = SysIdOrName;

/// A standard change template: a `std_change_record_producer` sys_id or name
/// (docs/servicenow/change-management.md#standard-change-templates).
pub type ChangeTemplate = SysIdOrName;

impl SysIdOrName {
    /// None for a blank value, which means "no group".
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        Some(match SysId::parse(text) {
            Some(sys_id) => Self::SysId(sys_id),
            None => Self::Name(text.to_string()),
        })
    }
}

impl SysIdOrName {
    /// Why this record cannot be looked up by name, if it cannot.
    pub fn problem(&self) -> Option<&'static str> {
        match self {
            Self::SysId(_) => None,
            Self::Name(name) => query_value_problem(name),
        }
    }
}

impl fmt::Display for SysIdOrName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SysId(sys_id) => write!(f, "{sys_id}"),
            Self::Name(name) => write!(f, "{name:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sys_ids() {
        assert!(SysId::parse("0123456789abcdef0123456789abcdef").is_some());
        for bad in [
            "",
            "0123456789ABCDEF0123456789abcdef",
            "0123456789abcdef0123456789abcde",
            "0123456789abcdef0123456789abcdef0",
            "0123456789abcdef/123456789abcdef",
        ] {
            assert!(SysId::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn ticket_numbers() {
        for good in ["INC0010001", "SCTASK0010001", "CHG0030001"] {
            assert_eq!(TicketNumber::parse(good).unwrap().as_str(), good);
        }
        for bad in ["0010001", "INC", "inc0010001", "INC001^OR", "INC 1", ""] {
            assert!(TicketNumber::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn names() {
        assert!(Name::parse("u_cost_finding").is_some());
        for bad in [
            "",
            "Incident",
            "1table",
            "incident/../sys_user",
            "a b",
            "x^y",
        ] {
            assert!(Name::parse(bad).is_none(), "{bad:?}");
        }
        assert!(Name::parse(&"a".repeat(81)).is_none());
        assert_eq!(Name::known("incident"), *"incident");
    }

    #[test]
    fn query_values_cannot_widen_a_query() {
        assert_eq!(query_value_problem("opp-42"), None);
        assert_eq!(query_value_problem("Cloud Ops / EU"), None);
        for bad in [
            "x^ORactive=true",
            "x^NQsys_id!=",
            "^",
            "javascript:gs.getUserID()",
            "  JavaScript:1",
            "a\nb",
        ] {
            assert!(query_value_problem(bad).is_some(), "{bad:?}");
        }
        let group = AssignmentGroup::parse("Ops^ORname=Admins").unwrap();
        assert!(group.problem().is_some());
    }

    #[test]
    fn assignment_groups() {
        let id = "287ebd7da9fe198100f92cc8d1d2154e";
        assert_eq!(
            AssignmentGroup::parse(&format!(" {id} ")),
            Some(AssignmentGroup::SysId(SysId::parse(id).unwrap()))
        );
        assert_eq!(
            AssignmentGroup::parse(" Cloud Ops "),
            Some(AssignmentGroup::Name("Cloud Ops".into()))
        );
        assert_eq!(AssignmentGroup::parse("  "), None);
    }
}
