//! `relgate sbom`: collect the selected packages and render one SBOM.

use crate::{analyze, collect, emit};
use crate::{Env, Result, SbomFormat, Scope};

/// The result of [`sbom`].
#[derive(Debug, Clone)]
pub struct SbomOutput {
    /// The document.
    pub bytes: Vec<u8>,
    /// Number of components, the root included.
    pub components: usize,
    /// Things the user should know (unlicensed crates, unknown suppliers, unreadable license files).
    pub warnings: Vec<String>,
}

/// Collects the workspace selected by `scope` and renders its SBOM.
pub fn sbom(scope: &Scope, format: SbomFormat, env: &dyn Env) -> Result<SbomOutput> {
    let facts = collect::gather(scope, env)?;
    let model = analyze::sbom::model(&facts)?;
    let bytes = emit::sbom(&model, format)?;
    let mut warnings = facts.warnings.clone();
    if !model.unlicensed.is_empty() {
        warnings.push(format!(
            "{} package(s) declare no license (neither `license` nor `license-file`): {}",
            model.unlicensed.len(),
            model.unlicensed.join(", ")
        ));
    }
    if !model.unknown_suppliers.is_empty() {
        warnings.push(format!(
            "{} package(s) have no authors, repository or registry to name a supplier; recorded as \"unknown\": {}",
            model.unknown_suppliers.len(),
            model.unknown_suppliers.join(", ")
        ));
    }
    Ok(SbomOutput {
        bytes,
        components: 1 + model.components.len(),
        warnings,
    })
}
