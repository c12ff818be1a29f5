//! The gate's verdict as a SLSA Verification Summary Attestation (VSA v1,
//! `https://slsa.dev/verification_summary/v1`) in an in-toto Statement v1,
//! signed in a DSSE envelope and appended to the release's
//! `provenance.intoto.jsonl`, so one bundle carries the provenance and the
//! verdicts reached on it: the release's own (at write time) and each
//! `relgate gate --dir --vsa-key` at publish time.
//!
//! What relgate writes, and reads back strictly:
//! - `subject`: every file the provenance names (the same names and digests);
//! - `verifier.id`: [`VERIFIER_ID`] (no `version`: the in-toto reference's
//!   bindings do not have it, and relgate's version is in the provenance);
//! - `timeVerified`: the gate's time; `resourceUri`: `pkg:cargo/NAME@VERSION`
//!   of the release package;
//! - `policy`: the contract (`uri` as the release read it, its sha256);
//! - `inputAttestations`: the provenance envelope line and the SBOMs,
//!   gate.json and the schema lock the verdict was reached on, each by digest;
//! - `verificationResult`: `PASSED` or `FAILED`; `verifiedLevels`:
//!   `SLSA_BUILD_LEVEL_1` (signed provenance exists; relgate does not claim
//!   what only a hosted build platform can) or `FAILED`; `slsaVersion` 1.0.

use serde::{Deserialize, Serialize};

use super::statement::{Subject, STATEMENT_V1};

/// `predicateType` of a VSA v1.
pub const VSA_V1: &str = "https://slsa.dev/verification_summary/v1";
/// The verifier id relgate signs as.
pub const VERIFIER_ID: &str = "urn:relgate:verifier:gate:v1";
/// The level a passing relgate gate vouches for.
pub const LEVEL: &str = "SLSA_BUILD_LEVEL_1";
/// `uri` of the provenance envelope among `inputAttestations`.
pub const PROVENANCE_URI: &str = "provenance.intoto.jsonl";

/// What one verdict says, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The verified files (the provenance's subjects).
    pub subjects: Vec<Subject>,
    /// `pkg:cargo/NAME@VERSION`.
    pub resource_uri: String,
    /// The contract: where it was read, its sha256.
    pub policy: (String, String),
    /// (uri, sha256) of every input: the provenance envelope line first.
    pub inputs: Vec<(String, String)>,
    /// The gate passed.
    pub passed: bool,
    /// RFC 3339.
    pub time: String,
}

/// The wire form (a Statement v1 with the VSA predicate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Statement v1.
    #[serde(rename = "_type")]
    pub kind: String,
    /// The verified files.
    pub subject: Vec<Descriptor>,
    /// [`VSA_V1`].
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The verdict.
    pub predicate: Predicate,
}

/// A resource descriptor (name or uri, and digests).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Descriptor {
    /// Subject name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Input or policy URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// `{"sha256": hex}`.
    pub digest: std::collections::BTreeMap<String, String>,
}

/// The VSA predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Predicate {
    /// Who verified.
    pub verifier: Verifier,
    /// When.
    pub time_verified: String,
    /// What.
    pub resource_uri: String,
    /// Against which policy.
    pub policy: Descriptor,
    /// On what.
    pub input_attestations: Vec<Descriptor>,
    /// `PASSED` or `FAILED`.
    pub verification_result: String,
    /// [`LEVEL`] or `FAILED`.
    pub verified_levels: Vec<String>,
    /// `1.0`.
    pub slsa_version: String,
}

/// `verifier`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verifier {
    /// [`VERIFIER_ID`].
    pub id: String,
}

fn sha256(hex: &str) -> std::collections::BTreeMap<String, String> {
    std::collections::BTreeMap::from([("sha256".to_owned(), hex.to_owned())])
}

