//! Reading the small inputs of `attest` and `verify`: keys, bundles, ledgers.
//!
//! Key errors never echo key material, and a private key file readable by
//! group or others produces a warning.

use std::path::{Path, PathBuf};

use super::Env;
use crate::error::{Error, Result};
use crate::provenance::keys::{PrivateKey, PublicKey};

/// The environment variable holding a PEM private key for CI.
pub const SIGNING_KEY_VAR: &str = "RELGATE_SIGNING_KEY";

/// Where a private key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A PEM file.
    File(PathBuf),
    /// The `RELGATE_SIGNING_KEY` environment variable (PEM text).
    Env,
}

/// Reads a file the user pointed at.
pub fn read(path: &Path, what: &'static str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::Input {
        what,
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Loads a private key; warnings are returned, not printed.
pub fn private_key(source: &KeySource, env: &dyn Env, warnings: &mut Vec<String>) -> Result<PrivateKey> {
    match source {
        KeySource::Env => {
            let text = env.var(SIGNING_KEY_VAR).ok_or(Error::NoSigningKey)?;
            PrivateKey::from_pem(&text).map_err(|reason| Error::Key {
                source: SIGNING_KEY_VAR.into(),
                reason,
            })
        }
        KeySource::File(path) => {
            let bytes = read(path, "private key")?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if let Ok(meta) = std::fs::metadata(path) {
                    if meta.permissions().mode() & 0o077 != 0 {
                        warnings.push(format!(
                            "private key {} is readable by group or others (mode {:o}); run `chmod 600` on it",
                            path.display(),
                            meta.permissions().mode() & 0o777
                        ));
                    }
                }
            }
            let text = String::from_utf8(bytes).map_err(|_| Error::Key {
                source: path.display().to_string(),
                reason: crate::provenance::keys::KeyError::NotPem {
                    expected: "PRIVATE KEY",
                },
            })?;
            PrivateKey::from_pem(&text).map_err(|reason| Error::Key {
                source: path.display().to_string(),
                reason,
            })
        }
    }
}

/// Loads a public key file.
pub fn public_key(path: &Path) -> Result<PublicKey> {
    let text = String::from_utf8(read(path, "public key")?).map_err(|_| Error::Key {
        source: path.display().to_string(),
        reason: crate::provenance::keys::KeyError::NotPem {
            expected: "PUBLIC KEY",
        },
    })?;
    PublicKey::from_pem(&text).map_err(|reason| Error::Key {
        source: path.display().to_string(),
        reason,
    })
}
