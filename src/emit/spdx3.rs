//! SPDX 3.0.1 JSON-LD (`@context` `https://spdx.org/rdf/3.0.1/spdx-context.jsonld`,
//! one `@graph`), Core + Software + SimpleLicensing profiles, written from
//! this module's own wire types.
//!
//! Mapping:
//! - One `CreationInfo` (`_:creationinfo`): `specVersion` 3.0.1, `created`
//!   the model's timestamp in whole seconds, `createdBy` the `SoftwareAgent`
//!   relgate, `createdUsing` the `Tool` `relgate-VERSION`; its `comment`
//!   names target, rustc, features and git commit as the SPDX 2.3 document
//!   does. Every element refers to it.
//! - `SpdxDocument` (`dataLicense` CC0-1.0, `profileConformance` core,
//!   software, simpleLicensing) has `rootElement` a `software_Sbom`
//!   (`sbomType` build: the graph cargo resolved for this target and these
//!   features), whose `rootElement` is the root package. Both list every
//!   other element of the graph in `element`.
//! - Every component is a `software_Package`: `name`,
//!   `software_packageVersion`, `software_packageUrl` (the purl),
//!   `software_downloadLocation` and `software_homePage` when known,
//!   `verifiedUsing` the SHA-256 of the `.crate` from Cargo.lock,
//!   `suppliedBy` the supplier and `originatedBy` the parsable `authors`
//!   (as `Person`/`Organization` elements, one per distinct name and email),
//!   `description`, `software_primaryPurpose` application or library,
//!   `externalRef`s `vcs` (repository) and `documentation`, and a `comment`
//!   for build-only packages. An unknown supplier is left out, not invented.
//! - A declared license is a `simplelicensing_LicenseExpression` (one per
//!   distinct expression) linked by `hasDeclaredLicense`; every
//!   `LicenseRef-` in it maps through `simplelicensing_customIdToUri` to a
//!   `simplelicensing_SimpleLicensingText` carrying the text. No concluded
//!   license is claimed (relgate does not inspect sources).
//! - Dependencies: cargo resolved the whole graph, so relgate knows each
//!   package's complete dependency list. Every package (not the synthetic
//!   workspace root) has a `LifecycleScopedRelationship` `dependsOn` with
//!   `scope: runtime` and `completeness: complete` to its normal
//!   dependencies; a package with none points it at `NoneElement` (SPDX
//!   3.0.1's `to` needs at least one element; `NoneElement` with
//!   `complete` states "no dependencies" rather than leaving it unknown).
//!   Build dependencies (build scripts) are a second such relationship with
//!   `scope: build`, present only when there are some. The workspace root
//!   `contains` its members (`completeness: complete`).
//!
//! Ids: every `spdxId` is an IRI under the document namespace
//! `https://spdx.org/spdxdocs/relgate/NAME-VERSION-UUID`, derived from the
//! model's stable keys (a package's SPDX 2 id, a license expression's text,
//! an agent's name and email, a `LicenseRef-` id), never from order. The
//! UUID is a v5 UUID of the document rendered with the nil UUID: the
//! document is rendered once to hash it and once more with the real UUID,
//! so every occurrence changes together and no text in the model is ever
//! rewritten. Same model, same bytes.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{content_uuid, rfc3339, valid_url, NIL_UUID};
use crate::analyze::license::{idstring, License};
use crate::analyze::sbom::{self, hex, Reach, Sbom};
use crate::analyze::supplier::{Kind, Origin, Supplier};
use crate::error::{Error, Result};

const CONTEXT: &str = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";
const CREATION_INFO: &str = "_:creationinfo";
const NONE_ELEMENT: &str = "NoneElement";

/// Renders the model as SPDX 3.0.1 JSON-LD.
pub fn render(model: &Sbom) -> Result<Vec<u8>> {
    let draft = write(&build(model, NIL_UUID)?)?;
    let uuid = content_uuid(&draft);
    write(&build(model, &uuid)?)
}

fn err(reason: String) -> Error {
    Error::Emit {
        artifact: "SPDX 3 SBOM",
        reason,
    }
}

