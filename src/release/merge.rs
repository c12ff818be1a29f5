//! `relgate release merge`: the fan-in of a release built on many runners.
//!
//! ```text
//! read plan → preflight, once (`cargo metadata` starts beside it) →
//!   check the checkout (plan's commit, plan's contract), the keys and the
//!   part directories → lock the release directory → verify every part (signature by a trusted key, plan digest,
//!     commit, invocation id, part as planned, every file by its digest,
//!     no file it does not sign) → parts-complete (each planned part
//!     exactly once) → lock the ledger and read it again → the release
//!     pipeline over the parts' files and that same plan
//! ```
//!
//! Problems with the parts are findings (`parts-complete`, exit 1) and
//! nothing is written. Once the parts hold, the ordinary release runs
//! (compat, schema lock, the whole gate, report, one provenance, the
//! ledger) with the parts' binaries as its artifacts — named
//! `<name>-<target>` — their manifests and per-target SBOMs as evidence,
//! their test results as the test evidence, and each part manifest named
//! by digest in the provenance's `resolvedDependencies`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::artifacts::Built;
use super::parts::{PartKind, PartStatement, PartsPlan, TestStatus, COMPAT_RESULTS, PART_MANIFEST};
use super::staged::Staged;
use super::{Outcome, Progress, Release, ReleasePlan};
use crate::collect::{self, Env};
use crate::error::{Error, Result};
use crate::gate::facts::TestsFact;
use crate::provenance::keys::PublicKey;
use crate::write;

/// The evidence files every part writes besides its artifacts.
const PART_EVIDENCE: [&str; 5] = [
    "sbom.cdx.json",
    "sbom.spdx.json",
    "metrics.json",
    "metrics.prom",
    "traces.ndjson",
];

/// Why a part cannot be merged: the `parts-complete` invariant's findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// A planned part did not arrive.
    Missing,
    /// Two directories hold the same part.
    Duplicated,
    /// No valid signature by a trusted key.
    Unsigned,
    /// It names another plan (digest).
    OtherPlan,
    /// It was built from another commit or release (invocation id).
    OtherCommit,
    /// Its id, kind, target or packages are not the plan's.
    NotPlanned,
    /// A file is missing, changed, or not signed.
    Tampered,
}

impl ProblemKind {
    /// Every kind.
    pub const ALL: [ProblemKind; 7] = [
        ProblemKind::Missing,
        ProblemKind::Duplicated,
        ProblemKind::Unsigned,
        ProblemKind::OtherPlan,
        ProblemKind::OtherCommit,
        ProblemKind::NotPlanned,
        ProblemKind::Tampered,
    ];
    /// The kind as printed.
    pub fn id(self) -> &'static str {
        match self {
            ProblemKind::Missing => "missing",
            ProblemKind::Duplicated => "duplicated",
            ProblemKind::Unsigned => "unsigned",
            ProblemKind::OtherPlan => "other-plan",
            ProblemKind::OtherCommit => "other-commit",
            ProblemKind::NotPlanned => "not-planned",
            ProblemKind::Tampered => "tampered",
        }
    }
    /// What it means.
    pub fn explain(self) -> &'static str {
        match self {
            ProblemKind::Missing => "a part the plan lists did not arrive",
            ProblemKind::Duplicated => "two part directories hold the same part",
            ProblemKind::Unsigned => "the part manifest has no valid signature by the release key or a --part-key",
            ProblemKind::OtherPlan => "the part names another plan's digest",
            ProblemKind::OtherCommit => "the part was built from another commit, or for another release (invocation id)",
            ProblemKind::NotPlanned => "the part's id, kind, target or packages are not what the plan lists",
            ProblemKind::Tampered => "a file of the part is missing, differs from its signed digest, is not signed, or the manifest is unreadable",
        }
    }
}

