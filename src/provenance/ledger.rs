//! The release ledger: an append-only, hash-chained file of signed JSON lines.
//!
//! One compact JSON object per line, `\n` terminated, keys in a fixed order:
//!
//! ```text
//! {"kind":"release","seq":1,"version":"1.2.0","commit":"<sha>|null","invocation_id":"urn:uuid:…","provenance_sha256":"<hex>","time":"…","prev":"sha256:<hex>","keyid":"<hex>","sig":"<base64>"}
//! {"kind":"revocation","seq":2,"revokes":"urn:uuid:…","version":"1.2.0","reason":"…","time":"…","prev":"sha256:<hex>","keyid":"<hex>","sig":"<base64>"}
//! ```
//!
//! - `seq` starts at 1 and increases by one.
//! - `prev` is `sha256:` and the hex SHA-256 of the previous line's bytes
//!   (without its newline), or [`GENESIS`] for the first line. The hash of the
//!   last line is the ledger's *head*: report.md prints it so it can be pinned.
//! - `sig` is a standard-base64 Ed25519 signature over [`DOMAIN`] followed by
//!   the line without its `sig` field (same key order, compact). The domain
//!   prefix keeps ledger and DSSE signatures from being replayed as each other.
//! - A line must be exactly the canonical serialization of what it parses to
//!   (no extra whitespace, no escapes serde_json would not write, no CR), so a
//!   changed byte cannot hide outside the signed content.
//!
//! [`Ledger::parse`] only reads; [`verify`] reports tampering as findings
//! ([`Problem`]) and errs only on text that is not a ledger at all
//! ([`LedgerError`]). [`append_release`] and [`append_revocation`] return the
//! one new line; the caller writes `prev_text + line` atomically. Everything
//! here is pure: no file I/O, no clock.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::keys::{PrivateKey, PublicKey};

/// Prefix of every signed message, so a ledger signature is never a DSSE one.
pub const DOMAIN: &str = "relgate-ledger-v1\n";

/// The `prev` of the first line, and the head of an empty ledger.
pub const GENESIS: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// One ledger line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Entry {
    /// A release was made.
    Release(ReleaseEntry),
    /// An earlier release is withdrawn.
    Revocation(RevocationEntry),
}

/// A `"kind":"release"` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseEntry {
    /// Position in the ledger, from 1.
    pub seq: u64,
    /// The released version.
    pub version: String,
    /// The released commit, when known.
    pub commit: Option<String>,
    /// The provenance's invocation id (`urn:uuid:…`); never reused.
    pub invocation_id: String,
    /// Hex SHA-256 of the provenance bundle (`provenance.intoto.jsonl`).
    pub provenance_sha256: String,
    /// RFC 3339 time of the release.
    pub time: String,
    /// `sha256:<hex>` of the previous line, or [`GENESIS`].
    pub prev: String,
    /// keyid of the signing key.
    pub keyid: String,
    /// Standard base64 of the Ed25519 signature.
    pub sig: String,
    /// 1-based line number in the text it was parsed from (not serialized).
    #[serde(skip)]
    pub line: usize,
    /// `sha256:<hex>` of this line's bytes (not serialized).
    #[serde(skip)]
    pub hash: String,
}

/// A `"kind":"revocation"` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationEntry {
    /// Position in the ledger, from 1.
    pub seq: u64,
    /// Invocation id of the revoked release.
    pub revokes: String,
    /// Version of the revoked release.
    pub version: String,
    /// Why it was revoked.
    pub reason: String,
    /// RFC 3339 time of the revocation.
    pub time: String,
    /// `sha256:<hex>` of the previous line, or [`GENESIS`].
    pub prev: String,
    /// keyid of the signing key.
    pub keyid: String,
    /// Standard base64 of the Ed25519 signature.
    pub sig: String,
    /// 1-based line number in the text it was parsed from (not serialized).
    #[serde(skip)]
    pub line: usize,
    /// `sha256:<hex>` of this line's bytes (not serialized).
    #[serde(skip)]
    pub hash: String,
}

/// What [`append_release`] records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRelease {
    /// The released version.
    pub version: String,
    /// The released commit, when known.
    pub commit: Option<String>,
    /// The provenance's invocation id.
    pub invocation_id: String,
    /// Hex SHA-256 of the provenance bundle.
    pub provenance_sha256: String,
    /// RFC 3339 time of the release.
    pub time: String,
}

