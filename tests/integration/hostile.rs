//! A hostile tenant against the host library, loaded exactly as a platform loads the real
//! component: `tests/hostile-guest` speaks the contract and, asked to create a ticket,
//! attacks the host (see its crate doc). Each test holds the host to its bound, and a real
//! tenant beside the attacker keeps working.

use std::sync::OnceLock;
use std::time::Duration;

use servicenow_simulator::Simulator;
use ticketing_host::api::{Candidate, CreateOutcome, ErrorKind, Setting};
use ticketing_host::{Host, SandboxLimits, Tenant};

use support::{limits, open, setup};

/// The hostile guest under the tests' limits (loopback allowed, for the simulator).
fn hostile_host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| {
        support::host_events();
        Host::from_file(component_artifact::hostile_guest_path(), limits())
            .expect("the hostile guest loads")
    })
}

/// An attacker configured for `sim`, under `host`.
async fn attacker(host: &Host, sim: &Simulator) -> Tenant {
    let mut tenant = host.tenant("attacker").await.expect("an instance");
    tenant
        .configure(&[Setting::text("instance", sim.base_url())], &[])
        .await
        .expect("no trap")
        .expect("it takes any settings");
    tenant
}

/// Carries out the attack `title` names; what the guest says it got.
async fn attack(tenant: &mut Tenant, title: &str) -> String {
    let mut ticket = support::ticket("any", title);
    ticket.description = String::new();
    match tenant.create_ticket(&ticket).await {
        Ok(Ok(CreateOutcome::Skipped(got))) => got,
        other => panic!("{title}: {other:?}"),
    }
}

