//! `relgate release` as a library call: the whole pipeline, preflight to
//! ledger, behind one builder ([`Release`]) that `xtask` and the CLI share.
//!
//! ```text
//! preflight → collect → build → test → sbom → schema lock → compat → metrics
//!           → gate → report → traces → checksums → sign → write (atomic) → ledger
//! ```
//!
//! Compat (rustdoc) and the provenance inputs run on their own threads
//! beside collect, build and tests: neither depends on them. Every file is
//! hashed once, when it is staged; the facts, `checksums.txt` and the
//! signed subjects all read that digest.
//!
//! A failed gate signs nothing and leaves the previous release directory (or
//! none); its unsigned report goes to `<out>.rejected/`. Errors (exit 2) write
//! nothing at all. Progress is reported through a callback; the library
//! never prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::analyze::schema;
use crate::collect::inputs::KeySource;
use crate::collect::rustdoc;
use crate::collect::{self, Env};
use crate::config::contract::Contract;
use crate::config::{CompatOptions, SbomFormat, Scope};
use crate::emit::metrics::{Metric, MetricsDoc};
use crate::emit::traces::{AttrValue, Run, RunResult, Stage};
use crate::error::{Error, Result};
use crate::gate::facts::*;
use crate::provenance::keys::PrivateKey;
use crate::provenance::ledger;
use crate::write;

/// The public example key pair shipped in `keys-example/`.
pub const EXAMPLE_KEY_PEM: &str = include_str!("../keys-example/example.key");

/// What `relgate release` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Release {
    manifest_path: Option<PathBuf>,
    out: PathBuf,
    key: Option<KeySource>,
    dry_run: bool,
    contract: Option<PathBuf>,
    baseline: Option<String>,
    artifacts: Vec<PathBuf>,
    no_build: bool,
    allow_dirty: bool,
    ledger: Option<PathBuf>,
    invocation_id: Option<String>,
}

/// Progress events, for a progress bar or log lines.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// A stage began.
    Started {
        /// Stage name.
        stage: &'static str,
        /// 1-based position.
        index: usize,
        /// Number of stages.
        total: usize,
    },
    /// A stage ended.
    Finished {
        /// Stage name.
        stage: &'static str,
        /// Wall time.
        seconds: f64,
    },
}

/// The stages, in order.
pub const STAGES: [&str; 13] = [
    "preflight",
    "collect",
    "build",
    "test",
    "sbom",
    "schema-lock",
    "compat",
    "metrics",
    "gate",
    "report",
    "sign",
    "write",
    "ledger",
];

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

struct Clock<'a> {
    stages: Vec<Stage>,
    progress: &'a mut dyn FnMut(Progress),
    current: Option<(&'static str, u128)>,
}

fn nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