fn write(doc: &Document) -> Result<Vec<u8>> {
    let mut out = serde_json::to_vec_pretty(doc).map_err(|e| err(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

// ---------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------

#[derive(Serialize)]
struct Document {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@graph")]
    graph: Vec<Node>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Node {
    CreationInfo(CreationInfo),
    SpdxDocument(Collection),
    Sbom(Collection),
    Agent(Agent),
    Package(Box<Package>),
    File(Box<File>),
    LicenseExpression(LicenseExpression),
    LicensingText(LicensingText),
    Relationship(Relationship),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreationInfo {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "@id")]
    id: &'static str,
    spec_version: &'static str,
    created: String,
    created_by: Vec<String>,
    created_using: Vec<String>,
    comment: String,
}

/// `SpdxDocument` or `software_Sbom`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Collection {
    #[serde(rename = "type")]
    kind: &'static str,
    spdx_id: String,
    creation_info: &'static str,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_license: Option<String>,
    #[serde(rename = "software_sbomType", skip_serializing_if = "Vec::is_empty")]
    sbom_type: Vec<&'static str>,
    profile_conformance: Vec<&'static str>,
    root_element: Vec<String>,
    element: Vec<String>,
}

/// `Tool`, `SoftwareAgent`, `Organization` or `Person`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Agent {
    #[serde(rename = "type")]
    kind: &'static str,
    spdx_id: String,
    creation_info: &'static str,
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_identifier: Vec<ExternalIdentifier>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalIdentifier {
    #[serde(rename = "type")]
    kind: &'static str,
    external_identifier_type: &'static str,
    identifier: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    #[serde(rename = "type")]
    kind: &'static str,
    spdx_id: String,
    creation_info: &'static str,
    name: String,
    #[serde(rename = "software_packageVersion")]
    version: String,
    #[serde(rename = "software_packageUrl")]
    purl: String,
    #[serde(rename = "software_downloadLocation", skip_serializing_if = "Option::is_none")]
    download_location: Option<String>,
    #[serde(rename = "software_homePage", skip_serializing_if = "Option::is_none")]
    home_page: Option<String>,
    #[serde(rename = "software_primaryPurpose")]
    primary_purpose: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplied_by: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    originated_by: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    verified_using: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_ref: Vec<ExternalRef>,
}

/// A `software_File`: a component's deployable form (with a profile).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct File {
    #[serde(rename = "type")]
    kind: &'static str,
    spdx_id: String,
    creation_info: &'static str,
    name: String,
    comment: &'static str,
    #[serde(rename = "software_primaryPurpose")]
    primary_purpose: &'static str,
    #[serde(rename = "software_additionalPurpose")]
    additional_purpose: Vec<&'static str>,
    verified_using: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_ref: Vec<ExternalRef>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Hash {
    #[serde(rename = "type")]
    kind: &'static str,
    algorithm: &'static str,
    hash_value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    #[serde(rename = "type")]
    kind: &'static str,
    external_ref_type: &'static str,
    locator: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LicenseExpression {
    #[serde(rename = "type")]
    kind: &'static str,
    spdx_id: String,
    creation_info: &'static str,
    #[serde(rename = "simplelicensing_licenseExpression")]
    expression: String,
    #[serde(
        rename = "simplelicensing_customIdToUri",
        skip_serializing_if = "Vec::is_empty"
    )]
    custom_id_to_uri: Vec<DictionaryEntry>,
}

#[derive(Serialize)]
struct DictionaryEntry {
    #[serde(rename = "type")]
    kind: &'static str,
    key: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LicensingText {
    #[serde(rename = "type")]
    kind: &'static str,
    spdx_id: String,
    creation_info: &'static str,
    name: String,
    #[serde(rename = "simplelicensing_licenseText")]
    text: String,
}

/// `Relationship` or `LifecycleScopedRelationship` (with `scope`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    #[serde(rename = "type")]
    kind: &'static str,
    spdx_id: String,
    creation_info: &'static str,
    from: String,
    relationship_type: &'static str,
    to: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completeness: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
}

// ---------------------------------------------------------------------------
// Mapping
// ---------------------------------------------------------------------------

/// Element ids under one document namespace.
struct Ids {
    ns: String,
}

impl Ids {
    fn package(&self, c: &sbom::Component) -> String {
        format!("{}/{}", self.ns, c.spdx_id)
    }
    fn license(&self, expr: &str) -> String {
        format!("{}/LicenseExpression-{}", self.ns, digest(&[expr]))
    }
    fn text(&self, license_ref: &str) -> String {
        format!("{}/{}", self.ns, idstring(license_ref))
    }
    fn agent(&self, kind: &str, name: &str, email: Option<&str>) -> String {
        format!(
            "{}/{kind}-{}-{}",
            self.ns,
            idstring(name),
            digest(&[kind, name, email.unwrap_or("")])
        )
    }
    fn file(&self, c: &sbom::Component, filename: &str) -> String {
        format!("{}/File-{}-{}", self.ns, c.spdx_id, digest(&[filename]))
    }
    fn relationship(&self, from: &sbom::Component, what: &str) -> String {
        format!("{}/Relationship-{}-{what}", self.ns, from.spdx_id)
    }
}

/// First 8 bytes of the SHA-256 of the NUL-joined parts, in hex.
fn digest(parts: &[&str]) -> String {
    hex(&Sha256::digest(parts.join("\0").as_bytes())[..8])
}

fn agent_kind(k: Kind) -> &'static str {
    match k {
        Kind::Person => "Person",
        Kind::Organization => "Organization",
    }
}