/// Why text cannot be read as a ledger, or why an append is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The bytes are not UTF-8.
    #[error("ledger line {line}: not UTF-8")]
    NotUtf8 {
        /// 1-based line number.
        line: usize,
    },
    /// A blank line (every line must be an entry).
    #[error("ledger line {line}: empty line")]
    EmptyLine {
        /// 1-based line number.
        line: usize,
    },
    /// Not a JSON object.
    #[error("ledger line {line}: not a JSON object: {reason}")]
    BadJson {
        /// 1-based line number.
        line: usize,
        /// The parser's message.
        reason: String,
    },
    /// `kind` is missing or names no known entry kind.
    #[error("ledger line {line}: unknown kind {kind:?} (expected \"release\" or \"revocation\")")]
    UnknownKind {
        /// 1-based line number.
        line: usize,
        /// The kind found (empty when missing or not a string).
        kind: String,
    },
    /// A field is missing, has the wrong type, is duplicated, or is unknown.
    #[error("ledger line {line}: {reason}")]
    BadEntry {
        /// 1-based line number.
        line: usize,
        /// The parser's message.
        reason: String,
    },
    /// The text does not end with a newline, so a line cannot be appended.
    #[error("ledger line {line}: no newline at the end of the ledger; refusing to append")]
    NoFinalNewline {
        /// 1-based number of the last line.
        line: usize,
    },
    /// The invocation id is already in the ledger.
    #[error("invocation {id:?} is already in the ledger (line {line})")]
    DuplicateInvocation {
        /// The invocation id.
        id: String,
        /// Line of the existing entry.
        line: usize,
    },
    /// The version is already in the ledger.
    #[error("version {version} is already in the ledger (line {line})")]
    DuplicateVersion {
        /// The version.
        version: String,
        /// Line of the existing release.
        line: usize,
    },
    /// No release has this invocation id.
    #[error("no release in the ledger has invocation id {id:?}")]
    UnknownInvocation {
        /// The invocation id.
        id: String,
    },
    /// The release is already revoked.
    #[error("invocation {id:?} is already revoked (line {line})")]
    AlreadyRevoked {
        /// The invocation id.
        id: String,
        /// Line of the existing revocation.
        line: usize,
    },
    /// A value to be recorded is malformed.
    #[error("cannot record {field}: {reason}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// A parsed ledger (signatures and chain not checked: see [`verify`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    /// Every entry, in file order.
    pub entries: Vec<Entry>,
    /// `sha256:<hex>` of the last line, or [`GENESIS`] when empty.
    pub head: String,
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Number of entries.
    pub entries: usize,
    /// Number of release entries.
    pub releases: usize,
    /// Number of revocation entries.
    pub revocations: usize,
    /// `sha256:<hex>` of the last line, or [`GENESIS`] when empty.
    pub head: String,
    /// Every finding; empty when the ledger verifies.
    pub problems: Vec<Problem>,
}

impl Report {
    /// Whether nothing was found.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One finding of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line it concerns (the last line, or 0 for an empty ledger, for
    /// a head mismatch).
    pub line: usize,
    /// What kind of finding.
    pub kind: ProblemKind,
    /// Human-readable detail.
    pub detail: String,
}

/// The kinds of [`Problem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// `prev` is not the previous line's hash: an entry was edited, reordered or removed.
    BrokenChain,
    /// `seq` is not the line's position.
    BadSequence,
    /// The signature does not verify with the key its keyid names.
    BadSignature,
    /// The keyid names no trusted key (or no trusted keys were given).
    UnknownKey,
    /// A release reuses an earlier release's invocation id.
    ReplayedInvocation,
    /// A release reuses an earlier release's version.
    ReplayedVersion,
    /// A revocation names no earlier release.
    RevokesUnknown,
    /// A revocation's version is not the revoked release's version.
    RevocationMismatch,
    /// A release is revoked a second time.
    RevokedTwice,
    /// A field value is malformed (time not RFC 3339, digest not hex, empty id).
    BadField,
    /// The line is not byte for byte what its content serializes to, or the
    /// file does not end with a newline.
    NonCanonical,
    /// The pinned head is no line's hash: the ledger was truncated or rewritten.
    HeadMismatch,
}

impl ProblemKind {
    /// The kebab-case name (as serialized).
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::BrokenChain => "broken-chain",
            ProblemKind::BadSequence => "bad-sequence",
            ProblemKind::BadSignature => "bad-signature",
            ProblemKind::UnknownKey => "unknown-key",
            ProblemKind::ReplayedInvocation => "replayed-invocation",
            ProblemKind::ReplayedVersion => "replayed-version",
            ProblemKind::RevokesUnknown => "revokes-unknown",
            ProblemKind::RevocationMismatch => "revocation-mismatch",
            ProblemKind::RevokedTwice => "revoked-twice",
            ProblemKind::BadField => "bad-field",
            ProblemKind::NonCanonical => "non-canonical",
            ProblemKind::HeadMismatch => "head-mismatch",
        }
    }
}

impl Entry {
    /// `seq`.
    pub fn seq(&self) -> u64 {
        match self {
            Entry::Release(e) => e.seq,
            Entry::Revocation(e) => e.seq,
        }
    }

    /// `prev`.
    pub fn prev(&self) -> &str {
        match self {
            Entry::Release(e) => &e.prev,
            Entry::Revocation(e) => &e.prev,
        }
    }

    /// `keyid`.
    pub fn keyid(&self) -> &str {
        match self {
            Entry::Release(e) => &e.keyid,
            Entry::Revocation(e) => &e.keyid,
        }
    }

    /// `sig`.
    pub fn sig(&self) -> &str {
        match self {
            Entry::Release(e) => &e.sig,
            Entry::Revocation(e) => &e.sig,
        }
    }

    /// `time`.
    pub fn time(&self) -> &str {
        match self {
            Entry::Release(e) => &e.time,
            Entry::Revocation(e) => &e.time,
        }
    }

    /// 1-based line number it was parsed from.
    pub fn line(&self) -> usize {
        match self {
            Entry::Release(e) => e.line,
            Entry::Revocation(e) => e.line,
        }
    }

    /// `sha256:<hex>` of its line.
    pub fn hash(&self) -> &str {
        match self {
            Entry::Release(e) => &e.hash,
            Entry::Revocation(e) => &e.hash,
        }
    }

