//! `release`, `gate`, `ledger`, `schema`, `explain` and `init` (the
//! multi-runner `release plan`, `part` and `merge` are in `parts.rs`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use relgate::{Error, SystemEnv};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ReleaseArgs {
    #[command(subcommand)]
    action: Option<Box<ReleaseAction>>,
    /// The workspace's root Cargo.toml.
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// The release directory to write (replaced atomically).
    #[arg(long, value_name = "DIR", required = true)]
    out: Option<PathBuf>,
    /// Signing key (PKCS#8 PEM). Default: $RELGATE_SIGNING_KEY.
    #[arg(long, value_name = "KEY")]
    key: Option<PathBuf>,
    /// Allow the public example key (used when no key is given); do not write the ledger.
    #[arg(long)]
    dry_run: bool,
    /// The contract (default: relgate.toml, else [workspace.metadata.relgate]).
    #[arg(long, value_name = "FILE")]
    contract: Option<PathBuf>,
    /// Compat baseline: git:REV, path:DIR, registry:VERSION, rustdoc:FILE or none.
    #[arg(long, value_name = "SPEC")]
    baseline: Option<String>,
    /// A local copy of the RustSec advisory database (overrides `[advisories] db`).
    #[arg(long, value_name = "DIR")]
    advisory_db: Option<PathBuf>,
    /// A file to release besides the built binaries (repeatable).
    #[arg(long = "artifact", value_name = "PATH")]
    artifacts: Vec<PathBuf>,
    /// Do not run cargo build (release --artifact files and the evidence).
    #[arg(long)]
    no_build: bool,
    /// Release from a work tree with uncommitted changes.
    #[arg(long)]
    allow_dirty: bool,
    /// The ledger file (default: the contract's, release-ledger.jsonl).
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// The invocation id (default: $RELGATE_INVOCATION_ID, else a random UUID).
    #[arg(long, value_name = "ID")]
    invocation_id: Option<String>,
    /// Another public key the ledger's entries may be signed with
    /// (a key used before a rotation); repeatable.
    #[arg(long = "ledger-key", value_name = "PUB")]
    ledger_keys: Vec<PathBuf>,
    /// Wait up to this many seconds for another relgate writing the same
    /// directory or ledger (default: fail at once, exit 2).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    wait_lock: u64,
    /// Print the release plan (what preflight decided: packages that ship,
    /// baselines, paths, key, stages) and stop, doing no work.
    #[arg(long)]
    plan: bool,
    /// Summary format on stdout.
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    format: String,
    /// No progress output.
    #[arg(long, short)]
    quiet: bool,
}

/// A release built on many CI runners.
#[derive(Debug, Subcommand)]
pub enum ReleaseAction {
    /// Plan a release built on many runners: one part per target (and
    /// optional compat shards); prints the plan, its digest, or the matrix
    /// a GitHub Actions job consumes.
    Plan(super::parts::PlanArgs),
    /// Run one part of a plan on this runner: build its target, test it
    /// when this runner can run it, and write the part directory with its
    /// SBOM, metrics, traces and a signed part manifest.
    Part(super::parts::PartArgs),
    /// Merge the parts of a plan on one fan-in runner: verify every part
    /// (parts-complete), then gate, report, sign one provenance and record
    /// the release, as `relgate release` does.
    Merge(super::parts::MergeArgs),
}

