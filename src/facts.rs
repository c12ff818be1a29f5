//! `ReleaseFacts`: everything relgate learned about the world, as plain data.
//!
//! Built only by [`crate::collect`], read by everything after it. Invariants:
//! - no I/O and no wire formats here: artifact modules own their serde types;
//! - sorted maps and sets only, so iteration order never depends on input order;
//! - no absolute path of the build machine: paths are relative to the
//!   workspace root (with `..` where they leave it), so two checkouts of the
//!   same workspace give equal facts.

use std::collections::{BTreeMap, BTreeSet};

/// The facts of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseFacts {
    /// The workspace being described.
    pub workspace: Workspace,
    /// Every package in cargo's resolve for the chosen target and features.
    pub packages: BTreeMap<PackageId, Package>,
    /// The workspace members selected for this run (`-p`, or all members).
    pub roots: BTreeSet<PackageId>,
    /// The selection that produced these facts.
    pub selection: Selection,
    /// Toolchain that resolved the workspace.
    pub toolchain: Toolchain,
    /// Git state of the workspace, when it is a git checkout.
    pub git: Option<Git>,
    /// Document timestamp in Unix seconds (`SOURCE_DATE_EPOCH` or the clock).
    pub timestamp: i64,
    /// Things worth telling the user that do not stop the run.
    pub warnings: Vec<String>,
}

/// Workspace-level facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// Name for the workspace as a whole: `[workspace.metadata.relgate] name`,
    /// else the root package's name, else the root directory's name.
    pub name: String,
    /// `[workspace.metadata.relgate] version`, if set.
    pub version: Option<String>,
    /// `[workspace.metadata.relgate] supplier`, if set.
    pub supplier: Option<String>,
    /// `[workspace.package] license` of the root manifest, if set: the
    /// declared license of the workspace as a whole (the synthetic root of
    /// a workspace-wide SBOM).
    pub license: Option<String>,
    /// The package of a non-virtual workspace's root manifest.
    pub root_package: Option<PackageId>,
    /// All workspace members.
    pub members: BTreeSet<PackageId>,
}

/// What the run was asked to describe, as resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The target triple dependencies were resolved for.
    pub target: String,
    /// Whether `target` is the host (no `--target` given).
    pub target_is_host: bool,
    /// Features passed to cargo, normalized.
    pub features: Vec<String>,
    /// `--all-features`.
    pub all_features: bool,
    /// `--no-default-features`.
    pub no_default_features: bool,
}

/// Toolchain facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toolchain {
    /// `rustc -vV` release line, e.g. `1.95.0`.
    pub rustc_version: String,
    /// The host triple.
    pub host: String,
}

/// Git facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Git {
    /// Full commit id of `HEAD`.
    pub commit: String,
    /// Whether tracked files differ from `HEAD`.
    pub dirty: bool,
    /// A tag pointing at `HEAD`, if any (the highest, by name).
    pub tag: Option<String>,
}

/// A package's identity, independent of where the workspace is checked out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageId {
    /// Crate name.
    pub name: String,
    /// Exact version.
    pub version: String,
    /// Where it comes from.
    pub source: Source,
}

impl std::fmt::Display for PackageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.name, self.version)?;
        match &self.source {
            Source::Registry { index } if index.is_crates_io() => Ok(()),
            Source::Registry { index } => write!(f, " (registry {})", index.url()),
            Source::Git { url, commit, .. } => write!(f, " (git {url}#{commit})"),
            Source::Path { path } => write!(f, " (path {path})"),
        }
    }
}

/// Where a package comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// A registry (crates.io or another).
    Registry {
        /// The registry index.
        index: RegistryIndex,
    },
    /// A git repository at a commit.
    Git {
        /// Repository URL; `file:` URLs are relative to the workspace root.
        url: String,
        /// The locked commit.
        commit: String,
        /// The branch, tag or rev requested in the manifest, as `kind=value`.
        reference: Option<String>,
    },
    /// A local path; relative to the workspace root, `/`-separated, `.` for the root.
    Path {
        /// The package directory.
        path: String,
    },
}

impl Source {
    /// `registry`, `git` or `path`.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Registry { .. } => "registry",
            Source::Git { .. } => "git",
            Source::Path { .. } => "path",
        }
    }
}

/// A registry index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegistryIndex {
    /// crates.io, through either protocol.
    CratesIo,
    /// Any other registry, by its index URL (with the `sparse+` prefix when sparse).
    Other(String),
}

impl RegistryIndex {
    /// Whether this is crates.io.
    pub fn is_crates_io(&self) -> bool {
        matches!(self, RegistryIndex::CratesIo)
    }
    /// The index URL.
    pub fn url(&self) -> &str {
        match self {
            RegistryIndex::CratesIo => "https://github.com/rust-lang/crates.io-index",
            RegistryIndex::Other(u) => u,
        }
    }
}

/// One package in the resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Identity.
    pub id: PackageId,
    /// `description`.
    pub description: Option<String>,
    /// `authors`, as written.
    pub authors: Vec<String>,
    /// `license`, as written.
    pub license: Option<String>,
    /// `license-file`, relative to the package directory, with its text when readable.
    pub license_file: Option<LicenseFile>,
    /// `repository`.
    pub repository: Option<String>,
    /// `homepage`.
    pub homepage: Option<String>,
    /// `documentation`.
    pub documentation: Option<String>,
    /// SHA-256 of the `.crate` file from Cargo.lock (registry packages).
    pub checksum: Option<String>,
    /// Where cargo keeps that `.crate` file (registry packages; not read here).
    pub archive: Option<std::path::PathBuf>,
    /// Whether the package is a workspace member.
    pub workspace_member: bool,
    /// Whether `publish` allows some registry (`publish = false` → false).
    pub publishable: bool,
    /// Whether it has a binary target.
    pub has_bin: bool,
    /// Whether it is a proc-macro crate.
    pub proc_macro: bool,
    /// Resolved dependencies for the selected target and features.
    pub deps: BTreeMap<PackageId, DepKinds>,
}

/// A `license-file` and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseFile {
    /// The path as written in the manifest, `/`-separated.
    pub path: String,
    /// The file's text, if it could be read as UTF-8.
    pub text: Option<String>,
}

/// The kinds of one dependency edge (one edge can be several kinds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DepKinds {
    /// `[dependencies]`.
    pub normal: bool,
    /// `[build-dependencies]`.
    pub build: bool,
    /// `[dev-dependencies]`.
    pub dev: bool,
}