fn build(model: &Sbom, uuid: &str) -> Result<Document> {
    let root = &model.root;
    let mut graph = Graph::new(model, uuid);
    // The SBOM's creator (BSI TR-03183-2 §5.2.1): the root's supplier, beside relgate.
    let sbom_creator = graph
        .profile
        .then(|| crate::analyze::profile::creator(root))
        .flatten()
        .map(|s| graph.agent(&s));
    for c in model.all_components() {
        graph.component(c)?;
    }
    graph.finish(sbom_creator)
}

/// The elements of one document as they are gathered, component by
/// component; [`Graph::finish`] orders them and adds the collections.
struct Graph<'m> {
    model: &'m Sbom,
    ids: Ids,
    /// With a profile: creators reachable by URL, `sourceArtifact` refs.
    profile: bool,
    /// Each component by its `bom-ref`, for dependency edges.
    id_of: BTreeMap<&'m str, &'m sbom::Component>,
    agents: BTreeMap<String, Agent>,
    licenses: BTreeMap<String, LicenseExpression>,
    packages: Vec<Package>,
    files: Vec<File>,
    relationships: Vec<Relationship>,
}

impl<'m> Graph<'m> {
    fn new(model: &'m Sbom, uuid: &str) -> Self {
        let root = &model.root;
        Graph {
            model,
            ids: Ids {
                ns: format!(
                    "https://spdx.org/spdxdocs/relgate/{}-{}-{uuid}",
                    idstring(&root.name),
                    idstring(&root.version)
                ),
            },
            profile: model.profile.is_some(),
            id_of: model.all_components().map(|c| (c.bom_ref.as_str(), c)).collect(),
            agents: BTreeMap::new(),
            licenses: BTreeMap::new(),
            packages: Vec::new(),
            files: Vec::new(),
            relationships: Vec::new(),
        }
    }

    /// The agent element for a supplier or author (one per kind, name and
    /// contact), added once; returns its id.
    fn agent(&mut self, s: &Supplier) -> String {
        let profile = self.profile;
        let kind = agent_kind(s.kind);
        let id = self.ids.agent(
            kind,
            &s.name,
            s.email.as_deref().or(s.url.as_deref().filter(|_| profile)),
        );
        let mut external_identifier: Vec<ExternalIdentifier> = s
            .email
            .iter()
            .map(|e| ExternalIdentifier {
                kind: "ExternalIdentifier",
                external_identifier_type: "email",
                identifier: e.clone(),
            })
            .collect();
        // A profile wants a creator reachable by e-mail, else by URL.
        if profile && external_identifier.is_empty() {
            external_identifier.extend(s.url.iter().filter(|u| valid_url(u)).map(|u| ExternalIdentifier {
                kind: "ExternalIdentifier",
                external_identifier_type: "urlScheme",
                identifier: u.clone(),
            }));
        }
        self.agents.entry(id.clone()).or_insert_with(|| Agent {
            kind,
            spdx_id: id.clone(),
            creation_info: CREATION_INFO,
            name: s.name.clone(),
            external_identifier,
        });
        id
    }

    /// One component: its package, its distributed files, its declared
    /// license and its dependency relationships.
    fn component(&mut self, c: &'m sbom::Component) -> Result<()> {
        let pkg_id = self.ids.package(c);
        let supplied_by = (c.supplier.origin != Origin::Unknown).then(|| self.agent(&c.supplier));
        let originated_by = self.originators(c);
        let external_ref = self.external_refs(c);
        self.deployables(c, &pkg_id);
        self.packages.push(Package {
            kind: "software_Package",
            spdx_id: pkg_id.clone(),
            creation_info: CREATION_INFO,
            name: c.name.clone(),
            version: c.version.clone(),
            purl: c.purl.clone(),
            download_location: c.download_url.clone(),
            home_page: c.homepage.clone().filter(|u| valid_url(u)),
            primary_purpose: match c.kind {
                sbom::Kind::Application => "application",
                sbom::Kind::Library => "library",
            },
            description: c.description.clone(),
            comment: (c.reach == Reach::Build).then(|| {
                "Build-time dependency (build script or its dependencies); not part of the released binaries."
                    .into()
            }),
            supplied_by,
            originated_by,
            verified_using: c
                .sha256
                .iter()
                .map(|v| Hash {
                    kind: "Hash",
                    algorithm: "sha256",
                    hash_value: v.clone(),
                })
                .collect(),
            external_ref,
        });
        self.declared_license(c, &pkg_id);
        self.dependencies(c, &pkg_id)
    }