impl Clock<'_> {
    fn start(&mut self, stage: &'static str) {
        self.finish(Vec::new());
        let index = STAGES.iter().position(|s| *s == stage).unwrap_or(0) + 1;
        (self.progress)(Progress::Started {
            stage,
            index,
            total: STAGES.len(),
        });
        self.current = Some((stage, nanos()));
    }

    fn finish(&mut self, attributes: Vec<(String, AttrValue)>) {
        if let Some((stage, start)) = self.current.take() {
            let end = nanos();
            (self.progress)(Progress::Finished {
                stage,
                seconds: (end - start) as f64 / 1e9,
            });
            self.stages.push(Stage {
                name: stage.into(),
                start_unix_nanos: start,
                end_unix_nanos: end,
                error: None,
                attributes,
                events: Vec::new(),
            });
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(bytes))
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
    /// The invocation id (default: `RELGATE_INVOCATION_ID`, else a random UUID).
    pub fn invocation_id(mut self, id: impl Into<String>) -> Self {
        self.invocation_id = Some(id.into());
        self
    }

    /// Runs the pipeline.
    pub fn run(&self, env: &dyn Env, progress: &mut dyn FnMut(Progress)) -> Result<Outcome> {
        let run_start = nanos();
        let mut clock = Clock {
            stages: Vec::new(),
            progress,
            current: None,
        };
        let mut warnings = Vec::new();

        // ── preflight ────────────────────────────────────────────────
        clock.start("preflight");
        let manifest = collect::manifest_or_cwd(self.manifest_path.as_deref())?;
        if !manifest.is_file() {
            return Err(Error::ManifestNotFound { path: manifest });
        }
        let root = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
        let contract = collect::release::contract(&root, self.contract.as_deref())?;
        let compiled = crate::gate::rules::compile(&contract).map_err(Error::Rule)?;
        let template = match &contract.report.template {
            Some(t) => {
                let p = root.join(t);
                let text = std::fs::read_to_string(&p).map_err(|e| Error::Input {
                    what: "report template",
                    path: p.clone(),
                    reason: e.to_string(),
                })?;
                crate::emit::report::check_template(&text).map_err(|reason| Error::Contract {
                    origin: p.display().to_string(),
                    reason,
                })?;
                text
            }
            None => crate::emit::report::TEMPLATE.to_owned(),
        };
        let key = self.signing_key(env, &mut warnings)?;
        let public_key = self.public_key_hint(&root, &contract, &key)?;
        let explicit = Explicit::parse(self.baseline.as_deref().or(contract.release.baseline.as_deref()))?;
        // What ships: the contract's packages, else every member with a
        // binary. The SBOM describes exactly these, as cargo builds them.
        let shipped = if contract.release.packages.is_empty() {
            rustdoc::member_binaries(&manifest, env)?
        } else {
            contract.release.packages.clone()
        };
        if !root.join("Cargo.lock").is_file() {
            return Err(Error::Preflight {
                reason: format!(
                    "{} has no Cargo.lock: a release must build exactly what was locked",
                    root.display()
                ),
                fix: "run `cargo generate-lockfile`, review and commit Cargo.lock".into(),
            });
        }
        let git = collect::git::read(&root);
        match &git {
            Some(g) if g.dirty && !self.allow_dirty => return Err(Error::Preflight {
                reason:
                    "the git work tree has uncommitted changes, so the commit would not describe the release"
                        .into(),
                fix: "commit or stash the changes, or pass --allow-dirty".into(),
            }),
            None if !self.allow_dirty => {
                return Err(Error::Preflight {
                    reason: format!(
                        "{} is not a git checkout: the release could not name its commit",
                        root.display()
                    ),
                    fix: "release from a git checkout, or pass --allow-dirty".into(),
                })
            }
            Some(g) if g.dirty => warnings.push("releasing a dirty work tree (--allow-dirty)".into()),
            _ => {}
        }
        let ledger_path = match &self.ledger {
            Some(p) => std::path::absolute(p).unwrap_or_else(|_| p.clone()),
            None => root.join(&contract.release.ledger),
        };
        let (ledger_text, ledger) = collect::release::ledger(&ledger_path)?;
        let (schemas_now, lock) = load_schemas(&root, &contract)?;
        let lock_rel = contract.schemas.lock.clone();
        for a in &self.artifacts {
            if !a.is_file() {
                return Err(Error::Input {
                    what: "artifact",
                    path: a.clone(),
                    reason: "not a file".into(),
                });
            }
        }
        let out = std::path::absolute(&self.out).map_err(|e| Error::InvalidOption(format!("--out: {e}")))?;
        let rejected = rejected_dir(&out);
        write::recover(&out)?;
        let previous_metrics = match &contract.invariants.performance_budget.previous_metrics {
            Some(p) => Some(root.join(p)),
            None => Some(out.join("metrics.json")).filter(|p| p.is_file()),
        }
        .map(|p| -> Result<Vec<MetricFact>> {
            let bytes = collect::inputs::read(&p, "previous metrics")?;
            let doc = crate::emit::metrics::parse_json(&bytes).map_err(|reason| Error::Input {
                what: "previous metrics",
                path: p.clone(),
                reason,
            })?;
            Ok(doc.metrics.into_iter().map(metric_fact).collect())
        })
        .transpose()?;
        let invocation_id = match self
            .invocation_id
            .clone()
            .or_else(|| env.var("RELGATE_INVOCATION_ID"))
        {
            Some(id) if !id.trim().is_empty() => id,
            _ => collect::random_invocation_id()?,
        };

        // Compat (rustdoc, minutes on a cold cache) and the provenance inputs
        // do not depend on the build or the tests: they run beside them.
        let clean_commit = git.as_ref().filter(|g| !g.dirty).map(|g| g.commit.clone());
        std::thread::scope(|scope| -> Result<Outcome> {
            let compat_job =
                scope.spawn(|| self.compat(&manifest, &explicit, &ledger, clean_commit.as_deref(), env));
            let provenance_job = scope.spawn(|| collect::provenance_inputs(Some(&manifest), None, env));
            // ── collect ──────────────────────────────────────────────────
            clock.start("collect");
            let scope = Scope {
                manifest_path: Some(manifest.clone()),
                packages: shipped.clone(),
                ..Scope::default()
            };
            let facts = collect::gather(&scope, env)?;
            let pkg = release_package(&facts, &contract)?;

            // ── build ────────────────────────────────────────────────────
            clock.start("build");
            let build_start = nanos();
            let mut binaries: Vec<PathBuf> = if self.no_build {
                Vec::new()
            } else {
                if shipped.is_empty() {
                    Vec::new()
                } else {
                    collect::release::build(&manifest, &shipped)?
                }
            };
            let build_seconds = (nanos() - build_start) as f64 / 1e9;
            binaries.extend(self.artifacts.iter().cloned());
            let mut names = BTreeMap::new();
            for b in &binaries {
                let name = b
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if RESERVED.contains(&name.as_str()) || name.starts_with('.') || name.is_empty() {
                    return Err(Error::InvalidOption(format!(
                        "artifact `{}` would collide with a file relgate writes; rename it",
                        b.display()
                    )));
                }
                if names.insert(name.clone(), b.clone()).is_some() {
                    return Err(Error::InvalidOption(format!("two artifacts are named `{name}`")));
                }
            }
            clock.finish(vec![
                ("release.build.skipped".into(), AttrValue::Bool(self.no_build)),
                (
                    "release.artifact.count".into(),
                    AttrValue::Int(names.len() as i64),
                ),
            ]);

            // ── test ─────────────────────────────────────────────────────
            clock.start("test");
            let tests = if contract.release.run_tests {
                let cmd = contract
                    .release
                    .test_command
                    .clone()
                    .unwrap_or_else(collect::release::default_test_command);
                collect::release::tests(&root, &cmd)
            } else {
                TestsFact::default()
            };
            clock.finish(vec![
                ("cicd.pipeline.task.type".into(), AttrValue::Str("test".into())),
                ("release.tests.passed".into(), AttrValue::Int(tests.passed as i64)),
                ("release.tests.failed".into(), AttrValue::Int(tests.failed as i64)),
            ]);

            // ── sbom ─────────────────────────────────────────────────────
            clock.start("sbom");
            let model = crate::analyze::sbom::model(&facts)?;
            // Each format is rendered twice (the second time for
            // `canonical-format`), one format per thread.
            let twice = |format: SbomFormat| -> Result<(Vec<u8>, bool)> {
                let first = crate::emit::sbom(&model, format)?;
                let again = crate::emit::sbom(&model, format)?;
                let same = first == again;
                Ok((first, same))
            };
            let (cdx, spdx) = std::thread::scope(|s| {
                let spdx = s.spawn(|| twice(SbomFormat::SpdxJson));
                let cdx = twice(SbomFormat::CycloneDxJson);
                (
                    cdx,
                    spdx.join()
                        .unwrap_or_else(|_| Err(Error::Inconsistent("the SPDX thread panicked".into()))),
                )
            });
            let ((cdx, cdx_same), (spdx, spdx_same)) = (cdx?, spdx?);
            let canonical_sbom = vec![
                CanonicalFact {
                    artifact: "sbom.cdx.json".into(),
                    schema: None,
                    errors: Vec::new(),
                    reemit_identical: cdx_same,
                },
                CanonicalFact {
                    artifact: "sbom.spdx.json".into(),
                    schema: None,
                    errors: Vec::new(),
                    reemit_identical: spdx_same,
                },
            ];
            let (packages, sbom_fact) = sbom_facts(&model, &facts);

            // ── schema lock ──────────────────────────────────────────────
            clock.start("schema-lock");
            let schema_lock = schema_lock_fact(lock.as_ref(), &schemas_now, &lock_rel)?;

            // ── compat ───────────────────────────────────────────────────
            clock.start("compat");
            let release_compat = compat_job
                .join()
                .unwrap_or_else(|_| Err(Error::Inconsistent("the compat thread panicked".into())))?;
            let merged = merge_compat(release_compat, &pkg.name, &schema_lock)?;
            let (report, compat, compat_json, compat_note) =
                (merged.report, merged.fact, merged.json, merged.note);
            let previous_version = report.as_ref().map(|r| r.old_version.clone());

            // ── metrics ──────────────────────────────────────────────────
            clock.start("metrics");
            let mut files: Vec<Staged> = Vec::new();
            for (name, path) in &names {
                files.push(Staged::new(name, write::Content::Copy(path.clone()), true)?);
            }
            files.push(Staged::new("sbom.cdx.json", write::Content::Bytes(cdx), false)?);
            files.push(Staged::new("sbom.spdx.json", write::Content::Bytes(spdx), false)?);
            if let Some(j) = &compat_json {
                files.push(Staged::new(
                    "compat_report.json",
                    write::Content::Bytes(j.clone()),
                    false,
                )?);
            }
            let artifacts: Vec<ArtifactFact> = files
                .iter()
                .map(|f| ArtifactFact {
                    name: f.entry.name.clone(),
                    kind: match f.entry.name.as_str() {
                        "sbom.cdx.json" | "sbom.spdx.json" => "sbom",
                        "compat_report.json" => "compat-report",
                        _ => "binary",
                    }
                    .into(),
                    size_bytes: f.size,
                    sha256: f.sha256.clone(),
                })
                .collect();
            let release_fact = ReleaseFact {
                id: invocation_id.clone(),
                package: pkg.name.clone(),
                version: pkg.version.clone(),
                previous_version,
                commit: git.as_ref().map(|g| g.commit.clone()),
                tag: git.as_ref().and_then(|g| g.tag.clone()),
                dry_run: self.dry_run,
            };
            let mut metrics: Vec<Metric> = artifacts
                .iter()
                .map(|a| {
                    metric(
                        "release.artifact.size",
                        "By",
                        a.size_bytes as f64,
                        &[("artifact", &a.name)],
                        false,
                    )
                })
                .collect();
            metrics.push(metric(
                "release.sbom.components",
                "{component}",
                sbom_fact.components as f64,
                &[],
                false,
            ));
            for (kind, n) in &sbom_fact.by_source_kind {
                metrics.push(metric(
                    "release.sbom.components.by_source",
                    "{component}",
                    *n as f64,
                    &[("source_kind", kind)],
                    false,
                ));
            }
            metrics.push(metric(
                "release.compat.changes",
                "{change}",
                compat.changes.len() as f64,
                &[],
                false,
            ));
            if tests.ran {
                metrics.push(metric(
                    "release.tests.passed",
                    "{test}",
                    tests.passed as f64,
                    &[],
                    false,
                ));
                metrics.push(metric(
                    "release.tests.failed",
                    "{test}",
                    tests.failed as f64,
                    &[],
                    false,
                ));
                metrics.push(metric(
                    "release.tests.ignored",
                    "{test}",
                    tests.ignored as f64,
                    &[],
                    false,
                ));
            }
            if !self.no_build {
                metrics.push(metric("release.build.duration", "s", build_seconds, &[], true));
            }
            for s in &clock.stages {
                let secs = (s.end_unix_nanos - s.start_unix_nanos) as f64 / 1e9;
                metrics.push(metric(
                    "release.stage.duration",
                    "s",
                    secs,
                    &[("stage", &s.name)],
                    true,
                ));
            }
            let (rss, cpu) = collect::release::usage();
            if let Some(rss) = rss {
                metrics.push(metric("relgate.peak_rss", "By", rss as f64, &[], true));
            }
            if let Some(cpu) = cpu {
                metrics.push(metric("relgate.cpu.time", "s", cpu, &[], true));
            }
            let metrics_doc = MetricsDoc {
                release: crate::emit::metrics::ReleaseRef {
                    id: invocation_id.clone(),
                    version: pkg.version.clone(),
                    commit: release_fact.commit.clone(),
                },
                metrics,
            };
            let metrics_json = crate::emit::metrics::render_json(&metrics_doc);
            let metrics_prom = crate::emit::metrics::render_prom(&metrics_doc);
            let mut canonical = canonical_sbom;
            canonical.push(canonical_check(
                "metrics.json",
                "relgate:metrics",
                &metrics_json,
                crate::emit::metrics::render_json(&metrics_doc) == metrics_json,
            )?);
            if let Some(j) = &compat_json {
                canonical.push(canonical_check(
                    "compat_report.json",
                    "relgate:compat_report",
                    j,
                    merged
                        .source
                        .as_ref()
                        .map(CompatSource::render)
                        .transpose()?
                        .as_ref()
                        == Some(j),
                )?);
            }
            let metric_facts: Vec<MetricFact> =
                metrics_doc.metrics.iter().cloned().map(metric_fact).collect();

            // ── gate ─────────────────────────────────────────────────────
            clock.start("gate");
            let gate_facts = Facts {
                release: release_fact.clone(),
                packages,
                artifacts: artifacts.clone(),
                compat: compat.clone(),
                sbom: sbom_fact.clone(),
                metrics: metric_facts,
                previous_metrics,
                tests: TestsFact {
                    required: contract.release.run_tests,
                    ..tests
                },
                ledger: ledger_fact(&ledger, None),
                schema_lock: schema_lock.clone(),
                canonical,
                provenance: None,
                now: crate::emit::rfc3339(env.now())?,
            };
            let verdict = crate::gate::evaluate(&contract, &compiled, &gate_facts).map_err(Error::Rule)?;
            let gate_doc = crate::emit::gate::doc(&verdict, &gate_facts, &contract);
            let gate_json = crate::emit::gate::render(&gate_doc);
            let gate_errors = validate("relgate:gate", &gate_json)?;
            if !gate_errors.is_empty() {
                return Err(Error::Inconsistent(format!(
                    "gate.json does not validate against its own schema: {}",
                    gate_errors.join("; ")
                )));
            }
            clock.finish(vec![(
                "release.gate.result".into(),
                AttrValue::Str(verdict.result.clone()),
            )]);

            // ── report ───────────────────────────────────────────────────
            clock.start("report");
            let ledger_rel = ledger_path
                .strip_prefix(&root)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| ledger_path.display().to_string());
            let key_hint = public_key;
            // Paths as the user sees them from the workspace root: the same text
            // in every checkout.
            // (outside the workspace too, relative to its root: pasted there,
            // the command finds the directory, and the text is the same in
            // every checkout with the same layout).
            let out_rel = relative_to(&root, &out).display().to_string();
            let verify_command = format!(
                "# from the workspace root\nKEY={key_hint}\nrelgate gate --dir {out_rel} --key \"$KEY\"\n(cd {out_rel} && sha256sum -c checksums.txt && relgate verify --provenance provenance.intoto.jsonl --key \"$KEY\"{}{} $(cut -c67- checksums.txt))",
                contract
                    .release
                    .builder_id
                    .as_deref()
                    .map(|b| format!(" --builder-id {b}"))
                    .unwrap_or_default(),
                contract
                    .release
                    .source_uri
                    .as_deref()
                    .map(|s| format!(" --source-uri {s}"))
                    .unwrap_or_default(),
            );
            let ctx = report_context(
                &gate_facts,
                &verdict,
                &contract,
                compat_note.clone(),
                verify_command,
                crate::emit::report::LedgerRow {
                    path: ledger_rel,
                    head: ledger.head.clone(),
                    entries: ledger.entries.len(),
                    seq: ledger.entries.len() + 1,
                },
            );
            let report_md = crate::emit::report::render(&template, &ctx)?;
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
            let trace = Run {
                invocation_id: invocation_id.clone(),
                pipeline: "release".into(),
                service_version: env!("CARGO_PKG_VERSION").into(),
                commit: release_fact.commit.clone(),
                version: pkg.version.clone(),
                result: if passed {
                    RunResult::Success
                } else {
                    RunResult::Failure
                },
                stages: mark_gate(clock.stages.clone(), &verdict),
                start_unix_nanos: run_start,
                end_unix_nanos: nanos(),
            };
            files.push(Staged::new(
                "traces.ndjson",
                write::Content::Bytes(crate::emit::traces::render(&trace)),
                false,
            )?);

            if !passed {
                clock.start("write");
                let kept: Vec<Staged> = files
                    .into_iter()
                    .filter(|f| !names.contains_key(&f.entry.name))
                    .collect();
                let digests = Staged::digests(&kept);
                write::release_dir(&rejected, &Staged::entries(kept))?;
                clock.finish(Vec::new());
                return Ok(Outcome {
                    verdict,
                    released: false,
                    dir: rejected,
                    package: pkg.name,
                    version: pkg.version,
                    invocation_id,
                    files: digests,
                    ledger_entry: None,
                    ledger_path,
                    keyid: None,
                    warnings,
                });
            }

            // ── sign ─────────────────────────────────────────────────────
            clock.start("sign");
            files.sort_by(|a, b| a.entry.name.cmp(&b.entry.name));
            let mut digests = Staged::digests(&files);
            let checksums: String = digests.iter().map(|(n, d)| format!("{d}  {n}\n")).collect();
            files.push(Staged::new(
                "checksums.txt",
                write::Content::Bytes(checksums.into_bytes()),
                false,
            )?);
            digests.push(("checksums.txt".into(), files[files.len() - 1].sha256.clone()));
            let ws = provenance_job.join().unwrap_or_else(|_| {
                Err(Error::Inconsistent(
                    "the provenance-inputs thread panicked".into(),
                ))
            })?;
            let params = crate::provenance::statement::Params {
                subjects: digests
                    .iter()
                    .filter(|(n, _)| n != "checksums.txt")
                    .map(|(n, d)| crate::provenance::statement::Subject {
                        name: n.clone(),
                        sha256: d.clone(),
                        sha512: None,
                    })
                    .collect(),
                builder_id: contract
                    .release
                    .builder_id
                    .clone()
                    .unwrap_or_else(|| crate::provenance::statement::DEFAULT_BUILDER_ID.into()),
                invocation_id: invocation_id.clone(),
                source_uri: contract.release.source_uri.clone().or(ws.origin.remote.clone()),
                source_ref: ws.origin.reference.clone(),
                commit: release_fact.commit.clone(),
                workspace: ws.workspace.clone(),
                profile: "release".into(),
                features: Vec::new(),
                target: ws.target.clone(),
                lock_sha256: ws.lock_sha256.clone(),
                rustc_version: ws.toolchain.rustc_version.clone(),
                relgate_version: env!("CARGO_PKG_VERSION").into(),
                started_on: (run_start / 1_000_000_000) as i64,
                finished_on: env.now(),
            };
            let statement = crate::provenance::statement::payload(&params).map_err(|reason| Error::Emit {
                artifact: "provenance statement",
                reason,
            })?;
            let envelope = crate::provenance::dsse::Envelope::sign(
                crate::provenance::dsse::IN_TOTO,
                &statement,
                &[&key],
            );
            let bundle = envelope.to_json_line().into_bytes();
            let signed = Staged::new("provenance.intoto.jsonl", write::Content::Bytes(bundle), false)?;
            let provenance_sha256 = signed.sha256.clone();
            digests.push(("provenance.intoto.jsonl".into(), provenance_sha256.clone()));
            files.push(signed);

            // ── write ────────────────────────────────────────────────────
            clock.start("write");
            write::release_dir(&out, &Staged::entries(files))?;
            write::remove_dir(&rejected)?;

            // ── ledger ───────────────────────────────────────────────────
            clock.start("ledger");
            let ledger_entry = if self.dry_run {
                None
            } else {
                let line = ledger::append_release(
                    &ledger_text,
                    &ledger::NewRelease {
                        version: pkg.version.clone(),
                        commit: release_fact.commit.clone(),
                        invocation_id: invocation_id.clone(),
                        provenance_sha256,
                        time: crate::emit::rfc3339(env.now())?,
                    },
                    &key,
                )
                .map_err(|e| Error::Ledger {
                    path: ledger_path.clone(),
                    reason: e.to_string(),
                })?;
                write::file_atomic(&ledger_path, format!("{ledger_text}{line}").as_bytes())?;
                Some(line)
            };
            clock.finish(Vec::new());
            digests.sort();
            Ok(Outcome {
                verdict,
                released: true,
                dir: out,
                package: pkg.name,
                version: pkg.version,
                invocation_id,
                files: digests,
                ledger_entry,
                ledger_path,
                keyid: Some(key.keyid().to_owned()),
                warnings,
            })
        })
    }

    /// What report.md's commands put in `KEY=`: `[release] public-key`
    /// (it must exist and be the signing key's public half), the example
    /// public key when this repository has it and the run is a dry run,
    /// else a marked placeholder naming the key id.
    fn public_key_hint(&self, root: &Path, contract: &Contract, key: &PrivateKey) -> Result<String> {
        if let Some(rel) = &contract.release.public_key {
            let path = root.join(rel);
            let public = collect::inputs::public_key(&path)?;
            if public.keyid() != key.keyid() && !self.dry_run {
                return Err(Error::Preflight {
                    reason: format!(
                        "`[release] public-key` ({rel}) has key id {} but the signing key's is {}",
                        public.keyid(),
                        key.keyid()
                    ),
                    fix: "point public-key at the .pub file written with the signing key by `relgate keygen`"
                        .into(),
                });
            }
            if public.keyid() == key.keyid() {
                return Ok(format!("$PWD/{rel}"));
            }
        }
        let example = "keys-example/example.pub";
        if self.dry_run && root.join(example).is_file() {
            return Ok(format!("$PWD/{example}   # the public example key: a dry run"));
        }
        Ok(format!(
            "PATH/TO/PUBLIC-KEY.pub   # placeholder: the public key with key id {} (set [release] public-key to print its path here)",
            key.keyid()
        ))
    }

    fn signing_key(&self, env: &dyn Env, warnings: &mut Vec<String>) -> Result<PrivateKey> {
        let example = PrivateKey::from_pem(EXAMPLE_KEY_PEM).map_err(|reason| Error::Key {
            source: "built-in example key".into(),
            reason,
        })?;
        let key = match &self.key {
            Some(k) => collect::inputs::private_key(k, env, warnings)?,
            None if self.dry_run => return Ok(example),
            None => match collect::inputs::private_key(&KeySource::Env, env, warnings) {
                Ok(k) => k,
                Err(Error::NoSigningKey) => {
                    return Err(Error::Preflight {
                        reason: "no signing key".into(),
                        fix: "pass --key KEY (or set RELGATE_SIGNING_KEY), or --dry-run to sign with the example key".into(),
                    })
                }
                Err(e) => return Err(e),
            },
        };
        if key.keyid() == example.keyid() && !self.dry_run {
            return Err(Error::Preflight {
                reason:
                    "the signing key is the public example key from keys-example/, which anyone can sign with"
                        .into(),
                fix: "create a real key with `relgate keygen --out-dir DIR`, or pass --dry-run".into(),
            });
        }
        Ok(key)
    }

    /// Every publishable library member against its own baseline: the
    /// explicit one (`--baseline` or the contract), else the last ledger
    /// release's commit (when the member existed there), else its highest
    /// earlier tag, else its previous version on crates.io. `None` when the
    /// baseline is `none`.
    fn compat(
        &self,
        manifest: &Path,
        explicit: &Explicit,
        ledger: &ledger::Ledger,
        clean_commit: Option<&str>,
        env: &dyn Env,
    ) -> Result<ReleaseCompat> {
        let (libs, skipped) = rustdoc::workspace_libraries(manifest, env)?;
        let fixed = match explicit {
            Explicit::None => {
                return Ok(ReleaseCompat {
                    members: Vec::new(),
                    not_compared: libs.iter().map(|l| (l.name.clone(), l.version.clone())).collect(),
                    skipped,
                })
            }
            Explicit::Baseline(b) => Some(b.clone()),
            Explicit::Unset => None,
        };
        if matches!(
            fixed,
            Some(rustdoc::Baseline::Registry(_)) | Some(rustdoc::Baseline::Rustdoc(_))
        ) && libs.len() > 1
        {
            return Err(Error::InvalidOption(format!(
                "registry:VERSION and rustdoc:FILE name one crate's baseline, but {} library members are checked; use git:REV, or leave the baseline out to let relgate pick each member's",
                libs.len()
            )));
        }
        let dir = manifest.parent().unwrap_or(Path::new("."));
        let from_ledger = ledger
            .last_release()
            .and_then(|e| e.commit.clone())
            .filter(|c| collect::git::has_commit(dir, c));
        let shared = crate::shared_version(&libs);
        let decide = |info: &rustdoc::CrateInfo| -> Result<rustdoc::MemberBaseline> {
            if let Some(b) = &fixed {
                return Ok(rustdoc::MemberBaseline::Found(b.clone()));
            }
            let member_dir = info.manifest.parent().unwrap_or(Path::new("."));
            match &from_ledger {
                Some(c) if collect::git::has_file_at(member_dir, c, "Cargo.toml") => {
                    Ok(rustdoc::MemberBaseline::Found(rustdoc::Baseline::Git(c.clone())))
                }
                _ => rustdoc::member_baseline(info, shared, env),
            }
        };
        let opts = CompatOptions {
            manifest_path: Some(manifest.to_path_buf()),
            packages: Vec::new(),
            workspace: true,
            baseline: None,
            features: None,
            target: None,
        };
        Ok(ReleaseCompat {
            members: crate::compat_members(&opts, &libs, &decide, clean_commit, env),
            not_compared: Vec::new(),
            skipped,
        })
    }
}

