//! `relgate release part`: one part of a release built on many runners.
//!
//! ```text
//! read plan → preflight (same commit, same contract) → build --target T
//!   → tests (only when this runner can run T) → SBOM of what it built
//!   → metrics, traces (the plan's invocation id: one trace) → sign the
//!   part manifest → write the part directory (atomic)
//! ```
//!
//! A compat part instead compares its shard of the library members (the
//! baselines a one-machine release would pick) and writes `compat.json`.
//!
//! A part is self-contained: its directory is one CI artifact, and its
//! signed manifest (`part.intoto.jsonl`) binds every file to the plan's
//! digest, the part id, the commit and the runner.

use std::collections::BTreeMap;
use std::path::Path;

use super::parts::{
    PartKind, PartPredicate, PartStatement, PartSubject, PartTests, PartsPlan, Runner, TestStatus,
    ToolchainRef, COMPAT_RESULTS, PART_MANIFEST, PART_PREDICATE, STATEMENT_TYPE,
};
use super::stage::{Clock, Progress, Stage};
use super::staged::{artifact_facts, Staged};
use super::{metrics, reporting, sboms, Release};
use crate::collect::{self, Env};
use crate::config::Scope;
use crate::error::{Error, Result};
use crate::gate::facts::TestsFact;
use crate::write;

/// What a part wrote.
#[derive(Debug, Clone)]
pub struct PartOutcome {
    /// The part directory.
    pub dir: std::path::PathBuf,
    /// The part's id.
    pub part: String,
    /// The plan's digest.
    pub plan_digest: String,
    /// Every file written, with its sha256, sorted by name.
    pub files: Vec<(String, String)>,
    /// What became of the tests.
    pub tests: PartTests,
    /// The key id that signed the manifest.
    pub keyid: String,
    /// Warnings for the user.
    pub warnings: Vec<String>,
}

impl PartOutcome {
    /// `relgate release part --format json`.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "dir": self.dir,
            "part": self.part,
            "plan": self.plan_digest,
            "tests": self.tests,
            "keyid": self.keyid,
            "files": self.files.iter().map(|(n, d)| serde_json::json!({"name": n, "sha256": d})).collect::<Vec<_>>(),
            "warnings": self.warnings,
        })
    }
}

