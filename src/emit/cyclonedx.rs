//! CycloneDX 1.5 (JSON or XML) through the `cyclonedx-bom` crate.
//!
//! Mapping: the root is `metadata.component`; build-only packages are
//! `scope: excluded` with property `relgate:dependency-kind=build`; every
//! component has a `dependencies` entry; `serialNumber` is a UUID derived
//! from the document's own content, so equal documents have equal serials.

use std::str::FromStr;

use cyclonedx_bom::external_models::date_time::DateTime;
use cyclonedx_bom::external_models::normalized_string::NormalizedString;
use cyclonedx_bom::external_models::spdx::SpdxExpression;
use cyclonedx_bom::external_models::uri::{Purl, Uri};
use cyclonedx_bom::models::attached_text::AttachedText;
use cyclonedx_bom::models::bom::{Bom, SpecVersion, UrnUuid};
use cyclonedx_bom::models::component::{Classification, Component, Components, Scope};
use cyclonedx_bom::models::dependency::{Dependencies, Dependency};
use cyclonedx_bom::models::external_reference::{
    ExternalReference, ExternalReferenceType, ExternalReferences,
};
use cyclonedx_bom::models::hash::{Hash, HashAlgorithm, HashValue, Hashes};
use cyclonedx_bom::models::license::{License, LicenseChoice, LicenseIdentifier, Licenses};
use cyclonedx_bom::models::metadata::Metadata;
use cyclonedx_bom::models::organization::{OrganizationalContact, OrganizationalEntity};
use cyclonedx_bom::models::property::{Properties, Property};
use cyclonedx_bom::models::tool::Tools;

use super::{rfc3339, stamp_content_uuid, valid_url, NIL_UUID};
use crate::analyze::license::License as Lic;
use crate::analyze::sbom::{self, Reach, Sbom};
use crate::error::{Error, Result};

/// JSON or XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// CycloneDX JSON.
    Json,
    /// CycloneDX XML.
    Xml,
}

/// Renders the model as CycloneDX 1.5.
pub fn render(model: &Sbom, encoding: Encoding) -> Result<Vec<u8>> {
    let mut bom = build(model)?;
    let nil = format!("urn:uuid:{NIL_UUID}");
    bom.serial_number = Some(UrnUuid::new(nil).map_err(|e| emit_err(format!("{e:?}")))?);
    stamp_content_uuid(write(bom, encoding)?)
}

fn write(bom: Bom, encoding: Encoding) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    match encoding {
        Encoding::Json => bom
            .output_as_json_v1_5(&mut out)
            .map_err(|e| emit_err(e.to_string()))?,
        Encoding::Xml => bom
            .output_as_xml_v1_5(&mut out)
            .map_err(|e| emit_err(e.to_string()))?,
    }
    out.push(b'\n');
    Ok(out)
}

fn emit_err(reason: String) -> Error {
    Error::Emit {
        artifact: "CycloneDX SBOM",
        reason,
    }
}

