//! The facts a gate decides on: what rules see, as one typed document.
//!
//! The release pipeline fills it; `gate.json` records it (it is signed with
//! the rest of the release directory), so `relgate gate --dir` re-evaluates
//! every rule on exactly what the release saw, refreshing only `now`,
//! `ledger` and `provenance`. Field names are the names CEL rules use and
//! are documented in the README; renaming one is a breaking change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Everything visible to rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// The release being made.
    pub release: ReleaseFact,
    /// Every package in the SBOM scope, workspace members included.
    pub packages: Vec<PackageFact>,
    /// Every file of the release directory that rules can judge.
    pub artifacts: Vec<ArtifactFact>,
    /// The compatibility verdict.
    pub compat: CompatFact,
    /// SBOM summary.
    pub sbom: SbomFact,
    /// `metrics.json`'s metrics.
    pub metrics: Vec<MetricFact>,
    /// The previous release's metrics, when known.
    pub previous_metrics: Option<Vec<MetricFact>>,
    /// Test evidence.
    pub tests: TestsFact,
    /// What the ledger already holds.
    pub ledger: LedgerFact,
    /// The schema lock check.
    pub schema_lock: SchemaLockFact,
    /// Artifact schema validation and re-emission checks.
    pub canonical: Vec<CanonicalFact>,
    /// The signed provenance (known at publish time, `relgate gate --dir`).
    pub provenance: Option<ProvenanceFact>,
    /// Known advisories (RustSec) that affect the packages.
    #[serde(default)]
    pub advisories: AdvisoriesFact,
    /// Each released executable against the SBOM (cargo-auditable's list).
    #[serde(default)]
    pub binaries: Vec<BinaryFact>,
    /// The contract's SBOM profile and the fields the SBOM lacks for it
    /// (none: no profile was asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbom_profile: Option<ProfileFact>,
    /// Gate evaluation time, RFC 3339.
    pub now: String,
}

/// `sbom_profile`: what the SBOM lacks for the contract's profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileFact {
    /// The profile (`bsi-tr-03183-2`).
    pub profile: String,
    /// Delivered components checked (the root and its run-time dependencies).
    pub components: u64,
    /// Components with missing fields (`SBOM` for document-level ones).
    pub gaps: Vec<ProfileGapFact>,
    /// Registry crates whose `.crate` archive was not in cargo's cache.
    pub archives_missing: Vec<String>,
}

/// One entry of `sbom_profile.gaps`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileGapFact {
    /// `name@version`, or `SBOM`.
    pub component: String,
    /// Field names (`creator`, `filename`, `hash`, `licence`, `source-uri`, `deployable-uri`, `sbom-creator`).
    pub missing: Vec<String>,
}

/// One entry of `binaries`: a released executable and what it embeds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BinaryFact {
    /// File name in the release directory.
    pub name: String,
    /// Whether it carries cargo-auditable's dependency list.
    pub auditable: bool,
    /// The list's root package, `name@version`.
    pub root: Option<String>,
    /// cargo-auditable's format revision.
    pub format: Option<u32>,
    /// Packages in the list.
    pub packages: u64,
    /// The SBOM's components for this binary.
    pub sbom_components: u64,
    /// Whether the root is a package the SBOM describes.
    pub root_in_sbom: bool,
    /// In the binary, not in the SBOM: `name@version (source kind)`.
    pub not_in_sbom: Vec<String>,
    /// In the SBOM, not in the binary.
    pub not_in_binary: Vec<String>,
    /// Why an executable without a list read could not be checked, beyond
    /// not carrying one (e.g. too large to read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

/// `advisories`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdvisoriesFact {
    /// A database was configured and read (false: not checked).
    pub checked: bool,
    /// The database's path as configured.
    pub database: Option<String>,
    /// Its last commit, RFC 3339 (`null`: not a git checkout, date unknown).
    pub last_commit: Option<String>,
    /// Advisories it holds (withdrawn ones left out).
    pub advisories: u64,
    /// Every advisory that affects a package (crates.io packages by name and version).
    pub matches: Vec<AdvisoryMatchFact>,
    /// Yanked crates.io versions, as cargo's local index cache knows them.
    #[serde(default)]
    pub yanked: YankedFact,
}

