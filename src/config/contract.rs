//! The release contract: `relgate.toml`, or `[workspace.metadata.relgate]`
//! (or `[package.metadata.relgate]`) in the root `Cargo.toml`.
//!
//! Parsing is pure: [`Contract::from_toml`] takes the text the caller read.
//! Unknown keys are errors (a typo must not silently turn a rule off), and
//! so is a contract that names a built-in invariant relgate does not have.
//! Expressions are compiled by [`crate::gate`], not here.

use std::path::PathBuf;

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// A parsed contract, plus where it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contract {
    /// Where the contract was read from (`None`: relgate's defaults).
    pub origin: Option<String>,
    /// sha256 of the contract text (of the empty string for the defaults).
    pub sha256: String,
    /// `[release]`.
    pub release: Release,
    /// `[invariants.*]`: parameters of the built-in invariants.
    pub invariants: Invariants,
    /// `[[rule]]`.
    pub rules: Vec<Rule>,
    /// `[[waiver]]`.
    pub waivers: Vec<Waiver>,
    /// `[schemas]`.
    pub schemas: Schemas,
    /// `[report]`.
    pub report: Report,
    /// `[advisories]`.
    pub advisories: Advisories,
    /// `[sbom]`.
    pub sbom: SbomConfig,
}

/// `[sbom]`: the spec version of the release's CycloneDX SBOM and the
/// profile its SBOMs must meet.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct SbomConfig {
    /// `1.5`, `1.6` (the default) or `1.7`.
    pub spec_version: Option<String>,
    /// `bsi-tr-03183-2`: SHA-512 of every deployable file and the other
    /// TR-03183-2 v2.1 fields, checked by the `sbom-profile` invariant.
    pub profile: Option<String>,
    /// Where the released files will be downloaded from: a URL template
    /// with `{version}` (the release's version) and `{file}` (the file
    /// name), e.g. `https://github.com/o/r/releases/download/v{version}/{file}`.
    pub download_url: Option<String>,
}

impl SbomConfig {
    /// The CycloneDX spec version (validated when the contract was parsed).
    pub fn cdx_version(&self) -> crate::config::CdxVersion {
        self.spec_version
            .as_deref()
            .and_then(|v| v.parse().ok())
            .unwrap_or_default()
    }

    /// The profile (validated when the contract was parsed).
    pub fn profile(&self) -> Option<crate::config::Profile> {
        self.profile.as_deref().and_then(|p| p.parse().ok())
    }

    /// The download URL of a released file, from `download-url`: the
    /// version and the file name percent-encoded as path segments (a `#` or
    /// a space in a file name must not change which file the URL names).
    pub fn download_url_of(&self, version: &str, file: &str) -> Option<String> {
        self.download_url.as_ref().map(|t| {
            t.replace("{version}", &path_segment(version))
                .replace("{file}", &path_segment(file))
        })
    }
}

/// `[advisories]`: the RustSec advisory database `no-known-vulnerabilities` reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Advisories {
    /// A local copy of the database (relative to the workspace root); none:
    /// advisories are not checked, and the gate says so.
    pub db: Option<String>,
    /// A database whose last commit is older fails the gate (default `7d`).
    pub max_db_age: String,
    /// Vulnerabilities at or above this CVSS severity deny (`none`, the
    /// default: all of them, those without a CVSS score too); below it they
    /// are reported only.
    pub severity_threshold: String,
    /// Informational kinds that deny (default `unmaintained`, `unsound`,
    /// as cargo-deny); the others (`notice`, …) are reported only.
    pub deny_informational: Vec<String>,
    /// A yanked crates.io version (as cargo's local index cache knows it):
    /// `warn` (the default, as cargo-deny) reports it, `deny` fails.
    pub yanked: String,
}

