//! The client secret and the access tokens never leave the places they are for (the token
//! request's body, the Authorization header): every scenario of the diagnosis and of the
//! tenant boundary is run, and everything the platform could show or store of it (errors,
//! reports, outcomes, the tenant's log, the host's tracing events) is scanned for them.

use std::fmt::Debug;

use servicenow_simulator::{Canned, Faults, Simulator};
use ticketing_host::Tenant;
use ticketing_host::api::{CommentKind, Resolution, TicketChanges};

use support::{attachments_on, client_secret, configure_ok, host, incident, secret, ticket};

/// Everything the platform got back, as `Debug` shows it (the most it could ever log).
#[derive(Default)]
struct Seen(String);

impl Seen {
    fn add(&mut self, what: &impl Debug) {
        self.0.push_str(&format!("{what:?}\n"));
    }

    fn log_of(&mut self, tenant: &Tenant) {
        for entry in tenant.log() {
            self.add(&entry);
        }
    }
}

/// The bearer tokens the instance saw: every access token that was ever granted and used.
fn tokens_used(sim: &Simulator) -> Vec<String> {
    sim.requests()
        .iter()
        .filter_map(|r| r.header("authorization"))
        .filter_map(|h| h.strip_prefix("Bearer "))
        .map(str::to_string)
        .collect()
}

/// Every call of the contract once, against whatever state the instance is in.
async fn every_call(tenant: &mut Tenant, seen: &mut Seen) {
    seen.add(&tenant.test_connection().await);
    let mut t = ticket("cost-optimization", "scan");
    t.correlation_id = Some("scan-1".into());
    let created = tenant.create_ticket(&t).await;
    seen.add(&created);
    let id = match &created {
        Ok(Ok(ticketing_host::api::CreateOutcome::Created(w))) => w.ticket.display_id.clone(),
        _ => "INC0010001".into(),
    };
    let reference = incident(&id);
    seen.add(&tenant.get_ticket(&reference).await);
    let changes = TicketChanges {
        priority: None,
        assignment_group: Some("Cloud Operations".into()),
        title: None,
        description: Some("more".into()),
        extra_fields: vec![],
    };
    seen.add(&tenant.update_ticket(&reference, &changes).await);
    seen.add(
        &tenant
            .add_comment(&reference, CommentKind::Internal, "note")
            .await,
    );
    let resolution = Resolution {
        code: "Solution provided".into(),
        notes: "done".into(),
    };
    seen.add(&tenant.resolve_ticket(&reference, &resolution).await);
    seen.add(
        &tenant
            .resolve_by_correlation("cost-optimization", "scan-1", &resolution)
            .await,
    );
    seen.add(
        &tenant
            .attach_file(&reference, "scan.csv", "text/csv", b"a,b\n")
            .await,
    );
    let start = tenant.changes_since(None).await;
    seen.add(&start);
    let cursor = match &start {
        Ok(Ok(page)) => Some(page.cursor.clone()),
        _ => None,
    };
    seen.add(&tenant.changes_since(cursor.as_deref()).await);
}

fn faults() -> Vec<Faults> {
    let one = |change: fn(&mut Faults)| {
        let mut faults = Faults::default();
        change(&mut faults);
        faults
    };
    vec![
        Faults::default(),
        one(|f| f.grant_disabled = true),
        one(|f| f.application_inactive = true),
        one(|f| f.oauth_user_missing = true),
        one(|f| f.hibernating = true),
        one(|f| f.login_page = true),
        one(|f| f.auth_scope_missing = true),
        one(|f| f.acl_deny_read = vec!["incident".into()]),
        one(|f| f.acl_deny_insert = vec!["incident".into()]),
        one(|f| f.acl_deny_update = vec!["incident".into()]),
        one(|f| f.reject_tokens = true),
        one(|f| f.rate_limit = Some(3600)),
        one(|f| f.rate_limited_calls = 1),
        one(|f| f.unavailable = true),
        one(|f| f.unavailable_calls = 1),
        one(|f| f.lost_insert_answers = 1),
        one(|f| {
            f.canned = vec![Canned::json(
                "/api/now/table/incident",
                400,
                r#"{"error":{"message":"Exception while reading request","detail":"bad"},"status":"failure"}"#,
            )]
        }),
    ]
}

#[tokio::test]
async fn no_secret_and_no_token_in_anything_the_platform_sees() {
    // The host's events from here on (and from every other test of the run).
    support::host_events();
    let sim = support::instance().await;
    let mut seen = Seen::default();
    let mut tenant = host().tenant("scan").await.unwrap();
    // Attachments on, so that attach-file's upload is among the calls scanned.
    let form = attachments_on(&sim);
    let good = form.values();

    // Settings the admin gets wrong, the secret among them.
    let wrong = client_secret("wrong-secret-3f9a1c");
    let spaced = client_secret(format!("{} ", sim.client_secret()));
    let mut with_password = form.clone();
    with_password.instance = format!("https://admin:{}@dev1.service-now.com", sim.client_secret());
    seen.add(&tenant.configure(&good, &spaced).await);
    seen.add(
        &tenant
            .configure(&with_password.values(), &secret(&sim))
            .await,
    );
    tenant.configure(&good, &wrong).await.unwrap().unwrap();
    every_call(&mut tenant, &mut seen).await;

    for fault in faults() {
        configure_ok(&mut tenant, &sim, &form).await;
        sim.expire_all_tokens();
        sim.set_faults(fault);
        every_call(&mut tenant, &mut seen).await;
    }
    sim.set_faults(Faults::default());
    // A token that expires on the instance's side while cached.
    configure_ok(&mut tenant, &sim, &form).await;
    every_call(&mut tenant, &mut seen).await;
    sim.expire_all_tokens();
    every_call(&mut tenant, &mut seen).await;
    seen.log_of(&tenant);
    seen.0.push_str(&support::host_events());

    let tokens = tokens_used(&sim);
    assert!(
        tokens.len() > 10,
        "the scan covered granted tokens: {}",
        tokens.len()
    );
    let mut needles = vec![sim.client_secret(), "wrong-secret-3f9a1c".to_string()];
    needles.extend(tokens);
    for needle in &needles {
        assert!(
            !seen.0.contains(needle.as_str()),
            "{needle:?} appears in what the platform sees"
        );
    }
    // The scan saw something of every kind: errors, reports and log lines.
    for expected in [
        "CredentialsRefused",
        "checks",
        "Exchange",
        "RateLimited",
        "NotTheService",
        // The host's tracing: a call, and a request by method and path.
        "call=\"create_ticket\"",
        "path=\"/oauth_token.do\"",
    ] {
        assert!(seen.0.contains(expected), "the scan missed {expected}");
    }
}
