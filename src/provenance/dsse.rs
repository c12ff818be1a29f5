//! DSSE v1 envelopes: `{payload, payloadType, signatures[{keyid, sig}]}`.
//!
//! Signatures are pure Ed25519 over `PAE(payloadType, payload)`. Standard
//! base64 is written; standard and URL-safe, padded or not, are read.
//! [`Envelope::check_signatures`] verifies the payload bytes as decoded
//! from the envelope — callers parse those, never a re-serialization.

use std::collections::BTreeSet;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::keys::{PrivateKey, PublicKey};

/// The in-toto payload type.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";
/// The predicate-specific in-toto payload type (attestation spec v1.2).
pub const IN_TOTO_PROVENANCE: &str = "application/vnd.in-toto.provenance+json";

/// A DSSE envelope as it is on the wire. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// base64 of the serialized body.
    pub payload: String,
    /// Media type of the body.
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// One or more signatures over PAE.
    pub signatures: Vec<Signature>,
}

/// One signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Unauthenticated hint naming the key.
    #[serde(default)]
    pub keyid: String,
    /// base64 of the 64-byte Ed25519 signature.
    pub sig: String,
}

/// Why an envelope is unusable (as opposed to failing verification).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Not a JSON DSSE envelope.
    #[error("not a DSSE envelope: {0}")]
    NotAnEnvelope(String),
    /// A field is not base64.
    #[error("{field} is not base64")]
    Base64 {
        /// `payload` or `signatures[i].sig`.
        field: String,
    },
}

/// The signature check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureCheck {
    /// keyids of the distinct trusted keys with a valid signature, sorted.
    pub verified_keys: Vec<String>,
    /// Number of signatures in the envelope.
    pub signatures: usize,
}

/// `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Decodes standard or URL-safe base64, padded or not.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    [&STANDARD, &URL_SAFE, &STANDARD_NO_PAD, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(s).ok())
}

impl Envelope {
    /// An envelope of `payload` signed by every key in `keys`.
    pub fn sign(payload_type: &str, payload: &[u8], keys: &[&PrivateKey]) -> Envelope {
        let mut env = Envelope {
            payload: STANDARD.encode(payload),
            payload_type: payload_type.to_owned(),
            signatures: Vec::new(),
        };
        for k in keys {
            env.add_signature(payload, k);
        }
        env
    }

    /// Adds a signature by `key` over `payload` (which must be this envelope's payload).
    pub fn add_signature(&mut self, payload: &[u8], key: &PrivateKey) {
        let sig = key.sign(&pae(&self.payload_type, payload));
        self.signatures.push(Signature {
            keyid: key.keyid().to_owned(),
            sig: STANDARD.encode(sig),
        });
    }

    /// Parses one envelope from JSON.
    pub fn parse(json: &[u8]) -> Result<Envelope, EnvelopeError> {
        crate::emit::strict_json::from_slice(json).map_err(EnvelopeError::NotAnEnvelope)
    }

    /// One line of a `.intoto.jsonl` bundle.
    pub fn to_json_line(&self) -> String {
        let mut s = serde_json::to_string(self).expect("an envelope serializes");
        s.push('\n');
        s
    }

    /// The decoded payload (not yet verified).
    pub fn payload_bytes(&self) -> Result<Vec<u8>, EnvelopeError> {
        decode_base64(&self.payload).ok_or_else(|| EnvelopeError::Base64 {
            field: "payload".into(),
        })
    }

    /// Checks the signatures against trusted keys. keyid only selects which
    /// trusted key to try (DSSE's optional filter; an empty keyid tries them
    /// all): it never makes a signature count without verifying. Each trusted
    /// key counts once, however many signatures it made.
    pub fn check_signatures(
        &self,
        payload: &[u8],
        trusted: &[PublicKey],
    ) -> Result<SignatureCheck, EnvelopeError> {
        let message = pae(&self.payload_type, payload);
        let mut verified = BTreeSet::new();
        for (i, s) in self.signatures.iter().enumerate() {
            let sig = decode_base64(&s.sig).ok_or_else(|| EnvelopeError::Base64 {
                field: format!("signatures[{i}].sig"),
            })?;
            let mut candidates = trusted
                .iter()
                .filter(|k| s.keyid.is_empty() || k.keyid() == s.keyid);
            if let Some(k) = candidates.find(|k| k.verifies(&message, &sig)) {
                verified.insert(k.keyid().to_owned());
            }
        }
        Ok(SignatureCheck {
            verified_keys: verified.into_iter().collect(),
            signatures: self.signatures.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_vector() {
        // secure-systems-lab/dsse protocol.md, "Test Vectors".
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    fn rfc8032() -> PrivateKey {
        let seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
        let seed: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&seed[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        PrivateKey::from_seed(seed.try_into().unwrap())
    }

    #[test]
    fn known_answer_signature() {
        // Computed independently with pyca/cryptography over the PAE of the DSSE test vector.
        let env = Envelope::sign("http://example.com/HelloWorld", b"hello world", &[&rfc8032()]);
        assert_eq!(env.payload, "aGVsbG8gd29ybGQ=");
        assert_eq!(
            env.signatures[0].sig,
            "4DHX3Zn4qpBKvEj7maE8O9u9bjXEnPLLnyXVUJ2PXJR8DSLcL3QDpFvfJOj3pB/SPHsl6Jg4boxsMb6KvuYABw=="
        );
        assert_eq!(
            env.signatures[0].keyid,
            "74c181c7ad8a0855d4b55e44d2ba87aabdddb196832571f15f92fece332e4916"
        );
    }

    #[test]
    fn threshold_counts_unique_keys_and_keyid_only_selects() {
        let a = rfc8032();
        let b = PrivateKey::from_seed([9; 32]);
        let mut env = Envelope::sign(IN_TOTO, b"{}", &[&a, &a]);
        let body = env.payload_bytes().unwrap();
        let check = env.check_signatures(&body, &[a.public(), b.public()]).unwrap();
        assert_eq!(
            check.verified_keys,
            vec![a.keyid().to_owned()],
            "the same key twice counts once"
        );
        env.add_signature(&body, &b);
        let check = env.check_signatures(&body, &[a.public(), b.public()]).unwrap();
        assert_eq!(check.verified_keys.len(), 2);
        // A keyid naming no trusted key selects nothing; an empty one tries every key.
        env.signatures[2].keyid = "misleading".into();
        assert_eq!(
            env.check_signatures(&body, &[a.public(), b.public()])
                .unwrap()
                .verified_keys
                .len(),
            1
        );
        env.signatures[2].keyid = String::new();
        assert_eq!(
            env.check_signatures(&body, &[a.public(), b.public()])
                .unwrap()
                .verified_keys
                .len(),
            2
        );
        // A keyid naming key a on b's signature does not make it a's.
        env.signatures[2].keyid = a.keyid().to_owned();
        assert_eq!(
            env.check_signatures(&body, &[a.public(), b.public()])
                .unwrap()
                .verified_keys
                .len(),
            1
        );
        // URL-safe base64 is accepted too.
        env.signatures[0].sig = env.signatures[0].sig.replace('+', "-").replace('/', "_");
        assert_eq!(
            env.check_signatures(&body, &[a.public()])
                .unwrap()
                .verified_keys
                .len(),
            1
        );
        // A signature over other bytes verifies nothing.
        assert!(env
            .check_signatures(b"{ }", &[a.public(), b.public()])
            .unwrap()
            .verified_keys
            .is_empty());
    }
}
