//! `relgate release` as a library call: the whole pipeline, preflight to
//! ledger, behind one builder ([`Release`]) that `xtask` and the CLI share.
//!
//! ```text
//! preflight → collect → build → test → sbom → schema lock → compat → metrics
//!           → gate → report → traces → checksums → sign → write (atomic) → ledger
//! ```
//!
//! [`Release::plan`] is preflight as one value ([`ReleasePlan`], `plan.rs`,
//! printed by `relgate release --plan`); [`Release::run`] executes it stage
//! by stage ([`Stage`], `stage.rs`) over the one borrowed plan, which holds
//! the release directory's and the ledger's locks throughout. Each stage
//! has its own module (those that need preflight's decisions take
//! `&ReleasePlan`): `artifacts.rs` (build), `testing.rs`, `sboms.rs`,
//! `schemas.rs`, `compat.rs` (every library member against its own
//! baseline), `metrics.rs`, `verdict.rs` (the gate and gate.json),
//! `reporting.rs` (report.md and traces.ndjson; with an advisory database,
//! the VEX documents from `emit/vex.rs` are written beside them), `sign.rs`
//! (checksums, the provenance and the gate's signed verdict in one bundle,
//! and the Sigstore bundle), `commit.rs`
//! (write and ledger, together). The facts builders are in `gate/build.rs`,
//! report.md's view-model in `emit/report.rs`; `staged.rs` holds the files
//! hashed once, `ledger_guard.rs` the locked, recovered, verified ledger,
//! and `regate.rs` `relgate gate --dir`.
//!
//! Compat (rustdoc) runs on its own thread beside collect, build and tests:
//! it depends on none of them. `cargo metadata` starts before preflight, on
//! its own thread; git, `rustc -vV` and the members (`cargo metadata
//! --no-deps`) are read once, at preflight, and reused by collect and
//! compat. Every file is hashed once, when it is staged; the facts,
//! `checksums.txt` and the signed subjects all read that digest.
//!
//! A failed gate signs nothing and leaves the previous release directory (or
//! none); its unsigned report goes to `<out>.rejected/`. Errors (exit 2) write
//! nothing at all. Progress is reported through a callback; the library
//! never prints.

use std::path::PathBuf;

use crate::collect::inputs::KeySource;
use crate::collect::{self, Env};
use crate::config::Scope;
use crate::emit::traces::AttrValue;
use crate::error::{Error, Result};
use crate::gate::facts::*;
use crate::provenance::ledger;
use crate::write;

mod artifacts;
mod commit;
mod compat;
pub mod ledger_guard;
mod merge;
mod metrics;
mod part;
pub mod parts;
mod plan;
mod regate;
mod reporting;
mod sboms;
mod schemas;
mod sign;
mod stage;
mod staged;
mod testing;
mod verdict;

pub use crate::emit::report::context as report_context;
use crate::emit::traces::mark_gate;
use crate::gate::build::*;
use compat::merge_compat;
pub(crate) use merge::{embedded_parts_check, part_id_of};
pub use merge::{MergeOutcome, PartProblem, ProblemKind, PARTS_COMPLETE};
pub use part::PartOutcome;
pub use plan::ReleasePlan;

/// A plan prepared before the stages run (a merge prepares before it
/// verifies its parts), with when that preflight began.
pub(super) struct Prepared {
    pub(super) plan: ReleasePlan,
    /// [`Env::now_nanos`] when preflight began.
    pub(super) started_nanos: u128,
    /// [`Env::now`] when preflight began (the provenance's `startedOn`).
    pub(super) started_on: i64,
}
pub use regate::{append_summary, regate, Regate, RegateOptions};
use schemas::*;
pub use schemas::{schema_status, validate};
use stage::*;
pub use stage::{Progress, Stage, STAGES};
use staged::*;
pub use staged::{rejected_dir, RESERVED};

