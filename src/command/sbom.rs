//! `relgate sbom`: collect the selected packages and render one SBOM (with
//! `--profile`, the crate archives hashed beside `cargo metadata` and the
//! profile's fields filled, gaps as warnings); or, with `--from-binary`,
//! render what a binary's embedded dependency list (cargo-auditable) says.

use crate::config::Profile;
use crate::{analyze, collect, emit};
use crate::{CdxVersion, Env, Error, Result, SbomFormat, Scope};

/// A profile needs a format that can hold its fields (TR-03183-2: CycloneDX
/// 1.6 or later, or SPDX 3.0.1).
pub fn check_profile_format(profile: Profile, format: SbomFormat, cdx: CdxVersion) -> Result<()> {
    let ok = profile.holds(format, cdx);
    if ok {
        return Ok(());
    }
    Err(Error::InvalidOption(format!(
        "the {} profile needs CycloneDX 1.6 or later or SPDX 3.0.1 (spdx3-json): SPDX 2.3 and CycloneDX 1.5 cannot hold its fields; got {}{}",
        profile.name(),
        format.name(),
        if format.is_cyclonedx() {
            format!(" {}", cdx.as_str())
        } else {
            String::new()
        }
    )))
}

/// What the user should know about a profile's gaps.
pub(crate) fn profile_warnings(
    model: &analyze::sbom::Sbom,
    archives: &collect::archives::Archives,
) -> Vec<String> {
    let mut out = Vec::new();
    if !archives.missing.is_empty() {
        let names: Vec<String> = archives
            .missing
            .keys()
            .map(|id| format!("{}@{}", id.name, id.version))
            .collect();
        out.push(format!(
            "{} crate archive(s) are not in cargo's cache, so their SHA-512 is missing (run `cargo fetch`): {}",
            names.len(),
            names.join(", ")
        ));
    }
    let gaps = analyze::profile::gaps(model);
    if !gaps.is_empty() {
        let shown: Vec<String> = gaps
            .iter()
            .take(20)
            .map(|g| {
                let m: Vec<&str> = g.missing.iter().map(|f| f.name()).collect();
                format!("{} ({})", g.component, m.join(", "))
            })
            .collect();
        out.push(format!(
            "{} component(s) lack fields the profile requires{}: {}",
            gaps.len(),
            if gaps.len() > 20 { " (first 20)" } else { "" },
            shown.join("; ")
        ));
    }
    out
}

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
pub fn sbom(
    scope: &Scope,
    format: SbomFormat,
    cdx: CdxVersion,
    profile: Option<Profile>,
    env: &dyn Env,
) -> Result<SbomOutput> {
    if let Some(p) = profile {
        check_profile_format(p, format, cdx)?;
    }
    // With a profile, the crate archives are hashed while cargo metadata runs.
    // What is not hashed when cargo is done is hashed afterwards, on every core.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (facts, prefetched) = std::thread::scope(|s| {
        let pre = profile
            .map(|_| s.spawn(|| collect::archives::prefetch(scope.manifest_path.as_deref(), env, &stop)));
        let facts = collect::gather(scope, env);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        (facts, pre.and_then(|h| h.join().ok()).unwrap_or_default())
    });
    let facts = facts?;
    let mut model = analyze::sbom::model(&facts)?;
    let mut warnings = facts.warnings.clone();
    if let Some(p) = profile {
        let ids = analyze::profile::packages(&facts, &model);
        let archives = collect::archives::hash(&facts, &ids, &prefetched)?;
        analyze::profile::apply(&mut model, p, &archives, Vec::new());
        warnings.extend(profile_warnings(&model, &archives));
    }
    let bytes = emit::sbom(&model, format, cdx)?;
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
pub fn sbom_from_binary(
    binary: &std::path::Path,
    format: SbomFormat,
    cdx: CdxVersion,
    env: &dyn Env,
) -> Result<SbomOutput> {
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
    let bytes = emit::sbom(&model, format, cdx)?;
    Ok(SbomOutput {
        bytes,
        components: 1 + model.components.len(),
        warnings: vec![format!(
            "from {name}'s embedded list (cargo-auditable format {}): names, versions, sources and edges only; licenses and suppliers are not recorded in a binary",
            list.format
        )],
    })
}
