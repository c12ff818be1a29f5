//! SBOM profiles: what a guideline requires of an SBOM, as data.
//!
//! [`apply`] fills a model's profile fields from collected facts (the
//! SHA-512 of each registry crate's `.crate` archive, the released binaries);
//! [`gaps`] lists, per delivered component, every field the profile requires
//! that the document cannot hold because relgate does not know it — the
//! `sbom-profile` invariant fails on any.
//!
//! BSI TR-03183-2 v2.1.0 (2025-08-20): the required (§5.2.1, §5.2.2) and
//! additional (§5.2.3, §5.2.4) fields — SHALL when the data exists. The
//! delivered components are the root and everything it reaches at run time;
//! build-only packages (build scripts, proc-macros' dependencies at build
//! time) are not delivered and not checked. Always present in relgate's
//! documents, so never gaps: name, version, other unique identifiers (purl),
//! dependencies with their completeness, the timestamp and the SBOM-URI
//! (the serial number / the `software_Sbom` id).

use std::collections::BTreeMap;

use crate::analyze::purl;
use crate::analyze::sbom::{Component, Deployable, Reach, Sbom};
use crate::analyze::supplier::{Origin, Supplier};
use crate::collect::archives::Archives;
use crate::config::Profile;
use crate::emit::valid_url;

/// A field a profile requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// The SBOM's creator as e-mail or URL (§5.2.1).
    SbomCreator,
    /// The component's creator as e-mail or URL (§5.2.2).
    Creator,
    /// The deployable form's file name (§5.2.2).
    Filename,
    /// SHA-512 of the deployable form (§5.2.2), with its executable, archive
    /// and structured properties.
    Hash,
    /// Distribution licences as an SPDX expression (§5.2.2).
    Licence,
    /// URI of the component's source code (§5.2.4).
    SourceUri,
    /// URI of the deployable form (§5.2.4).
    DeployableUri,
}

impl Field {
    /// Every field, in report order.
    pub const ALL: [Field; 7] = [
        Field::SbomCreator,
        Field::Creator,
        Field::Filename,
        Field::Hash,
        Field::Licence,
        Field::SourceUri,
        Field::DeployableUri,
    ];

    /// Stable name (gate.json, waivers' `it.missing`).
    pub fn name(self) -> &'static str {
        match self {
            Field::SbomCreator => "sbom-creator",
            Field::Creator => "creator",
            Field::Filename => "filename",
            Field::Hash => "hash",
            Field::Licence => "licence",
            Field::SourceUri => "source-uri",
            Field::DeployableUri => "deployable-uri",
        }
    }

    /// What the field is and where relgate gets it.
    pub fn explain(self) -> &'static str {
        match self {
            Field::SbomCreator => "the SBOM creator's e-mail or URL (TR-03183-2 §5.2.1): the root package's supplier (`authors` e-mail, `repository`/`homepage`, or the workspace's `supplier` metadata)",
            Field::Creator => "the component creator's e-mail or URL (§5.2.2): the supplier's e-mail (`authors`), else its URL, `homepage` or `repository`",
            Field::Filename => "the deployable form's file name (§5.2.2): `<name>-<version>.crate` for a registry crate, the released binary's name for the root",
            Field::Hash => "SHA-512 of the deployable form (§5.2.2), with its executable, archive and structured properties: the `.crate` cargo downloaded (its SHA-256 checked against Cargo.lock), or the released binary",
            Field::Licence => "distribution licences as an SPDX expression (§5.2.2): `license` or `license-file`",
            Field::SourceUri => "the source code's URI (§5.2.4): `repository`, or the registry or git source it was fetched from",
            Field::DeployableUri => "the URI of the deployable form (§5.2.4): the registry's download URL of the `.crate`",
        }
    }
}

/// One component's missing fields (`component` is `name@version`, or `SBOM`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// `name@version`, or `SBOM` for document-level fields.
    pub component: String,
    /// What is missing.
    pub missing: Vec<Field>,
}

/// The packages whose archives the profile hashes: every one the model lists.
pub fn packages<'a>(facts: &'a crate::facts::ReleaseFacts, model: &Sbom) -> Vec<&'a crate::facts::PackageId> {
    let refs: std::collections::BTreeSet<&str> =
        model.components.iter().map(|c| c.bom_ref.as_str()).collect();
    facts
        .packages
        .keys()
        .filter(|id| refs.contains(purl::of(id).as_str()))
        .collect()
}

/// Fills the profile's fields: each registry crate's archive (SHA-512, file
/// name, download URL) and the root's released binaries.
pub fn apply(model: &mut Sbom, profile: Profile, archives: &Archives, binaries: Vec<Deployable>) {
    let by_purl: BTreeMap<String, _> = archives.found.iter().map(|(id, a)| (purl::of(id), a)).collect();
    for c in &mut model.components {
        if let Some(a) = by_purl.get(&c.bom_ref) {
            c.deployables = vec![Deployable {
                filename: a.filename.clone(),
                sha512: a.sha512.clone(),
                url: c.download_url.clone().filter(|u| valid_url(u)),
                executable: false,
                archive: true,
                structured: true,
            }];
        }
    }
    model.root.deployables = binaries;
    model.profile = Some(profile);
}