/// `advisories.yanked`: what cargo's local crates.io index cache says
/// (relgate never fetches the index).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct YankedFact {
    /// crates.io packages whose yanked state the cache knows.
    pub checked: u64,
    /// Of those, the yanked ones (`name@version`).
    pub yanked: Vec<String>,
    /// crates.io packages the cache has no entry for: not known.
    pub unknown: Vec<String>,
    /// The oldest cache file read, RFC 3339: later yanks are not known.
    pub oldest_entry: Option<String>,
}

/// One entry of `advisories.matches`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdvisoryMatchFact {
    /// `RUSTSEC-YYYY-NNNN`.
    pub id: String,
    /// The affected crate.
    pub package: String,
    /// Its version in the release.
    pub version: String,
    /// `vulnerability`, `unmaintained`, `unsound`, `notice`, `other`.
    pub kind: String,
    /// CVSS severity (`none` … `critical`), when the advisory has a score.
    pub severity: Option<String>,
    /// CVSS base score.
    pub score: Option<f64>,
    /// The advisory's title.
    pub title: String,
    /// Its URL.
    pub url: Option<String>,
    /// CVE / GHSA ids.
    pub aliases: Vec<String>,
    /// Fixed versions (requirements); empty: no fix.
    pub patched: Vec<String>,
    /// Reported on.
    pub date: String,
}

/// `release`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReleaseFact {
    /// The invocation id (also the provenance's `invocationId`).
    pub id: String,
    /// The package that carries the release version.
    pub package: String,
    /// The version being released.
    pub version: String,
    /// The baseline's version (`null` on a first release).
    pub previous_version: Option<String>,
    /// The git commit.
    pub commit: Option<String>,
    /// The git tag pointing at the commit, if any.
    pub tag: Option<String>,
    /// Signed with the example key, not for publishing.
    pub dry_run: bool,
}

/// One entry of `packages`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PackageFact {
    /// Crate name.
    pub name: String,
    /// Version.
    pub version: String,
    /// SPDX expression, `NOASSERTION` when the crate declares none.
    pub license: String,
    /// `registry`, `git` or `path`.
    pub source_kind: String,
    /// The source (registry URL, git URL, or the workspace-relative path).
    pub source: Option<String>,
    /// `normal` or `build` (how it is first reached from the workspace).
    pub kind: String,
    /// A member of the workspace.
    pub workspace_member: bool,
}

/// One entry of `artifacts`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArtifactFact {
    /// File name in the release directory.
    pub name: String,
    /// `binary`, `sbom`, `compat-report`, `metrics`, `trace`, `file`.
    pub kind: String,
    /// Size.
    pub size_bytes: u64,
    /// Hex SHA-256.
    pub sha256: String,
}

/// `compat`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompatFact {
    /// A baseline was compared (false on a first release).
    pub ran: bool,
    /// The baseline spec, e.g. `git:v1.0.0`.
    pub baseline: Option<String>,
    /// Highest change class: `none`, `patch`, `minor`, `major`.
    pub required_bump: String,
    /// What the version change declares under Cargo's rules.
    pub declared_bump: String,
    /// declared ≥ required.
    pub sufficient: bool,
    /// Lowest sufficient version.
    pub next_version_at_least: Option<String>,
    /// Every change.
    pub changes: Vec<CompatChangeFact>,
    /// Every publishable library member of the workspace, each against its
    /// own baseline (the fields above describe `release.package`'s).
    #[serde(default)]
    pub members: Vec<CompatMemberFact>,
    /// Members with no public API to compare, and why (`publish = false`,
    /// no library target).
    #[serde(default)]
    pub skipped: Vec<CompatSkippedFact>,
}

/// What became of one member's comparison.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberStatus {
    /// Compared with its baseline.
    #[default]
    Compared,
    /// Provably no earlier version: no ledger entry, no tag, not on the registry.
    FirstRelease,
    /// The contract or `--baseline` said `none`.
    NotCompared,
    /// relgate could not compare it: the gate fails.
    Failed,
}