    /// `originatedBy`: the parsable authors; with a profile, the supplier
    /// too when no author can be reached (the component's creator, §5.2.2).
    fn originators(&mut self, c: &sbom::Component) -> Vec<String> {
        let mut originated_by: Vec<String> = c
            .authors
            .iter()
            .filter_map(|a| Supplier::from_author(a))
            .map(|s| self.agent(&s))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let reachable = c
            .authors
            .iter()
            .any(|a| Supplier::from_author(a).is_some_and(|s| s.email.is_some()));
        if self.profile && !reachable {
            if let Some(creator) = crate::analyze::profile::creator(c).map(|s| self.agent(&s)) {
                if !originated_by.contains(&creator) {
                    originated_by.push(creator);
                }
            }
        }
        originated_by
    }

    /// `vcs` and `documentation` links; with a profile, `sourceArtifact`.
    fn external_refs(&self, c: &sbom::Component) -> Vec<ExternalRef> {
        let mut external_ref = Vec::new();
        for (kind, url) in [("vcs", &c.repository), ("documentation", &c.documentation)] {
            if let Some(u) = url.as_ref().filter(|u| valid_url(u)) {
                external_ref.push(ExternalRef {
                    kind: "ExternalRef",
                    external_ref_type: kind,
                    locator: vec![u.clone()],
                });
            }
        }
        if self.profile {
            if let Some(u) = crate::analyze::profile::source_uri(c) {
                external_ref.push(ExternalRef {
                    kind: "ExternalRef",
                    external_ref_type: "sourceArtifact",
                    locator: vec![u.to_owned()],
                });
            }
        }
        external_ref
    }

    /// A `software_File` per deployable file, and `hasDistributionArtifact`.
    fn deployables(&mut self, c: &sbom::Component, pkg_id: &str) {
        let mut artifacts = BTreeSet::new();
        for d in &c.deployables {
            let id = self.ids.file(c, &d.filename);
            let mut additional = Vec::new();
            if d.executable {
                additional.push("executable");
            }
            if d.archive {
                additional.push("archive");
            }
            additional.push(if d.structured { "container" } else { "firmware" });
            self.files.push(File {
                kind: "software_File",
                spdx_id: id.clone(),
                creation_info: CREATION_INFO,
                name: d.filename.clone(),
                comment:
                    "software_additionalPurpose field is used to indicate the properties of BSI TR-03183-2",
                primary_purpose: if d.executable { "executable" } else { "archive" },
                additional_purpose: additional,
                verified_using: vec![Hash {
                    kind: "Hash",
                    algorithm: "sha512",
                    hash_value: d.sha512.clone(),
                }],
                external_ref: d
                    .url
                    .iter()
                    .map(|u| ExternalRef {
                        kind: "ExternalRef",
                        external_ref_type: "binaryArtifact",
                        locator: vec![u.clone()],
                    })
                    .collect(),
            });
            artifacts.insert(id);
        }
        if !artifacts.is_empty() {
            self.relationships.push(Relationship {
                kind: "Relationship",
                spdx_id: self.ids.relationship(c, "hasDistributionArtifact"),
                creation_info: CREATION_INFO,
                from: pkg_id.to_owned(),
                relationship_type: "hasDistributionArtifact",
                to: artifacts.into_iter().collect(),
                completeness: Some("complete"),
                scope: None,
            });
        }
    }

    /// The declared license expression (one element per distinct
    /// expression) and `hasDeclaredLicense`.
    fn declared_license(&mut self, c: &sbom::Component, pkg_id: &str) {
        let License::Expression { expr, refs } = &c.license else {
            return;
        };
        let lic_id = self.ids.license(expr);
        let ids = &self.ids;
        self.licenses
            .entry(lic_id.clone())
            .or_insert_with(|| LicenseExpression {
                kind: "simplelicensing_LicenseExpression",
                spdx_id: lic_id.clone(),
                creation_info: CREATION_INFO,
                expression: expr.clone(),
                custom_id_to_uri: refs
                    .iter()
                    .map(|r| (r.id.clone(), ids.text(&r.id)))
                    .collect::<BTreeMap<_, _>>()
                    .into_iter()
                    .map(|(key, value)| DictionaryEntry {
                        kind: "DictionaryEntry",
                        key,
                        value,
                    })
                    .collect(),
            });
        self.relationships.push(Relationship {
            kind: "Relationship",
            spdx_id: self.ids.relationship(c, "hasDeclaredLicense"),
            creation_info: CREATION_INFO,
            from: pkg_id.to_owned(),
            relationship_type: "hasDeclaredLicense",
            to: vec![lic_id],
            completeness: None,
            scope: None,
        });
    }

