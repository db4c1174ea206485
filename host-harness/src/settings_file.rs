//! The CLI's settings file (TOML, or JSON by extension): the keys of the provider's settings
//! form (`describe`), each value as its field's kind wants it. A secret may come from the
//! environment instead of the file: `SERVICENOW_CLIENT_SECRET` for `client_secret` (the
//! provider's name, then the key, upper-case).

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use ticketing_host::Secret;
use ticketing_host::api::{
    FieldKind, Priority, ProviderInfo, Setting, SettingField, SettingValue, TicketCategory,
};

/// The environment variable that may hold a secret field's value.
pub fn secret_env(info: &ProviderInfo, key: &str) -> String {
    format!("{}_{}", info.name, key)
        .to_ascii_uppercase()
        .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
}

/// Reads the file; a secret in the environment wins over the file's.
pub fn load(path: &Path, info: &ProviderInfo) -> Result<(Vec<Setting>, Vec<Secret>)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the settings file {}", path.display()))?;
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    parse(&text, json, info, |name| std::env::var(name).ok())
        .with_context(|| format!("in the settings file {}", path.display()))
}

pub fn parse(
    text: &str,
    json: bool,
    info: &ProviderInfo,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(Vec<Setting>, Vec<Secret>)> {
    let secret_keys: Vec<&str> = info
        .settings
        .iter()
        .filter(|f| f.kind == FieldKind::Secret)
        .map(|f| f.key.as_str())
        .collect();
    let env_secrets: Vec<String> = secret_keys
        .iter()
        .filter_map(|key| env(&secret_env(info, key)))
        .collect();
    // A parser's message may quote the file, and the file may hold a secret: say where the
    // mistake is and what it is, never the line itself.
    let redact = |message: &str| redact_secrets(message, text, &secret_keys, &env_secrets);
    let file: serde_json::Map<String, Value> = if json {
        serde_json::from_str(text).map_err(|e| anyhow!(redact(&e.to_string())))?
    } else {
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            let place = e
                .span()
                .map(|span| {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                    format!("line {line}, column {column}: ")
                })
                .unwrap_or_default();
            anyhow!(redact(&format!("{place}{}", e.message().trim_end())))
        })?;
        serde_json::to_value(table)?
            .as_object()
            .cloned()
            .unwrap_or_default()
    };
    let mut settings = Vec::new();
    let mut secrets = Vec::new();
    for (key, value) in file {
        let Some(field) = info.settings.iter().find(|f| f.key == key) else {
            bail!(
                "unknown setting {key:?}; {}'s settings are: {}",
                info.name,
                info.settings
                    .iter()
                    .map(|f| f.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        };
        if field.kind == FieldKind::Secret {
            let Value::String(secret) = value else {
                bail!("{key} must be a string");
            };
            secrets.push(Secret::new(key, secret));
        } else {
            settings.push(Setting {
                key,
                value: setting_value(field, value)?,
            });
        }
    }
    for key in &secret_keys {
        if let Some(secret) = env(&secret_env(info, key)) {
            secrets.retain(|s| s.key() != *key);
            secrets.push(Secret::new(*key, secret));
        }
    }
    Ok((settings, secrets))
}

/// A file's value as the field's kind wants it.
fn setting_value(field: &SettingField, value: Value) -> Result<SettingValue> {
    let key = &field.key;
    Ok(match (field.kind, value) {
        (FieldKind::Flag, Value::Bool(flag)) => SettingValue::Flag(flag),
        (FieldKind::Flag, _) => bail!("{key} must be true or false"),
        (FieldKind::TextList, Value::Array(items)) => SettingValue::TextList(
            items
                .into_iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text),
                    _ => Err(anyhow!("{key} must be a list of strings")),
                })
                .collect::<Result<_>>()?,
        ),
        (FieldKind::TextList, _) => bail!("{key} must be a list of strings"),
        (FieldKind::TicketCategories, Value::Array(rows)) => SettingValue::TicketCategories(
            rows.into_iter()
                .map(|row| category(key, row))
                .collect::<Result<_>>()?,
        ),
        (FieldKind::TicketCategories, _) => {
            bail!("{key} must be a list of {{ event_category, kind, enabled }} rows")
        }
        (_, Value::String(text)) => SettingValue::Text(text),
        (_, _) => bail!("{key} must be a string"),
    })
}

