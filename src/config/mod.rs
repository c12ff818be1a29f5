//! What the caller asks for, before anything is read from the world.
//!
//! [`Scope`] selects the part of a workspace a run describes (members,
//! target, features); [`SbomFormat`] picks the wire format. The CLI and the
//! xtask build these directly; nothing here does I/O.

use std::path::PathBuf;

/// Which part of a Cargo workspace a run describes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Path to a `Cargo.toml`; `None` means `./Cargo.toml` as cargo finds it.
    pub manifest_path: Option<PathBuf>,
    /// Workspace members to describe (`-p`); empty means every member.
    pub packages: Vec<String>,
    /// Target triple to resolve platform-specific dependencies for; `None` means the host.
    pub target: Option<String>,
    /// Feature selection, passed to cargo as given.
    pub features: Features,
}

/// Cargo feature flags, as on the cargo command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    /// `--features` values (comma or space separated lists are split).
    pub features: Vec<String>,
    /// `--all-features`.
    pub all_features: bool,
    /// `--no-default-features`.
    pub no_default_features: bool,
}

impl Features {
    /// The feature names, split on commas and whitespace, sorted and de-duplicated.
    pub fn normalized(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .features
            .iter()
            .flat_map(|f| f.split([',', ' ']))
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// SBOM wire formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SbomFormat {
    /// CycloneDX 1.5 JSON.
    #[default]
    CycloneDxJson,
    /// CycloneDX 1.5 XML.
    CycloneDxXml,
    /// SPDX 2.3 JSON.
    SpdxJson,
}

impl SbomFormat {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [SbomFormat; 3] = [
        SbomFormat::CycloneDxJson,
        SbomFormat::CycloneDxXml,
        SbomFormat::SpdxJson,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SbomFormat::CycloneDxJson => "cyclonedx-json",
            SbomFormat::CycloneDxXml => "cyclonedx-xml",
            SbomFormat::SpdxJson => "spdx-json",
        }
    }

    /// The conventional file name in a release directory.
    pub fn file_name(self) -> &'static str {
        match self {
            SbomFormat::CycloneDxJson => "sbom.cdx.json",
            SbomFormat::CycloneDxXml => "sbom.cdx.xml",
            SbomFormat::SpdxJson => "sbom.spdx.json",
        }
    }
}

impl std::str::FromStr for SbomFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SbomFormat::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = SbomFormat::ALL.iter().map(|f| f.name()).collect();
                format!("unknown format `{s}` (expected one of: {})", names.join(", "))
            })
    }
}
