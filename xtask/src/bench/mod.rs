//! Benchmarks, each against a named baseline measured in the same run:
//!
//! - `cargo xtask bench sbom [--runs N] [--manifest-path PATH]`: wall time
//!   and peak RSS of `relgate sbom` side by side with the `cargo metadata` it
//!   builds on (target: at most 1.10x), interleaved.
//! - `cargo xtask bench verify [--runs N]`: `relgate verify` of a 50 MiB
//!   artifact plus 20 small files against `sha256sum` of the same files
//!   (target: at most 0.5x), interleaved; then `benches/verify.rs` for the
//!   non-hashing part as a p95 in microseconds (budget: under 1 ms).
//! - `cargo xtask bench compat [--runs N]`: relgate compat against
//!   cargo-semver-checks (see [`compat`]).
//! - `cargo xtask bench release [--runs N] [--manifest-path PATH]`:
//!   `relgate release --no-build --dry-run` (compat against a git tag, both
//!   rustdoc snapshots cached after the warm-up; tests off) side by side with
//!   `cargo metadata` on a committed copy of the workspace (target: at most
//!   1.2x), interleaved.
//! - `cargo xtask bench merge [--runs N]`: `relgate release merge` of 20
//!   parts x 5 files of 4 MiB (a committed copy of `fixtures/members`, one
//!   `--no-build` part per target) side by side with `sha256sum` of the
//!   same 100 files (target: at most 1.2x), interleaved; and `relgate
//!   release plan` of those 20 targets on a committed copy of
//!   `fixtures/large` beside `cargo metadata` of it (target: at most 1.1x).
//! - `cargo xtask bench advisories [--runs N] [--manifest-path PATH]`:
//!   `relgate release --no-build --dry-run` with and without a generated
//!   1000-advisory database (target: at most 1.10x; see [`advisories`]).
//! - `cargo xtask bench scale`: plan, parts, merge and `gate --dir` of a
//!   generated 300-member workspace at 10, 25 and 50 parts (see [`scale`]).
//!
//! Benchmarks measure, they don't assert: the exit status is 0 whatever the
//! ratios, and 2 only if something could not be run.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

mod advisories;
mod compat;
mod scale;

use crate::proc::{self, Measured, Sink};
use crate::{cargo, note, repo_root, Failure, Result};

const DEFAULT_RUNS: usize = 10;
const DEFAULT_WORKSPACE: &str = "fixtures/large/Cargo.toml";
const TARGET: &str = "target: <= 1.10x cargo metadata (<= 1.30x with the bsi-tr-03183-2 profile)";

pub fn run(args: &[String]) -> Result<ExitCode> {
    match args.split_first() {
        Some((name, rest)) if name == "sbom" => sbom(&Options::parse(rest)?.single(name)?),
        Some((name, rest)) if name == "verify" => verify(&Options::parse(rest)?.single(name)?),
        Some((name, rest)) if name == "compat" => compat::compat(&Options::parse(rest)?),
        Some((name, rest)) if name == "release" => release(&Options::parse(rest)?.single(name)?),
        Some((name, rest)) if name == "merge" => merge(&Options::parse(rest)?.single(name)?),
        Some((name, rest)) if name == "scale" => scale::scale(&Options::parse(rest)?.single(name)?),
        Some((name, rest)) if name == "advisories" => {
            advisories::advisories(&Options::parse(rest)?.single(name)?)
        }
        Some((name, _)) => Err(Failure::usage(format!(
            "unknown benchmark `{name}` (available: sbom, verify, compat, release, merge, scale, advisories)"
        ))),
        None => Err(Failure::usage(
            "missing benchmark name (available: sbom, verify, compat, release, merge, scale, advisories)",
        )),
    }
}

