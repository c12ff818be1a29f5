//! The plan of a release built on many CI runners (`relgate release
//! plan`): one document, written once by a plan job and read by every part
//! job and by the merge, naming the commit, the version, the invocation id
//! (so every runner's spans are one trace), the contract's digest and the
//! parts — one per (target, released package set), and optional compat
//! shards. Its digest (`sha256:` of the file's bytes) is what everything
//! downstream names.
//!
//! This module owns the wire format: it renders and it parses (strictly:
//! duplicate keys, unknown fields, unsafe part ids and a part listed twice
//! are refused).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// `_type` of a plan document.
pub const PLAN_TYPE: &str = "https://relgate.dev/release-plan/v1";

/// The multi-runner release plan, as written to `plan.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PartsPlan {
    /// [`PLAN_TYPE`].
    #[serde(rename = "_type")]
    pub kind: String,
    /// The commit every part must be built from (a clean checkout).
    pub commit: String,
    /// The package that carries the release version.
    pub package: String,
    /// Its version.
    pub version: String,
    /// The release's invocation id, shared by every part (one trace).
    pub invocation_id: String,
    /// The contract every part and the merge must read.
    pub contract: ContractRef,
    /// `rustc -vV` of the plan job (parts record their own).
    pub toolchain: ToolchainRef,
    /// The parts, in plan order.
    pub parts: Vec<Part>,
}

/// Which contract the plan was made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContractRef {
    /// Where it was read from (`relgate defaults` when none).
    pub origin: String,
    /// sha256 of its text.
    pub sha256: String,
}

/// The toolchain the plan job saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ToolchainRef {
    /// rustc's release.
    pub rustc: String,
    /// The plan job's host triple.
    pub host: String,
}

/// What a part does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartKind {
    /// Builds the released packages for one target.
    Build,
    /// Compares a shard of the library members with their baselines.
    Compat,
}

impl PartKind {
    /// Every kind, in plan order.
    pub const ALL: [PartKind; 2] = [PartKind::Build, PartKind::Compat];

    /// The kind's id as written.
    pub fn id(self) -> &'static str {
        match self {
            PartKind::Build => "build",
            PartKind::Compat => "compat",
        }
    }
    /// What a part of this kind does, for `relgate explain` and the plan text.
    pub fn explain(self) -> &'static str {
        match self {
            PartKind::Build => "cargo build --release --locked --target T of the released packages; tests when the runner can run T; the SBOM of what it built",
            PartKind::Compat => "compares its library members with their baselines (rustdoc JSON), so a large workspace's checks spread over runners",
        }
    }
}

/// One part of the plan: one CI job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Part {
    /// Unique in the plan; letters, digits, `.`, `_` and `-` (it names a
    /// CI artifact and a directory).
    pub id: String,
    /// What the part does.
    pub kind: PartKind,
    /// The target triple (build parts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The packages it builds (build parts) or compares (compat parts).
    pub packages: Vec<String>,
    /// The runner label the generated workflow uses.
    pub runs_on: String,
    /// Whether that runner can execute the target, so tests are expected
    /// to run there (a part on another runner records "not run", never "passed").
    pub tests: bool,
}

/// How to split the release into parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    /// Target triples (default: the plan job's host).
    pub targets: Vec<String>,
    /// One build part per (target, package) instead of per target.
    pub per_package: bool,
    /// Compat shards (0: compat runs once, at the merge).
    pub compat_shards: usize,
    /// `TARGET=LABEL` overrides of the runner table.
    pub runs_on: Vec<(String, String)>,
}

/// Everything [`plan`] reads, already decided by preflight.
pub struct Inputs<'a> {
    /// The clean commit.
    pub commit: &'a str,
    /// The release package and its version.
    pub package: (&'a str, &'a str),
    /// The invocation id.
    pub invocation_id: &'a str,
    /// The contract's origin and sha256.
    pub contract: (&'a str, &'a str),
    /// rustc release and host triple.
    pub toolchain: (&'a str, &'a str),
    /// The packages whose binaries ship.
    pub shipped: &'a [String],
    /// The library members compat compares.
    pub libraries: Vec<String>,
}