pub fn release(args: ReleaseArgs) -> Result<ExitCode, Error> {
    use relgate::collect::inputs::KeySource;
    use relgate::release::{Progress, Release};
    use std::io::IsTerminal;
    if let Some(action) = args.action {
        return match *action {
            ReleaseAction::Plan(p) => super::parts::plan(p),
            ReleaseAction::Part(p) => super::parts::part(p),
            ReleaseAction::Merge(p) => super::parts::merge(p),
        };
    }
    let Some(out) = &args.out else {
        return Err(Error::InvalidOption("--out DIR is required".into()));
    };
    let mut r = Release::new(out)
        .dry_run(args.dry_run)
        .no_build(args.no_build)
        .allow_dirty(args.allow_dirty);
    if let Some(p) = &args.manifest_path {
        r = r.manifest_path(p);
    }
    if let Some(k) = &args.key {
        r = r.key(KeySource::File(k.clone()));
    }
    if let Some(c) = &args.contract {
        r = r.contract(c);
    }
    if let Some(b) = &args.baseline {
        r = r.baseline(b);
    }
    if let Some(db) = &args.advisory_db {
        // Relative to where the user ran relgate, not to the workspace.
        r = r.advisory_db(std::path::absolute(db).unwrap_or_else(|_| db.clone()));
    }
    for a in &args.artifacts {
        r = r.artifact(a);
    }
    if let Some(l) = &args.ledger {
        r = r.ledger(l);
    }
    if let Some(id) = &args.invocation_id {
        r = r.invocation_id(id);
    }
    for k in &args.ledger_keys {
        r = r.ledger_key(k);
    }
    r = r
        .wait_lock(std::time::Duration::from_secs(args.wait_lock))
        .on_wait(waiting);
    if args.plan {
        let plan = r.plan(&relgate::SystemEnv)?;
        let view = plan.describe();
        if args.format == "json" {
            let mut text = serde_json::to_string_pretty(&view).unwrap_or_default();
            text.push('\n');
            print!("{text}");
        } else {
            print!("{}", plan.describe_text());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let tty = std::io::stderr().is_terminal() && !args.quiet;
    let bar = tty.then(|| {
        let b = indicatif::ProgressBar::new(relgate::release::STAGES.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{pos}/{len}] {msg} {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    });
    let quiet = args.quiet;
    let mut progress = |p: Progress| match (&bar, p) {
        (Some(b), Progress::Started { stage, index, .. }) => {
            b.set_position(index as u64 - 1);
            b.set_message(stage);
        }
        (Some(_), Progress::Finished { .. }) => {}
        (None, Progress::Started { stage, index, total }) if !quiet => eprintln!("[{index}/{total}] {stage}"),
        (None, Progress::Finished { stage, seconds }) if !quiet => {
            eprintln!("      {stage} done in {seconds:.2}s")
        }
        _ => {}
    };
    let outcome = r.run(&SystemEnv, &mut progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    render_outcome(&outcome?, &args.format)
}

/// Prints a release's outcome (text or JSON) and maps it to the exit code.
pub(super) fn render_outcome(outcome: &relgate::release::Outcome, format: &str) -> Result<ExitCode, Error> {
    for w in &outcome.warnings {
        eprintln!("warning: {w}");
    }
    if format == "json" {
        let doc = outcome.summary();
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else if outcome.released {
        println!(
            "released {} {} into {} ({} files, signed by keyid {})",
            outcome.package,
            outcome.version,
            outcome.dir.display(),
            outcome.files.len(),
            outcome.keyid.as_deref().unwrap_or("?")
        );
        if outcome.ledger_entry.is_some() {
            println!("recorded in {}", outcome.ledger_path.display());
        }
    } else {
        println!(
            "REJECTED {} {}: the gate failed on {}; nothing was signed. Report: {}",
            outcome.package,
            outcome.version,
            outcome.verdict.failed_rules().join(", "),
            outcome.dir.join("report.md").display()
        );
        for r in outcome
            .verdict
            .rules
            .iter()
            .filter(|r| r.status == relgate::gate::RuleStatus::Fail)
        {
            for f in &r.failures {
                println!("  {}: {}", r.id, f.message);
            }
        }
    }
    Ok(if outcome.released {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// The release directory to re-check.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Trusted public key (SPKI PEM); repeatable.
    #[arg(long = "key", value_name = "PUB", required = true)]
    keys: Vec<PathBuf>,
    /// The workspace's root Cargo.toml (to find the contract and ledger).
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// The contract (default: relgate.toml, else [workspace.metadata.relgate]).
    #[arg(long, value_name = "FILE")]
    contract: Option<PathBuf>,
    /// The ledger (default: the contract's).
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// Gate time, RFC 3339 (default: now).
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// A ledger head seen earlier (from `ledger verify` or a report.md): the
    /// ledger must still hold it, so a truncated or older copy is refused.
    #[arg(long, value_name = "sha256:HEX")]
    ledger_head: Option<String>,
    /// Another public key the ledger's entries may be signed with
    /// (a key used before a rotation); repeatable.
    #[arg(long = "ledger-key", value_name = "PUB")]
    ledger_keys: Vec<PathBuf>,
    /// A public key the part manifests of a release merged from many
    /// runners may be signed with (repeatable).
    #[arg(long = "part-key", value_name = "PUB")]
    part_keys: Vec<PathBuf>,
    /// Wait up to this many seconds for another relgate writing the same
    /// directory or ledger (default: fail at once, exit 2).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    wait_lock: u64,
    /// Sign this verdict (PASSED or FAILED) as a SLSA verification summary
    /// with this private key and append it to the directory's
    /// provenance.intoto.jsonl.
    #[arg(long, value_name = "KEY")]
    vsa_key: Option<PathBuf>,
    /// Output format.
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    format: String,
}

pub fn gate(args: GateArgs) -> Result<ExitCode, Error> {
    let now = args
        .now
        .as_deref()
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|d| d.timestamp())
                .map_err(|e| Error::InvalidOption(format!("--now `{t}` is not RFC 3339: {e}")))
        })
        .transpose()?;
    // The verdict key is loaded first: a bad key is exit 2 before any work.
    let vsa_key = args
        .vsa_key
        .as_ref()
        .map(|k| {
            let mut warnings = Vec::new();
            let key = relgate::collect::inputs::private_key(
                &relgate::collect::inputs::KeySource::File(k.clone()),
                &SystemEnv,
                &mut warnings,
            );
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            key
        })
        .transpose()?;
    let dir = args.dir.clone();
    let r = relgate::release::regate(
        &relgate::release::RegateOptions {
            dir: args.dir,
            keys: args.keys,
            contract: args.contract,
            manifest_path: args.manifest_path,
            ledger: args.ledger,
            now,
            ledger_keys: args.ledger_keys,
            wait_lock: std::time::Duration::from_secs(args.wait_lock),
            ledger_head: args.ledger_head,
            on_wait: Some(waiting),
            part_keys: args.part_keys,
        },
        &SystemEnv,
    )?;
    let passed = r.passed();
    // The verdict is signed before it is printed: a failure to append is
    // exit 2, never a printed verdict without its summary.
    if let Some(key) = &vsa_key {
        relgate::release::append_summary(
            &dir,
            &r,
            key,
            std::time::Duration::from_secs(args.wait_lock),
            &|p| waiting(p),
        )?;
    }
    if args.format == "json" {
        let doc = r.summary();
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        for (id, ok, detail) in &r.checks {
            println!("{} {id}: {detail}", if *ok { "PASS" } else { "FAIL" });
        }
        for rule in &r.verdict.rules {
            use relgate::gate::RuleStatus;
            let tag = match rule.status {
                RuleStatus::Fail => "FAIL",
                RuleStatus::Warn => "WARN",
                RuleStatus::Skipped => "SKIP",
                RuleStatus::Waived => "WAIV",
                RuleStatus::Pass => "PASS",
            };
            let detail = rule
                .failures
                .iter()
                .map(|f| f.message.clone())
                .chain(rule.note.clone())
                .collect::<Vec<_>>()
                .join("; ");
            println!("{tag} {}: {detail}", rule.id);
        }
        if r.differences.is_empty() {
            println!("same verdict as recorded at release: {}", r.recorded);
        } else {
            println!(
                "verdict differs from the one recorded at release ({}):",
                r.recorded
            );
            for d in &r.differences {
                println!("  {d}");
            }
        }
        if vsa_key.is_some() {
            println!(
                "signed verification summary ({}) appended to {}",
                if passed { "PASSED" } else { "FAILED" },
                dir.join("provenance.intoto.jsonl").display()
            );
        }
        println!("{}", if passed { "publishable" } else { "NOT PUBLISHABLE" });
    }
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// List the entries.
    Show {
        /// The ledger file.
        #[arg(long, value_name = "FILE", default_value = "release-ledger.jsonl")]
        ledger: PathBuf,
        /// Wait up to this many seconds for another relgate writing the
        /// ledger (default: fail at once, exit 2).
        #[arg(long, value_name = "SECONDS", default_value_t = 0)]
        wait_lock: u64,
        /// Output format.
        #[arg(long, default_value = "human", value_parser = ["human", "json"])]
        format: String,
    },
    /// Check the hash chain, sequence, signatures and replays.
    Verify {
        /// The ledger file.
        #[arg(long, value_name = "FILE", default_value = "release-ledger.jsonl")]
        ledger: PathBuf,
        /// Wait up to this many seconds for another relgate writing the
        /// ledger (default: fail at once, exit 2).
        #[arg(long, value_name = "SECONDS", default_value_t = 0)]
        wait_lock: u64,
        /// Trusted public key (SPKI PEM); repeatable.
        #[arg(long = "key", value_name = "PUB", required = true)]
        keys: Vec<PathBuf>,
        /// A head pinned earlier (from a report.md): it must still be in the chain.
        #[arg(long, value_name = "sha256:HEX")]
        head: Option<String>,
        /// Output format.
        #[arg(long, default_value = "human", value_parser = ["human", "json"])]
        format: String,
    },
    /// Append a signed revocation of a release.
    Revoke {
        /// The ledger file.
        #[arg(long, value_name = "FILE", default_value = "release-ledger.jsonl")]
        ledger: PathBuf,
        /// Signing key (PKCS#8 PEM). Default: $RELGATE_SIGNING_KEY.
        #[arg(long, value_name = "KEY")]
        key: Option<PathBuf>,
        /// The invocation id of the release to revoke.
        #[arg(long, value_name = "ID", required_unless_present = "version")]
        invocation_id: Option<String>,
        /// The version to revoke (instead of the invocation id).
        #[arg(long, value_name = "VERSION", conflicts_with = "invocation_id")]
        version: Option<String>,
        /// Why.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// Another public key the ledger's entries may be signed with
        /// (a key used before a rotation); repeatable.
        #[arg(long = "ledger-key", value_name = "PUB")]
        ledger_keys: Vec<PathBuf>,
        /// Wait up to this many seconds for another relgate writing the same
        /// directory or ledger (default: fail at once, exit 2).
        #[arg(long, value_name = "SECONDS", default_value_t = 0)]
        wait_lock: u64,
    },
}

/// The notice printed once when a command waits for another relgate's lock.
pub(super) fn waiting(path: &std::path::Path) {
    eprintln!(
        "waiting for another relgate writing {} (--wait-lock)",
        path.display()
    );
}

/// Text from a ledger for a terminal: control characters (newlines, ANSI
/// escapes) are shown escaped, so a field cannot fake lines or colours.
fn printable(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

pub fn ledger(cmd: LedgerCommand) -> Result<ExitCode, Error> {
    use relgate::provenance::ledger::Entry;
    match cmd {
        LedgerCommand::Show {
            ledger,
            format,
            wait_lock,
        } => {
            let l = relgate::ledger_show(&ledger, std::time::Duration::from_secs(wait_lock), &waiting)?;
            if format == "json" {
                let doc = relgate::ledger_summary(&l);
                println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            } else {
                let revoked = l.revoked();
                for e in &l.entries {
                    match e {
                        Entry::Release(r) => println!(
                            "{:>4}  {}  release  {:<12} {}  {}{}",
                            r.seq,
                            printable(&r.time),
                            printable(&r.version),
                            printable(&r.invocation_id),
                            r.commit
                                .as_deref()
                                .map(|c| printable(&c.chars().take(12).collect::<String>()))
                                .unwrap_or_else(|| "-".into()),
                            if revoked.contains_key(&r.invocation_id) {
                                "  (revoked)"
                            } else {
                                ""
                            }
                        ),
                        Entry::Revocation(r) => println!(
                            "{:>4}  {}  revoke   {:<12} {}  {}",
                            r.seq,
                            printable(&r.time),
                            printable(&r.version),
                            printable(&r.revokes),
                            printable(&r.reason)
                        ),
                    }
                }
                println!("head {}", l.head);
            }
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Verify {
            ledger,
            keys,
            head,
            format,
            wait_lock,
        } => {
            let keys = relgate::collect::inputs::public_keys(&keys)?;
            let report = relgate::ledger_verify(
                &ledger,
                &keys,
                head.as_deref(),
                std::time::Duration::from_secs(wait_lock),
                &waiting,
            )?;
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            } else {
                for p in &report.problems {
                    println!("FAIL line {}: {}: {}", p.line, p.kind.name(), p.detail);
                }
                println!(
                    "{}: {} entries ({} releases, {} revocations), head {}",
                    if report.ok() { "verified" } else { "NOT VERIFIED" },
                    report.entries,
                    report.releases,
                    report.revocations,
                    report.head
                );
            }
            Ok(if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        LedgerCommand::Revoke {
            ledger,
            key,
            invocation_id,
            version,
            reason,
            ledger_keys,
            wait_lock,
        } => {
            let mut warnings = Vec::new();
            let source = key
                .map(relgate::collect::inputs::KeySource::File)
                .unwrap_or(relgate::collect::inputs::KeySource::Env);
            let key = relgate::collect::inputs::private_key(&source, &SystemEnv, &mut warnings)?;
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            use relgate::release::ledger_guard::{self, Target};
            let target = match (invocation_id, version) {
                (Some(id), _) => Target::Invocation(id),
                (None, Some(v)) => Target::Version(v),
                (None, None) => return Err(Error::InvalidOption("pass --invocation-id or --version".into())),
            };
            let id = ledger_guard::revoke(
                &ledger_guard::Revoke {
                    ledger: ledger.clone(),
                    target,
                    reason,
                    ledger_keys: relgate::collect::inputs::public_keys(&ledger_keys)?,
                    wait: std::time::Duration::from_secs(wait_lock),
                },
                &key,
                &SystemEnv,
                &waiting,
            )?;
            println!("revoked {id} in {}", ledger.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Write the lock file from the schemas as they are now (the only way to update it).
    Lock {
        /// The workspace's root Cargo.toml.
        #[arg(long, value_name = "PATH")]
        manifest_path: Option<PathBuf>,
        /// The contract.
        #[arg(long, value_name = "FILE")]
        contract: Option<PathBuf>,
    },
    /// Compare the schemas with the lock; exit 1 on drift.
    Check {
        /// The workspace's root Cargo.toml.
        #[arg(long, value_name = "PATH")]
        manifest_path: Option<PathBuf>,
        /// The contract.
        #[arg(long, value_name = "FILE")]
        contract: Option<PathBuf>,
        /// Output format.
        #[arg(long, default_value = "human", value_parser = ["human", "json"])]
        format: String,
    },
}

fn print_drift(status: &relgate::analyze::schema::Status) {
    for d in &status.drift {
        println!(
            "{} {:?}: {}, requires a {} bump",
            d.schema, d.change, d.classification, d.required_bump
        );
        for r in &d.reasons {
            println!("  {r}");
        }
    }
}

pub fn schema(cmd: SchemaCommand) -> Result<ExitCode, Error> {
    match cmd {
        SchemaCommand::Lock {
            manifest_path,
            contract,
        } => {
            let locked = relgate::schema_lock(manifest_path.as_deref(), contract.as_deref())?;
            print_drift(&locked.status);
            println!("locked {} schema(s) in {}", locked.schemas, locked.lock.display());
            Ok(ExitCode::SUCCESS)
        }
        SchemaCommand::Check {
            manifest_path,
            contract,
            format,
        } => {
            let checked = relgate::schema_check(manifest_path.as_deref(), contract.as_deref())?;
            if format == "json" {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&checked.summary()).unwrap_or_default()
                );
            } else if !checked.present {
                println!(
                    "no schema lock at {}: run `relgate schema lock`",
                    checked.lock.display()
                );
            } else {
                print_drift(&checked.status);
                println!(
                    "{}: {}",
                    checked.lock.display(),
                    if checked.ok() { "ok" } else { "DRIFT" }
                );
            }
            Ok(if checked.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A built-in invariant id or a rule id from the contract.
    id: String,
    /// The workspace's root Cargo.toml (to find the contract).
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// The contract.
    #[arg(long, value_name = "FILE")]
    contract: Option<PathBuf>,
}

pub fn explain(args: ExplainArgs) -> Result<ExitCode, Error> {
    let manifest = relgate::collect::manifest_or_cwd(args.manifest_path.as_deref())?;
    let root = manifest
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let contract = relgate::collect::release::contract(&root, args.contract.as_deref())?;
    match relgate::gate::explain(&args.id, &contract) {
        Some(text) => {
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let mut ids: Vec<String> = relgate::config::contract::BUILTIN_IDS
                .iter()
                .map(|s| s.to_string())
                .collect();
            ids.push(relgate::config::contract::WAIVER_EXPIRED.into());
            ids.extend(contract.rules.iter().map(|r| r.id.clone()));
            Err(Error::InvalidOption(format!(
                "no rule `{}`; known ids: {}",
                args.id,
                ids.join(", ")
            )))
        }
    }
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The workspace root to write into (it must hold Cargo.toml).
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// Overwrite the files that exist (by default they are left alone).
    #[arg(long)]
    force: bool,
    /// The release workflow: `github` releases across a CI matrix (plan,
    /// one part per target on its own runner, one verified merge); without
    /// it, one job releases on one runner.
    #[arg(long, value_name = "CI", value_parser = ["github"])]
    ci: Option<String>,
}

pub fn init(args: InitArgs) -> Result<ExitCode, Error> {
    let out = relgate::init::init(&relgate::init::InitOptions {
        dir: args.dir.clone(),
        force: args.force,
        ci: match args.ci.as_deref() {
            Some("github") => relgate::init::Ci::Github,
            _ => relgate::init::Ci::GithubSingle,
        },
    })?;
    for p in &out.written {
        println!("wrote {}", relgate::init::shown(&args.dir, p));
    }
    for p in &out.kept {
        println!(
            "kept {}: it exists and was left as it is (--force overwrites it)",
            relgate::init::shown(&args.dir, p)
        );
    }
    println!(
        "the workflow runs on tags matching {} ({})",
        out.tag_pattern, out.tag_reason
    );
    println!("next: review relgate.toml, run `relgate schema lock`, commit both, then `relgate release --dry-run --out target/release-dry-run`");
    if args.ci.is_some() {
        println!(
            "the matrix workflow signs parts with secrets.RELGATE_PART_KEY and the release with secrets.RELGATE_SIGNING_KEY: \
             create both with `relgate keygen --name part` and `relgate keygen --name release`, store the .key files as those secrets, \
             commit part.pub as .github/part-key.pub and release.pub as .github/release-key.pub, and set RELGATE_TARGETS in the workflow"
        );
    }
    Ok(ExitCode::SUCCESS)
}
