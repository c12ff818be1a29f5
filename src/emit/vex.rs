//! `vex.openvex.json`: relgate's decision on every advisory that matches a
//! package, as an OpenVEX v0.2.0 document (schema:
//! `https://github.com/openvex/spec`, validated in the conformance tests).
//!
//! The decision is the gate's: an advisory the contract waived is
//! `not_affected`, with the waiver's reason (and last day) as the impact
//! statement; one that fails `no-known-vulnerabilities` is `affected`, with
//! the fixed versions (or their absence) as the action statement; one the
//! contract only reports (below `severity-threshold`, an informational kind
//! it does not deny) is `affected` too, saying so. Pure: facts and verdict
//! in, bytes out; statements sorted by advisory id, then crate.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::gate::facts::{AdvisoryMatchFact, Facts};
use crate::gate::Verdict;

/// The OpenVEX context this module writes.
pub const CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

/// The invariant whose verdict decides.
const RULE: &str = "no-known-vulnerabilities";

/// What the gate decided about one match.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum Decision {
    /// It fails the gate.
    Denied,
    /// A waiver covers it.
    Waived {
        /// The waiver's reason.
        reason: String,
        /// Its last day.
        until: String,
        /// Its OpenVEX justification label, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        justification: Option<String>,
    },
    /// The contract reports it without denying.
    Reported,
}

/// One matching advisory and the gate's decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decided {
    /// The match.
    #[serde(flatten)]
    pub advisory: AdvisoryMatchFact,
    /// The decision.
    #[serde(flatten)]
    pub decision: Decision,
}

/// Every match with its decision, sorted by advisory id then crate.
pub fn decisions(facts: &Facts, verdict: &Verdict) -> Vec<Decided> {
    let rule = verdict.rules.iter().find(|r| r.id == RULE);
    let label = |m: &AdvisoryMatchFact| format!("{} {}@{}", m.id, m.package, m.version);
    facts
        .advisories
        .matches
        .iter()
        .map(|m| {
            let item = label(m);
            let decision = match rule {
                Some(r) if r.failures.iter().any(|f| f.item == item) => Decision::Denied,
                Some(r) => match r.waived.iter().find(|w| w.item == item) {
                    Some(w) => Decision::Waived {
                        reason: w.reason.clone(),
                        until: w.until.clone(),
                        justification: w.justification.clone(),
                    },
                    None => Decision::Reported,
                },
                None => Decision::Denied,
            };
            Decided {
                advisory: m.clone(),
                decision,
            }
        })
        .collect()
}

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@id")]
    id: String,
    author: String,
    role: &'static str,
    timestamp: &'a str,
    version: u32,
    tooling: String,
    statements: Vec<Statement>,
}

#[derive(Serialize)]
struct Statement {
    vulnerability: Vulnerability,
    products: Vec<Product>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    impact_statement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action_statement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_notes: Option<String>,
}

#[derive(Serialize)]
struct Vulnerability {
    #[serde(rename = "@id", skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    name: String,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
}

#[derive(Serialize)]
struct Product {
    #[serde(rename = "@id")]
    id: String,
    subcomponents: Vec<Subcomponent>,
}

#[derive(Serialize)]
struct Subcomponent {
    #[serde(rename = "@id")]
    id: String,
}

/// CycloneDX 1.5's `analysis.justification` for an OpenVEX label, by
/// meaning: not present → `code_not_present`, not in the execute path →
/// `code_not_reachable`, not controllable by an adversary →
/// `requires_environment`, inline mitigations → `protected_by_mitigating_control`.
pub fn cyclonedx_justification(openvex: &str) -> &'static str {
    match openvex {
        "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "vulnerable_code_cannot_be_controlled_by_adversary" => "requires_environment",
        "inline_mitigations_already_exist" => "protected_by_mitigating_control",
        // component_not_present, vulnerable_code_not_present
        _ => "code_not_present",
    }
}