    /// `contains` (the workspace root's members) and the runtime and build
    /// `dependsOn` relationships, each complete.
    fn dependencies(&mut self, c: &sbom::Component, pkg_id: &str) -> Result<()> {
        let edges = self.model.edges.get(&c.bom_ref);
        let (ids, id_of) = (&self.ids, &self.id_of);
        let targets = |pick: fn(&sbom::Edge) -> bool| -> Result<Vec<String>> {
            let mut out = BTreeSet::new();
            for (to, e) in edges.into_iter().flatten() {
                if pick(e) {
                    let dep = id_of
                        .get(to.as_str())
                        .ok_or_else(|| err(format!("edge {} -> {to} leads out of the SBOM", c.bom_ref)))?;
                    out.insert(ids.package(dep));
                }
            }
            Ok(out.into_iter().collect())
        };
        let contained = targets(|e| e.contains)?;
        let mut scoped = Vec::new();
        if c.source_kind != "workspace" {
            let mut runtime = targets(|e| e.normal)?;
            if runtime.is_empty() {
                runtime.push(NONE_ELEMENT.into());
            }
            scoped.push(("runtime", runtime));
            scoped.push(("build", targets(|e| e.build)?));
        }
        if !contained.is_empty() {
            self.relationships.push(Relationship {
                kind: "Relationship",
                spdx_id: self.ids.relationship(c, "contains"),
                creation_info: CREATION_INFO,
                from: pkg_id.to_owned(),
                relationship_type: "contains",
                to: contained,
                completeness: Some("complete"),
                scope: None,
            });
        }
        for (scope, to) in scoped {
            if to.is_empty() {
                continue;
            }
            self.relationships.push(Relationship {
                kind: "LifecycleScopedRelationship",
                spdx_id: self.ids.relationship(c, &format!("dependsOn-{scope}")),
                creation_info: CREATION_INFO,
                from: pkg_id.to_owned(),
                relationship_type: "dependsOn",
                to,
                completeness: Some("complete"),
                scope: Some(scope),
            });
        }
        Ok(())
    }

