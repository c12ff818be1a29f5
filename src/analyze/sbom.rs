//! The SBOM model: one description of the dependency graph that every SBOM
//! format renders.
//!
//! Scope: the selected workspace members and everything they reach through
//! normal and build dependencies (dev-dependencies never). A package reached
//! only through a build dependency is [`Reach::Build`]. When the selected
//! members do not have a single top member that reaches the others, a
//! component for the workspace itself becomes the root.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use sha2::{Digest, Sha256};

use super::license::{self, Extracted, License};
use super::purl;
use super::supplier::{Origin, Supplier};
use crate::error::{Error, Result};
use crate::facts::{PackageId, RegistryIndex, ReleaseFacts, Source};

/// How a component is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    /// Linked into (or part of) what is released.
    Runtime,
    /// Only needed to build it (build scripts and their dependencies).
    Build,
}

/// Component classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Has a binary target and is a workspace member.
    Application,
    /// Everything else.
    Library,
}

/// One component of the SBOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Unique reference within the document (the purl).
    pub bom_ref: String,
    /// Package URL.
    pub purl: String,
    /// SPDX element id.
    pub spdx_id: String,
    /// Crate name.
    pub name: String,
    /// Version.
    pub version: String,
    /// `description`.
    pub description: Option<String>,
    /// Classification.
    pub kind: Kind,
    /// Runtime or build-only.
    pub reach: Reach,
    /// `registry`, `git`, `path` or `workspace` (the synthetic root).
    pub source_kind: &'static str,
    /// Supplier.
    pub supplier: Supplier,
    /// `authors`, as written.
    pub authors: Vec<String>,
    /// License.
    pub license: License,
    /// SHA-256 of the published `.crate`, from Cargo.lock.
    pub sha256: Option<String>,
    /// Where the package can be downloaded (registry packages; git URL at commit).
    pub download_url: Option<String>,
    /// `homepage`.
    pub homepage: Option<String>,
    /// `repository`.
    pub repository: Option<String>,
    /// `documentation`.
    pub documentation: Option<String>,
    /// Workspace member.
    pub workspace_member: bool,
    /// The files it ships as (filled by an SBOM profile; empty otherwise).
    pub deployables: Vec<Deployable>,
}

/// A file a component is delivered as — its "deployable form" in the BSI
/// TR-03183-2 sense: a registry crate's `.crate` archive, a released binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployable {
    /// File name (no directory).
    pub filename: String,
    /// Lowercase hex SHA-512 of the file.
    pub sha512: String,
    /// Where exactly this file can be downloaded, when known.
    pub url: Option<String>,
    /// An executable (ELF, Mach-O, PE), not data.
    pub executable: bool,
    /// An archive of several files (a `.crate` is a gzipped tar).
    pub archive: bool,
    /// Metadata of its contents is still present (a tar lists its files;
    /// a statically linked binary does not).
    pub structured: bool,
}

/// The kinds of one edge in the SBOM graph.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Edge {
    /// A normal dependency.
    pub normal: bool,
    /// A build dependency.
    pub build: bool,
    /// The synthetic workspace root containing a member.
    pub contains: bool,
}

/// The whole SBOM, format-neutral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sbom {
    /// The component the document describes.
    pub root: Component,
    /// All other components, sorted by `bom_ref`.
    pub components: Vec<Component>,
    /// `from bom_ref` → `to bom_ref` → kinds; every component has an entry.
    pub edges: BTreeMap<String, BTreeMap<String, Edge>>,
    /// Extracted license texts, by `LicenseRef-` id.
    pub extracted: BTreeMap<String, Extracted>,
    /// Document timestamp, Unix seconds.
    pub timestamp: i64,
    /// relgate's version.
    pub tool_version: &'static str,
    /// Target triple.
    pub target: String,
    /// Features, normalized.
    pub features: Vec<String>,
    /// `--all-features`.
    pub all_features: bool,
    /// `--no-default-features`.
    pub no_default_features: bool,
    /// rustc release.
    pub rustc_version: String,
    /// Git commit and dirty flag of the workspace.
    pub git: Option<(String, bool)>,
    /// Packages in scope without any license.
    pub unlicensed: Vec<String>,
    /// Packages whose supplier is unknown.
    pub unknown_suppliers: Vec<String>,
    /// The profile the document was made for (its extra fields filled).
    pub profile: Option<crate::config::Profile>,
}

impl Sbom {
    /// Every component, root first.
    pub fn all_components(&self) -> impl Iterator<Item = &Component> {
        std::iter::once(&self.root).chain(&self.components)
    }
}

