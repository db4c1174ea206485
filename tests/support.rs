//! What the integration tests share: one host for the component this workspace built, the
//! simulator's settings, and tenants configured for it.

use std::sync::OnceLock;

use servicenow_simulator::{RecordedRequest, Simulator};
use ticketing_host::api::{
    CreateOutcome, Error as ProviderError, Setting, Ticket, TicketCategory, TicketDetails,
    TicketRecord, TicketRef, WrittenTicket,
};
use ticketing_host::{Host, Resolve, SandboxLimits, Secret, Tenant};

/// Compiling the component is the slow part of a host; every test shares one. Its tenants
/// may reach loopback (the simulator): see [`limits`].
pub fn host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| host_with(limits()))
}

/// The host name the tests' HTTPS simulators answer as; the tests' host resolves it to
/// loopback, as a platform pins an on-premise instance's name.
pub const INSTANCE_NAME: &str = "dev12345.service-now.test";

/// The default sandbox policy plus what the tests need: the simulator listens on loopback,
/// which tenants may reach only when the host allows private networks; its name resolves
/// there (on any port); and its certificates' CA is trusted, as a platform trusts an
/// on-premise instance's private CA.
pub fn limits() -> SandboxLimits {
    let (ca, _) = Simulator::test_ca().expect("the simulators' test CA");
    SandboxLimits {
        allow_private_network: true,
        resolve: vec![Resolve {
            host: INSTANCE_NAME.into(),
            port: 0,
            address: std::net::Ipv4Addr::LOCALHOST.into(),
        }],
        extra_roots: vec![ca],
        ..SandboxLimits::default()
    }
}

/// The same component under the default policy, as a platform runs real tenants: no
/// loopback, no private addresses.
pub fn strict_host() -> Host {
    host().with_limits(SandboxLimits::default())
}

/// A host of its own for the built component, with these limits.
pub fn host_with(limits: SandboxLimits) -> Host {
    // The host's events are captured from the first host on (see `host_events`).
    host_events();
    Host::from_file(component_artifact::component_path(), limits)
        .expect("the built component loads")
}

/// The settings a test changes before configuring, as typed values; [`Form::values`] gives
/// them as the platform sends them, by the keys of the form the component describes.
#[derive(Clone, Debug)]
pub struct Form {
    pub instance: String,
    pub client_id: String,
    pub default_assignment_group: Option<String>,
    pub default_priority: Option<&'static str>,
    pub ticket_categories: Vec<TicketCategory>,
    pub unlisted_category_kind: Option<String>,
    pub on_closed_match: Option<&'static str>,
    /// The `attachments` flag; not sent when none (its default, off).
    pub attachments: Option<bool>,
    /// Further settings, sent after the others as they are.
    pub more: Vec<Setting>,
}

impl Form {
    /// The form with `setting` sent too.
    pub fn with(mut self, setting: Setting) -> Form {
        self.more.push(setting);
        self
    }

    /// The form with the flag `key` sent as `on`.
    pub fn with_flag(self, key: &str, on: bool) -> Form {
        self.with(Setting::flag(key, on))
    }

    pub fn values(&self) -> Vec<Setting> {
        let mut values = vec![
            Setting::text("instance", &self.instance),
            Setting::text("client_id", &self.client_id),
            Setting::ticket_categories("ticket_categories", self.ticket_categories.clone()),
        ];
        let optional = [
            (
                "default_assignment_group",
                self.default_assignment_group.as_deref(),
            ),
            ("default_priority", self.default_priority),
            (
                "unlisted_category_kind",
                self.unlisted_category_kind.as_deref(),
            ),
            ("on_closed_match", self.on_closed_match),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                values.push(Setting::text(key, value));
            }
        }
        if let Some(flag) = self.attachments {
            values.push(Setting::flag("attachments", flag));
        }
        values.extend(self.more.iter().cloned());
        values
    }
}

