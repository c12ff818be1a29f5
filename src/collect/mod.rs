//! The only phase that reads the outside world.
//!
//! [`gather`] runs `rustc -vV`, one `cargo metadata --locked`, reads
//! `Cargo.lock` and the license files it needs, asks git about the checkout
//! (in parallel with cargo), and turns all of it into [`ReleaseFacts`].
//! Turning raw inputs into facts is a pure function ([`cargo::facts_from`])
//! so tests can feed it recorded or shuffled inputs.

pub mod cargo;
pub mod git;
pub mod lockfile;
mod process;

use std::path::{Path, PathBuf};

use crate::config::Scope;
use crate::error::{Error, Result};
use crate::facts::{ReleaseFacts, Toolchain};

/// The parts of the environment relgate consults, injectable for tests.
pub trait Env: Sync {
    /// An environment variable, if set and valid UTF-8.
    fn var(&self, name: &str) -> Option<String>;
    /// The current time in Unix seconds.
    fn now(&self) -> i64;
}

/// The real process environment and clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemEnv;

impl Env for SystemEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// Document timestamp: `SOURCE_DATE_EPOCH` when set, else the clock.
pub fn document_timestamp(env: &dyn Env) -> Result<i64> {
    match env.var("SOURCE_DATE_EPOCH") {
        None => Ok(env.now()),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|t| *t >= 0 && *t < 253_402_300_800) // before year 10000
            .ok_or(Error::BadSourceDateEpoch { value: v }),
    }
}

/// Reads the workspace selected by `scope` and returns its facts.
pub fn gather(scope: &Scope, env: &dyn Env) -> Result<ReleaseFacts> {
    let timestamp = document_timestamp(env)?;
    let manifest = manifest_path(scope)?;
    let manifest_dir = match &manifest {
        Some(m) => m.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => std::env::current_dir()
            .map_err(|e| Error::InvalidOption(format!("cannot read the current directory: {e}")))?,
    };
    let lock_path = find_lockfile(&manifest_dir)?;

    // git is independent of cargo: ask it while cargo resolves.
    std::thread::scope(|s| {
        let git = s.spawn(|| git::read(&manifest_dir));
        let toolchain = toolchain(env, &manifest_dir)?;
        let target = scope.target.clone().unwrap_or_else(|| toolchain.host.clone());
        let metadata = cargo::metadata(scope, manifest.as_deref(), &target, env, &manifest_dir)?;
        let workspace_root = PathBuf::from(metadata.workspace_root.as_std_path());
        let lock_path = if lock_path.parent() == Some(workspace_root.as_path()) {
            lock_path
        } else {
            // The lock file found first belongs to an enclosing directory, not
            // this workspace; cargo's --locked run proves one exists at the root.
            workspace_root.join("Cargo.lock")
        };
        let lock = lockfile::read(&lock_path)?;
        let git = git.join().unwrap_or(None);
        let input = cargo::Input {
            metadata,
            lock,
            scope,
            target,
            toolchain,
            git,
            timestamp,
        };
        cargo::facts_from(input, &read_text_file)
    })
}

fn read_text_file(path: &Path) -> Option<String> {
    const MAX: u64 = 1 << 20;
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// The absolute manifest path, when one was given.
fn manifest_path(scope: &Scope) -> Result<Option<PathBuf>> {
    let Some(p) = &scope.manifest_path else {
        return Ok(None);
    };
    if !p.is_file() {
        return Err(Error::ManifestNotFound { path: p.clone() });
    }
    std::path::absolute(p)
        .map(Some)
        .map_err(|_| Error::ManifestNotFound { path: p.clone() })
}

/// `Cargo.lock` lives at the workspace root: the manifest's directory or an ancestor.
fn find_lockfile(manifest_dir: &Path) -> Result<PathBuf> {
    manifest_dir
        .ancestors()
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file())
        .ok_or_else(|| Error::MissingLockfile {
            workspace_root: manifest_dir.to_path_buf(),
        })
}

fn toolchain(env: &dyn Env, cwd: &Path) -> Result<Toolchain> {
    let rustc = env.var("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = process::run(&rustc, &["-vV"], cwd, &[])?;
    if !out.status.success() {
        return Err(Error::ToolOutput {
            program: rustc,
            reason: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_owned())
    };
    match (field("release:"), field("host:")) {
        (Some(rustc_version), Some(host)) => Ok(Toolchain { rustc_version, host }),
        _ => Err(Error::ToolOutput {
            program: rustc,
            reason: "`rustc -vV` printed no release or host line".into(),
        }),
    }
}