fn build(model: &Sbom) -> Result<Bom> {
    let timestamp = DateTime::try_from(rfc3339(model.timestamp)?).map_err(|e| emit_err(e.to_string()))?;
    let mut tool = Component::new(Classification::Application, "relgate", model.tool_version, None);
    tool.description = Some(NormalizedString::new("Release evidence for Rust workspaces"));
    let mut metadata = Metadata {
        timestamp: Some(timestamp),
        tools: Some(Tools::Object {
            services: None,
            components: Some(Components(vec![tool])),
        }),
        component: Some(component(&model.root, true)),
        ..Metadata::default()
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
    metadata.properties = Some(Properties(props));

    let dependencies = model
        .edges
        .iter()
        .map(|(from, to)| Dependency {
            dependency_ref: from.clone(),
            dependencies: to.keys().cloned().collect(),
        })
        .collect();
    Ok(Bom {
        version: 1,
        serial_number: None,
        metadata: Some(metadata),
        components: Some(Components(
            model.components.iter().map(|c| component(c, false)).collect(),
        )),
        dependencies: Some(Dependencies(dependencies)),
        spec_version: SpecVersion::V1_5,
        ..Bom::default()
    })
}

fn component(c: &sbom::Component, is_root: bool) -> Component {
    let class = match c.kind {
        sbom::Kind::Application => Classification::Application,
        sbom::Kind::Library => Classification::Library,
    };
    let mut out = Component::new(class, &c.name, &c.version, Some(c.bom_ref.clone()));
    out.description = c.description.as_deref().map(NormalizedString::new);
    out.supplier = Some(supplier(&c.supplier));
    if !c.authors.is_empty() {
        out.author = Some(NormalizedString::new(&c.authors.join(", ")));
    }
    if !is_root {
        out.scope = Some(match c.reach {
            Reach::Runtime => Scope::Required,
            Reach::Build => Scope::Excluded,
        });
    }
    if let Some(sum) = &c.sha256 {
        out.hashes = Some(Hashes(vec![Hash {
            alg: HashAlgorithm::SHA_256,
            content: HashValue(sum.clone()),
        }]));
    }
    out.licenses = licenses(&c.license);
    out.purl = Purl::from_str(&c.purl).ok();
    let mut refs = Vec::new();
    let mut push = |kind: ExternalReferenceType, url: &Option<String>| {
        if let Some(u) = url.as_deref().filter(|u| valid_url(u)) {
            refs.push(ExternalReference::new(kind, Uri::new(u)));
        }
    };
    push(ExternalReferenceType::Website, &c.homepage);
    push(ExternalReferenceType::Vcs, &c.repository);
    push(ExternalReferenceType::Documentation, &c.documentation);
    if c.source_kind == "registry" {
        push(ExternalReferenceType::Distribution, &c.download_url);
    }
    if !refs.is_empty() {
        out.external_references = Some(ExternalReferences(refs));
    }
    let mut props = vec![
        Property::new("relgate:source-kind", c.source_kind),
        Property::new("relgate:supplier-origin", c.supplier.origin.name()),
    ];
    if c.reach == Reach::Build {
        props.push(Property::new("relgate:dependency-kind", "build"));
    }
    if c.workspace_member {
        props.push(Property::new("relgate:workspace-member", "true"));
    }
    out.properties = Some(Properties(props));
    out
}

fn supplier(s: &crate::analyze::supplier::Supplier) -> OrganizationalEntity {
    OrganizationalEntity {
        bom_ref: None,
        name: Some(NormalizedString::new(&s.name)),
        url: s
            .url
            .as_deref()
            .filter(|u| valid_url(u))
            .map(|u| vec![Uri::new(u)]),
        contact: s.email.as_ref().map(|e| {
            vec![OrganizationalContact {
                bom_ref: None,
                name: Some(NormalizedString::new(&s.name)),
                email: Some(NormalizedString::new(e)),
                phone: None,
            }]
        }),
    }
}

/// A plain SPDX expression, or — for a lone `LicenseRef-` — a named license carrying its text.
fn licenses(l: &Lic) -> Option<Licenses> {
    let Lic::Expression { expr, refs } = l else {
        return None;
    };
    let choice = match refs.as_slice() {
        [only] if only.id == *expr => LicenseChoice::License(License {
            bom_ref: None,
            license_identifier: LicenseIdentifier::Name(NormalizedString::new(&only.name)),
            text: Some(AttachedText {
                content_type: Some(NormalizedString::new("text/plain")),
                encoding: None,
                content: only.text.clone(),
            }),
            url: None,
            licensing: None,
            properties: Some(Properties(vec![Property::new(
                "relgate:spdx-license-ref",
                &only.id,
            )])),
        }),
        _ => LicenseChoice::Expression(SpdxExpression::new(expr)),
    };
    Some(Licenses(vec![choice]))
}
