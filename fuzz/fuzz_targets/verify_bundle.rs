//! Fuzzes the whole untrusted-input path of `relgate verify`: bundle lines,
//! JSON, DSSE fields, base64, signatures, and — when the input happens to be
//! validly signed by the fixed key — the statement and every policy check.
//! Any panic is a bug; errors and failed verdicts are expected outcomes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use relgate::provenance::keys::PrivateKey;
use relgate::provenance::statement::Subject;
use relgate::provenance::verify::{verify, wants_sha512, Policy};

fuzz_target!(|data: &[u8]| {
    let key = PrivateKey::from_seed([1; 32]).public();
    let artifacts = [Subject {
        name: "a".into(),
        sha256: "0".repeat(64),
        sha512: None,
    }];
    let policy = Policy {
        threshold: 1,
        builder_ids: vec!["urn:b".into()],
        source_uri: Some("https://example.com/r".into()),
        max_age: Some(60),
        seen_invocations: Some(["x".to_owned()].into_iter().collect()),
        now: 1_700_000_000,
        summaries_as_history: false,
    };
    let _ = wants_sha512(data);
    let _ = verify(data, &[key], &artifacts, &policy);
    // Signed statements reach the statement checks: sign whatever the input is.
    let signed = relgate::provenance::dsse::Envelope::sign(
        relgate::provenance::dsse::IN_TOTO,
        data,
        &[&PrivateKey::from_seed([1; 32])],
    );
    let _ = verify(
        signed.to_json_line().as_bytes(),
        &[PrivateKey::from_seed([1; 32]).public()],
        &artifacts,
        &policy,
    );
});
