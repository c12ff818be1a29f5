//! Package URLs for cargo packages (purl spec, type `cargo`).
//!
//! crates.io packages get the plain `pkg:cargo/NAME@VERSION`. Everything else
//! is qualified so it cannot be mistaken for a crates.io package:
//! other registries with `repository_url`, git packages with
//! `vcs_url=git+URL@COMMIT`, path packages with `download_url=file:PATH`
//! where PATH is relative to the workspace root (never absolute).

use crate::facts::{PackageId, RegistryIndex, Source};

/// The purl of a package.
pub fn of(id: &PackageId) -> String {
    let base = format!("pkg:cargo/{}@{}", encode(&id.name), encode(&id.version));
    match &id.source {
        Source::Registry {
            index: RegistryIndex::CratesIo,
        } => base,
        Source::Registry {
            index: RegistryIndex::Other(url),
        } => {
            format!("{base}?repository_url={}", encode(url))
        }
        Source::Git { url, commit, .. } => {
            format!("{base}?vcs_url={}", encode(&format!("git+{url}@{commit}")))
        }
        Source::Path { path } => format!("{base}?download_url={}", encode(&format!("file:{path}"))),
    }
}

/// A `pkg:generic` purl, for a workspace that is not itself a package.
pub fn generic(name: &str, version: &str) -> String {
    format!("pkg:generic/{}@{}", encode(name), encode(version))
}

/// Percent-encodes everything but unreserved characters, `:` and `/`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(source: Source) -> PackageId {
        PackageId {
            name: "foo-bar".into(),
            version: "1.0.0+meta".into(),
            source,
        }
    }

    #[test]
    fn purls() {
        assert_eq!(
            of(&id(Source::Registry {
                index: RegistryIndex::CratesIo
            })),
            "pkg:cargo/foo-bar@1.0.0%2Bmeta"
        );
        assert_eq!(
            of(&id(Source::Git {
                url: "https://g.com/a/b".into(),
                commit: "abc".into(),
                reference: None
            })),
            "pkg:cargo/foo-bar@1.0.0%2Bmeta?vcs_url=git%2Bhttps://g.com/a/b%40abc"
        );
        assert_eq!(
            of(&id(Source::Path {
                path: "../x y".into()
            })),
            "pkg:cargo/foo-bar@1.0.0%2Bmeta?download_url=file:../x%20y"
        );
    }
}
