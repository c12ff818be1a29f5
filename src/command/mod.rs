//! One module per command that is not the release pipeline: each takes
//! its options and returns its outcome as data (the CLI renders it).

pub mod attest;
pub mod compat;
pub mod ledger;
pub mod sbom;
pub mod schema;
pub mod verify;
