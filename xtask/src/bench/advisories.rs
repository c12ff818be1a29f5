//! `cargo xtask bench advisories`: what checking a full-size RustSec
//! database costs a release. A database of [`ADVISORIES`] advisories in
//! the real format (TOML front matter, title, a description of real
//! length) is generated over the crates of the workspace's Cargo.lock —
//! one in ten matching its locked version — and committed with git (the
//! database's date comes from its last commit). `relgate release
//! --no-build --dry-run` on a committed copy of the workspace (default
//! fixtures/large) runs with and without `--advisory-db`, interleaved; the
//! ratio is the cost (target: at most 1.10x).

use std::fmt::Write as _;
use std::fs;
use std::process::{Command, ExitCode, Stdio};

use super::{
    build_relgate, committed_copy, print_table, ratio, run_interleaved, version_of, Case, Options, TempDir,
};
use crate::proc::{self, Sink};
use crate::{note, Failure, Result};

/// Advisories generated (the real database holds about 900 crate advisories).
const ADVISORIES: usize = 1000;

pub(super) fn advisories(opts: &Options) -> Result<ExitCode> {
    let relgate = build_relgate()?;
    let relgate_version = version_of(Command::new(&relgate).arg("--version"))?;
    let tmp = TempDir::new()?;
    let source = opts.manifest.parent().unwrap_or(std::path::Path::new("."));
    let ws = tmp.path.join("ws");
    let manifest = committed_copy(
        &relgate,
        source,
        &ws,
        opts.manifest.file_name().unwrap_or("Cargo.toml".as_ref()),
    )?;
    let lock = fs::read_to_string(ws.join("Cargo.lock"))
        .map_err(|e| Failure::setup(format!("cannot read the workspace's Cargo.lock: {e}")))?;
    let packages = locked_packages(&lock);
    if packages.is_empty() {
        return Err(Failure::setup("Cargo.lock lists no packages"));
    }
    let db = tmp.path.join("advisory-db");
    let matching = generate(&db, &packages)?;
    commit(&db)?;
    note(format_args!(
        "{ADVISORIES} advisories over {} crates, {matching} matching a locked version",
        packages.len()
    ));
    let out = tmp.path.join("out");
    let release = |label: &'static str| {
        Case::new(label, &relgate)
            .args([
                "release",
                "--no-build",
                "--dry-run",
                "--quiet",
                "--baseline",
                "none",
                "--manifest-path",
            ])
            .arg(&manifest)
            .arg("--out")
            .arg(&out)
    };
    let cases = vec![
        release("relgate release (no advisory database)"),
        release("relgate release --advisory-db")
            .arg("--advisory-db")
            .arg(&db),
    ];
    let stdout = Sink::discard(&tmp.path.join("stdout.log"));
    // Exit 1 is the gate refusing the matching advisories: a verdict, not a failure.
    let stats = run_interleaved(
        &cases,
        &ws,
        opts.runs,
        &stdout,
        &tmp.path.join("stderr.log"),
        true,
    )?;
    println!();
    println!("relgate release with and without a full-size advisory database");
    println!("  relgate:   {relgate_version}");
    println!(
        "  workspace: {} ({} locked packages); database: {ADVISORIES} generated advisories, {matching} matching",
        opts.manifest.display(),
        packages.len()
    );
    println!(
        "  runs:      {} interleaved, after 1 warm-up of each command",
        opts.runs
    );
    println!();
    print_table(&cases, &stats);
    println!();
    println!(
        "advisory matching: {} the release without it (target: <= 1.10x)",
        ratio(stats[1].wall_ms.median, stats[0].wall_ms.median)
    );
    Ok(ExitCode::SUCCESS)
}

/// (name, version) of every `[[package]]` in a Cargo.lock.
fn locked_packages(lock: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if line == "[[package]]" {
            name = None;
        } else if let Some(n) = line.strip_prefix("name = \"").and_then(|r| r.strip_suffix('"')) {
            name = Some(n.to_owned());
        } else if let Some(v) = line
            .strip_prefix("version = \"")
            .and_then(|r| r.strip_suffix('"'))
        {
            if let Some(n) = name.take() {
                out.push((n, v.to_owned()));
            }
        }
    }
    out
}

/// Writes the advisories; returns how many match a locked version.
fn generate(db: &std::path::Path, packages: &[(String, String)]) -> Result<usize> {
    let mut matching = 0;
    for i in 0..ADVISORIES {
        let (name, version) = &packages[i % packages.len()];
        let matches = i % 10 == 0;
        matching += usize::from(matches);
        // A matching advisory is fixed only after the locked version; the
        // others were fixed long before it (or never affected it).
        let patched = if matches {
            format!("\"> {version}\"")
        } else {
            "\">= 0.0.1\"".to_owned()
        };
        let id = format!("RUSTSEC-2098-{i:04}");
        let mut text = format!(
            "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{name}\"\ndate = \"2025-01-{:02}\"\nurl = \"https://example.invalid/{id}\"\ncategories = [\"memory-corruption\"]\nkeywords = [\"bench\"]\ncvss = \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N\"\naliases = [\"CVE-2098-{i:05}\"]\n\n[versions]\npatched = [{patched}]\nunaffected = [\"< 0.0.1\"]\n```\n\n# Generated advisory {i} for {name}\n\n",
            1 + i % 28
        );
        for p in 0..6 {
            let _ = writeln!(
                text,
                "Paragraph {p}: generated text of the length of a real advisory's description, explaining the affected API, the conditions under which it misbehaves and what to do about it.\n"
            );
        }
        let dir = db.join("crates").join(name);
        fs::create_dir_all(&dir)
            .and_then(|()| fs::write(dir.join(format!("{id}.md")), text))
            .map_err(|e| Failure::setup(format!("cannot write the advisory database: {e}")))?;
    }
    Ok(matching)
}

fn commit(db: &std::path::Path) -> Result<()> {
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &["commit", "-q", "-m", "advisories"],
    ] {
        let status = proc::status(
            Command::new("git")
                .args([
                    "-c",
                    "user.name=bench",
                    "-c",
                    "user.email=bench@relgate.invalid",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(args)
                .current_dir(db)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .stdout(Stdio::null()),
        )?;
        if !status.success() {
            return Err(Failure::setup(format!(
                "git {args:?} in the advisory database failed ({status})"
            )));
        }
    }
    Ok(())
}