/// GitHub-hosted runners by target, and whether they run it natively.
/// A target not listed builds on `ubuntu-latest` (a cross build) and its
/// tests are not run there.
const RUNNERS: &[(&str, &str, bool)] = &[
    ("x86_64-unknown-linux-gnu", "ubuntu-latest", true),
    ("x86_64-unknown-linux-musl", "ubuntu-latest", true),
    ("aarch64-unknown-linux-gnu", "ubuntu-24.04-arm", true),
    ("aarch64-unknown-linux-musl", "ubuntu-24.04-arm", true),
    ("x86_64-apple-darwin", "macos-15-intel", true),
    ("aarch64-apple-darwin", "macos-latest", true),
    ("x86_64-pc-windows-msvc", "windows-latest", true),
    ("i686-pc-windows-msvc", "windows-latest", true),
    ("x86_64-pc-windows-gnu", "windows-latest", true),
    ("aarch64-pc-windows-msvc", "windows-11-arm", true),
];

/// The runner for `target`: an override, else [`RUNNERS`], else a cross
/// build on `ubuntu-latest`. An override is trusted to run the target only
/// when the table's runner would.
fn runner(target: &str, overrides: &[(String, String)]) -> (String, bool) {
    let known = RUNNERS.iter().find(|(t, _, _)| *t == target);
    let native = known.is_some_and(|(_, _, n)| *n);
    match overrides.iter().rev().find(|(t, _)| t == target) {
        Some((_, label)) => (label.clone(), native),
        None => match known {
            Some((_, label, _)) => ((*label).to_owned(), native),
            None => ("ubuntu-latest".to_owned(), false),
        },
    }
}

/// Builds the plan: build parts per target (or per target and package),
/// then the compat shards (members dealt round-robin in name order).
pub fn plan(inputs: &Inputs, split: &Split) -> Result<PartsPlan> {
    let bad = |reason: String| Error::InvalidOption(reason);
    if inputs.shipped.is_empty() {
        return Err(bad(
            "no workspace member has a binary target, so there is nothing to build per target; release it with `relgate release`".into(),
        ));
    }
    let mut targets: Vec<String> = Vec::new();
    for t in &split.targets {
        if !safe_id(t) {
            return Err(bad(format!("`{t}` is not a target triple")));
        }
        if !targets.contains(t) {
            targets.push(t.clone());
        }
    }
    if targets.is_empty() {
        targets.push(inputs.toolchain.1.to_owned());
    }
    for (t, label) in &split.runs_on {
        if !targets.contains(t) {
            return Err(bad(format!(
                "--runs-on names {t}, which is not one of the planned targets"
            )));
        }
        if label.is_empty() || label.chars().any(|c| c.is_control()) {
            return Err(bad(format!(
                "--runs-on {t}=…: the runner label is empty or unprintable"
            )));
        }
    }
    let mut parts = Vec::new();
    for t in &targets {
        let (runs_on, tests) = runner(t, &split.runs_on);
        let sets: Vec<Vec<String>> = if split.per_package {
            inputs.shipped.iter().map(|p| vec![p.clone()]).collect()
        } else {
            vec![inputs.shipped.to_vec()]
        };
        for packages in sets {
            let id = if split.per_package {
                format!("build-{t}-{}", packages[0])
            } else {
                format!("build-{t}")
            };
            parts.push(Part {
                id,
                kind: PartKind::Build,
                target: Some(t.clone()),
                packages,
                runs_on: runs_on.clone(),
                tests,
            });
        }
    }
    if split.compat_shards > 0 {
        let mut libs = inputs.libraries.clone();
        libs.sort();
        libs.dedup();
        if split.compat_shards > libs.len() {
            return Err(bad(format!(
                "--compat-shards {}: the workspace has {} library member(s) to compare",
                split.compat_shards,
                libs.len()
            )));
        }
        let n = split.compat_shards;
        let host = inputs.toolchain.1;
        let (runs_on, _) = runner(host, &[]);
        for i in 0..n {
            parts.push(Part {
                id: format!("compat-{}-of-{n}", i + 1),
                kind: PartKind::Compat,
                target: None,
                packages: libs.iter().skip(i).step_by(n).cloned().collect(),
                runs_on: runs_on.clone(),
                tests: false,
            });
        }
    }
    let out = PartsPlan {
        kind: PLAN_TYPE.to_owned(),
        commit: inputs.commit.to_owned(),
        package: inputs.package.0.to_owned(),
        version: inputs.package.1.to_owned(),
        invocation_id: inputs.invocation_id.to_owned(),
        contract: ContractRef {
            origin: inputs.contract.0.to_owned(),
            sha256: inputs.contract.1.to_owned(),
        },
        toolchain: ToolchainRef {
            rustc: inputs.toolchain.0.to_owned(),
            host: inputs.toolchain.1.to_owned(),
        },
        parts,
    };
    out.check().map_err(bad)?;
    Ok(out)
}