impl Release {
    /// Runs part `part_id` of the plan at `plan_path` into this release's
    /// output directory. `expected_digest` (the matrix's `plan-digest`),
    /// when given, must be the plan file's.
    pub fn part(
        &self,
        env: &dyn Env,
        plan_path: &Path,
        part_id: &str,
        expected_digest: Option<&str>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<PartOutcome> {
        let (parts_plan, digest) = read_plan(plan_path, expected_digest)?;
        let part = parts_plan.part(part_id).ok_or_else(|| {
            Error::InvalidOption(format!(
                "the plan has no part `{part_id}` (its parts: {})",
                parts_plan
                    .parts
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let target = part.target.clone().unwrap_or_default();

        let run_start = env.now_nanos();
        let started_on = env.now();
        let mut clock = Clock {
            env,
            stages: Vec::new(),
            progress,
            current: None,
        };
        clock.start(Stage::Preflight);
        let this = Release {
            invocation_id: Some(parts_plan.invocation_id.clone()),
            // A part is checked against the plan's commit below.
            allow_dirty: true,
            ..self.clone()
        };
        let _out_lock = write::lock(&self.out, self.wait_lock, &self.waiting())?;
        let plan = this.prepare(env, super::plan::Locks::None)?;
        let mut warnings = plan.warnings.clone();
        check_checkout(&plan, &parts_plan)?;
        if part.kind == PartKind::Compat {
            return self.compat_part(
                env,
                (&parts_plan, &digest),
                part,
                &plan,
                clock,
                (run_start, started_on),
                warnings,
            );
        }

        clock.start(Stage::Build);
        let build_start = env.now_nanos();
        let built = if self.no_build {
            Vec::new()
        } else {
            collect::release::build_for(
                &plan.manifest,
                &part.packages,
                Some(&target),
                plan.contract.release.auditable,
            )?
        };
        let build_seconds = (env.now_nanos() - build_start) as f64 / 1e9;
        let shipped: Vec<std::path::PathBuf> =
            built.into_iter().chain(self.artifacts.iter().cloned()).collect();
        let names = super::artifacts::named(&shipped, &[PART_MANIFEST])?;
        let embedded = super::artifacts::embedded(&names)?;

        clock.start(Stage::Test);
        let (tests_fact, tests) = run_tests(&plan, &target);
        if let Some(r) = &tests.reason {
            warnings.push(format!("tests {}: {r}", tests.status.id()));
        }

        clock.start(Stage::Collect);
        let scope = Scope {
            manifest_path: Some(plan.manifest.clone()),
            packages: part.packages.clone(),
            target: Some(target.clone()),
            ..Scope::default()
        };
        let facts = collect::gather_with_git(
            &scope,
            env,
            (plan.git.clone(), plan.toolchain.clone(), plan.host_cfg.clone()),
            &mut || None,
        )?;

        clock.start(Stage::Sbom);
        let sbom = sboms::render(
            &facts,
            &plan.contract.sbom,
            sboms::Shipped {
                names: &names,
                embedded: &embedded,
            },
        )?;
        // Each executable against this target's SBOM, as the merge will report it.
        let binaries = embedded
            .iter()
            .filter_map(|(name, e)| crate::analyze::binary::check(&facts, name, e))
            .collect();

        clock.start(Stage::Metrics);
        let mut files = super::staged::evidence(&names, sbom.cdx, sbom.spdx, None)?;
        let artifacts = artifact_facts(&files);
        let (rendered, _) = metrics::render(&metrics::Inputs {
            artifacts: &artifacts,
            sbom: &sbom.fact,
            compat_changes: 0,
            tests: &tests_fact,
            build_seconds: (!self.no_build).then_some(build_seconds),
            stages: &clock.stages,
            release: crate::emit::metrics::ReleaseRef {
                id: parts_plan.invocation_id.clone(),
                version: parts_plan.version.clone(),
                commit: Some(parts_plan.commit.clone()),
            },
            usage: collect::release::usage(),
        })?;
        files.push(Staged::new(
            "metrics.json",
            write::Content::Bytes(rendered.json),
            false,
        )?);
        files.push(Staged::new(
            "metrics.prom",
            write::Content::Bytes(rendered.prom),
            false,
        )?);

        let passed = !matches!(tests.status, TestStatus::Failed | TestStatus::Inconclusive);
        self.sign_and_write(
            env,
            files,
            (&parts_plan, &digest),
            part,
            &plan,
            clock,
            (tests, passed, binaries),
            (run_start, started_on),
            warnings,
        )
    }
}

impl Release {
    /// A compat part: its shard of the library members against their
    /// baselines (the same decisions a one-machine release makes), written
    /// as `compat.json` (a workspace `compat_report.json`) for the merge.
    #[allow(clippy::too_many_arguments)]
    fn compat_part(
        &self,
        env: &dyn Env,
        (parts_plan, digest): (&PartsPlan, &str),
        part: &super::parts::Part,
        plan: &super::ReleasePlan,
        mut clock: Clock<'_>,
        (run_start, started_on): (u128, i64),
        warnings: Vec<String>,
    ) -> Result<PartOutcome> {
        clock.start(Stage::Compat);
        let mut libs = Vec::new();
        for name in &part.packages {
            match plan.members.libraries.iter().find(|l| &l.name == name) {
                Some(l) => libs.push(l.clone()),
                None => {
                    return Err(Error::Preflight {
                        reason: format!(
                            "part `{}` compares `{name}`, which this checkout does not have as a publishable library member",
                            part.id
                        ),
                        fix: "run the part in a checkout of the plan's commit, with the plan's contract".into(),
                    })
                }
            }
        }
        let compared = super::compat::members_of(plan, &libs, env)?;
        if !compared.not_compared.is_empty() {
            return Err(Error::InvalidOption(
                "the baseline is `none` here: a compat part has nothing to compare (plan without --compat-shards)".into(),
            ));
        }
        let ws = crate::WorkspaceCompat {
            members: compared.members,
            skipped: Vec::new(),
        };
        let passed = ws.failed().is_empty() && ws.sufficient();
        let files = vec![Staged::new(
            COMPAT_RESULTS,
            write::Content::Bytes(crate::emit::compat::workspace_json(&ws)?),
            false,
        )?];
        let tests = PartTests {
            status: TestStatus::NotRequired,
            passed: 0,
            failed: 0,
            ignored: 0,
            reason: Some("a compat part compares APIs; the build parts run the tests".into()),
        };
        self.sign_and_write(
            env,
            files,
            (parts_plan, digest),
            part,
            plan,
            clock,
            (tests, passed, Vec::new()),
            (run_start, started_on),
            warnings,
        )
    }

    /// Adds the run's trace (`passed`: the part's own status) to `files`,
    /// signs the part manifest over them and writes the part directory.
    #[allow(clippy::too_many_arguments)]
    fn sign_and_write(
        &self,
        env: &dyn Env,
        mut files: Vec<Staged>,
        (parts_plan, digest): (&PartsPlan, &str),
        part: &super::parts::Part,
        plan: &super::ReleasePlan,
        mut clock: Clock<'_>,
        (tests, passed, binaries): (PartTests, bool, Vec<crate::gate::facts::BinaryFact>),
        (run_start, started_on): (u128, i64),
        warnings: Vec<String>,
    ) -> Result<PartOutcome> {
        clock.start(Stage::Sign);
        clock.finish(Vec::new());
        let trace = reporting::trace(
            plan,
            Some(parts_plan.commit.clone()),
            &parts_plan.version,
            clock.stages.clone(),
            passed,
            (run_start, env.now_nanos()),
        );
        files.push(Staged::new("traces.ndjson", write::Content::Bytes(trace), false)?);
        files.sort_by(|a, b| a.entry.name.cmp(&b.entry.name));
        let statement = manifest(
            &files,
            (parts_plan, part, digest),
            plan,
            env,
            (&tests, binaries),
            started_on,
        )?;
        let envelope = crate::provenance::dsse::Envelope::sign(
            crate::provenance::dsse::IN_TOTO,
            &statement.render(),
            &[&plan.key],
        );
        files.push(Staged::new(
            PART_MANIFEST,
            write::Content::Bytes(envelope.to_json_line().into_bytes()),
            false,
        )?);

        clock.start(Stage::Write);
        let digests = Staged::digests(&files);
        write::release_dir(&self.out, &Staged::entries(files))?;
        clock.finish(Vec::new());
        Ok(PartOutcome {
            dir: self.out.clone(),
            part: part.id.clone(),
            plan_digest: digest.to_owned(),
            files: digests,
            tests,
            keyid: plan.key.keyid().to_owned(),
            warnings,
        })
    }
}

/// The part's manifest: every file by its digest, bound to the plan, the
/// part, the commit and this runner.
#[allow(clippy::too_many_arguments)]
fn manifest(
    files: &[Staged],
    (parts_plan, part, digest): (&PartsPlan, &super::parts::Part, &str),
    plan: &super::ReleasePlan,
    env: &dyn Env,
    (tests, binaries): (&PartTests, Vec<crate::gate::facts::BinaryFact>),
    started_on: i64,
) -> Result<PartStatement> {
    Ok(PartStatement {
        kind: STATEMENT_TYPE.into(),
        subject: files
            .iter()
            .map(|f| PartSubject {
                name: f.entry.name.clone(),
                digest: BTreeMap::from([("sha256".to_owned(), f.sha256.clone())]),
            })
            .collect(),
        predicate_type: PART_PREDICATE.into(),
        predicate: PartPredicate {
            plan: digest.to_owned(),
            part: part.id.clone(),
            kind: part.kind,
            commit: parts_plan.commit.clone(),
            invocation_id: parts_plan.invocation_id.clone(),
            target: part.target.clone(),
            packages: part.packages.clone(),
            runner: Runner {
                host: plan.toolchain.host.clone(),
                name: env.var("RUNNER_NAME"),
                os: env.var("RUNNER_OS"),
                arch: env.var("RUNNER_ARCH"),
            },
            toolchain: ToolchainRef {
                rustc: plan.toolchain.rustc_version.clone(),
                host: plan.toolchain.host.clone(),
            },
            tests: tests.clone(),
            relgate_version: env!("CARGO_PKG_VERSION").into(),
            binaries,
            started_on: crate::emit::rfc3339(started_on)?,
            finished_on: crate::emit::rfc3339(env.now())?,
        },
    })
}

/// The plan file at `path` and its digest, which must be `expected` when given.
pub(super) fn read_plan(path: &Path, expected: Option<&str>) -> Result<(PartsPlan, String)> {
    let bytes = collect::inputs::read_limited(path, "release plan", collect::inputs::MAX_DOCUMENT)?;
    let digest = PartsPlan::digest(&bytes);
    let plan = PartsPlan::parse(&bytes).map_err(|reason| Error::Input {
        what: "release plan",
        path: path.to_path_buf(),
        reason,
    })?;
    if let Some(expected) = expected {
        if expected != digest {
            return Err(Error::Preflight {
                reason: format!("the plan file's digest is {digest}, not {expected}"),
                fix: "hand every job the plan.json the plan job wrote (download its artifact unchanged)"
                    .into(),
            });
        }
    }
    Ok((plan, digest))
}

/// This checkout is the plan's clean commit, with the plan's contract.
pub(super) fn check_checkout(plan: &super::ReleasePlan, parts_plan: &PartsPlan) -> Result<()> {
    match plan.clean_commit.as_deref() {
        Some(c) if c == parts_plan.commit => {}
        Some(c) => {
            return Err(Error::Preflight {
                reason: format!(
                    "this checkout is at {c}, the plan's commit is {}",
                    parts_plan.commit
                ),
                fix: "check out the plan's commit on every runner (actions/checkout of the same sha)".into(),
            })
        }
        None => return Err(Error::Preflight {
            reason:
                "the work tree is not a clean git checkout, so it cannot be proven to be the plan's commit"
                    .into(),
            fix: "run in a clean checkout of the plan's commit".into(),
        }),
    }
    if plan.contract.sha256 != parts_plan.contract.sha256 {
        return Err(Error::Preflight {
            reason: format!(
                "the contract ({}) is not the one the plan was made with (sha256 {})",
                plan.contract.origin.as_deref().unwrap_or("relgate defaults"),
                parts_plan.contract.sha256
            ),
            fix: "pass the same --contract to `release plan`, `release part` and `release merge`".into(),
        });
    }
    Ok(())
}

/// The tests, when this runner can run the target: the contract's test
/// command on a host that is the target; otherwise "not run", never "passed".
fn run_tests(plan: &super::ReleasePlan, target: &str) -> (TestsFact, PartTests) {
    let counts = |status: TestStatus, f: &TestsFact, reason: Option<String>| PartTests {
        status,
        passed: f.passed,
        failed: f.failed,
        ignored: f.ignored,
        reason,
    };
    if !plan.contract.release.run_tests {
        let f = TestsFact::default();
        return (f.clone(), counts(TestStatus::NotRequired, &f, None));
    }
    if plan.toolchain.host != target {
        let f = TestsFact {
            required: true,
            ..TestsFact::default()
        };
        let reason = format!(
            "not run on this runner: its host {} cannot run {target}",
            plan.toolchain.host
        );
        return (f.clone(), counts(TestStatus::NotRun, &f, Some(reason)));
    }
    let f = super::testing::run(plan);
    let status = if !f.ran || !f.conclusive {
        TestStatus::Inconclusive
    } else if f.failed > 0 || f.exit_code != Some(0) {
        TestStatus::Failed
    } else {
        TestStatus::Passed
    };
    let reason =
        (status == TestStatus::Inconclusive).then(|| "the test command printed no libtest result".to_owned());
    (f.clone(), counts(status, &f, reason))
}