/// The public example key pair shipped in `keys-example/`.
pub const EXAMPLE_KEY_PEM: &str = include_str!("../../keys-example/example.key");

/// What `relgate release` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Release {
    manifest_path: Option<PathBuf>,
    out: PathBuf,
    key: Option<KeySource>,
    dry_run: bool,
    contract: Option<PathBuf>,
    baseline: Option<String>,
    advisory_db: Option<PathBuf>,
    artifacts: Vec<PathBuf>,
    no_build: bool,
    allow_dirty: bool,
    ledger: Option<PathBuf>,
    ledger_keys: Vec<PathBuf>,
    wait_lock: std::time::Duration,
    on_wait: Option<fn(&std::path::Path)>,
    invocation_id: Option<String>,
    /// Set by `release merge`: what the parts brought.
    merged: Option<std::sync::Arc<merge::FromParts>>,
}

/// What a release run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The gate's verdict.
    pub verdict: crate::gate::Verdict,
    /// Released (`<out>`) or rejected (`<out>.rejected`).
    pub released: bool,
    /// The directory written.
    pub dir: PathBuf,
    /// Package and version.
    pub package: String,
    /// Version.
    pub version: String,
    /// Invocation id.
    pub invocation_id: String,
    /// Files written, with their sha256.
    pub files: Vec<(String, String)>,
    /// The ledger line appended, if any.
    pub ledger_entry: Option<String>,
    /// The ledger file.
    pub ledger_path: PathBuf,
    /// keyid that signed (when released).
    pub keyid: Option<String>,
    /// Warnings.
    pub warnings: Vec<String>,
}

impl Outcome {
    /// `relgate release --format json`'s document.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "released": self.released,
            "result": self.verdict.result,
            "dir": self.dir,
            "package": self.package,
            "version": self.version,
            "invocation_id": self.invocation_id,
            "failed_rules": self.verdict.failed_rules(),
            "files": self.files.iter().map(|(n, d)| serde_json::json!({"name": n, "sha256": d})).collect::<Vec<_>>(),
            "keyid": self.keyid,
            "ledger": self.ledger_entry.as_ref().map(|_| self.ledger_path.clone()),
        })
    }
}

impl Release {
    /// A release into `out`.
    pub fn new(out: impl Into<PathBuf>) -> Release {
        Release {
            out: out.into(),
            ..Release::default()
        }
    }
    /// Replaces the output directory.
    pub fn out(mut self, out: impl Into<PathBuf>) -> Self {
        self.out = out.into();
        self
    }
    /// The workspace's root `Cargo.toml` (default `./Cargo.toml`).
    pub fn manifest_path(mut self, p: impl Into<PathBuf>) -> Self {
        self.manifest_path = Some(p.into());
        self
    }
    /// The signing key.
    pub fn key(mut self, k: KeySource) -> Self {
        self.key = Some(k);
        self
    }
    /// A dry run: the example key is allowed (and used when no key is
    /// given), and the ledger is not written.
    pub fn dry_run(mut self, yes: bool) -> Self {
        self.dry_run = yes;
        self
    }
    /// The contract file (default: relgate.toml or Cargo.toml metadata).
    pub fn contract(mut self, p: impl Into<PathBuf>) -> Self {
        self.contract = Some(p.into());
        self
    }
    /// The compat baseline spec (`git:REF`, `path:DIR`, `registry:V`, `rustdoc:FILE`, `none`).
    pub fn baseline(mut self, spec: impl Into<String>) -> Self {
        self.baseline = Some(spec.into());
        self
    }
    /// The local RustSec advisory database (overrides `[advisories] db`).
    pub fn advisory_db(mut self, path: impl Into<PathBuf>) -> Self {
        self.advisory_db = Some(path.into());
        self
    }
    /// An extra artifact to release (a built file).
    pub fn artifact(mut self, p: impl Into<PathBuf>) -> Self {
        self.artifacts.push(p.into());
        self
    }
    /// Skip `cargo build`: release the given artifacts (or none) and the evidence.
    pub fn no_build(mut self, yes: bool) -> Self {
        self.no_build = yes;
        self
    }
    /// Allow uncommitted changes.
    pub fn allow_dirty(mut self, yes: bool) -> Self {
        self.allow_dirty = yes;
        self
    }
    /// The ledger file (default from the contract, `release-ledger.jsonl`).
    pub fn ledger(mut self, p: impl Into<PathBuf>) -> Self {
        self.ledger = Some(p.into());
        self
    }
    /// Another public key the ledger may be signed with (besides the release key).
    pub fn ledger_key(mut self, p: impl Into<PathBuf>) -> Self {
        self.ledger_keys.push(p.into());
        self
    }
    /// How long to wait for another relgate writing the same directory or
    /// ledger (default: fail at once).
    pub fn wait_lock(mut self, wait: std::time::Duration) -> Self {
        self.wait_lock = wait;
        self
    }
    /// Called once when the release has to wait for a lock (the library
    /// never prints; the CLI says what it is waiting for).
    pub fn on_wait(mut self, notice: fn(&std::path::Path)) -> Self {
        self.on_wait = Some(notice);
        self
    }
    /// The invocation id (default: `RELGATE_INVOCATION_ID`, else a random UUID).
    pub fn invocation_id(mut self, id: impl Into<String>) -> Self {
        self.invocation_id = Some(id.into());
        self
    }