/// Builds the SBOM model from the facts.
pub fn model(facts: &ReleaseFacts) -> Result<Sbom> {
    let (included, runtime) = scope(facts)?;

    // The root: the one selected member that reaches all others, or the workspace.
    // A member is below another when some member's dependencies reach it
    // (normal dependencies have no cycles, so none reaches itself).
    let below = reachable(
        facts,
        facts.roots.iter().flat_map(|r| {
            facts.packages[r]
                .deps
                .iter()
                .filter(|(_, k)| k.normal || k.build)
                .map(|(d, _)| d)
        }),
        |k| k.normal || k.build,
    );
    let tops: Vec<&PackageId> = facts.roots.iter().filter(|r| !below.contains(r)).collect();

    let workspace_supplier = facts
        .workspace
        .supplier
        .as_deref()
        .and_then(Supplier::configured)
        .or_else(|| {
            tops.iter()
                .filter_map(|t| facts.packages.get(*t))
                .flat_map(|p| p.authors.iter())
                .find_map(|a| Supplier::from_author(a))
                .map(|s| Supplier {
                    origin: Origin::Workspace,
                    ..s
                })
        });

    let mut components = Vec::new();
    for id in &included {
        let reach = if runtime.contains(id) {
            Reach::Runtime
        } else {
            Reach::Build
        };
        components.push(component(facts, id, reach, workspace_supplier.as_ref())?);
    }
    assign_spdx_ids(&mut components);

    let ref_of: BTreeMap<&PackageId, String> = included
        .iter()
        .zip(&components)
        .map(|(id, c)| (*id, c.bom_ref.clone()))
        .collect();
    let mut edges: BTreeMap<String, BTreeMap<String, Edge>> = BTreeMap::new();
    for id in &included {
        let from = ref_of[id].clone();
        let out = edges.entry(from).or_default();
        for (dep, kinds) in &facts.packages[id].deps {
            if !(kinds.normal || kinds.build) {
                continue;
            }
            let to = ref_of
                .get(dep)
                .ok_or_else(|| Error::Inconsistent(format!("{dep} is a dependency but not in scope")))?;
            let e = out.entry(to.clone()).or_default();
            e.normal |= kinds.normal;
            e.build |= kinds.build;
        }
    }

    let root = if let [top] = tops.as_slice() {
        let idx = included
            .iter()
            .position(|i| i == top)
            .ok_or_else(|| Error::Inconsistent("root not in scope".into()))?;
        components.remove(idx)
    } else {
        let root = workspace_component(facts, &tops, workspace_supplier);
        let out = edges.entry(root.bom_ref.clone()).or_default();
        for t in &tops {
            out.insert(
                ref_of[*t].clone(),
                Edge {
                    contains: true,
                    ..Edge::default()
                },
            );
        }
        root
    };
    components.sort_by(|a, b| a.bom_ref.cmp(&b.bom_ref));

    let mut seen = BTreeSet::new();
    let mut extracted = BTreeMap::new();
    let mut unlicensed = Vec::new();
    let mut unknown_suppliers = Vec::new();
    for c in std::iter::once(&root).chain(&components) {
        if !seen.insert(c.bom_ref.as_str()) {
            return Err(Error::Inconsistent(format!(
                "two components share the reference {}",
                c.bom_ref
            )));
        }
        match &c.license {
            License::Expression { refs, .. } => {
                for r in refs {
                    extracted.insert(r.id.clone(), r.clone());
                }
            }
            License::None if c.source_kind != "workspace" => {
                unlicensed.push(format!("{}@{}", c.name, c.version))
            }
            License::None => {}
        }
        if c.supplier.origin == Origin::Unknown {
            unknown_suppliers.push(format!("{}@{}", c.name, c.version));
        }
    }

    Ok(Sbom {
        root,
        components,
        edges,
        extracted,
        timestamp: facts.timestamp,
        tool_version: env!("CARGO_PKG_VERSION"),
        target: facts.selection.target.clone(),
        features: facts.selection.features.clone(),
        all_features: facts.selection.all_features,
        no_default_features: facts.selection.no_default_features,
        rustc_version: facts.toolchain.rustc_version.clone(),
        git: facts.git.as_ref().map(|g| (g.commit.clone(), g.dirty)),
        unlicensed,
        unknown_suppliers,
        profile: None,
    })
}

/// (everything in scope, the runtime part of it).
fn scope(facts: &ReleaseFacts) -> Result<(BTreeSet<&PackageId>, BTreeSet<&PackageId>)> {
    for r in &facts.roots {
        if !facts.packages.contains_key(r) {
            return Err(Error::Inconsistent(format!(
                "selected member {r} is not in the resolve"
            )));
        }
    }
    let all = reachable(facts, facts.roots.iter(), |k| k.normal || k.build);
    let runtime = reachable(facts, facts.roots.iter(), |k| k.normal);
    Ok((all, runtime))
}

/// Everything reachable from `start` along edges `follow` accepts (`start` included).
pub(crate) fn reachable<'a>(
    facts: &'a ReleaseFacts,
    start: impl Iterator<Item = &'a PackageId>,
    follow: impl Fn(&crate::facts::DepKinds) -> bool,
) -> BTreeSet<&'a PackageId> {
    let mut seen: BTreeSet<&PackageId> = BTreeSet::new();
    let mut queue: VecDeque<&PackageId> = start.collect();
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id) {
            continue;
        }
        if let Some(p) = facts.packages.get(id) {
            queue.extend(
                p.deps
                    .iter()
                    .filter(|(d, k)| follow(k) && !seen.contains(d))
                    .map(|(d, _)| d),
            );
        }
    }
    seen
}