/// The baseline the caller fixed, if any.
#[derive(Debug, Clone)]
enum Explicit {
    /// Neither `--baseline` nor `[release] baseline`.
    Unset,
    /// `none`: no comparison.
    None,
    /// One baseline for every member.
    Baseline(rustdoc::Baseline),
}

impl Explicit {
    fn parse(spec: Option<&str>) -> Result<Explicit> {
        match spec {
            None => Ok(Explicit::Unset),
            Some("none") => Ok(Explicit::None),
            Some(s) => s.parse().map(Explicit::Baseline).map_err(Error::InvalidOption),
        }
    }
}

/// The release's comparison of its library members.
struct ReleaseCompat {
    members: Vec<crate::MemberCompat>,
    /// (package, version) of members not compared because the baseline is `none`.
    not_compared: Vec<(String, String)>,
    skipped: Vec<(String, String)>,
}

/// `path` as seen from `base` (both absolute): `a/b`, `../x/y`.
fn relative_to(base: &Path, path: &Path) -> PathBuf {
    let b: Vec<_> = base.components().collect();
    let p: Vec<_> = path.components().collect();
    let common = b.iter().zip(&p).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The comparison as the release records it.
struct MergedCompat {
    /// `release.package`'s report, schema drift included.
    report: Option<crate::analyze::compat::Report>,
    fact: CompatFact,
    /// `compat_report.json`.
    json: Option<Vec<u8>>,
    /// What `compat_report.json` was rendered from.
    source: Option<CompatSource>,
    /// Why `release.package` was not compared, for report.md.
    note: String,
}

/// `compat_report.json`: one report, or one per member.
enum CompatSource {
    One(Box<crate::analyze::compat::Report>),
    Workspace(crate::WorkspaceCompat),
}

impl CompatSource {
    fn render(&self) -> Result<Vec<u8>> {
        match self {
            CompatSource::One(r) => crate::emit::compat::json(r),
            CompatSource::Workspace(w) => crate::emit::compat::workspace_json(w),
        }
    }
}

/// Folds the members' comparisons into the gate's facts. Schema-lock drift
/// is a change of `release.package`, so it joins that member's report.
fn merge_compat(rc: ReleaseCompat, package: &str, schema_lock: &SchemaLockFact) -> Result<MergedCompat> {
    use crate::gate::facts::{CompatMemberFact, CompatSkippedFact, MemberStatus};
    use crate::MemberCompat;
    let mut members = Vec::new();
    let mut facts = Vec::new();
    let mut report = None;
    for m in rc.members {
        match m {
            MemberCompat::Compared(mut r) => {
                if r.package == package {
                    for d in &schema_lock.drift {
                        r.changes.push(crate::analyze::compat::Change {
                            path: format!("schema:{}", d.schema),
                            item_kind: "schema".into(),
                            kind: crate::analyze::kinds::Kind::for_schema_drift(&d.classification),
                            detail: d.reasons.join("; "),
                            old: None,
                            new: None,
                            old_span: None,
                            new_span: None,
                        });
                    }
                    let parse = |v: &str| cargo_metadata::semver::Version::parse(v).ok();
                    if let (Some(o), Some(n)) = (parse(&r.old_version), parse(&r.new_version)) {
                        r.verdict = crate::analyze::compat::verdict(&o, &n, &r.changes);
                    }
                    report = Some((*r).clone());
                }
                facts.push(CompatMemberFact {
                    package: r.package.clone(),
                    version: r.new_version.clone(),
                    status: MemberStatus::Compared,
                    baseline: Some(r.baseline.clone()),
                    previous_version: Some(r.old_version.clone()),
                    required_bump: Some(r.verdict.required.name().into()),
                    declared_bump: Some(r.verdict.declared.name().into()),
                    sufficient: r.verdict.sufficient,
                    next_version_at_least: Some(r.verdict.next_version_at_least.clone()),
                    changes: r.changes.len() as u64,
                    reason: None,
                });
                members.push(MemberCompat::Compared(r));
            }
            MemberCompat::FirstRelease {
                package,
                version,
                reason,
            } => {
                facts.push(CompatMemberFact {
                    package: package.clone(),
                    version: version.clone(),
                    status: MemberStatus::FirstRelease,
                    reason: Some(reason.clone()),
                    ..CompatMemberFact::default()
                });
                members.push(MemberCompat::FirstRelease {
                    package,
                    version,
                    reason,
                });
            }
            MemberCompat::Failed {
                package,
                version,
                error,
            } => {
                facts.push(CompatMemberFact {
                    package: package.clone(),
                    version: version.clone(),
                    status: MemberStatus::Failed,
                    reason: Some(error.clone()),
                    ..CompatMemberFact::default()
                });
                members.push(MemberCompat::Failed {
                    package,
                    version,
                    error,
                });
            }
        }
    }
    for (package, version) in &rc.not_compared {
        facts.push(CompatMemberFact {
            package: package.clone(),
            version: version.clone(),
            status: MemberStatus::NotCompared,
            reason: Some("the baseline is `none`".into()),
            ..CompatMemberFact::default()
        });
    }
    let skipped: Vec<CompatSkippedFact> = rc
        .skipped
        .iter()
        .map(|(package, reason)| CompatSkippedFact {
            package: package.clone(),
            reason: reason.clone(),
        })
        .collect();
    let own = facts.iter().find(|m| m.package == package);
    let note = match own.map(|m| m.status) {
        Some(MemberStatus::Compared) => String::new(),
        Some(MemberStatus::FirstRelease) => {
            let reason = own
                .and_then(|m| m.reason.as_deref())
                .unwrap_or("no earlier version");
            // member_baseline's reason starts with "first release of NAME: ".
            let why = reason.split_once(": ").map_or(reason, |(_, why)| why);
            format!("First release of `{package}`: {why}.")
        }
        Some(MemberStatus::NotCompared) => "No baseline (`none`): the public API was not compared.".into(),
        Some(MemberStatus::Failed) => format!(
            "`{package}` could not be compared, so the gate fails: {}",
            own.and_then(|m| m.reason.as_deref())
                .unwrap_or("no reason recorded")
        ),
        None => match skipped.iter().find(|s| s.package == package) {
            Some(s) => format!("`{package}` is not compared ({}).", s.reason),
            None => format!("`{package}` is not a library member."),
        },
    };
    let fact = match &report {
        Some(r) => CompatFact {
            ran: true,
            baseline: Some(r.baseline.clone()),
            required_bump: r.verdict.required.name().into(),
            declared_bump: r.verdict.declared.name().into(),
            sufficient: r.verdict.sufficient,
            next_version_at_least: Some(r.verdict.next_version_at_least.clone()),
            changes: r
                .changes
                .iter()
                .map(|c| CompatChangeFact {
                    path: c.path.clone(),
                    kind: c.kind.id().into(),
                    class: c.class().name().into(),
                    detail: c.detail.clone(),
                })
                .collect(),
            members: facts,
            skipped,
        },
        None => CompatFact {
            members: facts,
            skipped,
            ..CompatFact::default()
        },
    };
    // The drift-extended report stands for release.package's.
    let mut members: Vec<MemberCompat> = members
        .into_iter()
        .map(|m| match (m, &report) {
            (MemberCompat::Compared(r), Some(own)) if r.package == package => {
                MemberCompat::Compared(Box::new(own.clone()))
            }
            (other, _) => other,
        })
        .collect();
    let source = match (members.len(), members.pop()) {
        (_, None) => None,
        (1, Some(MemberCompat::Compared(r))) => Some(CompatSource::One(r)),
        (_, Some(last)) => {
            members.push(last);
            Some(CompatSource::Workspace(crate::WorkspaceCompat {
                members,
                skipped: rc.skipped,
            }))
        }
    };
    let json = source.as_ref().map(CompatSource::render).transpose()?;
    Ok(MergedCompat {
        report,
        fact,
        json,
        source,
        note,
    })
}

/// A file bound for the release directory, hashed once when it is staged.
struct Staged {
    entry: write::Entry,
    sha256: String,
    size: u64,
}

impl Staged {
    fn new(name: &str, content: write::Content, executable: bool) -> Result<Staged> {
        let (size, sha256) = match &content {
            write::Content::Bytes(b) => (b.len() as u64, sha256(b)),
            write::Content::Copy(p) => (
                std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
                collect::artifacts::sha256_file(p)?,
            ),
        };
        Ok(Staged {
            entry: write::Entry {
                name: name.to_owned(),
                content,
                executable,
            },
            sha256,
            size,
        })
    }

    fn digests(files: &[Staged]) -> Vec<(String, String)> {
        files
            .iter()
            .map(|f| (f.entry.name.clone(), f.sha256.clone()))
            .collect()
    }

    fn entries(files: Vec<Staged>) -> Vec<write::Entry> {
        files.into_iter().map(|f| f.entry).collect()
    }
}

/// File names relgate writes into a release directory.
pub const RESERVED: [&str; 11] = [
    "sbom.cdx.json",
    "sbom.spdx.json",
    "compat_report.json",
    "metrics.json",
    "metrics.prom",
    "traces.ndjson",
    "gate.json",
    "report.md",
    "checksums.txt",
    "provenance.intoto.jsonl",
    "relgate.toml",
];

/// `<out>.rejected`, beside `<out>`.
pub fn rejected_dir(out: &Path) -> PathBuf {
    let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".rejected");
    out.with_file_name(name)
}