    /// Runs the pipeline.
    pub fn run(&self, env: &dyn Env, progress: &mut dyn FnMut(Progress)) -> Result<Outcome> {
        let manifest = collect::manifest_or_cwd(self.manifest_path.as_deref())?;
        std::thread::scope(|s| {
            // cargo metadata, the longest read, starts now and overlaps preflight.
            let prefetch = s.spawn(|| collect::prefetch_metadata(&manifest, env));
            self.run_stages(env, progress, prefetch, None)
        })
    }

    /// The stages, over `prepared` (a merge's plan, prepared before it read
    /// its parts, with the times it started) or a plan prepared now with
    /// every lock.
    fn run_stages(
        &self,
        env: &dyn Env,
        progress: &mut dyn FnMut(Progress),
        prefetch: std::thread::ScopedJoinHandle<'_, collect::Prefetched>,
        prepared: Option<Prepared>,
    ) -> Result<Outcome> {
        // The provenance's times both come from the injected clock; a
        // merge's run began when its preflight did.
        let (run_start, started_on) = match &prepared {
            Some(p) => (p.started_nanos, p.started_on),
            None => (env.now_nanos(), env.now()),
        };
        let mut clock = Clock {
            env,
            stages: Vec::new(),
            progress,
            current: None,
        };
        let mut warnings = Vec::new();

        // ── preflight ────────────────────────────────────────────────
        clock.started_at(Stage::Preflight, run_start);
        let plan = match prepared {
            Some(p) => p.plan,
            None => self.prepare(env, plan::Locks::OutAndLedger)?,
        };
        let plan = &plan;
        if let Some(m) = &self.merged {
            m.check_commit(plan)?;
        }
        warnings.extend(plan.warnings.iter().cloned());
        let contract = &plan.contract;
        let git = plan.git.as_ref();

        std::thread::scope(|scope| -> Result<Outcome> {
            // The validators of relgate's own artifacts compile while
            // `cargo metadata` runs, not after it.
            scope.spawn(schemas::warm);
            let compat_job = scope.spawn(|| match self.merged.as_ref().and_then(|m| m.compat.clone()) {
                Some(shards) => Ok(compat::from_parts(plan, shards)),
                None => compat::members(plan, env),
            });
            // ── collect ──────────────────────────────────────────────────
            clock.start(Stage::Collect);
            let wanted = Scope {
                manifest_path: Some(plan.manifest.clone()),
                packages: plan.shipped.clone(),
                ..Scope::default()
            };
            // git and rustc were read once, at preflight; cargo metadata
            // has been running since the start, joined inside gather.
            let known = (plan.git.clone(), plan.toolchain.clone(), plan.host_cfg.clone());
            let mut prefetch = Some(prefetch);
            let mut prefetched = || prefetch.take().and_then(|h| h.join().ok());
            let facts = collect::gather_with_git(&wanted, env, known, &mut prefetched)?;
            let pkg = release_package(&facts, contract)?;
            // With an advisory database, cargo's index cache is read for the
            // crates.io packages beside the build, tests and SBOM.
            let yank_job = plan.advisories.is_some().then(|| {
                let crates = crates_io(&facts);
                scope.spawn(move || {
                    collect::index_cache::states(env, crates.iter().map(|(n, v)| (n.as_str(), v.as_str())))
                })
            });

            // ── build ────────────────────────────────────────────────────
            clock.start(Stage::Build);
            let built = match &self.merged {
                Some(m) => m.built()?,
                None => artifacts::build(plan, self.no_build, &self.artifacts, env)?,
            };
            let (names, build_seconds, embedded) = (built.names, built.seconds, built.embedded);
            clock.finish(vec![
                ("release.build.skipped".into(), AttrValue::Bool(self.no_build)),
                (
                    "release.artifact.count".into(),
                    AttrValue::Int(names.len() as i64),
                ),
            ]);

            // ── test ─────────────────────────────────────────────────────
            clock.start(Stage::Test);
            let tests = match &self.merged {
                Some(m) => m.tests.clone(),
                None => testing::run(plan),
            };
            clock.finish(vec![
                ("cicd.pipeline.task.type".into(), AttrValue::Str("test".into())),
                ("release.tests.passed".into(), AttrValue::Int(tests.passed as i64)),
                ("release.tests.failed".into(), AttrValue::Int(tests.failed as i64)),
            ]);

            // ── sbom ─────────────────────────────────────────────────────
            clock.start(Stage::Sbom);
            let sboms::Sboms {
                cdx,
                spdx,
                canonical: canonical_sbom,
                packages,
                fact: sbom_fact,
                profile: sbom_profile,
                spdx3,
            } = sboms::render(
                &facts,
                &plan.contract.sbom,
                sboms::Shipped {
                    names: &names,
                    embedded: &embedded,
                },
            )?;

            // ── schema lock ──────────────────────────────────────────────
            clock.start(Stage::SchemaLock);
            let schema_lock = schema_lock_fact(plan)?;

            // ── compat ───────────────────────────────────────────────────
            clock.start(Stage::Compat);
            let release_compat = compat_job
                .join()
                .unwrap_or_else(|_| Err(Error::Inconsistent("the compat thread panicked".into())))?;
            let merged = merge_compat(release_compat, &pkg.name, &schema_lock)?;
            let compat_canonical = merged.canonical()?;
            let (report, compat, compat_json, compat_note) =
                (merged.report, merged.fact, merged.json, merged.note);
            let previous_version = report.as_ref().map(|r| r.old_version.clone());

            // ── metrics ──────────────────────────────────────────────────
            clock.start(Stage::Metrics);
            let mut files = self.evidence(&names, [cdx, spdx], spdx3, compat_json.as_ref())?;
            let artifacts = artifact_facts(&files);
            let release_fact = ReleaseFact {
                id: plan.invocation_id.clone(),
                package: pkg.name.clone(),
                version: pkg.version.clone(),
                previous_version,
                commit: git.map(|g| g.commit.clone()),
                tag: git.and_then(|g| g.tag.clone()),
                dry_run: self.dry_run,
            };
            let rendered = metrics::render(&metrics::Inputs {
                artifacts: &artifacts,
                sbom: &sbom_fact,
                compat_changes: compat.changes.len(),
                tests: &tests,
                build_seconds: (!self.no_build).then_some(build_seconds),
                stages: &clock.stages,
                release: crate::emit::metrics::ReleaseRef {
                    id: plan.invocation_id.clone(),
                    version: pkg.version.clone(),
                    commit: release_fact.commit.clone(),
                },
                usage: collect::release::usage(),
            })?;
            let metrics::Rendered {
                json: metrics_json,
                prom: metrics_prom,
                facts: metric_facts,
            } = rendered.0;
            let mut canonical = canonical_sbom;
            canonical.push(rendered.1);
            canonical.extend(compat_canonical);

            // ── gate ─────────────────────────────────────────────────────
            clock.start(Stage::Gate);
            let advisories = plan
                .advisories
                .as_ref()
                .map(|(shown, db)| {
                    let yanks = yank_job.map(|j| j.join().unwrap_or_default()).unwrap_or_default();
                    crate::analyze::advisories::facts(db, shown, &packages, &yanks)
                })
                .unwrap_or_default();
            // A merge's binaries were checked by their parts, against each
            // target's own SBOM.
            let binaries = match &self.merged {
                Some(m) => m.binaries.clone(),
                None => embedded
                    .iter()
                    .filter_map(|(name, e)| crate::analyze::binary::check(&facts, name, e))
                    .collect(),
            };
            let gate_facts = Facts {
                advisories,
                binaries,
                sbom_profile,
                release: release_fact.clone(),
                packages,
                artifacts: artifacts.clone(),
                compat: compat.clone(),
                sbom: sbom_fact.clone(),
                metrics: metric_facts,
                previous_metrics: plan.previous_metrics.clone(),
                tests: TestsFact {
                    required: contract.release.run_tests,
                    ..tests
                },
                ledger: ledger_fact(&plan.ledger, None),
                schema_lock: schema_lock.clone(),
                canonical,
                provenance: None,
                now: crate::emit::rfc3339(env.now())?,
            };
            let (verdict, gate_json) = verdict::decide(plan, &gate_facts)?;
            clock.finish(vec![(
                "release.gate.result".into(),
                AttrValue::Str(verdict.result.clone()),
            )]);

            // ── report ───────────────────────────────────────────────────
            clock.start(Stage::Report);
            let part_rows = self.merged.as_ref().map(|m| m.rows.clone()).unwrap_or_default();
            let report_md = reporting::report_md(plan, &gate_facts, &verdict, compat_note, part_rows)?;
            reporting::vex(&gate_facts, &verdict, &mut files)?;
            for (name, bytes) in [
                ("metrics.json", metrics_json),
                ("metrics.prom", metrics_prom),
                ("gate.json", gate_json),
                ("report.md", report_md),
            ] {
                files.push(Staged::new(name, write::Content::Bytes(bytes), false)?);
            }
            clock.finish(Vec::new());
            let passed = verdict.passed();
            let trace = reporting::trace(
                plan,
                release_fact.commit.clone(),
                &pkg.version,
                mark_gate(clock.stages.clone(), &verdict),
                passed,
                (run_start, env.now_nanos()),
            );
            files.push(Staged::new("traces.ndjson", write::Content::Bytes(trace), false)?);

            let decided = Decided {
                files,
                verdict,
                package: pkg,
                commit: release_fact.commit,
                warnings,
            };
            match passed {
                true => self.sign_and_commit(plan, &mut clock, decided, &facts, started_on),
                false => self.reject(plan, &mut clock, decided, &names),
            }
        })
    }
}

