//! `report.md`: the reviewer's page, rendered with minijinja from
//! `templates/report.md.j2` (built in) or the contract's `[report] template`.
//!
//! The template sees one context object ([`Context`]): `release`, `passed`,
//! `failed` (ids), `counts`, `now`, `contract`, `rules`, `waivers`,
//! `compat`, `compat_note`, `schema_lock`, `sbom`, `metrics` (rows with
//! `label`, `value`, `budget`), `artifacts`, `verify_command`, `ledger`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::contract::Contract;
use crate::error::{Error, Result};
use crate::gate::facts::*;
use crate::gate::{RuleVerdict, WaiverStatus};

/// The built-in template.
pub const TEMPLATE: &str = include_str!("../../templates/report.md.j2");

/// Everything the template can use.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    /// The release.
    pub release: ReleaseFact,
    /// The gate passed.
    pub passed: bool,
    /// Failing rule ids.
    pub failed: Vec<String>,
    /// Rule count per status.
    pub counts: BTreeMap<String, usize>,
    /// Gate time.
    pub now: String,
    /// `{origin, sha256}`.
    pub contract: BTreeMap<String, Option<String>>,
    /// Every rule.
    pub rules: Vec<RuleVerdict>,
    /// One table row per rule: `id`, `severity`, `status`, `detail` (failures,
    /// waived failures and the note, `<br>`-separated, `|` escaped).
    pub rule_rows: Vec<RuleRow>,
    /// Every waiver.
    pub waivers: Vec<WaiverStatus>,
    /// Compat.
    pub compat: CompatFact,
    /// Why compat did not run.
    pub compat_note: String,
    /// Schema lock.
    pub schema_lock: SchemaLockFact,
    /// SBOM summary.
    pub sbom: SbomFact,
    /// Metric rows.
    pub metrics: Vec<MetricRow>,
    /// Artifacts with digests.
    pub artifacts: Vec<ArtifactFact>,
    /// The command to paste.
    pub verify_command: String,
    /// Ledger facts.
    pub ledger: LedgerRow,
    /// One row per part of a release merged from many runners (empty otherwise).
    pub parts: Vec<PartRow>,
    /// Whether an advisory database was read.
    pub advisories_checked: bool,
    /// Every matching advisory with the gate's decision.
    pub vulnerabilities: Vec<crate::emit::vex::Decided>,
    /// Yanked versions, as the local crates.io index cache knows them.
    pub yanked: crate::gate::facts::YankedFact,
}

/// A part of a release merged from many runners, as report.md shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PartRow {
    /// The part's id.
    pub id: String,
    /// `build` or `compat`.
    pub kind: String,
    /// The library members a compat part compared.
    pub compared: Vec<String>,
    /// Its target.
    pub target: String,
    /// The runner (name, else host triple).
    pub runner: String,
    /// `passed`, `failed`, `not-run`, … (the part's test status).
    pub tests: String,
    /// Counts, or why the tests were not run.
    pub tests_detail: String,
    /// Components in the part's CycloneDX SBOM.
    pub sbom_components: usize,
    /// The files it shipped, as named in the release directory.
    pub files: Vec<FileRow>,
}

/// A file and its digest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileRow {
    /// Its name in the release directory.
    pub name: String,
    /// Its sha256.
    pub sha256: String,
}

/// A rule as the gate table shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRow {
    /// Id.
    pub id: String,
    /// `deny` or `warn`.
    pub severity: String,
    /// Status.
    pub status: String,
    /// Cell text.
    pub detail: String,
}

impl RuleRow {
    /// The row of one verdict.
    pub fn of(r: &RuleVerdict) -> RuleRow {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut parts: Vec<String> = r.failures.iter().map(|f| cell(&f.message)).collect();
        parts.extend(r.waived.iter().map(|w| {
            format!(
                "waived until {}: {} — {}",
                w.until,
                cell(&w.message),
                cell(&w.reason)
            )
        }));
        parts.extend(r.note.iter().filter(|n| !n.is_empty()).map(|n| cell(n)));
        RuleRow {
            id: r.id.clone(),
            severity: r.severity.clone(),
            status: r.status.as_str().to_owned(),
            detail: parts.join("<br>"),
        }
    }
}

/// A metric as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct MetricRow {
    /// `release.artifact.size (artifact=relgate)`.
    pub label: String,
    /// Formatted value with unit.
    pub value: String,
    /// Formatted budget, if any.
    pub budget: Option<String>,
}

/// The ledger section.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerRow {
    /// Workspace-relative path.
    pub path: String,
    /// Head before this release.
    pub head: String,
    /// Entries before this release.
    pub entries: usize,
    /// This release's entry number.
    pub seq: usize,
}

