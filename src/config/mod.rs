//! What the caller asks for, before anything is read from the world.
//!
//! [`Scope`] selects the part of a workspace a run describes (members,
//! target, features); [`SbomFormat`] picks the wire format; [`contract`]
//! parses the release contract (`relgate.toml`) from text the caller read.
//! The CLI and the xtask build these directly; nothing here does I/O.

pub mod contract;

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
    /// The flags that select these features on a cargo command line.
    pub fn cargo_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        let features = self.normalized();
        if !features.is_empty() {
            args.push(format!("--features={}", features.join(",")));
        }
        if self.all_features {
            args.push("--all-features".into());
        }
        if self.no_default_features {
            args.push("--no-default-features".into());
        }
        args
    }

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
    /// CycloneDX JSON (1.6 unless another spec version is asked for).
    #[default]
    CycloneDxJson,
    /// CycloneDX XML.
    CycloneDxXml,
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// SPDX 3.0.1 JSON-LD.
    Spdx3Json,
}

impl SbomFormat {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [SbomFormat; 4] = [
        SbomFormat::CycloneDxJson,
        SbomFormat::CycloneDxXml,
        SbomFormat::SpdxJson,
        SbomFormat::Spdx3Json,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SbomFormat::CycloneDxJson => "cyclonedx-json",
            SbomFormat::CycloneDxXml => "cyclonedx-xml",
            SbomFormat::SpdxJson => "spdx-json",
            SbomFormat::Spdx3Json => "spdx3-json",
        }
    }

    /// A CycloneDX format (the ones `--spec-version` applies to).
    pub fn is_cyclonedx(self) -> bool {
        matches!(self, SbomFormat::CycloneDxJson | SbomFormat::CycloneDxXml)
    }

    /// The conventional file name in a release directory.
    pub fn file_name(self) -> &'static str {
        match self {
            SbomFormat::CycloneDxJson => "sbom.cdx.json",
            SbomFormat::CycloneDxXml => "sbom.cdx.xml",
            SbomFormat::SpdxJson => "sbom.spdx.json",
            SbomFormat::Spdx3Json => "sbom.spdx3.json",
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

/// A spec version relgate writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum CdxVersion {
    /// CycloneDX 1.5.
    V1_5,
    /// CycloneDX 1.6 (the default: the first the BSI TR-03183-2 v2.1 accepts).
    #[default]
    V1_6,
    /// CycloneDX 1.7.
    V1_7,
}

impl CdxVersion {
    /// Every version, oldest first.
    pub const ALL: [CdxVersion; 3] = [CdxVersion::V1_5, CdxVersion::V1_6, CdxVersion::V1_7];

    /// `1.5`, `1.6` or `1.7`.
    pub fn as_str(self) -> &'static str {
        match self {
            CdxVersion::V1_5 => "1.5",
            CdxVersion::V1_6 => "1.6",
            CdxVersion::V1_7 => "1.7",
        }
    }

    /// Whether this version has the 1.6 fields (`manufacturer`, `authors`,
    /// `omniborId`, `swhid`, license `acknowledgement`).
    pub fn has_1_6(self) -> bool {
        self >= CdxVersion::V1_6
    }
}

impl std::str::FromStr for CdxVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CdxVersion::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown CycloneDX spec version `{s}` (expected 1.5, 1.6 or 1.7)"))
    }
}

/// An SBOM profile: a set of fields a regulator requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// BSI TR-03183-2 v2.1.0 (2025-08-20), the EU Cyber Resilience Act's SBOM baseline.
    BsiTr03183_2,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 1] = [Profile::BsiTr03183_2];

    /// The name on the command line and in the contract.
    pub fn name(self) -> &'static str {
        match self {
            Profile::BsiTr03183_2 => "bsi-tr-03183-2",
        }
    }

    /// Whether a document in `format` (CycloneDX at `cdx`) can hold the
    /// profile's fields: TR-03183-2 v2.1 accepts CycloneDX 1.6 or later and
    /// SPDX 3.0.1, not SPDX 2.
    pub fn holds(self, format: SbomFormat, cdx: CdxVersion) -> bool {
        match format {
            SbomFormat::CycloneDxJson | SbomFormat::CycloneDxXml => cdx.has_1_6(),
            SbomFormat::Spdx3Json => true,
            SbomFormat::SpdxJson => false,
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown SBOM profile `{s}` (expected bsi-tr-03183-2)"))
    }
}

