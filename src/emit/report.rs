//! `report.md`: the reviewer's page, rendered with minijinja from
//! `templates/report.md.j2` (built in) or the contract's `[report] template`.
//!
//! The template sees one context object ([`Context`]): `release`, `passed`,
//! `failed` (ids), `counts`, `now`, `contract`, `rules`, `waivers`,
//! `compat`, `compat_note`, `schema_lock`, `sbom`, `metrics` (rows with
//! `label`, `value`, `budget`), `artifacts`, `verify_command`, `ledger`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::gate::facts::{ArtifactFact, CompatFact, ReleaseFact, SbomFact, SchemaLockFact};
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
