//! `cargo xtask bench compat`: relgate compat against cargo-semver-checks,
//! measured side by side in one run, interleaved, median per case.
//!
//! 1. Small fixture pairs (`fixtures/compat/`), end to end.
//! 2. Real published release pairs (a subset of `tests/corpus/pairs.toml`),
//!    the baseline from crates.io on both sides, the same feature set on
//!    both sides (the default features); target: at most 0.4x. Each pair
//!    is timed twice: rerun with nothing changed (relgate lets cargo find
//!    the current side fresh) and after touching `src/lib.rs`, when both
//!    tools must document the current side again.
//! 3. `--workspace` on a generated 8-member workspace (members under
//!    `crates/*`, one shared tag as the baseline of both tools).
//! 4. The current side alone: `relgate compat` with its baseline cached
//!    against one plain `cargo rustdoc` JSON build of the same crate, each
//!    after touching `src/lib.rs` so both really document; target: at most
//!    1.1x.
//! 5. The diff phase on syn's rustdoc JSON (`benches/compat_diff.rs`).
//!
//! cargo-semver-checks is installed by this benchmark into
//! `target/bench-tools` when it is not there (the tests never need it).
//! `--only pairs|real|workspace|current|diff` runs one section (`current`
//! alone needs no cargo-semver-checks).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use super::{
    build_relgate, copy_tree, print_table, ratio, run_interleaved, version_of, Case, Options, TempDir,
};
use crate::proc::{self, Sink};
use crate::{cargo, note, repo_root, Failure, Result};

const COMPAT_PAIRS: [&str; 5] = [
    "function_param_type_changed",
    "trait_method_added_without_default",
    "enum_variant_added",
    "item_relocated_behind_pub_use",
    "function_added",
];

/// The sections of `bench compat`, in the order they run; `--only` names one.
const SECTIONS: [&str; 5] = ["pairs", "real", "workspace", "current", "diff"];

pub(super) fn compat(opts: &Options) -> Result<ExitCode> {
    if let Some(s) = opts.only.as_deref().filter(|s| !SECTIONS.contains(s)) {
        return Err(Failure::usage(format!(
            "`--only {s}`: bench compat's sections are {}",
            SECTIONS.join(", ")
        )));
    }
    let runs = |section: &str| opts.only.as_deref().is_none_or(|s| s == section);
    let relgate = build_relgate()?;
    let relgate_version = version_of(Command::new(&relgate).arg("--version"))?;
    let tmp = TempDir::new()?;
    let stdout = Sink::discard(&tmp.path.join("stdout.log"));
    let stderr_log = tmp.path.join("stderr.log");
    println!();
    println!("relgate compat (warm: after one run of each command)");
    println!("  relgate:   {relgate_version}");
    println!("  runs:      {} interleaved per case", opts.runs);
    if matches!(opts.only.as_deref(), Some("current" | "diff")) {
        // Alone these need no cargo-semver-checks.
        if runs("current") {
            current_side(&relgate, opts, &tmp.path, &stdout)?;
        }
        return match runs("diff") {
            true => diff_phase(&tmp.path),
            false => Ok(ExitCode::SUCCESS),
        };
    }
    let csc_bin = semver_checks()?;
    let csc_version = version_of(Command::new(&csc_bin).args(["semver-checks", "--version"]))?;
    println!("  cargo-semver-checks: {csc_version}");
    for pair in COMPAT_PAIRS.iter().filter(|_| runs("pairs")) {
        let dir = tmp.path.join(pair);
        copy_tree(&repo_root().join("fixtures/compat").join(pair), &dir)
            .map_err(|e| Failure::setup(format!("cannot copy fixture {pair}: {e}")))?;
        let mut cases = vec![Case::new("relgate compat", &relgate)
            .arg("compat")
            .arg("--manifest-path")
            .arg(dir.join("new/Cargo.toml"))
            .arg("--baseline")
            .arg(format!("path:{}", dir.join("old").display()))
            .args(["--format", "json", "-o"])
            .arg(tmp.path.join("report.json"))];
        {
            cases.push(
                Case::new("cargo semver-checks", &csc_bin)
                    .args(["semver-checks", "--manifest-path"])
                    .arg(dir.join("new/Cargo.toml"))
                    .arg("--baseline-root")
                    .arg(dir.join("old")),
            );
        }
        // Both exit 1 on an insufficient bump; measure regardless of the verdict.
        let stats = run_interleaved(&cases, &dir, opts.runs, &stdout, &stderr_log, true)?;
        println!();
        println!("pair {pair}:");
        print_table(&cases, &stats);
        {
            println!(
                "relgate compat: {} cargo semver-checks wall (target: <= 0.7x)",
                ratio(stats[0].wall_ms.median, stats[1].wall_ms.median)
            );
        }
    }
    if runs("real") {
        real_crates(&relgate, &csc_bin, opts, &tmp.path, &stdout)?;
    }
    if runs("workspace") {
        workspace(&relgate, &csc_bin, opts, &tmp.path, &stdout)?;
    }
    if runs("current") {
        current_side(&relgate, opts, &tmp.path, &stdout)?;
    }
    if !runs("diff") {
        return Ok(ExitCode::SUCCESS);
    }
    diff_phase(&tmp.path)
}

