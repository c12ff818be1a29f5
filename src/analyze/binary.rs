//! The SBOM against the binary that ships: cargo-auditable's embedded
//! dependency list ([`crate::collect::auditable`]) compared with the
//! SBOM's components for that binary, and an SBOM made from the list
//! alone (`relgate sbom --from-binary`).
//!
//! A package is compared as (name, version, source kind), the kinds as
//! cargo-auditable writes them: `crates.io`, `registry` (another
//! registry), `git`, `local` (a path). The SBOM's components for a binary
//! are its package (the list's root, a selected member of the same name
//! and version) and everything that package reaches through normal and
//! build dependencies: what the SBOM model puts in scope for it.

use std::collections::{BTreeMap, BTreeSet};

use super::license::License;
use super::sbom::{self, Component, Edge, Kind, Reach, Sbom};
use super::supplier::Supplier;
use crate::collect::auditable::{DepList, Embedded};
use crate::facts::{PackageId, RegistryIndex, ReleaseFacts, Source};
use crate::gate::facts::BinaryFact;

/// A package as both sides can name it: `name@version (kind)`.
fn key(name: &str, version: &str, kind: &str) -> String {
    format!("{name}@{version} ({kind})")
}

/// cargo-auditable's name for where a package comes from.
fn kind_of(source: &Source) -> &'static str {
    match source {
        Source::Registry {
            index: RegistryIndex::CratesIo,
        } => "crates.io",
        Source::Registry { .. } => "registry",
        Source::Git { .. } => "git",
        Source::Path { .. } => "local",
    }
}

/// The check of one released file, or `None` when it is not an executable.
pub fn check(facts: &ReleaseFacts, name: &str, embedded: &Embedded) -> Option<BinaryFact> {
    let list = match embedded {
        Embedded::NotExecutable => return None,
        Embedded::Missing => {
            return Some(BinaryFact {
                name: name.to_owned(),
                auditable: false,
                ..BinaryFact::default()
            })
        }
        Embedded::TooLarge(size) => {
            return Some(BinaryFact {
                name: name.to_owned(),
                auditable: false,
                unreadable: Some(format!(
                    "{size} bytes, over the {} MiB relgate reads for a dependency list",
                    crate::collect::auditable::MAX_BINARY >> 20
                )),
                ..BinaryFact::default()
            })
        }
        Embedded::List(list) => list,
    };
    let root = &list.packages[list.root];
    let in_binary: BTreeSet<String> = list
        .packages
        .iter()
        .map(|p| key(&p.name, &p.version, &p.source))
        .collect();
    // The binary's own package: a selected member of the root's name and version.
    let own = facts.roots.iter().find(|id| {
        id.name == root.name && id.version == root.version && matches!(id.source, Source::Path { .. })
    });
    let in_sbom: BTreeSet<String> = own
        .map(|id| {
            sbom::reachable(facts, std::iter::once(id), |k| k.normal || k.build)
                .into_iter()
                .map(|p: &PackageId| key(&p.name, &p.version, kind_of(&p.source)))
                .collect()
        })
        .unwrap_or_default();
    Some(BinaryFact {
        name: name.to_owned(),
        auditable: true,
        root: Some(format!("{}@{}", root.name, root.version)),
        format: Some(list.format),
        packages: list.packages.len() as u64,
        sbom_components: in_sbom.len() as u64,
        root_in_sbom: own.is_some(),
        not_in_sbom: in_binary.difference(&in_sbom).cloned().collect(),
        not_in_binary: in_sbom.difference(&in_binary).cloned().collect(),
        unreadable: None,
    })
}

/// An SBOM model of what a binary's embedded list says, for auditors who
/// have only the binary: names, versions, sources, build or runtime, and
/// the dependency edges. Nothing the list does not hold is invented:
/// licenses and suppliers are unknown, crates.io packages get their purl
/// and download URL, other sources a generic purl that names the kind.
pub fn sbom_from_list(list: &DepList, file_name: &str, timestamp: i64) -> Sbom {
    let purl_of = |p: &crate::collect::auditable::DepPackage| {
        let (name, version) = (super::purl::encode(&p.name), super::purl::encode(&p.version));
        if p.source == "crates.io" {
            format!("pkg:cargo/{name}@{version}")
        } else {
            format!(
                "pkg:generic/{name}@{version}?cargo_source={}",
                super::purl::encode(&p.source)
            )
        }
    };
    // A package the list names twice (same name, version and source) is one component.
    let refs: Vec<String> = list.packages.iter().map(purl_of).collect();
    // Build-only unless some runtime package depends on it (or it is the root).
    let mut components: BTreeMap<String, Component> = BTreeMap::new();
    for (i, p) in list.packages.iter().enumerate() {
        let download_url = (p.source == "crates.io").then(|| {
            format!(
                "https://crates.io/api/v1/crates/{}/{}/download",
                p.name, p.version
            )
        });
        let c = Component {
            bom_ref: refs[i].clone(),
            purl: refs[i].clone(),
            spdx_id: String::new(),
            name: p.name.clone(),
            version: p.version.clone(),
            description: (i == list.root)
                .then(|| format!("the package of {file_name}, from its embedded dependency list")),
            kind: if i == list.root {
                Kind::Application
            } else {
                Kind::Library
            },
            reach: if p.build && i != list.root {
                Reach::Build
            } else {
                Reach::Runtime
            },
            source_kind: match p.source.as_str() {
                "crates.io" | "registry" => "registry",
                "git" => "git",
                _ => "path",
            },
            supplier: Supplier::unknown(),
            authors: Vec::new(),
            license: License::None,
            sha256: None,
            download_url,
            homepage: None,
            repository: None,
            documentation: None,
            workspace_member: false,
            deployables: Vec::new(),
        };
        components
            .entry(c.bom_ref.clone())
            .and_modify(|e| {
                if c.reach == Reach::Runtime {
                    e.reach = Reach::Runtime
                }
            })
            .or_insert(c);
    }
    let mut edges: BTreeMap<String, BTreeMap<String, Edge>> =
        refs.iter().map(|r| (r.clone(), BTreeMap::new())).collect();
    for (i, p) in list.packages.iter().enumerate() {
        for d in &p.dependencies {
            let build = list.packages[*d].build;
            let e = edges
                .entry(refs[i].clone())
                .or_default()
                .entry(refs[*d].clone())
                .or_default();
            e.normal |= !build;
            e.build |= build;
        }
    }
    let mut all: Vec<Component> = components.into_values().collect();
    sbom::assign_spdx_ids(&mut all);
    let idx = all.iter().position(|c| c.bom_ref == refs[list.root]).unwrap_or(0);
    let root = all.remove(idx);
    let unlicensed = std::iter::once(&root)
        .chain(&all)
        .map(|c| format!("{}@{}", c.name, c.version))
        .collect::<Vec<_>>();
    Sbom {
        unknown_suppliers: unlicensed.clone(),
        profile: None,
        unlicensed,
        root,
        components: all,
        edges,
        extracted: BTreeMap::new(),
        timestamp,
        tool_version: env!("CARGO_PKG_VERSION"),
        target: "unknown (not in the embedded list)".into(),
        features: Vec::new(),
        all_features: false,
        no_default_features: false,
        rustc_version: "unknown (not in the embedded list)".into(),
        git: None,
    }
}
