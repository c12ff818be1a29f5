//! in-toto Statement v1 and SLSA Provenance v1, as relgate writes them.
//!
//! The build type is documented in `docs/build-type-v1.md`; its
//! `externalParameters` hold only what a verifier can check: the source
//! repository and ref, the workspace manifest, profile, features and target.
//! The statement is serialized compactly in field order, so the same inputs
//! give the same payload bytes (the timestamps and the invocation id are the
//! inputs that change between runs).

use std::collections::BTreeMap;

use serde::Serialize;

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `_type` of an in-toto Statement v0.1 (still used by GitHub's generators).
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";
/// `predicateType` of SLSA Provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// relgate's build type.
pub const BUILD_TYPE: &str = "https://github.com/relgate/relgate/blob/main/docs/build-type-v1.md";
/// The keys `externalParameters` may have under [`BUILD_TYPE`].
pub const EXTERNAL_PARAMETERS: [&str; 5] = ["source", "workspace", "profile", "features", "target"];
/// The builder id used when none is given.
pub const DEFAULT_BUILDER_ID: &str = "urn:relgate:builder:local:v1";

/// A released file and its digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// Name (a relative path).
    pub name: String,
    /// Lowercase hex SHA-256.
    pub sha256: String,
    /// Lowercase hex SHA-512, when requested.
    pub sha512: Option<String>,
}

/// Everything a provenance statement says, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// The attested files, any order (they are sorted by name).
    pub subjects: Vec<Subject>,
    /// `runDetails.builder.id`.
    pub builder_id: String,
    /// `runDetails.metadata.invocationId`.
    pub invocation_id: String,
    /// Source repository URI (`externalParameters.source.uri`).
    pub source_uri: Option<String>,
    /// Source ref, e.g. `refs/tags/v1.2.0`.
    pub source_ref: Option<String>,
    /// Git commit of the source.
    pub commit: Option<String>,
    /// Workspace manifest, relative to the repository root.
    pub workspace: String,
    /// Cargo profile.
    pub profile: String,
    /// Features.
    pub features: Vec<String>,
    /// Target triple.
    pub target: String,
    /// SHA-256 of Cargo.lock.
    pub lock_sha256: Option<String>,
    /// rustc release.
    pub rustc_version: String,
    /// relgate's version.
    pub relgate_version: String,
    /// Start of the run, Unix seconds (real clock).
    pub started_on: i64,
    /// End of the run, Unix seconds (real clock).
    pub finished_on: i64,
    /// Further resolved dependencies, (name, sha256): the part manifests a
    /// release merged from many runners was built from.
    pub parts: Vec<(String, String)>,
}

#[derive(Serialize)]
struct Statement<'a> {
    #[serde(rename = "_type")]
    kind: &'static str,
    subject: Vec<ResourceDescriptor>,
    #[serde(rename = "predicateType")]
    predicate_type: &'static str,
    predicate: Provenance<'a>,
}

#[derive(Serialize, Default)]
struct ResourceDescriptor {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    digest: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotations: Option<BTreeMap<&'static str, String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Provenance<'a> {
    build_definition: BuildDefinition<'a>,
    run_details: RunDetails<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BuildDefinition<'a> {
    build_type: &'static str,
    external_parameters: ExternalParameters<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resolved_dependencies: Vec<ResourceDescriptor>,
}

#[derive(Serialize)]
struct ExternalParameters<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<SourceParam<'a>>,
    workspace: &'a str,
    profile: &'a str,
    features: &'a [String],
    target: &'a str,
}

#[derive(Serialize)]
struct SourceParam<'a> {
    uri: &'a str,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
}

#[derive(Serialize)]
struct RunDetails<'a> {
    builder: Builder<'a>,
    metadata: Metadata<'a>,
}

#[derive(Serialize)]
struct Builder<'a> {
    id: &'a str,
    version: BTreeMap<&'static str, &'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata<'a> {
    invocation_id: &'a str,
    started_on: String,
    finished_on: String,
}

/// The statement's JSON bytes: the DSSE payload.
pub fn payload(p: &Params) -> Result<Vec<u8>, String> {
    let mut subjects: Vec<&Subject> = p.subjects.iter().collect();
    subjects.sort_by(|a, b| a.name.cmp(&b.name));
    let subject = subjects
        .into_iter()
        .map(|s| {
            let mut digest = BTreeMap::from([("sha256", s.sha256.clone())]);
            if let Some(h) = &s.sha512 {
                digest.insert("sha512", h.clone());
            }
            ResourceDescriptor {
                name: Some(s.name.clone()),
                digest,
                ..ResourceDescriptor::default()
            }
        })
        .collect();
    let mut resolved = Vec::new();
    if let Some(commit) = &p.commit {
        let uri = p
            .source_uri
            .as_deref()
            .map(bare_source_uri)
            .map(|u| match &p.source_ref {
                Some(r) => format!("git+{u}@{r}"),
                None => format!("git+{u}"),
            });
        let alg = if commit.len() == 64 { "sha256" } else { "sha1" };
        resolved.push(ResourceDescriptor {
            name: Some("source".into()),
            uri,
            digest: BTreeMap::from([("gitCommit", commit.clone())]),
            annotations: Some(BTreeMap::from([("gitObjectFormat", alg.to_owned())])),
        });
    }
    if let Some(lock) = &p.lock_sha256 {
        resolved.push(ResourceDescriptor {
            name: Some("Cargo.lock".into()),
            digest: BTreeMap::from([("sha256", lock.clone())]),
            ..ResourceDescriptor::default()
        });
    }
    for (name, sha256) in &p.parts {
        resolved.push(ResourceDescriptor {
            name: Some(name.clone()),
            digest: BTreeMap::from([("sha256", sha256.clone())]),
            ..ResourceDescriptor::default()
        });
    }
    resolved.push(ResourceDescriptor {
        name: Some("rustc".into()),
        uri: Some(format!("pkg:generic/rustc@{}", p.rustc_version)),
        ..ResourceDescriptor::default()
    });
    let statement = Statement {
        kind: STATEMENT_V1,
        subject,
        predicate_type: SLSA_PROVENANCE_V1,
        predicate: Provenance {
            build_definition: BuildDefinition {
                build_type: BUILD_TYPE,
                external_parameters: ExternalParameters {
                    source: p.source_uri.as_deref().map(|uri| SourceParam {
                        uri,
                        reference: p.source_ref.as_deref(),
                    }),
                    workspace: &p.workspace,
                    profile: &p.profile,
                    features: &p.features,
                    target: &p.target,
                },
                resolved_dependencies: resolved,
            },
            run_details: RunDetails {
                builder: Builder {
                    id: &p.builder_id,
                    version: BTreeMap::from([("relgate", p.relgate_version.as_str())]),
                },
                metadata: Metadata {
                    invocation_id: &p.invocation_id,
                    started_on: rfc3339(p.started_on)?,
                    finished_on: rfc3339(p.finished_on)?,
                },
            },
        },
    };
    serde_json::to_vec(&statement).map_err(|e| e.to_string())
}

fn rfc3339(ts: i64) -> Result<String, String> {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .ok_or_else(|| format!("timestamp {ts} out of range"))
}

/// A repository URL without the `git+` scheme prefix (given once or more),
/// so `git+https://…` and `https://…` name the same source and the
/// resolved dependency's URI never reads `git+git+…`.
pub fn bare_source_uri(uri: &str) -> &str {
    let mut u = uri.trim();
    while let Some(rest) = u.strip_prefix("git+") {
        u = rest;
    }
    u
}
