//! The sbom stage: CycloneDX and SPDX JSON of what ships, each rendered
//! twice (on three threads) so `canonical-format` can tell whether the
//! bytes are reproducible; with `[sbom] profile`, the profile's fields, its
//! gaps, and SPDX 3.0.1 beside SPDX 2.3.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::analyze::sbom::Deployable;
use crate::collect::auditable::Embedded;
use crate::config::contract::SbomConfig;
use crate::config::SbomFormat;
use crate::error::{Error, Result};
use crate::facts::ReleaseFacts;
use crate::gate::build::sbom_facts;
use crate::gate::facts::{CanonicalFact, PackageFact, SbomFact};
use crate::gate::facts::{ProfileFact, ProfileGapFact};

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
    /// What the SBOM lacks for the contract's profile (none without one).
    pub profile: Option<ProfileFact>,
    /// `sbom.spdx3.json` (SPDX 3.0.1), written with a profile: TR-03183-2
    /// accepts no SPDX 2.
    pub spdx3: Option<Vec<u8>>,
}

/// The released files the SBOM describes: name → path, and which are executables.
pub(super) struct Shipped<'a> {
    /// File name in the release directory → the file.
    pub names: &'a BTreeMap<String, PathBuf>,
    /// What each file embeds; `NotExecutable` for data files.
    pub embedded: &'a BTreeMap<String, Embedded>,
}

/// Renders both SBOMs from the workspace facts; with `[sbom] profile`, the
/// CycloneDX one carries the profile's fields (crate archives' and released
/// executables' SHA-512) and the gaps become the `sbom_profile` fact.
pub(super) fn render(facts: &ReleaseFacts, config: &SbomConfig, shipped: Shipped<'_>) -> Result<Sboms> {
    let cdx_version = config.cdx_version();
    let mut model = crate::analyze::sbom::model(facts)?;
    let mut profile_fact = None;
    if let Some(p) = config.profile() {
        let ids = crate::analyze::profile::packages(facts, &model);
        let archives = crate::collect::archives::hash(facts, &ids, &Default::default())?;
        let mut binaries = Vec::new();
        for (name, path) in shipped.names {
            if matches!(shipped.embedded.get(name), Some(Embedded::NotExecutable) | None) {
                continue;
            }
            let digest = crate::collect::artifacts::digest_file(path, name.clone(), true)?;
            binaries.push(Deployable {
                filename: name.clone(),
                sha512: digest.sha512.unwrap_or_default(),
                url: config
                    .download_url_of(&model.root.version, name)
                    .filter(|u| crate::emit::valid_url(u)),
                executable: true,
                archive: false,
                structured: false,
            });
        }
        crate::analyze::profile::apply(&mut model, p, &archives, binaries);
        let gaps = crate::analyze::profile::gaps(&model);
        profile_fact = Some(ProfileFact {
            profile: p.name().into(),
            components: 1 + model
                .components
                .iter()
                .filter(|c| c.reach == crate::analyze::sbom::Reach::Runtime)
                .count() as u64,
            gaps: gaps
                .into_iter()
                .map(|g| ProfileGapFact {
                    component: g.component,
                    missing: g.missing.iter().map(|f| f.name().to_owned()).collect(),
                })
                .collect(),
            archives_missing: archives
                .missing
                .keys()
                .map(|id| format!("{}@{}", id.name, id.version))
                .collect(),
        });
    }
    // SPDX 2.3 cannot hold the profile's fields; its renderer ignores them.
    let model = &model;
    let twice = |format: SbomFormat| -> Result<(Vec<u8>, bool)> {
        let first = crate::emit::sbom(model, format, cdx_version)?;
        let again = crate::emit::sbom(model, format, cdx_version)?;
        let same = first == again;
        Ok((first, same))
    };
    let panicked = |what: &str| Error::Inconsistent(format!("the {what} thread panicked"));
    // CycloneDX takes about twice as long as SPDX, so its two renderings
    // run on two threads and SPDX's two on a third.
    let (cdx, spdx) = std::thread::scope(|s| {
        let spdx = s.spawn(|| twice(SbomFormat::SpdxJson));
        let again = s.spawn(|| crate::emit::sbom(model, SbomFormat::CycloneDxJson, cdx_version));
        let cdx = crate::emit::sbom(model, SbomFormat::CycloneDxJson, cdx_version).and_then(|first| {
            let again = again.join().map_err(|_| panicked("CycloneDX"))??;
            let same = first == again;
            Ok((first, same))
        });
        (cdx, spdx.join().unwrap_or_else(|_| Err(panicked("SPDX"))))
    });
    let ((cdx, cdx_same), (spdx, spdx_same)) = (cdx?, spdx?);
    let spdx3 = match model.profile {
        Some(_) => Some(twice(SbomFormat::Spdx3Json)?),
        None => None,
    };
    let spdx3_same = spdx3.as_ref().map(|(_, same)| ("sbom.spdx3.json", *same));
    let canonical = [("sbom.cdx.json", cdx_same), ("sbom.spdx.json", spdx_same)]
        .into_iter()
        .chain(spdx3_same)
        .map(|(artifact, same)| CanonicalFact {
            artifact: artifact.into(),
            schema: None,
            errors: Vec::new(),
            reemit_identical: same,
        })
        .collect();
    let (packages, mut fact) = sbom_facts(model, facts);
    fact.cyclonedx_version = cdx_version.as_str().into();
    Ok(Sboms {
        cdx,
        spdx,
        canonical,
        packages,
        fact,
        profile: profile_fact,
        spdx3: spdx3.map(|(bytes, _)| bytes),
    })
}
