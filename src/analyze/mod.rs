//! Pure derivations from [`crate::facts::ReleaseFacts`].
//!
//! [`sbom::model`] decides what an SBOM says — which packages are in scope,
//! their identifiers, licenses and suppliers — once, so that every wire
//! format in [`crate::emit`] says the same thing.

pub mod api;
pub mod compat;
pub mod license;
pub mod purl;
pub mod sbom;
pub mod schema;
pub mod supplier;