pub fn settings(sim: &Simulator) -> Form {
    Form {
        instance: sim.base_url(),
        client_id: sim.client_id(),
        default_assignment_group: None,
        default_priority: None,
        ticket_categories: vec![
            category("cost-optimization", "incident", true),
            category("maintenance", "change_request", true),
            category("paused", "incident", false),
        ],
        unlisted_category_kind: None,
        on_closed_match: None,
        attachments: None,
        more: vec![],
    }
}

pub fn category(name: &str, kind: &str, enabled: bool) -> TicketCategory {
    TicketCategory::new(name, kind, enabled)
}

/// The client secret, as the platform sends it.
pub fn client_secret(value: impl Into<String>) -> Vec<Secret> {
    vec![Secret::new("client_secret", value)]
}

pub fn secret(sim: &Simulator) -> Vec<Secret> {
    client_secret(sim.client_secret())
}

/// The settings with the admin's Attachments flag on.
pub fn attachments_on(sim: &Simulator) -> Form {
    Form {
        attachments: Some(true),
        ..settings(sim)
    }
}

/// Configures `tenant` with `form` and the simulator's secret, failing the test unless the
/// settings are taken.
pub async fn configure_ok(tenant: &mut Tenant, sim: &Simulator, form: &Form) {
    tenant
        .configure(&form.values(), &secret(sim))
        .await
        .expect("no trap")
        .expect("valid settings");
}

/// A tenant `name` of `host`, configured with `form` for `sim`.
pub async fn configured(host: &Host, name: &str, sim: &Simulator, form: &Form) -> Tenant {
    let mut tenant = host.tenant(name).await.expect("tenant");
    configure_ok(&mut tenant, sim, form).await;
    tenant
}

/// A simulator speaking HTTPS as [`INSTANCE_NAME`], the way a real instance is reached.
pub async fn instance() -> Simulator {
    Simulator::start_tls(INSTANCE_NAME)
        .await
        .expect("simulator starts")
}

/// An HTTPS simulator and a tenant configured for it.
pub async fn setup() -> (Simulator, Tenant) {
    let sim = instance().await;
    let tenant = configured(host(), "test-tenant", &sim, &settings(&sim)).await;
    (sim, tenant)
}

/// A tenant configured for a loopback port nobody listens on.
pub async fn offline_tenant() -> Tenant {
    let sim = Simulator::start().await.expect("simulator starts");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let form = Form {
        instance: format!("http://127.0.0.1:{port}"),
        ..settings(&sim)
    };
    configured(host(), "offline", &sim, &form).await
}

/// An incident, by number or sys_id.
pub fn incident(id: &str) -> TicketRef {
    TicketRef {
        kind: "incident".into(),
        id: id.into(),
    }
}

/// The error of a plain ticket that must fail (without a trap).
pub async fn create_error(tenant: &mut Tenant) -> ProviderError {
    refused(tenant, &ticket("cost-optimization", "x")).await
}

/// The error creating `ticket` must fail with (without a trap).
pub async fn refused(tenant: &mut Tenant, ticket: &Ticket) -> ProviderError {
    tenant
        .create_ticket(ticket)
        .await
        .expect("no trap")
        .expect_err("the create should fail")
}

/// Someone on the instance closes the record (state 6 or 7) with a close code and notes.
pub fn close_on_instance(sim: &Simulator, sys_id: &str, state: &str) {
    let fields = serde_json::json!({"state": state, "close_code": "Solution provided", "close_notes": "done"});
    let closed = sim.update_record(
        "incident",
        sys_id,
        fields.as_object().cloned().unwrap_or_default(),
    );
    assert!(closed.is_some(), "no incident {sys_id} to close");
}

pub fn ticket(category: &str, title: &str) -> Ticket {
    Ticket {
        description: format!("{title}: details"),
        ..Ticket::new(category, title)
    }
}

pub fn table_calls(sim: &Simulator, method: &str) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.starts_with("/api/now/table/"))
        .collect()
}