fn component(
    facts: &ReleaseFacts,
    id: &PackageId,
    reach: Reach,
    workspace: Option<&Supplier>,
) -> Result<Component> {
    let p = &facts.packages[id];
    let purl = purl::of(id);
    let ref_base = format!("{}-{}", id.name, id.version);
    let license = license::normalize(
        p.license.as_deref(),
        p.license_file
            .as_ref()
            .map(|f| (f.path.as_str(), f.text.as_deref())),
        &ref_base,
    );
    let supplier = p
        .authors
        .iter()
        .find_map(|a| Supplier::from_author(a))
        .or_else(|| {
            p.repository
                .as_deref()
                .and_then(|r| Supplier::from_forge_url(r, Origin::Repository))
        })
        .or_else(|| match &id.source {
            Source::Path { .. } => workspace.cloned(),
            Source::Registry {
                index: RegistryIndex::CratesIo,
            } => Some(Supplier::registry("crates.io", "https://crates.io")),
            Source::Registry {
                index: RegistryIndex::Other(url),
            } => {
                let host = url
                    .split("://")
                    .nth(1)
                    .and_then(|r| r.split('/').next())
                    .unwrap_or(url);
                Some(Supplier::registry(host, &format!("https://{host}")))
            }
            Source::Git { url, .. } => Supplier::from_forge_url(url, Origin::Vcs),
        })
        .unwrap_or_else(Supplier::unknown);
    let download_url = match &id.source {
        Source::Registry {
            index: RegistryIndex::CratesIo,
        } => Some(format!(
            "https://crates.io/api/v1/crates/{}/{}/download",
            id.name, id.version
        )),
        Source::Git { url, commit, .. } if url.starts_with("https://") || url.starts_with("ssh://") => {
            Some(format!("git+{url}@{commit}"))
        }
        _ => None,
    };
    Ok(Component {
        bom_ref: purl.clone(),
        purl,
        spdx_id: String::new(),
        name: id.name.clone(),
        version: id.version.clone(),
        description: p.description.clone(),
        kind: if p.workspace_member && p.has_bin {
            Kind::Application
        } else {
            Kind::Library
        },
        reach,
        source_kind: id.source.kind(),
        supplier,
        authors: p.authors.clone(),
        license,
        sha256: p.checksum.clone(),
        download_url,
        homepage: p.homepage.clone(),
        repository: p.repository.clone(),
        documentation: p.documentation.clone(),
        workspace_member: p.workspace_member,
        deployables: Vec::new(),
    })
}

fn workspace_component(facts: &ReleaseFacts, tops: &[&PackageId], supplier: Option<Supplier>) -> Component {
    let versions: BTreeSet<&str> = tops.iter().map(|t| t.version.as_str()).collect();
    let version = facts.workspace.version.clone().unwrap_or_else(|| {
        versions
            .iter()
            .max_by(|a, b| {
                let parse = |v: &str| cargo_metadata::semver::Version::parse(v).ok();
                parse(a).cmp(&parse(b)).then(a.cmp(b))
            })
            .map(|v| v.to_string())
            .unwrap_or_else(|| "0.0.0".into())
    });
    let name = facts.workspace.name.clone();
    let purl = purl::generic(&name, &version);
    // `[workspace.package] license`, when the root manifest declares one.
    let license = match &facts.workspace.license {
        Some(declared) => license::normalize(Some(declared), None, &format!("{name}-{version}")),
        None => License::None,
    };
    let first = tops.first().and_then(|t| facts.packages.get(*t));
    Component {
        bom_ref: purl.clone(),
        purl,
        spdx_id: format!("SPDXRef-Workspace-{}", license::idstring(&name)),
        description: Some(format!("Cargo workspace {name}")),
        kind: if tops
            .iter()
            .any(|t| facts.packages.get(*t).is_some_and(|p| p.has_bin))
        {
            Kind::Application
        } else {
            Kind::Library
        },
        reach: Reach::Runtime,
        source_kind: "workspace",
        supplier: supplier.unwrap_or_else(Supplier::unknown),
        authors: Vec::new(),
        license,
        sha256: None,
        download_url: None,
        homepage: first.and_then(|p| p.homepage.clone()),
        repository: first.and_then(|p| p.repository.clone()),
        documentation: None,
        workspace_member: false,
        deployables: Vec::new(),
        name,
        version,
    }
}

/// `SPDXRef-Package-NAME-VERSION`, with a purl digest suffix where two would collide.
pub(crate) fn assign_spdx_ids(components: &mut [Component]) {
    let base = |c: &Component| {
        format!(
            "SPDXRef-Package-{}-{}",
            license::idstring(&c.name),
            license::idstring(&c.version)
        )
    };
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for c in components.iter() {
        *count.entry(base(c)).or_default() += 1;
    }
    for c in components.iter_mut() {
        let b = base(c);
        c.spdx_id = if count[&b] > 1 {
            let digest = Sha256::digest(c.purl.as_bytes());
            format!("{b}-{}", hex(&digest[..4]))
        } else {
            b
        };
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
