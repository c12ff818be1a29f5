//! Signed provenance: an in-toto Statement v1 with a SLSA Provenance v1
//! predicate, in a DSSE envelope signed with Ed25519.
//!
//! - [`keys`]: Ed25519 keys as PEM (private: PKCS#8 v1 written, v1 and v2
//!   read; public: SPKI) and securesystemslib's keyid.
//! - [`dsse`]: the envelope, PAE, signing and signature checks.
//! - [`statement`]: the Statement / SLSA wire types and relgate's build type.
//! - [`verify`]: every check an auditor expects, as data ([`verify::Verdict`]).
//! - [`ledger`]: the append-only, hash-chained, signed release ledger.
//! - [`sigstore`]: the provenance as a Sigstore bundle v0.3 (public-key
//!   hint, offline), written and read.
//! - [`vsa`]: the gate's verdict as a SLSA Verification Summary (v1),
//!   appended to the provenance bundle.
//!
//! Everything here is pure: artifact digests, clock and ledger come in as
//! arguments, collected by [`crate::collect`].

pub mod dsse;
pub mod keys;
pub mod ledger;
pub mod sigstore;
pub mod statement;
pub mod verify;
pub mod vsa;
