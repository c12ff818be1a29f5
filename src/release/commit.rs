//! The write and ledger stages: the release directory and its ledger entry
//! commit together. The signed entry is journaled first, the directory is
//! swapped in, the entry appended, the journal removed; a kill at any point
//! is completed or undone by the next command that takes the ledger's lock
//! ([`super::ledger_guard::recover`]).

use std::path::Path;

use super::ledger_guard;
use super::staged::Staged;
use crate::collect::Env;
use crate::error::{Error, Result};
use crate::provenance::keys::PrivateKey;
use crate::provenance::ledger;
use crate::write;

/// The ledger entry a real release appends.
pub(super) struct Entry<'a> {
    /// The ledger file.
    pub path: &'a Path,
    /// Its text as read (under the lock) at preflight.
    pub text: &'a str,
    /// What the entry records.
    pub release: ledger::NewRelease,
    /// The key that signs it.
    pub key: &'a PrivateKey,
}

/// Journals the entry (if any), swaps the directory in, removes a stale
/// rejected report; returns the signed ledger line still to append.
pub(super) fn write_dir(
    out: &Path,
    rejected: &Path,
    files: Vec<Staged>,
    entry: Option<&Entry>,
    env: &dyn Env,
) -> Result<Option<String>> {
    let line = match entry {
        None => None,
        Some(e) => {
            let line = ledger::append_release(e.text, &e.release, e.key).map_err(|err| Error::Ledger {
                path: e.path.to_path_buf(),
                reason: err.to_string(),
            })?;
            let pending = ledger_guard::Pending {
                line: line.clone(),
                dir: out.display().to_string(),
                provenance_sha256: e.release.provenance_sha256.clone(),
            };
            let journal = serde_json::to_vec(&pending).map_err(|err| Error::Emit {
                artifact: "ledger journal",
                reason: err.to_string(),
            })?;
            write::file_atomic(&write::pending_path(e.path)?, &journal)?;
            failpoint(env, "after-journal");
            Some(line)
        }
    };
    write::release_dir(out, &Staged::entries(files))?;
    write::remove_dir(rejected)?;
    failpoint(env, "after-swap");
    Ok(line)
}

/// Appends the journaled line and removes the journal.
pub(super) fn append(entry: &Entry, line: &str, env: &dyn Env) -> Result<()> {
    write::file_atomic(entry.path, format!("{}{line}", entry.text).as_bytes())?;
    failpoint(env, "after-ledger");
    write::remove_file(&write::pending_path(entry.path)?)
}

/// Test hook: `RELGATE_FAILPOINT=<name>` aborts the process at that point
/// of the write (`after-journal`, `after-swap`, `after-ledger`), as a kill
/// would, so the tests can check what the next command finds.
fn failpoint(env: &dyn Env, name: &str) {
    if env.var("RELGATE_FAILPOINT").as_deref() == Some(name) {
        std::process::abort();
    }
}