/// What the stages decided, to be signed and written, or rejected.
struct Decided {
    files: Vec<Staged>,
    verdict: crate::gate::Verdict,
    package: PackageRef,
    commit: Option<String>,
    warnings: Vec<String>,
}

impl Release {
    /// The evidence files a release ships: the SBOMs, the compatibility
    /// report and, for a merge, the parts' files (hashed when their part
    /// was verified).
    fn evidence(
        &self,
        names: &std::collections::BTreeMap<String, PathBuf>,
        [cdx, spdx]: [Vec<u8>; 2],
        spdx3: Option<Vec<u8>>,
        compat_json: Option<&Vec<u8>>,
    ) -> Result<Vec<Staged>> {
        let mut files = match &self.merged {
            Some(m) => {
                let mut f = m.staged()?;
                f.extend(staged::evidence(&Default::default(), cdx, spdx, compat_json)?);
                f
            }
            None => staged::evidence(names, cdx, spdx, compat_json)?,
        };
        if let Some(doc) = spdx3 {
            files.push(Staged::new("sbom.spdx3.json", write::Content::Bytes(doc), false)?);
        }
        Ok(files)
    }

    /// A failed gate: the evidence (not the built files) goes to
    /// `<out>.rejected/`, unsigned; nothing else is touched.
    fn reject(
        &self,
        plan: &ReleasePlan,
        clock: &mut Clock<'_>,
        decided: Decided,
        names: &std::collections::BTreeMap<String, PathBuf>,
    ) -> Result<Outcome> {
        clock.start(Stage::Write);
        let kept: Vec<Staged> = decided
            .files
            .into_iter()
            .filter(|f| !names.contains_key(&f.entry.name))
            .collect();
        let digests = Staged::digests(&kept);
        write::release_dir(&plan.rejected, &Staged::entries(kept))?;
        clock.finish(Vec::new());
        Ok(Outcome {
            verdict: decided.verdict,
            released: false,
            dir: plan.rejected.clone(),
            package: decided.package.name,
            version: decided.package.version,
            invocation_id: plan.invocation_id.clone(),
            files: digests,
            ledger_entry: None,
            ledger_path: plan.ledger_path.clone(),
            keyid: None,
            warnings: decided.warnings,
        })
    }