fn category(key: &str, row: Value) -> Result<TicketCategory> {
    let Value::Object(mut row) = row else {
        bail!("each row of {key} is a table: {{ event_category = \"...\", kind = \"...\" }}");
    };
    let mut text = |name: &str| match row.remove(name) {
        Some(Value::String(text)) => Ok(text),
        _ => Err(anyhow!("a row of {key} needs {name} (a string)")),
    };
    let event_category = text("event_category")?;
    let kind = text("kind")?;
    let enabled = match row.remove("enabled") {
        None => true,
        Some(Value::Bool(enabled)) => enabled,
        Some(_) => bail!("enabled, in a row of {key}, must be true or false"),
    };
    let template = match row.remove("template") {
        None => None,
        Some(Value::String(template)) => Some(template),
        Some(_) => bail!("template, in a row of {key}, must be a string (a name or sys_id)"),
    };
    if let Some(extra) = row.keys().next() {
        bail!(
            "a row of {key} has an unknown field {extra:?} (event_category, kind, enabled, \
             template)"
        );
    }
    // The CLI's own spelling of the kinds, as before the contract named them by table.
    let kind = if kind == "change-request" {
        "change_request".to_string()
    } else {
        kind
    };
    let category = TicketCategory::new(event_category, kind, enabled);
    Ok(match template {
        Some(template) => category.from_template(template),
        None => category,
    })
}