struct Options {
    runs: usize,
    /// The workspace's root manifest, absolute.
    manifest: PathBuf,
    /// `--only SECTION`: one section of a benchmark that has several
    /// (`bench compat`); the others refuse it.
    only: Option<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options> {
        let mut runs = DEFAULT_RUNS;
        let mut manifest = None;
        let mut only = None;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
                _ => (arg.as_str(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next().cloned())
                    .ok_or_else(|| Failure::usage(format!("`{flag}` needs a value")))
            };
            match flag {
                "--runs" => {
                    let v = value()?;
                    runs = v.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        Failure::usage(format!("`--runs` needs a whole number >= 1, not `{v}`"))
                    })?;
                }
                "--manifest-path" => manifest = Some(PathBuf::from(value()?)),
                "--only" => only = Some(value()?),
                _ => return Err(Failure::usage(format!("unexpected argument `{arg}` for `bench`"))),
            }
        }
        let manifest = match manifest {
            // Relative to where the user ran `cargo xtask` (cargo run keeps the cwd).
            Some(p) => std::env::current_dir()
                .map(|cwd| cwd.join(p))
                .map_err(|e| Failure::setup(format!("cannot read the current directory: {e}")))?,
            None => repo_root().join(DEFAULT_WORKSPACE),
        };
        if !manifest.is_file() {
            return Err(Failure::setup(format!("no manifest at {}", manifest.display())));
        }
        Ok(Options { runs, manifest, only })
    }

    /// These options, refusing `--only` (a benchmark with one section).
    fn single(self, name: &str) -> Result<Options> {
        match &self.only {
            Some(s) => Err(Failure::usage(format!(
                "`bench {name}` has one section; `--only {s}` is for `bench compat`"
            ))),
            None => Ok(self),
        }
    }
}

/// One benchmarked command.
struct Case {
    label: &'static str,
    program: OsString,
    args: Vec<OsString>,
    /// Before each run, untimed: flush the page cache's dirty pages (so one
    /// command's writeback, and the discards of what it deleted, are not
    /// paid by the next) and remove this output, as a fresh CI runner has
    /// none.
    prepare: Option<Prepare>,
}

/// What [`Case::prepare`] does before each run of a case (hyperfine's
/// `--prepare`).
struct Prepare {
    remove: Option<PathBuf>,
}

impl Case {
    fn new(label: &'static str, program: impl Into<OsString>) -> Case {
        Case {
            label,
            program: program.into(),
            args: Vec::new(),
            prepare: None,
        }
    }

    /// Syncs before each run, and removes `output` first when given.
    fn prepared(mut self, output: Option<&Path>) -> Case {
        self.prepare = Some(Prepare {
            remove: output.map(Path::to_path_buf),
        });
        self
    }

    fn arg(mut self, arg: impl AsRef<OsStr>) -> Case {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    fn args<S: AsRef<OsStr>>(self, args: impl IntoIterator<Item = S>) -> Case {
        args.into_iter().fold(self, Case::arg)
    }

    /// Runs once in `cwd`, stdout to `stdout` and stderr kept in `stderr_log`
    /// (a file, not a pipe: nothing to drain while `wait4` blocks). With
    /// `verdict_exit`, exit status 1 (relgate) or 100 (cargo-semver-checks)
    /// is a verdict — an insufficient bump — not a failure.
    fn measure(&self, cwd: &Path, stdout: &Sink, stderr_log: &Path, verdict_exit: bool) -> Result<Measured> {
        if let Some(prepare) = &self.prepare {
            if let Some(out) = &prepare.remove {
                match fs::remove_dir_all(out) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => {
                        return Err(Failure::setup(format!("cannot remove {}: {e}", out.display())))
                    }
                    _ => {}
                }
            }
            // SAFETY: sync(2) takes no arguments and cannot fail.
            unsafe { libc::sync() };
        }
        let log = File::create(stderr_log)
            .map_err(|e| Failure::setup(format!("cannot create {}: {e}", stderr_log.display())))?;
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(stdout.stdio()?)
            .stderr(log);
        let m = proc::measure(&mut cmd)?;
        // relgate says "insufficient bump" with 1, cargo-semver-checks with 100.
        if !(m.status.success() || verdict_exit && matches!(m.status.code(), Some(1 | 100))) {
            let stderr = fs::read_to_string(stderr_log).unwrap_or_default();
            return Err(Failure::setup(format!(
                "`{}` failed ({}) in {}\n{}",
                proc::describe(&cmd),
                m.status,
                cwd.display(),
                stderr.trim_end()
            )));
        }
        Ok(m)
    }
}

