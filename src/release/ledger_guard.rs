//! The ledger as a release, `ledger revoke` and `gate --dir` use it: one
//! writer at a time (a lock beside it), completed after a kill (the journal
//! of a pending append), and verified against the trusted keys before it
//! is believed. A missing ledger is never read as an empty history unless
//! the contract says this is the first release.
//!
//! A release commits its directory and its ledger entry together: the
//! signed entry is written to the journal `.<ledger>.relgate-pending`, the
//! directory is swapped in, the entry is appended, the journal removed. A
//! kill anywhere leaves a journal that [`recover`] completes (the directory
//! holds the provenance the entry names) or drops (it does not).

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::staged::sha256;
use crate::collect;
use crate::error::{Error, Result};
use crate::provenance::keys::PublicKey;
use crate::provenance::ledger::{self, Ledger, GENESIS};
use crate::write;

/// A pending append (the journal's content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pending {
    /// The signed ledger line, with its newline.
    pub line: String,
    /// The release directory (absolute).
    pub dir: String,
    /// Hex SHA-256 of the directory's provenance.intoto.jsonl.
    pub provenance_sha256: String,
}

/// The ledger, read under its lock after recovery and verified.
#[derive(Debug)]
pub struct Trusted {
    /// Its text.
    pub text: String,
    /// Parsed.
    pub parsed: Ledger,
    /// Whether the file exists.
    pub present: bool,
    /// The lock, held while this value lives (none: read without it, for a plan).
    pub lock: Option<write::Lock>,
    /// Entries whose signatures could not be checked (signed by keys not
    /// trusted here), when the caller allowed that; otherwise 0.
    pub unknown_keys: usize,
}

/// Takes the ledger's lock (waiting up to `wait`) and completes or drops a
/// pending append left by a killed release.
pub fn lock(path: &Path, wait: Duration, on_wait: &dyn Fn(&Path)) -> Result<write::Lock> {
    if collect::probe::exists(path) && !collect::probe::is_file(path) {
        return Err(Error::Input {
            what: "ledger",
            path: path.to_path_buf(),
            reason: collect::inputs::NOT_REGULAR.into(),
        });
    }
    let lock = write::lock(path, wait, on_wait)?;
    recover(path)?;
    Ok(lock)
}

/// [`lock`] for a command that only reads the ledger: nothing is locked (or
/// created) when neither the ledger nor its journal exists.
pub fn lock_if_present(path: &Path, wait: Duration, on_wait: &dyn Fn(&Path)) -> Result<Option<write::Lock>> {
    let path = resolve(path)?;
    let journal = write::pending_path(&path)?;
    if !collect::probe::exists(&path) && !collect::probe::exists(&journal) {
        return Ok(None);
    }
    lock(&path, wait, on_wait).map(Some)
}

/// Completes or drops the journal of `path` (call holding its lock).
pub fn recover(path: &Path) -> Result<()> {
    let bad = |reason: String| Error::Ledger {
        path: path.to_path_buf(),
        reason,
    };
    let journal = write::pending_path(path)?;
    let Some(bytes) = collect::release::read_optional(&journal, "ledger journal")? else {
        return Ok(());
    };
    let pending: Pending = crate::emit::strict_json::from_slice(&bytes)
        .map_err(|e| bad(format!("its journal {} is unreadable: {e}", journal.display())))?;
    let (text, parsed) = collect::release::ledger(path)?;
    if text.ends_with(&pending.line) {
        return write::remove_file(&journal);
    }
    let provenance = Path::new(&pending.dir).join("provenance.intoto.jsonl");
    let landed = collect::release::read_optional(&provenance, "provenance bundle")?
        .is_some_and(|b| sha256(&b) == pending.provenance_sha256);
    if landed {
        let entry = Ledger::parse(&pending.line).map_err(|e| bad(format!("its journal: {e}")))?;
        let chains = entry.entries.first().is_some_and(|e| e.prev() == parsed.head);
        if !chains {
            return Err(bad(format!(
                "the release in {} is not in the ledger and its journaled entry no longer chains to the head {}",
                pending.dir, parsed.head
            )));
        }
        write::file_atomic(path, format!("{text}{}", pending.line).as_bytes())?;
    }
    write::remove_file(&journal)
}

/// The ledger file a path names: a symbolic link is followed, so the
/// append replaces the real ledger (not the link) under the real ledger's
/// lock.
pub fn resolve(path: &Path) -> Result<std::path::PathBuf> {
    collect::probe::resolve_link(path)
}

/// Reads the ledger under its lock and verifies its chain and every
/// signature against `keys`. Missing: an error unless `first_release`.
pub fn trusted(
    path: &Path,
    keys: &[PublicKey],
    first_release: bool,
    wait: Duration,
    on_wait: &dyn Fn(&Path),
) -> Result<Trusted> {
    let lock = lock(path, wait, on_wait)?;
    let mut read = verified(path, keys, first_release, false)?;
    read.lock = Some(lock);
    Ok(read)
}

