//! Command-line front end (private to the binary).
//!
//! Two stages: clap parses into the structs here, which convert into the
//! library's option types; everything else is the library's job.

// The binary is where printing belongs.
#![allow(clippy::disallowed_macros)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use relgate::{Error, Features, SbomFormat, Scope, SystemEnv};

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
}

#[derive(Debug, Args)]
struct ScopeArgs {
    /// Path to Cargo.toml.
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// Workspace member to describe (repeatable; default: every member).
    #[arg(short = 'p', long = "package", value_name = "PKG")]
    packages: Vec<String>,
    /// Target triple whose platform-specific dependencies to include (default: host).
    #[arg(long, value_name = "TRIPLE")]
    target: Option<String>,
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

impl From<ScopeArgs> for Scope {
    fn from(a: ScopeArgs) -> Scope {
        Scope {
            manifest_path: a.manifest_path,
            packages: a.packages,
            target: a.target,
            features: Features {
                features: a.features,
                all_features: a.all_features,
                no_default_features: a.no_default_features,
            },
        }
    }
}

#[derive(Debug, Args)]
struct SbomArgs {
    #[command(flatten)]
    scope: ScopeArgs,
    /// Output format.
    #[arg(long, value_name = "FORMAT", default_value = "cyclonedx-json",
          value_parser = ["cyclonedx-json", "cyclonedx-xml", "spdx-json"])]
    format: String,
    /// Output file, or `-` for stdout (default).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    output: Option<PathBuf>,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sbom(args) => sbom(args),
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
    let scope = Scope::from(args.scope);
    let out = relgate::sbom(&scope, format, &SystemEnv)?;
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
