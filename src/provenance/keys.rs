//! Ed25519 keys in the formats OpenSSL and the Python in-toto reference read.
//!
//! - Private keys are written as PKCS#8 **v1** PEM (`BEGIN PRIVATE KEY`, 48
//!   bytes of DER, no embedded public key): OpenSSL 3.0 and pyca/cryptography
//!   reject the v2 form that `ed25519-dalek` writes by default. Both v1 and
//!   v2 are read.
//! - Public keys are RFC 8410 SPKI PEM (`BEGIN PUBLIC KEY`).
//! - The keyid is securesystemslib's default: the SHA-256 of the canonical
//!   JSON `{"keytype":"ed25519","keyval":{"public":"<hex>"},"scheme":"ed25519"}`.

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, KeypairBytes,
};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Why a key could not be used. Never contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not a PEM block of the expected kind.
    #[error("not a PEM {expected} (expected a `-----BEGIN {expected}-----` block)")]
    NotPem {
        /// `PRIVATE KEY` or `PUBLIC KEY`.
        expected: &'static str,
    },
    /// PEM, but not an Ed25519 key in a supported encoding.
    #[error("not an Ed25519 {kind} in a supported encoding ({reason})")]
    Unsupported {
        /// `private key` or `public key`.
        kind: &'static str,
        /// The decoder's reason.
        reason: String,
    },
}

/// A private signing key with its keyid.
pub struct PrivateKey {
    key: SigningKey,
    keyid: String,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("PrivateKey")
            .field("keyid", &self.keyid)
            .finish_non_exhaustive()
    }
}

/// A public verification key with its keyid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    keyid: String,
}

impl PrivateKey {
    /// A key from a 32-byte seed (e.g. fresh randomness for `keygen`).
    pub fn from_seed(seed: [u8; 32]) -> PrivateKey {
        let key = SigningKey::from_bytes(&seed);
        let keyid = keyid(&key.verifying_key());
        PrivateKey { key, keyid }
    }

    /// Parses a PKCS#8 (v1 or v2) PEM private key.
    pub fn from_pem(text: &str) -> Result<PrivateKey, KeyError> {
        if !text.contains("-----BEGIN PRIVATE KEY-----") {
            return Err(KeyError::NotPem {
                expected: "PRIVATE KEY",
            });
        }
        let key = SigningKey::from_pkcs8_pem(text.trim()).map_err(|e| KeyError::Unsupported {
            kind: "private key",
            reason: e.to_string(),
        })?;
        let keyid = keyid(&key.verifying_key());
        Ok(PrivateKey { key, keyid })
    }

    /// PKCS#8 v1 PEM (what OpenSSL and pyca/cryptography accept).
    pub fn to_pem(&self) -> String {
        let bytes = KeypairBytes {
            secret_key: self.key.to_bytes(),
            public_key: None,
        };
        bytes
            .to_pkcs8_pem(LineEnding::LF)
            .map(|z| z.as_str().to_owned())
            .expect("PKCS#8 encoding of a 32-byte seed cannot fail")
    }

    /// The securesystemslib keyid.
    pub fn keyid(&self) -> &str {
        &self.keyid
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            key: self.key.verifying_key(),
            keyid: self.keyid.clone(),
        }
    }

    /// Signs `message` (pure Ed25519).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl PublicKey {
    /// Parses an SPKI PEM public key.
    pub fn from_pem(text: &str) -> Result<PublicKey, KeyError> {
        if !text.contains("-----BEGIN PUBLIC KEY-----") {
            return Err(KeyError::NotPem {
                expected: "PUBLIC KEY",
            });
        }
        let key = VerifyingKey::from_public_key_pem(text.trim()).map_err(|e| KeyError::Unsupported {
            kind: "public key",
            reason: e.to_string(),
        })?;
        Ok(PublicKey {
            keyid: keyid(&key),
            key,
        })
    }

    /// SPKI PEM.
    pub fn to_pem(&self) -> String {
        self.key
            .to_public_key_pem(LineEnding::LF)
            .expect("SPKI encoding of an Ed25519 key cannot fail")
    }

    /// The securesystemslib keyid.
    pub fn keyid(&self) -> &str {
        &self.keyid
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.key.as_bytes()
    }

    /// Whether `signature` is a valid (strict) Ed25519 signature of `message` by this key.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(message, &sig).is_ok()
    }
}

/// securesystemslib's default keyid of an Ed25519 public key.
fn keyid(key: &VerifyingKey) -> String {
    let canonical = format!(
        r#"{{"keytype":"ed25519","keyval":{{"public":"{}"}},"scheme":"ed25519"}}"#,
        hex(key.as_bytes())
    );
    hex(&Sha256::digest(canonical.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 8032 section 7.1, test 1. The PEM forms, the keyid and the signatures were
    // computed independently with pyca/cryptography (not with this code).
    pub const RFC8032_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
-----END PRIVATE KEY-----
";
    pub const RFC8032_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
-----END PUBLIC KEY-----
";
    pub const RFC8032_KEYID: &str = "74c181c7ad8a0855d4b55e44d2ba87aabdddb196832571f15f92fece332e4916";

    #[test]
    fn known_answer_rfc8032_test1() {
        let seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
        let seed: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&seed[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let k = PrivateKey::from_seed(seed.try_into().unwrap());
        assert_eq!(
            hex(k.public().as_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            hex(&k.sign(b"")),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        assert_eq!(k.keyid(), RFC8032_KEYID);
        assert_eq!(
            k.to_pem(),
            RFC8032_PRIVATE_PEM,
            "PKCS#8 v1, byte for byte what OpenSSL/pyca write"
        );
        assert_eq!(k.public().to_pem(), RFC8032_PUBLIC_PEM);
        assert_eq!(
            PrivateKey::from_pem(RFC8032_PRIVATE_PEM).unwrap().keyid(),
            RFC8032_KEYID
        );
        assert_eq!(
            PublicKey::from_pem(RFC8032_PUBLIC_PEM).unwrap().keyid(),
            RFC8032_KEYID
        );
    }

    #[test]
    fn reads_pkcs8_v2() {
        let k = PrivateKey::from_seed([7; 32]);
        let v2 = k.key.to_pkcs8_pem(LineEnding::LF).unwrap();
        assert!(v2.len() > k.to_pem().len(), "v2 carries the public key");
        assert_eq!(PrivateKey::from_pem(&v2).unwrap().keyid(), k.keyid());
    }

    #[test]
    fn rejects_wrong_material_without_echoing_it() {
        let e = PrivateKey::from_pem("hello").unwrap_err();
        assert_eq!(
            e,
            KeyError::NotPem {
                expected: "PRIVATE KEY"
            }
        );
        let e = PublicKey::from_pem(RFC8032_PRIVATE_PEM).unwrap_err();
        assert!(!e.to_string().contains("MC4C"));
        let garbage = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            PrivateKey::from_pem(garbage),
            Err(KeyError::Unsupported { .. })
        ));
    }
}
