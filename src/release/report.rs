//! The report stage's inputs: the view-model of `report.md`, the verify
//! commands it prints, and the gate marks on the trace.

use std::path::{Path, PathBuf};

use crate::config::contract::Contract;
use std::collections::BTreeMap;

use crate::emit::traces::{AttrValue, Stage};
use crate::gate::facts::*;

/// `path` as seen from `base` (both absolute): `a/b`, `../x/y`.
pub(super) fn relative_to(base: &Path, path: &Path) -> PathBuf {
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

pub(super) fn mark_gate(mut stages: Vec<Stage>, verdict: &crate::gate::Verdict) -> Vec<Stage> {
    if !verdict.passed() {
        if let Some(s) = stages.iter_mut().find(|s| s.name == "gate") {
            s.error = Some(format!("failed rules: {}", verdict.failed_rules().join(", ")));
            s.events = verdict
                .rules
                .iter()
                .filter(|r| r.status == crate::gate::RuleStatus::Fail)
                .map(|r| crate::emit::traces::Event {
                    name: "gate.rule.failed".into(),
                    time_unix_nanos: s.end_unix_nanos,
                    attributes: vec![
                        ("rule.id".into(), AttrValue::Str(r.id.clone())),
                        ("rule.failures".into(), AttrValue::Int(r.failures.len() as i64)),
                    ],
                })
                .collect();
        }
    }
    stages
}

/// The report's context from the facts and verdict.
pub fn report_context(
    facts: &Facts,
    verdict: &crate::gate::Verdict,
    contract: &Contract,
    compat_note: String,
    verify_command: String,
    ledger: crate::emit::report::LedgerRow,
) -> crate::emit::report::Context {
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
    crate::emit::report::Context {
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