/// What `relgate explain parts-complete` prints.
pub const PARTS_COMPLETE: &str = "parts-complete: `relgate release merge` merges a release built on many runners only when every part the plan lists arrived exactly once, each signed by a trusted key (the release key or a --part-key), naming this plan's digest, commit and invocation id, built as planned, with every file matching its signed digest and no file it does not sign. Otherwise nothing is written and the merge exits 1.";

/// One reason the parts cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PartProblem {
    /// The part id (or the directory, when the manifest is unreadable).
    pub part: String,
    /// What is wrong.
    pub kind: ProblemKind,
    /// In words.
    pub detail: String,
}

/// What a merge did.
#[derive(Debug, Clone)]
pub enum MergeOutcome {
    /// The parts held: the release ran (and was released or rejected by the gate).
    Ran(Box<Outcome>),
    /// `parts-complete` failed: nothing was written.
    Refused(Vec<PartProblem>),
}

/// What the parts bring to the release pipeline (set on [`Release`] by a merge).
#[derive(Debug)]
pub(super) struct FromParts {
    commit: String,
    /// Release-directory name → (file, executable).
    artifacts: BTreeMap<String, PathBuf>,
    /// Release-directory name → file: manifests and per-part SBOMs.
    evidence: BTreeMap<String, PathBuf>,
    /// (name, sha256) of each part manifest, for `resolvedDependencies`.
    manifests: Vec<(String, String)>,
    /// The test evidence, from the parts that could run the tests.
    pub(super) tests: TestsFact,
    /// Each executable against its part's SBOM (as the part checked it),
    /// under its name in the merged release.
    pub(super) binaries: Vec<crate::gate::facts::BinaryFact>,
    /// report.md's section per part.
    pub(super) rows: Vec<crate::emit::report::PartRow>,
    /// Every part file as verified: its private copy (or its bytes), by
    /// the path it was read from.
    verified: BTreeMap<PathBuf, Copied>,
    /// Where the verified copies live until they are moved into the release
    /// (removed before the lock below is released: fields drop in order).
    _scratch: write::Scratch,
    /// Holds the release directory's lock from before the parts are read
    /// until the merged release is written (`prepare` does not lock again).
    _out_lock: write::Lock,
    /// The compat parts' results, when the plan has compat parts (then
    /// the merge compares nothing itself).
    pub(super) compat: Option<Vec<crate::MemberCompat>>,
}

impl FromParts {
    pub(super) fn check_commit(&self, plan: &ReleasePlan) -> Result<()> {
        match plan.clean_commit.as_deref() {
            Some(c) if c == self.commit => Ok(()),
            other => Err(Error::Preflight {
                reason: format!(
                    "the checkout is at {}, the plan's commit is {}",
                    other.unwrap_or("a dirty tree"),
                    self.commit
                ),
                fix: "merge in a clean checkout of the plan's commit".into(),
            }),
        }
    }

    pub(super) fn built(&self) -> Result<Built> {
        Ok(Built {
            names: self.artifacts.clone(),
            seconds: 0.0,
            embedded: Default::default(),
        })
    }

    /// The parts' files as the release stages them: artifacts (executable)
    /// and evidence, with the digests verified against the part manifests.
    pub(super) fn staged(&self) -> Result<Vec<Staged>> {
        let known = |name: &str, path: &PathBuf, executable: bool| -> Result<Staged> {
            match self.verified.get(path) {
                Some(Copied::File { copy, sha256, size }) => Ok(Staged::moved(
                    name,
                    copy.clone(),
                    sha256.clone(),
                    *size,
                    executable,
                )),
                Some(Copied::Bytes(b)) => Staged::new(name, write::Content::Bytes(b.clone()), executable),
                None => Err(Error::Inconsistent(format!(
                    "{} was not verified with its part",
                    path.display()
                ))),
            }
        };
        let mut out = Vec::new();
        for (name, path) in &self.artifacts {
            out.push(known(name, path, true)?);
        }
        for (name, path) in &self.evidence {
            out.push(known(name, path, false)?);
        }
        Ok(out)
    }

    pub(super) fn manifests(&self) -> Vec<(String, String)> {
        self.manifests.clone()
    }
}