/// Part ids, targets and package names: what may name an artifact and a directory.
fn safe_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && !s.starts_with(['.', '-'])
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl PartsPlan {
    /// The file's bytes: pretty JSON, keys in declaration order, one
    /// trailing newline (the same plan always renders the same bytes).
    pub fn render(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Parses a plan file strictly and checks it.
    pub fn parse(bytes: &[u8]) -> std::result::Result<PartsPlan, String> {
        let plan: PartsPlan = crate::emit::strict_json::from_slice(bytes)?;
        plan.check()?;
        Ok(plan)
    }

    /// `sha256:<hex>` of `bytes` (the plan file as read or written).
    pub fn digest(bytes: &[u8]) -> String {
        format!("sha256:{}", crate::analyze::sbom::hex(&Sha256::digest(bytes)))
    }

    /// The part named `id`.
    pub fn part(&self, id: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.id == id)
    }

    /// What a plan must satisfy besides its shape.
    fn check(&self) -> std::result::Result<(), String> {
        if self.kind != PLAN_TYPE {
            return Err(format!("_type is `{}`, not {PLAN_TYPE}", self.kind));
        }
        if self.commit.len() < 40 || !self.commit.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("commit `{}` is not a full git object id", self.commit));
        }
        if self.parts.is_empty() {
            return Err("the plan has no parts".into());
        }
        let mut seen = BTreeSet::new();
        for p in &self.parts {
            if !safe_id(&p.id) {
                return Err(format!(
                    "part id `{}` may only hold letters, digits, `.`, `_` and `-`",
                    p.id
                ));
            }
            if !seen.insert(p.id.as_str()) {
                return Err(format!("part `{}` is listed twice", p.id));
            }
            if p.packages.is_empty() || p.packages.iter().any(|n| !safe_id(n)) {
                return Err(format!("part `{}` names no packages, or an unsafe one", p.id));
            }
            match (p.kind, &p.target) {
                (PartKind::Build, Some(t)) if safe_id(t) => {}
                (PartKind::Build, _) => return Err(format!("build part `{}` has no valid target", p.id)),
                (PartKind::Compat, None) => {}
                (PartKind::Compat, Some(_)) => return Err(format!("compat part `{}` names a target", p.id)),
            }
        }
        if !self.parts.iter().any(|p| p.kind == PartKind::Build) {
            return Err("the plan has no build part".into());
        }
        Ok(())
    }

    /// The JSON a GitHub Actions `strategy.matrix` consumes: `include`,
    /// one entry per part with its id, kind, target, runner and the plan's
    /// digest (so each job can check it was handed the right plan).
    pub fn github_matrix(&self, digest: &str) -> serde_json::Value {
        let include: Vec<serde_json::Value> = self
            .parts
            .iter()
            .map(|p| {
                serde_json::json!({
                    "part": p.id,
                    "kind": p.kind.id(),
                    "target": p.target.clone().unwrap_or_default(),
                    "runs-on": p.runs_on,
                    "tests": p.tests,
                    "plan-digest": digest,
                })
            })
            .collect();
        serde_json::json!({ "include": include })
    }

    /// The plan in words.
    pub fn describe_text(&self, digest: &str) -> String {
        let mut out = format!(
            "plan        {digest}\ncommit      {}\nrelease     {} {}\ninvocation  {}\ncontract    {} (sha256 {})\nparts:\n",
            self.commit,
            self.package,
            self.version,
            self.invocation_id,
            self.contract.origin,
            self.contract.sha256
        );
        for p in &self.parts {
            out.push_str(&format!(
                "  {:<40} {:<7} {:<28} on {:<18} tests {}  {}\n",
                p.id,
                p.kind.id(),
                p.target.as_deref().unwrap_or("-"),
                p.runs_on,
                if p.tests { "run" } else { "not run" },
                p.packages.join(", ")
            ));
        }
        out
    }
}

/// `predicateType` of a signed part manifest.
pub const PART_PREDICATE: &str = "https://relgate.dev/release-part/v1";

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// A compat part's results: a workspace `compat_report.json` of its members.
pub const COMPAT_RESULTS: &str = "compat.json";

/// The file name of a part's signed manifest (a DSSE envelope, one line).
pub const PART_MANIFEST: &str = "part.intoto.jsonl";

/// A part's manifest: an in-toto Statement whose subjects are the part's
/// files and whose predicate binds them to the plan, the part and the runner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PartStatement {
    /// [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub kind: String,
    /// Every file of the part but the manifest itself.
    pub subject: Vec<PartSubject>,
    /// [`PART_PREDICATE`].
    pub predicate_type: String,
    /// What the part is.
    pub predicate: PartPredicate,
}

