//! relgate's integration tests: one binary, one module per concern.
//!
//! Fixtures are copied to a temporary directory before use, so tests never
//! write into the source tree and every test checks relocation for free.

mod architecture;
mod bad_input;
mod compat;
mod conformance;
mod corpus;
mod determinism;
mod interop;
mod profile;
mod provenance;
mod readme;
mod release;
mod scoping;
mod snapshots;
mod support;