    /// Orders the elements (root package first, everything else by id),
    /// refuses duplicate ids, and wraps them in the `software_Sbom` and the
    /// `SpdxDocument`.
    fn finish(self, sbom_creator: Option<String>) -> Result<Document> {
        let Graph {
            model,
            ids,
            agents,
            mut licenses,
            mut packages,
            mut files,
            mut relationships,
            ..
        } = self;
        let root = &model.root;
        let doc_name = format!("{}-{}", root.name, root.version);
        let tool_id = format!("{}/Tool-relgate", ids.ns);
        let creator_id = format!("{}/SoftwareAgent-relgate", ids.ns);
        let texts: Vec<LicensingText> = model
            .extracted
            .values()
            .map(|e| LicensingText {
                kind: "simplelicensing_SimpleLicensingText",
                spdx_id: ids.text(&e.id),
                creation_info: CREATION_INFO,
                name: e.name.clone(),
                text: e.text.clone(),
            })
            .collect();
        let data_license = ids.license("CC0-1.0");
        licenses
            .entry(data_license.clone())
            .or_insert_with(|| LicenseExpression {
                kind: "simplelicensing_LicenseExpression",
                spdx_id: data_license.clone(),
                creation_info: CREATION_INFO,
                expression: "CC0-1.0".into(),
                custom_id_to_uri: Vec::new(),
            });

        // Root package first, then the rest by id; everything else by id.
        let root_id = ids.package(root);
        packages[1..].sort_by(|a, b| a.spdx_id.cmp(&b.spdx_id));
        relationships.sort_by(|a, b| a.spdx_id.cmp(&b.spdx_id));
        let mut seen = BTreeSet::new();
        for id in packages
            .iter()
            .map(|p| &p.spdx_id)
            .chain(files.iter().map(|f| &f.spdx_id))
            .chain(relationships.iter().map(|r| &r.spdx_id))
        {
            if !seen.insert(id.clone()) {
                return Err(err(format!("two elements share the id {id}")));
            }
        }

        let tool = Agent {
            kind: "Tool",
            spdx_id: tool_id.clone(),
            creation_info: CREATION_INFO,
            name: format!("relgate-{}", model.tool_version),
            external_identifier: Vec::new(),
        };
        let creator = Agent {
            kind: "SoftwareAgent",
            spdx_id: creator_id.clone(),
            creation_info: CREATION_INFO,
            name: "relgate".into(),
            external_identifier: Vec::new(),
        };

        let sbom_id = format!("{}/Sbom", ids.ns);
        let members: Vec<String> = [tool_id.clone(), creator_id.clone()]
            .into_iter()
            .chain(agents.keys().cloned())
            .chain(packages.iter().map(|p| p.spdx_id.clone()))
            .chain(files.iter().map(|f| f.spdx_id.clone()))
            .chain(licenses.keys().cloned())
            .chain(texts.iter().map(|t| t.spdx_id.clone()))
            .chain(relationships.iter().map(|r| r.spdx_id.clone()))
            .collect();
        let profiles = vec!["core", "software", "simpleLicensing"];
        let sbom = Collection {
            kind: "software_Sbom",
            spdx_id: sbom_id.clone(),
            creation_info: CREATION_INFO,
            name: format!("SBOM of {doc_name}"),
            data_license: None,
            sbom_type: vec!["build"],
            profile_conformance: profiles.clone(),
            root_element: vec![root_id],
            element: members.clone(),
        };
        let document = Collection {
            kind: "SpdxDocument",
            spdx_id: ids.ns.clone(),
            creation_info: CREATION_INFO,
            name: doc_name,
            data_license: Some(data_license),
            sbom_type: Vec::new(),
            profile_conformance: profiles,
            root_element: vec![sbom_id.clone()],
            element: std::iter::once(sbom_id).chain(members).collect(),
        };

        let mut graph = vec![
            Node::CreationInfo(CreationInfo {
                kind: "CreationInfo",
                id: CREATION_INFO,
                spec_version: "3.0.1",
                created: rfc3339(model.timestamp)?,
                created_by: std::iter::once(creator_id).chain(sbom_creator).collect(),
                created_using: vec![tool_id],
                comment: super::generation_comment(model),
            }),
            Node::SpdxDocument(document),
            Node::Sbom(sbom),
            Node::Agent(tool),
            Node::Agent(creator),
        ];
        graph.extend(agents.into_values().map(Node::Agent));
        graph.extend(packages.into_iter().map(|p| Node::Package(Box::new(p))));
        files.sort_by(|a, b| a.spdx_id.cmp(&b.spdx_id));
        graph.extend(files.into_iter().map(|f| Node::File(Box::new(f))));
        graph.extend(licenses.into_values().map(Node::LicenseExpression));
        graph.extend(texts.into_iter().map(Node::LicensingText));
        graph.extend(relationships.into_iter().map(Node::Relationship));
        Ok(Document {
            context: CONTEXT,
            graph,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::license::Extracted;
    use crate::analyze::sbom::{Component, Edge};

    fn component(name: &str, version: &str, license: License) -> Component {
        let purl = format!("pkg:cargo/{name}@{version}");
        Component {
            bom_ref: purl.clone(),
            purl,
            spdx_id: format!("SPDXRef-Package-{name}-{version}"),
            name: name.into(),
            version: version.into(),
            description: Some(format!("the {name} crate")),
            kind: sbom::Kind::Library,
            reach: Reach::Runtime,
            source_kind: "registry",
            supplier: Supplier::registry("crates.io", "https://crates.io"),
            authors: vec!["Jane Doe <jane@example.com>".into()],
            license,
            sha256: Some("ab".repeat(32)),
            download_url: Some(format!(
                "https://crates.io/api/v1/crates/{name}/{version}/download"
            )),
            homepage: None,
            repository: Some(format!("https://github.com/example/{name}")),
            documentation: None,
            workspace_member: false,
            deployables: Vec::new(),
        }
    }

    fn mit() -> License {
        License::Expression {
            expr: "MIT".into(),
            refs: Vec::new(),
        }
    }

    /// app → a (normal), app → b (build), a → c (normal); c has a LicenseRef.
    fn model() -> Sbom {
        let mut root = component("app", "1.0.0", mit());
        root.kind = sbom::Kind::Application;
        root.source_kind = "path";
        root.sha256 = None;
        root.download_url = None;
        let a = component("a", "0.1.0", mit());
        let mut b = component("b", "2.0.0", mit());
        b.reach = Reach::Build;
        let custom = Extracted {
            id: "LicenseRef-c-0.3.0-LICENSE".into(),
            name: "c license".into(),
            text: "Do what you like.".into(),
        };
        let c = component(
            "c",
            "0.3.0",
            License::Expression {
                expr: "MIT AND LicenseRef-c-0.3.0-LICENSE".into(),
                refs: vec![custom.clone()],
            },
        );
        let edge = |normal, build| Edge {
            normal,
            build,
            contains: false,
        };
        let mut edges: BTreeMap<String, BTreeMap<String, Edge>> = BTreeMap::new();
        edges
            .entry(root.bom_ref.clone())
            .or_default()
            .insert(a.bom_ref.clone(), edge(true, false));
        edges
            .entry(root.bom_ref.clone())
            .or_default()
            .insert(b.bom_ref.clone(), edge(false, true));
        edges
            .entry(a.bom_ref.clone())
            .or_default()
            .insert(c.bom_ref.clone(), edge(true, false));
        edges.entry(b.bom_ref.clone()).or_default();
        edges.entry(c.bom_ref.clone()).or_default();
        Sbom {
            root,
            components: vec![a, b, c],
            edges,
            extracted: [(custom.id.clone(), custom)].into_iter().collect(),
            timestamp: 1_700_000_000,
            tool_version: "0.0.0-test",
            target: "x86_64-unknown-linux-gnu".into(),
            features: Vec::new(),
            all_features: false,
            no_default_features: false,
            rustc_version: "1.80.0".into(),
            git: None,
            unlicensed: Vec::new(),
            unknown_suppliers: Vec::new(),
            profile: None,
        }
    }

    fn graph(bytes: &[u8]) -> Vec<serde_json::Value> {
        let doc: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        assert_eq!(doc["@context"], CONTEXT);
        doc["@graph"].as_array().unwrap().clone()
    }

    fn by_id(graph: &[serde_json::Value]) -> BTreeMap<String, serde_json::Value> {
        graph
            .iter()
            .filter_map(|n| Some((n["spdxId"].as_str()?.to_owned(), n.clone())))
            .collect()
    }

    #[test]
    fn same_model_same_bytes_and_no_nil_uuid() {
        let m = model();
        let a = render(&m).unwrap();
        assert_eq!(a, render(&m).unwrap());
        let text = String::from_utf8(a).unwrap();
        assert!(!text.contains(NIL_UUID), "{text}");
        let ns = graph(text.as_bytes())[1]["spdxId"].as_str().unwrap().to_owned();
        assert!(
            ns.starts_with("https://spdx.org/spdxdocs/relgate/app-1.0.0-"),
            "{ns}"
        );
        // Every id lives under the one namespace.
        for n in graph(text.as_bytes()) {
            if let Some(id) = n["spdxId"].as_str() {
                assert!(id.starts_with(&ns), "{id} outside {ns}");
            }
        }
    }

    #[test]
    fn different_content_different_namespace() {
        let m = model();
        let mut other = model();
        other.timestamp += 1;
        let ns = |b: Vec<u8>| graph(&b)[1]["spdxId"].clone();
        assert_ne!(ns(render(&m).unwrap()), ns(render(&other).unwrap()));
    }

    #[test]
    fn ids_and_bytes_do_not_depend_on_component_order() {
        let m = model();
        let mut shuffled = model();
        shuffled.components.reverse();
        assert_eq!(render(&m).unwrap(), render(&shuffled).unwrap());
    }

    #[test]
    fn every_reference_is_defined_in_the_graph() {
        let g = graph(&render(&model()).unwrap());
        let ids = by_id(&g);
        let defined = |x: &str| ids.contains_key(x) || x == NONE_ELEMENT;
        let mut rels = 0;
        for n in &g {
            for key in ["from", "suppliedBy", "dataLicense"] {
                if let Some(x) = n[key].as_str() {
                    assert!(defined(x), "{key} {x} undefined");
                }
            }
            for key in [
                "to",
                "rootElement",
                "element",
                "originatedBy",
                "createdBy",
                "createdUsing",
            ] {
                for x in n[key].as_array().into_iter().flatten() {
                    assert!(defined(x.as_str().unwrap()), "{key} {x} undefined");
                }
            }
            for e in n["simplelicensing_customIdToUri"]
                .as_array()
                .into_iter()
                .flatten()
            {
                assert!(defined(e["value"].as_str().unwrap()), "{e}");
            }
            if n["relationshipType"].is_string() {
                rels += 1;
            }
            if n["type"] != "CreationInfo" {
                assert_eq!(n["creationInfo"], CREATION_INFO, "{n}");
            }
        }
        assert!(rels > 0);
    }

    #[test]
    fn mapping() {
        let g = graph(&render(&model()).unwrap());
        let ids = by_id(&g);
        let ns = g[1]["spdxId"].as_str().unwrap().to_owned();
        let pkg = |name: &str| &ids[&format!("{ns}/SPDXRef-Package-{name}")];
        let rel =
            |from: &str, what: &str| ids.get(&format!("{ns}/Relationship-SPDXRef-Package-{from}-{what}"));

        assert_eq!(g[0]["specVersion"], "3.0.1");
        assert_eq!(g[0]["created"], "2023-11-14T22:13:20Z");
        let app = pkg("app-1.0.0");
        assert_eq!(app["software_primaryPurpose"], "application");
        assert_eq!(app["software_packageUrl"], "pkg:cargo/app@1.0.0");
        assert_eq!(g[2]["rootElement"][0], app["spdxId"]);

        let runtime = rel("app-1.0.0", "dependsOn-runtime").unwrap();
        assert_eq!(runtime["type"], "LifecycleScopedRelationship");
        assert_eq!(runtime["scope"], "runtime");
        assert_eq!(runtime["completeness"], "complete");
        assert_eq!(runtime["to"][0], pkg("a-0.1.0")["spdxId"]);
        let build = rel("app-1.0.0", "dependsOn-build").unwrap();
        assert_eq!(build["scope"], "build");
        assert_eq!(build["to"][0], pkg("b-2.0.0")["spdxId"]);
        // A leaf: complete, to NoneElement; no build relationship.
        let leaf = rel("c-0.3.0", "dependsOn-runtime").unwrap();
        assert_eq!(leaf["to"], serde_json::json!([NONE_ELEMENT]));
        assert_eq!(leaf["completeness"], "complete");
        assert!(rel("c-0.3.0", "dependsOn-build").is_none());

        // Declared license with its LicenseRef text.
        let lic = rel("c-0.3.0", "hasDeclaredLicense").unwrap();
        let expr = &ids[lic["to"][0].as_str().unwrap()];
        assert_eq!(
            expr["simplelicensing_licenseExpression"],
            "MIT AND LicenseRef-c-0.3.0-LICENSE"
        );
        let entry = &expr["simplelicensing_customIdToUri"][0];
        assert_eq!(entry["key"], "LicenseRef-c-0.3.0-LICENSE");
        assert_eq!(
            ids[entry["value"].as_str().unwrap()]["simplelicensing_licenseText"],
            "Do what you like."
        );
        // One MIT expression element shared by app, a and b.
        assert_eq!(
            rel("a-0.1.0", "hasDeclaredLicense").unwrap()["to"],
            rel("b-2.0.0", "hasDeclaredLicense").unwrap()["to"]
        );

        let a = pkg("a-0.1.0");
        assert_eq!(a["verifiedUsing"][0]["algorithm"], "sha256");
        assert_eq!(ids[a["suppliedBy"].as_str().unwrap()]["name"], "crates.io");
        let author = &ids[a["originatedBy"][0].as_str().unwrap()];
        assert_eq!(author["type"], "Person");
        assert_eq!(author["externalIdentifier"][0]["identifier"], "jane@example.com");
        assert_eq!(a["externalRef"][0]["externalRefType"], "vcs");
        assert!(pkg("b-2.0.0")["comment"].as_str().unwrap().contains("Build-time"));
    }

    #[test]
    fn workspace_root_contains_its_members_and_depends_on_nothing() {
        let mut m = model();
        let mut ws = component("ws", "1.0.0", License::None);
        ws.spdx_id = "SPDXRef-Workspace-ws".into();
        ws.purl = "pkg:generic/ws@1.0.0".into();
        ws.bom_ref = ws.purl.clone();
        ws.source_kind = "workspace";
        ws.supplier = Supplier::unknown();
        let old = std::mem::replace(&mut m.root, ws.clone());
        m.edges.entry(ws.bom_ref.clone()).or_default().insert(
            old.bom_ref.clone(),
            Edge {
                contains: true,
                ..Edge::default()
            },
        );
        m.components.push(old);
        let g = graph(&render(&m).unwrap());
        let ids = by_id(&g);
        let ns = g[1]["spdxId"].as_str().unwrap().to_owned();
        let contains = &ids[&format!("{ns}/Relationship-SPDXRef-Workspace-ws-contains")];
        assert_eq!(contains["to"][0], format!("{ns}/SPDXRef-Package-app-1.0.0"));
        assert!(!ids.contains_key(&format!(
            "{ns}/Relationship-SPDXRef-Workspace-ws-dependsOn-runtime"
        )));
        assert!(ids[&format!("{ns}/SPDXRef-Workspace-ws")]
            .get("suppliedBy")
            .is_none());
    }
}