/// The number in `said` after `word` ("handed 4, refused 196": `handed` → 4).
fn count(said: &str, word: &str) -> u64 {
    said.split(", ")
        .find_map(|part| part.strip_prefix(word)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {word:?} in {said:?}"))
}

/// This process's resident memory, in bytes (Linux).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Runs the test `name` of this binary in a process of its own, so that what it measures of
/// the process (its memory) is its own, not its neighbours'; true inside that process.
fn alone(name: &str) -> bool {
    const ALONE: &str = "HOSTILE_TEST_ALONE";
    if std::env::var_os(ALONE).is_some() {
        return true;
    }
    let status = std::process::Command::new(std::env::current_exe().expect("this test binary"))
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(ALONE, "1")
        .status()
        .expect("the test runs in a process of its own");
    assert!(status.success(), "{name} failed in its own process");
    false
}

/// 200 POSTs with 4 MiB written into each body and none finished: the host takes at most
/// four at once and buffers at most 8 MiB of their bodies; the rest fail at once. A real
/// tenant's ticket goes through meanwhile.
#[tokio::test]
async fn bodies_in_flight_are_bounded_per_tenant() {
    if !alone("hostile::bodies_in_flight_are_bounded_per_tenant") {
        return;
    }
    let (sim, mut neighbour) = setup().await;
    let mut tenant = attacker(hostile_host(), &sim).await;
    let before = rss();
    let said = attack(&mut tenant, "bodies 200 4194304").await;
    let (in_flight, buffered) = tenant.requests_in_flight();
    let grown = rss().saturating_sub(before);
    assert!(in_flight <= 4, "{in_flight} under way ({said})");
    assert!(buffered <= 8 << 20, "{buffered} bytes buffered ({said})");
    assert!(
        count(&said, "refused") + count(&said, "handed") == 200,
        "{said}"
    );
    // Before the bound the same attack grew the host by some 800 MiB.
    println!("{said}: the host grew by {} MiB", grown >> 20);
    assert!(grown < 64 << 20, "the host grew by {} MiB", grown >> 20);
    open(&mut neighbour, "cost-optimization", "Idle VM next door").await;
}

/// A header collection past 16 KiB traps the call (wasmtime-wasi-http's answer to it), and
/// the tenant is rebuilt; smaller ones count against the tenant's host resources.
#[tokio::test]
async fn header_collections_are_bounded() {
    let sim = Simulator::start().await.expect("simulator starts");
    let mut tenant = attacker(hostile_host(), &sim).await;
    let title = "fields 5000 120000";
    let trapped = tenant.create_ticket(&support::ticket("any", title)).await;
    let trap = trapped.expect_err("a collection past the limit traps");
    assert!(
        format!("{trap:#}").contains("fields exceeds limit"),
        "{trap:#}"
    );
    let said = attack(&mut tenant, "fields 500 8000").await;
    assert_eq!(count(&said, "made"), 500, "{said}");
}

/// 50 GETs at once, their answers never read: four go out, and their answers are dropped
/// (connections closed, places given back) once the between-bytes timeout passes.
#[tokio::test]
async fn unread_answers_are_dropped_and_connections_bounded() {
    if !alone("hostile::unread_answers_are_dropped_and_connections_bounded") {
        return;
    }
    let sim = Simulator::start().await.expect("simulator starts");
    let descriptors = || std::fs::read_dir("/proc/self/fd").map_or(0, |fds| fds.count());
    let host = hostile_host().with_limits(SandboxLimits {
        http_timeout: Duration::from_millis(500),
        ..limits()
    });
    let mut tenant = attacker(&host, &sim).await;
    let before = descriptors();
    let said = attack(&mut tenant, "unread 50").await;
    let held = descriptors();
    assert_eq!(count(&said, "answered"), 4, "{said}");
    assert!(sim.connections() <= 5, "{} connections", sim.connections());
    assert_eq!(tenant.requests_in_flight().0, 4);
    // Each connection is two descriptors in this process: the host's end and the
    // simulator's.
    println!("{said}: {before} descriptors before, {held} while the answers are held");
    assert!(
        held <= before + 2 * 5,
        "{before} descriptors before, {held} during"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(tenant.requests_in_flight(), (0, 0));
    let again = attack(&mut tenant, "unread 2").await;
    assert_eq!(count(&again, "answered"), 2, "{again}");
}

/// A request handed to the host before the platform suspends or reconfigures the tenant, or
/// during a candidate's test, does not go out afterwards, even when the guest finishes its
/// body then.
#[tokio::test]
async fn nothing_leaves_after_suspend_or_a_new_configure() {
    let sim = Simulator::start().await.expect("simulator starts");
    let mut tenant = attacker(hostile_host(), &sim).await;
    let posts = |sim: &Simulator| sim.requests().iter().filter(|r| r.method == "POST").count();

    attack(&mut tenant, "unfinished").await;
    tenant.suspend();
    let said = attack(&mut tenant, "finish").await;
    assert_eq!(count(&said, "finished"), 1, "{said}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(posts(&sim), 0, "sent after suspend");
    tenant.resume();

    attack(&mut tenant, "unfinished").await;
    tenant
        .configure(&[Setting::text("instance", sim.base_url())], &[])
        .await
        .unwrap()
        .unwrap();
    attack(&mut tenant, "finish").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(posts(&sim), 0, "sent after a new configure");
    assert_eq!(tenant.requests_in_flight(), (0, 0));

    // A candidate's test begins a POST to the candidate; the window closes with the call.
    let candidate_sim = Simulator::start().await.expect("simulator starts");
    let candidate = Candidate {
        settings: vec![Setting::text("instance", candidate_sim.base_url())],
        secrets: Vec::new(),
    };
    tenant.test_candidate(&candidate).await.unwrap().unwrap();
    attack(&mut tenant, "finish").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(posts(&candidate_sim), 0, "sent after the candidate's test");
    assert_eq!(posts(&sim), 0);
}

/// A component that takes an address naming no origin: the host, not the guest, decides
/// whether the settings are usable, and says which field is wrong.
#[tokio::test]
async fn settings_that_name_no_origin_are_refused_by_the_host() {
    let sim = Simulator::start().await.expect("simulator starts");
    let mut tenant = attacker(hostile_host(), &sim).await;
    for address in ["localhost.", "http:\\\\x", ""] {
        let error = tenant
            .configure(&[Setting::text("instance", address)], &[])
            .await
            .expect("no trap")
            .expect_err(address);
        assert_eq!(error.kind, ErrorKind::InvalidSettings, "{address:?}");
        assert_eq!(error.field.as_deref(), Some("instance"), "{address:?}");
        assert!(
            error.message.contains("names no origin"),
            "{}",
            error.message
        );
        assert!(error.remedy.is_some());
    }
    assert!(tenant.allowed_origin().is_none(), "nothing is reachable");
}

/// A guest that spins is stopped once it has run for its CPU budget, long before the call's
/// deadline, and the tenant is rebuilt and answers its next call.
#[tokio::test]
async fn a_spinning_guest_is_stopped_by_its_cpu_budget() {
    let sim = Simulator::start().await.expect("simulator starts");
    let host = hostile_host().with_limits(SandboxLimits {
        max_guest_cpu: Duration::from_millis(300),
        ..limits()
    });
    let mut tenant = attacker(&host, &sim).await;
    let trap = tenant
        .create_ticket(&support::ticket("any", "spin"))
        .await
        .expect_err("stopped");
    // Stopped by its CPU budget, not by the call's deadline.
    assert!(format!("{trap:#}").contains("max_guest_cpu"), "{trap:#}");
    assert!(!format!("{trap:#}").contains("deadline"), "{trap:#}");
    let said = attack(&mut tenant, "fields 1 10").await;
    assert_eq!(count(&said, "made"), 1, "{said}");
}
