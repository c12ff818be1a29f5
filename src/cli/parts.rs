//! `release plan`, `release part` and `release merge`: a release built on
//! many CI runners.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use relgate::collect::inputs::KeySource;
use relgate::release::{Progress, Release};
use relgate::{Error, SystemEnv};

use super::release::{render_outcome, waiting};

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The workspace's root Cargo.toml.
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// The contract (default: relgate.toml, else [workspace.metadata.relgate]).
    #[arg(long, value_name = "FILE")]
    contract: Option<PathBuf>,
    /// Target triples, comma-separated or repeated (default: this host's).
    #[arg(long, value_name = "T,...", value_delimiter = ',')]
    targets: Vec<String>,
    /// One build part per (target, package) instead of one per target.
    #[arg(long)]
    per_package: bool,
    /// Spread the library members' compat checks over N parts (default:
    /// compat runs once, at the merge).
    #[arg(long, value_name = "N", default_value_t = 0)]
    compat_shards: usize,
    /// The runner label for a target, TARGET=LABEL (repeatable; default:
    /// GitHub-hosted runners by target).
    #[arg(long = "runs-on", value_name = "TARGET=LABEL")]
    runs_on: Vec<String>,
    /// The invocation id every part shares (default: $RELGATE_INVOCATION_ID, else a random UUID).
    #[arg(long, value_name = "ID")]
    invocation_id: Option<String>,
    /// Write the plan to FILE (atomically) as well.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// What to print: the plan in words, the plan file, or the
    /// `strategy.matrix` JSON (one line, for $GITHUB_OUTPUT).
    #[arg(long, default_value = "human", value_parser = ["human", "json", "github-matrix"])]
    format: String,
}

/// What a part and the merge share: the plan, the workspace, the key.
#[derive(Debug, Args)]
pub struct RunnerArgs {
    /// The plan file `relgate release plan --out` wrote.
    #[arg(long, value_name = "FILE")]
    plan: PathBuf,
    /// The plan's digest as the plan job gave it (the matrix's
    /// `plan-digest`): refused unless the plan file has it.
    #[arg(long, value_name = "SHA256")]
    plan_digest: Option<String>,
    /// Signing key (PKCS#8 PEM). Default: $RELGATE_SIGNING_KEY.
    #[arg(long, value_name = "KEY")]
    key: Option<PathBuf>,
    /// Allow the public example key (used when no key is given); a merge
    /// then writes no ledger entry.
    #[arg(long)]
    dry_run: bool,
    /// The workspace's root Cargo.toml.
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// The contract (must be the one the plan was made with).
    #[arg(long, value_name = "FILE")]
    contract: Option<PathBuf>,
    /// Wait up to this many seconds for another relgate writing the same
    /// directory or ledger (default: fail at once, exit 2).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    wait_lock: u64,
    /// Summary format on stdout.
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    format: String,
    /// No progress output.
    #[arg(long, short)]
    quiet: bool,
}

impl RunnerArgs {
    /// The release builder for `out` with these options.
    fn release(&self, out: &std::path::Path) -> Release {
        let mut r = Release::new(out)
            .dry_run(self.dry_run)
            .wait_lock(std::time::Duration::from_secs(self.wait_lock))
            .on_wait(waiting);
        if let Some(p) = &self.manifest_path {
            r = r.manifest_path(p);
        }
        if let Some(k) = &self.key {
            r = r.key(KeySource::File(k.clone()));
        }
        if let Some(c) = &self.contract {
            r = r.contract(c);
        }
        r
    }

    /// Stage timings on stderr, unless --quiet.
    fn progress(&self) -> impl FnMut(Progress) {
        let quiet = self.quiet;
        move |p: Progress| {
            if let (false, Progress::Finished { stage, seconds }) = (quiet, p) {
                eprintln!("      {stage} done in {seconds:.2}s");
            }
        }
    }
}

#[derive(Debug, Args)]
pub struct PartArgs {
    #[command(flatten)]
    runner: RunnerArgs,
    /// The part to run (its id in the plan; the matrix's `part`).
    #[arg(long, value_name = "ID")]
    part: String,
    /// The part directory to write (replaced atomically; one CI artifact).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// A file to add to the part besides the built binaries (repeatable).
    #[arg(long = "artifact", value_name = "PATH")]
    artifacts: Vec<PathBuf>,
    /// Do not run cargo build (the part holds --artifact files and the evidence).
    #[arg(long)]
    no_build: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    #[command(flatten)]
    runner: RunnerArgs,
    /// Part directories, or directories holding them (repeatable).
    #[arg(long = "parts", value_name = "DIR", required = true, num_args = 1..)]
    parts: Vec<PathBuf>,
    /// A public key the parts may be signed with besides the release key (repeatable).
    #[arg(long = "part-key", value_name = "PUB")]
    part_keys: Vec<PathBuf>,
    /// The release directory to write (replaced atomically).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Compat baseline: git:REV, path:DIR, registry:VERSION, rustdoc:FILE or none.
    #[arg(long, value_name = "SPEC")]
    baseline: Option<String>,
    /// The ledger file (default: the contract's, release-ledger.jsonl).
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// Another public key the ledger's entries may be signed with (repeatable).
    #[arg(long = "ledger-key", value_name = "PUB")]
    ledger_keys: Vec<PathBuf>,
    /// A local copy of the RustSec advisory database (instead of the
    /// contract's `[advisories] db`): matched by `no-known-vulnerabilities`.
    #[arg(long, value_name = "DIR")]
    advisory_db: Option<PathBuf>,
}

