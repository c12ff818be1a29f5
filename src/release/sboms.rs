//! The sbom stage: CycloneDX and SPDX JSON of what ships, each rendered
//! twice (one format per thread) so `canonical-format` can tell whether the
//! bytes are reproducible.

use crate::config::SbomFormat;
use crate::error::{Error, Result};
use crate::facts::ReleaseFacts;
use crate::gate::build::sbom_facts;
use crate::gate::facts::{CanonicalFact, PackageFact, SbomFact};

/// The two SBOMs and what the gate learns from them.
pub(super) struct Sboms {
    /// `sbom.cdx.json`.
    pub cdx: Vec<u8>,
    /// `sbom.spdx.json`.
    pub spdx: Vec<u8>,
    /// Whether each re-renders identically.
    pub canonical: Vec<CanonicalFact>,
    /// The packages as rules see them.
    pub packages: Vec<PackageFact>,
    /// The SBOM summary.
    pub fact: SbomFact,
}

/// Renders both SBOMs from the workspace facts.
pub(super) fn render(facts: &ReleaseFacts) -> Result<Sboms> {
    let model = crate::analyze::sbom::model(facts)?;
    let twice = |format: SbomFormat| -> Result<(Vec<u8>, bool)> {
        let first = crate::emit::sbom(&model, format)?;
        let again = crate::emit::sbom(&model, format)?;
        let same = first == again;
        Ok((first, same))
    };
    let (cdx, spdx) = std::thread::scope(|s| {
        let spdx = s.spawn(|| twice(SbomFormat::SpdxJson));
        let cdx = twice(SbomFormat::CycloneDxJson);
        (
            cdx,
            spdx.join()
                .unwrap_or_else(|_| Err(Error::Inconsistent("the SPDX thread panicked".into()))),
        )
    });
    let ((cdx, cdx_same), (spdx, spdx_same)) = (cdx?, spdx?);
    let canonical = [("sbom.cdx.json", cdx_same), ("sbom.spdx.json", spdx_same)]
        .into_iter()
        .map(|(artifact, same)| CanonicalFact {
            artifact: artifact.into(),
            schema: None,
            errors: Vec::new(),
            reemit_identical: same,
        })
        .collect();
    let (packages, fact) = sbom_facts(&model, facts);
    Ok(Sboms {
        cdx,
        spdx,
        canonical,
        packages,
        fact,
    })
}
