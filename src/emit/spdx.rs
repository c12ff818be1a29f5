//! SPDX 2.3 JSON through the `spdx-rs` crate, with its defaults corrected:
//! version `SPDX-2.3` (the crate says 2.2), relgate as the only creator (not
//! its placeholder people), `created` in whole seconds (pyspdxtools rejects
//! fractions) and a namespace derived from the document's content (not a
//! random UUID).
//!
//! Mapping: `SPDXRef-DOCUMENT DESCRIBES` the root; normal dependencies are
//! `A DEPENDS_ON B`; build dependencies are `B BUILD_DEPENDENCY_OF A`; a
//! workspace root `CONTAINS` its members. `licenseDeclared` is the
//! normalized expression, `licenseConcluded` is `NOASSERTION` (relgate does
//! not inspect sources), and every `LicenseRef-` has its text in
//! `hasExtractedLicensingInfos`.

use spdx_rs::models::{
    Algorithm, Checksum, CreationInfo, DocumentCreationInformation, ExternalPackageReference,
    ExternalPackageReferenceCategory, OtherLicensingInformationDetected, PackageInformation,
    PrimaryPackagePurpose, Relationship, RelationshipType, SpdxExpression, SPDX,
};

use super::{rfc3339, stamp_content_uuid, valid_url, NIL_UUID};
use crate::analyze::license::License;
use crate::analyze::sbom::{self, Sbom};
use crate::analyze::supplier::Kind;
use crate::error::{Error, Result};

const NOASSERTION: &str = "NOASSERTION";

/// Renders the model as SPDX 2.3 JSON.
pub fn render(model: &Sbom) -> Result<Vec<u8>> {
    let mut doc = build(model)?;
    let name = &doc.document_creation_information.document_name;
    doc.document_creation_information.spdx_document_namespace =
        format!("https://spdx.org/spdxdocs/relgate/{name}-{NIL_UUID}");
    stamp_content_uuid(write(&doc)?)
}

fn write(doc: &SPDX) -> Result<Vec<u8>> {
    let mut out = serde_json::to_vec_pretty(doc).map_err(|e| err(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

fn err(reason: String) -> Error {
    Error::Emit {
        artifact: "SPDX SBOM",
        reason,
    }
}

fn build(model: &Sbom) -> Result<SPDX> {
    let created = chrono::DateTime::from_timestamp(model.timestamp, 0)
        .ok_or_else(|| err(format!("timestamp {} out of range", model.timestamp)))?;
    rfc3339(model.timestamp)?;
    let root = &model.root;
    let comment = super::generation_comment(model);

    let info = DocumentCreationInformation {
        spdx_version: "SPDX-2.3".into(),
        data_license: "CC0-1.0".into(),
        spdx_identifier: "SPDXRef-DOCUMENT".into(),
        document_name: format!("{}-{}", root.name, root.version),
        spdx_document_namespace: String::new(),
        external_document_references: Vec::new(),
        creation_info: CreationInfo {
            license_list_version: None,
            creators: vec![format!("Tool: relgate-{}", model.tool_version)],
            created,
            creator_comment: Some(comment),
        },
        document_comment: None,
        document_describes: Vec::new(),
    };

    let packages = model.all_components().map(package).collect::<Result<Vec<_>>>()?;
    let id_of: std::collections::BTreeMap<&str, &str> = model
        .all_components()
        .map(|c| (c.bom_ref.as_str(), c.spdx_id.as_str()))
        .collect();

    let mut relationships = vec![rel(
        "SPDXRef-DOCUMENT",
        RelationshipType::Describes,
        &root.spdx_id,
    )];
    let mut rest = Vec::new();
    for (from, tos) in &model.edges {
        let a = id_of[from.as_str()];
        for (to, edge) in tos {
            let b = id_of[to.as_str()];
            if edge.contains {
                rest.push(rel(a, RelationshipType::Contains, b));
            }
            if edge.normal {
                rest.push(rel(a, RelationshipType::DependsOn, b));
            }
            if edge.build {
                rest.push(rel(b, RelationshipType::BuildDependencyOf, a));
            }
        }
    }
    rest.sort_by(|x, y| {
        (
            &x.spdx_element_id,
            x.relationship_type.as_ref(),
            &x.related_spdx_element,
        )
            .cmp(&(
                &y.spdx_element_id,
                y.relationship_type.as_ref(),
                &y.related_spdx_element,
            ))
    });
    relationships.extend(rest);

    let extracted = model
        .extracted
        .values()
        .map(|e| OtherLicensingInformationDetected {
            license_identifier: e.id.clone(),
            extracted_text: e.text.clone(),
            license_name: e.name.clone(),
            license_cross_reference: Vec::new(),
            license_comment: None,
        })
        .collect();

    Ok(SPDX {
        document_creation_information: info,
        package_information: packages,
        other_licensing_information_detected: extracted,
        file_information: Vec::new(),
        snippet_information: Vec::new(),
        relationships,
        annotations: Vec::new(),
        spdx_ref_counter: 0,
    })
}

fn rel(a: &str, t: RelationshipType, b: &str) -> Relationship {
    Relationship {
        spdx_element_id: a.into(),
        related_spdx_element: b.into(),
        relationship_type: t,
        comment: None,
    }
}

fn package(c: &sbom::Component) -> Result<PackageInformation> {
    let who = match c.supplier.kind {
        Kind::Person => "Person",
        Kind::Organization => "Organization",
    };
    let supplier = match &c.supplier.email {
        Some(e) => format!("{who}: {} ({e})", c.supplier.name),
        None => format!("{who}: {}", c.supplier.name),
    };
    let declared = match &c.license {
        License::Expression { expr, .. } => {
            SpdxExpression::parse(expr).map_err(|e| err(format!("license `{expr}` of {}: {e}", c.name)))?
        }
        License::None => noassertion()?,
    };
    Ok(PackageInformation {
        package_name: c.name.clone(),
        package_spdx_identifier: c.spdx_id.clone(),
        package_version: Some(c.version.clone()),
        package_supplier: Some(supplier),
        package_download_location: c.download_url.clone().unwrap_or_else(|| NOASSERTION.into()),
        files_analyzed: Some(false),
        package_checksum: c
            .sha256
            .iter()
            .map(|v| Checksum {
                algorithm: Algorithm::SHA256,
                value: v.clone(),
            })
            .collect(),
        package_home_page: c.homepage.clone().filter(|u| valid_url(u)),
        concluded_license: Some(noassertion()?),
        declared_license: Some(declared),
        copyright_text: Some(NOASSERTION.into()),
        package_summary_description: c.description.clone(),
        package_comment: (c.reach == sbom::Reach::Build).then(|| {
            "Build-time dependency (build script or its dependencies); not part of the released binaries."
                .into()
        }),
        external_reference: vec![ExternalPackageReference {
            reference_category: ExternalPackageReferenceCategory::PackageManager,
            reference_type: "purl".into(),
            reference_locator: c.purl.clone(),
            reference_comment: None,
        }],
        primary_package_purpose: Some(match c.kind {
            sbom::Kind::Application => PrimaryPackagePurpose::Application,
            sbom::Kind::Library => PrimaryPackagePurpose::Library,
        }),
        ..PackageInformation::default()
    })
}

fn noassertion() -> Result<SpdxExpression> {
    SpdxExpression::parse(NOASSERTION).map_err(|e| err(e.to_string()))
}
