//! The part of `cargo metadata --format-version 1` relgate reads.
//!
//! Deserializing cargo's whole output (`cargo_metadata::Metadata`) parses
//! every package's declared dependency list — a semver requirement and a
//! platform per entry — which relgate never uses; on a 400-package workspace
//! that is most of the parse time. These structs keep only what is read and
//! reuse `cargo_metadata`'s leaf types (ids, sources, dependency kinds).

use cargo_metadata::camino::Utf8PathBuf;
use cargo_metadata::{DepKindInfo, PackageId, TargetKind};
use serde::Deserialize;

/// `cargo metadata` output, as far as relgate reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    /// Every package in the resolve.
    pub packages: Vec<Package>,
    /// Workspace members.
    pub workspace_members: Vec<PackageId>,
    /// The dependency graph.
    pub resolve: Option<Resolve>,
    /// The workspace root directory.
    pub workspace_root: Utf8PathBuf,
    /// `[workspace.metadata]`.
    #[serde(default)]
    pub workspace_metadata: serde_json::Value,
}

/// One package.
#[derive(Debug, Clone, Deserialize)]
pub struct Package {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// cargo's opaque id.
    pub id: PackageId,
    /// `None` for path packages.
    pub source: Option<cargo_metadata::Source>,
    /// `description`.
    pub description: Option<String>,
    /// `authors`.
    #[serde(default)]
    pub authors: Vec<String>,
    /// `license`.
    pub license: Option<String>,
    /// `license-file`, relative to the manifest's directory.
    pub license_file: Option<Utf8PathBuf>,
    /// `repository`.
    pub repository: Option<String>,
    /// `homepage`.
    pub homepage: Option<String>,
    /// `documentation`.
    pub documentation: Option<String>,
    /// `publish` (`None`: anywhere; empty: nowhere).
    pub publish: Option<Vec<String>>,
    /// Targets (only their kinds are read).
    #[serde(default)]
    pub targets: Vec<Target>,
    /// Path of `Cargo.toml`.
    pub manifest_path: Utf8PathBuf,
    /// `[features]`, with the implicit feature of each optional dependency.
    #[serde(default)]
    pub features: std::collections::BTreeMap<String, Vec<String>>,
    /// Declared dependencies (read by [`super::features`]).
    #[serde(default)]
    pub dependencies: Vec<DeclaredDep>,
    /// `edition` (its default resolver).
    #[serde(default)]
    pub edition: String,
}

/// One declared dependency, as far as feature resolution reads it. The
/// requirement and the platform stay text until a followed edge needs them.
#[derive(Debug, Clone, Deserialize)]
pub struct DeclaredDep {
    /// The package's name.
    pub name: String,
    /// The version requirement.
    #[serde(default)]
    pub req: String,
    /// `null` (normal), `"build"` or `"dev"`.
    pub kind: Option<String>,
    /// `package = ...` renames: the name the parent uses.
    pub rename: Option<String>,
    /// `optional = true`.
    #[serde(default)]
    pub optional: bool,
    /// `default-features`.
    #[serde(default = "yes")]
    pub uses_default_features: bool,
    /// `features = [...]`.
    #[serde(default)]
    pub features: Vec<String>,
    /// `[target.'cfg(...)'.dependencies]`.
    pub target: Option<String>,
}

fn yes() -> bool {
    true
}

/// A target's kinds.
#[derive(Debug, Clone, Deserialize)]
pub struct Target {
    /// `lib`, `bin`, `proc-macro`, ...
    pub kind: Vec<TargetKind>,
}

/// The resolved graph.
#[derive(Debug, Clone, Deserialize)]
pub struct Resolve {
    /// One node per package.
    pub nodes: Vec<Node>,
    /// The root package of a non-virtual workspace.
    pub root: Option<PackageId>,
}

/// A package's resolved dependencies.
#[derive(Debug, Clone, Deserialize)]
pub struct Node {
    /// The package.
    pub id: PackageId,
    /// Its dependencies.
    #[serde(default)]
    pub deps: Vec<NodeDep>,
}

/// One resolved dependency edge.
#[derive(Debug, Clone, Deserialize)]
pub struct NodeDep {
    /// The extern crate name the parent uses.
    #[serde(default)]
    pub name: String,
    /// The dependency.
    pub pkg: PackageId,
    /// Kinds and platforms of the edge.
    #[serde(default)]
    pub dep_kinds: Vec<DepKindInfo>,
}