/// The diff phase on a large API (`benches/compat_diff.rs`).
fn diff_phase(tmp: &Path) -> Result<ExitCode> {
    // The diff phase on a large API: syn with all features, two releases.
    println!();
    note("building syn's rustdoc JSON (all features) for syn 2.0.0 and 2.0.119");
    let mut jsons = Vec::new();
    // Pinned releases: 2.0.0 → 2.0.119 has 76 API changes to classify.
    for version in ["=2.0.0", "=2.0.119"] {
        let dir = tmp.join(format!("syn-{}", version.trim_start_matches('=')));
        fs::create_dir_all(dir.join("src")).map_err(|e| Failure::setup(e.to_string()))?;
        fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"syn-placeholder\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n[workspace]\n[dependencies]\nsyn = {{ version = \"{version}\", features = [\"full\", \"extra-traits\", \"visit\", \"visit-mut\", \"fold\"] }}\n"
            ),
        )
        .map_err(|e| Failure::setup(e.to_string()))?;
        fs::write(dir.join("src/lib.rs"), "").map_err(|e| Failure::setup(e.to_string()))?;
        let status = proc::status(
            Command::new(cargo())
                .current_dir(&dir)
                .env("RUSTC_BOOTSTRAP", "syn")
                .args([
                    "rustdoc",
                    "-q",
                    "-p",
                    "syn",
                    "--lib",
                    "--",
                    "-Z",
                    "unstable-options",
                    "--output-format",
                    "json",
                ]),
        )?;
        if !status.success() {
            return Err(Failure::setup(format!(
                "cargo rustdoc -p syn ({version}) failed ({status})"
            )));
        }
        jsons.push(dir.join("target/doc/syn.json"));
    }
    let status = proc::status(
        Command::new(cargo())
            .current_dir(repo_root())
            .args([
                "bench",
                "--locked",
                "-q",
                "--bench",
                "compat_diff",
                "-p",
                "relgate",
                "--",
            ])
            .args(&jsons),
    )?;
    if !status.success() {
        return Err(Failure::setup(format!(
            "cargo bench --bench compat_diff failed ({status})"
        )));
    }
    Ok(ExitCode::SUCCESS)
}

/// Published pairs with few dependencies, from `tests/corpus/pairs.toml`.
const REAL_PAIRS: [(&str, &str, &str); 6] = [
    ("itoa", "1.0.15", "1.0.16"),
    ("semver", "1.0.24", "1.0.25"),
    ("either", "1.12.0", "1.13.0"),
    ("fastrand", "2.2.0", "2.3.0"),
    ("base64", "0.21.7", "0.22.0"),
    ("strsim", "0.10.0", "0.11.0"),
];

/// The fixture pairs that become the members of the benchmark workspace.
const WORKSPACE_MEMBERS: [&str; 8] = [
    "function_param_type_changed",
    "trait_method_added_without_default",
    "enum_variant_added",
    "item_relocated_behind_pub_use",
    "function_added",
    "struct_field_removed",
    "trait_impl_generalized",
    "generic_params_renamed",
];

/// `cargo-semver-checks`, installed into `target/bench-tools` if needed.
fn semver_checks() -> Result<PathBuf> {
    let root = repo_root().join("target").join("bench-tools");
    let bin = root
        .join("bin")
        .join(format!("cargo-semver-checks{}", std::env::consts::EXE_SUFFIX));
    if !bin.is_file() {
        note("installing cargo-semver-checks into target/bench-tools (cargo install --locked); this takes minutes once");
        let status = proc::status(
            Command::new(cargo())
                .args(["install", "cargo-semver-checks", "--locked", "--root"])
                .arg(&root),
        )?;
        if !status.success() {
            return Err(Failure::setup(format!(
                "cargo install cargo-semver-checks failed ({status})"
            )));
        }
    }
    Ok(bin)
}