/// A part file as verified: the bytes whose digest was checked.
#[derive(Debug, Clone)]
enum Copied {
    /// Copied into the merge's scratch directory while it was hashed.
    File {
        copy: PathBuf,
        sha256: String,
        size: u64,
    },
    /// Read into memory (the manifest, a compat part's results).
    Bytes(Vec<u8>),
}

/// Why a part directory could not be taken: a problem with the part
/// (`parts-complete`), or this machine could not write the copy.
enum Failed {
    Problem(PartProblem),
    Io(Error),
}

/// A part that verified.
struct Verified {
    dir: PathBuf,
    statement: PartStatement,
    manifest_sha256: String,
    /// Components in its CycloneDX SBOM (`None`: it has none, or unreadable).
    sbom_components: Option<usize>,
    /// Each file as verified (the manifest too).
    verified: BTreeMap<PathBuf, Copied>,
    /// A compat part's results, parsed from the bytes whose digest was checked.
    compat: Option<crate::WorkspaceCompat>,
}

impl Release {
    /// Merges the parts in `part_dirs` (part directories, or directories
    /// holding them) of the plan at `plan_path` into this release's output
    /// directory. `part_keys` are trusted besides the release key.
    pub fn merge(
        &self,
        env: &dyn Env,
        plan_path: &Path,
        part_dirs: &[PathBuf],
        expected_digest: Option<&str>,
        part_keys: &[PathBuf],
        progress: &mut dyn FnMut(Progress),
    ) -> Result<MergeOutcome> {
        let (parts_plan, digest) = super::part::read_plan(plan_path, expected_digest)?;
        let this = Release {
            invocation_id: Some(parts_plan.invocation_id.clone()),
            no_build: true,
            artifacts: Vec::new(),
            ..self.clone()
        };
        let manifest = collect::manifest_or_cwd(self.manifest_path.as_deref())?;
        std::thread::scope(|s| {
            // cargo metadata, the longest read, overlaps the parts' hashing.
            let prefetch = s.spawn(|| collect::prefetch_metadata(&manifest, env));
            this.merge_parts(
                env,
                (&parts_plan, &digest),
                (part_dirs, part_keys),
                progress,
                prefetch,
            )
        })
    }

    fn merge_parts(
        &self,
        env: &dyn Env,
        (parts_plan, digest): (&PartsPlan, &str),
        (part_dirs, part_keys): (&[PathBuf], &[PathBuf]),
        progress: &mut dyn FnMut(Progress),
        prefetch: std::thread::ScopedJoinHandle<'_, collect::Prefetched>,
    ) -> Result<MergeOutcome> {
        let (started_nanos, started_on) = (env.now_nanos(), env.now());
        // Checked before anything is locked or read: this checkout, this
        // contract, --out, the keys, the part directories. Prepared once:
        // the stages run over this plan (a dirty tree is refused by the
        // checkout check, which says why).
        let mut plan = Release {
            allow_dirty: true,
            ..self.clone()
        }
        .prepare(env, super::plan::Locks::None)?;
        super::part::check_checkout(&plan, parts_plan)?;
        let mut trusted = vec![plan.key.public()];
        trusted.extend(collect::inputs::public_keys(part_keys)?);
        let found = find_parts(part_dirs)?;

        // One writer for the directory from here on: each part file is
        // copied beside it while it is hashed, and those very bytes are
        // moved into the release.
        let out_lock = write::lock(&plan.out, self.wait_lock, &self.waiting())?;
        write::recover(&plan.out)?;
        let scratch = write::Scratch::new(&plan.out, "parts")?;
        let mut problems = Vec::new();
        let mut by_id: BTreeMap<String, Verified> = BTreeMap::new();
        let results = verify_all(&found, &scratch, |dir, into| {
            verify_part(dir, parts_plan, digest, &trusted, into)
        })?;
        for result in results {
            match result {
                Err(Failed::Io(e)) => return Err(e),
                Err(Failed::Problem(p)) => problems.push(p),
                Ok(v) => {
                    let id = v.statement.predicate.part.clone();
                    if let Some(first) = by_id.get(&id) {
                        problems.push(PartProblem {
                            part: id.clone(),
                            kind: ProblemKind::Duplicated,
                            detail: format!("in {} and {}", first.dir.display(), v.dir.display()),
                        });
                    } else {
                        by_id.insert(id, v);
                    }
                }
            }
        }
        for p in &parts_plan.parts {
            if !by_id.contains_key(&p.id) && !problems.iter().any(|x| x.part == p.id) {
                problems.push(PartProblem {
                    part: p.id.clone(),
                    kind: ProblemKind::Missing,
                    detail: "no part directory holds it".into(),
                });
            }
        }
        if !problems.is_empty() {
            problems.sort_by(|a, b| (&a.part, a.kind).cmp(&(&b.part, b.kind)));
            return Ok(MergeOutcome::Refused(problems));
        }
        let from = from_parts(
            parts_plan,
            &by_id,
            plan.contract.release.run_tests,
            (out_lock, scratch),
        )?;
        // The parts hold: now the ledger is locked and read again under
        // the lock (a refused merge never touches it).
        self.lock_ledger(&mut plan)?;
        let merged = Release {
            merged: Some(std::sync::Arc::new(from)),
            ..self.clone()
        };
        let prepared = super::Prepared {
            plan,
            started_nanos,
            started_on,
        };
        merged
            .run_stages(env, progress, prefetch, Some(prepared))
            .map(|o| MergeOutcome::Ran(Box::new(o)))
    }
}

