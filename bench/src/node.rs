//! V8 as a peer: a Node.js process per V8 configuration, running
//! `bench/node/peer.mjs`, asked one request at a time. V8 times its own work.

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// Which V8 compiler compiles every function, eagerly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum V8Tier {
    Liftoff,
    TurboFan,
}

pub struct NodePeer {
    child: Child,
    /// `None` once closed, which ends the process.
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

/// `node --version`, or `None` when Node.js is not installed.
pub fn node_version() -> Option<String> {
    let out = Command::new("node").arg("--version").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().trim_start_matches('v').to_string())
}

impl NodePeer {
    /// Starts V8 with `tier` only, eager compilation, and one thread or as
    /// many as V8 likes.
    pub fn start(root: &Path, tier: V8Tier, single_threaded: bool) -> Result<NodePeer> {
        let mut cmd = Command::new("node");
        cmd.args(["--expose-gc", "--no-wasm-lazy-compilation"]);
        match tier {
            V8Tier::Liftoff => cmd.args(["--liftoff-only", "--no-wasm-tier-up", "--no-wasm-dynamic-tiering"]),
            V8Tier::TurboFan => cmd.args(["--no-liftoff"]),
        };
        if single_threaded {
            cmd.arg("--single-threaded");
        }
        cmd.arg(root.join("bench/node/peer.mjs"));
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().context("starting node")?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(NodePeer { child, stdin, stdout })
    }

    /// Sends one request; returns V8's own timing in seconds and the rest
    /// of the answer.
    pub(crate) fn request(&mut self, line: &str) -> Result<(f64, String)> {
        let stdin = self.stdin.as_mut().context("node's input is closed")?;
        writeln!(stdin, "{line}")?;
        stdin.flush()?;
        let mut answer = String::new();
        if self.stdout.read_line(&mut answer)? == 0 {
            bail!("node exited");
        }
        let answer = answer.trim_end();
        let Some(rest) = answer.strip_prefix("ok ") else {
            bail!("V8: {}", answer.strip_prefix("err ").unwrap_or(answer));
        };
        let (nanos, result) = rest.split_once(' ').unwrap_or((rest, ""));
        Ok((nanos.parse::<f64>().context("V8's timing")? * 1e-9, result.to_string()))
    }

    pub fn compile(&mut self, path: &Path) -> Result<f64> {
        Ok(self.request(&format!("compile {}", path.display()))?.0)
    }

    pub fn instantiate(&mut self, path: &Path) -> Result<f64> {
        Ok(self.request(&format!("instantiate {}", path.display()))?.0)
    }

    /// Calls `export(arg)`; returns the time and the result as text.
    pub fn run(&mut self, path: &Path, export: &str, arg: i32) -> Result<(f64, String)> {
        self.request(&format!("run {} {export} {arg}", path.display()))
    }
}

impl Drop for NodePeer {
    fn drop(&mut self) {
        // End of input ends the peer.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}
