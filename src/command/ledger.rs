//! `relgate ledger show` and `ledger verify`: read a release ledger under
//! its lock (so a concurrent release is never seen half-written) and return
//! what it says; `ledger revoke` is [`crate::release::ledger_guard::revoke`].

use std::path::Path;
use std::time::Duration;

use crate::collect;
use crate::error::{Error, Result};
use crate::provenance::keys::PublicKey;
use crate::provenance::ledger::{self, Ledger, Report};
use crate::release::ledger_guard;

/// The ledger at `path`, parsed (exit 2 when it cannot be read or parsed).
pub fn show(path: &Path, wait: Duration, on_wait: &dyn Fn(&Path)) -> Result<Ledger> {
    let text = read(path, wait, on_wait)?;
    Ledger::parse(&text).map_err(|e| bad(path, e))
}

/// Verifies the ledger at `path` against `keys` (and `head`, when pinned).
pub fn verify(
    path: &Path,
    keys: &[PublicKey],
    head: Option<&str>,
    wait: Duration,
    on_wait: &dyn Fn(&Path),
) -> Result<Report> {
    let text = read(path, wait, on_wait)?;
    ledger::verify(&text, keys, head).map_err(|e| bad(path, e))
}

/// `ledger show --format json`: the head and every entry as written.
pub fn summary(l: &Ledger) -> serde_json::Value {
    serde_json::json!({"head": l.head, "entries": l.entries})
}

fn read(path: &Path, wait: Duration, on_wait: &dyn Fn(&Path)) -> Result<String> {
    let _lock = ledger_guard::lock_if_present(path, wait, on_wait)?;
    let bytes = collect::inputs::read(path, "ledger")?;
    ledger::text_from_bytes(&bytes)
        .map(str::to_owned)
        .map_err(|e| bad(path, e))
}

fn bad(path: &Path, e: ledger::LedgerError) -> Error {
    Error::Ledger {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}
