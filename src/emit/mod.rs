//! Pure renderers: model → bytes, one module per artifact. Nothing here
//! reads or writes the world; the same model always gives the same bytes.

pub mod compat;
pub mod cyclonedx;
pub mod gate;
pub mod metrics;
pub mod report;
pub mod spdx;
pub mod spdx3;
pub mod strict_json;
pub mod traces;
pub mod vex;

use sha2::{Digest, Sha256};

use crate::analyze::sbom::Sbom;
use crate::config::{CdxVersion, SbomFormat};
use crate::error::{Error, Result};

/// Renders the SBOM in the given format; `cdx` is the CycloneDX spec
/// version (ignored by the SPDX formats, which have one version each).
pub fn sbom(model: &Sbom, format: SbomFormat, cdx: CdxVersion) -> Result<Vec<u8>> {
    match format {
        SbomFormat::CycloneDxJson => cyclonedx::render(model, cyclonedx::Encoding::Json, cdx),
        SbomFormat::CycloneDxXml => cyclonedx::render(model, cyclonedx::Encoding::Xml, cdx),
        SbomFormat::SpdxJson => spdx::render(model),
        SbomFormat::Spdx3Json => spdx3::render(model),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix timestamp.
pub(crate) fn rfc3339(ts: i64) -> Result<String> {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .ok_or_else(|| Error::Emit {
            artifact: "timestamp",
            reason: format!("{ts} is out of range"),
        })
}

/// The all-zero UUID a document is rendered with before its own id is known.
pub(crate) const NIL_UUID: &str = "00000000-0000-0000-0000-000000000000";

/// Replaces the first [`NIL_UUID`] in a rendered document with a name-based
/// (v5) UUID of the document's bytes: equal documents get equal ids, and the
/// document is rendered once.
pub(crate) fn stamp_content_uuid(mut doc: Vec<u8>) -> Result<Vec<u8>> {
    let uuid = content_uuid(&doc);
    let at = doc
        .windows(NIL_UUID.len())
        .position(|w| w == NIL_UUID.as_bytes())
        .ok_or_else(|| Error::Emit {
            artifact: "document id",
            reason: "placeholder missing".into(),
        })?;
    doc[at..at + NIL_UUID.len()].copy_from_slice(uuid.as_bytes());
    Ok(doc)
}

/// The name-based (v5) UUID of a rendered document's bytes.
pub(crate) fn content_uuid(doc: &[u8]) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, &Sha256::digest(doc)).to_string()
}

/// Whether a string is an absolute URL worth putting in a document.
pub(crate) fn valid_url(s: &str) -> bool {
    url::Url::parse(s)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "git" | "ssh") && u.host().is_some())
}
