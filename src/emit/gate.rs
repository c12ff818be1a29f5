//! `gate.json` (schema `schemas/gate.schema.json`, id `gate/v1`): the
//! verdict of every rule, the waivers, the schema-lock status, and the facts
//! the rules were evaluated on, so `relgate gate --dir` can re-evaluate them.

use serde::{Deserialize, Serialize};

use crate::config::contract::Contract;
use crate::gate::facts::{Facts, SchemaLockFact};
use crate::gate::{RuleVerdict, Verdict, WaiverStatus, SCHEMA};

/// The wire form of `gate.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateDoc {
    /// `gate/v1`.
    pub schema: String,
    /// Which release.
    pub release: ReleaseRef,
    /// Which contract.
    pub contract: ContractRef,
    /// `pass` or `fail`.
    pub result: String,
    /// Gate time.
    pub now: String,
    /// Every rule.
    pub rules: Vec<RuleVerdict>,
    /// Every waiver.
    pub waivers: Vec<WaiverStatus>,
    /// The schema lock check.
    pub schema_lock: SchemaLockFact,
    /// The facts.
    pub facts: Facts,
}

/// `release` in gate.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRef {
    /// Invocation id.
    pub id: String,
    /// Package.
    pub package: String,
    /// Version.
    pub version: String,
    /// Commit.
    pub commit: Option<String>,
    /// Dry run.
    pub dry_run: bool,
}

/// `contract` in gate.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractRef {
    /// Where it was read from.
    pub origin: Option<String>,
    /// sha256 of its text.
    pub sha256: String,
}

/// Builds the document.
pub fn doc(verdict: &Verdict, facts: &Facts, contract: &Contract) -> GateDoc {
    GateDoc {
        schema: SCHEMA.into(),
        release: ReleaseRef {
            id: facts.release.id.clone(),
            package: facts.release.package.clone(),
            version: facts.release.version.clone(),
            commit: facts.release.commit.clone(),
            dry_run: facts.release.dry_run,
        },
        contract: ContractRef {
            origin: contract.origin.clone(),
            sha256: contract.sha256.clone(),
        },
        result: verdict.result.clone(),
        now: verdict.now.clone(),
        rules: verdict.rules.clone(),
        waivers: verdict.waivers.clone(),
        schema_lock: facts.schema_lock.clone(),
        facts: facts.clone(),
    }
}

/// Pretty JSON with a trailing newline.
pub fn render(doc: &GateDoc) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(doc).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Reads a gate.json back.
pub fn parse(bytes: &[u8]) -> Result<GateDoc, String> {
    let doc: GateDoc = super::strict_json::from_slice(bytes)?;
    if doc.schema != SCHEMA {
        return Err(format!("schema `{}` is not {SCHEMA}", doc.schema));
    }
    Ok(doc)
}