/// Builds relgate in release mode and returns the binary's path.
fn build_relgate() -> Result<PathBuf> {
    let root = repo_root();
    note("building relgate (cargo build --release --locked -p relgate)");
    let mut build = Command::new(cargo());
    build
        .current_dir(&root)
        .args(["build", "--release", "--locked", "-p", "relgate"]);
    let status = proc::status(&mut build)?;
    if !status.success() {
        return Err(Failure::setup(format!("building relgate failed ({status})")));
    }
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), |d| root.join(d));
    Ok(target_dir
        .join("release")
        .join(format!("relgate{}", std::env::consts::EXE_SUFFIX)))
}

/// One warm-up of each case, then `runs` rounds in alternating order.
fn run_interleaved(
    cases: &[Case],
    cwd: &Path,
    runs: usize,
    stdout: &Sink,
    stderr_log: &Path,
    verdict_exit: bool,
) -> Result<Vec<Stats>> {
    note(format_args!(
        "warm-up: one run of each command in {}",
        cwd.display()
    ));
    for case in cases {
        case.measure(cwd, stdout, stderr_log, verdict_exit)?;
    }
    let mut samples: Vec<Vec<Measured>> = cases.iter().map(|_| Vec::with_capacity(runs)).collect();
    for round in 0..runs {
        note(format_args!("round {}/{}", round + 1, runs));
        // Alternate the order so neither side always runs on a warmer cache.
        let order: Vec<usize> = if round % 2 == 0 {
            (0..cases.len()).collect()
        } else {
            (0..cases.len()).rev().collect()
        };
        for i in order {
            samples[i].push(cases[i].measure(cwd, stdout, stderr_log, verdict_exit)?);
        }
    }
    Ok(samples.iter().map(|s| Stats::of(s)).collect())
}

fn sbom(opts: &Options) -> Result<ExitCode> {
    let root = repo_root();
    let cargo = cargo();
    let relgate = build_relgate()?;
    let relgate_version = version_of(Command::new(&relgate).arg("--version"))?;
    let cargo_version = version_of(Command::new(&cargo).arg("--version"))?;

    let tmp = TempDir::new()?;
    let source = opts.manifest.parent().unwrap_or(Path::new("."));
    let ws = tmp.path.join("ws");
    copy_tree(source, &ws).map_err(|e| {
        Failure::setup(format!(
            "cannot copy {} to {}: {e}",
            source.display(),
            ws.display()
        ))
    })?;
    let manifest = ws.join(opts.manifest.file_name().unwrap_or("Cargo.toml".as_ref()));
    let cdx_out = tmp.path.join("out.cdx.json");
    let spdx_out = tmp.path.join("out.spdx.json");
    let bsi_out = tmp.path.join("out.bsi.cdx.json");
    let stderr_log = tmp.path.join("stderr.log");
    let stdout = Sink::discard(&tmp.path.join("stdout.log"));
    if let Sink::File(_) = stdout {
        note(
            "warning: /dev/null is not a character device on this machine; discarding output to a temp file",
        );
    }

    let relgate_sbom = |label, format, out: &Path| {
        Case::new(label, &relgate)
            .args(["sbom", "--manifest-path"])
            .arg(&manifest)
            .args(["--format", format, "-o"])
            .arg(out)
    };
    let mut cases = vec![
        Case::new("cargo metadata", &cargo)
            .args(["metadata", "--format-version", "1", "--locked", "--manifest-path"])
            .arg(&manifest),
        relgate_sbom("relgate sbom (cyclonedx-json)", "cyclonedx-json", &cdx_out),
        relgate_sbom("relgate sbom (spdx-json)", "spdx-json", &spdx_out),
        // The BSI TR-03183-2 profile adds the SHA-512 of every `.crate`
        // archive (read from cargo's cache, hashed on all cores).
        relgate_sbom(
            "relgate sbom (cyclonedx-json, bsi-tr-03183-2)",
            "cyclonedx-json",
            &bsi_out,
        )
        .args(["--profile", "bsi-tr-03183-2"]),
    ];
    // Output captured, not sent to /dev/null (see `Sink::discard`).
    let cyclonedx_installed = Command::new(&cargo)
        .args(["cyclonedx", "--version"])
        .output()
        .is_ok_and(|out| out.status.success());
    if cyclonedx_installed {
        // Writes its SBOM next to the manifest: fine, that is the temp copy.
        cases.push(Case::new("cargo cyclonedx", &cargo).args([
            "cyclonedx",
            "-f",
            "json",
            "--spec-version",
            "1.5",
            "-qq",
        ]));
    }

    // The warm-up also lets cargo download the crates on a fresh machine.
    let stats = run_interleaved(&cases, &ws, opts.runs, &stdout, &stderr_log, false)?;

    let packages = fs::read_to_string(&cdx_out)
        .map(|json| json.matches("\"bom-ref\"").count())
        .map_err(|e| Failure::setup(format!("cannot read {}: {e}", cdx_out.display())))?;
    let workspace = opts
        .manifest
        .strip_prefix(&root)
        .unwrap_or(&opts.manifest)
        .display()
        .to_string();

    println!();
    println!("relgate sbom vs cargo metadata");
    println!("  relgate:   {relgate_version}");
    println!("  cargo:     {cargo_version}");
    println!("  workspace: {workspace}");
    println!("  packages:  {packages} (\"bom-ref\" entries in the CycloneDX output)");
    println!(
        "  runs:      {} interleaved, after 1 warm-up of each command",
        opts.runs
    );
    println!();
    print_table(&cases, &stats);
    println!();
    let base = &stats[0];
    for (case, s) in cases.iter().zip(&stats).skip(1) {
        println!(
            "{}: {} cargo metadata wall, {} RSS",
            case.label,
            ratio(s.wall_ms.median, base.wall_ms.median),
            s.rss_mib
                .zip(base.rss_mib)
                .map_or("n/a".into(), |(x, b)| ratio(x.median, b.median)),
        );
    }
    if !cyclonedx_installed {
        println!(
            "cargo cyclonedx: not installed (`cargo cyclonedx --version` failed); its ratio was skipped"
        );
    }
    println!("{TARGET}");
    println!("peak RSS: wait4 ru_maxrss, the largest single process in each command's tree (not a sum)");
    Ok(ExitCode::SUCCESS)
}