    /// A passed gate: the sign, write and ledger stages.
    fn sign_and_commit(
        &self,
        plan: &ReleasePlan,
        clock: &mut Clock<'_>,
        decided: Decided,
        facts: &crate::facts::ReleaseFacts,
        started_on: i64,
    ) -> Result<Outcome> {
        let env = clock.env;
        let Decided {
            mut files,
            verdict,
            package: pkg,
            commit,
            warnings,
        } = decided;
        // ── sign ─────────────────────────────────────────────────────
        clock.start(Stage::Sign);
        let inputs = collect::provenance_inputs_from(&plan.manifest, facts, plan.origin.clone())?;
        let (mut digests, provenance_sha256) = sign::sign(
            &mut files,
            &sign::Signing {
                contract: &plan.contract,
                inputs: &inputs,
                invocation_id: &plan.invocation_id,
                commit: commit.clone(),
                key: &plan.key,
                started_on,
                finished_on: env.now(),
                parts: self.merged.as_ref().map(|m| m.manifests()).unwrap_or_default(),
                verdict: sign::Verdict {
                    package: (&pkg.name, &pkg.version),
                    passed: true,
                    time: verdict.now.clone(),
                    lock: plan.lock_sha256.clone().map(|sha| (plan.lock_rel.clone(), sha)),
                },
            },
        )?;

        // ── write ────────────────────────────────────────────────────
        clock.start(Stage::Write);
        let entry = commit::Entry {
            path: &plan.ledger_path,
            text: &plan.ledger_text,
            release: ledger::NewRelease {
                version: pkg.version.clone(),
                commit,
                invocation_id: plan.invocation_id.clone(),
                provenance_sha256,
                time: crate::emit::rfc3339(env.now())?,
            },
            key: &plan.key,
        };
        let entry = (!self.dry_run).then_some(entry);
        let ledger_entry = commit::write_dir(&plan.out, &plan.rejected, files, entry.as_ref(), env)?;

        // ── ledger ───────────────────────────────────────────────────
        clock.start(Stage::Ledger);
        if let (Some(e), Some(line)) = (&entry, &ledger_entry) {
            commit::append(e, line, env)?;
        }
        clock.finish(Vec::new());
        digests.sort();
        Ok(Outcome {
            verdict,
            released: true,
            dir: plan.out.clone(),
            package: pkg.name,
            version: pkg.version,
            invocation_id: plan.invocation_id.clone(),
            files: digests,
            ledger_entry,
            ledger_path: plan.ledger_path.clone(),
            keyid: Some(plan.key.keyid().to_owned()),
            warnings,
        })
    }
}