/// A field of a ticket's details as the instance stores it; empty when absent.
pub fn field<'a>(details: &'a TicketDetails, name: &str) -> &'a str {
    details
        .fields
        .iter()
        .find(|f| f.name == name)
        .map_or("", |f| f.value.as_str())
}

/// Opens a plain ticket and returns it, failing the test otherwise.
pub async fn open(tenant: &mut Tenant, category: &str, title: &str) -> TicketRecord {
    create(tenant, &ticket(category, title)).await
}

/// Creates `ticket` and returns the new record, failing the test unless it was created with
/// every field applied.
pub async fn create(tenant: &mut Tenant, ticket: &Ticket) -> TicketRecord {
    created(create_outcome(tenant, ticket).await)
}

/// What creating `ticket` came to; fails the test on a trap or an error.
pub async fn create_outcome(tenant: &mut Tenant, ticket: &Ticket) -> CreateOutcome {
    tenant
        .create_ticket(ticket)
        .await
        .unwrap_or_else(|trap| panic!("{:?}: {trap:#}", ticket.title))
        .unwrap_or_else(|error| panic!("{:?}: {error:?}", ticket.title))
}

/// What creating `ticket` wrote, fields not applied included; fails the test unless it was
/// created.
pub async fn create_written(tenant: &mut Tenant, ticket: &Ticket) -> WrittenTicket {
    match create_outcome(tenant, ticket).await {
        CreateOutcome::Created(written) => written,
        other => panic!("not created: {other:?}"),
    }
}

/// The record of a `Created` outcome with every field applied; fails the test otherwise.
pub fn created(outcome: CreateOutcome) -> TicketRecord {
    match outcome {
        CreateOutcome::Created(written) => {
            assert!(written.not_applied.is_empty(), "{:?}", written.not_applied);
            written.ticket
        }
        other => panic!("not created: {other:?}"),
    }
}

/// Everything the host's `tracing` events said in this test run, as a platform's subscriber
/// would print it: installed as the process's subscriber by the first call (events of the
/// host only, every level), which making any host does first, so that no event is emitted
/// before it.
pub fn host_events() -> String {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    static EVENTS: OnceLock<Captured> = OnceLock::new();
    let events = EVENTS.get_or_init(|| {
        let events = Captured::default();
        let writer = events.clone();
        let host_only = tracing_subscriber::filter::Targets::new()
            .with_target("ticketing_host", tracing::Level::TRACE);
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish()
            .with(host_only)
            .init();
        events
    });
    String::from_utf8_lossy(&events.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

/// A writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut buffer = self.0.lock().unwrap_or_else(|e| e.into_inner());
        buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An HTTP `CONNECT` proxy on loopback, as a platform's: it records each tunnel's target and,
/// when made with credentials, answers 407 to a request without them.
pub struct ConnectProxy {
    pub address: String,
    targets: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ConnectProxy {
    pub async fn start(credentials: Option<&str>) -> ConnectProxy {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let targets = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = targets.clone();
        // What a client's Proxy-Authorization must say (base64 of user:password).
        let expected = credentials.map(str::to_string);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let seen = seen.clone();
                let expected = expected.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if client.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let Some(target) = head
                        .strip_prefix("CONNECT ")
                        .and_then(|rest| rest.split_whitespace().next())
                    else {
                        let _ = client
                            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                            .await;
                        return;
                    };
                    if let Some(expected) = &expected {
                        let given = format!("proxy-authorization: basic {expected}");
                        if !head
                            .to_ascii_lowercase()
                            .contains(&given.to_ascii_lowercase())
                        {
                            let _ = client
                                .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                                .await;
                            return;
                        }
                    }
                    seen.lock().unwrap().push(target.to_string());
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                        return;
                    };
                    if client
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .await
                        .is_ok()
                    {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                });
            }
        });
        ConnectProxy { address, targets }
    }

    /// The targets of the tunnels it opened, in order.
    pub fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}
