//! Command-line front end (private to the binary).
//!
//! Two stages: clap parses into the structs here, which convert into the
//! library's option types; everything else is the library's job.

// The binary is where printing belongs.
#![allow(clippy::disallowed_macros)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

mod parts;
mod release;

use clap::{Args, Parser, Subcommand};
use relgate::{CdxVersion, Error, Features, SbomFormat, Scope, SystemEnv};

/// Release evidence for Rust workspaces.
#[derive(Debug, Parser)]
#[command(name = "relgate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a CycloneDX or SPDX SBOM of the workspace.
    Sbom(SbomArgs),
    /// Create an Ed25519 key pair (NAME.key, PKCS#8 v1 PEM, mode 0600; NAME.pub, SPKI PEM).
    Keygen(KeygenArgs),
    /// Sign SLSA provenance (in-toto Statement v1 in a DSSE envelope) over artifacts.
    Attest(AttestArgs),
    /// Add a signature to every envelope of an existing provenance bundle.
    Countersign(CountersignArgs),
    /// Verify a provenance bundle offline against pinned public keys.
    Verify(VerifyArgs),
    /// Compare a library's public API with a baseline and check the version bump.
    Compat(CompatArgs),
    /// Build, collect the evidence, gate, sign and write a release directory atomically.
    Release(release::ReleaseArgs),
    /// Re-check a release directory at publish time (signature, subjects, ttl, ledger, every rule).
    Gate(release::GateArgs),
    /// Show, verify or append to the release ledger.
    #[command(subcommand)]
    Ledger(release::LedgerCommand),
    /// Lock the JSON Schemas a release depends on, or check them against the lock.
    #[command(subcommand)]
    Schema(release::SchemaCommand),
    /// Describe a rule: a built-in invariant or a rule of the contract.
    Explain(release::ExplainArgs),
    /// Write a starter relgate.toml, an xtask snippet and a GitHub Actions workflow.
    Init(release::InitArgs),
}

#[derive(Debug, Args)]
struct CompatArgs {
    /// Path to Cargo.toml.
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// The library package to check (repeatable: each against its own baseline).
    #[arg(short = 'p', long = "package", value_name = "PKG")]
    packages: Vec<String>,
    /// Check every library member of the workspace, each against its own baseline.
    #[arg(long)]
    workspace: bool,
    /// Document both sides with their default features only (instead of
    /// docs.rs's set, or every feature that does not look unstable).
    #[arg(long, conflicts_with_all = ["features", "all_features", "no_default_features"])]
    default_features: bool,
    /// git:REV, path:DIR, registry:VERSION or rustdoc:FILE (default: the highest git tag below the current version).
    #[arg(long, value_name = "SPEC", value_parser = |s: &str| s.parse::<relgate::collect::rustdoc::Baseline>())]
    baseline: Option<relgate::collect::rustdoc::Baseline>,
    #[command(flatten)]
    features: FeatureArgs,
    /// Target triple to document for (default: host).
    #[arg(long, value_name = "TRIPLE")]
    target: Option<String>,
    /// Output format.
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    format: String,
    /// Output file, or `-` for stdout (default).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct KeygenArgs {
    /// Directory to write the key pair into (created if missing).
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,
    /// File name stem.
    #[arg(long, default_value = "relgate")]
    name: String,
}