impl MemberStatus {
    /// Every status, in order.
    pub const ALL: [MemberStatus; 4] = [
        MemberStatus::Compared,
        MemberStatus::FirstRelease,
        MemberStatus::NotCompared,
        MemberStatus::Failed,
    ];

    /// The id rules and gate.json use.
    pub fn id(self) -> &'static str {
        match self {
            MemberStatus::Compared => "compared",
            MemberStatus::FirstRelease => "first-release",
            MemberStatus::NotCompared => "not-compared",
            MemberStatus::Failed => "failed",
        }
    }

    /// What the status means.
    pub fn explain(self) -> &'static str {
        match self {
            MemberStatus::Compared => "the member's public API was compared with its baseline",
            MemberStatus::FirstRelease => {
                "no ledger entry, no git tag and no registry version precede this one"
            }
            MemberStatus::NotCompared => "the baseline `none` was given: the comparison is turned off",
            MemberStatus::Failed => "the member could not be compared; semver-bump-sufficient fails",
        }
    }
}

/// One entry of `compat.members`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompatMemberFact {
    /// Package name.
    pub package: String,
    /// Its version now.
    pub version: String,
    /// `compared`, `first-release`, `not-compared` or `failed`.
    pub status: MemberStatus,
    /// The baseline spec, when one was decided.
    pub baseline: Option<String>,
    /// The baseline's version (compared members).
    pub previous_version: Option<String>,
    /// Highest change class (compared members).
    pub required_bump: Option<String>,
    /// The bump the version change declares (compared members).
    pub declared_bump: Option<String>,
    /// Compared, and declared ≥ required.
    pub sufficient: bool,
    /// Lowest sufficient version (compared members).
    pub next_version_at_least: Option<String>,
    /// Number of changes found.
    pub changes: u64,
    /// Why it was not compared, or the error.
    pub reason: Option<String>,
}

/// One entry of `compat.skipped`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompatSkippedFact {
    /// Package name.
    pub package: String,
    /// Why it has no public API to compare.
    pub reason: String,
}

/// One entry of `compat.changes`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompatChangeFact {
    /// Item path, `Cargo.toml`, or `schema:<name>`.
    pub path: String,
    /// Stable change id.
    pub kind: String,
    /// The bump it requires.
    pub class: String,
    /// In words.
    pub detail: String,
}

/// `sbom`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SbomFact {
    /// Packages described: every component, the root when it is a package
    /// (a synthetic workspace root is not counted).
    pub components: u64,
    /// Component count per `source_kind`.
    pub by_source_kind: BTreeMap<String, u64>,
    /// Component count per license expression.
    pub licenses: BTreeMap<String, u64>,
    /// Packages without a license.
    pub unlicensed: Vec<String>,
    /// The spec version of `sbom.cdx.json` (`1.5`, `1.6`, `1.7`).
    #[serde(default)]
    pub cyclonedx_version: String,
}

/// One entry of `metrics`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricFact {
    /// Dotted name, e.g. `release.artifact.size`.
    pub name: String,
    /// UCUM unit.
    pub unit: String,
    /// Value.
    pub value: f64,
    /// Attributes, e.g. `artifact`.
    pub attributes: BTreeMap<String, String>,
}

/// `tests`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestsFact {
    /// The contract requires tests.
    pub required: bool,
    /// The test command ran.
    pub ran: bool,
    /// The command exited and its results were read (counts are meaningful).
    pub conclusive: bool,
    /// Passed tests.
    pub passed: u64,
    /// Failed tests.
    pub failed: u64,
    /// Ignored tests.
    pub ignored: u64,
    /// The command.
    pub command: Vec<String>,
    /// Its exit code.
    pub exit_code: Option<i32>,
}

/// `ledger`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LedgerFact {
    /// Invocation ids of earlier releases.
    pub ids: Vec<String>,
    /// Versions of earlier releases.
    pub versions: Vec<String>,
    /// Invocation ids that were revoked.
    pub revoked: Vec<String>,
    /// Hash of the last line.
    pub head: String,
}

