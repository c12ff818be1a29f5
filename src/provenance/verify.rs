//! Offline verification of a provenance bundle (`.intoto.jsonl`).
//!
//! Checks, in order, each reported by id ([`Check`]):
//! `envelope` (one or more DSSE envelopes), `payload-type`, `signature`
//! (Ed25519 over PAE, a threshold of distinct pinned keys; keyid only selects
//! the key to try), `statement` (the exact verified bytes parse; `_type` Statement
//! v1 or v0.1), `subjects` (every artifact's digest is a subject),
//! `predicate-type` (SLSA Provenance v1), `builder-id`, `source`,
//! `external-parameters` (no keys the build type does not define),
//! `max-age` (from `finishedOn`), `replay` (invocation id not in the ledger),
//! `verification-summary` (every SLSA verification summary in the bundle is
//! signed by the trusted keys, names that provenance by digest and exactly
//! its subjects, and the latest PASSED; skipped when there is none).
//!
//! Nothing signed is trusted before `signature` passes: when it fails, the
//! checks that read the statement are `skipped`, and the verdict fails.
//! Unusable input (not JSON, bad base64) is an error, not a verdict.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use sha2::Digest;

use super::dsse::{Envelope, EnvelopeError, IN_TOTO, IN_TOTO_PROVENANCE};
use super::keys::PublicKey;
use super::statement::{
    Subject, BUILD_TYPE, EXTERNAL_PARAMETERS, SLSA_PROVENANCE_V1, STATEMENT_V01, STATEMENT_V1,
};

/// What the verifier requires beyond a valid signature.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Distinct trusted keys that must have signed (at least 1).
    pub threshold: usize,
    /// Accepted builder ids; empty: not checked.
    pub builder_ids: Vec<String>,
    /// Required source repository URI.
    pub source_uri: Option<String>,
    /// Maximum age of `finishedOn`, seconds.
    pub max_age: Option<i64>,
    /// Invocation ids already used (from the ledger); `None`: not checked.
    pub seen_invocations: Option<BTreeSet<String>>,
    /// The current time (Unix seconds; the real clock, never SOURCE_DATE_EPOCH).
    pub now: i64,
    /// Verification summaries are history: a latest `FAILED` is reported,
    /// not failed (signature and binding are still required).
    pub summaries_as_history: bool,
}

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Satisfied.
    Pass,
    /// Violated.
    Fail,
    /// Not evaluated (not requested, or an earlier check failed).
    Skipped,
}

impl Status {
    /// `pass`, `fail`, `skipped`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skipped => "skipped",
        }
    }
}

/// One named check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Stable id.
    pub id: &'static str,
    /// Outcome.
    pub status: Status,
    /// What was found.
    pub detail: String,
}

/// The result of verifying a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// The verified statement bytes, when the signature verified.
    pub statement: Option<Vec<u8>>,
    /// How many envelopes the bundle held.
    pub envelopes: usize,
}

impl Verdict {
    /// `relgate verify --format json`'s document; `print_statement` adds the
    /// verified statement (only ever the signed bytes, and only when verified).
    pub fn summary(&self, print_statement: bool) -> serde_json::Value {
        let verified = self.verified();
        let statement = self
            .statement
            .as_ref()
            .filter(|_| verified && print_statement)
            .map(|b| serde_json::from_slice::<serde_json::Value>(b).unwrap_or(serde_json::Value::Null));
        serde_json::json!({
            "verified": verified,
            "envelopes": self.envelopes,
            "failed": self.failed(),
            "checks": self.checks.iter().map(|c| serde_json::json!({"id": c.id, "status": c.status.name(), "detail": c.detail})).collect::<Vec<_>>(),
            "statement": statement,
        })
    }

    /// True when no check failed and the signature passed.
    pub fn verified(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
            && self
                .checks
                .iter()
                .any(|c| c.id == "signature" && c.status == Status::Pass)
    }

    /// The ids of the failed checks.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.id)
            .collect()
    }
}