/// `vex.openvex.json` for the release `facts` describe, or `None` when no
/// advisory matches (an OpenVEX document needs at least one statement).
pub fn openvex(facts: &Facts, verdict: &Verdict) -> Result<Option<Vec<u8>>> {
    let decided = decisions(facts, verdict);
    if decided.is_empty() {
        return Ok(None);
    }
    let r = &facts.release;
    let product = format!("pkg:cargo/{}@{}", r.package, r.version);
    let statements = decided
        .iter()
        .map(|d| {
            let m = &d.advisory;
            let fix = if m.patched.is_empty() {
                format!("no fixed version of {} exists: remove or replace it", m.package)
            } else {
                format!(
                    "upgrade {} from {} to a version matching {}",
                    m.package,
                    m.version,
                    m.patched.join(" or ")
                )
            };
            let (status, impact, action, notes) = match &d.decision {
                Decision::Waived { reason, until, .. } => (
                    "not_affected",
                    Some(format!("{reason} (waived in the release contract until {until})")),
                    None,
                    None,
                ),
                Decision::Denied => (
                    "affected",
                    None,
                    Some(fix),
                    Some("the release gate refused this".to_owned()),
                ),
                Decision::Reported => (
                    "affected",
                    None,
                    Some(fix),
                    Some(format!(
                        "reported, not denied: the release contract does not deny a {}{}",
                        m.kind,
                        m.severity
                            .as_deref()
                            .map(|s| format!(" of severity {s}"))
                            .unwrap_or_default()
                    )),
                ),
            };
            Statement {
                vulnerability: Vulnerability {
                    id: m.url.clone().filter(|u| u.starts_with("https://")),
                    name: m.id.clone(),
                    description: m.title.clone(),
                    aliases: m.aliases.clone(),
                },
                products: vec![Product {
                    id: product.clone(),
                    subcomponents: vec![Subcomponent {
                        id: format!("pkg:cargo/{}@{}", m.package, m.version),
                    }],
                }],
                status,
                justification: match &d.decision {
                    Decision::Waived { justification, .. } => justification.clone(),
                    _ => None,
                },
                impact_statement: impact,
                action_statement: action,
                status_notes: notes,
            }
        })
        .collect();
    let id_hash: String = Sha256::digest(r.id.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let doc = Document {
        context: CONTEXT,
        id: format!("urn:relgate:vex:{id_hash}"),
        author: format!("maintainers of {} (decisions recorded by relgate)", r.package),
        role: "Document Creator",
        timestamp: &facts.now,
        version: 1,
        tooling: format!("relgate {}", env!("CARGO_PKG_VERSION")),
        statements,
    };
    let mut out = serde_json::to_vec_pretty(&doc).map_err(|e| Error::Emit {
        artifact: "vex.openvex.json",
        reason: e.to_string(),
    })?;
    out.push(b'\n');
    Ok(Some(out))
}

/// `vex.cdx.json`: the same decisions as a CycloneDX VEX document (the SBOM's spec version). Each
/// vulnerability's `affects` names the release SBOM's component by BOM-Link
/// (`urn:cdx:<sbom serial>/<version>#<bom-ref>`), so the VEX refers to
/// `sbom.cdx.json` exactly; `None` when no advisory matches.
pub fn cyclonedx(facts: &Facts, verdict: &Verdict, sbom_cdx: &[u8]) -> Result<Option<Vec<u8>>> {
    let decided = decisions(facts, verdict);
    if decided.is_empty() {
        return Ok(None);
    }
    let bad = |reason: String| Error::Emit {
        artifact: "vex.cdx.json",
        reason,
    };
    let sbom: serde_json::Value = serde_json::from_slice(sbom_cdx).map_err(|e| bad(e.to_string()))?;
    let serial = sbom["serialNumber"]
        .as_str()
        .and_then(|s| s.strip_prefix("urn:uuid:"))
        .ok_or_else(|| bad("the SBOM has no urn:uuid serial number".into()))?;
    let sbom_version = sbom["version"].as_u64().unwrap_or(1);
    let bom_ref = |name: &str, version: &str| -> Option<String> {
        sbom["components"].as_array()?.iter().find_map(|c| {
            (c["name"] == name && c["version"] == version)
                .then(|| c["bom-ref"].as_str().map(str::to_owned))
                .flatten()
        })
    };
    let mut vulnerabilities = Vec::new();
    for (i, d) in decided.iter().enumerate() {
        let m = &d.advisory;
        let component = bom_ref(&m.package, &m.version).ok_or_else(|| {
            bad(format!(
                "{}@{} is not a component of sbom.cdx.json",
                m.package, m.version
            ))
        })?;
        let fix = if m.patched.is_empty() {
            format!("no fixed version of {} exists", m.package)
        } else {
            format!("fixed in {} {}", m.package, m.patched.join(" or "))
        };
        let (state, detail, response) = match &d.decision {
            Decision::Waived { reason, until, .. } => (
                "not_affected",
                format!("{reason} (waived in the release contract until {until})"),
                None,
            ),
            Decision::Denied => (
                "exploitable",
                format!("the release gate refused this; {fix}"),
                Some(&m.patched),
            ),
            Decision::Reported => (
                "exploitable",
                format!("reported, not denied by the release contract ({}); {fix}", m.kind),
                Some(&m.patched),
            ),
        };
        let mut analysis = serde_json::json!({ "state": state, "detail": detail });
        if let Decision::Waived {
            justification: Some(j),
            ..
        } = &d.decision
        {
            analysis["justification"] = serde_json::json!(cyclonedx_justification(j));
        }
        if let Some(patched) = response {
            analysis["response"] = serde_json::json!([if patched.is_empty() {
                "will_not_fix"
            } else {
                "update"
            }]);
        }
        let mut v = serde_json::json!({
            "bom-ref": format!("vex-{}-{i}", m.id),
            "id": m.id,
            "source": { "name": "RustSec", "url": "https://rustsec.org" },
            "description": m.title,
            "published": format!("{}T00:00:00Z", m.date),
            "affects": [ { "ref": format!("urn:cdx:{serial}/{sbom_version}#{component}") } ],
            "analysis": analysis,
        });
        if let Some(score) = m.score {
            v["ratings"] = serde_json::json!([{ "score": score, "severity": m.severity.as_deref().unwrap_or("unknown") }]);
        }
        if let Some(url) = &m.url {
            v["advisories"] = serde_json::json!([{ "url": url }]);
        }
        if !m.aliases.is_empty() {
            v["references"] = serde_json::Value::Array(
                m.aliases
                    .iter()
                    .map(|a| serde_json::json!({ "id": a, "source": { "name": if a.starts_with("CVE-") { "NVD" } else { "GitHub" } } }))
                    .collect(),
            );
        }
        vulnerabilities.push(v);
    }
    // The SBOM's spec version: the root component is copied from it.
    let spec_version = sbom["specVersion"]
        .as_str()
        .ok_or_else(|| bad("the SBOM has no specVersion".into()))?;
    let doc = serde_json::json!({
        "bomFormat": "CycloneDX",
        "specVersion": spec_version,
        "serialNumber": format!("urn:uuid:{}", derived_uuid(&format!("{serial}/vex"))),
        "version": 1,
        "metadata": {
            "timestamp": facts.now,
            "tools": { "components": [ { "type": "application", "name": "relgate", "version": env!("CARGO_PKG_VERSION") } ] },
            "component": sbom["metadata"]["component"],
        },
        "vulnerabilities": vulnerabilities,
    });
    let mut out = serde_json::to_vec_pretty(&doc).map_err(|e| bad(e.to_string()))?;
    out.push(b'\n');
    Ok(Some(out))
}

/// A name-based UUID (version 5 layout, SHA-256 truncated) for `name`.
fn derived_uuid(name: &str) -> String {
    let h = Sha256::digest(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x: String = b.iter().map(|v| format!("{v:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )
}