impl Default for Advisories {
    fn default() -> Self {
        Advisories {
            db: None,
            max_db_age: "7d".into(),
            severity_threshold: "none".into(),
            deny_informational: vec!["unmaintained".into(), "unsound".into()],
            yanked: "warn".into(),
        }
    }
}

/// CVSS severities, in order (`severity-threshold`).
pub const SEVERITIES: [&str; 5] = ["none", "low", "medium", "high", "critical"];

/// Informational advisory kinds RustSec defines.
pub const INFORMATIONAL: [&str; 3] = ["notice", "unmaintained", "unsound"];

/// `[release]`: how a release is made.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Release {
    /// `runDetails.builder.id` of the provenance.
    pub builder_id: Option<String>,
    /// The source repository URI (default: the git remote `origin`).
    pub source_uri: Option<String>,
    /// Run the tests and require them to pass (`tests-passed`).
    pub run_tests: bool,
    /// The test command; default `cargo test --workspace --locked`.
    pub test_command: Option<Vec<String>>,
    /// The ledger file, relative to the workspace root.
    pub ledger: String,
    /// The package whose version is the release version (default: the root
    /// package, or the one version every member shares).
    pub package: Option<String>,
    /// Packages whose binaries are built and released (default: every member with a binary).
    pub packages: Vec<String>,
    /// Compat baseline spec (`git:REF`, `registry:VERSION`, `path:DIR`, `none`).
    pub baseline: Option<String>,
    /// The public half of the release key, relative to the workspace root:
    /// checked against the signing key, and used by report.md's commands.
    pub public_key: Option<String>,
    /// No release was made before: the ledger may be absent (otherwise a
    /// missing ledger is an error, never an empty history).
    pub first_release: bool,
    /// How long the rules may run (the type check, or one gate) before the
    /// release is refused with exit 2, e.g. `"30s"`.
    pub rule_timeout: String,
    /// Build the binaries with `cargo auditable build` (cargo-auditable on
    /// `PATH`), so each carries its dependency list for `sbom-matches-binary`.
    pub auditable: bool,
}

impl Default for Release {
    fn default() -> Self {
        Release {
            builder_id: None,
            source_uri: None,
            run_tests: true,
            test_command: None,
            ledger: "release-ledger.jsonl".into(),
            package: None,
            packages: Vec::new(),
            baseline: None,
            public_key: None,
            first_release: false,
            rule_timeout: "30s".into(),
            auditable: false,
        }
    }
}

/// Parameters of the built-in invariants. Every invariant is on unless
/// `enabled = false`; `license-allowlist` is on once it has an allow list.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Invariants {
    /// `semver-bump-sufficient`.
    pub semver_bump_sufficient: Toggle,
    /// `tests-passed`.
    pub tests_passed: Toggle,
    /// `license-allowlist`.
    pub license_allowlist: LicenseAllowlist,
    /// `no-git-or-path-deps`.
    pub no_git_or_path_deps: NoGitOrPathDeps,
    /// `ticket-ttl`.
    pub ticket_ttl: TicketTtl,
    /// `nonce-unique`.
    pub nonce_unique: Toggle,
    /// `canonical-format`.
    pub canonical_format: Toggle,
    /// `performance-budget`.
    pub performance_budget: PerformanceBudget,
    /// `schema-lock`.
    pub schema_lock: Toggle,
    /// `no-known-vulnerabilities` (checked when `[advisories] db` is set).
    pub no_known_vulnerabilities: Toggle,
    /// `sbom-matches-binary`.
    pub sbom_matches_binary: SbomMatchesBinary,
    /// `sbom-profile` (checked when `[sbom] profile` is set).
    pub sbom_profile: Toggle,
}

/// `[invariants.sbom-matches-binary]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct SbomMatchesBinary {
    /// On by default.
    pub enabled: bool,
    /// A released executable without cargo-auditable's list fails
    /// (otherwise it is reported as not checkable).
    pub require_auditable: bool,
}

