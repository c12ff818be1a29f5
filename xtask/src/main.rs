//! Project automation for relgate, run as `cargo xtask <command>`.
//!
//! Small dependencies only (`libc` for wait4, `sha2`), so it compiles in seconds. `main` parses the command line
//! and hands off to one module per command:
//!
//! - [`test`]: `cargo xtask test`, the project's one test command;
//! - [`bench`]: `cargo xtask bench sbom`, relgate against `cargo metadata`;
//! - [`release`]: `cargo xtask release`, relgate releasing itself through its library.

// xtask is a command-line tool: printing is its job (the workspace
// clippy.toml forbids it for the library).
#![allow(clippy::disallowed_macros)]

mod bench;
mod fuzz;
mod proc;
mod release;
mod test;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  test [-- ARGS...]
      Create or reuse the validator venv (target/conformance-venv, from
      tests/conformance/requirements.txt), run tests/conformance/selftest.sh,
      then `cargo test --workspace --locked ARGS...` with
      RELGATE_CONFORMANCE_PYTHON set to the venv's python.
  bench sbom [--runs N] [--manifest-path PATH]
      Build relgate in release mode and time `relgate sbom` (CycloneDX and
      SPDX JSON) side by side with `cargo metadata` on a temporary copy of
      the workspace. N defaults to 10, PATH to fixtures/large/Cargo.toml.
  bench verify [--runs N]
      Time `relgate verify` of a 50 MiB artifact and 20 small files side by
      side with `sha256sum` of the same files, then the non-hashing part of
      verify (benches/verify.rs) as p50/p95/p99 in microseconds.
  bench compat [--runs N] [--only pairs|real|workspace|current|diff]
      Time `relgate compat` against cargo-semver-checks (installed into
      target/bench-tools on first use): small fixture pairs, six real
      published pairs, --workspace on 8 members, the current side vs one
      plain cargo rustdoc build; then the diff phase on syn's rustdoc JSON
      with all features (benches/compat_diff.rs). --only runs one section
      (current and diff need no cargo-semver-checks).
  bench release [--runs N] [--manifest-path PATH]
      Time `relgate release --no-build --dry-run` (baseline cached after one
      warm-up) side by side with `cargo metadata` on a committed temporary
      copy of the workspace (default fixtures/large/Cargo.toml).
  bench merge [--runs N]
      Time `relgate release merge` of 20 parts x 5 files of 4 MiB beside
      sha256sum of the same files (each after sync(2); the merge into a new
      --out, and again replacing the previous release), and `relgate
      release plan` of 20 targets on fixtures/large beside `cargo metadata`.
  bench advisories [--runs N] [--manifest-path PATH]
      Time `relgate release --no-build --dry-run` with and without a
      generated 1000-advisory RustSec database (default fixtures/large).
  bench scale
      Plan, parts, merge and `gate --dir` of a generated 300-member
      workspace at 10, 25 and 50 parts: wall time, peak RSS, merge cost
      per added file.
  release [--key KEY] [--out DIR] [--baseline SPEC] [--no-build] [--allow-dirty]
      Release relgate itself with relgate's library (relgate.toml): build,
      test, SBOMs, compat, schema lock, metrics, gate, report, sign, and an
      atomic release directory (default target/release-dry-run). Without
      --key it is a dry run signed with the example key from keys-example/.
  fuzz [--seconds N] [TARGET]
      Build fuzz/TARGET (default verify_bundle) with coverage
      instrumentation and run libFuzzer for N seconds (default 60). Exit 1
      on a crash, with the input saved under target/fuzz/artifacts/.
  help
      Show this text.
";

/// Why a command stopped early: the message for stderr and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub msg: String,
}

impl Failure {
    pub fn new(code: u8, msg: impl Into<String>) -> Failure {
        Failure {
            code,
            msg: msg.into(),
        }
    }

    /// Exit 2: a tool could not be run or a setup step failed.
    pub fn setup(msg: impl Into<String>) -> Failure {
        Failure::new(2, msg)
    }

    /// Exit 2 with the usage text.
    pub fn usage(msg: impl Into<String>) -> Failure {
        Failure::new(2, format!("{}\n\n{USAGE}", msg.into()))
    }
}

pub type Result<T> = std::result::Result<T, Failure>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("error: {}", failure.msg.trim_end());
            ExitCode::from(failure.code)
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode> {
    let Some((command, rest)) = args.split_first() else {
        print!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    };
    match command.as_str() {
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        "release" => release::run(rest),
        other => Err(Failure::usage(format!("unknown command `{other}`"))),
    }
}

/// The relgate repository root: the parent of xtask's own directory, so
/// every command works from any working directory.
pub fn repo_root() -> PathBuf {
    let xtask_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().unwrap_or(xtask_dir).to_path_buf()
}

/// The cargo to run: the one that launched xtask (`$CARGO`, the toolchain's
/// real binary rather than the rustup proxy), else `cargo` from PATH.
pub fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Prints a progress line (to stderr, so stdout stays the report).
pub fn note(msg: impl std::fmt::Display) {
    eprintln!("xtask: {msg}");
}