/// Verifies every part directory, as many at a time as there are cores
/// (hashing is the work), each into its own scratch subdirectory; the
/// results in `dirs`' order.
fn verify_all(
    dirs: &[PathBuf],
    scratch: &write::Scratch,
    verify: impl Fn(&Path, &Path) -> std::result::Result<Verified, Failed> + Sync,
) -> Result<Vec<std::result::Result<Verified, Failed>>> {
    let intos = (0..dirs.len())
        .map(|n| scratch.subdir(&n.to_string()))
        .collect::<Result<Vec<_>>>()?;
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..workers.min(dirs.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let (Some(dir), Some(into)) = (dirs.get(i), intos.get(i)) else {
                    break;
                };
                let r = verify(dir, into);
                if let Ok(mut d) = done.lock() {
                    d.insert(i, r);
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_default();
    // A part whose thread died is an error, never a part left out.
    (0..dirs.len())
        .map(|i| {
            done.remove(&i)
                .ok_or_else(|| Error::Inconsistent(format!("verifying {} did not finish", dirs[i].display())))
        })
        .collect()
}

/// Each directory given, or its subdirectories, that holds a part manifest.
fn find_parts(dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for d in dirs {
        if collect::probe::is_file(&d.join(PART_MANIFEST)) {
            out.push(d.clone());
            continue;
        }
        for name in collect::probe::dir_names(d, "part directory")? {
            let e = d.join(name);
            if collect::probe::is_file(&e.join(PART_MANIFEST)) {
                out.push(e);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Checks one part directory against the plan; its problem, if any.
fn verify_part(
    dir: &Path,
    plan: &PartsPlan,
    digest: &str,
    trusted: &[PublicKey],
    into: &Path,
) -> std::result::Result<Verified, Failed> {
    let label = dir.display().to_string();
    let problem = |part: &str, kind: ProblemKind, detail: String| {
        Failed::Problem(PartProblem {
            part: part.to_owned(),
            kind,
            detail,
        })
    };
    let manifest_path = dir.join(PART_MANIFEST);
    let bytes = collect::inputs::read_limited(&manifest_path, "part manifest", collect::inputs::MAX_DOCUMENT)
        .map_err(|e| problem(&label, ProblemKind::Tampered, e.to_string()))?;
    let envelope = crate::provenance::dsse::Envelope::parse(&bytes)
        .map_err(|e| problem(&label, ProblemKind::Tampered, format!("{PART_MANIFEST}: {e}")))?;
    let payload = envelope
        .payload_bytes()
        .map_err(|e| problem(&label, ProblemKind::Tampered, format!("{PART_MANIFEST}: {e}")))?;
    let statement = PartStatement::parse(&payload)
        .map_err(|e| problem(&label, ProblemKind::Tampered, format!("{PART_MANIFEST}: {e}")))?;
    let id = statement.predicate.part.clone();
    let signed = envelope
        .check_signatures(&payload, trusted)
        .map(|c| !c.verified_keys.is_empty())
        .unwrap_or(false);
    if envelope.payload_type != crate::provenance::dsse::IN_TOTO || !signed {
        return Err(problem(
            &id,
            ProblemKind::Unsigned,
            format!("{label}: no valid signature by the release key or a --part-key"),
        ));
    }
    let p = &statement.predicate;
    if p.plan != digest {
        return Err(problem(
            &id,
            ProblemKind::OtherPlan,
            format!("{label} names plan {}", p.plan),
        ));
    }
    if p.commit != plan.commit || p.invocation_id != plan.invocation_id {
        return Err(problem(
            &id,
            ProblemKind::OtherCommit,
            format!("{label} was built from {} for {}", p.commit, p.invocation_id),
        ));
    }
    match plan.part(&id) {
        Some(planned)
            if planned.kind == p.kind && planned.target == p.target && planned.packages == p.packages => {}
        _ => {
            return Err(problem(
                &id,
                ProblemKind::NotPlanned,
                format!("{label}: the plan lists no such part, or another target or packages"),
            ))
        }
    }
    // Exactly the signed files, each with its signed digest.
    let names: Vec<String> = collect::probe::dir_names(dir, "part directory")
        .map_err(|e| problem(&id, ProblemKind::Tampered, e.to_string()))?
        .into_iter()
        .filter(|n| n != PART_MANIFEST)
        .collect();
    let mut signed_names: Vec<String> = statement.subject.iter().map(|s| s.name.clone()).collect();
    signed_names.sort();
    if names != signed_names {
        return Err(problem(
            &id,
            ProblemKind::Tampered,
            format!("{label} holds {names:?}, its manifest signs {signed_names:?}"),
        ));
    }
    if p.kind == PartKind::Build {
        if let Some(missing) = PART_EVIDENCE
            .iter()
            .find(|e| !signed_names.iter().any(|n| n == *e))
        {
            return Err(problem(
                &id,
                ProblemKind::NotPlanned,
                format!("{label}: a build part signs its {missing}; this one does not"),
            ));
        }
    }
    if p.kind == PartKind::Compat {
        let mut expected = vec![COMPAT_RESULTS.to_owned(), "traces.ndjson".to_owned()];
        expected.sort();
        if signed_names != expected {
            return Err(problem(
                &id,
                ProblemKind::NotPlanned,
                format!("{label}: a compat part holds {expected:?}, this one {signed_names:?}"),
            ));
        }
    }
    let mut verified = BTreeMap::new();
    verified.insert(manifest_path.clone(), Copied::Bytes(bytes.clone()));
    let mut compat = None;
    for s in &statement.subject {
        let path = dir.join(&s.name);
        if collect::probe::is_symlink(&path) || !collect::probe::is_file(&path) {
            return Err(problem(
                &id,
                ProblemKind::Tampered,
                format!("{} is not a regular file", path.display()),
            ));
        }
        let actual = if p.kind == PartKind::Compat && s.name == COMPAT_RESULTS {
            // Parsed from exactly the bytes whose digest is checked.
            let results =
                collect::inputs::read_limited(&path, "compat part results", collect::inputs::MAX_DOCUMENT)
                    .map_err(|e| problem(&id, ProblemKind::Tampered, e.to_string()))?;
            let ws = crate::emit::compat::parse_workspace(&results)
                .map_err(|e| problem(&id, ProblemKind::Tampered, format!("{}: {e}", path.display())))?;
            let mut names: Vec<String> = ws.members.iter().map(|m| m.package().to_owned()).collect();
            names.sort();
            let mut planned = p.packages.clone();
            planned.sort();
            if names != planned {
                return Err(problem(
                    &id,
                    ProblemKind::NotPlanned,
                    format!("{label} compared {names:?}, the plan gives it {planned:?}"),
                ));
            }
            compat = Some(ws);
            let sha256 = super::staged::sha256(&results);
            verified.insert(path.clone(), Copied::Bytes(results));
            sha256
        } else {
            let copy = into.join(&s.name);
            let (sha256, size) = write::copy_hashed(&path, &copy).map_err(|e| match e {
                write::CopyError::Read(why) => problem(&id, ProblemKind::Tampered, why),
                write::CopyError::Write(e) => Failed::Io(e),
            })?;
            verified.insert(
                path.clone(),
                Copied::File {
                    copy,
                    sha256: sha256.clone(),
                    size,
                },
            );
            sha256
        };
        if s.digest.get("sha256") != Some(&actual) {
            return Err(problem(
                &id,
                ProblemKind::Tampered,
                format!(
                    "{}: its sha256 is {actual}, the manifest signs another",
                    path.display()
                ),
            ));
        }
    }
    // From the verified copy.
    let sbom_components = collect::inputs::read_limited(
        &into.join("sbom.cdx.json"),
        "part SBOM",
        collect::inputs::MAX_DOCUMENT,
    )
    .ok()
    .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    .and_then(|v| v["components"].as_array().map(Vec::len));
    Ok(Verified {
        dir: dir.to_path_buf(),
        manifest_sha256: super::staged::sha256(&bytes),
        statement,
        sbom_components,
        verified,
        compat,
    })
}

/// The name a part's file has in the merged release, and whether it is a
/// released artifact (else evidence); `None` for the part's own metrics
/// and traces, which the merged release replaces.
fn shipped_name(file: &str, kind: PartKind, id: &str, target: &str) -> Option<(String, bool)> {
    match (kind, file) {
        (PartKind::Build, "sbom.cdx.json") => Some((format!("sbom-{id}.cdx.json"), false)),
        (PartKind::Build, "sbom.spdx.json") => Some((format!("sbom-{id}.spdx.json"), false)),
        (PartKind::Compat, COMPAT_RESULTS) => Some((format!("compat-{id}.json"), false)),
        (_, other) if PART_EVIDENCE.contains(&other) => None,
        (PartKind::Build, other) => Some((with_target(other, target), true)),
        (PartKind::Compat, _) => None,
    }
}

/// The release's inputs from verified parts: artifacts `<stem>-<target><ext>`,
/// evidence `part-<id>.intoto.jsonl`, `sbom-<id>.{cdx,spdx}.json` and
/// `compat-<id>.json`, the test evidence (summed over the parts that ran
/// tests; none ran → not run), and the compat parts' results.
fn from_parts(
    plan: &PartsPlan,
    parts: &BTreeMap<String, Verified>,
    run_tests: bool,
    (out_lock, scratch): (write::Lock, write::Scratch),
) -> Result<FromParts> {
    let mut artifacts = BTreeMap::new();
    let mut evidence = BTreeMap::new();
    let mut manifests = Vec::new();
    let mut rows = Vec::new();
    let mut verified = BTreeMap::new();
    let mut compat: Option<Vec<crate::MemberCompat>> = None;
    let mut tests = TestsFact {
        required: run_tests,
        command: vec!["relgate release part".into()],
        ..TestsFact::default()
    };
    let mut conclusive = true;
    let mut binaries = Vec::new();
    for planned in &plan.parts {
        let Some(v) = parts.get(&planned.id) else {
            continue;
        };
        let target = planned.target.clone().unwrap_or_default();
        let p = &v.statement.predicate;
        let mut row = crate::emit::report::PartRow {
            id: planned.id.clone(),
            kind: planned.kind.id().to_owned(),
            compared: match planned.kind {
                PartKind::Compat => planned.packages.clone(),
                PartKind::Build => Vec::new(),
            },
            target: target.clone(),
            runner: p.runner.name.clone().unwrap_or_else(|| p.runner.host.clone()),
            tests: p.tests.status.id().to_owned(),
            tests_detail: match (&p.tests.reason, p.tests.status) {
                (Some(r), _) => r.clone(),
                (None, TestStatus::Passed | TestStatus::Failed) => format!(
                    "{} passed, {} failed, {} ignored",
                    p.tests.passed, p.tests.failed, p.tests.ignored
                ),
                (None, _) => String::new(),
            },
            sbom_components: v.sbom_components.unwrap_or(0),
            files: Vec::new(),
        };
        for s in &v.statement.subject {
            let Some((name, artifact)) = shipped_name(&s.name, planned.kind, &planned.id, &target) else {
                continue;
            };
            row.files.push(crate::emit::report::FileRow {
                name: name.clone(),
                sha256: s.digest.get("sha256").cloned().unwrap_or_default(),
            });
            let path = v.dir.join(&s.name);
            let clash = if artifact {
                super::staged::RESERVED.contains(&name.as_str())
                    || artifacts.insert(name.clone(), path).is_some()
            } else {
                evidence.insert(name.clone(), path).is_some()
            };
            if clash {
                return Err(Error::InvalidOption(format!(
                    "two parts ship a file named `{name}`; give the binaries distinct names"
                )));
            }
        }
        for b in &p.binaries {
            if let Some((name, true)) = shipped_name(&b.name, planned.kind, &planned.id, &target) {
                binaries.push(crate::gate::facts::BinaryFact { name, ..b.clone() });
            }
        }
        let manifest_name = format!("part-{}.intoto.jsonl", planned.id);
        evidence.insert(manifest_name.clone(), v.dir.join(PART_MANIFEST));
        manifests.push((manifest_name, v.manifest_sha256.clone()));
        verified.extend(v.verified.iter().map(|(p, c)| (p.clone(), c.clone())));
        if let Some(ws) = &v.compat {
            compat
                .get_or_insert_with(Vec::new)
                .extend(ws.members.iter().cloned());
        }
        row.files.sort_by(|a, b| a.name.cmp(&b.name));
        rows.push(row);
        let t = &v.statement.predicate.tests;
        match t.status {
            TestStatus::Passed | TestStatus::Failed | TestStatus::Inconclusive => {
                tests.ran = true;
                tests.passed += t.passed;
                tests.failed += t.failed;
                tests.ignored += t.ignored;
                conclusive &= t.status != TestStatus::Inconclusive;
                if t.status == TestStatus::Failed && tests.exit_code.is_none() {
                    tests.exit_code = Some(1);
                }
            }
            TestStatus::NotRun | TestStatus::NotRequired => {}
        }
    }
    tests.conclusive = tests.ran && conclusive;
    if tests.ran && tests.exit_code.is_none() {
        tests.exit_code = Some(0);
    }
    for name in evidence.keys() {
        if artifacts.contains_key(name) {
            return Err(Error::InvalidOption(format!(
                "a part ships a file named `{name}`, which the merge writes"
            )));
        }
    }
    Ok(FromParts {
        commit: plan.commit.clone(),
        artifacts,
        evidence,
        manifests,
        tests,
        binaries,
        rows,
        verified,
        compat,
        _out_lock: out_lock,
        _scratch: scratch,
    })
}

/// `relgate gate --dir` on a merged release: every embedded part manifest
/// (`part-<id>.intoto.jsonl`) is signed by a trusted key, names this
/// release's invocation id and its own part, and every file it signed that
/// the merge ships (binaries as `<name>-<target>`, SBOMs as
/// `sbom-<id>.*`) is in the directory with that digest — so an auditor
/// sees which runner produced which binary. `None` for a release with no
/// part manifests. `files` are the directory's (name, sha256) as hashed.
pub(crate) fn embedded_parts_check(
    dir: &Path,
    files: &BTreeMap<String, String>,
    trusted: &[PublicKey],
    invocation_id: &str,
) -> Option<(String, bool, String)> {
    let manifests: Vec<(&String, String)> = files.keys().filter_map(|n| Some((n, part_id_of(n)?))).collect();
    if manifests.is_empty() {
        return None;
    }
    let mut problems = Vec::new();
    let mut shipped = 0;
    let mut runners = Vec::new();
    for (name, id) in &manifests {
        let check = || -> std::result::Result<(usize, String), String> {
            let bytes = collect::inputs::read_limited(
                &dir.join(name),
                "part manifest",
                collect::inputs::MAX_DOCUMENT,
            )
            .map_err(|e| e.to_string())?;
            let envelope = crate::provenance::dsse::Envelope::parse(&bytes).map_err(|e| e.to_string())?;
            let payload = envelope.payload_bytes().map_err(|e| e.to_string())?;
            let signed = envelope
                .check_signatures(&payload, trusted)
                .map(|c| !c.verified_keys.is_empty())
                .unwrap_or(false);
            if !signed {
                return Err("no valid signature by a trusted key (pass the part key with --part-key)".into());
            }
            let st = PartStatement::parse(&payload)?;
            let p = &st.predicate;
            if &p.part != id || p.invocation_id != invocation_id {
                return Err(format!("names part {} of release {}", p.part, p.invocation_id));
            }
            let target = p.target.clone().unwrap_or_default();
            let mut n = 0;
            for s in &st.subject {
                let Some((merged, _)) = shipped_name(&s.name, p.kind, id, &target) else {
                    continue;
                };
                if files.get(&merged) != s.digest.get("sha256") {
                    return Err(format!("{merged} is not the {} its runner signed", s.name));
                }
                n += 1;
            }
            Ok((
                n,
                format!(
                    "{id} on {}",
                    p.runner.name.clone().unwrap_or_else(|| p.runner.host.clone())
                ),
            ))
        };
        match check() {
            Ok((n, runner)) => {
                shipped += n;
                runners.push(runner);
            }
            Err(why) => problems.push(format!("{name}: {why}")),
        }
    }
    Some(if problems.is_empty() {
        (
            "parts".into(),
            true,
            format!(
                "{} part manifest(s) verify; each of {shipped} shipped file(s) is the one its runner signed ({})",
                manifests.len(),
                runners.join(", ")
            ),
        )
    } else {
        ("parts".into(), false, problems.join("; "))
    })
}

/// The part id of an embedded part manifest's file name (`part-<id>.intoto.jsonl`).
pub(crate) fn part_id_of(name: &str) -> Option<String> {
    let id = name.strip_prefix("part-")?.strip_suffix(".intoto.jsonl")?;
    (!id.is_empty()).then(|| id.to_owned())
}

/// `rg` + `x86_64-unknown-linux-gnu` → `rg-x86_64-unknown-linux-gnu`;
/// `rg.exe` → `rg-x86_64-pc-windows-msvc.exe`.
fn with_target(name: &str, target: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}-{target}.{ext}"),
        _ => format!("{name}-{target}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_kinds_are_frozen_and_explained() {
        let ids: Vec<&str> = ProblemKind::ALL.iter().map(|k| k.id()).collect();
        assert_eq!(
            ids.join(" "),
            "missing duplicated unsigned other-plan other-commit not-planned tampered"
        );
        for k in ProblemKind::ALL {
            assert!(!k.explain().is_empty());
            assert_eq!(serde_json::to_value(k).unwrap(), k.id());
        }
    }

    #[test]
    fn artifact_names_carry_the_target() {
        assert_eq!(
            with_target("rg", "x86_64-unknown-linux-gnu"),
            "rg-x86_64-unknown-linux-gnu"
        );
        assert_eq!(
            with_target("rg.exe", "x86_64-pc-windows-msvc"),
            "rg-x86_64-pc-windows-msvc.exe"
        );
        assert_eq!(with_target(".hidden", "t"), ".hidden-t");
    }
}
