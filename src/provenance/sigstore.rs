//! The provenance as a Sigstore bundle (`provenance.sigstore.json`), the
//! format sigstore-js, cosign and GitHub's attestation tooling read.
//!
//! relgate writes bundle v0.3 (`application/vnd.dev.sigstore.bundle.v0.3+json`)
//! holding the same DSSE envelope as `provenance.intoto.jsonl`, with a
//! public-key hint (the signing key's keyid) as verification material: no
//! certificate, no transparency-log entry, no timestamp — offline by design,
//! so a verifier is given the public key and thresholds of zero. It reads
//! bundles in the v0.3 and v0.2 layouts (and v0.3's legacy media type), of
//! DSSE content only: the envelope inside is then verified like any other.

use serde::{Deserialize, Serialize};

use super::dsse::{Envelope, EnvelopeError};

/// The media type relgate writes.
pub const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Every media type relgate reads.
pub const READ: [&str; 3] = [
    BUNDLE_V03,
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
];

/// The bundle as relgate writes it (field order fixed: same envelope, same bytes).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Written<'a> {
    media_type: &'static str,
    verification_material: Material<'a>,
    dsse_envelope: &'a Envelope,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Material<'a> {
    public_key: Hint<'a>,
    tlog_entries: [(); 0],
    timestamp_verification_data: Timestamps,
}

#[derive(Serialize)]
struct Hint<'a> {
    hint: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Timestamps {
    rfc3161_timestamps: [(); 0],
}

/// `provenance.sigstore.json` for `envelope`, whose key is `keyid`.
pub fn bundle(envelope: &Envelope, keyid: &str) -> Vec<u8> {
    let written = Written {
        media_type: BUNDLE_V03,
        verification_material: Material {
            public_key: Hint { hint: keyid },
            tlog_entries: [],
            timestamp_verification_data: Timestamps {
                rfc3161_timestamps: [],
            },
        },
        dsse_envelope: envelope,
    };
    // Strings and an envelope that serializes: this cannot fail.
    let mut out = serde_json::to_vec_pretty(&written).unwrap_or_default();
    out.push(b'\n');
    out
}

/// The parts of a bundle relgate reads; the verification material is not
/// trusted (the verifier's pinned keys decide), only checked to be present.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Read {
    media_type: String,
    verification_material: serde_json::Value,
    dsse_envelope: Option<Envelope>,
    message_signature: Option<serde_json::Value>,
}

/// Whether `bytes` are a Sigstore bundle (one JSON object whose
/// `mediaType` is a Sigstore bundle's, wherever it stands), as opposed to
/// `.intoto.jsonl` lines.
pub fn looks_like_bundle(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().starts_with(b"{")
        && serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| {
            v.get("mediaType")
                .and_then(|m| m.as_str())
                .is_some_and(|m| m.starts_with("application/vnd.dev.sigstore.bundle"))
        })
}

/// The DSSE envelope inside a Sigstore bundle.
pub fn envelope(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
    let bad = |why: String| EnvelopeError::NotAnEnvelope(format!("Sigstore bundle: {why}"));
    let read: Read = crate::emit::strict_json::from_slice(bytes).map_err(bad)?;
    if !READ.contains(&read.media_type.as_str()) {
        return Err(bad(format!(
            "mediaType {:?} is not a bundle version relgate reads ({})",
            read.media_type,
            READ.join(", ")
        )));
    }
    if !read.verification_material.is_object() {
        return Err(bad("no verificationMaterial".into()));
    }
    match (read.dsse_envelope, read.message_signature) {
        (Some(e), None) => Ok(e),
        (None, Some(_)) => Err(bad(
            "it holds a message signature, not a DSSE envelope (an attestation is a DSSE envelope)".into(),
        )),
        _ => Err(bad(
            "it must hold exactly one of dsseEnvelope and messageSignature".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::dsse::IN_TOTO;
    use crate::provenance::keys::PrivateKey;

    #[test]
    fn a_bundle_holds_exactly_the_envelope_and_reads_back_in_every_layout() {
        let key = PrivateKey::from_seed([9; 32]);
        let env = Envelope::sign(IN_TOTO, b"{\"_type\":\"x\"}", &[&key]);
        let b = bundle(&env, key.keyid());
        assert!(looks_like_bundle(&b));
        assert!(!looks_like_bundle(env.to_json_line().as_bytes()));
        // The media type may come last, after a large envelope.
        let last = format!(
            "{{\"dsseEnvelope\": {}, \"verificationMaterial\": {{}}, \"pad\": \"{}\", \"mediaType\": \"{BUNDLE_V03}\"}}",
            env.to_json_line().trim_end(),
            "x".repeat(10_000)
        );
        assert!(looks_like_bundle(last.as_bytes()));
        assert_eq!(envelope(&b).unwrap(), env);
        let text = String::from_utf8(b).unwrap();
        for media in READ {
            let other = text.replace(BUNDLE_V03, media);
            assert_eq!(envelope(other.as_bytes()).unwrap(), env, "{media}");
        }
        for (from, to) in [
            (BUNDLE_V03, "application/vnd.dev.sigstore.bundle+json;version=0.1"),
            ("\"dsseEnvelope\"", "\"messageSignature\""),
            ("\"mediaType\"", "\"mediaType\": \"x\", \"mediaType\""),
        ] {
            assert!(
                envelope(text.replacen(from, to, 1).as_bytes()).is_err(),
                "{from} -> {to}"
            );
        }
    }
}
