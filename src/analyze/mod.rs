//! Pure derivations from [`crate::facts::ReleaseFacts`].
//!
//! [`sbom::model`] decides what an SBOM says — which packages are in scope,
//! their identifiers, licenses and suppliers — once, so that every wire
//! format in [`crate::emit`] says the same thing. [`api`] and [`compat`]
//! turn rustdoc JSON into a public-API diff and a semver verdict; [`schema`]
//! canonicalizes JSON Schemas, keeps the lock and classifies drift;
//! [`advisories`] matches the SBOM's crates.io packages against an advisory
//! database; [`binary`] compares a binary's embedded dependency list with
//! the SBOM, and makes an SBOM from that list alone.

pub mod advisories;
pub mod api;
pub mod binary;
pub mod compat;
pub mod kinds;
pub mod license;
pub mod profile;
pub mod purl;
pub mod sbom;
pub mod schema;
pub mod supplier;