/// Every required field the model cannot fill, per delivered component
/// (root first, then by reference); empty when the profile is met.
pub fn gaps(model: &Sbom) -> Vec<Gap> {
    let mut out = Vec::new();
    if !has_contact(&model.root) {
        out.push(Gap {
            component: "SBOM".into(),
            missing: vec![Field::SbomCreator],
        });
    }
    let delivered =
        std::iter::once(&model.root).chain(model.components.iter().filter(|c| c.reach == Reach::Runtime));
    for c in delivered {
        let mut missing = Vec::new();
        if !has_contact(c) {
            missing.push(Field::Creator);
        }
        if c.deployables.is_empty() {
            missing.push(Field::Filename);
            missing.push(Field::Hash);
        }
        if matches!(c.license, crate::analyze::license::License::None) {
            missing.push(Field::Licence);
        }
        if source_uri(c).is_none() {
            missing.push(Field::SourceUri);
        }
        if !c.deployables.iter().any(|d| d.url.is_some()) {
            missing.push(Field::DeployableUri);
        }
        if !missing.is_empty() {
            out.push(Gap {
                component: format!("{}@{}", c.name, c.version),
                missing,
            });
        }
    }
    out
}

/// Whether the component's creator can be reached by e-mail or URL.
pub fn has_contact(c: &Component) -> bool {
    creator(c).is_some()
}

/// The creator's URL for a profile (TR-03183-2: "the creator's home page or
/// the project's web page" when there is no e-mail): the supplier's own URL,
/// else `homepage`, else `repository`. A registry is not a creator: when the
/// supplier was derived from the registry, its URL does not count.
pub fn creator_url(c: &Component) -> Option<&str> {
    let own = (c.supplier.origin != Origin::Registry)
        .then_some(&c.supplier.url)
        .into_iter()
        .flatten();
    own.chain(&c.homepage)
        .chain(&c.repository)
        .map(String::as_str)
        .find(|u| valid_url(u))
}

/// The component's creator as the profile names it — reachable by e-mail
/// or URL — or none. A supplier that is the registry or unknown is not the
/// creator: the creator is then named after its URL.
pub fn creator(c: &Component) -> Option<Supplier> {
    let by_supplier = !matches!(c.supplier.origin, Origin::Registry | Origin::Unknown);
    if by_supplier && c.supplier.email.is_some() {
        let mut s = c.supplier.clone();
        if s.url.is_none() {
            s.url = creator_url(c).map(str::to_owned);
        }
        return Some(s);
    }
    let url = creator_url(c)?.to_owned();
    let mut s = if by_supplier {
        c.supplier.clone()
    } else {
        Supplier {
            name: url.clone(),
            email: None,
            url: None,
            kind: crate::analyze::supplier::Kind::Organization,
            origin: c.supplier.origin,
        }
    };
    s.url = Some(url);
    Some(s)
}

/// The URI of the component's source code: its repository, else the
/// registry archive or git URL it was fetched from.
pub fn source_uri(c: &Component) -> Option<&str> {
    c.repository
        .as_deref()
        .filter(|u| valid_url(u))
        .or_else(|| match c.source_kind {
            "registry" | "git" => c.download_url.as_deref().filter(|u| valid_url(u)),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_frozen_and_explained() {
        let names: Vec<_> = Field::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(
            names,
            [
                "sbom-creator",
                "creator",
                "filename",
                "hash",
                "licence",
                "source-uri",
                "deployable-uri"
            ]
        );
        assert!(Field::ALL.iter().all(|f| f.explain().len() > 40));
    }

    fn crate_from_registry(homepage: Option<&str>) -> Component {
        Component {
            bom_ref: "pkg:cargo/z@1.0.0".into(),
            purl: "pkg:cargo/z@1.0.0".into(),
            spdx_id: "SPDXRef-Package-z-1.0.0".into(),
            name: "z".into(),
            version: "1.0.0".into(),
            description: None,
            kind: crate::analyze::sbom::Kind::Library,
            reach: Reach::Runtime,
            source_kind: "registry",
            supplier: Supplier::registry("crates.io", "https://crates.io"),
            authors: Vec::new(),
            license: crate::analyze::license::License::None,
            sha256: None,
            download_url: None,
            homepage: homepage.map(str::to_owned),
            repository: None,
            documentation: None,
            workspace_member: false,
            deployables: Vec::new(),
        }
    }

    #[test]
    fn the_registry_is_not_a_creator() {
        let c = crate_from_registry(None);
        assert!(creator(&c).is_none());
        assert!(!has_contact(&c));
        let c = crate_from_registry(Some("https://github.com/z/z"));
        let s = creator(&c).unwrap();
        assert_eq!(
            (s.name.as_str(), s.url.as_deref()),
            ("https://github.com/z/z", Some("https://github.com/z/z"))
        );
    }
}