/// [`trusted`] without the lock or recovery (what a plan and a dry run
/// read). With `allow_unknown_keys` (a dry run signing with the example
/// key), entries signed by keys not trusted here are counted, not refused;
/// every other finding (chain, sequence, a bad signature) is still an error.
pub fn verified(
    path: &Path,
    keys: &[PublicKey],
    first_release: bool,
    allow_unknown_keys: bool,
) -> Result<Trusted> {
    let present = collect::probe::exists(path);
    if !present && !first_release {
        return Err(Error::Ledger {
            path: path.to_path_buf(),
            reason: "does not exist, and the contract does not say this is the first release (if nothing was released before, set `[release] first-release = true`; otherwise restore the ledger)".into(),
        });
    }
    let (text, parsed) = collect::release::ledger(path)?;
    let report = ledger::verify(&text, keys, None).map_err(|e| Error::Ledger {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let unknown = |p: &&ledger::Problem| p.kind == ledger::ProblemKind::UnknownKey;
    let unknown_keys = if allow_unknown_keys {
        report.problems.iter().filter(unknown).count()
    } else {
        0
    };
    if report.problems.len() > unknown_keys {
        let problems: Vec<String> = report
            .problems
            .iter()
            .filter(|p| !(allow_unknown_keys && unknown(p)))
            .take(5)
            .map(|p| format!("line {}: {}: {}", p.line, p.kind.name(), p.detail))
            .collect();
        return Err(Error::Ledger {
            path: path.to_path_buf(),
            reason: format!(
                "does not verify with the {} trusted key(s) (pass --ledger-key for keys that signed earlier entries): {}",
                keys.len(),
                problems.join("; ")
            ),
        });
    }
    Ok(Trusted {
        text,
        parsed,
        present,
        lock: None,
        unknown_keys,
    })
}

/// `gate --dir --ledger-head`: the ledger still holds a head seen earlier.
pub fn pinned_check(ledger: &Trusted, path: &Path, head: &str) -> (String, bool, String) {
    let want = if head.starts_with("sha256:") {
        head.to_owned()
    } else {
        format!("sha256:{head}")
    };
    let held = ledger.parsed.entries.iter().any(|e| e.hash() == want);
    (
        "ledger-head".into(),
        held,
        if held {
            format!("{} still holds the pinned head {want}", path.display())
        } else {
            format!(
                "{} does not hold the pinned head {want}: it is truncated, older, or another history",
                path.display()
            )
        },
    )
}

/// `gate --dir`'s check that the ledger is the one the release saw: it still
/// holds the head gate.json recorded, and (unless a dry run) the release's
/// own entry with its provenance digest.
pub fn recorded_check(
    ledger: &Trusted,
    path: &Path,
    recorded_head: &str,
    own: Option<(&str, &str)>,
) -> (String, bool, String) {
    let head_kept = recorded_head.is_empty()
        || recorded_head == GENESIS
        || ledger.parsed.entries.iter().any(|e| e.hash() == recorded_head);
    let mut problems = Vec::new();
    if !head_kept {
        problems.push(format!(
            "{} does not hold the head {recorded_head} the release saw (another ledger, or history rewritten)",
            path.display()
        ));
    }
    if let Some((id, digest)) = own {
        match ledger.parsed.find(id) {
            None => problems.push(format!("{} does not record this release ({id})", path.display())),
            Some(e) if e.provenance_sha256 != digest => problems.push(format!(
                "{} records {id} with provenance sha256 {}, the directory's is {digest}",
                path.display(),
                e.provenance_sha256
            )),
            Some(_) => {}
        }
    }
    (
        "ledger".into(),
        problems.is_empty(),
        if problems.is_empty() {
            format!(
                "{} verifies ({} entries), holds the head the release saw{}",
                path.display(),
                ledger.parsed.entries.len(),
                if own.is_some() {
                    " and this release's entry"
                } else {
                    " (a dry run has no entry)"
                }
            )
        } else {
            problems.join("; ")
        },
    )
}

/// Which release `ledger revoke` withdraws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// By invocation id.
    Invocation(String),
    /// By version (the release of that version).
    Version(String),
}

/// What `ledger revoke` asks for.
#[derive(Debug, Clone)]
pub struct Revoke {
    /// The ledger file.
    pub ledger: std::path::PathBuf,
    /// The release to withdraw.
    pub target: Target,
    /// Why.
    pub reason: String,
    /// Keys besides the signing key that earlier entries may be signed with.
    pub ledger_keys: Vec<PublicKey>,
    /// How long to wait for another writer.
    pub wait: Duration,
}

/// Appends a signed revocation, locked from read to append, to a ledger
/// that verifies; returns the revoked invocation id.
pub fn revoke(
    req: &Revoke,
    key: &crate::provenance::keys::PrivateKey,
    env: &dyn collect::Env,
    on_wait: &dyn Fn(&Path),
) -> Result<String> {
    let bad = |e: ledger::LedgerError| Error::Ledger {
        path: req.ledger.to_path_buf(),
        reason: e.to_string(),
    };
    let mut keys = vec![key.public()];
    keys.extend(req.ledger_keys.iter().cloned());
    let path = resolve(&req.ledger)?;
    let guard = trusted(&path, &keys, false, req.wait, on_wait)?;
    let id = match &req.target {
        Target::Invocation(id) => id.clone(),
        Target::Version(v) => guard
            .parsed
            .entries
            .iter()
            .find_map(|e| match e {
                ledger::Entry::Release(r) if &r.version == v => Some(r.invocation_id.clone()),
                _ => None,
            })
            .ok_or_else(|| Error::InvalidOption(format!("the ledger has no release of version {v}")))?,
    };
    let now = crate::emit::rfc3339(env.now())?;
    let line = ledger::append_revocation(&guard.text, &id, &req.reason, &now, key).map_err(bad)?;
    write::file_atomic(&path, format!("{}{line}", guard.text).as_bytes())?;
    Ok(id)
}
