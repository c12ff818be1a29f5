//! `Cargo.lock`: the checksum of every registry package.
//!
//! `cargo metadata` does not report checksums; the lock file has them
//! (`checksum` per package in lock versions 2–4, a `[metadata]` table in v1).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

/// Checksums keyed by (name, version, source as cargo writes it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lockfile {
    /// `(name, version, source)` → lowercase hex SHA-256.
    pub checksums: BTreeMap<(String, String, String), String>,
}

impl Lockfile {
    /// The checksum recorded for a package.
    pub fn checksum(&self, name: &str, version: &str, source: &str) -> Option<&str> {
        self.checksums
            .get(&(name.to_owned(), version.to_owned(), source.to_owned()))
            .map(String::as_str)
    }
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    package: Vec<RawPackage>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
}

/// Reads and parses a lock file.
pub fn read(path: &Path) -> Result<Lockfile> {
    let bytes = super::inputs::read(path, "Cargo.lock")?;
    let text = String::from_utf8(bytes).map_err(|_| Error::BadLockfile {
        path: path.to_path_buf(),
        reason: "not UTF-8".into(),
    })?;
    parse(&text).map_err(|reason| Error::BadLockfile {
        path: path.to_path_buf(),
        reason,
    })
}

/// Parses lock file text.
pub fn parse(text: &str) -> std::result::Result<Lockfile, String> {
    let raw: Raw = toml::from_str(text).map_err(|e| e.message().to_owned())?;
    let mut checksums = BTreeMap::new();
    for p in raw.package {
        if let (Some(source), Some(sum)) = (p.source, p.checksum) {
            checksums.insert((p.name, p.version, source), sum.to_ascii_lowercase());
        }
    }
    // Lock v1: `"checksum NAME VERSION (SOURCE)" = "HEX"`.
    for (key, sum) in raw.metadata {
        let Some(rest) = key.strip_prefix("checksum ") else {
            continue;
        };
        let mut parts = rest.splitn(3, ' ');
        if let (Some(name), Some(version), Some(source)) = (parts.next(), parts.next(), parts.next()) {
            let source = source.trim_start_matches('(').trim_end_matches(')');
            if sum != "<none>" {
                checksums.insert(
                    (name.into(), version.into(), source.into()),
                    sum.to_ascii_lowercase(),
                );
            }
        }
    }
    Ok(Lockfile { checksums })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_v4_and_v1_checksums() {
        let v4 = r#"
version = 4
[[package]]
name = "itoa"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "ABCDEF"
[[package]]
name = "app"
version = "0.1.0"
"#;
        let l = parse(v4).unwrap();
        assert_eq!(
            l.checksum(
                "itoa",
                "1.0.0",
                "registry+https://github.com/rust-lang/crates.io-index"
            ),
            Some("abcdef")
        );
        assert_eq!(l.checksums.len(), 1);
        let v1 = r#"
[[package]]
name = "itoa"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
[metadata]
"checksum itoa 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)" = "0123"
"#;
        let l = parse(v1).unwrap();
        assert_eq!(
            l.checksum(
                "itoa",
                "1.0.0",
                "registry+https://github.com/rust-lang/crates.io-index"
            ),
            Some("0123")
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse("[[package]\nname=").is_err());
    }
}