/// A git checkout of `source` in `dir`: relgate.toml (tests off, so the
/// release measures relgate rather than the project's test suite), a schema
/// lock, one commit, and a version tag below the package version so compat
/// has a baseline.
fn committed_copy(relgate: &Path, source: &Path, dir: &Path, manifest_name: &OsStr) -> Result<PathBuf> {
    copy_tree(source, dir).map_err(|e| {
        Failure::setup(format!(
            "cannot copy {} to {}: {e}",
            source.display(),
            dir.display()
        ))
    })?;
    let manifest = dir.join(manifest_name);
    fs::write(
        dir.join("relgate.toml"),
        "version = 1\n[release]\nrun-tests = false\nfirst-release = true\n",
    )
    .map_err(|e| Failure::setup(format!("cannot write relgate.toml: {e}")))?;
    let run = |program: &OsStr, args: &[&OsStr]| -> Result<()> {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "bench")
            .env("GIT_AUTHOR_EMAIL", "bench@relgate.invalid")
            .env("GIT_COMMITTER_NAME", "bench")
            .env("GIT_COMMITTER_EMAIL", "bench@relgate.invalid")
            .stdout(Stdio::null());
        let status = proc::status(&mut cmd)?;
        if status.success() {
            Ok(())
        } else {
            Err(Failure::setup(format!(
                "`{}` failed ({status})",
                proc::describe(&cmd)
            )))
        }
    };
    let git = OsStr::new("git");
    run(
        relgate.as_os_str(),
        &[
            "schema".as_ref(),
            "lock".as_ref(),
            "--manifest-path".as_ref(),
            manifest.as_os_str(),
        ],
    )?;
    run(git, &["init".as_ref(), "-q".as_ref()])?;
    run(git, &["add".as_ref(), "-A".as_ref()])?;
    run(
        git,
        &["commit".as_ref(), "-q".as_ref(), "-m".as_ref(), "bench".as_ref()],
    )?;
    run(git, &["tag".as_ref(), "v0.0.1".as_ref()])?;
    Ok(manifest)
}

