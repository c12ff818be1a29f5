//! `relgate sbom`: collect the selected packages and render one SBOM; or,
//! with `--from-binary`, render what a binary's embedded dependency list
//! (cargo-auditable) says.

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

/// Renders the SBOM of what `binary` embeds (cargo-auditable's list): for
/// auditors who have only the binary. A file that is not an executable, or
/// carries no list, is an error.
pub fn sbom_from_binary(binary: &std::path::Path, format: SbomFormat, env: &dyn Env) -> Result<SbomOutput> {
    use crate::collect::auditable::Embedded;
    let bad = |reason: &str| crate::Error::Input {
        what: "binary",
        path: binary.to_path_buf(),
        reason: reason.to_owned(),
    };
    let list = match collect::auditable::read(binary)? {
        Embedded::List(list) => list,
        Embedded::Missing => {
            return Err(bad(
                "it carries no embedded dependency list: it was not built with `cargo auditable build` (or the section was stripped)",
            ))
        }
        Embedded::NotExecutable => return Err(bad("not an executable (ELF, Mach-O or PE)")),
        Embedded::TooLarge(size) => {
            return Err(bad(&format!(
                "{size} bytes, over the {} MiB relgate reads for a dependency list",
                collect::auditable::MAX_BINARY >> 20
            )))
        }
    };
    let timestamp = collect::document_timestamp(env)?;
    let name = binary
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let model = analyze::binary::sbom_from_list(&list, &name, timestamp);
    let bytes = emit::sbom(&model, format)?;
    Ok(SbomOutput {
        bytes,
        components: 1 + model.components.len(),
        warnings: vec![format!(
            "from {name}'s embedded list (cargo-auditable format {}): names, versions, sources and edges only; licenses and suppliers are not recorded in a binary",
            list.format
        )],
    })
}