/// The crates.io packages of the facts, by name and version (their yank
/// state is read from cargo's index cache).
fn crates_io(facts: &crate::facts::ReleaseFacts) -> Vec<(String, String)> {
    facts
        .packages
        .keys()
        .filter(|id| {
            matches!(
                id.source,
                crate::facts::Source::Registry {
                    index: crate::facts::RegistryIndex::CratesIo
                }
            )
        })
        .map(|id| (id.name.clone(), id.version.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::contract::Contract;

    /// Facts of a small release with one failing and one waived rule.
    fn facts() -> Facts {
        Facts {
            release: ReleaseFact {
                id: "urn:uuid:00000000-0000-4000-8000-000000000001".into(),
                package: "demo".into(),
                version: "1.1.0".into(),
                previous_version: Some("1.0.0".into()),
                commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
                tag: Some("v1.1.0".into()),
                dry_run: false,
            },
            packages: vec![
                PackageFact {
                    name: "demo".into(),
                    version: "1.1.0".into(),
                    license: "MIT".into(),
                    source_kind: "path".into(),
                    kind: "normal".into(),
                    workspace_member: true,
                    ..Default::default()
                },
                PackageFact {
                    name: "itoa".into(),
                    version: "1.0.15".into(),
                    license: "MIT OR Apache-2.0".into(),
                    source_kind: "registry".into(),
                    kind: "normal".into(),
                    ..Default::default()
                },
                PackageFact {
                    name: "gplish".into(),
                    version: "0.3.0".into(),
                    license: "GPL-3.0-only".into(),
                    source_kind: "registry".into(),
                    kind: "normal".into(),
                    ..Default::default()
                },
            ],
            artifacts: vec![ArtifactFact {
                name: "demo".into(),
                kind: "binary".into(),
                size_bytes: 4096,
                sha256: "ab".repeat(32),
            }],
            compat: CompatFact {
                ran: true,
                baseline: Some("git:v1.0.0".into()),
                required_bump: "minor".into(),
                declared_bump: "minor".into(),
                sufficient: true,
                next_version_at_least: Some("1.1.0".into()),
                changes: vec![CompatChangeFact {
                    path: "demo::add".into(),
                    kind: "function-added".into(),
                    class: "minor".into(),
                    detail: "new public function".into(),
                }],
                members: vec![
                    crate::gate::facts::CompatMemberFact {
                        package: "demo".into(),
                        version: "1.1.0".into(),
                        status: crate::gate::facts::MemberStatus::Compared,
                        baseline: Some("git:v1.0.0".into()),
                        previous_version: Some("1.0.0".into()),
                        required_bump: Some("minor".into()),
                        declared_bump: Some("minor".into()),
                        sufficient: true,
                        next_version_at_least: Some("1.1.0".into()),
                        changes: 1,
                        reason: None,
                    },
                    crate::gate::facts::CompatMemberFact {
                        package: "demo-macros".into(),
                        version: "0.1.0".into(),
                        status: crate::gate::facts::MemberStatus::FirstRelease,
                        reason: Some("first release of demo-macros: no git tag names an earlier version and crates.io has no version below 0.1.0".into()),
                        ..Default::default()
                    },
                ],
                skipped: vec![crate::gate::facts::CompatSkippedFact {
                    package: "demo-xtask".into(),
                    reason: "publish = false".into(),
                }],
            },
            sbom: SbomFact {
                components: 3,
                by_source_kind: [("path".to_owned(), 1), ("registry".to_owned(), 2)].into(),
                licenses: [
                    ("MIT".to_owned(), 1),
                    ("MIT OR Apache-2.0".to_owned(), 1),
                    ("GPL-3.0-only".to_owned(), 1),
                ]
                .into(),
                unlicensed: Vec::new(),
                cyclonedx_version: "1.6".into(),
            },
            metrics: vec![MetricFact {
                name: "release.artifact.size".into(),
                unit: "By".into(),
                value: 4096.0,
                attributes: [("artifact".to_owned(), "demo".to_owned())].into(),
            }],
            tests: TestsFact {
                required: true,
                ran: true,
                conclusive: true,
                passed: 12,
                ignored: 1,
                command: vec!["cargo".into(), "test".into()],
                exit_code: Some(0),
                ..Default::default()
            },
            schema_lock: SchemaLockFact {
                status: "ok".into(),
                lock: "schemas.lock".into(),
                schemas: vec!["relgate:metrics".into()],
                drift: Vec::new(),
            },
            now: "2026-11-22T10:00:00Z".into(),
            ..Default::default()
        }
    }

    const CONTRACT: &str = r#"
[invariants.license-allowlist]
allow = ["MIT", "Apache-2.0"]

[invariants.performance-budget]
max-artifact-bytes = 1000

[[waiver]]
rule = "license-allowlist"
match = 'it.name == "gplish"'
reason = "dual-licensed commercially (LEGAL-7)"
until = "2026-12-31"
"#;

    #[test]
    fn gate_json_and_report_md_snapshots() {
        let contract = Contract::from_toml(CONTRACT, "relgate.toml").unwrap();
        let compiled = crate::gate::rules::compile(&contract).unwrap();
        let f = facts();
        let verdict = crate::gate::evaluate(&contract, &compiled, &f).unwrap();
        assert!(!verdict.passed());
        let doc = crate::emit::gate::doc(&verdict, &f, &contract);
        let gate_json = crate::emit::gate::render(&doc);
        assert_eq!(
            validate("relgate:gate", &gate_json).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(crate::emit::gate::parse(&gate_json).unwrap(), doc);
        insta::assert_snapshot!("gate_json", String::from_utf8(gate_json).unwrap());
        let ctx = report_context(
            &f,
            &verdict,
            &contract,
            String::new(),
            "relgate gate --dir dist --key \"$KEY\"".into(),
            crate::emit::report::LedgerRow {
                path: "release-ledger.jsonl".into(),
                head: format!("sha256:{}", "cd".repeat(32)),
                entries: 2,
                seq: 3,
            },
        );
        let md = crate::emit::report::render(crate::emit::report::TEMPLATE, &ctx).unwrap();
        insta::assert_snapshot!("report_md", String::from_utf8(md).unwrap());

        // The same release without the budget passes: the report then
        // carries the verify commands and the ledger entry it becomes.
        let contract =
            Contract::from_toml(&CONTRACT.replace("max-artifact-bytes = 1000", ""), "relgate.toml").unwrap();
        let compiled = crate::gate::rules::compile(&contract).unwrap();
        let verdict = crate::gate::evaluate(&contract, &compiled, &f).unwrap();
        assert!(verdict.passed(), "{verdict:#?}");
        let ctx = report_context(
            &f,
            &verdict,
            &contract,
            String::new(),
            "# from the workspace root\nKEY=/path/to/release-key.pub\nrelgate gate --dir dist --key \"$KEY\""
                .into(),
            crate::emit::report::LedgerRow {
                path: "release-ledger.jsonl".into(),
                head: format!("sha256:{}", "cd".repeat(32)),
                entries: 2,
                seq: 3,
            },
        );
        let md = crate::emit::report::render(crate::emit::report::TEMPLATE, &ctx).unwrap();
        insta::assert_snapshot!("report_md_pass", String::from_utf8(md).unwrap());
    }
}
