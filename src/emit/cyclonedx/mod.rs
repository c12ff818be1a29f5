//! CycloneDX 1.5, 1.6 (default) and 1.7, JSON or XML, from relgate's own
//! wire types ([`wire`]; the `cyclonedx-bom` crate stops at 1.5).
//!
//! Mapping: the root is `metadata.component`; build-only packages are
//! `scope: excluded` with property `relgate:dependency-kind=build`; every
//! component has a `dependencies` entry; `serialNumber` is a UUID derived
//! from the document's own content, so equal documents have equal serials.
//!
//! From 1.6 on: the root's `manufacturer` is its supplier; `authors` are
//! structured contacts instead of the deprecated `author` string; registry
//! and git packages name their source archive as `source-distribution`; and
//! one `compositions` entry states that the dependency graph is complete
//! (cargo resolved all of it). `omniborId` and `swhid` are never written:
//! relgate does not compute them, and a made-up identifier is worse than
//! none.

mod wire;
mod xml;

use wire::{
    AttachedText, Bom, Component, Composition, Contact, Dependency, ExternalReference, Hash, LicenseChoice,
    Metadata, NamedLicense, Organization, Property, Tools,
};

use super::{rfc3339, stamp_content_uuid, valid_url, NIL_UUID};
use crate::analyze::license::License as Lic;
use crate::analyze::sbom::{self, Reach, Sbom};
use crate::analyze::supplier::Supplier;
use crate::config::CdxVersion;
use crate::error::{Error, Result};

/// JSON or XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// CycloneDX JSON.
    Json,
    /// CycloneDX XML.
    Xml,
}

/// Renders the model as CycloneDX of the given spec version.
pub fn render(model: &Sbom, encoding: Encoding, version: CdxVersion) -> Result<Vec<u8>> {
    let bom = build(model, version)?;
    let mut out = match encoding {
        Encoding::Json => serde_json::to_vec_pretty(&bom).map_err(|e| emit_err(e.to_string()))?,
        Encoding::Xml => xml::render(&bom).into_bytes(),
    };
    if encoding == Encoding::Json {
        out.push(b'\n');
    }
    stamp_content_uuid(out)
}

fn emit_err(reason: String) -> Error {
    Error::Emit {
        artifact: "CycloneDX SBOM",
        reason,
    }
}

fn build(model: &Sbom, version: CdxVersion) -> Result<Bom> {
    let v16 = version.has_1_6();
    if model.profile.is_some() && !v16 {
        return Err(emit_err(format!(
            "a profile needs CycloneDX 1.6 or later; {} cannot hold its fields",
            version.as_str()
        )));
    }
    let tool = Component {
        kind: "application",
        name: "relgate".into(),
        version: model.tool_version.into(),
        description: Some("Release evidence for Rust workspaces".into()),
        ..Component::default()
    };
    let mut props = vec![
        Property::new("relgate:target", &model.target),
        Property::new("relgate:rustc", &model.rustc_version),
    ];
    if !model.features.is_empty() {
        props.push(Property::new("relgate:features", &model.features.join(",")));
    }
    if model.all_features {
        props.push(Property::new("relgate:all-features", "true"));
    }
    if model.no_default_features {
        props.push(Property::new("relgate:no-default-features", "true"));
    }
    if let Some((commit, dirty)) = &model.git {
        props.push(Property::new("relgate:git:commit", commit));
        props.push(Property::new(
            "relgate:git:dirty",
            if *dirty { "true" } else { "false" },
        ));
    }
    let metadata = Metadata {
        timestamp: rfc3339(model.timestamp)?,
        tools: Tools {
            components: vec![tool],
        },
        component: component(&model.root, true, version, model.profile.is_some()),
        // The SBOM's creator (BSI TR-03183-2 §5.2.1): the root's supplier.
        manufacturer: (v16 && model.profile.is_some())
            .then(|| crate::analyze::profile::creator(&model.root))
            .flatten()
            .map(|s| organization(&s)),
        properties: props,
    };
    let dependencies: Vec<Dependency> = model
        .edges
        .iter()
        .map(|(from, to)| Dependency {
            dependency_ref: from.clone(),
            depends_on: to.keys().cloned().collect(),
        })
        .collect();
    let compositions = if version.has_1_6() {
        vec![Composition {
            aggregate: "complete",
            dependencies: dependencies.iter().map(|d| d.dependency_ref.clone()).collect(),
        }]
    } else {
        Vec::new()
    };
    Ok(Bom {
        bom_format: "CycloneDX",
        spec_version: version.as_str(),
        version: 1,
        serial_number: format!("urn:uuid:{NIL_UUID}"),
        metadata,
        components: model
            .components
            .iter()
            .map(|c| component(c, false, version, model.profile.is_some()))
            .collect(),
        dependencies,
        compositions,
    })
}