/// `schema_lock`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SchemaLockFact {
    /// `ok`, `drift` or `missing` (no lock file).
    pub status: String,
    /// The lock file, workspace-relative.
    pub lock: String,
    /// Schemas covered.
    pub schemas: Vec<String>,
    /// Drifted schemas.
    pub drift: Vec<SchemaDriftFact>,
}

/// One drifted schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SchemaDriftFact {
    /// Schema name.
    pub schema: String,
    /// `changed`, `added`, `removed`.
    pub change: String,
    /// `breaking`, `additive`, `documentation-only`.
    pub classification: String,
    /// `major`, `minor`, `none`.
    pub required_bump: String,
    /// Why.
    pub reasons: Vec<String>,
}

/// One artifact's canonical-format check.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CanonicalFact {
    /// File name.
    pub artifact: String,
    /// Schema it was validated against (`null`: no schema, re-emission only).
    pub schema: Option<String>,
    /// Validation errors (empty: valid).
    pub errors: Vec<String>,
    /// Rendering the same facts again gave the same bytes.
    pub reemit_identical: bool,
}

/// `provenance`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProvenanceFact {
    /// `runDetails.metadata.invocationId`.
    pub invocation_id: String,
    /// `runDetails.metadata.finishedOn`.
    pub finished_on: String,
    /// sha256 of `provenance.intoto.jsonl`.
    pub sha256: String,
    /// keyids that signed.
    pub keyids: Vec<String>,
}