/// One file of a part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartSubject {
    /// Its file name in the part directory.
    pub name: String,
    /// `{"sha256": hex}`.
    pub digest: std::collections::BTreeMap<String, String>,
}

/// The part manifest's predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PartPredicate {
    /// The plan's digest (`sha256:` of plan.json).
    pub plan: String,
    /// The part's id in the plan.
    pub part: String,
    /// Its kind.
    pub kind: PartKind,
    /// The commit it was built from.
    pub commit: String,
    /// The release's invocation id (the plan's).
    pub invocation_id: String,
    /// The target it built (build parts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The packages it built or compared.
    pub packages: Vec<String>,
    /// The machine it ran on.
    pub runner: Runner,
    /// That machine's toolchain.
    pub toolchain: ToolchainRef,
    /// What became of the tests.
    pub tests: PartTests,
    /// relgate's version on the runner.
    pub relgate_version: String,
    /// Each executable it built against its SBOM (cargo-auditable's list),
    /// by its name in the part.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<crate::gate::facts::BinaryFact>,
    /// When the part started and finished (RFC 3339, the injected clock).
    pub started_on: String,
    /// See `started_on`.
    pub finished_on: String,
}

/// The runner a part ran on, as the CI says (GitHub's `RUNNER_*`), and its host triple.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Runner {
    /// rustc's host triple on the runner.
    pub host: String,
    /// `RUNNER_NAME`, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `RUNNER_OS`, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// `RUNNER_ARCH`, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
}

/// What became of a part's tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestStatus {
    /// The tests ran on this runner and passed.
    Passed,
    /// They ran and at least one failed (or the command failed).
    Failed,
    /// They ran but no result could be read.
    Inconclusive,
    /// This runner cannot run the target: not run, never "passed".
    NotRun,
    /// The contract does not run tests (`run-tests = false`).
    NotRequired,
}

impl TestStatus {
    /// Every status.
    pub const ALL: [TestStatus; 5] = [
        TestStatus::Passed,
        TestStatus::Failed,
        TestStatus::Inconclusive,
        TestStatus::NotRun,
        TestStatus::NotRequired,
    ];
    /// The status as written.
    pub fn id(self) -> &'static str {
        match self {
            TestStatus::Passed => "passed",
            TestStatus::Failed => "failed",
            TestStatus::Inconclusive => "inconclusive",
            TestStatus::NotRun => "not-run",
            TestStatus::NotRequired => "not-required",
        }
    }
    /// What it means.
    pub fn explain(self) -> &'static str {
        match self {
            TestStatus::Passed => "the tests ran on the part's runner and passed",
            TestStatus::Failed => {
                "the tests ran on the part's runner and failed (or the command exited non-zero)"
            }
            TestStatus::Inconclusive => "the test command ran but printed no libtest result line",
            TestStatus::NotRun => {
                "the part's runner cannot execute its target, so the tests were not run there"
            }
            TestStatus::NotRequired => "no tests are asked of this part: the contract does not run them (`[release] run-tests = false`), or it is a compat part",
        }
    }
}

