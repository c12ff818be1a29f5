//! Running the external programs relgate reads from (cargo, rustc, git).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::error::{Error, Result};

/// Runs `program args` in `cwd`, capturing output; a program that cannot be
/// started is [`Error::ToolMissing`].
pub(crate) fn run(program: &str, args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Result<Output> {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(cwd).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().map_err(|e| Error::ToolMissing {
        program: program.to_owned(),
        reason: e.to_string(),
    })
}

/// A program that ran and exited with an error ([`Error::ToolFailed`]),
/// with what it printed on stderr.
pub(crate) fn failed(program: &str, args: &[&str], stderr: &[u8]) -> Error {
    Error::ToolFailed {
        command: format!("{program} {}", args.join(" ")),
        stderr: String::from_utf8_lossy(stderr).trim().to_owned(),
    }
}