fn release(opts: &Options) -> Result<ExitCode> {
    let cargo = cargo();
    let relgate = build_relgate()?;
    let relgate_version = version_of(Command::new(&relgate).arg("--version"))?;
    let tmp = TempDir::new()?;
    let source = opts.manifest.parent().unwrap_or(Path::new("."));
    let ws = tmp.path.join("ws");
    let manifest = committed_copy(
        &relgate,
        source,
        &ws,
        opts.manifest.file_name().unwrap_or("Cargo.toml".as_ref()),
    )?;
    let out = tmp.path.join("out");
    let stderr_log = tmp.path.join("stderr.log");
    let stdout = Sink::discard(&tmp.path.join("stdout.log"));
    let cases = vec![
        Case::new("cargo metadata", &cargo)
            .args(["metadata", "--format-version", "1", "--locked", "--manifest-path"])
            .arg(&manifest),
        Case::new("relgate release --no-build", &relgate)
            .args([
                "release",
                "--no-build",
                "--dry-run",
                "--quiet",
                "--baseline",
                "git:v0.0.1",
                "--manifest-path",
            ])
            .arg(&manifest)
            .arg("--out")
            .arg(&out),
    ];
    // The warm-up documents both sides with rustdoc once (the commit-keyed
    // snapshot cache); measured runs reuse it, as a CI cache would.
    note("warm-up documents the workspace with rustdoc once: this can take minutes");
    let stats = run_interleaved(&cases, &ws, opts.runs, &stdout, &stderr_log, true)?;
    let packages = fs::read_to_string(out.join("sbom.cdx.json"))
        .map(|json| json.matches("\"bom-ref\"").count())
        .unwrap_or(0);
    println!();
    println!("relgate release --no-build vs cargo metadata");
    println!("  relgate:   {relgate_version}");
    println!(
        "  workspace: {} ({packages} SBOM components)",
        opts.manifest.display()
    );
    println!(
        "  runs:      {} interleaved, after 1 warm-up of each command",
        opts.runs
    );
    println!();
    print_table(&cases, &stats);
    println!();
    println!(
        "relgate release --no-build: {} cargo metadata wall",
        ratio(stats[1].wall_ms.median, stats[0].wall_ms.median)
    );
    println!("target: <= 1.2x cargo metadata");
    Ok(ExitCode::SUCCESS)
}

/// Parts, files per part and MiB per file of the merge benchmark.
const MERGE_PARTS: usize = 20;
const MERGE_FILES: usize = 5;
const MERGE_MIB: usize = 4;