impl Facts {
    /// The facts as the JSON value rules see.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Top-level names rules may use (besides `it`).
pub const VARIABLES: [&str; 16] = [
    "release",
    "packages",
    "artifacts",
    "compat",
    "sbom",
    "metrics",
    "previous_metrics",
    "tests",
    "ledger",
    "schema_lock",
    "canonical",
    "provenance",
    "advisories",
    "binaries",
    "sbom_profile",
    "now",
];

impl Facts {
    /// A complete example of the facts: every list holds one element and
    /// every optional field a value, so evaluating a rule on it reaches
    /// every field the rule names. [`crate::gate::rules::compile`] checks
    /// every expression on it before any work.
    pub fn specimen() -> Facts {
        let attrs: BTreeMap<String, String> = [
            ("artifact", "demo"),
            ("stage", "build"),
            ("source_kind", "registry"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let metric = MetricFact {
            name: "release.artifact.size".into(),
            unit: "By".into(),
            value: 1.0,
            attributes: attrs,
        };
        let member = CompatMemberFact {
            package: "demo".into(),
            version: "1.1.0".into(),
            status: MemberStatus::Compared,
            baseline: Some("git:v1.0.0".into()),
            previous_version: Some("1.0.0".into()),
            required_bump: Some("minor".into()),
            declared_bump: Some("minor".into()),
            sufficient: true,
            next_version_at_least: Some("1.1.0".into()),
            changes: 1,
            reason: Some("specimen".into()),
        };
        let counts = |keys: &[&str]| {
            keys.iter()
                .map(|k| ((*k).to_owned(), 1))
                .collect::<BTreeMap<String, u64>>()
        };
        Facts {
            advisories: AdvisoriesFact {
                checked: true,
                database: Some("advisory-db".into()),
                last_commit: Some("2026-01-01T00:00:00Z".into()),
                advisories: 1,
                matches: vec![AdvisoryMatchFact {
                    id: "RUSTSEC-2099-0001".into(),
                    package: "serde".into(),
                    version: "1.0.0".into(),
                    kind: "vulnerability".into(),
                    severity: Some("high".into()),
                    score: Some(7.5),
                    title: "specimen".into(),
                    url: Some("https://rustsec.org/advisories/RUSTSEC-2099-0001".into()),
                    aliases: vec!["CVE-2099-0001".into()],
                    patched: vec![">=1.0.1".into()],
                    date: "2099-01-01".into(),
                }],
                yanked: YankedFact {
                    checked: 1,
                    yanked: vec!["serde@1.0.0".into()],
                    unknown: vec!["serde_json@1.0.0".into()],
                    oldest_entry: Some("2026-01-01T00:00:00Z".into()),
                },
            },
            binaries: vec![BinaryFact {
                name: "demo".into(),
                auditable: true,
                root: Some("demo@1.1.0".into()),
                format: Some(1),
                packages: 2,
                sbom_components: 2,
                root_in_sbom: true,
                not_in_sbom: vec!["a@1.0.0 (crates.io)".into()],
                not_in_binary: vec!["b@1.0.0 (crates.io)".into()],
                unreadable: Some("specimen".into()),
            }],
            sbom_profile: Some(ProfileFact {
                profile: "bsi-tr-03183-2".into(),
                components: 1,
                gaps: vec![ProfileGapFact {
                    component: "demo@1.1.0".into(),
                    missing: vec!["hash".into()],
                }],
                archives_missing: vec!["serde@1.0.0".into()],
            }),
            release: ReleaseFact {
                id: "id".into(),
                package: "demo".into(),
                version: "1.1.0".into(),
                previous_version: Some("1.0.0".into()),
                commit: Some("0".repeat(40)),
                tag: Some("v1.1.0".into()),
                dry_run: true,
            },
            packages: vec![PackageFact {
                name: "demo".into(),
                version: "1.1.0".into(),
                license: "MIT".into(),
                source_kind: "registry".into(),
                source: Some("https://crates.io".into()),
                kind: "normal".into(),
                workspace_member: false,
            }],
            artifacts: vec![ArtifactFact {
                name: "demo".into(),
                kind: "binary".into(),
                size_bytes: 1,
                sha256: "0".repeat(64),
            }],
            compat: CompatFact {
                ran: true,
                baseline: Some("git:v1.0.0".into()),
                required_bump: "minor".into(),
                declared_bump: "minor".into(),
                sufficient: true,
                next_version_at_least: Some("1.1.0".into()),
                changes: vec![CompatChangeFact {
                    path: "demo::f".into(),
                    kind: "function-added".into(),
                    class: "minor".into(),
                    detail: "specimen".into(),
                }],
                members: vec![member],
                skipped: vec![CompatSkippedFact {
                    package: "demo-xtask".into(),
                    reason: "publish = false".into(),
                }],
            },
            sbom: SbomFact {
                components: 1,
                by_source_kind: counts(&["registry", "path", "git"]),
                licenses: counts(&["MIT"]),
                unlicensed: vec!["demo@1.1.0".into()],
                cyclonedx_version: "1.6".into(),
            },
            metrics: vec![metric.clone()],
            previous_metrics: Some(vec![metric]),
            tests: TestsFact {
                required: true,
                ran: true,
                conclusive: true,
                passed: 1,
                failed: 0,
                ignored: 0,
                command: vec!["cargo".into()],
                exit_code: Some(0),
            },
            ledger: LedgerFact {
                ids: vec!["id0".into()],
                versions: vec!["1.0.0".into()],
                revoked: vec!["id0".into()],
                head: "0".repeat(64),
            },
            schema_lock: SchemaLockFact {
                status: "ok".into(),
                lock: "schemas.lock".into(),
                schemas: vec!["relgate:gate".into()],
                drift: vec![SchemaDriftFact {
                    schema: "relgate:gate".into(),
                    change: "changed".into(),
                    classification: "additive".into(),
                    required_bump: "minor".into(),
                    reasons: vec!["specimen".into()],
                }],
            },
            canonical: vec![CanonicalFact {
                artifact: "metrics.json".into(),
                schema: Some("relgate:metrics".into()),
                errors: vec!["specimen".into()],
                reemit_identical: true,
            }],
            provenance: Some(ProvenanceFact {
                invocation_id: "id".into(),
                finished_on: "2026-01-01T00:00:00Z".into(),
                sha256: "0".repeat(64),
                keyids: vec!["0".repeat(16)],
            }),
            now: "2026-01-01T00:00:00Z".into(),
        }
    }
}