/// What `relgate attest` is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestOptions {
    /// Signing keys (several for threshold use); empty means `RELGATE_SIGNING_KEY`.
    pub keys: Vec<KeySource>,
    /// Files and directories to attest.
    pub artifacts: Vec<PathBuf>,
    /// A `sha256sum` file whose entries (re-checked) become subjects too.
    pub checksums: Option<PathBuf>,
    /// Add SHA-512 digests.
    pub sha512: bool,
    /// `runDetails.builder.id`.
    pub builder_id: Option<String>,
    /// `metadata.invocationId`; random 128-bit UUID when `None`.
    pub invocation_id: Option<String>,
    /// Source repository URI; the git remote `origin` when `None`.
    pub source_uri: Option<String>,
    /// The workspace the artifacts were built from.
    pub manifest_path: Option<PathBuf>,
    /// Cargo profile the artifacts were built with.
    pub profile: String,
    /// Features the artifacts were built with.
    pub features: Vec<String>,
    /// Target triple; the host when `None`.
    pub target: Option<String>,
}

/// What `relgate verify` is asked to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The `.intoto.jsonl` bundle.
    pub provenance: PathBuf,
    /// Pinned public keys.
    pub keys: Vec<PathBuf>,
    /// Distinct keys required.
    pub threshold: usize,
    /// Accepted builder ids (empty: not checked).
    pub builder_ids: Vec<String>,
    /// Required source repository URI.
    pub source_uri: Option<String>,
    /// Maximum age in seconds.
    pub max_age: Option<i64>,
    /// Ledger of used invocation ids.
    pub ledger: Option<PathBuf>,
    /// The files to check against the subjects.
    pub artifacts: Vec<PathBuf>,
    /// Keys the part manifests of a release merged from many runners may
    /// be signed with (besides `keys`), when they are among the artifacts.
    pub part_keys: Vec<PathBuf>,
    /// The bundle's verification summaries are history (`relgate gate
    /// --dir` reaches a new verdict): a latest `FAILED` does not fail
    /// `verification-summary`; a bad signature or binding still does.
    pub summaries_as_history: bool,
}

/// Parses a duration such as `90s`, `15m`, `24h`, `7d`, `2w` or `1h30m` into seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let err = || format!("`{s}` is not a duration like 90s, 15m, 24h, 7d or 1h30m");
    let mut total: i64 = 0;
    let mut number = String::new();
    let mut any = false;
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(err()),
        };
        let n: i64 = number.parse().map_err(|_| err())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(err)?;
        number.clear();
        any = true;
    }
    if !number.is_empty() || !any {
        return Err(err());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("24h"), Ok(86_400));
        assert_eq!(parse_duration("1h30m"), Ok(5_400));
        assert_eq!(parse_duration("2w"), Ok(1_209_600));
        for bad in ["", "10", "h", "5x", "-1h", "99999999999999999999w"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}

/// What `relgate compat` is asked to compare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompatOptions {
    /// Manifest of the package or workspace (default `./Cargo.toml`).
    pub manifest_path: Option<PathBuf>,
    /// The library packages (`-p`, repeatable); none: the only or root library.
    pub packages: Vec<String>,
    /// `--workspace`: every publishable library member.
    pub workspace: bool,
    /// The baseline; the highest tag below the current version when `None`.
    pub baseline: Option<Baseline>,
    /// Features to document both sides with; `None`: each side's
    /// docs.rs set, else every feature that does not look unstable, falling
    /// back to the default features (see `collect::rustdoc::auto_features`).
    pub features: Option<Features>,
    /// Target triple (default host).
    pub target: Option<String>,
}

/// Where the baseline comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Baseline {
    /// A git revision of this repository.
    Git(String),
    /// A crate directory (or its Cargo.toml).
    Path(PathBuf),
    /// A version published on crates.io.
    Registry(String),
    /// A prebuilt rustdoc JSON file.
    Rustdoc(PathBuf),
}

impl std::str::FromStr for Baseline {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.split_once(':') {
            Some(("git", r)) if !r.is_empty() => Ok(Baseline::Git(r.into())),
            Some(("path", p)) if !p.is_empty() => Ok(Baseline::Path(p.into())),
            Some(("registry", v)) if !v.is_empty() => Ok(Baseline::Registry(v.into())),
            Some(("rustdoc", f)) if !f.is_empty() => Ok(Baseline::Rustdoc(f.into())),
            _ => Err(format!(
                "`{s}` is not a baseline: use git:REV, path:DIR, registry:VERSION or rustdoc:FILE"
            )),
        }
    }
}

impl std::fmt::Display for Baseline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Baseline::Git(r) => write!(f, "git:{r}"),
            Baseline::Path(p) => write!(f, "path:{}", p.display()),
            Baseline::Registry(v) => write!(f, "registry:{v}"),
            Baseline::Rustdoc(p) => write!(f, "rustdoc:{}", p.display()),
        }
    }
}

/// Where a private key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A PEM file.
    File(PathBuf),
    /// The `RELGATE_SIGNING_KEY` environment variable (PEM text).
    Env,
}
