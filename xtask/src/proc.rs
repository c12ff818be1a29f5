//! Running programs: plain runs with clear errors, and measured runs (wall
//! time and peak RSS).

use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::{Failure, Result};

/// `program arg arg…` for messages.
pub fn describe(cmd: &Command) -> String {
    let mut parts = vec![show(cmd.get_program())];
    parts.extend(cmd.get_args().map(show));
    parts.join(" ")
}

fn show(s: &OsStr) -> String {
    let s = s.to_string_lossy();
    if s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
        format!("'{}'", s.replace('\'', r"'\''"))
    } else {
        s.into_owned()
    }
}

/// Runs `cmd` to completion with inherited stdio; a program that cannot be
/// started is a [`Failure::setup`] (exit 2).
pub fn status(cmd: &mut Command) -> Result<ExitStatus> {
    cmd.status()
        .map_err(|e| Failure::setup(format!("cannot run `{}`: {e}", describe(cmd))))
}

/// Where output nobody reads goes.
#[derive(Debug, Clone)]
pub enum Sink {
    /// `/dev/null`.
    Null,
    /// A scratch file, truncated for every run.
    File(PathBuf),
}

impl Sink {
    /// `/dev/null` when it is the real device. Some sandboxes have a regular
    /// file there instead: writing to it would hand our output to the next
    /// program that reads `/dev/null` (cargo runs `rustc -` with stdin from
    /// `/dev/null` to probe the target, and fails on what it finds), so use
    /// `fallback` instead.
    pub fn discard(fallback: &Path) -> Sink {
        if dev_null_is_device() {
            Sink::Null
        } else {
            Sink::File(fallback.to_path_buf())
        }
    }

    pub fn stdio(&self) -> Result<Stdio> {
        match self {
            Sink::Null => Ok(Stdio::null()),
            Sink::File(path) => File::create(path)
                .map(Stdio::from)
                .map_err(|e| Failure::setup(format!("cannot create {}: {e}", path.display()))),
        }
    }
}

/// Whether `/dev/null` is a character device (it should be).
pub fn dev_null_is_device() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata("/dev/null").is_ok_and(|m| m.file_type().is_char_device())
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// One measured run.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub status: ExitStatus,
    pub wall: Duration,
    /// Peak resident set size in KiB, where the platform reports it.
    pub peak_rss_kib: Option<u64>,
}

/// Spawns `cmd` and reaps it with `wait4`, which reports the peak RSS
/// (`ru_maxrss`) alongside the exit status. On Linux that figure covers the
/// process *and* the descendants it waited for, as a maximum over the
/// processes, not a sum. Wall time runs from just before the spawn until
/// `wait4` returns.
pub fn measure(cmd: &mut Command) -> Result<Measured> {
    let start = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| Failure::setup(format!("cannot run `{}`: {e}", describe(cmd))))?;
    let (status, peak_rss_kib) =
        reap(child).map_err(|e| Failure::setup(format!("waiting for `{}` failed: {e}", describe(cmd))))?;
    Ok(Measured {
        status,
        wall: start.elapsed(),
        peak_rss_kib,
    })
}

#[cfg(target_os = "linux")]
fn reap(child: std::process::Child) -> std::io::Result<(ExitStatus, Option<u64>)> {
    use std::os::unix::process::ExitStatusExt;

    let pid = libc::pid_t::try_from(child.id()).map_err(std::io::Error::other)?;
    let mut raw_status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own unreaped child (`Child::wait` is never
        // called on it) and both out-pointers are valid for the call.
        let ret = unsafe { libc::wait4(pid, &mut raw_status, 0, &mut usage) };
        if ret == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    // The child is reaped; dropping `Child` neither waits nor kills.
    drop(child);
    // ru_maxrss is in KiB on Linux.
    let kib = u64::try_from(usage.ru_maxrss).ok();
    Ok((ExitStatus::from_raw(raw_status), kib))
}

/// Other platforms: `ru_maxrss` has other units there; time only.
#[cfg(not(target_os = "linux"))]
fn reap(mut child: std::process::Child) -> std::io::Result<(ExitStatus, Option<u64>)> {
    Ok((child.wait()?, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measure_reports_status_and_rss() {
        let ok = measure(Command::new("true").stdout(std::process::Stdio::null())).unwrap();
        assert!(ok.status.success());
        let bad = measure(&mut Command::new("false")).unwrap();
        assert_eq!(bad.status.code(), Some(1));
        if cfg!(target_os = "linux") {
            assert!(ok.peak_rss_kib.is_some_and(|k| k > 0));
        }
    }

    #[test]
    fn describe_quotes_spaces() {
        let mut cmd = Command::new("cargo");
        cmd.args(["metadata", "--manifest-path", "/a b/Cargo.toml"]);
        assert_eq!(describe(&cmd), "cargo metadata --manifest-path '/a b/Cargo.toml'");
    }
}