struct PackageRef {
    name: String,
    version: String,
}

fn release_package(facts: &crate::facts::ReleaseFacts, contract: &Contract) -> Result<PackageRef> {
    // Every member, also those the shipped packages do not reach.
    let members: Vec<&crate::facts::PackageId> = facts.workspace.members.iter().collect();
    let pick = |p: &crate::facts::PackageId| PackageRef {
        name: p.name.clone(),
        version: p.version.clone(),
    };
    if let Some(name) = &contract.release.package {
        return members
            .iter()
            .find(|p| &p.name == name)
            .map(|p| pick(p))
            .ok_or_else(|| Error::UnknownPackage {
                name: name.clone(),
                members: members
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
    }
    if let Some(root) = facts.workspace.root_package.as_ref() {
        return Ok(pick(root));
    }
    match members.as_slice() {
        [only] => Ok(pick(only)),
        _ => Err(Error::Contract {
            origin: contract.origin.clone().unwrap_or_else(|| "relgate defaults".into()),
            reason: "the workspace has no root package and several members: name the one that carries the release version with `[release] package = \"NAME\"`".into(),
        }),
    }
}

fn sbom_facts(
    model: &crate::analyze::sbom::Sbom,
    facts: &crate::facts::ReleaseFacts,
) -> (Vec<PackageFact>, SbomFact) {
    use crate::analyze::license::License;
    let mut packages = Vec::new();
    // `components` counts what the tables below it list, so they add up:
    // every package, the root when it is one (a synthetic workspace root is not).
    let mut sbom = SbomFact::default();
    let members: std::collections::BTreeSet<(&str, &str)> = facts
        .packages
        .values()
        .filter(|p| p.workspace_member)
        .map(|p| (p.id.name.as_str(), p.id.version.as_str()))
        .collect();
    // The root is a real package, or (several members, no root package) a
    // synthetic component describing the workspace: not a package.
    let root_is_package = facts
        .packages
        .values()
        .any(|p| p.id.name == model.root.name && p.id.version == model.root.version)
        && !model
            .components
            .iter()
            .any(|c| c.name == model.root.name && c.version == model.root.version);
    let root = root_is_package.then_some(&model.root);
    for c in root.into_iter().chain(&model.components) {
        let license = match &c.license {
            License::Expression { expr, .. } => expr.clone(),
            License::None => "NOASSERTION".into(),
        };
        let member = members.contains(&(c.name.as_str(), c.version.as_str()));
        let source_kind = if member { "path" } else { c.source_kind };
        sbom.components += 1;
        *sbom.by_source_kind.entry(source_kind.to_owned()).or_default() += 1;
        *sbom.licenses.entry(license.clone()).or_default() += 1;
        if matches!(c.license, License::None) {
            sbom.unlicensed.push(format!("{}@{}", c.name, c.version));
        }
        packages.push(PackageFact {
            name: c.name.clone(),
            version: c.version.clone(),
            license,
            source_kind: source_kind.to_owned(),
            source: c.download_url.clone().or_else(|| c.homepage.clone()),
            kind: match c.reach {
                crate::analyze::sbom::Reach::Runtime => "normal",
                crate::analyze::sbom::Reach::Build => "build",
            }
            .into(),
            workspace_member: member,
        });
    }
    packages.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    packages.dedup();
    (packages, sbom)
}

fn schema_lock_fact(
    lock: Option<&schema::Lock>,
    now: &[schema::Current],
    lock_rel: &str,
) -> Result<SchemaLockFact> {
    let names: Vec<String> = now.iter().map(|c| c.name.clone()).collect();
    let Some(lock) = lock else {
        return Ok(SchemaLockFact {
            status: "missing".into(),
            lock: lock_rel.into(),
            schemas: names,
            drift: Vec::new(),
        });
    };
    let status = schema::check(lock, now).map_err(|e| Error::SchemaLock(e.to_string()))?;
    Ok(SchemaLockFact {
        status: status.status.into(),
        lock: lock_rel.into(),
        schemas: names,
        drift: status
            .drift
            .iter()
            .map(|d| SchemaDriftFact {
                schema: d.schema.clone(),
                change: serde_json::to_value(d.change)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                classification: d.classification.as_str().into(),
                required_bump: d.required_bump.into(),
                reasons: d.reasons.clone(),
            })
            .collect(),
    })
}

/// Every schema must be JSON and a JSON Schema the validator can compile.
fn check_schemas(schemas: &[schema::Current]) -> Result<()> {
    for c in schemas {
        let doc: serde_json::Value = serde_json::from_slice(&c.raw)
            .map_err(|e| Error::SchemaLock(format!("{} is not JSON: {e}", c.name)))?;
        jsonschema::validator_for(&doc)
            .map_err(|e| Error::SchemaLock(format!("{} is not a valid JSON Schema: {e}", c.name)))?;
    }
    Ok(())
}

/// Validates `bytes` against one of relgate's built-in schemas.
pub fn validate(schema_name: &str, bytes: &[u8]) -> Result<Vec<String>> {
    let raw = collect::release::BUILTIN_SCHEMAS
        .iter()
        .find(|(n, _, _)| *n == schema_name)
        .map(|(_, _, raw)| *raw)
        .ok_or_else(|| Error::Inconsistent(format!("no built-in schema {schema_name}")))?;
    let schema: serde_json::Value = serde_json::from_slice(raw)
        .map_err(|e| Error::Inconsistent(format!("built-in schema {schema_name}: {e}")))?;
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| Error::Inconsistent(format!("built-in schema {schema_name}: {e}")))?;
    let doc: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(d) => d,
        Err(e) => return Ok(vec![format!("not JSON: {e}")]),
    };
    Ok(validator
        .iter_errors(&doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect())
}

fn canonical_check(
    artifact: &str,
    schema_name: &str,
    bytes: &[u8],
    reemit_identical: bool,
) -> Result<CanonicalFact> {
    Ok(CanonicalFact {
        artifact: artifact.into(),
        schema: Some(schema_name.into()),
        errors: validate(schema_name, bytes)?,
        reemit_identical,
    })
}

fn metric(name: &str, unit: &str, value: f64, attrs: &[(&str, &str)], timing: bool) -> Metric {
    Metric {
        timing,
        ..Metric::new(name, unit, value, attrs)
    }
}

fn metric_fact(m: Metric) -> MetricFact {
    MetricFact {
        name: m.name,
        unit: m.unit,
        value: m.value,
        attributes: m.attributes,
    }
}

/// The ledger as rules see it; `own` excludes this release's own entry
/// (at publish time it is already recorded).
pub fn ledger_fact(l: &ledger::Ledger, own: Option<(&str, &str)>) -> LedgerFact {
    let mut ids = Vec::new();
    let mut versions = Vec::new();
    for e in &l.entries {
        if let ledger::Entry::Release(r) = e {
            let is_own =
                own.is_some_and(|(id, digest)| r.invocation_id == id && r.provenance_sha256 == digest);
            if !is_own {
                ids.push(r.invocation_id.clone());
                versions.push(r.version.clone());
            }
        }
    }
    LedgerFact {
        ids,
        versions,
        revoked: l.revoked().into_keys().collect(),
        head: l.head.clone(),
    }
}

fn mark_gate(mut stages: Vec<Stage>, verdict: &crate::gate::Verdict) -> Vec<Stage> {
    if !verdict.passed() {
        if let Some(s) = stages.iter_mut().find(|s| s.name == "gate") {
            s.error = Some(format!("failed rules: {}", verdict.failed_rules().join(", ")));
            s.events = verdict
                .rules
                .iter()
                .filter(|r| r.status == "fail")
                .map(|r| crate::emit::traces::Event {
                    name: "gate.rule.failed".into(),
                    time_unix_nanos: s.end_unix_nanos,
                    attributes: vec![
                        ("rule.id".into(), AttrValue::Str(r.id.clone())),
                        ("rule.failures".into(), AttrValue::Int(r.failures.len() as i64)),
                    ],
                })
                .collect();
        }
    }
    stages
}

/// The report's context from the facts and verdict.
pub fn report_context(
    facts: &Facts,
    verdict: &crate::gate::Verdict,
    contract: &Contract,
    compat_note: String,
    verify_command: String,
    ledger: crate::emit::report::LedgerRow,
) -> crate::emit::report::Context {
    let mut counts = BTreeMap::new();
    for s in ["pass", "fail", "warn", "waived", "skipped"] {
        counts.insert(
            s.to_owned(),
            verdict.rules.iter().filter(|r| r.status == s).count(),
        );
    }
    let b = &contract.invariants.performance_budget;
    let budget = |m: &MetricFact| -> Option<String> {
        match m.name.as_str() {
            "release.artifact.size" => b.max_artifact_bytes.map(|v| format!("≤ {v} By")),
            "release.build.duration" => b.max_build_seconds.map(|v| format!("≤ {v} s")),
            "relgate.peak_rss" => b.max_peak_rss_bytes.map(|v| format!("≤ {v} By")),
            "relgate.cpu.time" => b.max_cpu_seconds.map(|v| format!("≤ {v} s")),
            _ => None,
        }
    };
    let metrics = facts
        .metrics
        .iter()
        .map(|m| {
            let attrs: Vec<String> = m.attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let label = if attrs.is_empty() {
                m.name.clone()
            } else {
                format!("{} ({})", m.name, attrs.join(", "))
            };
            let value = if m.value.fract() == 0.0 {
                format!("{} {}", m.value as i64, m.unit)
            } else {
                format!("{:.3} {}", m.value, m.unit)
            };
            crate::emit::report::MetricRow {
                label,
                value,
                budget: budget(m),
            }
        })
        .collect();
    let mut contract_ref = BTreeMap::new();
    contract_ref.insert("origin".to_owned(), contract.origin.clone());
    contract_ref.insert("sha256".to_owned(), Some(contract.sha256.clone()));
    crate::emit::report::Context {
        release: facts.release.clone(),
        passed: verdict.passed(),
        failed: verdict.failed_rules().into_iter().map(str::to_owned).collect(),
        counts,
        now: verdict.now.clone(),
        contract: contract_ref,
        rules: verdict.rules.clone(),
        rule_rows: verdict
            .rules
            .iter()
            .map(crate::emit::report::RuleRow::of)
            .collect(),
        waivers: verdict.waivers.clone(),
        compat: facts.compat.clone(),
        compat_note,
        schema_lock: facts.schema_lock.clone(),
        sbom: facts.sbom.clone(),
        metrics,
        artifacts: facts.artifacts.clone(),
        verify_command,
        ledger,
    }
}

/// What `relgate gate --dir` found.
#[derive(Debug, Clone)]
pub struct Regate {
    /// Provenance verification (signature, subjects): check id, passed, detail.
    pub checks: Vec<(String, bool, String)>,
    /// The verdict now.
    pub verdict: crate::gate::Verdict,
    /// The verdict the release recorded.
    pub recorded: String,
    /// Why the verdict now differs from the recorded one (empty: same).
    pub differences: Vec<String>,
}

impl Regate {
    /// Publishable: verification passed and the gate passes now.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|(_, ok, _)| *ok) && self.verdict.passed()
    }
}