fn merge(opts: &Options) -> Result<ExitCode> {
    let cargo = cargo();
    let relgate = build_relgate()?;
    let relgate_version = version_of(Command::new(&relgate).arg("--version"))?;
    let tmp = TempDir::new()?;
    let ws = tmp.path.join("ws");
    committed_copy(
        &relgate,
        &repo_root().join("fixtures/members"),
        &ws,
        OsStr::new("Cargo.toml"),
    )?;
    let run = |args: Vec<OsString>| -> Result<Vec<u8>> {
        let out = Command::new(&relgate)
            .args(&args)
            .current_dir(&ws)
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| Failure::setup(format!("cannot run relgate: {e}")))?;
        if !out.status.success() {
            return Err(Failure::setup(format!(
                "relgate {args:?} failed ({})",
                out.status
            )));
        }
        Ok(out.stdout)
    };
    // 20 targets rustc knows (the plan checks each with --print cfg).
    let list = Command::new("rustc")
        .args(["--print", "target-list"])
        .output()
        .map_err(|e| Failure::setup(format!("cannot run rustc: {e}")))?;
    let targets: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .take(MERGE_PARTS)
        .map(str::to_owned)
        .collect();
    // The plan is measured on fixtures/large (426 packages), as the issue
    // names, given a binary so that there is something to build per target.
    let large_source = tmp.path.join("large-source");
    copy_tree(&repo_root().join("fixtures/large"), &large_source)
        .and_then(|()| fs::write(large_source.join("src/main.rs"), "fn main() {}\n"))
        .map_err(|e| Failure::setup(format!("cannot copy fixtures/large: {e}")))?;
    let large = tmp.path.join("large");
    let large_manifest = committed_copy(&relgate, &large_source, &large, OsStr::new("Cargo.toml"))?;
    let plan = tmp.path.join("plan.json");
    let plan_args: Vec<OsString> = vec![
        "release".into(),
        "plan".into(),
        "--invocation-id".into(),
        "bench-merge-1".into(),
        format!("--targets={}", targets.join(",")).into(),
        "--out".into(),
        plan.clone().into(),
        "--format".into(),
        "json".into(),
    ];
    run(plan_args.clone())?;
    note(format_args!(
        "writing {MERGE_PARTS} parts x {MERGE_FILES} files of {MERGE_MIB} MiB"
    ));
    let parts = tmp.path.join("parts");
    let mut hashed: Vec<PathBuf> = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        let input = tmp.path.join("inputs").join(t);
        fs::create_dir_all(&input)
            .map_err(|e| Failure::setup(format!("cannot create {}: {e}", input.display())))?;
        let mut args: Vec<OsString> = vec![
            "release".into(),
            "part".into(),
            "--quiet".into(),
            "--dry-run".into(),
            "--no-build".into(),
            "--plan".into(),
            plan.clone().into(),
            "--part".into(),
            format!("build-{t}").into(),
            "--out".into(),
            parts.join(format!("relgate-part-build-{t}")).into(),
        ];
        for j in 0..MERGE_FILES {
            let f = input.join(format!("file{j}.bin"));
            let mut w =
                File::create(&f).map_err(|e| Failure::setup(format!("cannot write {}: {e}", f.display())))?;
            for chunk in 0..MERGE_MIB {
                io::Write::write_all(
                    &mut w,
                    &pseudo_random(1 << 20, (i * 1000 + j * 10 + chunk) as u64),
                )
                .map_err(|e| Failure::setup(format!("cannot write {}: {e}", f.display())))?;
            }
            args.push("--artifact".into());
            args.push(f.clone().into());
            hashed.push(
                parts
                    .join(format!("relgate-part-build-{t}"))
                    .join(format!("file{j}.bin")),
            );
        }
        run(args)?;
    }
    let out = tmp.path.join("release");
    let replaced = tmp.path.join("release-replaced");
    let merge = |label, out: &Path| {
        Case::new(label, &relgate)
            .args([
                "release",
                "merge",
                "--quiet",
                "--dry-run",
                "--baseline",
                "none",
                "--plan",
            ])
            .arg(&plan)
            .arg("--parts")
            .arg(&parts)
            .arg("--out")
            .arg(out)
    };
    // Every case syncs first: the merge writes (and fsyncs) 400 MiB, and
    // on a file system mounted with `discard` the blocks a command frees
    // are trimmed at the next journal commit, inside whichever command
    // runs next.
    let cases = vec![
        Case::new("sha256sum (the parts' files)", "sha256sum")
            .args(&hashed)
            .prepared(None),
        merge("relgate release merge (new --out)", &out).prepared(Some(&out)),
        Case::new("cargo metadata (fixtures/large)", &cargo)
            .args(["metadata", "--format-version", "1", "--locked", "--manifest-path"])
            .arg(&large_manifest),
        Case::new("relgate release plan (fixtures/large)", &relgate)
            .args(&plan_args[..plan_args.len() - 4])
            .arg("--out")
            .arg(tmp.path.join("plan-large.json"))
            .arg("--manifest-path")
            .arg(&large_manifest),
        // Re-running into the same --out also deletes the previous 400 MiB.
        merge("relgate release merge (replacing)", &replaced).prepared(None),
    ];
    let stdout = Sink::discard(&tmp.path.join("stdout.log"));
    let stats = run_interleaved(
        &cases,
        &ws,
        opts.runs,
        &stdout,
        &tmp.path.join("stderr.log"),
        false,
    )?;
    println!();
    println!("relgate release merge vs sha256sum; relgate release plan vs cargo metadata");
    println!("  relgate:   {relgate_version}");
    println!(
        "  parts:     {MERGE_PARTS} (one per target, fixtures/members), {MERGE_FILES} files of {MERGE_MIB} MiB each ({} MiB), in the page cache",
        MERGE_PARTS * MERGE_FILES * MERGE_MIB
    );
    println!(
        "  runs:      {} interleaved, after 1 warm-up of each command",
        opts.runs
    );
    println!();
    print_table(&cases, &stats);
    println!();
    println!(
        "relgate release merge: {} sha256sum wall (target: <= 1.2x; into a new --out, as on a CI runner)",
        ratio(stats[1].wall_ms.median, stats[0].wall_ms.median)
    );
    println!(
        "relgate release merge replacing the previous release: {} sha256sum wall",
        ratio(stats[4].wall_ms.median, stats[0].wall_ms.median)
    );
    println!(
        "relgate release plan (20 targets, fixtures/large): {} cargo metadata wall (target: <= 1.1x)",
        ratio(stats[3].wall_ms.median, stats[2].wall_ms.median)
    );
    Ok(ExitCode::SUCCESS)
}