    fn set_signature(&mut self, keyid: String, sig: String) {
        match self {
            Entry::Release(e) => (e.keyid, e.sig) = (keyid, sig),
            Entry::Revocation(e) => (e.keyid, e.sig) = (keyid, sig),
        }
    }

    /// The canonical line (no newline).
    fn to_line(&self) -> String {
        // A struct of strings and integers in a derived enum: cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The bytes the signature covers: [`DOMAIN`] and the line without `sig`.
    fn signed_message(&self) -> Vec<u8> {
        let line = self.to_line();
        // The canonical line ends with `,"sig":"<base64>"}`; base64 has no quotes.
        let unsigned = match line.rfind(",\"sig\":\"") {
            Some(at) => format!("{}}}", &line[..at]),
            None => line,
        };
        let mut out = DOMAIN.as_bytes().to_vec();
        out.extend_from_slice(unsigned.as_bytes());
        out
    }
}

/// `sha256:<hex>` of `bytes`.
fn line_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::from("sha256:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Splits ledger text into 1-based numbered lines; the final newline ends the
/// last line (it does not start an empty one).
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let pieces = if text.is_empty() {
        None
    } else {
        Some(body.split('\n'))
    };
    pieces.into_iter().flatten().enumerate().map(|(i, l)| (i + 1, l))
}

/// Checks that ledger bytes are UTF-8, naming the first bad line.
pub fn text_from_bytes(bytes: &[u8]) -> Result<&str, LedgerError> {
    std::str::from_utf8(bytes).map_err(|e| LedgerError::NotUtf8 {
        line: 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count(),
    })
}

fn parse_line(n: usize, line: &str) -> Result<Entry, LedgerError> {
    if line.is_empty() {
        return Err(LedgerError::EmptyLine { line: n });
    }
    let value: serde_json::Value = crate::emit::strict_json::from_slice(line.as_bytes())
        .map_err(|reason| LedgerError::BadJson { line: n, reason })?;
    let Some(object) = value.as_object() else {
        return Err(LedgerError::BadJson {
            line: n,
            reason: "not an object".into(),
        });
    };
    let kind = object.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
    if kind != "release" && kind != "revocation" {
        return Err(LedgerError::UnknownKind {
            line: n,
            kind: kind.to_owned(),
        });
    }
    let mut entry: Entry = serde_json::from_str(line).map_err(|e| LedgerError::BadEntry {
        line: n,
        reason: e.to_string(),
    })?;
    let hash = line_hash(line.as_bytes());
    match &mut entry {
        Entry::Release(e) => (e.line, e.hash) = (n, hash),
        Entry::Revocation(e) => (e.line, e.hash) = (n, hash),
    }
    Ok(entry)
}

impl Ledger {
    /// Parses without checking signatures or the chain (those are findings
    /// for [`verify`]), but fails on unreadable lines. Empty text is an empty
    /// ledger.
    pub fn parse(text: &str) -> Result<Ledger, LedgerError> {
        let entries = lines(text)
            .map(|(n, l)| parse_line(n, l))
            .collect::<Result<Vec<_>, _>>()?;
        let head = entries
            .last()
            .map_or_else(|| GENESIS.to_owned(), |e| e.hash().to_owned());
        Ok(Ledger { entries, head })
    }

