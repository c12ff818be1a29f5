//! Library errors. Every variant is something the tool could not do (exit 2);
//! findings such as a violated rule are data, never an `Error`.
//!
//! Each variant carries what the user needs to fix it; [`Error::hint`] adds
//! the fix the binary prints under the message.

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that stops relgate from doing its job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The manifest given with `--manifest-path` does not exist.
    #[error("manifest not found: {}", path.display())]
    ManifestNotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// No `Cargo.lock` beside the workspace root.
    #[error("no Cargo.lock in {}", workspace_root.display())]
    MissingLockfile {
        /// Workspace root that was searched.
        workspace_root: PathBuf,
    },
    /// `Cargo.lock` exists but could not be read or parsed.
    #[error("cannot read {}: {reason}", path.display())]
    BadLockfile {
        /// Path of the lock file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A program relgate runs (cargo, rustc, git) is not installed or not on PATH.
    #[error("`{program}` could not be run: {reason}")]
    ToolMissing {
        /// The program name.
        program: String,
        /// The OS error.
        reason: String,
    },
    /// `cargo metadata` failed (broken manifest, stale lock file, unknown feature, ...).
    #[error("`cargo metadata` failed:\n{stderr}")]
    CargoMetadata {
        /// What cargo printed, trimmed.
        stderr: String,
    },
    /// A program relgate runs (rustc, cargo tree) exited with an error:
    /// the environment's problem, not relgate's.
    #[error("`{command}` failed:\n{stderr}")]
    ToolFailed {
        /// The command as run.
        command: String,
        /// What it printed on stderr, trimmed.
        stderr: String,
    },
    /// A program ran but printed something relgate could not understand.
    #[error("unexpected output from `{program}`: {reason}")]
    ToolOutput {
        /// The program name.
        program: String,
        /// What was wrong with it.
        reason: String,
    },
    /// `-p NAME` names no workspace member.
    #[error("package `{name}` is not a member of this workspace (members: {members})")]
    UnknownPackage {
        /// The name as given.
        name: String,
        /// The members, comma-separated.
        members: String,
    },
    /// An invalid option value or option combination.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// `SOURCE_DATE_EPOCH` is set but is not a non-negative integer.
    #[error("SOURCE_DATE_EPOCH is not a Unix timestamp in seconds: {value:?}")]
    BadSourceDateEpoch {
        /// The value found in the environment.
        value: String,
    },
    /// The dependency graph is not what cargo promises (a bug in relgate or cargo).
    #[error("inconsistent dependency data: {0}")]
    Inconsistent(String),
    /// Serializing an artifact failed (a bug in relgate).
    #[error("could not serialize {artifact}: {reason}")]
    Emit {
        /// Artifact name.
        artifact: &'static str,
        /// Underlying error.
        reason: String,
    },
    /// An input file (artifact, key, bundle, ledger, checksum file) is unusable.
    #[error("cannot use {what} {}: {reason}", path.display())]
    Input {
        /// What the file is for.
        what: &'static str,
        /// The path as given.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A key is not an Ed25519 key in a supported format.
    #[error("unusable key {source}: {reason}")]
    Key {
        /// The file, or the environment variable.
        source: String,
        /// What is wrong (never the key material).
        #[source]
        reason: crate::provenance::keys::KeyError,
    },
    /// No signing key was given.
    /// The package has no library target, so no public API to compare.
    #[error("package `{package}` has no library target: there is no public API to compare")]
    NoLibrary {
        /// The package.
        package: String,
    },
    /// The contract (relgate.toml) is invalid.
    #[error("contract {origin}: {reason}")]
    Contract {
        /// Where it was read from.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// A rule could not be compiled or evaluated.
    #[error("{0}")]
    Rule(crate::gate::rules::RuleError),
    /// The schema lock or a declared schema is unreadable.
    #[error("schema lock: {0}")]
    SchemaLock(String),
    /// A release precondition does not hold.
    #[error("preflight: {reason}")]
    Preflight {
        /// What does not hold.
        reason: String,
        /// How to fix it.
        fix: String,
    },
    /// The ledger is unreadable.
    #[error("ledger {path}: {reason}")]
    Ledger {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A command relgate ran for the release failed.
    #[error("{step} failed: `{command}` exited with {status}{detail}")]
    StepFailed {
        /// Which step.
        step: &'static str,
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// The last lines of its output.
        detail: String,
    },
    /// No signing key was given.
    #[error("no signing key: pass --key or set RELGATE_SIGNING_KEY")]
    NoSigningKey,
    /// The provenance bundle cannot be decoded.
    #[error("unusable provenance bundle: {0}")]
    Envelope(#[from] crate::provenance::dsse::EnvelopeError),
    /// rustdoc could not document the crate.
    #[error("rustdoc could not document {package}:\n{stderr}")]
    Rustdoc {
        /// `name version`.
        package: String,
        /// The end of what cargo printed.
        stderr: String,
    },
    /// A rustdoc JSON document relgate cannot read.
    #[error("{0}")]
    RustdocFormat(#[from] crate::analyze::api::RustdocError),
    /// A file relgate would create already exists.
    #[error("{} already exists; relgate does not overwrite keys", path.display())]
    Exists {
        /// The path.
        path: PathBuf,
    },
    /// Another relgate holds the lock of a release directory or ledger.
    #[error("{} is locked by another relgate (waited {waited}s)", path.display())]
    Locked {
        /// The release directory or ledger.
        path: PathBuf,
        /// Seconds waited.
        waited: u64,
    },
    /// Writing an output failed; nothing partial was left behind.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// Destination path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl Error {
    /// A one-line suggestion for fixing the problem, if there is one.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::ManifestNotFound { .. } => {
                "pass --manifest-path pointing at the workspace's Cargo.toml".into()
            }
            Error::MissingLockfile { .. } => {
                "run `cargo generate-lockfile` (and commit Cargo.lock): an SBOM describes the versions that are locked".into()
            }
            Error::BadLockfile { .. } => {
                "regenerate it with `cargo generate-lockfile` or fix the merge conflict".into()
            }
            Error::ToolMissing { program, .. } if program == "cargo" || program == "rustc" => {
                format!("install Rust with rustup, or set the {} environment variable to the {program} binary", program.to_uppercase())
            }
            Error::ToolMissing { program, .. } => format!("install {program} or put it on PATH"),
            Error::ToolFailed { command, .. } => format!(
                "run `{command}` in the workspace to see why; a rust-toolchain.toml naming a toolchain that is not installed is a common cause (`rustup toolchain install` installs it)"
            ),
            Error::CargoMetadata { .. } => {
                "fix the error above; `cargo metadata --locked` must succeed in this workspace (a manifest error, a Cargo.lock that needs updating, or a rust-toolchain.toml naming a toolchain that is not installed)".into()
            }
            Error::UnknownPackage { .. } => "pass one of the members listed with -p".into(),
            Error::BadSourceDateEpoch { .. } => {
                "set SOURCE_DATE_EPOCH to seconds since 1970-01-01 (e.g. `git log -1 --format=%ct`) or unset it".into()
            }
            Error::Inconsistent(_) | Error::Emit { .. } | Error::ToolOutput { .. } => {
                "this is a bug in relgate; please report it with the command you ran".into()
            }
            Error::Write { .. } => {
                "choose a writable location with -o, or `-o -` for stdout".into()
            }
            Error::Input { what: "artifact", .. } => "pass files or directories that exist and are readable".into(),
            Error::Input { what: "checksum file", .. } => {
                "each line must be `SHA256  NAME` (sha256sum format) naming a file beside the checksum file, with its current digest".into()
            }
            Error::Input { what: "binary", .. } => {
                "pass a binary built with `cargo auditable build` (an ELF, Mach-O or PE executable whose .dep-v0 section is intact); a release ships it only if its list is sound".into()
            }
            Error::Input { .. } => "check the path".into(),
            Error::Key { .. } => {
                "private keys are PKCS#8 PEM (`BEGIN PRIVATE KEY`), public keys SPKI PEM (`BEGIN PUBLIC KEY`), Ed25519; `relgate keygen` writes a pair".into()
            }
            Error::NoSigningKey => "create one with `relgate keygen --out-dir DIR`".into(),
            Error::Envelope(_) => {
                "pass the .intoto.jsonl file relgate attest wrote (one DSSE envelope per line)".into()
            }
            Error::Rustdoc { .. } => {
                "the crate must document with these features and target on the stable toolchain (`cargo rustdoc --lib`); pick features it builds with, or a baseline that builds".into()
            }
            Error::RustdocFormat(_) => {
                "produce the JSON with the same stable toolchain relgate supports, or upgrade relgate".into()
            }
            Error::Locked { .. } => {
                "another release, revoke or gate is writing it; wait for it, or pass --wait-lock SECONDS".into()
            }
            Error::Exists { .. } => "choose another --out-dir or --name, or remove the old key first".into(),
            Error::InvalidOption(_) => return None,
            Error::NoLibrary { .. } => "compare a library package (-p NAME)".into(),
            Error::Contract { .. } => "fix the contract; `relgate explain ID` describes each built-in invariant".into(),
            Error::Rule(_) => "fix the rule's expression: a rule that cannot be evaluated never passes".into(),
            Error::SchemaLock(_) => "run `relgate schema lock` to (re)create the lock, after reviewing the schema change".into(),
            Error::Preflight { fix, .. } => fix.clone(),
            Error::Ledger { .. } => "restore the ledger from version control; `relgate ledger verify` shows what is wrong".into(),
            Error::StepFailed { .. } => "run the command yourself to see the full output".into(),
        })
    }
}
