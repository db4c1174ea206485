//! The encoded-query subset of docs/servicenow/table-api.md#query-parameters: `field=value`, `!=`,
//! `LIKE`, `STARTSWITH`, `ENDSWITH`, `IN`, `ISEMPTY`, …, joined by `^` (AND), `^OR` (OR, binding
//! tighter than AND), `^NQ` (a new query ORed with the previous ones), plus
//! `ORDERBY`/`ORDERBYDESC`.
//!
//! Parts the instance would not understand are dropped, as it drops them
//! (docs/servicenow/table-api.md#query-parameters). Parts it would understand but this subset does
//! not implement (`BETWEEN`, `RELATIVEGT`, `javascript:` values, a date compared with something
//! that is not a date, …) are not dropped: [`Query::unsupported`] names them, so a test fails
//! loudly instead of the query silently matching more than a real instance would.

use std::cmp::Ordering;

use serde_json::{Map, Value};

mod walk;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Query {
    /// `^NQ`-separated queries; a row matches if any of them does.
    alternatives: Vec<Conjunction>,
    order: Vec<(String, Direction)>,
    /// Parts a real instance would apply but the simulator cannot: (field, what).
    unsupported: Vec<(String, String)>,
}

/// Every group must hold; a group holds if any of its conditions does.
type Conjunction = Vec<Vec<Condition>>;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Direction {
    Ascending,
    Descending,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Condition {
    field: String,
    op: Op,
}

#[derive(Clone, Debug, PartialEq)]
enum Op {
    Eq(String),
    Ne(String),
    Like(String),
    NotLike(String),
    StartsWith(String),
    EndsWith(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Lt(String),
    Le(String),
    Gt(String),
    Ge(String),
    IsEmpty,
    IsNotEmpty,
    Anything,
    /// docs/servicenow/cmdb.md#classes: a class name that is the class or extends it.
    InstanceOf(String),
}

/// What one part of an encoded query turned out to be.
enum Parsed {
    Condition(Condition),
    /// Real ServiceNow syntax the simulator does not implement: (field, what).
    Unsupported(String, String),
    /// Not a condition at all: the instance ignores it.
    Invalid,
}

/// Operators, longest spelling first where one is a prefix of another.
const OPERATORS: &[&str] = &[
    "!=",
    "<=",
    ">=",
    "=",
    "<",
    ">",
    "NOT LIKE",
    "NOT IN",
    "LIKE",
    "STARTSWITH",
    "ENDSWITH",
    "ISNOTEMPTY",
    "ISEMPTY",
    "EMPTYSTRING",
    "INSTANCEOF",
    "IN",
    "ANYTHING",
];

/// Operators of the real encoded-query grammar the simulator does not evaluate. Checked
/// before [`OPERATORS`].
const UNSUPPORTED_OPERATORS: &[&str] = &[
    "BETWEEN",
    "DATEPART",
    "NOTON",
    "ON",
    "RELATIVEGT",
    "RELATIVEGE",
    "RELATIVELT",
    "RELATIVELE",
    "RELATIVEEE",
    "MORETHAN",
    "LESSTHAN",
    "NSAMEAS",
    "SAMEAS",
    "GT_OR_EQUALS_FIELD",
    "LT_OR_EQUALS_FIELD",
    "GT_FIELD",
    "LT_FIELD",
    "VALCHANGES",
    "CHANGESFROM",
    "CHANGESTO",
    "DYNAMIC",
];

/// Whole parts (not conditions) of the real grammar the simulator does not implement.
const UNSUPPORTED_PARTS: &[&str] = &["RLQUERY", "GROUPBY"];

impl Query {
    /// Parses an encoded query. Parts that do not parse are dropped:
    /// docs/servicenow/table-api.md#query-parameters, the instance ignores invalid parts and
    /// applies the valid remainder.
    pub(crate) fn parse(encoded: &str) -> Query {
        let mut query = Query {
            alternatives: vec![Vec::new()],
            order: Vec::new(),
            unsupported: Vec::new(),
        };
        for part in split_parts(encoded) {
            let mut part = part.as_str();
            if let Some(rest) = part.strip_prefix("NQ") {
                query.alternatives.push(Vec::new());
                part = rest;
            }
            if let Some(field) = part.strip_prefix("ORDERBYDESC") {
                query.order_by(field, Direction::Descending);
                continue;
            }
            if let Some(field) = part.strip_prefix("ORDERBY") {
                query.order_by(field, Direction::Ascending);
                continue;
            }
            if let Some(keyword) = UNSUPPORTED_PARTS.iter().find(|k| part.starts_with(**k)) {
                query
                    .unsupported
                    .push((String::new(), format!("the {keyword} part {part:?}")));
                continue;
            }
            let (or, text) = match part.strip_prefix("OR") {
                Some(rest) => (true, rest),
                None => (false, part),
            };
            let condition = match Condition::parse(text) {
                Parsed::Condition(condition) => condition,
                Parsed::Unsupported(field, what) => {
                    query.unsupported.push((field, what));
                    continue;
                }
                Parsed::Invalid => continue,
            };
            if let Some(conjunction) = query.alternatives.last_mut() {
                match conjunction.last_mut() {
                    Some(group) if or => group.push(condition),
                    _ => conjunction.push(vec![condition]),
                }
            }
        }
        query
    }

    /// docs/servicenow/table-api.md#query-parameters: `?field=value&field2=value2` pairs, ANDed;
    /// `sysparm_*` keys are parameters, not conditions.
    pub(crate) fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Query {
        let conjunction = pairs
            .into_iter()
            .filter(|(key, _)| !key.starts_with("sysparm_") && is_field_name(key))
            .map(|(key, value)| {
                vec![Condition {
                    field: key.to_string(),
                    op: Op::Eq(value.to_string()),
                }]
            })
            .collect();
        Query {
            alternatives: vec![conjunction],
            order: Vec::new(),
            unsupported: Vec::new(),
        }
    }

    /// docs/servicenow/table-api.md#query-parameters: conditions and orderings on fields the table
    /// lacks are ignored, as the real instance does (unless `glide.invalid_query.returns_no_rows`
    /// is set).
    pub(crate) fn without_unknown_fields(mut self, known: impl Fn(&str) -> bool) -> Query {
        for conjunction in &mut self.alternatives {
            for group in conjunction.iter_mut() {
                group.retain(|c| known(&c.field));
            }
            conjunction.retain(|group| !group.is_empty());
        }
        self.order.retain(|(field, _)| known(field));
        self.unsupported
            .retain(|(field, _)| field.is_empty() || known(field));
        self
    }

    /// What a real instance would apply but the simulator cannot, if anything: the caller
    /// answers it loudly rather than matching too much. Call after
    /// [`Query::without_unknown_fields`]: a part naming an unknown field is ignored by the
    /// instance whatever its operator.
    pub(crate) fn unsupported(&self, is_date_time: impl Fn(&str) -> bool) -> Option<String> {
        if let Some((_, what)) = self.unsupported.first() {
            return Some(what.clone());
        }
        self.conditions()
            .filter(|c| is_date_time(&c.field))
            .find_map(|c| c.non_date_literal())
    }

    fn conditions(&self) -> impl Iterator<Item = &Condition> {
        self.alternatives.iter().flatten().flatten()
    }

    pub(crate) fn matches(&self, row: &Map<String, Value>) -> bool {
        self.alternatives.iter().any(|conjunction| {
            conjunction
                .iter()
                .all(|group| group.iter().any(|c| c.matches(row)))
        })
    }

    /// Stable sort by the ORDERBY fields, in the order given.
    pub(crate) fn sort(&self, rows: &mut [&Map<String, Value>]) {
        if self.order.is_empty() {
            return;
        }
        rows.sort_by(|a, b| {
            self.order
                .iter()
                .map(|(field, direction)| {
                    let ordering = compare(field_value(a, field), field_value(b, field));
                    match direction {
                        Direction::Ascending => ordering,
                        Direction::Descending => ordering.reverse(),
                    }
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
    }

    fn order_by(&mut self, field: &str, direction: Direction) {
        if is_field_name(field) {
            self.order.push((field.to_string(), direction));
        }
    }
}

impl Condition {
    fn parse(text: &str) -> Parsed {
        let split = text
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'))
            .unwrap_or(text.len());
        let (field, rest) = text.split_at(split);
        if !is_field_name(field) {
            return Parsed::Invalid;
        }
        if let Some(op) = UNSUPPORTED_OPERATORS
            .iter()
            .find(|op| rest.starts_with(**op))
        {
            return Parsed::Unsupported(field.into(), format!("the {op} operator in {text:?}"));
        }
        let Some(operator) = OPERATORS.iter().find(|op| rest.starts_with(**op)) else {
            return Parsed::Invalid;
        };
        let value = rest[operator.len()..].to_string();
        // docs/servicenow/table-api.md#encoded-queries: run on the server; the simulator has no
        // script engine.
        if value.trim_start().starts_with("javascript:") {
            return Parsed::Unsupported(field.into(), format!("the script value in {text:?}"));
        }
        let list = || value.split(',').map(|v| v.trim().to_string()).collect();
        let op = match *operator {
            "=" => Op::Eq(value),
            "!=" => Op::Ne(value),
            "<" => Op::Lt(value),
            "<=" => Op::Le(value),
            ">" => Op::Gt(value),
            ">=" => Op::Ge(value),
            "LIKE" => Op::Like(value),
            "NOT LIKE" => Op::NotLike(value),
            "STARTSWITH" => Op::StartsWith(value),
            "ENDSWITH" => Op::EndsWith(value),
            "IN" => Op::In(list()),
            "NOT IN" => Op::NotIn(list()),
            "ISEMPTY" => Op::IsEmpty,
            "ISNOTEMPTY" => Op::IsNotEmpty,
            // Matches what ISEMPTY matches: every stored value is a string.
            "EMPTYSTRING" => Op::IsEmpty,
            "INSTANCEOF" => Op::InstanceOf(value),
            _ => Op::Anything,
        };
        Parsed::Condition(Condition {
            field: field.to_string(),
            op,
        })
    }

    /// docs/servicenow/polling.md: date-time literals are UTC "YYYY-MM-DD HH:MM:SS" (or a bare
    /// date). Anything else compared with a date-time column is a client bug the simulator names,
    /// where comparing it as text would quietly match the wrong rows.
    fn non_date_literal(&self) -> Option<String> {
        let values: Vec<&String> = match &self.op {
            Op::Eq(v) | Op::Ne(v) | Op::Lt(v) | Op::Le(v) | Op::Gt(v) | Op::Ge(v) => vec![v],
            Op::In(list) | Op::NotIn(list) => list.iter().collect(),
            _ => return None,
        };
        values
            .into_iter()
            .find(|v| !v.is_empty() && !is_date_literal(v))
            .map(|v| {
                format!(
                    "the value {v:?} for the date-time field {}: not \"YYYY-MM-DD HH:MM:SS\"",
                    self.field
                )
            })
    }

    /// docs/servicenow/table-api.md#query-parameters: names and values are case-sensitive.
    fn matches(&self, row: &Map<String, Value>) -> bool {
        let actual = field_value(row, &self.field);
        match &self.op {
            Op::Eq(v) => actual == v,
            Op::Ne(v) => actual != v,
            Op::Like(v) => actual.contains(v.as_str()),
            Op::NotLike(v) => !actual.contains(v.as_str()),
            Op::StartsWith(v) => actual.starts_with(v.as_str()),
            Op::EndsWith(v) => actual.ends_with(v.as_str()),
            Op::In(list) => list.iter().any(|v| v == actual),
            Op::NotIn(list) => !list.iter().any(|v| v == actual),
            Op::Lt(v) => compare(actual, v).is_lt(),
            Op::Le(v) => compare(actual, v).is_le(),
            Op::Gt(v) => compare(actual, v).is_gt(),
            Op::Ge(v) => compare(actual, v).is_ge(),
            Op::IsEmpty => actual.is_empty(),
            Op::IsNotEmpty => !actual.is_empty(),
            Op::Anything => true,
            Op::InstanceOf(class) => crate::cmdb::extends(actual, class),
        }
    }
}

/// Splits on `^`; `^^` is a literal caret inside a value.
fn split_parts(encoded: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = encoded.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '^' {
            current.push(c);
        } else if chars.peek() == Some(&'^') {
            chars.next();
            current.push('^');
        } else {
            parts.push(std::mem::take(&mut current));
        }
    }
    parts.push(current);
    parts.retain(|p| !p.is_empty() && p != "EQ");
    parts
}

fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS", digits where digits belong.
fn is_date_literal(value: &str) -> bool {
    const FULL: &str = "0000-00-00 00:00:00";
    let shape_ok = |shape: &str| {
        value.len() == shape.len()
            && value.bytes().zip(shape.bytes()).all(|(v, s)| {
                if s == b'0' {
                    v.is_ascii_digit()
                } else {
                    v == s
                }
            })
    };
    shape_ok(FULL) || shape_ok(&FULL[..10])
}

fn field_value<'a>(row: &'a Map<String, Value>, field: &str) -> &'a str {
    row.get(field).and_then(Value::as_str).unwrap_or("")
}

/// Numbers compare as numbers (priority "10" after "9"), everything else as text.
fn compare(a: &str, b: &str) -> Ordering {
    match (a.parse::<i64>(), b.parse::<i64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    fn rows() -> Vec<Map<String, Value>> {
        vec![
            row(json!({"number": "INC1", "state": "1", "name": "Network", "priority": "3"})),
            row(json!({"number": "INC2", "state": "2", "name": "Database", "priority": "10"})),
            row(json!({"number": "INC3", "state": "6", "name": "Net Ops", "priority": "9"})),
        ]
    }

    fn numbers(query: &Query) -> Vec<String> {
        let data = rows();
        let mut hits: Vec<&Map<String, Value>> = data.iter().filter(|r| query.matches(r)).collect();
        query.sort(&mut hits);
        hits.iter()
            .map(|r| r["number"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn equality_and_inequality() {
        assert_eq!(numbers(&Query::parse("name=Network")), ["INC1"]);
        assert_eq!(numbers(&Query::parse("state!=1")), ["INC2", "INC3"]);
        assert_eq!(numbers(&Query::parse("name=network")), Vec::<String>::new());
    }

    #[test]
    fn like_startswith_in() {
        assert_eq!(numbers(&Query::parse("nameLIKEet")), ["INC1", "INC3"]);
        assert_eq!(
            numbers(&Query::parse("nameSTARTSWITHNet")),
            ["INC1", "INC3"]
        );
        assert_eq!(numbers(&Query::parse("nameENDSWITHbase")), ["INC2"]);
        assert_eq!(numbers(&Query::parse("stateIN1,6")), ["INC1", "INC3"]);
        assert_eq!(numbers(&Query::parse("stateIN 2, 6")), ["INC2", "INC3"]);
        assert_eq!(numbers(&Query::parse("stateNOT IN1,6")), ["INC2"]);
    }

    #[test]
    fn or_binds_tighter_than_and() {
        // state=1 AND (name=Database OR name=Network)
        let q = Query::parse("state=1^name=Database^ORname=Network");
        assert_eq!(numbers(&q), ["INC1"]);
        let q = Query::parse("state=2^ORstate=6^nameLIKENet");
        assert_eq!(numbers(&q), ["INC3"]);
    }

    #[test]
    fn new_query_is_a_top_level_or() {
        let q = Query::parse("state=1^NQstate=6");
        assert_eq!(numbers(&q), ["INC1", "INC3"]);
    }

    #[test]
    fn order_by_sorts_numbers_numerically() {
        assert_eq!(
            numbers(&Query::parse("ORDERBYpriority")),
            ["INC1", "INC3", "INC2"]
        );
        assert_eq!(
            numbers(&Query::parse("stateIN1,2,6^ORDERBYDESCpriority")),
            ["INC2", "INC3", "INC1"]
        );
    }

    #[test]
    fn unknown_fields_are_ignored_not_matched() {
        let known = |f: &str| ["number", "state", "name"].contains(&f);
        let q = Query::parse("u_team=x^state=2").without_unknown_fields(known);
        assert_eq!(numbers(&q), ["INC2"]);
        // Everything unknown: the whole query is ignored and every row matches.
        let q = Query::parse("nmae=Network").without_unknown_fields(known);
        assert_eq!(numbers(&q), ["INC1", "INC2", "INC3"]);
        let q = Query::parse("ORDERBYDESCbogus").without_unknown_fields(known);
        assert_eq!(numbers(&q), ["INC1", "INC2", "INC3"]);
    }

    #[test]
    fn garbage_parts_are_dropped() {
        assert_eq!(numbers(&Query::parse("")), ["INC1", "INC2", "INC3"]);
        assert_eq!(numbers(&Query::parse("^^^")), ["INC1", "INC2", "INC3"]);
        assert_eq!(numbers(&Query::parse("state^name=Network")), ["INC1"]);
        assert_eq!(numbers(&Query::parse("=1^EQ")), ["INC1", "INC2", "INC3"]);
        assert_eq!(Query::parse("ORstate=1"), Query::parse("state=1"));
    }

    #[test]
    fn empty_checks_and_escaped_caret() {
        let data = [row(json!({"a": "", "b": "x^y"}))];
        assert!(Query::parse("aISEMPTY^bISNOTEMPTY").matches(&data[0]));
        assert!(Query::parse("b=x^^y").matches(&data[0]));
        assert!(!Query::parse("b=x").matches(&data[0]));
    }

    #[test]
    fn a_keyset_cursor_survives_ties_and_pages() {
        let data: Vec<Map<String, Value>> = [
            ("b", "2025-01-01 10:00:00"),
            ("a", "2025-01-01 10:00:01"),
            ("c", "2025-01-01 10:00:01"),
            ("d", "2025-01-01 10:00:01"),
            ("e", "2025-01-01 10:00:02"),
        ]
        .iter()
        .map(|(id, on)| row(json!({"sys_id": id, "sys_updated_on": on})))
        .collect();
        let page = |encoded: &str| {
            let q = Query::parse(encoded);
            let mut hits: Vec<&Map<String, Value>> = data.iter().filter(|r| q.matches(r)).collect();
            q.sort(&mut hits);
            hits.iter()
                .map(|r| r["sys_id"].as_str().unwrap())
                .collect::<Vec<_>>()
        };
        let order = "^ORDERBYsys_updated_on^ORDERBYsys_id";
        assert_eq!(
            page(&format!("sys_updated_on>2025-01-01 10:00:00{order}")),
            ["a", "c", "d", "e"]
        );
        // After (10:00:01, "a"): the rest of that second, then everything later.
        assert_eq!(
            page(&format!(
                "sys_updated_on=2025-01-01 10:00:01^sys_id>a^NQsys_updated_on>2025-01-01 10:00:01{order}"
            )),
            ["c", "d", "e"]
        );
    }

    #[test]
    fn real_operators_the_simulator_lacks_are_named_not_ignored() {
        let date = |f: &str| f == "sys_updated_on";
        for encoded in [
            "sys_updated_onBETWEEN2025-01-01@2025-01-02",
            "sys_updated_onRELATIVEGT@hour@ago@1",
            "sys_updated_on>javascript:gs.minutesAgoStart(5)",
            "state=1^NQsys_updated_onONToday@javascript:gs.beginningOfToday()",
            "state=1^RLQUERYsys_journal_field.element_id,>=1^ENDRLQUERY",
            "sys_updated_on>2025-01-01T10:00:00Z",
            "sys_updated_onIN2025-01-01 10:00:00,yesterday",
        ] {
            let q = Query::parse(encoded);
            assert!(q.unsupported(date).is_some(), "{encoded}");
        }
        for encoded in [
            "sys_updated_on>2025-01-01 10:00:00",
            "sys_updated_on>=2025-01-01",
            "sys_updated_on=",
            "sys_updated_onISEMPTY",
            "stateFOO1",
            "short_description=javascript is fine in text^state=1",
        ] {
            let q = Query::parse(encoded);
            assert_eq!(q.unsupported(date), None, "{encoded}");
        }
        // An unknown field is ignored by the instance whatever its operator.
        let q = Query::parse("u_nopeBETWEEN1@2").without_unknown_fields(|f| f == "state");
        assert_eq!(q.unsupported(date), None);
        // Invalid parts are still dropped, as the instance drops them.
        assert_eq!(numbers(&Query::parse("stateFOO1^state=2")), ["INC2"]);
    }

    #[test]
    fn emptystring_matches_empty_values() {
        let data = [row(json!({"a": ""})), row(json!({"a": "x"}))];
        let q = Query::parse("aEMPTYSTRING");
        assert_eq!(data.iter().filter(|r| q.matches(r)).count(), 1);
    }

    #[test]
    fn name_value_pairs_skip_sysparm_keys() {
        let q = Query::from_pairs([("name", "Database"), ("sysparm_limit", "2")]);
        assert_eq!(numbers(&q), ["INC2"]);
        assert_eq!(numbers(&Query::from_pairs([])), ["INC1", "INC2", "INC3"]);
    }
}