#[derive(Debug, Args)]
struct AttestArgs {
    /// Private key (PKCS#8 PEM); repeat for several signers. Default: $RELGATE_SIGNING_KEY.
    #[arg(long = "key", value_name = "KEY")]
    keys: Vec<PathBuf>,
    /// runDetails.builder.id, the identity of the build platform.
    #[arg(long, value_name = "URI")]
    builder_id: Option<String>,
    /// metadata.invocationId (default: a random UUID).
    #[arg(long, value_name = "ID")]
    invocation_id: Option<String>,
    /// Source repository (default: the git remote `origin`).
    #[arg(long, value_name = "URI")]
    source_uri: Option<String>,
    /// A sha256sum file whose entries (re-checked against the files) become subjects.
    #[arg(long, value_name = "FILE")]
    checksums: Option<PathBuf>,
    /// Add SHA-512 digests to the subjects.
    #[arg(long)]
    sha512: bool,
    /// The workspace the artifacts were built from.
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// Cargo profile the artifacts were built with.
    #[arg(long, default_value = "release")]
    profile: String,
    /// Features the artifacts were built with.
    #[arg(short = 'F', long, value_name = "FEATURES")]
    features: Vec<String>,
    /// Target triple the artifacts were built for (default: host).
    #[arg(long, value_name = "TRIPLE")]
    target: Option<String>,
    /// Output bundle (.intoto.jsonl), or `-` for stdout.
    #[arg(short = 'o', long = "output", value_name = "OUT.intoto.jsonl")]
    output: PathBuf,
    /// Also write the envelope as a Sigstore bundle v0.3 (public-key hint,
    /// no transparency log) to this file.
    #[arg(long, value_name = "OUT.sigstore.json")]
    sigstore: Option<PathBuf>,
    /// Files or directories to attest.
    #[arg(value_name = "ARTIFACT")]
    artifacts: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct CountersignArgs {
    /// Private key (PKCS#8 PEM). Default: $RELGATE_SIGNING_KEY.
    #[arg(long, value_name = "KEY")]
    key: Option<PathBuf>,
    /// Output bundle (default: replace the input).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    output: Option<PathBuf>,
    /// The bundle to countersign.
    #[arg(value_name = "BUNDLE")]
    bundle: PathBuf,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The provenance bundle (.intoto.jsonl).
    #[arg(long, value_name = "FILE")]
    provenance: PathBuf,
    /// Trusted public key (SPKI PEM); repeatable.
    #[arg(long = "key", value_name = "PUB", required = true)]
    keys: Vec<PathBuf>,
    /// How many distinct trusted keys must have signed.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    threshold: u16,
    /// Accepted builder id; repeatable (any of them).
    #[arg(long = "builder-id", value_name = "URI")]
    builder_ids: Vec<String>,
    /// Required source repository.
    #[arg(long, value_name = "URI")]
    source_uri: Option<String>,
    /// Reject provenance whose build finished longer ago (e.g. 24h, 7d, 1h30m).
    #[arg(long, value_name = "DURATION", value_parser = relgate::config::parse_duration)]
    max_age: Option<i64>,
    /// Release ledger: reject an invocation id it already records.
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// A release merged from many runners: a key its part manifests
    /// (`part-<id>.intoto.jsonl`, given among the artifacts) may be signed
    /// with besides --key (repeatable).
    #[arg(long = "part-key", value_name = "PUB")]
    part_keys: Vec<PathBuf>,
    /// Print the verified statement on stdout (only when verified).
    #[arg(long)]
    print_statement: bool,
    /// Output format of the verdict.
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    format: String,
    /// Files to check against the statement's subjects.
    #[arg(value_name = "ARTIFACT", required = true)]
    artifacts: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct ScopeArgs {
    /// Path to Cargo.toml.
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// Workspace member to describe (repeatable), with exactly what cargo
    /// resolves when it builds these packages alone.
    #[arg(
        short = 'p',
        long = "package",
        value_name = "PKG",
        conflicts_with = "workspace"
    )]
    packages: Vec<String>,
    /// Describe every member, features unified across the workspace (the
    /// default when no -p is given).
    #[arg(long)]
    workspace: bool,
    /// Target triple whose platform-specific dependencies to include (default: host).
    #[arg(long, value_name = "TRIPLE")]
    target: Option<String>,
    #[command(flatten)]
    features: FeatureArgs,
}

/// Cargo's feature flags, shared by every command that resolves a crate.
#[derive(Debug, Args)]
struct FeatureArgs {
    /// Features to activate (comma- or space-separated; repeatable).
    #[arg(short = 'F', long, value_name = "FEATURES")]
    features: Vec<String>,
    /// Activate all features.
    #[arg(long)]
    all_features: bool,
    /// Do not activate the `default` feature.
    #[arg(long)]
    no_default_features: bool,
}

impl From<FeatureArgs> for Features {
    fn from(a: FeatureArgs) -> Features {
        Features {
            features: a.features,
            all_features: a.all_features,
            no_default_features: a.no_default_features,
        }
    }
}

impl From<ScopeArgs> for Scope {
    fn from(a: ScopeArgs) -> Scope {
        Scope {
            manifest_path: a.manifest_path,
            packages: a.packages,
            target: a.target,
            features: a.features.into(),
        }
    }
}