/// Verifies a bundle: one DSSE envelope per line (other lines are ignored),
/// or a Sigstore bundle (v0.3 or v0.2) holding one.
/// With several envelopes, the first that verifies wins; otherwise the
/// first envelope's verdict is returned.
pub fn verify(
    bundle: &[u8],
    keys: &[PublicKey],
    artifacts: &[Subject],
    policy: &Policy,
) -> Result<Verdict, EnvelopeError> {
    // A Sigstore bundle holds one DSSE envelope: verified like a one-line bundle.
    let converted;
    let bundle = if super::sigstore::looks_like_bundle(bundle) {
        converted = super::sigstore::envelope(bundle)?.to_json_line().into_bytes();
        &converted[..]
    } else {
        bundle
    };
    let mut envelopes = Vec::new();
    // The sha256 of each envelope's line (without its newline), which a
    // verification summary names its provenance by.
    let mut line_digests = Vec::new();
    let text = std::str::from_utf8(bundle)
        .map_err(|_| EnvelopeError::NotAnEnvelope("the bundle is not UTF-8 text".into()))?;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let value: Value = crate::emit::strict_json::from_slice(line.as_bytes())
            .map_err(|e| EnvelopeError::NotAnEnvelope(format!("a line is not JSON: {e}")))?;
        let looks_like_dsse = ["payload", "payloadType", "signatures"]
            .iter()
            .all(|k| value.get(k).is_some());
        if looks_like_dsse {
            line_digests.push(crate::analyze::sbom::hex(&sha2::Sha256::digest(line.as_bytes())));
            envelopes.push(
                serde_json::from_value::<Envelope>(value)
                    .map_err(|e| EnvelopeError::NotAnEnvelope(e.to_string()))?,
            );
        }
    }
    if envelopes.is_empty() {
        return Err(EnvelopeError::NotAnEnvelope(
            "no DSSE envelope (payload, payloadType, signatures) in the bundle".into(),
        ));
    }
    // Every envelope is read whole before any verdict: a malformed one is
    // bad input wherever it stands in the bundle.
    for env in &envelopes {
        let payload = env.payload_bytes()?;
        env.check_signatures(&payload, &[])?;
    }
    let count = envelopes.len();
    let mut first = None;
    for (i, env) in envelopes.iter().enumerate() {
        // A verification summary is not a provenance: it is checked below,
        // against the provenance that verifies.
        if is_summary(env) {
            continue;
        }
        let mut v = verify_envelope(env, keys, artifacts, policy)?;
        v.envelopes = count;
        if v.verified() {
            let summaries: Vec<&Envelope> = envelopes.iter().filter(|e| is_summary(e)).collect();
            let statement = v.statement.clone().unwrap_or_default();
            v.checks.push(summaries_check(
                &summaries,
                &statement,
                &line_digests[i],
                keys,
                policy,
            )?);
            return Ok(v);
        }
        first.get_or_insert(v);
    }
    let mut v = match first {
        Some(v) => v,
        None => {
            let mut v = verify_envelope(&envelopes[0], keys, artifacts, policy)?;
            v.envelopes = count;
            v
        }
    };
    v.checks.push(skipped(
        "verification-summary",
        "not evaluated: no provenance verified",
    ));
    Ok(v)
}

/// Whether an envelope carries a SLSA verification summary (by its
/// payload's predicateType, read before any signature check only to tell
/// the lines apart).
fn is_summary(env: &Envelope) -> bool {
    env.payload_bytes()
        .ok()
        .and_then(|p| super::vsa::predicate_type(&p))
        .is_some_and(|t| t == super::vsa::VSA_V1)
}