/// Inputs of [`regate`].
#[derive(Debug, Clone, Default)]
pub struct RegateOptions {
    /// The release directory.
    pub dir: PathBuf,
    /// Trusted public keys.
    pub keys: Vec<PathBuf>,
    /// The contract (default: relgate.toml / Cargo.toml metadata beside the manifest).
    pub contract: Option<PathBuf>,
    /// The workspace manifest, to find the contract and the ledger.
    pub manifest_path: Option<PathBuf>,
    /// The ledger (default from the contract).
    pub ledger: Option<PathBuf>,
    /// Gate time (default: the clock).
    pub now: Option<i64>,
}

/// Re-checks a release directory at publish time: signature, subjects ==
/// checksums.txt == the directory's files, then every rule again on the
/// recorded facts with a fresh `now`, `ledger` and `provenance`.
pub fn regate(opts: &RegateOptions, env: &dyn Env) -> Result<Regate> {
    let dir = &opts.dir;
    let read = |name: &str, what: &'static str| collect::inputs::read(&dir.join(name), what);
    let gate_bytes = read("gate.json", "gate.json")?;
    let doc = crate::emit::gate::parse(&gate_bytes).map_err(|reason| Error::Input {
        what: "gate.json",
        path: dir.join("gate.json"),
        reason,
    })?;
    let checksums = String::from_utf8(read("checksums.txt", "checksums.txt")?).map_err(|_| Error::Input {
        what: "checksums.txt",
        path: dir.join("checksums.txt"),
        reason: "not UTF-8".into(),
    })?;
    let lines = collect::artifacts::parse_checksums(&checksums, &dir.join("checksums.txt"))?;
    let manifest = collect::manifest_or_cwd(opts.manifest_path.as_deref())?;
    let root = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let contract = collect::release::contract(&root, opts.contract.as_deref())?;
    let compiled = crate::gate::rules::compile(&contract).map_err(Error::Rule)?;

    let mut checks = Vec::new();
    // The directory holds exactly the listed files plus the two that list them.
    let mut on_disk = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::Input {
        what: "release directory",
        path: dir.clone(),
        reason: e.to_string(),
    })? {
        let entry = entry.map_err(|e| Error::Input {
            what: "release directory",
            path: dir.clone(),
            reason: e.to_string(),
        })?;
        on_disk.push(entry.file_name().to_string_lossy().into_owned());
    }
    on_disk.sort();
    let mut expected: Vec<String> = lines.iter().map(|(n, _)| n.clone()).collect();
    expected.push("checksums.txt".into());
    expected.push("provenance.intoto.jsonl".into());
    expected.sort();
    let extra: Vec<&String> = on_disk.iter().filter(|f| !expected.contains(f)).collect();
    let missing: Vec<&String> = expected.iter().filter(|f| !on_disk.contains(f)).collect();
    checks.push((
        "files".to_owned(),
        extra.is_empty() && missing.is_empty(),
        if extra.is_empty() && missing.is_empty() {
            format!("{} files, each listed in checksums.txt", lines.len())
        } else {
            format!("not listed in checksums.txt: {extra:?}; listed but missing: {missing:?}")
        },
    ));
    let verdict = crate::verify(
        &crate::VerifyOptions {
            provenance: dir.join("provenance.intoto.jsonl"),
            keys: opts.keys.clone(),
            threshold: 1,
            builder_ids: contract.release.builder_id.iter().cloned().collect(),
            source_uri: None,
            max_age: None,
            ledger: None,
            artifacts: lines
                .iter()
                .filter(|(n, _)| missing.iter().all(|m| *m != n))
                .map(|(n, _)| dir.join(n))
                .collect(),
        },
        env,
    )?;
    for c in &verdict.checks {
        if c.status != crate::provenance::verify::Status::Skipped {
            checks.push((
                c.id.to_owned(),
                c.status == crate::provenance::verify::Status::Pass,
                c.detail.clone(),
            ));
        }
    }
    let statement: Option<serde_json::Value> = verdict
        .statement
        .as_ref()
        .filter(|_| verdict.verified())
        .and_then(|b| serde_json::from_slice(b).ok());
    let mut provenance = None;
    if let Some(st) = &statement {
        let mut subjects: Vec<(String, String)> = st["subject"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| {
                        (
                            s["name"].as_str().unwrap_or_default().to_owned(),
                            s["digest"]["sha256"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        subjects.sort();
        let mut listed = lines.clone();
        listed.sort();
        checks.push((
            "subjects-are-checksums".into(),
            subjects == listed,
            if subjects == listed {
                format!(
                    "the {} subjects are exactly the lines of checksums.txt",
                    subjects.len()
                )
            } else {
                "the signed subjects differ from checksums.txt".into()
            },
        ));
        let meta = &st["predicate"]["runDetails"]["metadata"];
        let bundle = read("provenance.intoto.jsonl", "provenance bundle")?;
        provenance = Some(ProvenanceFact {
            invocation_id: meta["invocationId"].as_str().unwrap_or_default().to_owned(),
            finished_on: meta["finishedOn"].as_str().unwrap_or_default().to_owned(),
            sha256: sha256(&bundle),
            keyids: Vec::new(),
        });
        if let Some(p) = &provenance {
            checks.push((
                "release-id".into(),
                p.invocation_id == doc.release.id,
                format!(
                    "gate.json's release {} and the provenance's invocation {}",
                    doc.release.id, p.invocation_id
                ),
            ));
        }
    }
    let ledger_path = match &opts.ledger {
        Some(p) => p.clone(),
        None => root.join(&contract.release.ledger),
    };
    let (_, ledger) = collect::release::ledger(&ledger_path)?;
    let mut facts = doc.facts.clone();
    facts.now = crate::emit::rfc3339(opts.now.unwrap_or_else(|| env.now()))?;
    facts.ledger = ledger_fact(
        &ledger,
        provenance
            .as_ref()
            .map(|p| (p.invocation_id.as_str(), p.sha256.as_str())),
    );
    facts.provenance = provenance;
    let now_verdict = crate::gate::evaluate(&contract, &compiled, &facts).map_err(Error::Rule)?;
    let mut differences = Vec::new();
    if contract.sha256 != doc.contract.sha256 {
        differences.push(format!(
            "the contract changed since the release (sha256 {} then, {} now)",
            &doc.contract.sha256[..12.min(doc.contract.sha256.len())],
            &contract.sha256[..12]
        ));
    }
    for r in &now_verdict.rules {
        let then = doc
            .rules
            .iter()
            .find(|t| t.id == r.id)
            .map(|t| t.status.as_str())
            .unwrap_or("absent");
        if then != r.status {
            let why = r
                .failures
                .first()
                .map(|f| format!(": {}", f.message))
                .unwrap_or_default();
            differences.push(format!("{}: {then} at release, {} now{why}", r.id, r.status));
        }
    }
    Ok(Regate {
        checks,
        verdict: now_verdict,
        recorded: doc.result,
        differences,
    })
}

/// `relgate schema lock`/`check`: the current schemas, the lock as it is
/// (if any), and the check of one against the other.
pub fn schema_status(
    manifest_path: Option<&Path>,
    contract: Option<&Path>,
) -> Result<(
    PathBuf,
    Vec<schema::Current>,
    Option<schema::Lock>,
    schema::Status,
)> {
    let manifest = collect::manifest_or_cwd(manifest_path)?;
    let root = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let contract = collect::release::contract(&root, contract)?;
    let (now, lock) = load_schemas(&root, &contract)?;
    let status = schema::check(lock.as_ref().unwrap_or(&schema::Lock::default()), &now)
        .map_err(|e| Error::SchemaLock(e.to_string()))?;
    Ok((root.join(&contract.schemas.lock), now, lock, status))
}

/// The schemas as they are now (each a valid JSON Schema) and the lock, if any.
fn load_schemas(root: &Path, contract: &Contract) -> Result<(Vec<schema::Current>, Option<schema::Lock>)> {
    let now = collect::release::schemas(root, contract)?;
    check_schemas(&now)?;
    let lock_path = root.join(&contract.schemas.lock);
    let lock = collect::release::read_optional(&lock_path, "schema lock")?
        .map(|b| {
            schema::Lock::parse(&String::from_utf8_lossy(&b))
                .map_err(|e| Error::SchemaLock(format!("{}: {e}", lock_path.display())))
        })
        .transpose()?;
    Ok((now, lock))
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