#[derive(Debug, Args)]
struct SbomArgs {
    #[command(flatten)]
    scope: ScopeArgs,
    /// Output format.
    #[arg(long, value_name = "FORMAT", default_value = "cyclonedx-json",
          value_parser = ["cyclonedx-json", "cyclonedx-xml", "spdx-json", "spdx3-json"])]
    format: String,
    /// CycloneDX spec version (default 1.6; CycloneDX formats only).
    #[arg(long, value_name = "VERSION", value_parser = ["1.5", "1.6", "1.7"])]
    spec_version: Option<String>,
    /// Fill and check the fields of an SBOM profile: `bsi-tr-03183-2`
    /// (SHA-512 of every crate archive, creators, file properties; needs
    /// CycloneDX 1.6 or later).
    #[arg(long, value_name = "PROFILE", value_parser = ["bsi-tr-03183-2"], conflicts_with = "from_binary")]
    profile: Option<String>,
    /// Output file, or `-` for stdout (default).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    output: Option<PathBuf>,
    /// Describe a binary from the dependency list cargo-auditable embedded
    /// in it (no workspace needed).
    #[arg(long, value_name = "FILE",
          conflicts_with_all = ["manifest_path", "packages", "workspace", "target", "features", "all_features", "no_default_features"])]
    from_binary: Option<PathBuf>,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sbom(args) => sbom(args),
        Command::Keygen(args) => keygen(args),
        Command::Attest(args) => attest(args),
        Command::Countersign(args) => countersign(args),
        Command::Verify(args) => verify(args),
        Command::Compat(args) => compat(args),
        Command::Release(args) => release::release(args),
        Command::Gate(args) => release::gate(args),
        Command::Ledger(cmd) => release::ledger(cmd),
        Command::Schema(cmd) => release::schema(cmd),
        Command::Explain(args) => release::explain(args),
        Command::Init(args) => release::init(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            report_error(&e);
            ExitCode::from(2)
        }
    }
}