impl Default for SbomMatchesBinary {
    fn default() -> Self {
        SbomMatchesBinary {
            enabled: true,
            require_auditable: false,
        }
    }
}

/// An invariant with no parameters.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Toggle {
    /// On by default.
    pub enabled: bool,
}

impl Default for Toggle {
    fn default() -> Self {
        Toggle { enabled: true }
    }
}

/// `[invariants.license-allowlist]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct LicenseAllowlist {
    /// Off only when explicitly disabled; without `allow` there is nothing to check.
    pub enabled: Option<bool>,
    /// SPDX license ids (and `WITH` exceptions) that may appear.
    pub allow: Vec<String>,
    /// Check workspace members too (default: dependencies only).
    pub include_workspace: bool,
}

/// `[invariants.no-git-or-path-deps]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct NoGitOrPathDeps {
    /// On by default.
    pub enabled: bool,
    /// Allow git dependencies.
    pub allow_git: bool,
    /// Allow path dependencies outside the workspace.
    pub allow_path: bool,
}

impl Default for NoGitOrPathDeps {
    fn default() -> Self {
        NoGitOrPathDeps {
            enabled: true,
            allow_git: false,
            allow_path: false,
        }
    }
}

/// `[invariants.ticket-ttl]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct TicketTtl {
    /// On by default.
    pub enabled: bool,
    /// How long a signed release directory may wait before publishing, e.g. `24h`.
    pub max_ticket_ttl: String,
}

impl Default for TicketTtl {
    fn default() -> Self {
        TicketTtl {
            enabled: true,
            max_ticket_ttl: "24h".into(),
        }
    }
}

/// `[invariants.performance-budget]`. Unset budgets are not checked.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct PerformanceBudget {
    /// On by default.
    pub enabled: bool,
    /// Largest allowed artifact, bytes.
    pub max_artifact_bytes: Option<u64>,
    /// Largest allowed sum of artifact sizes, bytes.
    pub max_total_bytes: Option<u64>,
    /// Longest allowed build, seconds.
    pub max_build_seconds: Option<f64>,
    /// relgate's own peak resident memory, bytes.
    pub max_peak_rss_bytes: Option<u64>,
    /// relgate's own CPU time (user + system), seconds.
    pub max_cpu_seconds: Option<f64>,
    /// Allowed growth against the previous release's metrics, as a fraction (0.10 = 10 %).
    pub regression_tolerance: f64,
    /// Metric names compared with the previous release.
    pub regression_metrics: Vec<String>,
    /// The previous release's `metrics.json` (default: the one in the release
    /// directory being replaced, if any).
    pub previous_metrics: Option<PathBuf>,
}

impl Default for PerformanceBudget {
    fn default() -> Self {
        PerformanceBudget {
            enabled: true,
            max_artifact_bytes: None,
            max_total_bytes: None,
            max_build_seconds: None,
            max_peak_rss_bytes: None,
            max_cpu_seconds: None,
            regression_tolerance: 0.10,
            regression_metrics: vec!["release.artifact.size".into()],
            previous_metrics: None,
        }
    }
}

/// `deny` fails the gate; `warn` is reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the gate.
    #[default]
    Deny,
    /// Reported, does not fail the gate.
    Warn,
}

impl Severity {
    /// `deny` or `warn`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Deny => "deny",
            Severity::Warn => "warn",
        }
    }
}

/// `[[rule]]`: a user rule in CEL.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Rule {
    /// Stable id, `[a-z0-9-]+`, not a built-in id.
    pub id: String,
    /// `deny` (default) or `warn`.
    #[serde(default)]
    pub severity: Severity,
    /// What the rule is for (shown by `relgate explain`).
    pub description: Option<String>,
    /// A CEL list expression; `assert` then runs once per item with `it` bound.
    pub each: Option<String>,
    /// A CEL boolean expression that must hold.
    pub assert: String,
    /// A CEL string expression describing a failure.
    pub message: Option<String>,
}