fn verify(opts: &Options) -> Result<ExitCode> {
    let relgate = build_relgate()?;
    let relgate_version = version_of(Command::new(&relgate).arg("--version"))?;
    let tmp = TempDir::new()?;
    let dist = tmp.path.join("dist");
    fs::create_dir(&dist).map_err(|e| Failure::setup(format!("cannot create {}: {e}", dist.display())))?;
    // 50 MiB of incompressible bytes and 20 small files, written once.
    let mut files = vec![dist.join("app-50MiB.bin")];
    // Written in 1 MiB pieces: a child's peak RSS (ru_maxrss) starts from
    // this process's high-water mark, so xtask must never hold 50 MiB.
    let mut big = File::create(&files[0])
        .map_err(|e| Failure::setup(format!("cannot write {}: {e}", files[0].display())))?;
    for chunk in 0..50 {
        io::Write::write_all(&mut big, &pseudo_random(1 << 20, 1000 + chunk))
            .map_err(|e| Failure::setup(format!("cannot write {}: {e}", files[0].display())))?;
    }
    drop(big);
    for i in 0..20 {
        let f = dist.join(format!("small-{i:02}.txt"));
        fs::write(&f, pseudo_random(1024 * (i + 1), i as u64 + 2))
            .map_err(|e| Failure::setup(format!("cannot write {}: {e}", f.display())))?;
        files.push(f);
    }
    let keys = tmp.path.join("keys");
    let bundle = tmp.path.join("dist.intoto.jsonl");
    for args in [
        vec![OsString::from("keygen"), "--out-dir".into(), keys.clone().into()],
        [
            vec![
                OsString::from("attest"),
                "--key".into(),
                keys.join("relgate.key").into(),
                "--manifest-path".into(),
                repo_root().join("Cargo.toml").into(),
                "-o".into(),
                bundle.clone().into(),
            ],
            files.iter().map(|f| f.clone().into_os_string()).collect(),
        ]
        .concat(),
    ] {
        let status = proc::status(Command::new(&relgate).args(&args).stdout(Stdio::null()))?;
        if !status.success() {
            return Err(Failure::setup(format!("relgate {:?} failed ({status})", args[0])));
        }
    }
    let cases = [
        Case::new("sha256sum", "sha256sum").args(&files),
        Case::new("relgate verify", &relgate)
            .arg("verify")
            .arg("--provenance")
            .arg(&bundle)
            .arg("--key")
            .arg(keys.join("relgate.pub"))
            .args(&files),
    ];
    let stdout = Sink::discard(&tmp.path.join("stdout.log"));
    let stats = run_interleaved(
        &cases,
        &tmp.path,
        opts.runs,
        &stdout,
        &tmp.path.join("stderr.log"),
        false,
    )?;

    println!();
    println!("relgate verify vs sha256sum");
    println!("  relgate:   {relgate_version}");
    println!("  files:     1 x 50 MiB + 20 small (1-20 KiB), in the page cache after the warm-up");
    println!(
        "  runs:      {} interleaved, after 1 warm-up of each command",
        opts.runs
    );
    println!();
    print_table(&cases, &stats);
    println!();
    println!(
        "relgate verify: {} sha256sum wall (target: <= 0.5x)",
        ratio(stats[1].wall_ms.median, stats[0].wall_ms.median)
    );
    println!();
    note("the non-hashing part: cargo bench --bench verify");
    let status = proc::status(
        Command::new(cargo())
            .current_dir(repo_root())
            .args(["bench", "--locked", "--bench", "verify", "-p", "relgate"]),
    )?;
    if !status.success() {
        return Err(Failure::setup(format!(
            "cargo bench --bench verify failed ({status})"
        )));
    }
    Ok(ExitCode::SUCCESS)
}

/// Fixture pairs timed end to end.
/// Deterministic incompressible bytes (xorshift64*).
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn ratio(x: f64, base: f64) -> String {
    format!("{:.2}x", x / base)
}

