//! The build stage: `cargo build` (`cargo auditable build` with `[release]
//! auditable`) of what ships (unless `--no-build`) plus the `--artifact`
//! files, each under a file name no release file uses, and the dependency
//! list each executable embeds.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::staged::RESERVED;
use super::ReleasePlan;
use crate::collect;
use crate::error::{Error, Result};

/// What the build stage produced.
pub(super) struct Built {
    /// File name in the release directory → the file.
    pub names: BTreeMap<String, PathBuf>,
    /// Wall time of `cargo build` (0 when skipped).
    pub seconds: f64,
    /// What each executable embeds (cargo-auditable's list), by file name.
    pub embedded: BTreeMap<String, collect::auditable::Embedded>,
}

/// Builds the binaries of `shipped` (none with `no_build`) and names every
/// file to release; a name relgate writes itself, a hidden or empty name, or
/// two files with one name are refused.
pub(super) fn build(
    plan: &ReleasePlan,
    no_build: bool,
    extra: &[PathBuf],
    env: &dyn collect::Env,
) -> Result<Built> {
    let shipped = &plan.shipped;
    let start = env.now_nanos();
    let mut files: Vec<PathBuf> = if no_build || shipped.is_empty() {
        Vec::new()
    } else {
        collect::release::build(&plan.manifest, shipped, plan.contract.release.auditable)?
    };
    let seconds = (env.now_nanos() - start) as f64 / 1e9;
    files.extend(extra.iter().cloned());
    let names = named(&files, &[])?;
    Ok(Built {
        embedded: embedded(&names)?,
        names,
        seconds,
    })
}

/// Each named file's embedded dependency list (a malformed one is an error).
pub(super) fn embedded(
    names: &BTreeMap<String, PathBuf>,
) -> Result<BTreeMap<String, collect::auditable::Embedded>> {
    names
        .iter()
        .map(|(name, path)| Ok((name.clone(), collect::auditable::read(path)?)))
        .collect()
}

/// Each file by its name in the release (or part) directory: refused when
/// a name collides with a file relgate writes (`RESERVED`, or `also`), is
/// hidden or empty, or is taken twice.
pub(super) fn named(files: &[PathBuf], also: &[&str]) -> Result<BTreeMap<String, PathBuf>> {
    let mut names = BTreeMap::new();
    for b in files {
        let name = b
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if RESERVED.contains(&name.as_str())
            || also.contains(&name.as_str())
            || name.starts_with('.')
            || name.is_empty()
        {
            return Err(Error::InvalidOption(format!(
                "artifact `{}` would collide with a file relgate writes; rename it",
                b.display()
            )));
        }
        if names.insert(name.clone(), b.clone()).is_some() {
            return Err(Error::InvalidOption(format!("two artifacts are named `{name}`")));
        }
    }
    Ok(names)
}