/// `[[waiver]]`: an exception with a reason and an end date.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Waiver {
    /// The rule (user or built-in) it applies to.
    pub rule: String,
    /// A CEL boolean over `it` (the failing item); absent: every failure of the rule.
    #[serde(rename = "match")]
    pub matches: Option<String>,
    /// Why (mandatory, non-empty).
    pub reason: String,
    /// Last day the waiver applies, `YYYY-MM-DD` (UTC, inclusive).
    pub until: String,
    /// For `no-known-vulnerabilities`: why the product is not affected, as
    /// an OpenVEX justification label ([`VEX_JUSTIFICATIONS`]); exported
    /// to the VEX documents.
    #[serde(default)]
    pub justification: Option<String>,
}

/// OpenVEX v0.2.0's justification labels, which a vulnerability waiver's
/// `justification` may name.
pub const VEX_JUSTIFICATIONS: [&str; 5] = [
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// `[schemas]`: the project's own JSON Schemas, pinned in the lock.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Schemas {
    /// Workspace-relative paths of JSON Schema files.
    pub paths: Vec<String>,
    /// The lock file, workspace-relative.
    pub lock: String,
}

impl Default for Schemas {
    fn default() -> Self {
        Schemas {
            paths: Vec::new(),
            lock: "schemas.lock".into(),
        }
    }
}

/// `[report]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Report {
    /// A minijinja template replacing the built-in `templates/report.md.j2`.
    pub template: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    version: Option<u32>,
    #[serde(default)]
    release: Release,
    #[serde(default)]
    invariants: Invariants,
    #[serde(default, rename = "rule")]
    rules: Vec<Rule>,
    #[serde(default, rename = "waiver")]
    waivers: Vec<Waiver>,
    #[serde(default)]
    schemas: Schemas,
    #[serde(default)]
    report: Report,
    #[serde(default)]
    advisories: Advisories,
    #[serde(default)]
    sbom: SbomConfig,
}

/// Ids of the built-in invariants, in the order the gate reports them.
pub const BUILTIN_IDS: [&str; 12] = [
    "tests-passed",
    "semver-bump-sufficient",
    "schema-lock",
    "canonical-format",
    "license-allowlist",
    "no-git-or-path-deps",
    "no-known-vulnerabilities",
    "sbom-matches-binary",
    "sbom-profile",
    "performance-budget",
    "nonce-unique",
    "ticket-ttl",
];

/// The id reported when a waiver itself fails (it has expired).
pub const WAIVER_EXPIRED: &str = "waiver-expired";

