//! The sbom stage: CycloneDX and SPDX JSON of what ships, each rendered
//! twice (on three threads) so `canonical-format` can tell whether the
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
    let model = &model;
    let twice = |format: SbomFormat| -> Result<(Vec<u8>, bool)> {
        let first = crate::emit::sbom(model, format)?;
        let again = crate::emit::sbom(model, format)?;
        let same = first == again;
        Ok((first, same))
    };
    let panicked = |what: &str| Error::Inconsistent(format!("the {what} thread panicked"));
    // CycloneDX takes about twice as long as SPDX, so its two renderings
    // run on two threads and SPDX's two on a third.
    let (cdx, spdx) = std::thread::scope(|s| {
        let spdx = s.spawn(|| twice(SbomFormat::SpdxJson));
        let again = s.spawn(|| crate::emit::sbom(model, SbomFormat::CycloneDxJson));
        let cdx = crate::emit::sbom(model, SbomFormat::CycloneDxJson).and_then(|first| {
            let again = again.join().map_err(|_| panicked("CycloneDX"))??;
            let same = first == again;
            Ok((first, same))
        });
        (cdx, spdx.join().unwrap_or_else(|_| Err(panicked("SPDX"))))
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
    let (packages, fact) = sbom_facts(model, facts);
    Ok(Sboms {
        cdx,
        spdx,
        canonical,
        packages,
        fact,
    })
}