fn component(c: &sbom::Component, is_root: bool, version: CdxVersion, profile: bool) -> Component {
    let v16 = version.has_1_6();
    let mut out = Component {
        kind: match c.kind {
            sbom::Kind::Application => "application",
            sbom::Kind::Library => "library",
        },
        bom_ref: Some(c.bom_ref.clone()),
        supplier: Some(organization(&c.supplier)),
        name: c.name.clone(),
        version: c.version.clone(),
        description: c.description.clone(),
        purl: Some(c.purl.clone()),
        ..Component::default()
    };
    if v16 && profile {
        // The component's creator (BSI TR-03183-2 §5.2.2), reachable by e-mail or URL.
        out.manufacturer = crate::analyze::profile::creator(c).map(|s| organization(&s));
    } else if v16 && is_root {
        out.manufacturer = Some(organization(&c.supplier));
    }
    if !c.authors.is_empty() {
        if v16 {
            out.authors = c.authors.iter().map(|a| author(a)).collect();
        } else {
            out.author = Some(c.authors.join(", "));
        }
    }
    if !is_root {
        out.scope = Some(match c.reach {
            Reach::Runtime => "required",
            Reach::Build => "excluded",
        });
    }
    if let Some(sum) = &c.sha256 {
        out.hashes.push(Hash {
            alg: "SHA-256",
            content: sum.clone(),
        });
    }
    for d in &c.deployables {
        out.hashes.push(Hash {
            alg: "SHA-512",
            content: d.sha512.clone(),
        });
    }
    out.licenses = licenses(&c.license, v16);
    let mut refs = Vec::new();
    let mut push = |kind: &'static str, url: Option<&String>, hashes: Vec<Hash>| {
        if let Some(u) = url.filter(|u| valid_url(u)) {
            refs.push(ExternalReference {
                kind,
                url: u.clone(),
                hashes,
            });
        }
    };
    push("website", c.homepage.as_ref(), Vec::new());
    push("vcs", c.repository.as_ref(), Vec::new());
    push("documentation", c.documentation.as_ref(), Vec::new());
    if c.source_kind == "registry" && c.deployables.is_empty() {
        push("distribution", c.download_url.as_ref(), Vec::new());
    }
    for d in &c.deployables {
        let sha512 = Hash {
            alg: "SHA-512",
            content: d.sha512.clone(),
        };
        push("distribution", d.url.as_ref(), vec![sha512]);
    }
    if v16 && matches!(c.source_kind, "registry" | "git") {
        push("source-distribution", c.download_url.as_ref(), Vec::new());
    }
    out.external_references = refs;
    out.properties = vec![
        Property::new("relgate:source-kind", c.source_kind),
        Property::new("relgate:supplier-origin", c.supplier.origin.name()),
    ];
    if c.reach == Reach::Build {
        out.properties
            .push(Property::new("relgate:dependency-kind", "build"));
    }
    if c.workspace_member {
        out.properties
            .push(Property::new("relgate:workspace-member", "true"));
    }
    // BSI TR-03183-2's own property taxonomy (`bsi:component:*`) for the
    // fields CycloneDX has no place for.
    for d in &c.deployables {
        out.properties.extend([
            Property::new("bsi:component:filename", &d.filename),
            Property::new(
                "bsi:component:executable",
                if d.executable {
                    "executable"
                } else {
                    "non-executable"
                },
            ),
            Property::new(
                "bsi:component:archive",
                if d.archive { "archive" } else { "no archive" },
            ),
            Property::new(
                "bsi:component:structured",
                if d.structured {
                    "structured"
                } else {
                    "unstructured"
                },
            ),
        ]);
    }
    out
}

/// A cargo `authors` entry as a contact (`Name <email>` split).
fn author(entry: &str) -> Contact {
    match Supplier::from_author(entry) {
        Some(s) => Contact {
            name: Some(s.name),
            email: s.email,
        },
        None => Contact {
            name: Some(entry.to_owned()),
            email: None,
        },
    }
}

fn organization(s: &Supplier) -> Organization {
    Organization {
        name: s.name.clone(),
        url: s.url.iter().filter(|u| valid_url(u)).cloned().collect(),
        contact: s
            .email
            .iter()
            .map(|e| Contact {
                name: Some(s.name.clone()),
                email: Some(e.clone()),
            })
            .collect(),
    }
}

/// A plain SPDX expression, or — for a lone `LicenseRef-` — a named license carrying its text.
/// From 1.6 on, acknowledged as `declared`: the package's own `license`
/// (relgate does not conclude licenses from sources).
fn licenses(l: &Lic, v16: bool) -> Vec<LicenseChoice> {
    let ack = v16.then_some("declared");
    let Lic::Expression { expr, refs } = l else {
        return Vec::new();
    };
    let choice = match refs.as_slice() {
        [only] if only.id == *expr => LicenseChoice::License {
            license: NamedLicense {
                name: only.name.clone(),
                acknowledgement: ack,
                text: AttachedText {
                    content_type: "text/plain",
                    content: only.text.clone(),
                },
                properties: vec![Property::new("relgate:spdx-license-ref", &only.id)],
            },
        },
        _ => LicenseChoice::Expression {
            expression: expr.clone(),
            acknowledgement: ack,
        },
    };
    vec![choice]
}
