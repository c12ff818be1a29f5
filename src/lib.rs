//! relgate: release evidence for Rust workspaces.
//!
//! The pipeline, one module per phase (see ARCHITECTURE.md):
//!
//! ```text
//! config ─► collect ─► facts::ReleaseFacts ─► analyze ─► emit ─► gate ─► provenance ─► write
//!           (reads the world)                 (pure)     (pure)  (pure)  (pure)        (writes)
//! ```
//!
//! [`release::Release`] runs all of it (what `relgate release` and `cargo
//! xtask release` call); the other commands each have a module under
//! `command/`, re-exported here: [`sbom`], [`keygen`], [`attest`],
//! [`countersign`], [`verify`], [`compat`], [`compat_workspace`].
//!
//! The library never prints; warnings come back as data, progress through a
//! callback. The `relgate` binary (feature `cli`) renders them.

#![deny(missing_docs)]

pub mod analyze;
pub mod collect;
mod command;
pub mod config;
pub mod emit;
mod error;
pub mod facts;
pub mod gate;
pub mod init;
pub mod provenance;
pub mod release;
pub mod write;

pub use collect::{Env, SystemEnv};
pub use command::attest::{attest, countersign, keygen, AttestOutput};
pub use command::compat::{compat, compat_workspace, MemberCompat, WorkspaceCompat};
pub use command::ledger::{show as ledger_show, summary as ledger_summary, verify as ledger_verify};
pub use command::sbom::{sbom, sbom_from_binary, SbomOutput};
pub use command::schema::{
    check as schema_check, lock as schema_lock, Checked as SchemaChecked, Locked as SchemaLocked,
};
pub use command::verify::{verify, verify_digests};
pub use config::{AttestOptions, CdxVersion, CompatOptions, Features, SbomFormat, Scope, VerifyOptions};
pub use error::{Error, Result};
