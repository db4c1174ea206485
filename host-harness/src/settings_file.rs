//! The CLI's settings file (TOML, or JSON by extension): the same fields the platform's
//! dialog has. The client secret may come from `SERVICENOW_CLIENT_SECRET` instead of the file.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
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
    // A parser's message may quote the file, and the file may hold the client secret: say
    // where the mistake is and what it is, never the line itself.
    let file: SettingsFile = if json {
        serde_json::from_str(text)
            .map_err(|e| anyhow!(redact_secrets(&e.to_string(), text, env_secret.as_deref())))?
    } else {
        toml::from_str(text).map_err(|e| {
            let place = e
                .span()
                .map(|span| {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                    format!("line {line}, column {column}: ")
                })
                .unwrap_or_default();
            let message = e.message().trim_end();
            anyhow!(redact_secrets(
                &format!("{place}{message}"),
                text,
                env_secret.as_deref()
            ))
        })?
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

/// `message` with every client secret the file or the environment holds blotted out.
fn redact_secrets(message: &str, text: &str, env_secret: Option<&str>) -> String {
    // The value as a parser would quote it, whether or not the file parses as a whole: a
    // wrongly typed secret is quoted as what it is (a number, say).
    let structured = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| {
            v.get("client_secret")
                .map(|s| s.as_str().map_or(s.to_string(), str::to_string))
        })
        .or_else(|| {
            text.parse::<toml::Table>().ok().and_then(|t| {
                t.get("client_secret")
                    .map(|s| s.as_str().map_or(s.to_string(), str::to_string))
            })
        });
    let by_line = text.lines().filter_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "client_secret")
            .then(|| value.trim().trim_matches(|c| c == '"' || c == '\''))
    });
    let mut message = message.to_string();
    let candidates = structured
        .iter()
        .map(String::as_str)
        .chain(by_line)
        .chain(env_secret);
    for secret in candidates.filter(|s| s.len() >= 3) {
        message = message.replace(secret, "<redacted>");
        // A value with trailing junk on its line: its quoted part alone too.
        if let Some(quoted) = secret.split('"').next().filter(|q| q.len() >= 3) {
            message = message.replace(quoted, "<redacted>");
        }
    }
    message
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
    fn parse_errors_name_the_place_not_the_secret() {
        let broken =
            "instance = \"dev1\"\nclient_id = \"abc\"\nclient_secret = \"hunter2-secret\" oops\n";
        let err = format!("{:#}", parse(broken, false, None).unwrap_err());
        assert!(err.contains("line 3"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");

        let wrong_type = "instance = \"dev1\"\nclient_id = 7\nclient_secret = \"hunter2-secret\"\n";
        let err = format!("{:#}", parse(wrong_type, false, None).unwrap_err());
        assert!(err.contains("line 2"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");

        let json = r#"{"instance":"dev1","client_id":"abc","client_secret":12345678}"#;
        let err = format!("{:#}", parse(json, true, None).unwrap_err());
        assert!(!err.contains("12345678"), "{err}");
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