    fn releases(&self) -> impl Iterator<Item = &ReleaseEntry> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Release(r) => Some(r),
            Entry::Revocation(_) => None,
        })
    }

    fn revocations(&self) -> impl Iterator<Item = &RevocationEntry> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Release(_) => None,
            Entry::Revocation(r) => Some(r),
        })
    }

    /// Invocation ids of every release, revoked or not, in ledger order.
    pub fn release_ids(&self) -> Vec<&str> {
        self.releases().map(|r| r.invocation_id.as_str()).collect()
    }

    /// Versions of every release, revoked or not, in ledger order.
    pub fn versions(&self) -> Vec<&str> {
        self.releases().map(|r| r.version.as_str()).collect()
    }

    /// Revoked invocation ids with the (first) revocation's reason. Trust it
    /// only after [`verify`] found no problem.
    pub fn revoked(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for r in self.revocations() {
            out.entry(r.revokes.clone()).or_insert_with(|| r.reason.clone());
        }
        out
    }

    /// The (first) release with this invocation id, revoked or not.
    pub fn find(&self, invocation_id: &str) -> Option<&ReleaseEntry> {
        self.releases().find(|r| r.invocation_id == invocation_id)
    }

    /// The newest release that is not revoked.
    pub fn last_release(&self) -> Option<&ReleaseEntry> {
        let revoked = self.revoked();
        self.releases()
            .filter(|r| !revoked.contains_key(&r.invocation_id))
            .last()
    }

    /// The revocation of this invocation id, if any.
    fn revocation_of(&self, invocation_id: &str) -> Option<&RevocationEntry> {
        self.revocations().find(|r| r.revokes == invocation_id)
    }
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_rfc3339(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

/// Parses `prev_text` for an append: readable, newline-terminated.
fn ledger_for_append(prev_text: &str) -> Result<Ledger, LedgerError> {
    let ledger = Ledger::parse(prev_text)?;
    if !prev_text.is_empty() && !prev_text.ends_with('\n') {
        return Err(LedgerError::NoFinalNewline {
            line: ledger.entries.len(),
        });
    }
    Ok(ledger)
}

fn invalid(field: &'static str, reason: impl Into<String>) -> LedgerError {
    LedgerError::InvalidField {
        field,
        reason: reason.into(),
    }
}

fn check_time(time: &str) -> Result<(), LedgerError> {
    if is_rfc3339(time) {
        Ok(())
    } else {
        Err(invalid("time", format!("{time:?} is not an RFC 3339 time")))
    }
}

/// Signs `entry` with `key` and returns its line with the newline.
fn seal(mut entry: Entry, key: &PrivateKey) -> String {
    entry.set_signature(key.keyid().to_owned(), String::new());
    let sig = STANDARD.encode(key.sign(&entry.signed_message()));
    entry.set_signature(key.keyid().to_owned(), sig);
    let mut line = entry.to_line();
    line.push('\n');
    line
}

fn next_seq(ledger: &Ledger) -> u64 {
    ledger.entries.len() as u64 + 1
}

/// The new ledger line (with its newline) recording a release; `prev_text` is
/// the current ledger. Refuses when the invocation id or the version is
/// already in the ledger (a revoked version is not reused either), when a
/// field is malformed, or when `prev_text` is unreadable or lacks its final
/// newline. Does not verify `prev_text`: run [`verify`] first.
pub fn append_release(prev_text: &str, new: &NewRelease, key: &PrivateKey) -> Result<String, LedgerError> {
    if new.version.trim().is_empty() {
        return Err(invalid("version", "empty"));
    }
    if new.invocation_id.trim().is_empty() {
        return Err(invalid("invocation_id", "empty"));
    }
    if new.commit.as_deref().is_some_and(|c| c.trim().is_empty()) {
        return Err(invalid("commit", "empty (use none when unknown)"));
    }
    if !is_hex64(&new.provenance_sha256) {
        return Err(invalid("provenance_sha256", "not 64 lowercase hex digits"));
    }
    check_time(&new.time)?;
    let ledger = ledger_for_append(prev_text)?;
    let by_id = ledger
        .find(&new.invocation_id)
        .map(|r| r.line)
        .or_else(|| ledger.revocation_of(&new.invocation_id).map(|r| r.line));
    if let Some(line) = by_id {
        return Err(LedgerError::DuplicateInvocation {
            id: new.invocation_id.clone(),
            line,
        });
    }
    if let Some(r) = ledger.releases().find(|r| r.version == new.version) {
        return Err(LedgerError::DuplicateVersion {
            version: new.version.clone(),
            line: r.line,
        });
    }
    let entry = Entry::Release(ReleaseEntry {
        seq: next_seq(&ledger),
        version: new.version.clone(),
        commit: new.commit.clone(),
        invocation_id: new.invocation_id.clone(),
        provenance_sha256: new.provenance_sha256.clone(),
        time: new.time.clone(),
        prev: ledger.head.clone(),
        keyid: String::new(),
        sig: String::new(),
        line: 0,
        hash: String::new(),
    });
    Ok(seal(entry, key))
}

/// The new ledger line (with its newline) revoking the release with
/// `invocation_id`. Refuses when no release has that id, when it is already
/// revoked, when `reason` is empty or `time` is not RFC 3339, or when
/// `prev_text` is unreadable or lacks its final newline.
pub fn append_revocation(
    prev_text: &str,
    invocation_id: &str,
    reason: &str,
    time: &str,
    key: &PrivateKey,
) -> Result<String, LedgerError> {
    if reason.trim().is_empty() {
        return Err(invalid("reason", "empty: say why the release is revoked"));
    }
    check_time(time)?;
    let ledger = ledger_for_append(prev_text)?;
    let Some(release) = ledger.find(invocation_id) else {
        return Err(LedgerError::UnknownInvocation {
            id: invocation_id.to_owned(),
        });
    };
    if let Some(r) = ledger.revocation_of(invocation_id) {
        return Err(LedgerError::AlreadyRevoked {
            id: invocation_id.to_owned(),
            line: r.line,
        });
    }
    let entry = Entry::Revocation(RevocationEntry {
        seq: next_seq(&ledger),
        revokes: invocation_id.to_owned(),
        version: release.version.clone(),
        reason: reason.to_owned(),
        time: time.to_owned(),
        prev: ledger.head.clone(),
        keyid: String::new(),
        sig: String::new(),
        line: 0,
        hash: String::new(),
    });
    Ok(seal(entry, key))
}

/// `sha256:<lowercase hex>` from a pinned head given with or without the prefix.
fn normalize_head(pinned: &str) -> String {
    let hex = pinned.trim();
    let hex = hex.strip_prefix("sha256:").unwrap_or(hex);
    format!("sha256:{}", hex.to_ascii_lowercase())
}

/// Verifies a ledger: the chain, sequence, signatures (by `trusted` keys,
/// selected by keyid), canonical form, replayed ids and versions,
/// revocations, and — when `pinned_head` (an earlier head, with or without
/// `sha256:`) is given — that the ledger still contains that state.
///
/// Tampering is reported as [`Problem`]s, never as `Err`; `Err` is only for
/// text that cannot be read as a ledger. With no trusted keys nothing can be
/// authenticated, so every entry is reported [`ProblemKind::UnknownKey`].
pub fn verify(text: &str, trusted: &[PublicKey], pinned_head: Option<&str>) -> Result<Report, LedgerError> {
    let ledger = Ledger::parse(text)?;
    let mut problems = Vec::new();
    let mut problem = |line: usize, kind: ProblemKind, detail: String| {
        problems.push(Problem { line, kind, detail });
    };
    let mut prev = GENESIS.to_owned();
    // Releases seen so far: invocation id / version -> line.
    let mut ids: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    let mut versions: BTreeMap<&str, usize> = BTreeMap::new();
    let mut revoked: BTreeMap<&str, usize> = BTreeMap::new();
    let raw: Vec<&str> = lines(text).map(|(_, l)| l).collect();
    for (i, entry) in ledger.entries.iter().enumerate() {
        let n = entry.line();
        let expected_seq = i as u64 + 1;
        if raw.get(i).is_none_or(|l| *l != entry.to_line()) {
            problem(
                n,
                ProblemKind::NonCanonical,
                "the line is not the canonical serialization of its content".into(),
            );
        }
        if entry.seq() != expected_seq {
            problem(
                n,
                ProblemKind::BadSequence,
                format!("seq is {}, expected {expected_seq}", entry.seq()),
            );
        }
        if entry.prev() != prev {
            problem(
                n,
                ProblemKind::BrokenChain,
                format!(
                    "prev is {}, but the previous line hashes to {prev}: an entry was edited, reordered or removed",
                    entry.prev()
                ),
            );
        }
        prev = entry.hash().to_owned();
        check_signature(entry, trusted, &mut problem);
        if !is_rfc3339(entry.time()) {
            problem(
                n,
                ProblemKind::BadField,
                format!("time {:?} is not RFC 3339", entry.time()),
            );
        }
        match entry {
            Entry::Release(r) => {
                if !is_hex64(&r.provenance_sha256) {
                    problem(
                        n,
                        ProblemKind::BadField,
                        "provenance_sha256 is not 64 lowercase hex digits".into(),
                    );
                }
                if r.invocation_id.is_empty() || r.version.is_empty() {
                    problem(n, ProblemKind::BadField, "empty invocation_id or version".into());
                }
                if let Some((line, _)) = ids.get(r.invocation_id.as_str()) {
                    problem(
                        n,
                        ProblemKind::ReplayedInvocation,
                        format!(
                            "invocation {:?} was already released on line {line}",
                            r.invocation_id
                        ),
                    );
                } else {
                    ids.insert(&r.invocation_id, (n, &r.version));
                }
                if let Some(line) = versions.get(r.version.as_str()) {
                    problem(
                        n,
                        ProblemKind::ReplayedVersion,
                        format!("version {} was already released on line {line}", r.version),
                    );
                } else {
                    versions.insert(&r.version, n);
                }
            }
            Entry::Revocation(r) => match ids.get(r.revokes.as_str()) {
                None => problem(
                    n,
                    ProblemKind::RevokesUnknown,
                    format!("revokes {:?}, which no earlier release has", r.revokes),
                ),
                Some((line, version)) => {
                    if *version != r.version {
                        problem(
                            n,
                            ProblemKind::RevocationMismatch,
                            format!(
                                "names version {} but the release on line {line} is {version}",
                                r.version
                            ),
                        );
                    }
                    if let Some(first) = revoked.get(r.revokes.as_str()) {
                        problem(
                            n,
                            ProblemKind::RevokedTwice,
                            format!("{:?} was already revoked on line {first}", r.revokes),
                        );
                    } else {
                        revoked.insert(&r.revokes, n);
                    }
                }
            },
        }
    }
    let last_line = ledger.entries.len();
    if !text.is_empty() && !text.ends_with('\n') {
        problem(
            last_line,
            ProblemKind::NonCanonical,
            "no newline at the end of the ledger".into(),
        );
    }
    if let Some(pinned) = pinned_head {
        let pinned = normalize_head(pinned);
        let known = pinned == GENESIS || ledger.entries.iter().any(|e| e.hash() == pinned);
        if !known {
            problem(
                last_line,
                ProblemKind::HeadMismatch,
                format!(
                    "the pinned head {pinned} is the hash of no line (head is {}): the ledger was truncated or rewritten",
                    ledger.head
                ),
            );
        }
    }
    let releases = ledger.releases().count();
    Ok(Report {
        entries: ledger.entries.len(),
        releases,
        revocations: ledger.entries.len() - releases,
        head: ledger.head,
        problems,
    })
}

fn check_signature(
    entry: &Entry,
    trusted: &[PublicKey],
    problem: &mut impl FnMut(usize, ProblemKind, String),
) {
    let n = entry.line();
    if trusted.is_empty() {
        problem(
            n,
            ProblemKind::UnknownKey,
            "no trusted keys given: the signature cannot be checked".into(),
        );
        return;
    }
    let Some(key) = trusted.iter().find(|k| k.keyid() == entry.keyid()) else {
        problem(
            n,
            ProblemKind::UnknownKey,
            format!("signed by key {:?}, which is not trusted", entry.keyid()),
        );
        return;
    };
    // Strict standard base64 only: another spelling of the same bytes would
    // be a second valid line.
    let valid = STANDARD
        .decode(entry.sig())
        .is_ok_and(|sig| key.verifies(&entry.signed_message(), &sig));
    if !valid {
        problem(
            n,
            ProblemKind::BadSignature,
            format!("the signature does not verify with key {}", key.keyid()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PrivateKey {
        PrivateKey::from_seed([7; 32])
    }

    fn release(n: u32) -> NewRelease {
        NewRelease {
            version: format!("1.{n}.0"),
            commit: Some(format!("{n:040x}")),
            invocation_id: format!("urn:uuid:00000000-0000-4000-8000-{n:012x}"),
            provenance_sha256: format!("{n:064x}"),
            time: format!("2026-11-22T10:0{n}:00Z"),
        }
    }

    /// Two releases and a revocation of the first.
    fn three() -> String {
        let k = key();
        let mut text = String::new();
        text += &append_release(&text, &release(1), &k).unwrap();
        text += &append_release(&text, &release(2), &k).unwrap();
        text += &append_revocation(
            &text,
            &release(1).invocation_id,
            "bad build",
            "2026-11-22T11:00:00Z",
            &k,
        )
        .unwrap();
        text
    }

    fn kinds(text: &str, trusted: &[PublicKey], pinned: Option<&str>) -> Vec<(usize, ProblemKind)> {
        let mut k: Vec<_> = verify(text, trusted, pinned)
            .unwrap()
            .problems
            .iter()
            .map(|p| (p.line, p.kind))
            .collect();
        k.sort();
        k
    }

    fn lines_of(text: &str) -> Vec<String> {
        text.lines().map(|l| format!("{l}\n")).collect()
    }

    #[test]
    fn clean_ledger_verifies_and_has_the_documented_shape() {
        let text = three();
        let report = verify(&text, &[key().public()], None).unwrap();
        assert!(report.ok(), "{:?}", report.problems);
        assert_eq!((report.entries, report.releases, report.revocations), (3, 2, 1));
        let last = text.lines().last().unwrap();
        assert_eq!(report.head, line_hash(last.as_bytes()));
        let first = text.lines().next().unwrap();
        assert!(first.starts_with(
            r#"{"kind":"release","seq":1,"version":"1.1.0","commit":"0000000000000000000000000000000000000001","invocation_id":"urn:uuid:00000000-0000-4000-8000-000000000001","provenance_sha256":"0000000000000000000000000000000000000000000000000000000000000001","time":"2026-11-22T10:01:00Z","prev":"sha256:0000000000000000000000000000000000000000000000000000000000000000","keyid":""#
        ));
        assert!(last.starts_with(r#"{"kind":"revocation","seq":3,"revokes":"urn:uuid:00000000-0000-4000-8000-000000000001","version":"1.1.0","reason":"bad build","time":"2026-11-22T11:00:00Z","prev":"sha256:"#));
        // The signature covers the domain and the line without `sig`.
        let ledger = Ledger::parse(&text).unwrap();
        let e = &ledger.entries[0];
        let unsigned = &first[..first.find(",\"sig\":").unwrap()];
        let mut message = DOMAIN.as_bytes().to_vec();
        message.extend_from_slice(unsigned.as_bytes());
        message.push(b'}');
        assert_eq!(e.signed_message(), message);
        let sig = STANDARD.decode(e.sig()).unwrap();
        assert!(key().public().verifies(&message, &sig));
        assert!(!key().public().verifies(&message[DOMAIN.len()..], &sig));
        // The pinned current head and every earlier head are accepted.
        for e in &ledger.entries {
            assert!(verify(&text, &[key().public()], Some(e.hash())).unwrap().ok());
        }
        let bare = report.head.trim_start_matches("sha256:").to_ascii_uppercase();
        assert!(verify(&text, &[key().public()], Some(&bare)).unwrap().ok());
        // The old reader still sees the releases only.
        let ids = super::super::verify::ledger_invocations(&text).unwrap();
        assert_eq!(ids.len(), 2);
    }

    #[test]
    fn empty_ledger() {
        let ledger = Ledger::parse("").unwrap();
        assert!(ledger.entries.is_empty());
        assert_eq!(ledger.head, GENESIS);
        assert!(ledger.last_release().is_none());
        let report = verify("", &[key().public()], Some(GENESIS)).unwrap();
        assert!(report.ok());
        assert_eq!(report.head, GENESIS);
    }

    #[test]
    fn edited_field_breaks_signature_and_chain() {
        let text = three().replacen("\"version\":\"1.2.0\"", "\"version\":\"1.9.0\"", 1);
        assert_eq!(
            kinds(&text, &[key().public()], None),
            vec![(2, ProblemKind::BadSignature), (3, ProblemKind::BrokenChain)]
        );
    }

    #[test]
    fn swapped_lines() {
        let l = lines_of(&three());
        let text = format!("{}{}{}", l[1], l[0], l[2]);
        let k = kinds(&text, &[key().public()], None);
        assert!(k.contains(&(1, ProblemKind::BrokenChain)), "{k:?}");
        assert!(k.contains(&(1, ProblemKind::BadSequence)), "{k:?}");
        assert!(k.contains(&(2, ProblemKind::BrokenChain)), "{k:?}");
        assert!(k.contains(&(3, ProblemKind::BrokenChain)), "{k:?}");
        assert!(!k.iter().any(|(_, kind)| *kind == ProblemKind::BadSignature));
    }

    #[test]
    fn removed_middle_line() {
        let l = lines_of(&three());
        let text = format!("{}{}", l[0], l[2]);
        assert_eq!(
            kinds(&text, &[key().public()], None),
            vec![(2, ProblemKind::BrokenChain), (2, ProblemKind::BadSequence)]
        );
    }

    #[test]
    fn removed_last_line_is_caught_by_the_pinned_head() {
        let full = three();
        let head = Ledger::parse(&full).unwrap().head;
        let l = lines_of(&full);
        let text = format!("{}{}", l[0], l[1]);
        assert!(
            verify(&text, &[key().public()], None).unwrap().ok(),
            "undetectable without a pin"
        );
        assert_eq!(
            kinds(&text, &[key().public()], Some(&head)),
            vec![(2, ProblemKind::HeadMismatch)]
        );
        // A head pinned before the last entry still holds.
        let earlier = Ledger::parse(&text).unwrap().head;
        assert!(verify(&full, &[key().public()], Some(&earlier)).unwrap().ok());
    }

    #[test]
    fn replayed_invocation_with_valid_signature_and_chain() {
        let text = three();
        let ledger = Ledger::parse(&text).unwrap();
        let mut again = ledger.find(&release(1).invocation_id).unwrap().clone();
        again.seq = 4;
        again.version = "1.3.0".into();
        again.prev = ledger.head.clone();
        let text = text + &seal(Entry::Release(again), &key());
        assert_eq!(
            kinds(&text, &[key().public()], None),
            vec![(4, ProblemKind::ReplayedInvocation)]
        );
        // The same with a replayed version.
        let ledger = Ledger::parse(&text).unwrap();
        let mut again = ledger.find(&release(2).invocation_id).unwrap().clone();
        again.seq = 5;
        again.invocation_id = "urn:uuid:fresh".into();
        again.prev = ledger.head.clone();
        let text = text + &seal(Entry::Release(again), &key());
        assert_eq!(
            kinds(&text, &[key().public()], None),
            vec![
                (4, ProblemKind::ReplayedInvocation),
                (5, ProblemKind::ReplayedVersion)
            ]
        );
    }

    #[test]
    fn untrusted_key() {
        let mut text = three();
        text += &append_release(&text, &release(4), &PrivateKey::from_seed([9; 32])).unwrap();
        assert_eq!(
            kinds(&text, &[key().public()], None),
            vec![(4, ProblemKind::UnknownKey)]
        );
        // Trusting both keys verifies it.
        let both = [key().public(), PrivateKey::from_seed([9; 32]).public()];
        assert!(verify(&text, &both, None).unwrap().ok());
    }

    #[test]
    fn revocation_is_honoured() {
        let ledger = Ledger::parse(&three()).unwrap();
        let revoked = ledger.revoked();
        assert_eq!(revoked.len(), 1);
        assert_eq!(revoked[&release(1).invocation_id], "bad build");
        assert_eq!(ledger.release_ids().len(), 2);
        assert_eq!(ledger.versions(), vec!["1.1.0", "1.2.0"]);
        assert_eq!(ledger.last_release().unwrap().version, "1.2.0");
        assert_eq!(ledger.find(&release(1).invocation_id).unwrap().line, 1);
        // Revoking the newest falls back to nothing not revoked.
        let mut text = three();
        text += &append_revocation(
            &text,
            &release(2).invocation_id,
            "also bad",
            "2026-11-22T12:00:00Z",
            &key(),
        )
        .unwrap();
        let ledger = Ledger::parse(&text).unwrap();
        assert!(ledger.last_release().is_none());
        assert!(verify(&text, &[key().public()], None).unwrap().ok());
    }

    #[test]
    fn revoking_unknown_or_twice_is_refused() {
        let text = three();
        let t = "2026-11-22T12:00:00Z";
        assert!(matches!(
            append_revocation(&text, "urn:uuid:nope", "x", t, &key()),
            Err(LedgerError::UnknownInvocation { .. })
        ));
        assert_eq!(
            append_revocation(&text, &release(1).invocation_id, "x", t, &key()),
            Err(LedgerError::AlreadyRevoked {
                id: release(1).invocation_id,
                line: 3
            })
        );
        assert!(matches!(
            append_revocation(&text, &release(2).invocation_id, " ", t, &key()),
            Err(LedgerError::InvalidField { field: "reason", .. })
        ));
        // A hand-made revocation of an unknown id is a finding.
        let ledger = Ledger::parse(&text).unwrap();
        let entry = Entry::Revocation(RevocationEntry {
            seq: 4,
            revokes: "urn:uuid:nope".into(),
            version: "9.9.9".into(),
            reason: "x".into(),
            time: t.into(),
            prev: ledger.head.clone(),
            keyid: String::new(),
            sig: String::new(),
            line: 0,
            hash: String::new(),
        });
        let text = text + &seal(entry, &key());
        assert_eq!(
            kinds(&text, &[key().public()], None),
            vec![(4, ProblemKind::RevokesUnknown)]
        );
    }

    #[test]
    fn duplicates_are_refused() {
        let text = three();
        let mut same_id = release(5);
        same_id.invocation_id = release(2).invocation_id;
        assert_eq!(
            append_release(&text, &same_id, &key()),
            Err(LedgerError::DuplicateInvocation {
                id: release(2).invocation_id,
                line: 2
            })
        );
        let mut same_version = release(5);
        same_version.version = "1.1.0".into();
        assert_eq!(
            append_release(&text, &same_version, &key()),
            Err(LedgerError::DuplicateVersion {
                version: "1.1.0".into(),
                line: 1
            }),
            "a revoked version is not reused"
        );
        let mut bad = release(5);
        bad.provenance_sha256 = "ABC".into();
        assert!(matches!(
            append_release(&text, &bad, &key()),
            Err(LedgerError::InvalidField {
                field: "provenance_sha256",
                ..
            })
        ));
        let mut bad = release(5);
        bad.time = "yesterday".into();
        assert!(matches!(
            append_release(&text, &bad, &key()),
            Err(LedgerError::InvalidField { field: "time", .. })
        ));
        let unterminated = text.trim_end();
        assert_eq!(
            append_release(unterminated, &release(5), &key()),
            Err(LedgerError::NoFinalNewline { line: 3 })
        );
        assert!(verify(unterminated, &[key().public()], None)
            .unwrap()
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::NonCanonical && p.line == 3));
        let appended = text.clone() + &append_release(&text, &release(5), &key()).unwrap();
        assert!(verify(&appended, &[key().public()], None).unwrap().ok());
        assert!(appended.ends_with('\n'));
    }

    #[test]
    fn no_trusted_keys_fails_closed() {
        assert_eq!(
            kinds(&three(), &[], None),
            vec![
                (1, ProblemKind::UnknownKey),
                (2, ProblemKind::UnknownKey),
                (3, ProblemKind::UnknownKey)
            ]
        );
    }

    #[test]
    fn unreadable_text_is_an_error_naming_the_line() {
        let text = three();
        let l = lines_of(&text);
        let e = Ledger::parse(&format!("{}{{not json\n", l[0])).unwrap_err();
        assert!(matches!(e, LedgerError::BadJson { line: 2, .. }), "{e}");
        assert!(e.to_string().contains("line 2"));
        let e = Ledger::parse(&format!("{}\n{}", l[0], l[1])).unwrap_err();
        assert_eq!(e, LedgerError::EmptyLine { line: 2 });
        let e = Ledger::parse(&l[0].replace("\"kind\":\"release\"", "\"kind\":\"party\"")).unwrap_err();
        assert!(matches!(e, LedgerError::UnknownKind { line: 1, .. }), "{e}");
        let e = Ledger::parse(&l[0].replace("\"commit\"", "\"commix\"")).unwrap_err();
        assert!(matches!(e, LedgerError::BadEntry { line: 1, .. }), "{e}");
        let e = Ledger::parse(&l[0].replace(",\"time\":\"2026-11-22T10:01:00Z\"", "")).unwrap_err();
        assert!(e.to_string().contains("missing field `time`"), "{e}");
        let mut bytes = text.into_bytes();
        let second = bytes.iter().position(|&b| b == b'\n').unwrap() + 5;
        bytes[second] = 0xff;
        assert_eq!(text_from_bytes(&bytes), Err(LedgerError::NotUtf8 { line: 2 }));
    }

    #[test]
    fn non_canonical_lines_are_findings() {
        let text = three();
        // Whitespace JSON would ignore, on the last line where no chain covers it.
        let spaced = format!("{} \n", text.trim_end());
        assert!(kinds(&spaced, &[key().public()], None).contains(&(3, ProblemKind::NonCanonical)));
        let crlf = text.replace('\n', "\r\n");
        assert!(kinds(&crlf, &[key().public()], None).contains(&(3, ProblemKind::NonCanonical)));
        // An escape serde_json would not write.
        let escaped = text.replacen("bad build", "bad buil\\u0064", 1);
        assert!(kinds(&escaped, &[key().public()], None).contains(&(3, ProblemKind::NonCanonical)));
    }

    /// Whether changing byte `i` of `text` to `new` is noticed.
    fn caught(text: &str, i: usize, new: u8) -> bool {
        let mut bytes = text.as_bytes().to_vec();
        bytes[i] = new;
        match text_from_bytes(&bytes) {
            Err(_) => true,
            Ok(t) => verify(t, &[key().public()], None).map_or(true, |r| !r.ok()),
        }
    }

    /// Every byte of the last line (which no later `prev` covers), deterministically.
    #[test]
    fn every_byte_of_the_last_line_is_covered() {
        let text = three();
        let start = text.trim_end().rfind('\n').unwrap() + 1;
        for i in start..text.len() {
            let new = text.as_bytes()[i] ^ 1;
            assert!(
                caught(&text, i, new),
                "changing byte {i} to {new:#x} went unnoticed"
            );
        }
    }

    /// Every position with two substitutions (about a second: the
    /// signature crates are optimized in test builds, see Cargo.toml).
    #[test]
    fn every_byte_position_is_covered() {
        let text = three();
        for i in 0..text.len() {
            for new in [text.as_bytes()[i] ^ 1, b' '] {
                if new != text.as_bytes()[i] {
                    assert!(
                        caught(&text, i, new),
                        "changing byte {i} to {new:#x} went unnoticed"
                    );
                }
            }
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            #[test]
            fn any_single_byte_change_is_caught(at in any::<prop::sample::Index>(), byte in any::<u8>()) {
                let text = three();
                let i = at.index(text.len());
                prop_assume!(text.as_bytes()[i] != byte);
                prop_assert!(caught(&text, i, byte));
            }
        }
    }
}
