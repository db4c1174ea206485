//! An on-premise instance reached with curl's options: a pinned name, a private CA, one
//! private network, a client certificate.

use servicenow_simulator::Simulator;

use crate::support::*;

/// An HTTPS simulator as an on-premise instance named `name`, with what the CLI needs to
/// reach it: its settings file and its CA's PEM file in a directory of the test's own.
struct OnPremise {
    sim: Simulator,
    dir: TempDir,
    settings: String,
    cacert: String,
    resolve: String,
}

impl OnPremise {
    fn new(sim: Simulator, name: &str) -> Self {
        let dir = TempDir::new(&format!("cli-{name}"));
        let settings = dir.file("settings.toml", &config(&sim, &sim.client_secret()));
        let cacert = dir.file("ca.pem", &Simulator::test_ca().unwrap().1);
        Self {
            resolve: format!("{name}:*:127.0.0.1"),
            sim,
            dir,
            settings,
            cacert,
        }
    }

    /// create-ticket's arguments to reach it: the settings, its name pinned to loopback, and
    /// that one network admitted; `extra` after them.
    fn create<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = create_ticket("Idle VM on premise").to_vec();
        args.extend([
            "--config",
            &self.settings,
            "--resolve",
            &self.resolve,
            "--allow-network",
            "127.0.0.0/8",
        ]);
        args.extend(extra);
        args
    }
}

/// The path of an on-premise instance, with curl's options: HTTPS to a name the platform
/// pins (`--resolve`), a private CA it trusts (`--cacert`), and one private network admitted
/// (`--allow-network`) instead of all of them. Without the CA the certificate is refused.
#[tokio::test(flavor = "multi_thread")]
async fn an_on_premise_instance_with_curls_options() {
    const NAME: &str = "sn.corp.example.test";
    let at = OnPremise::new(Simulator::start_tls(NAME).await.unwrap(), NAME);
    let (ok, out) = run(&at.create(&["--cacert", &at.cacert]));
    assert!(ok, "{out}");
    assert!(out.contains("INC0010001"), "{out}");
    let (ok, out) = run(&at.create(&[]));
    assert!(!ok);
    assert!(out.contains("TLS certificate is not trusted"), "{out}");
    let (ok, out) = run(&at.create(&["--cacert", &at.settings]));
    assert!(!ok);
    assert!(out.contains("holds no certificate"), "{out}");
    assert_eq!(at.sim.records("incident").len(), 1);
}

/// An instance that requires mutual TLS: curl's --cert and --key give the tenant its client
/// certificate; without them the handshake is refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_certificate_with_curls_options() {
    const NAME: &str = "mtls.corp.example.test";
    let at = OnPremise::new(Simulator::start_mutual_tls(NAME).await.unwrap(), NAME);
    let (cert, key) = Simulator::client_certificate_pem("cxm-cli").unwrap();
    let cert = at.dir.file("client.pem", &cert);
    let key = at.dir.file("client.key", &key);
    let (ok, out) = run(&at.create(&["--cacert", &at.cacert]));
    assert!(!ok, "no client certificate: {out}");
    let (ok, out) = run(&at.create(&["--cacert", &at.cacert, "--cert", &cert, "--key", &key]));
    assert!(ok, "{out}");
    assert!(!out.contains("PRIVATE KEY"), "{out}");
    assert_eq!(at.sim.records("incident").len(), 1);
}