impl Contract {
    /// Parses a `relgate.toml`.
    pub fn from_toml(text: &str, origin: &str) -> Result<Contract, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        Contract::from_file(file, text, origin)
    }

    /// The `[workspace.metadata.relgate]` (or `[package.metadata.relgate]`)
    /// table of a `Cargo.toml`, if it has one.
    pub fn from_cargo_toml(text: &str, origin: &str) -> Result<Option<Contract>, String> {
        let doc: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let table = ["workspace", "package"]
            .iter()
            .find_map(|section| doc.get(*section)?.get("metadata")?.get("relgate").cloned());
        let Some(mut table) = table else {
            return Ok(None);
        };
        // The same table names the workspace for the SBOM (`name`, a string
        // `version`, `supplier`): those keys are not the contract's.
        if let Some(t) = table.as_table_mut() {
            t.remove("name");
            t.remove("supplier");
            if t.get("version").is_some_and(|v| v.is_str()) {
                t.remove("version");
            }
            if t.is_empty() {
                return Ok(None);
            }
        }
        let canonical = toml::to_string(&table).map_err(|e| e.to_string())?;
        let file: File = table.try_into().map_err(|e: toml::de::Error| e.to_string())?;
        Contract::from_file(file, &canonical, origin).map(Some)
    }

    /// relgate's defaults: every built-in invariant with its default parameters.
    pub fn defaults() -> Contract {
        Contract {
            sha256: hex(&Sha256::digest(b"")),
            ..Contract::default()
        }
    }

    fn from_file(file: File, text: &str, origin: &str) -> Result<Contract, String> {
        if let Some(v) = file.version.filter(|v| *v != 1) {
            return Err(format!(
                "contract version {v} is not supported (this relgate reads version 1)"
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for rule in &file.rules {
            if !valid_id(&rule.id) {
                return Err(format!(
                    "rule id `{}` must be lowercase letters, digits and dashes",
                    rule.id
                ));
            }
            if BUILTIN_IDS.contains(&rule.id.as_str()) || rule.id == WAIVER_EXPIRED {
                return Err(format!(
                    "rule id `{}` is a built-in invariant; configure it under [invariants.{}] instead",
                    rule.id, rule.id
                ));
            }
            if !seen.insert(rule.id.clone()) {
                return Err(format!("rule id `{}` is defined twice", rule.id));
            }
        }
        for w in &file.waivers {
            if !seen.contains(&w.rule) && !BUILTIN_IDS.contains(&w.rule.as_str()) {
                return Err(format!("a waiver names rule `{}`, which is not defined", w.rule));
            }
            if w.reason.trim().is_empty() {
                return Err(format!("the waiver for `{}` has an empty reason", w.rule));
            }
            parse_day(&w.until).map_err(|e| format!("the waiver for `{}`: {e}", w.rule))?;
            if let Some(j) = &w.justification {
                if w.rule != "no-known-vulnerabilities" {
                    return Err(format!(
                        "the waiver for `{}` has a justification; only `no-known-vulnerabilities` waivers have one (it goes to the VEX documents)",
                        w.rule
                    ));
                }
                if !VEX_JUSTIFICATIONS.contains(&j.as_str()) {
                    return Err(format!(
                        "the waiver for `{}`: justification `{j}` is not an OpenVEX label (one of {})",
                        w.rule,
                        VEX_JUSTIFICATIONS.join(", ")
                    ));
                }
            }
        }
        crate::config::parse_duration(&file.release.rule_timeout)
            .map_err(|e| format!("[release] rule-timeout: {e}"))?;
        crate::config::parse_duration(&file.invariants.ticket_ttl.max_ticket_ttl)
            .map_err(|e| format!("[invariants.ticket-ttl] max-ticket-ttl: {e}"))?;
        let budget = &file.invariants.performance_budget;
        for (name, value) in [
            ("max-build-seconds", budget.max_build_seconds),
            ("max-cpu-seconds", budget.max_cpu_seconds),
            ("regression-tolerance", Some(budget.regression_tolerance)),
        ] {
            if let Some(v) = value.filter(|v| !v.is_finite() || *v < 0.0) {
                return Err(format!(
                    "[invariants.performance-budget] {name} = {v} must be a finite number, 0 or more"
                ));
            }
        }
        let tol = file.invariants.performance_budget.regression_tolerance;
        if !(0.0..=100.0).contains(&tol) {
            return Err(format!(
                "[invariants.performance-budget] regression-tolerance {tol} must be a fraction between 0 and 100"
            ));
        }
        let adv = &file.advisories;
        crate::config::parse_duration(&adv.max_db_age)
            .map_err(|e| format!("[advisories] max-db-age: {e}"))?;
        if !SEVERITIES.contains(&adv.severity_threshold.as_str()) {
            return Err(format!(
                "[advisories] severity-threshold `{}` is not one of {}",
                adv.severity_threshold,
                SEVERITIES.join(", ")
            ));
        }
        if let Some(k) = adv
            .deny_informational
            .iter()
            .find(|k| !INFORMATIONAL.contains(&k.as_str()))
        {
            return Err(format!(
                "[advisories] deny-informational `{k}` is not one of {}",
                INFORMATIONAL.join(", ")
            ));
        }
        if !["warn", "deny"].contains(&adv.yanked.as_str()) {
            return Err(format!(
                "[advisories] yanked `{}` is not warn or deny",
                adv.yanked
            ));
        }
        if let Some(v) = &file.sbom.spec_version {
            v.parse::<crate::config::CdxVersion>()
                .map_err(|e| format!("[sbom] spec-version: {e}"))?;
        }
        if let Some(t) = &file.sbom.download_url {
            let sample = file
                .sbom
                .download_url_of("1.2.3", "file.tar.gz")
                .unwrap_or_default();
            let ok = url::Url::parse(&sample)
                .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
            if !ok || !t.contains("{file}") {
                return Err(format!(
                    "[sbom] download-url `{t}` must be an http(s) URL naming the file with `{{file}}` (and the version with `{{version}}`)"
                ));
            }
        }
        if let Some(p) = &file.sbom.profile {
            let profile = p
                .parse::<crate::config::Profile>()
                .map_err(|e| format!("[sbom] profile: {e}"))?;
            if !profile.holds(crate::config::SbomFormat::CycloneDxJson, file.sbom.cdx_version()) {
                return Err(format!(
                    "[sbom] profile `{p}` needs CycloneDX 1.6 or later; spec-version is {}",
                    file.sbom.cdx_version().as_str()
                ));
            }
        }
        if adv.db.as_deref().is_some_and(|d| d.trim().is_empty()) {
            return Err("[advisories] db is empty".into());
        }
        if file.release.test_command.as_ref().is_some_and(|c| c.is_empty()) {
            return Err("[release] test-command is empty".into());
        }
        Ok(Contract {
            origin: Some(origin.to_owned()),
            sha256: hex(&Sha256::digest(text.as_bytes())),
            release: file.release,
            invariants: file.invariants,
            rules: file.rules,
            waivers: file.waivers,
            schemas: file.schemas,
            report: file.report,
            advisories: file.advisories,
            sbom: file.sbom,
        })
    }

    /// `max-ticket-ttl` in seconds.
    pub fn ticket_ttl_seconds(&self) -> i64 {
        crate::config::parse_duration(&self.invariants.ticket_ttl.max_ticket_ttl).unwrap_or(86_400)
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `YYYY-MM-DD` → the Unix time of the END of that day (UTC), inclusive.
pub fn parse_day(s: &str) -> Result<i64, String> {
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`until = \"{s}\"` is not a date like 2026-03-31"))?;
    let end = d
        .and_hms_opt(23, 59, 59)
        .ok_or_else(|| format!("`{s}` is out of range"))?;
    Ok(end.and_utc().timestamp())
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sbom_section_is_checked_whole() {
        let bad = "[sbom]\nspec-version = \"1.5\"\nprofile = \"bsi-tr-03183-2\"\n";
        let err = Contract::from_toml(bad, "relgate.toml").unwrap_err();
        assert!(err.contains("needs CycloneDX 1.6 or later"), "{err}");
        for bad in [
            "[sbom]\nspec-version = \"1.4\"\n",
            "[sbom]\nprofile = \"ntia\"\n",
            "[sbom]\ndownload-url = \"ftp://x/{file}\"\n",
            "[sbom]\ndownload-url = \"https://x/v{version}/\"\n",
        ] {
            assert!(Contract::from_toml(bad, "relgate.toml").is_err(), "{bad}");
        }
        let ok = "[sbom]\nprofile = \"bsi-tr-03183-2\"\ndownload-url = \"https://example.com/r/v{version}/{file}\"\n";
        let c = Contract::from_toml(ok, "relgate.toml").unwrap();
        assert_eq!(c.sbom.cdx_version(), crate::config::CdxVersion::V1_6);
        // A file name cannot change which file the URL names.
        assert_eq!(
            c.sbom.download_url_of("1.0.0+b", "min imal#1").unwrap(),
            "https://example.com/r/v1.0.0%2Bb/min%20imal%231"
        );
    }

    #[test]
    fn budget_numbers_must_be_finite() {
        for v in ["nan", "inf", "-inf", "-1.0"] {
            let text = format!("[invariants.performance-budget]\nmax-build-seconds = {v}\n");
            let err = Contract::from_toml(&text, "relgate.toml").unwrap_err();
            assert!(err.contains("finite number"), "{v}: {err}");
        }
        let text = "[invariants.performance-budget]\nregression-tolerance = nan\n";
        assert!(Contract::from_toml(text, "relgate.toml").is_err());
    }

    #[test]
    fn workspace_metadata_keeps_the_sbom_keys_apart() {
        let toml = "[workspace]\n[workspace.metadata.relgate]\nname = \"ws\"\nversion = \"1.2.3\"\nsupplier = \"Organization: Acme\"\n";
        assert_eq!(Contract::from_cargo_toml(toml, "Cargo.toml").unwrap(), None);
        let with_contract = format!("{toml}[workspace.metadata.relgate.release]\nrun-tests = false\n");
        let c = Contract::from_cargo_toml(&with_contract, "Cargo.toml")
            .unwrap()
            .unwrap();
        assert!(!c.release.run_tests);
        let unknown = format!("{toml}bogus = 1\n");
        assert!(Contract::from_cargo_toml(&unknown, "Cargo.toml").is_err());
    }

    #[test]
    fn defaults_turn_every_invariant_on() {
        let c = Contract::from_toml("", "relgate.toml").unwrap();
        assert!(c.invariants.tests_passed.enabled && c.invariants.schema_lock.enabled);
        assert!(c.release.run_tests);
        assert_eq!(c.ticket_ttl_seconds(), 86_400);
    }

    #[test]
    fn typos_and_bad_ids_are_errors() {
        for bad in [
            "[release]\nrun-test = true",
            "[invariants.no-such-thing]\nenabled = true",
            "[[rule]]\nid = \"Bad Id\"\nassert = \"true\"",
            "[[rule]]\nid = \"tests-passed\"\nassert = \"true\"",
            "[[rule]]\nid = \"a\"\nassert = \"true\"\n[[rule]]\nid = \"a\"\nassert = \"true\"",
            "[[waiver]]\nrule = \"nope\"\nreason = \"x\"\nuntil = \"2026-01-01\"",
            "[[waiver]]\nrule = \"no-known-vulnerabilities\"\nreason = \"x\"\nuntil = \"2026-01-01\"\njustification = \"not_a_label\"",
            "[[waiver]]\nrule = \"license-allowlist\"\nreason = \"x\"\nuntil = \"2026-01-01\"\njustification = \"component_not_present\"",
            "[[waiver]]\nrule = \"tests-passed\"\nreason = \" \"\nuntil = \"2026-01-01\"",
            "[[waiver]]\nrule = \"tests-passed\"\nreason = \"x\"\nuntil = \"soon\"",
            "[invariants.ticket-ttl]\nmax-ticket-ttl = \"a day\"",
            "version = 2",
        ] {
            assert!(Contract::from_toml(bad, "t").is_err(), "{bad}");
        }
    }

    #[test]
    fn cargo_metadata_table_is_read() {
        let toml = "[workspace]\nmembers = []\n[workspace.metadata.relgate.release]\nrun-tests = false\n";
        let c = Contract::from_cargo_toml(toml, "Cargo.toml").unwrap().unwrap();
        assert!(!c.release.run_tests);
        assert!(Contract::from_cargo_toml("[workspace]\n", "Cargo.toml")
            .unwrap()
            .is_none());
    }

    #[test]
    fn waiver_until_is_inclusive() {
        let end = parse_day("2026-03-31").unwrap();
        assert_eq!(end, 1_775_001_599);
    }
}