/// The statement's JSON bytes: the DSSE payload.
pub fn payload(s: &Summary) -> Vec<u8> {
    let mut subjects: Vec<&Subject> = s.subjects.iter().collect();
    subjects.sort_by(|a, b| a.name.cmp(&b.name));
    let st = Statement {
        kind: STATEMENT_V1.into(),
        subject: subjects
            .into_iter()
            .map(|x| Descriptor {
                name: Some(x.name.clone()),
                uri: None,
                digest: sha256(&x.sha256),
            })
            .collect(),
        predicate_type: VSA_V1.into(),
        predicate: Predicate {
            verifier: Verifier {
                id: VERIFIER_ID.into(),
            },
            time_verified: s.time.clone(),
            resource_uri: s.resource_uri.clone(),
            policy: Descriptor {
                name: None,
                uri: Some(s.policy.0.clone()),
                digest: sha256(&s.policy.1),
            },
            input_attestations: s
                .inputs
                .iter()
                .map(|(uri, d)| Descriptor {
                    name: None,
                    uri: Some(uri.clone()),
                    digest: sha256(d),
                })
                .collect(),
            verification_result: if s.passed { "PASSED" } else { "FAILED" }.into(),
            verified_levels: vec![if s.passed { LEVEL } else { "FAILED" }.into()],
            slsa_version: "1.0".into(),
        },
    };
    // Plain structs of strings: serialization cannot fail.
    serde_json::to_vec(&st).unwrap_or_default()
}

/// Reads a signed VSA statement strictly (unknown fields, a wrong type or
/// result, or a duplicate key are refused).
pub fn parse(payload: &[u8]) -> Result<Statement, String> {
    crate::emit::strict_json::check(payload)?;
    let st: Statement = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    if st.kind != STATEMENT_V1 {
        return Err(format!("_type {:?}, not {STATEMENT_V1}", st.kind));
    }
    if st.predicate_type != VSA_V1 {
        return Err(format!("predicateType {:?}, not {VSA_V1}", st.predicate_type));
    }
    let p = &st.predicate;
    let levels_fit = match p.verification_result.as_str() {
        "PASSED" => !p.verified_levels.is_empty() && !p.verified_levels.iter().any(|l| l == "FAILED"),
        "FAILED" => p.verified_levels == ["FAILED"],
        other => return Err(format!("verificationResult {other:?}, not PASSED or FAILED")),
    };
    if !levels_fit {
        return Err(format!(
            "verifiedLevels {:?} do not fit verificationResult {}",
            p.verified_levels, p.verification_result
        ));
    }
    Ok(st)
}

/// The predicate type of a statement, if it is one (for telling the lines
/// of a bundle apart before their signatures are checked).
pub fn predicate_type(payload: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(payload)
        .ok()?
        .get("predicateType")?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(passed: bool) -> Summary {
        Summary {
            subjects: vec![Subject {
                name: "app".into(),
                sha256: "a".repeat(64),
                sha512: None,
            }],
            resource_uri: "pkg:cargo/app@1.0.0".into(),
            policy: ("relgate.toml".into(), "c".repeat(64)),
            inputs: vec![(PROVENANCE_URI.into(), "d".repeat(64))],
            passed,
            time: "2026-12-03T00:00:00Z".into(),
        }
    }

    #[test]
    fn a_verdict_round_trips_and_inconsistent_ones_are_refused() {
        for passed in [true, false] {
            let st = parse(&payload(&summary(passed))).unwrap();
            assert_eq!(st.predicate.verification_result == "PASSED", passed);
            assert_eq!(
                st.predicate.input_attestations[0].uri.as_deref(),
                Some(PROVENANCE_URI)
            );
        }
        let text = String::from_utf8(payload(&summary(true))).unwrap();
        for (from, to) in [
            ("\"PASSED\"", "\"MAYBE\""),
            ("[\"SLSA_BUILD_LEVEL_1\"]", "[\"FAILED\"]"),
            (VSA_V1, "https://slsa.dev/provenance/v1"),
            ("\"slsaVersion\"", "\"extra\":1,\"slsaVersion\""),
            ("\"resourceUri\"", "\"resourceUri\":\"x\",\"resourceUri\""),
        ] {
            assert!(text.contains(from), "{from}");
            assert!(
                parse(text.replacen(from, to, 1).as_bytes()).is_err(),
                "{from} -> {to}"
            );
        }
    }
}