/// The published source of `name` `version` (cargo downloads it through a
/// placeholder package), copied to `dir/NAME-VERSION` with an empty
/// `[workspace]` so cargo never looks upward.
fn fetch_published(name: &str, version: &str, dir: &Path) -> Result<PathBuf> {
    let place = dir.join(format!("fetch-{name}-{version}"));
    let io = |e: std::io::Error| Failure::setup(format!("{}: {e}", place.display()));
    fs::create_dir_all(place.join("src")).map_err(io)?;
    fs::write(
        place.join("Cargo.toml"),
        format!("[package]\nname = \"fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n[workspace]\n[dependencies]\n{name} = \"={version}\"\n"),
    )
    .map_err(io)?;
    fs::write(place.join("src/lib.rs"), "").map_err(io)?;
    let out = Command::new(cargo())
        .current_dir(&place)
        .args(["metadata", "--format-version=1"])
        .output()
        .map_err(io)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let needle = format!("/{name}-{version}/Cargo.toml\"");
    let end = stdout.find(&needle).ok_or_else(|| {
        Failure::setup(format!(
            "cargo did not resolve {name} {version}: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    })?;
    let start = stdout[..end].rfind('"').map_or(0, |i| i + 1);
    let manifest = PathBuf::from(&stdout[start..end + needle.len() - 1]);
    let src = manifest.parent().unwrap_or(Path::new("."));
    let dest = dir.join(format!("{name}-{version}"));
    copy_tree(src, &dest).map_err(io)?;
    let toml = dest.join("Cargo.toml");
    let mut text = fs::read_to_string(&toml).map_err(io)?;
    if !text.contains("\n[workspace]") {
        text.push_str("\n[workspace]\n");
    }
    fs::write(&toml, text).map_err(io)?;
    Ok(dest)
}

fn real_crates(relgate: &Path, csc: &Path, opts: &Options, tmp: &Path, stdout: &Sink) -> Result<()> {
    let stderr_log = tmp.join("stderr.log");
    println!();
    println!("real published pairs: relgate compat vs cargo semver-checks, baseline from crates.io, default features on both");
    println!("  rerun: nothing changed since the last run (cargo may find the current side fresh)");
    println!("  edited: src/lib.rs touched before every run, so the current side is documented again");
    let mut rerun = Vec::new();
    let mut edited = Vec::new();
    let mut floor = Vec::new();
    for (name, old, new) in REAL_PAIRS {
        let src = fetch_published(name, new, tmp)?;
        let relgate_cmd = format!(
            "{} compat --default-features --format json --baseline registry:{old} -o {}",
            relgate.display(),
            tmp.join("report.json").display()
        );
        let csc_cmd = format!(
            "{} semver-checks --default-features --baseline-version {old}",
            csc.display()
        );
        let sh = |label: &'static str, cmd: String| Case {
            label,
            ..Case::new("", "sh").arg("-c").arg(cmd)
        };
        let cases = [
            sh("relgate compat, rerun", relgate_cmd.clone()),
            sh("cargo semver-checks, rerun", csc_cmd.clone()),
            sh(
                "relgate compat, edited",
                format!("touch src/lib.rs && {relgate_cmd}"),
            ),
            sh(
                "cargo semver-checks, edited",
                format!("touch src/lib.rs && {csc_cmd}"),
            ),
            // The floor: documenting the edited crate once, nothing else.
            sh(
                "cargo rustdoc JSON alone, edited",
                format!(
                    "touch src/lib.rs && RUSTC_BOOTSTRAP=1 {} rustdoc -q --lib --target-dir {} -- -Z unstable-options --output-format json",
                    cargo().to_string_lossy(),
                    tmp.join(format!("floor-{name}")).display()
                ),
            ),
        ];
        let stats = run_interleaved(&cases, &src, opts.runs, stdout, &stderr_log, true)?;
        println!();
        println!("pair {name} {old} -> {new}:");
        print_table(&cases, &stats);
        let r = stats[0].wall_ms.median / stats[1].wall_ms.median;
        let e = stats[2].wall_ms.median / stats[3].wall_ms.median;
        let f = stats[4].wall_ms.median / stats[3].wall_ms.median;
        rerun.push(r);
        edited.push(e);
        floor.push(f);
        println!(
            "relgate compat: {r:.2}x cargo semver-checks on a rerun, {e:.2}x after an edit (target: <= 0.4x); one cargo rustdoc JSON build alone is {f:.2}x"
        );
    }
    println!();
    for (what, ratios) in [
        ("rerun", &mut rerun),
        ("edited", &mut edited),
        ("edited, one cargo rustdoc JSON build alone (the floor for any tool that documents the edited crate)", &mut floor),
    ] {
        ratios.sort_by(f64::total_cmp);
        println!(
            "real pairs, {what}: median ratio {:.2}x cargo semver-checks (min {:.2}x, max {:.2}x, {} pairs; target: <= 0.4x)",
            ratios[ratios.len() / 2],
            ratios[0],
            ratios[ratios.len() - 1],
            ratios.len()
        );
    }
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> Result<()> {
    let status = proc::status(
        Command::new("git")
            .current_dir(dir)
            .args([
                "-c",
                "user.name=bench",
                "-c",
                "user.email=bench@example.com",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "tag.gpgsign=false",
            ])
            .args(args),
    )?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure::setup(format!(
            "git {} failed ({status})",
            args.join(" ")
        )))
    }
}

/// An 8-member workspace: each member is a fixture pair's old side at tag
/// `v1.0.0` and its new side in the work tree.
fn workspace(relgate: &Path, csc: &Path, opts: &Options, tmp: &Path, stdout: &Sink) -> Result<()> {
    let ws = tmp.join("bench-ws");
    let io = |e: std::io::Error| Failure::setup(format!("{}: {e}", ws.display()));
    let members = |side: &str, version: &str| -> Result<()> {
        for m in WORKSPACE_MEMBERS {
            let dir = ws.join("crates").join(m);
            let _ = fs::remove_dir_all(&dir);
            copy_tree(
                &repo_root().join("fixtures/compat").join(m).join(side).join("src"),
                &dir.join("src"),
            )
            .map_err(io)?;
            fs::write(
                dir.join("Cargo.toml"),
                format!("[package]\nname = \"compat_{m}\"\nversion = \"{version}\"\nedition = \"2021\"\nlicense = \"MIT\"\n"),
            )
            .map_err(io)?;
        }
        Ok(())
    };
    fs::create_dir_all(&ws).map_err(io)?;
    fs::write(
        ws.join("Cargo.toml"),
        "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n",
    )
    .map_err(io)?;
    fs::write(ws.join(".gitignore"), "target/\n").map_err(io)?;
    members("old", "1.0.0")?;
    git(&ws, &["init", "-q"])?;
    git(&ws, &["add", "-A"])?;
    git(&ws, &["commit", "-qm", "1.0.0"])?;
    git(&ws, &["tag", "v1.0.0"])?;
    members("new", "1.0.1")?;
    git(&ws, &["add", "-A"])?;
    git(&ws, &["commit", "-qm", "1.0.1"])?;
    let cases = [
        Case::new("relgate compat --workspace", relgate)
            .args([
                "compat",
                "--workspace",
                "--default-features",
                "--baseline",
                "git:v1.0.0",
                "--format",
                "json",
                "-o",
            ])
            .arg(tmp.join("ws-report.json")),
        Case::new("cargo semver-checks --workspace", csc).args([
            "semver-checks",
            "--workspace",
            "--default-features",
            "--baseline-rev",
            "v1.0.0",
        ]),
    ];
    let stats = run_interleaved(&cases, &ws, opts.runs, stdout, &tmp.join("stderr.log"), true)?;
    println!();
    println!(
        "--workspace, {} library members, baseline: the shared tag v1.0.0",
        WORKSPACE_MEMBERS.len()
    );
    print_table(&cases, &stats);
    println!(
        "relgate compat --workspace: {} cargo semver-checks --workspace wall",
        ratio(stats[0].wall_ms.median, stats[1].wall_ms.median)
    );
    Ok(())
}

/// The current side's cost: relgate compat with its baseline cached vs one
/// plain `cargo rustdoc` JSON build, both after touching `src/lib.rs`.
fn current_side(relgate: &Path, opts: &Options, tmp: &Path, stdout: &Sink) -> Result<()> {
    let (name, old, new) = REAL_PAIRS[2];
    let src = tmp.join(format!("{name}-{new}"));
    let src = if src.is_dir() {
        src
    } else {
        fetch_published(name, new, tmp)?
    };
    let touch_then = |cmd: String| {
        Case::new("", "sh")
            .arg("-c")
            .arg(format!("touch src/lib.rs && {cmd}"))
    };
    let relgate_case = touch_then(format!(
        "{} compat --default-features --baseline registry:{old} --format json -o {}",
        relgate.display(),
        tmp.join("current-report.json").display()
    ));
    let rustdoc_case = touch_then(format!(
        "RUSTC_BOOTSTRAP=1 {} rustdoc -q --lib --target-dir {} -- -Z unstable-options --output-format json",
        cargo().to_string_lossy(),
        tmp.join("plain-rustdoc-target").display()
    ));
    let cases = [
        Case {
            label: "relgate compat (baseline cached)",
            ..relgate_case
        },
        Case {
            label: "cargo rustdoc --output-format json",
            ..rustdoc_case
        },
    ];
    let stats = run_interleaved(&cases, &src, opts.runs, stdout, &tmp.join("stderr.log"), true)?;
    println!();
    println!("the current side of {name} {new}: relgate compat with the baseline cached vs one plain cargo rustdoc JSON build");
    print_table(&cases, &stats);
    println!(
        "relgate compat: {} one cargo rustdoc JSON build (target: <= 1.1x)",
        ratio(stats[0].wall_ms.median, stats[1].wall_ms.median)
    );
    Ok(())
}
