//! Reading the inputs a user points at: keys, bundles, ledgers, rustdoc
//! baselines — regular files only, each with a size limit.
//!
//! Key errors never echo key material, and a private key file readable by
//! group or others produces a warning.

use std::path::Path;

use super::Env;
use crate::error::{Error, Result};
use crate::provenance::keys::{PrivateKey, PublicKey};

/// The environment variable holding a PEM private key for CI.
pub const SIGNING_KEY_VAR: &str = "RELGATE_SIGNING_KEY";

pub use crate::config::KeySource;

/// The most relgate reads of one document the user points at (a key, a
/// bundle, a ledger, a checksum file, gate.json...).
pub const MAX_DOCUMENT: u64 = 64 << 20;

/// The most relgate reads of a rustdoc JSON baseline (`rustdoc:FILE`).
pub const MAX_RUSTDOC: u64 = 1 << 30;

/// Reads a document the user pointed at: a regular file (never a device,
/// FIFO or directory, which could block or never end) of at most
/// [`MAX_DOCUMENT`] bytes.
pub fn read(path: &Path, what: &'static str) -> Result<Vec<u8>> {
    read_limited(path, what, MAX_DOCUMENT)
}

/// [`read`] with another size limit.
pub fn read_limited(path: &Path, what: &'static str, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let err = |reason: String| Error::Input {
        what,
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
    if !meta.is_file() {
        return Err(err(NOT_REGULAR.into()));
    }
    let too_big = || {
        err(format!(
            "larger than the {} MiB relgate reads for a {what}",
            limit >> 20
        ))
    };
    if meta.len() > limit {
        return Err(too_big());
    }
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| err(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(bytes)
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

/// Loads public key files, in order.
pub fn public_keys(paths: &[std::path::PathBuf]) -> Result<Vec<PublicKey>> {
    paths.iter().map(|p| public_key(p)).collect()
}

/// Why a special file is refused as an input: it could block or never end.
pub const NOT_REGULAR: &str =
    "not a regular file (a directory, device, FIFO or socket would block or never end)";

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