/// Renders the report.
pub fn render(template: &str, ctx: &Context) -> Result<Vec<u8>> {
    let err = |e: minijinja::Error| Error::Emit {
        artifact: "report.md",
        reason: format!("{e:#}"),
    };
    let mut env = minijinja::Environment::new();
    env.add_template("report.md", template).map_err(err)?;
    let t = env.get_template("report.md").map_err(err)?;
    let mut out = t.render(minijinja::value::Serde(ctx)).map_err(err)?;
    // Collapse runs of blank lines the template's conditionals leave behind.
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out.into_bytes())
}

/// Checks that a user template compiles (at contract load, before any work).
pub fn check_template(template: &str) -> std::result::Result<(), String> {
    let mut env = minijinja::Environment::new();
    env.add_template("report.md", template)
        .map(|_| ())
        .map_err(|e| format!("{e:#}"))
}

// ── the view-model: facts and verdict → Context ──────────────────────

/// The report's context from the facts and verdict.
pub fn context(
    facts: &Facts,
    verdict: &crate::gate::Verdict,
    contract: &Contract,
    compat_note: String,
    verify_command: String,
    ledger: LedgerRow,
) -> Context {
    let mut counts = BTreeMap::new();
    for s in crate::gate::RuleStatus::ALL {
        counts.insert(
            s.as_str().to_owned(),
            verdict.rules.iter().filter(|r| r.status == s).count(),
        );
    }
    let b = &contract.invariants.performance_budget;
    let budget = |m: &MetricFact| -> Option<String> {
        match m.name.as_str() {
            "release.artifact.size" => b.max_artifact_bytes.map(|v| format!("≤ {v} By")),
            "release.build.duration" => b.max_build_seconds.map(|v| format!("≤ {v} s")),
            "relgate.peak_rss" => b.max_peak_rss_bytes.map(|v| format!("≤ {v} By")),
            "relgate.cpu.time" => b.max_cpu_seconds.map(|v| format!("≤ {v} s")),
            _ => None,
        }
    };
    let metrics = facts
        .metrics
        .iter()
        .map(|m| {
            let attrs: Vec<String> = m.attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let label = if attrs.is_empty() {
                m.name.clone()
            } else {
                format!("{} ({})", m.name, attrs.join(", "))
            };
            let value = if m.value.fract() == 0.0 {
                format!("{} {}", m.value as i64, m.unit)
            } else {
                format!("{:.3} {}", m.value, m.unit)
            };
            crate::emit::report::MetricRow {
                label,
                value,
                budget: budget(m),
            }
        })
        .collect();
    let mut contract_ref = BTreeMap::new();
    contract_ref.insert("origin".to_owned(), contract.origin.clone());
    contract_ref.insert("sha256".to_owned(), Some(contract.sha256.clone()));
    Context {
        release: facts.release.clone(),
        passed: verdict.passed(),
        failed: verdict.failed_rules().into_iter().map(str::to_owned).collect(),
        counts,
        now: verdict.now.clone(),
        contract: contract_ref,
        rules: verdict.rules.clone(),
        rule_rows: verdict
            .rules
            .iter()
            .map(crate::emit::report::RuleRow::of)
            .collect(),
        waivers: verdict.waivers.clone(),
        compat: facts.compat.clone(),
        compat_note,
        schema_lock: facts.schema_lock.clone(),
        sbom: facts.sbom.clone(),
        metrics,
        artifacts: facts.artifacts.clone(),
        verify_command,
        ledger,
        parts: Vec::new(),
        advisories_checked: facts.advisories.checked,
        vulnerabilities: crate::emit::vex::decisions(facts, verdict),
        yanked: facts.advisories.yanked.clone(),
    }
}

/// The commands report.md tells a verifier to paste, from the workspace
/// root: paths relative to it (the same text in every checkout with the
/// same layout, and found when pasted there), `key_hint` as `KEY=`.
pub fn verify_command(root: &Path, out: &Path, contract: &Contract, key_hint: &str) -> String {
    let out_rel = relative_to(root, out).display().to_string();
    format!(
        "# from the workspace root\nKEY={key_hint}\nrelgate gate --dir {out_rel} --key \"$KEY\"\n(cd {out_rel} && sha256sum -c checksums.txt && relgate verify --provenance provenance.intoto.jsonl --key \"$KEY\"{}{} $(cut -c67- checksums.txt))",
        contract
            .release
            .builder_id
            .as_deref()
            .map(|b| format!(" --builder-id {b}"))
            .unwrap_or_default(),
        contract
            .release
            .source_uri
            .as_deref()
            .map(|s| format!(" --source-uri {s}"))
            .unwrap_or_default(),
    )
}

/// `path` as seen from `base` (both absolute): `a/b`, `../x/y`.
fn relative_to(base: &Path, path: &Path) -> PathBuf {
    let b: Vec<_> = base.components().collect();
    let p: Vec<_> = path.components().collect();
    let common = b.iter().zip(&p).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}
