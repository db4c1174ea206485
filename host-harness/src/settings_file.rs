//! The CLI's settings file (TOML, or JSON by extension): the same fields the platform's
//! dialog has. The client secret may come from `SERVICENOW_CLIENT_SECRET` instead of the file.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use ticketing_host::ClientSecret;
use ticketing_host::api::{ClosedMatch, Priority, Settings, TicketCategory, TicketKind};

pub const SECRET_ENV: &str = "SERVICENOW_CLIENT_SECRET";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    instance: String,
    client_id: String,
    client_secret: Option<String>,
    default_assignment_group: Option<String>,
    default_priority: Option<String>,
    #[serde(default)]
    ticket_categories: Vec<CategoryEntry>,
    unlisted_category_kind: Option<String>,
    /// "open-new" (default) or "reopen".
    on_closed_match: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryEntry {
    event_category: String,
    kind: String,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// Reads the file; the environment's secret, when set, wins over the file's.
pub fn load(path: &Path) -> Result<(Settings, ClientSecret)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the settings file {}", path.display()))?;
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    parse(&text, json, std::env::var(SECRET_ENV).ok())
        .with_context(|| format!("in the settings file {}", path.display()))
}

pub fn parse(
    text: &str,
    json: bool,
    env_secret: Option<String>,
) -> Result<(Settings, ClientSecret)> {
    let file: SettingsFile = if json {
        serde_json::from_str(text)?
    } else {
        toml::from_str(text)?
    };
    let Some(client_secret) = env_secret.or(file.client_secret) else {
        bail!("no client_secret: put it in the file or in the {SECRET_ENV} environment variable");
    };
    let settings = Settings {
        instance: file.instance,
        client_id: file.client_id,
        default_assignment_group: file.default_assignment_group,
        default_priority: file
            .default_priority
            .as_deref()
            .map(parse_priority)
            .transpose()?,
        ticket_categories: file
            .ticket_categories
            .into_iter()
            .map(|c| TicketCategory {
                event_category: c.event_category,
                kind: parse_kind(&c.kind),
                enabled: c.enabled,
            })
            .collect(),
        unlisted_category_kind: file.unlisted_category_kind.as_deref().map(parse_kind),
        on_closed_match: match file.on_closed_match.as_deref().map(str::trim) {
            None | Some("open-new") => ClosedMatch::OpenNew,
            Some("reopen") => ClosedMatch::Reopen,
            Some(other) => bail!("on_closed_match is {other:?}: use \"open-new\" or \"reopen\""),
        },
    };
    Ok((settings, ClientSecret::new(client_secret)))
}

pub fn parse_priority(text: &str) -> Result<Priority> {
    Ok(match text.trim().to_ascii_lowercase().as_str() {
        "critical" | "1" => Priority::Critical,
        "high" | "2" => Priority::High,
        "moderate" | "3" => Priority::Moderate,
        "low" | "4" => Priority::Low,
        "planning" | "5" => Priority::Planning,
        other => bail!("unknown priority {other:?}: use critical, high, moderate, low or planning"),
    })
}

/// `incident`, `change_request` (or `change-request`), `problem`, or any other table name.
pub fn parse_kind(text: &str) -> TicketKind {
    match text.trim() {
        "incident" => TicketKind::Incident,
        "change_request" | "change-request" => TicketKind::ChangeRequest,
        "problem" => TicketKind::Problem,
        table => TicketKind::Table(table.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
instance = "dev12345"
client_id = "abc"
client_secret = "from-file"
default_priority = "moderate"
ticket_categories = [
  { event_category = "cost-optimization", kind = "incident" },
  { event_category = "maintenance", kind = "change_request", enabled = false },
  { event_category = "finding", kind = "u_cost_finding" },
]
"#;

    #[test]
    fn toml_with_secret_from_env() {
        let (settings, secret) = parse(TOML, false, Some("from-env".into())).unwrap();
        assert_eq!(secret.expose(), "from-env");
        assert_eq!(settings.default_priority, Some(Priority::Moderate));
        assert_eq!(settings.ticket_categories.len(), 3);
        assert!(!settings.ticket_categories[1].enabled);
        assert!(
            matches!(&settings.ticket_categories[2].kind, TicketKind::Table(t) if t == "u_cost_finding")
        );
        assert_eq!(parse(TOML, false, None).unwrap().1.expose(), "from-file");
    }

    #[test]
    fn json_and_missing_secret() {
        let json = r#"{"instance":"dev1","client_id":"abc"}"#;
        let err = parse(json, true, None).unwrap_err().to_string();
        assert!(err.contains(SECRET_ENV), "{err}");
        assert!(parse(json, true, Some("s".into())).is_ok());
    }

    #[test]
    fn closed_match_policy() {
        let with = |policy: &str| {
            let text = format!("{TOML}on_closed_match = \"{policy}\"\n");
            parse(&text, false, None).map(|(settings, _)| settings.on_closed_match)
        };
        assert_eq!(with("reopen").unwrap(), ClosedMatch::Reopen);
        assert_eq!(with("open-new").unwrap(), ClosedMatch::OpenNew);
        assert!(with("delete").unwrap_err().to_string().contains("open-new"));
        let (settings, _) = parse(TOML, false, None).unwrap();
        assert_eq!(settings.on_closed_match, ClosedMatch::OpenNew);
    }

    #[test]
    fn typos_are_reported() {
        let err = parse(
            "instance = \"x\"\nclient_id = \"a\"\nclient_secrt = \"s\"",
            false,
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("client_secrt"), "{err}");
        assert!(parse_priority("urgent").is_err());
    }
}