/// `message` with every secret the file or the environment holds blotted out.
fn redact_secrets(message: &str, text: &str, keys: &[&str], env_secrets: &[String]) -> String {
    // The value as a parser would quote it, whether or not the file parses as a whole: a
    // wrongly typed secret is quoted as what it is (a number, say).
    let json = serde_json::from_str::<Value>(text).ok();
    let table = text.parse::<toml::Table>().ok();
    let structured: Vec<String> = keys
        .iter()
        .filter_map(|key| {
            let quote = |s: &dyn ToString, as_str: Option<&str>| {
                as_str.map_or_else(|| s.to_string(), str::to_string)
            };
            json.as_ref()
                .and_then(|v| v.get(key).map(|s| quote(s, s.as_str())))
                .or_else(|| {
                    table
                        .as_ref()
                        .and_then(|t| t.get(*key).map(|s| quote(s, s.as_str())))
                })
        })
        .collect();
    let by_line = text.lines().filter_map(|line| {
        let (key, value) = line.split_once('=')?;
        keys.contains(&key.trim())
            .then(|| value.trim().trim_matches(|c| c == '"' || c == '\''))
    });
    let mut message = message.to_string();
    let candidates = structured
        .iter()
        .map(String::as_str)
        .chain(by_line)
        .chain(env_secrets.iter().map(String::as_str));
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
    let text = text.trim().to_ascii_lowercase();
    // By name, or by ServiceNow's number (1 critical … 5 planning, the order of `ALL`).
    let by_number = |(i, _): &(usize, &Priority)| text == (i + 1).to_string();
    match Priority::ALL
        .iter()
        .enumerate()
        .find(|entry| entry.1.name() == text || by_number(entry))
    {
        Some((_, priority)) => Ok(*priority),
        None => bail!("unknown priority {text:?}: use critical, high, moderate, low or planning"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A form of the shape the component describes (its own is tested through the real
    /// component in `tests/cli/`).
    fn info() -> ProviderInfo {
        let field = |key: &str, kind| SettingField {
            key: key.into(),
            label: key.into(),
            help: String::new(),
            kind,
            required: false,
            default: None,
            choices: vec![],
            auth_methods: vec![],
        };
        ProviderInfo {
            name: "ServiceNow".into(),
            version: "0".into(),
            capabilities: vec![],
            ticket_kinds: vec![],
            other_ticket_kinds: true,
            settings: vec![
                field("instance", FieldKind::Address),
                field("client_id", FieldKind::Text),
                field("client_secret", FieldKind::Secret),
                field("default_priority", FieldKind::Choice),
                field("ticket_categories", FieldKind::TicketCategories),
            ],
        }
    }

    const TOML: &str = r#"
instance = "dev12345"
client_id = "abc"
client_secret = "from-file"
default_priority = "moderate"
ticket_categories = [
  { event_category = "cost-optimization", kind = "incident" },
  { event_category = "maintenance", kind = "change-request", enabled = false },
  { event_category = "finding", kind = "u_cost_finding" },
  { event_category = "resize", kind = "change_request", template = "Resize a cloud database" },
]
"#;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn toml_maps_onto_the_form_with_the_secret_from_env() {
        let env = |name: &str| (name == "SERVICENOW_CLIENT_SECRET").then(|| "from-env".into());
        let (settings, secrets) = parse(TOML, false, &info(), env).unwrap();
        assert_eq!(secrets.len(), 1);
        assert_eq!(secrets[0].expose(), "from-env");
        assert!(settings.contains(&Setting::text("default_priority", "moderate")));
        assert!(settings.contains(&Setting::ticket_categories(
            "ticket_categories",
            vec![
                TicketCategory::new("cost-optimization", "incident", true),
                TicketCategory::new("maintenance", "change_request", false),
                TicketCategory::new("finding", "u_cost_finding", true),
                TicketCategory::new("resize", "change_request", true)
                    .from_template("Resize a cloud database"),
            ]
        )));
        let (_, secrets) = parse(TOML, false, &info(), no_env).unwrap();
        assert_eq!(secrets[0].expose(), "from-file");
    }

    #[test]
    fn json_and_wrong_kinds_of_value() {
        let json = r#"{"instance":"dev1","client_id":"abc"}"#;
        let (settings, secrets) = parse(json, true, &info(), no_env).unwrap();
        assert_eq!(settings.len(), 2);
        assert!(secrets.is_empty());
        for (bad, words) in [
            (r#"{"client_id":7}"#, "client_id must be a string"),
            (r#"{"ticket_categories":"x"}"#, "must be a list"),
            (
                r#"{"ticket_categories":[{"kind":"incident"}]}"#,
                "needs event_category",
            ),
            (
                r#"{"ticket_categories":[{"event_category":"a","kind":"incident","x":1}]}"#,
                "unknown field \"x\"",
            ),
        ] {
            let err = parse(bad, true, &info(), no_env).unwrap_err().to_string();
            assert!(err.contains(words), "{bad}: {err}");
        }
        assert_eq!(secret_env(&info(), "api_key"), "SERVICENOW_API_KEY");
    }

    #[test]
    fn parse_errors_name_the_place_not_the_secret() {
        let broken =
            "instance = \"dev1\"\nclient_id = \"abc\"\nclient_secret = \"hunter2-secret\" oops\n";
        let err = format!("{:#}", parse(broken, false, &info(), no_env).unwrap_err());
        assert!(err.contains("line 3"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");

        let json = r#"{"instance":"dev1","client_id":"abc","client_secret":12345678}"#;
        let err = format!("{:#}", parse(json, true, &info(), no_env).unwrap_err());
        assert!(!err.contains("12345678"), "{err}");
    }

    #[test]
    fn typos_are_reported() {
        let err = parse(
            "instance = \"x\"\nclient_id = \"a\"\nclient_secrt = \"s\"",
            false,
            &info(),
            no_env,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown setting \"client_secrt\""), "{err}");
        assert!(err.contains("client_secret"), "{err}");
        assert!(parse_priority("urgent").is_err());
    }

    #[test]
    fn priorities_by_name_or_by_servicenow_number() {
        for (text, priority) in [
            ("critical", Priority::Critical),
            (" High ", Priority::High),
            ("3", Priority::Moderate),
            ("4", Priority::Low),
            ("planning", Priority::Planning),
        ] {
            assert_eq!(parse_priority(text).unwrap(), priority, "{text}");
        }
        for wrong in ["0", "6", "urgent", ""] {
            assert!(parse_priority(wrong).is_err(), "{wrong}");
        }
    }
}