fn sbom(args: SbomArgs) -> Result<ExitCode, Error> {
    let format: SbomFormat = args.format.parse().map_err(Error::InvalidOption)?;
    let cdx: CdxVersion = match &args.spec_version {
        Some(_) if !format.is_cyclonedx() => {
            return Err(Error::InvalidOption(format!(
                "--spec-version chooses the CycloneDX version; {} has one version (SPDX 2.3 is spdx-json, SPDX 3.0.1 is spdx3-json)",
                format.name()
            )))
        }
        Some(v) => v.parse().map_err(Error::InvalidOption)?,
        None => CdxVersion::default(),
    };
    let out = match &args.from_binary {
        Some(binary) => relgate::sbom_from_binary(binary, format, cdx, &SystemEnv)?,
        None => {
            let profile = args
                .profile
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(Error::InvalidOption)?;
            relgate::sbom(&Scope::from(args.scope), format, cdx, profile, &SystemEnv)?
        }
    };
    for w in &out.warnings {
        eprintln!("warning: {w}");
    }
    match args.output.as_deref() {
        None => write_stdout(&out.bytes)?,
        Some(p) if p.as_os_str() == "-" => write_stdout(&out.bytes)?,
        Some(p) => relgate::write::file_atomic(p, &out.bytes)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn keygen(args: KeygenArgs) -> Result<ExitCode, Error> {
    relgate::write::dir_all(&args.out_dir)?;
    let key = relgate::keygen()?;
    let private = args.out_dir.join(format!("{}.key", args.name));
    let public = args.out_dir.join(format!("{}.pub", args.name));
    for p in [&private, &public] {
        if relgate::collect::probe::exists(p) {
            return Err(Error::Exists { path: p.clone() });
        }
    }
    relgate::write::new_file(&private, key.to_pem().as_bytes(), 0o600)?;
    relgate::write::new_file(&public, key.public().to_pem().as_bytes(), 0o644)?;
    println!("private key: {} (mode 600; keep it secret)", private.display());
    println!("public key:  {}", public.display());
    println!("keyid:       {}", key.keyid());
    Ok(ExitCode::SUCCESS)
}

fn attest(args: AttestArgs) -> Result<ExitCode, Error> {
    use relgate::collect::inputs::KeySource;
    let opts = relgate::AttestOptions {
        keys: args.keys.into_iter().map(KeySource::File).collect(),
        artifacts: args.artifacts,
        checksums: args.checksums,
        sha512: args.sha512,
        builder_id: args.builder_id,
        invocation_id: args.invocation_id,
        source_uri: args.source_uri,
        manifest_path: args.manifest_path,
        profile: args.profile,
        features: args.features,
        target: args.target,
    };
    let out = relgate::attest(&opts, &SystemEnv)?;
    for w in &out.warnings {
        eprintln!("warning: {w}");
    }
    write_output(&args.output, &out.bundle)?;
    if let Some(path) = &args.sigstore {
        relgate::write::file_atomic(path, &out.sigstore)?;
    }
    eprintln!(
        "attested {} subject(s), signed by keyid {}",
        out.subjects,
        out.keyids.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

fn countersign(args: CountersignArgs) -> Result<ExitCode, Error> {
    use relgate::collect::inputs::KeySource;
    let bundle = relgate::collect::inputs::read(&args.bundle, "provenance bundle")?;
    let key = args.key.map(KeySource::File).unwrap_or(KeySource::Env);
    let (out, warnings) = relgate::countersign(&bundle, &key, &SystemEnv)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    write_output(args.output.as_ref().unwrap_or(&args.bundle), &out)?;
    Ok(ExitCode::SUCCESS)
}

fn verify(args: VerifyArgs) -> Result<ExitCode, Error> {
    use relgate::provenance::verify::Status;
    let opts = relgate::VerifyOptions {
        provenance: args.provenance,
        keys: args.keys,
        threshold: usize::from(args.threshold),
        builder_ids: args.builder_ids,
        source_uri: args.source_uri,
        max_age: args.max_age,
        ledger: args.ledger,
        artifacts: args.artifacts,
        part_keys: args.part_keys,
        summaries_as_history: false,
    };
    let verdict = relgate::verify(&opts, &SystemEnv)?;
    let verified = verdict.verified();
    if args.format == "json" {
        let doc = verdict.summary(args.print_statement);
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        let mut report = String::new();
        for c in &verdict.checks {
            let tag = match c.status {
                Status::Pass => "PASS",
                Status::Fail => "FAIL",
                Status::Skipped => "SKIP",
            };
            report.push_str(&format!("{tag} {}: {}\n", c.id, c.detail));
        }
        if verified {
            report.push_str("verified\n");
        } else {
            report.push_str(&format!("NOT VERIFIED: failed {}\n", verdict.failed().join(", ")));
        }
        if args.print_statement {
            eprint!("{report}");
            if let Some(bytes) = verdict.statement.as_ref().filter(|_| verified) {
                write_stdout(bytes)?;
                println!();
            }
        } else {
            print!("{report}");
        }
    }
    Ok(if verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn compat(args: CompatArgs) -> Result<ExitCode, Error> {
    let features = if args.default_features {
        Some(Features::default())
    } else {
        let f: Features = args.features.into();
        (f != Features::default()).then_some(f)
    };
    let opts = relgate::CompatOptions {
        manifest_path: args.manifest_path,
        packages: args.packages,
        workspace: args.workspace,
        baseline: args.baseline,
        features,
        target: args.target,
    };
    let json = args.format == "json";
    let (bytes, code) = if opts.workspace || opts.packages.len() > 1 {
        let ws = relgate::compat_workspace(&opts, &SystemEnv)?;
        let bytes = if json {
            relgate::emit::compat::workspace_json(&ws)?
        } else {
            relgate::emit::compat::workspace_human(&ws).into_bytes()
        };
        let failed = ws.failed();
        let code = if !failed.is_empty() {
            eprintln!(
                "error: relgate could not compare {} (see the report); nothing about them is known",
                failed.join(", ")
            );
            ExitCode::from(2)
        } else if ws.sufficient() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
        (bytes, code)
    } else {
        let report = relgate::compat(&opts, &SystemEnv)?;
        let bytes = if json {
            relgate::emit::compat::json(&report)?
        } else {
            relgate::emit::compat::human(&report).into_bytes()
        };
        let code = if report.verdict.sufficient {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
        (bytes, code)
    };
    match &args.output {
        Some(p) => write_output(p, &bytes)?,
        None => write_stdout(&bytes)?,
    }
    Ok(code)
}

fn write_output(path: &std::path::Path, bytes: &[u8]) -> Result<(), Error> {
    if path.as_os_str() == "-" {
        write_stdout(bytes)
    } else {
        relgate::write::file_atomic(path, bytes)
    }
}

fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|source| Error::Write {
            path: PathBuf::from("<stdout>"),
            source,
        })
}

fn report_error(e: &Error) {
    eprintln!("error: {e}");
    if let Some(h) = e.hint() {
        eprintln!("  hint: {h}");
    }
}