/// A part's tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PartTests {
    /// What became of them.
    pub status: TestStatus,
    /// Passed, failed and ignored counts (0 when not run).
    pub passed: u64,
    /// See `passed`.
    pub failed: u64,
    /// See `passed`.
    pub ignored: u64,
    /// Why, when not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl PartStatement {
    /// The Statement's bytes, as signed.
    pub fn render(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses a part Statement strictly and checks its types.
    pub fn parse(bytes: &[u8]) -> std::result::Result<PartStatement, String> {
        let s: PartStatement = crate::emit::strict_json::from_slice(bytes)?;
        if s.kind != STATEMENT_TYPE || s.predicate_type != PART_PREDICATE {
            return Err(format!(
                "not a relgate part manifest (_type {}, predicateType {})",
                s.kind, s.predicate_type
            ));
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs<'a>(shipped: &'a [String]) -> Inputs<'a> {
        Inputs {
            commit: "0123456789abcdef0123456789abcdef01234567",
            package: ("app", "1.2.0"),
            invocation_id: "inv-1",
            contract: ("relgate.toml", "ab"),
            toolchain: ("1.95.0", "x86_64-unknown-linux-gnu"),
            shipped,
            libraries: vec!["c".into(), "a".into(), "b".into()],
        }
    }

    #[test]
    fn one_build_part_per_target_and_dealt_compat_shards() {
        let shipped = vec!["app".to_owned(), "tool".to_owned()];
        let split = Split {
            targets: vec![
                "x86_64-unknown-linux-gnu".into(),
                "aarch64-apple-darwin".into(),
                "riscv64gc-unknown-linux-gnu".into(),
                "x86_64-unknown-linux-gnu".into(),
            ],
            compat_shards: 2,
            ..Split::default()
        };
        let p = plan(&inputs(&shipped), &split).unwrap();
        let ids: Vec<&str> = p.parts.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "build-x86_64-unknown-linux-gnu",
                "build-aarch64-apple-darwin",
                "build-riscv64gc-unknown-linux-gnu",
                "compat-1-of-2",
                "compat-2-of-2"
            ]
        );
        assert_eq!(p.parts[0].packages, ["app", "tool"]);
        assert_eq!(
            (p.parts[1].runs_on.as_str(), p.parts[1].tests),
            ("macos-latest", true)
        );
        // Unknown to the table: a cross build whose tests are not run.
        assert_eq!(
            (p.parts[2].runs_on.as_str(), p.parts[2].tests),
            ("ubuntu-latest", false)
        );
        assert_eq!(p.parts[3].packages, ["a", "c"]);
        assert_eq!(p.parts[4].packages, ["b"]);
        // Round trip, byte for byte.
        let bytes = p.render();
        assert_eq!(PartsPlan::parse(&bytes).unwrap(), p);
        assert_eq!(PartsPlan::parse(&bytes).unwrap().render(), bytes);
    }

    #[test]
    fn per_package_parts_and_runner_overrides() {
        let shipped = vec!["app".to_owned(), "tool".to_owned()];
        let split = Split {
            per_package: true,
            runs_on: vec![("x86_64-unknown-linux-gnu".into(), "self-hosted".into())],
            ..Split::default()
        };
        let p = plan(&inputs(&shipped), &split).unwrap();
        let ids: Vec<&str> = p.parts.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "build-x86_64-unknown-linux-gnu-app",
                "build-x86_64-unknown-linux-gnu-tool"
            ]
        );
        assert!(p.parts.iter().all(|p| p.runs_on == "self-hosted" && p.tests));
    }

    #[test]
    fn refuses_what_cannot_be_planned() {
        let shipped = vec!["app".to_owned()];
        let none: Vec<String> = Vec::new();
        assert!(plan(&inputs(&none), &Split::default()).is_err());
        for split in [
            Split {
                targets: vec!["../etc".into()],
                ..Split::default()
            },
            Split {
                compat_shards: 4,
                ..Split::default()
            },
            Split {
                runs_on: vec![("aarch64-apple-darwin".into(), "mac".into())],
                ..Split::default()
            },
        ] {
            assert!(plan(&inputs(&shipped), &split).is_err(), "{split:?}");
        }
    }

    /// The kinds are part of the plan file and the matrix: renaming one
    /// breaks every workflow that reads them.
    #[test]
    fn part_kinds_are_frozen_and_explained() {
        let ids: Vec<&str> = PartKind::ALL.iter().map(|k| k.id()).collect();
        assert_eq!(ids.join(" "), "build compat");
        for k in PartKind::ALL {
            assert!(!k.explain().is_empty());
            let wire = serde_json::to_value(k).unwrap();
            assert_eq!(wire, k.id(), "serde and id() agree");
        }
    }

    /// Test statuses are part of every part manifest: frozen.
    #[test]
    fn test_statuses_are_frozen_and_explained() {
        let ids: Vec<&str> = TestStatus::ALL.iter().map(|s| s.id()).collect();
        assert_eq!(ids.join(" "), "passed failed inconclusive not-run not-required");
        for s in TestStatus::ALL {
            assert!(!s.explain().is_empty());
            assert_eq!(serde_json::to_value(s).unwrap(), s.id(), "serde and id() agree");
        }
    }

    #[test]
    fn parse_refuses_tampered_plans() {
        let shipped = vec!["app".to_owned()];
        let good = String::from_utf8(plan(&inputs(&shipped), &Split::default()).unwrap().render()).unwrap();
        let cases = [
            good.replacen("\"commit\"", "\"commit\": \"x\",\n  \"commit\"", 1),
            good.replacen("\"package\"", "\"extra\": 1,\n  \"package\"", 1),
            good.replacen("build-x86_64-unknown-linux-gnu", "../x", 1),
            good.replacen(PLAN_TYPE, "https://example.com/other", 1),
            good.replacen("0123456789abcdef0123456789abcdef01234567", "HEAD", 1),
            good.replacen("\"kind\": \"build\"", "\"kind\": \"deploy\"", 1),
        ];
        for bad in cases {
            assert_ne!(bad, good);
            assert!(PartsPlan::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(PartsPlan::parse(good.as_bytes()).is_ok());
    }
}