/// `verification-summary`: every verdict in the bundle is signed by the
/// trusted keys, names the provenance that verified (by its line's digest)
/// and exactly its subjects; the latest one PASSED. None: skipped.
fn summaries_check(
    summaries: &[&Envelope],
    provenance: &[u8],
    provenance_line: &str,
    keys: &[PublicKey],
    policy: &Policy,
) -> Result<Check, EnvelopeError> {
    const ID: &str = "verification-summary";
    if summaries.is_empty() {
        return Ok(skipped(ID, "no verification summary in the bundle"));
    }
    let subjects = |v: &Value| -> BTreeSet<(String, String)> {
        v["subject"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                (
                    s["name"].as_str().unwrap_or_default().to_owned(),
                    s["digest"]["sha256"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let provenance_subjects = serde_json::from_slice::<Value>(provenance)
        .map(|v| subjects(&v))
        .unwrap_or_default();
    let threshold = policy.threshold.max(1);
    let mut latest = None;
    for (n, env) in summaries.iter().enumerate() {
        let n = n + 1;
        let payload = env.payload_bytes()?;
        let sig = env.check_signatures(&payload, keys)?;
        if sig.verified_keys.len() < threshold || env.payload_type != IN_TOTO {
            return Ok(check(
                ID,
                false,
                format!(
                    "verification summary #{n} is not signed by the trusted key(s) (threshold {threshold}) as {IN_TOTO}"
                ),
            ));
        }
        let st = match super::vsa::parse(&payload) {
            Ok(st) => st,
            Err(e) => return Ok(check(ID, false, format!("verification summary #{n}: {e}"))),
        };
        let own: BTreeSet<(String, String)> = st
            .subject
            .iter()
            .map(|d| {
                (
                    d.name.clone().unwrap_or_default(),
                    d.digest.get("sha256").cloned().unwrap_or_default(),
                )
            })
            .collect();
        if own != provenance_subjects {
            return Ok(check(
                ID,
                false,
                format!("verification summary #{n} does not name exactly the provenance's subjects"),
            ));
        }
        let names_provenance = st.predicate.input_attestations.iter().any(|a| {
            a.uri.as_deref() == Some(super::vsa::PROVENANCE_URI)
                && a.digest.get("sha256").map(String::as_str) == Some(provenance_line)
        });
        if !names_provenance {
            return Ok(check(
                ID,
                false,
                format!("verification summary #{n} was not reached on this bundle's provenance (no input with its digest)"),
            ));
        }
        latest = Some(st.predicate);
    }
    let p = latest.expect("at least one summary");
    Ok(check(
        ID,
        p.verification_result == "PASSED" || policy.summaries_as_history,
        format!(
            "{} signed verdict(s) on this provenance; the latest: {} at {} by {} ({})",
            summaries.len(),
            p.verification_result,
            p.time_verified,
            p.verifier.id,
            p.verified_levels.join(", ")
        ),
    ))
}

fn check(id: &'static str, ok: bool, detail: impl Into<String>) -> Check {
    Check {
        id,
        status: if ok { Status::Pass } else { Status::Fail },
        detail: detail.into(),
    }
}

fn skipped(id: &'static str, detail: impl Into<String>) -> Check {
    Check {
        id,
        status: Status::Skipped,
        detail: detail.into(),
    }
}

const STATEMENT_CHECKS: [&str; 8] = [
    "statement",
    "subjects",
    "predicate-type",
    "builder-id",
    "source",
    "external-parameters",
    "max-age",
    "replay",
];

fn verify_envelope(
    env: &Envelope,
    keys: &[PublicKey],
    artifacts: &[Subject],
    policy: &Policy,
) -> Result<Verdict, EnvelopeError> {
    let payload = env.payload_bytes()?;
    let mut checks = vec![check(
        "envelope",
        true,
        format!("DSSE envelope with {} signature(s)", env.signatures.len()),
    )];
    let known_type = env.payload_type == IN_TOTO || env.payload_type == IN_TOTO_PROVENANCE;
    checks.push(check(
        "payload-type",
        known_type,
        format!("payloadType {:?}", env.payload_type),
    ));

    let threshold = policy.threshold.max(1);
    let sig = env.check_signatures(&payload, keys)?;
    let signed = sig.verified_keys.len() >= threshold;
    let short: Vec<String> = sig
        .verified_keys
        .iter()
        .map(|k| k.chars().take(12).collect::<String>())
        .collect();
    checks.push(check(
        "signature",
        signed,
        format!(
            "{} of {} trusted key(s) signed (threshold {threshold}){}",
            sig.verified_keys.len(),
            keys.len(),
            if short.is_empty() {
                String::new()
            } else {
                format!(": keyid {}", short.join(", "))
            }
        ),
    ));
    if !signed || !known_type {
        for id in STATEMENT_CHECKS {
            checks.push(skipped(id, "not evaluated: the envelope did not verify"));
        }
        return Ok(Verdict {
            checks,
            statement: None,
            envelopes: 1,
        });
    }

    // From here on, only the exact verified bytes are read; a key named
    // twice would let two readers see two statements.
    if let Err(e) = crate::emit::strict_json::check(&payload) {
        if e.contains("duplicate key") {
            return Err(EnvelopeError::NotAnEnvelope(format!("the signed statement: {e}")));
        }
    }
    let statement: Option<Value> = serde_json::from_slice::<Value>(&payload)
        .ok()
        .filter(Value::is_object);
    let Some(st) = statement else {
        checks.push(check(
            "statement",
            false,
            "the signed payload is not a JSON object",
        ));
        for id in &STATEMENT_CHECKS[1..] {
            checks.push(skipped(id, "not evaluated: no statement"));
        }
        return Ok(Verdict {
            checks,
            statement: Some(payload),
            envelopes: 1,
        });
    };
    let kind = st["_type"].as_str().unwrap_or_default();
    checks.push(check(
        "statement",
        kind == STATEMENT_V1 || kind == STATEMENT_V01,
        format!("_type {kind:?}"),
    ));
    checks.push(subjects_check(&st, artifacts));
    let ptype = st["predicateType"].as_str().unwrap_or_default();
    checks.push(check(
        "predicate-type",
        ptype == SLSA_PROVENANCE_V1,
        format!("predicateType {ptype:?}"),
    ));

    let predicate = &st["predicate"];
    let builder = predicate["runDetails"]["builder"]["id"]
        .as_str()
        .unwrap_or_default();
    checks.push(if policy.builder_ids.is_empty() {
        skipped(
            "builder-id",
            format!("builder {builder:?}; no --builder-id required"),
        )
    } else {
        check(
            "builder-id",
            policy.builder_ids.iter().any(|b| b == builder),
            format!("builder {builder:?}, required one of {:?}", policy.builder_ids),
        )
    });

    let build_type = predicate["buildDefinition"]["buildType"]
        .as_str()
        .unwrap_or_default();
    let params = &predicate["buildDefinition"]["externalParameters"];
    checks.push(match &policy.source_uri {
        None => skipped("source", "no --source-uri required"),
        Some(_) if build_type != BUILD_TYPE => check(
            "source",
            false,
            format!("buildType {build_type:?} is not relgate's; its source cannot be checked"),
        ),
        Some(want) => {
            let got = params["source"]["uri"].as_str().unwrap_or_default();
            let bare = crate::provenance::statement::bare_source_uri;
            check(
                "source",
                !got.is_empty() && bare(got) == bare(want),
                format!("source {got:?}, required {want:?}"),
            )
        }
    });
    checks.push(if build_type != BUILD_TYPE {
        skipped(
            "external-parameters",
            format!("buildType {build_type:?} is not relgate's"),
        )
    } else {
        let unknown: Vec<&String> = params
            .as_object()
            .map(|o| {
                o.keys()
                    .filter(|k| !EXTERNAL_PARAMETERS.contains(&k.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        check(
            "external-parameters",
            params.is_object() && unknown.is_empty(),
            if unknown.is_empty() {
                "only parameters the build type defines".to_owned()
            } else {
                format!("unknown parameters {unknown:?}")
            },
        )
    });

    let metadata = &predicate["runDetails"]["metadata"];
    checks.push(match policy.max_age {
        None => skipped("max-age", "no --max-age required"),
        Some(max) => match metadata["finishedOn"].as_str().and_then(parse_time) {
            None => check("max-age", false, "finishedOn is missing or not an RFC 3339 time"),
            Some(t) if t > policy.now + CLOCK_SKEW => check(
                "max-age",
                false,
                format!("finishedOn is {}s in the future", t - policy.now),
            ),
            Some(t) => {
                let age = policy.now - t;
                check(
                    "max-age",
                    age <= max,
                    format!("finished {age}s ago, maximum {max}s"),
                )
            }
        },
    });
    let invocation = metadata["invocationId"].as_str();
    checks.push(match (&policy.seen_invocations, invocation) {
        (None, _) => skipped("replay", "no --ledger given"),
        (Some(_), None) => check(
            "replay",
            false,
            "the statement has no invocationId to check against the ledger",
        ),
        (Some(seen), Some(id)) => check(
            "replay",
            !seen.contains(id),
            if seen.contains(id) {
                format!("invocation {id:?} is already in the ledger")
            } else {
                format!("invocation {id:?} is new")
            },
        ),
    });
    Ok(Verdict {
        checks,
        statement: Some(payload),
        envelopes: 1,
    })
}

/// Tolerated clock difference between builder and verifier, seconds.
const CLOCK_SKEW: i64 = 300;

fn parse_time(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp())
}

fn subjects_check(st: &Value, artifacts: &[Subject]) -> Check {
    let subjects = st["subject"].as_array().map(Vec::as_slice).unwrap_or_default();
    // (algorithm, digest) -> the subject's name.
    let digests: BTreeMap<(&str, &str), &str> = subjects
        .iter()
        .flat_map(|s| {
            let name = s["name"].as_str().unwrap_or("(unnamed)");
            s["digest"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(move |(alg, v)| v.as_str().map(|v| ((alg.as_str(), v), name)))
        })
        .collect();
    if artifacts.is_empty() {
        return check(
            "subjects",
            false,
            "no artifact given to check against the subjects",
        );
    }
    let mut missing = Vec::new();
    let mut matched = Vec::new();
    for a in artifacts {
        let by_256 = digests.get(&("sha256", a.sha256.as_str()));
        let by_512 = a.sha512.as_deref().and_then(|h| digests.get(&("sha512", h)));
        match by_256.or(by_512) {
            Some(subject) if *subject == a.name => matched.push(a.name.clone()),
            Some(subject) => matched.push(format!("{} as subject `{subject}`", a.name)),
            None => missing.push(a.name.as_str()),
        }
    }
    check(
        "subjects",
        missing.is_empty(),
        if missing.is_empty() {
            format!(
                "all {} artifact(s) match a subject digest ({} subjects): {}",
                artifacts.len(),
                subjects.len(),
                matched.join(", ")
            )
        } else {
            format!("no subject has the digest of: {}", missing.join(", "))
        },
    )
}

/// Invocation ids recorded in a ledger (JSON lines with an `invocation_id`
/// field). Revocation lines are not releases and are skipped; a revoked
/// release's id stays used.
pub fn ledger_invocations(text: &str) -> Result<BTreeSet<String>, String> {
    let mut ids = BTreeSet::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let v: Value = crate::emit::strict_json::from_slice(line.as_bytes())
            .map_err(|e| format!("line {}: {e}", n + 1))?;
        if !v.is_object() {
            return Err(format!("line {}: not a JSON object", n + 1));
        }
        if v["kind"] == "revocation" {
            continue;
        }
        match v["invocation_id"].as_str() {
            Some(id) => ids.insert(id.to_owned()),
            None => return Err(format!("line {}: no string `invocation_id`", n + 1)),
        };
    }
    Ok(ids)
}

/// Whether some subject in the (not yet verified) bundle has a SHA-512 but
/// no SHA-256 digest, so artifacts must be hashed with SHA-512 as well. Only
/// chooses which digests to compute; decides nothing.
pub fn wants_sha512(bundle: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bundle) else {
        return false;
    };
    text.lines()
        .filter_map(|l| serde_json::from_str::<Envelope>(l).ok())
        .filter_map(|e| e.payload_bytes().ok())
        .filter_map(|p| serde_json::from_slice::<Value>(&p).ok())
        .any(|st| {
            st["subject"].as_array().is_some_and(|subjects| {
                subjects
                    .iter()
                    .any(|s| s["digest"].get("sha256").is_none() && s["digest"].get("sha512").is_some())
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::dsse::{Envelope, IN_TOTO};
    use crate::provenance::keys::PrivateKey;

    fn policy() -> Policy {
        Policy {
            threshold: 1,
            builder_ids: Vec::new(),
            source_uri: None,
            max_age: None,
            seen_invocations: None,
            now: 0,
            summaries_as_history: false,
        }
    }

    fn signed(payload: &[u8], key: &PrivateKey) -> String {
        Envelope::sign(IN_TOTO, payload, &[key]).to_json_line()
    }

    #[test]
    fn duplicate_keys_and_a_bad_second_envelope_are_bad_input() {
        let key = PrivateKey::from_seed([7; 32]);
        let good = signed(
            br#"{"_type":"https://in-toto.io/Statement/v1","subject":[]}"#,
            &key,
        );
        let evil = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b"{}");
        let artifacts = [Subject {
            name: "a".into(),
            sha256: "00".repeat(32),
            sha512: None,
        }];
        let keys = [key.public()];
        // The first `payload` would be read by one parser, the last by another.
        let dup_payload = good.replacen(
            "{\"payload\":",
            &format!("{{\"payload\":\"{evil}\",\"payload\":"),
            1,
        );
        let dup_sigs = good.replacen("\"signatures\":", "\"signatures\":[],\"signatures\":", 1);
        for bundle in [dup_payload, dup_sigs] {
            let err = verify(bundle.as_bytes(), &keys, &artifacts, &policy()).unwrap_err();
            assert!(err.to_string().contains("duplicate key"), "{err}");
        }
        // A second envelope with a payload that is not base64, after a valid one.
        let broken = good.replacen("\"payload\":\"", "\"payload\":\"!!!", 1);
        let bundle = format!("{good}{broken}");
        assert!(verify(bundle.as_bytes(), &keys, &artifacts, &policy()).is_err());
        // A signed statement that names a key twice.
        let twice = signed(
            br#"{"_type":"x","_type":"https://in-toto.io/Statement/v1"}"#,
            &key,
        );
        let err = verify(twice.as_bytes(), &keys, &artifacts, &policy()).unwrap_err();
        assert!(err.to_string().contains("duplicate key"), "{err}");
    }

    #[test]
    fn ledger_lines_must_be_objects_with_an_invocation_id() {
        assert!(ledger_invocations("[1,2]\n").is_err());
        assert!(ledger_invocations("{\"kind\":\"release\"}\n").is_err());
        assert!(ledger_invocations("{\"invocation_id\":\"a\",\"invocation_id\":\"b\"}\n").is_err());
        assert_eq!(
            ledger_invocations("{\"invocation_id\":\"a\"}\n").unwrap().len(),
            1
        );
    }
}
