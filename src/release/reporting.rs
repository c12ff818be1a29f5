//! The report stage: `report.md` from the facts and the verdict, with the
//! commands a verifier pastes (paths relative to the workspace root, the
//! key `[release] public-key` names) and the ledger row; and
//! `traces.ndjson`, the whole run as one trace.

use super::staged::Staged;
use super::ReleasePlan;
use crate::emit::report::{self, LedgerRow};
use crate::emit::traces::{Run, RunResult, Stage as Span};
use crate::error::Result;
use crate::gate::facts::Facts;
use crate::gate::Verdict;
use crate::write::Content;

/// `report.md`'s bytes.
pub(super) fn report_md(
    plan: &ReleasePlan,
    facts: &Facts,
    verdict: &Verdict,
    compat_note: String,
    parts: Vec<report::PartRow>,
) -> Result<Vec<u8>> {
    let ledger_rel = plan
        .ledger_path
        .strip_prefix(&plan.root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| plan.ledger_path.display().to_string());
    let verify_command = report::verify_command(&plan.root, &plan.out, &plan.contract, &plan.public_key);
    let mut ctx = report::context(
        facts,
        verdict,
        &plan.contract,
        compat_note,
        verify_command,
        LedgerRow {
            path: ledger_rel,
            head: plan.ledger.head.clone(),
            entries: plan.ledger.entries.len(),
            seq: plan.ledger.entries.len() + 1,
        },
    );
    ctx.parts = parts;
    report::render(&plan.template, &ctx)
}

/// `traces.ndjson`: the run and its stage spans (`start_end` in Unix
/// nanoseconds, a documented timing field).
pub(super) fn trace(
    plan: &ReleasePlan,
    commit: Option<String>,
    version: &str,
    stages: Vec<Span>,
    passed: bool,
    start_end: (u128, u128),
) -> Vec<u8> {
    crate::emit::traces::render(&Run {
        invocation_id: plan.invocation_id.clone(),
        pipeline: "release".into(),
        service_version: env!("CARGO_PKG_VERSION").into(),
        commit,
        version: version.to_owned(),
        result: if passed {
            RunResult::Success
        } else {
            RunResult::Failure
        },
        stages,
        start_unix_nanos: start_end.0,
        end_unix_nanos: start_end.1,
    })
}

/// relgate's decision on every matching advisory, as OpenVEX and as
/// CycloneDX VEX naming `sbom.cdx.json`'s components (none without an
/// advisory database or a match), added to the release's files.
pub(super) fn vex(facts: &Facts, verdict: &Verdict, files: &mut Vec<Staged>) -> Result<()> {
    if let Some(vex) = crate::emit::vex::openvex(facts, verdict)? {
        files.push(Staged::new("vex.openvex.json", Content::Bytes(vex), false)?);
    }
    let sbom_cdx = files
        .iter()
        .find_map(|f| match (&f.entry.name[..], &f.entry.content) {
            ("sbom.cdx.json", Content::Bytes(b)) => Some(b.clone()),
            _ => None,
        });
    if let Some(vex) = sbom_cdx
        .map(|cdx| crate::emit::vex::cyclonedx(facts, verdict, &cdx))
        .transpose()?
        .flatten()
    {
        files.push(Staged::new("vex.cdx.json", Content::Bytes(vex), false)?);
    }
    Ok(())
}
