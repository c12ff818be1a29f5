//! `cargo xtask fuzz [--seconds N] [TARGET]`: a bounded, coverage-guided
//! libFuzzer run of a target in `fuzz/` (default `verify_bundle`, 60 s).
//!
//! Builds `fuzz/` with the same sanitizer-coverage flags cargo-fuzz uses, on
//! the stable toolchain (no `-Z` flags, so no address sanitizer: the code
//! under test is safe Rust, and what the run looks for is panics). The run
//! starts from the committed seeds in `fuzz/corpus/TARGET`, grows a working
//! corpus under `target/fuzz/corpus/TARGET`, and writes any crashing input to
//! `target/fuzz/artifacts/TARGET/`. Exit 0: no crash; 1: a crash (its input
//! is printed); 2: the run could not be set up.

use std::fs;
use std::process::{Command, ExitCode};

use crate::{cargo, note, proc, repo_root, Failure, Result};

const FLAGS: &str = "-Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    --cfg fuzzing";

pub fn run(args: &[String]) -> Result<ExitCode> {
    let mut seconds: u64 = 60;
    let mut target = "verify_bundle".to_owned();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                let v = it
                    .next()
                    .ok_or_else(|| Failure::usage("`--seconds` needs a value"))?;
                seconds = v.parse().ok().filter(|s| *s >= 1).ok_or_else(|| {
                    Failure::usage(format!("`--seconds` needs a whole number >= 1, not `{v}`"))
                })?;
            }
            t if !t.starts_with('-') => target = t.to_owned(),
            other => {
                return Err(Failure::usage(format!(
                    "unexpected argument `{other}` for `fuzz`"
                )))
            }
        }
    }
    let root = repo_root();
    let host = host_triple()?;
    let target_dir = root.join("target/fuzz");
    note(format_args!(
        "building fuzz/{target} with coverage instrumentation (release, {host})"
    ));
    let mut build = Command::new(cargo());
    build
        .current_dir(root.join("fuzz"))
        .env("RUSTFLAGS", FLAGS)
        .args([
            // Not --locked: fuzz/ is its own workspace, and its lock file
            // must take in relgate's new dependencies (cargo adds entries for
            // them and upgrades nothing already pinned).
            "build",
            "--release",
            "--bin",
            &target,
            "--target",
            &host,
            "--target-dir",
        ])
        .arg(&target_dir);
    let status = proc::status(&mut build)?;
    if !status.success() {
        return Err(Failure::setup(format!(
            "building the fuzz target failed ({status})"
        )));
    }
    let seeds = root.join("fuzz/corpus").join(&target);
    let corpus = target_dir.join("corpus").join(&target);
    let artifacts = target_dir.join("artifacts").join(&target);
    for d in [&corpus, &artifacts] {
        fs::create_dir_all(d).map_err(|e| Failure::setup(format!("cannot create {}: {e}", d.display())))?;
    }
    let binary = target_dir.join(&host).join("release").join(&target);
    note(format_args!("fuzzing {target} for {seconds} s"));
    let mut run = Command::new(&binary);
    run.arg(format!("-max_total_time={seconds}"))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg("-print_final_stats=1")
        // One input running longer than this is a hang, reported as a crash.
        .arg("-timeout=10")
        .arg(&corpus);
    if seeds.is_dir() {
        run.arg(&seeds);
    }
    let status = proc::status(&mut run)?;
    if status.success() {
        println!(
            "fuzz {target}: no crash in {seconds} s (working corpus: {})",
            corpus.display()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "fuzz {target}: CRASH ({status}); the input is in {}",
            artifacts.display()
        );
        Ok(ExitCode::from(1))
    }
}

fn host_triple() -> Result<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .map_err(|e| Failure::setup(format!("cannot run rustc -vV: {e}")))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| Failure::setup("rustc -vV printed no host"))
}