fn print_table(cases: &[Case], stats: &[Stats]) {
    let width = cases
        .iter()
        .map(|c| c.label.len())
        .max()
        .unwrap_or(0)
        .max("command".len());
    println!(
        "{:<width$}  {:>10}  {:>8}  {:>8}  {:>16}",
        "command", "median ms", "min ms", "max ms", "median RSS MiB"
    );
    for (case, s) in cases.iter().zip(stats) {
        let rss = s.rss_mib.map_or("n/a".into(), |r| format!("{:.1}", r.median));
        println!(
            "{:<width$}  {:>10.1}  {:>8.1}  {:>8.1}  {:>16}",
            case.label, s.wall_ms.median, s.wall_ms.min, s.wall_ms.max, rss
        );
    }
}

#[derive(Debug, Clone, Copy)]
struct Summary {
    median: f64,
    min: f64,
    max: f64,
}

impl Summary {
    /// `None` for no values.
    fn of(mut values: Vec<f64>) -> Option<Summary> {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let median = match n {
            0 => return None,
            _ if n % 2 == 1 => values[n / 2],
            _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
        };
        Some(Summary {
            median,
            min: values[0],
            max: values[n - 1],
        })
    }
}

struct Stats {
    wall_ms: Summary,
    /// `None` where the platform gives no peak RSS.
    rss_mib: Option<Summary>,
}

impl Stats {
    fn of(samples: &[Measured]) -> Stats {
        let wall = samples.iter().map(|m| m.wall.as_secs_f64() * 1000.0).collect();
        let rss: Option<Vec<f64>> = samples
            .iter()
            .map(|m| m.peak_rss_kib.map(|k| k as f64 / 1024.0))
            .collect();
        Stats {
            wall_ms: Summary::of(wall).unwrap_or(Summary {
                median: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
            }),
            rss_mib: rss.and_then(Summary::of),
        }
    }
}

/// First line of `cmd`'s stdout, e.g. `relgate 0.1.0`.
fn version_of(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Failure::setup(format!("cannot run `{}`: {e}", proc::describe(cmd))))?;
    if !out.status.success() {
        return Err(Failure::setup(format!(
            "`{}` failed ({}): {}",
            proc::describe(cmd),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_owned())
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> Result<TempDir> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("relgate-bench-{}-{nanos}", std::process::id()));
        // `create_dir`, not `create_dir_all`: fail rather than share a directory.
        fs::create_dir(&path)
            .map_err(|e| Failure::setup(format!("cannot create {}: {e}", path.display())))?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // For profiling one command by hand against the bench's inputs.
        if std::env::var_os("RELGATE_BENCH_KEEP").is_some() {
            eprintln!("xtask: kept {}", self.path.display());
            return;
        }
        if let Err(e) = fs::remove_dir_all(&self.path) {
            eprintln!("warning: cannot remove {}: {e}", self.path.display());
        }
    }
}

/// Copies the workspace directory `from` to `to`, leaving out `target/` and
/// `.git/` (build output and history are not inputs to `cargo metadata`).
/// Symlinks are copied as symlinks.
fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if kind.is_symlink() {
            copy_symlink(&src, &dst)?;
        } else {
            fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn copy_symlink(src: &Path, dst: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(fs::read_link(src)?, dst)
}

#[cfg(not(unix))]
fn copy_symlink(src: &Path, dst: &Path) -> io::Result<()> {
    fs::copy(src, dst).map(drop)
}

#[cfg(test)]
mod tests {
    use super::{Options, Summary};

    #[test]
    fn only_names_a_section_and_single_section_benches_refuse_it() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let o = Options::parse(&args(&["--only", "current", "--runs=3"])).unwrap();
        assert_eq!((o.only.as_deref(), o.runs), (Some("current"), 3));
        assert!(o.single("release").is_err());
        let o = Options::parse(&args(&["--runs", "2"])).unwrap();
        assert!(o.only.is_none() && o.single("merge").is_ok());
        assert!(Options::parse(&args(&["--only"])).is_err());
    }

    #[test]
    fn summary_median_min_max() {
        let s = Summary::of(vec![3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        let s = Summary::of(vec![4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 4.0));
        assert!(Summary::of(Vec::new()).is_none());
    }
}
