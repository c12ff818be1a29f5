//! `relgate schema lock` and `schema check`: the contract's schemas against
//! their lock file.

use std::path::{Path, PathBuf};

use crate::analyze::schema::{Lock, Status};
use crate::error::{Error, Result};

/// What `schema check` found.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The lock file's path.
    pub lock: PathBuf,
    /// Whether the lock file exists.
    pub present: bool,
    /// The schemas now against the lock (every schema drifts from a missing lock).
    pub status: Status,
}

impl Checked {
    /// A lock exists and nothing drifted from it.
    pub fn ok(&self) -> bool {
        self.present && self.status.drift.is_empty()
    }

    /// `schema check --format json`.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "lock": self.lock,
            "status": if self.present { self.status.status } else { "missing" },
            "drift": self.status.drift,
        })
    }
}

/// What `schema lock` wrote.
#[derive(Debug, Clone)]
pub struct Locked {
    /// The lock file written.
    pub lock: PathBuf,
    /// How many schemas it locks.
    pub schemas: usize,
    /// What changed against the previous lock (all new when there was none).
    pub status: Status,
}

/// Checks the schemas of the workspace at `manifest_path` against their lock.
pub fn check(manifest_path: Option<&Path>, contract: Option<&Path>) -> Result<Checked> {
    let (lock, _, previous, status) = crate::release::schema_status(manifest_path, contract)?;
    Ok(Checked {
        lock,
        present: previous.is_some(),
        status,
    })
}

/// Writes the lock of the schemas as they are now (atomically).
pub fn lock(manifest_path: Option<&Path>, contract: Option<&Path>) -> Result<Locked> {
    let (path, now, _, status) = crate::release::schema_status(manifest_path, contract)?;
    let lock = Lock::from_schemas(&now).map_err(|e| Error::SchemaLock(e.to_string()))?;
    crate::write::file_atomic(&path, lock.render().as_bytes())?;
    Ok(Locked {
        lock: path,
        schemas: now.len(),
        status,
    })
}
