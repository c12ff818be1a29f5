//! `cargo xtask release`: relgate releases itself through the library's
//! [`relgate::release::Release`] builder — the same pipeline as
//! `relgate release`, with relgate.toml at the repository root.
//!
//! Without `--key` it is a dry run signed with the public example key from
//! keys-example/ (the README's main job); with `--key` it is a real release
//! and appends to release-ledger.jsonl.

use std::path::PathBuf;
use std::process::ExitCode;

use relgate::collect::inputs::KeySource;
use relgate::release::{Progress, Release};

use crate::{note, repo_root, Failure, Result};

pub fn run(args: &[String]) -> Result<ExitCode> {
    let root = repo_root();
    let mut out = root.join("target").join("release-dry-run");
    let mut key: Option<PathBuf> = None;
    let mut release = Release::new(&out).manifest_path(root.join("Cargo.toml"));
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |flag: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| Failure::usage(format!("{flag} needs a value")))
        };
        match a.as_str() {
            "--out" => out = PathBuf::from(value("--out")?),
            "--key" => key = Some(PathBuf::from(value("--key")?)),
            "--baseline" => release = release.baseline(value("--baseline")?),
            "--invocation-id" => release = release.invocation_id(value("--invocation-id")?),
            "--no-build" => release = release.no_build(true),
            "--allow-dirty" => release = release.allow_dirty(true),
            other => return Err(Failure::usage(format!("unknown release option `{other}`"))),
        }
    }
    release = match &key {
        Some(k) => release.key(KeySource::File(k.clone())),
        None => release.dry_run(true),
    };
    let release = release.out(&out);
    let outcome = release
        .run(&relgate::SystemEnv, &mut |p| {
            if let Progress::Started { stage, index, total } = p {
                note(format_args!("[{index}/{total}] {stage}"));
            }
        })
        .map_err(|e| {
            let hint = e.hint().map(|h| format!("\n  hint: {h}")).unwrap_or_default();
            Failure::setup(format!("{e}{hint}"))
        })?;
    for w in &outcome.warnings {
        note(format_args!("warning: {w}"));
    }
    if outcome.released {
        println!(
            "released {} {}{} into {} ({} files, keyid {})",
            outcome.package,
            outcome.version,
            if key.is_none() {
                " (dry run, example key)"
            } else {
                ""
            },
            outcome.dir.display(),
            outcome.files.len(),
            outcome.keyid.as_deref().unwrap_or("?")
        );
        println!("report: {}", outcome.dir.join("report.md").display());
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "REJECTED: the gate failed on {}; report: {}",
            outcome.verdict.failed_rules().join(", "),
            outcome.dir.join("report.md").display()
        );
        Ok(ExitCode::from(1))
    }
}
