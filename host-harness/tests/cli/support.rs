//! What every CLI test uses: running the CLI, a directory of the test's own, a CLI left
//! running, and the settings file of a simulator.

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::process::{Child, Command};

use servicenow_simulator::Simulator;

pub const CLI: &str = env!("CARGO_BIN_EXE_host-harness");

/// Runs the CLI with these arguments; answers its exit status and all it printed.
pub fn run(args: &[&str]) -> (bool, String) {
    let output = Command::new(CLI)
        .args(args)
        .env_remove("SERVICENOW_CLIENT_SECRET")
        // A proxy of the machine's is not the test's.
        .env_remove("HTTPS_PROXY")
        .env_remove("NO_PROXY")
        .output()
        .expect("the CLI runs");
    let mut printed = String::from_utf8_lossy(&output.stdout).into_owned();
    printed.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), printed)
}

/// Runs the CLI with these arguments on the settings file `config`, with the allowance a
/// loopback simulator needs.
pub fn run_with(config: &str, args: &[&str]) -> (bool, String) {
    let mut all = args.to_vec();
    all.extend(["--config", config, "--allow-private-network"]);
    run(&all)
}

/// Asserts the exit status of a run and keeps what it printed.
#[track_caller]
pub fn expect(printed: &mut String, ok: bool, (success, out): (bool, String)) {
    assert_eq!(success, ok, "{out}");
    printed.push_str(&out);
}

/// A directory of the test's own, removed with what it holds when the test ends.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// The path of `name` in the directory.
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }

    /// Writes `contents` to `name` in the directory; answers its path.
    pub fn file(&self, name: &str, contents: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A CLI the test started, killed and reaped if the test ends (or fails) before it exits.
pub struct KillOnDrop(pub Child);

impl Deref for KillOnDrop {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Fails the test, with what the CLI wrote to stderr, once it has exited.
#[track_caller]
pub fn assert_running(child: &mut Child) {
    if let Some(status) = child.try_wait().unwrap() {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
        }
        panic!("the CLI exited ({status}): {stderr}");
    }
}

pub fn config(sim: &Simulator, secret: &str) -> String {
    format!(
        "instance = \"{}\"\nclient_id = \"{}\"\nclient_secret = \"{secret}\"\n\
         default_assignment_group = \"Cloud Operations\"\n\
         ticket_categories = [ {{ event_category = \"cost-optimization\", kind = \"incident\" }} ]\n",
        sim.base_url(),
        sim.client_id()
    )
}

/// A simulator on loopback, and a directory of the test's own holding its settings file
/// (`good.toml`, with the right client secret).
pub async fn simulator_with_settings(dir_name: &str) -> (Simulator, TempDir, String) {
    let sim = Simulator::start().await.unwrap();
    let dir = TempDir::new(dir_name);
    let good = dir.file("good.toml", &config(&sim, &sim.client_secret()));
    (sim, dir, good)
}

/// `create-ticket`'s arguments for a cost-optimization event titled `title`.
pub fn create_ticket(title: &str) -> [&str; 5] {
    [
        "create-ticket",
        "--category",
        "cost-optimization",
        "--title",
        title,
    ]
}