pub fn part(args: PartArgs) -> Result<ExitCode, Error> {
    use relgate::release::parts::TestStatus;
    let mut r = args.runner.release(&args.out).no_build(args.no_build);
    for a in &args.artifacts {
        r = r.artifact(a);
    }
    let outcome = r.part(
        &SystemEnv,
        &args.runner.plan,
        &args.part,
        args.runner.plan_digest.as_deref(),
        &mut args.runner.progress(),
    )?;
    for w in &outcome.warnings {
        eprintln!("warning: {w}");
    }
    if args.runner.format == "json" {
        println!(
            "{}",
            serde_json::to_string_pretty(&outcome.summary()).unwrap_or_default()
        );
    } else {
        println!(
            "part {} of plan {}: {} files in {}, tests {}, signed by {}",
            outcome.part,
            outcome.plan_digest,
            outcome.files.len(),
            outcome.dir.display(),
            outcome.tests.status.id(),
            outcome.keyid
        );
    }
    Ok(match outcome.tests.status {
        TestStatus::Failed | TestStatus::Inconclusive => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

pub fn merge(args: MergeArgs) -> Result<ExitCode, Error> {
    use relgate::release::MergeOutcome;
    let mut r = args.runner.release(&args.out);
    if let Some(b) = &args.baseline {
        r = r.baseline(b);
    }
    if let Some(l) = &args.ledger {
        r = r.ledger(l);
    }
    for k in &args.ledger_keys {
        r = r.ledger_key(k);
    }
    if let Some(db) = &args.advisory_db {
        r = r.advisory_db(std::path::absolute(db).unwrap_or_else(|_| db.clone()));
    }
    let outcome = r.merge(
        &SystemEnv,
        &args.runner.plan,
        &args.parts,
        args.runner.plan_digest.as_deref(),
        &args.part_keys,
        &mut args.runner.progress(),
    )?;
    match outcome {
        MergeOutcome::Ran(o) => render_outcome(&o, &args.runner.format),
        MergeOutcome::Refused(problems) => {
            if args.runner.format == "json" {
                let doc = serde_json::json!({"released": false, "result": "parts-incomplete", "problems": problems});
                println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            } else {
                println!(
                    "REFUSED: parts-complete failed; nothing was written (`relgate explain parts-complete`)"
                );
                for p in &problems {
                    println!("  {} {}: {}", p.kind.id(), p.part, p.detail);
                }
            }
            Ok(ExitCode::from(1))
        }
    }
}

pub fn plan(args: PlanArgs) -> Result<ExitCode, Error> {
    use relgate::release::parts::{PartsPlan, Split};
    let mut runs_on = Vec::new();
    for spec in &args.runs_on {
        let (t, label) = spec
            .split_once('=')
            .ok_or_else(|| Error::InvalidOption(format!("--runs-on {spec}: expected TARGET=LABEL")))?;
        runs_on.push((t.trim().to_owned(), label.trim().to_owned()));
    }
    let split = Split {
        targets: args
            .targets
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        per_package: args.per_package,
        compat_shards: args.compat_shards,
        runs_on,
    };
    // The release directory is not used: planning writes nothing but --out.
    let mut r = Release::new("target/relgate-plan");
    if let Some(p) = &args.manifest_path {
        r = r.manifest_path(p);
    }
    if let Some(c) = &args.contract {
        r = r.contract(c);
    }
    if let Some(id) = &args.invocation_id {
        r = r.invocation_id(id);
    }
    let plan = r.parts_plan(&SystemEnv, &split)?;
    let bytes = plan.render();
    let digest = PartsPlan::digest(&bytes);
    if let Some(out) = &args.out {
        relgate::write::file_atomic(out, &bytes)?;
    }
    match args.format.as_str() {
        "json" => print!("{}", String::from_utf8_lossy(&bytes)),
        "github-matrix" => println!("{}", plan.github_matrix(&digest)),
        _ => {
            print!("{}", plan.describe_text(&digest));
            if let Some(out) = &args.out {
                println!("wrote {}", out.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
