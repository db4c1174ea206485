//! The simulator in a process of its own, for the figures its memory must stay out of: it
//! keeps every ticket and request, and its end of each tenant's connection, none of which a
//! platform's process holds. Started as `host-harness simulator --json --until-stdin-closes`
//! (this binary), so it ends with the pipe however the bench ends.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};

use anyhow::{Context, Result, bail};

use super::Readiness;

/// A simulator in a child process, and the settings that make a tenant talk to it.
pub(super) struct OutsideSimulator {
    child: Child,
    /// Held open: the simulator stops when it closes.
    stdin: Option<ChildStdin>,
    pub(super) ready: Readiness,
}

impl OutsideSimulator {
    /// Starts it and reads the line of JSON it prints once it listens.
    pub(super) fn start() -> Result<Self> {
        let exe = std::env::current_exe().context("finding this program to run its simulator")?;
        let mut child = Command::new(exe)
            .args(["simulator", "--json", "--until-stdin-closes"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the simulator in a process of its own")?;
        let stdin = child.stdin.take();
        let started = child
            .stdout
            .take()
            .map(|out| {
                let mut line = String::new();
                BufReader::new(out).read_line(&mut line).map(|_| line)
            })
            .transpose()?
            .unwrap_or_default();
        let started: serde_json::Value = match serde_json::from_str(&started) {
            Ok(value) => value,
            Err(e) => {
                let _ = child.kill();
                bail!("the simulator's process did not say where it listens: {e}");
            }
        };
        let field = |name: &str| started[name].as_str().unwrap_or_default().to_string();
        let ready = Readiness::new(
            field("base_url"),
            field("client_id"),
            field("client_secret"),
        );
        Ok(Self {
            child,
            stdin,
            ready,
        })
    }
}

impl Drop for OutsideSimulator {
    fn drop(&mut self) {
        drop(self.stdin.take());
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
