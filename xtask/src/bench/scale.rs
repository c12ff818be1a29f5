//! `cargo xtask bench scale`: a release built on many runners, at the
//! sizes the multi-runner issue names — a generated workspace of 300
//! library members plus a binary, and plans of 10, 25 and 50 targets, one
//! `--no-build` part per target (3 files of 256 KiB each). It prints the
//! wall time and peak RSS of `release plan`, of the parts, of each
//! `release merge` with its time per file (merging should be linear in the
//! number of files), and of `gate --dir` on the 50-part release, beside
//! `cargo metadata` of the same workspace as the baseline.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use super::{build_relgate, committed_copy, pseudo_random, version_of, Options, TempDir};
use crate::proc::{self, Measured};
use crate::{cargo, note, Failure, Result};

/// Library members of the generated workspace.
const MEMBERS: usize = 300;
/// Plans measured, by number of targets (one part each).
const SIZES: [usize; 3] = [10, 25, 50];
/// Files per part and KiB per file.
const FILES: usize = 3;
const KIB: usize = 256;

pub(super) fn scale(_opts: &Options) -> Result<ExitCode> {
    let relgate = build_relgate()?;
    let relgate_version = version_of(Command::new(&relgate).arg("--version"))?;
    let tmp = TempDir::new()?;
    let source = tmp.path.join("source");
    generate(&source)?;
    let ws = tmp.path.join("ws");
    let manifest = committed_copy(&relgate, &source, &ws, "Cargo.toml".as_ref())?;
    let keys = tmp.path.join("keys");
    let status = proc::status(
        Command::new(&relgate)
            .arg("keygen")
            .arg("--out-dir")
            .arg(&keys)
            .stdout(Stdio::null()),
    )?;
    if !status.success() {
        return Err(Failure::setup(format!("relgate keygen failed ({status})")));
    }
    let (key, public) = (keys.join("relgate.key"), keys.join("relgate.pub"));
    let measure = |program: &std::ffi::OsStr, args: &[OsString]| -> Result<Measured> {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(&ws)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let m = proc::measure(&mut cmd)?;
        if !m.status.success() {
            return Err(Failure::setup(format!(
                "`{}` failed ({})",
                proc::describe(&cmd),
                m.status
            )));
        }
        Ok(m)
    };
    let list = Command::new("rustc")
        .args(["--print", "target-list"])
        .output()
        .map_err(|e| Failure::setup(format!("cannot run rustc: {e}")))?;
    let all_targets: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let largest = SIZES[SIZES.len() - 1];
    if all_targets.len() < largest {
        return Err(Failure::setup(format!(
            "rustc knows {} targets, the benchmark needs {largest}",
            all_targets.len()
        )));
    }
    let metadata = measure(
        &cargo(),
        &[
            "metadata".into(),
            "--format-version".into(),
            "1".into(),
            "--locked".into(),
            "--manifest-path".into(),
            manifest.clone().into(),
        ],
    )?;
    let mut rows: Vec<(String, Measured, String)> = vec![(
        format!("cargo metadata ({} members)", MEMBERS + 1),
        metadata,
        String::new(),
    )];
    let mut merged_50 = None;
    // (files, wall ms) of each merge, for the marginal cost per file.
    let mut merges: Vec<(usize, f64)> = Vec::new();
    for size in SIZES {
        let targets = &all_targets[..size];
        let plan = tmp.path.join(format!("plan-{size}.json"));
        let m = measure(
            relgate.as_os_str(),
            &[
                "release".into(),
                "plan".into(),
                "--invocation-id".into(),
                format!("bench-scale-{size}").into(),
                format!("--targets={}", targets.join(",")).into(),
                "--out".into(),
                plan.clone().into(),
            ],
        )?;
        rows.push((format!("release plan, {size} targets"), m, String::new()));
        note(format_args!("{size} parts"));
        let parts = tmp.path.join(format!("parts-{size}"));
        let mut part_times = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            let input = tmp.path.join("inputs").join(format!("{size}-{t}"));
            fs::create_dir_all(&input)
                .map_err(|e| Failure::setup(format!("cannot create {}: {e}", input.display())))?;
            let mut args: Vec<OsString> = vec![
                "release".into(),
                "part".into(),
                "--quiet".into(),
                "--dry-run".into(),
                "--no-build".into(),
                "--key".into(),
                key.clone().into(),
                "--plan".into(),
                plan.clone().into(),
                "--part".into(),
                format!("build-{t}").into(),
                "--out".into(),
                parts.join(format!("relgate-part-build-{t}")).into(),
            ];
            for j in 0..FILES {
                let f = input.join(format!("file{j}.bin"));
                fs::write(&f, pseudo_random(KIB << 10, (size * 10_000 + i * 10 + j) as u64))
                    .map_err(|e| Failure::setup(format!("cannot write {}: {e}", f.display())))?;
                args.push("--artifact".into());
                args.push(f.into());
            }
            part_times.push(measure(relgate.as_os_str(), &args)?);
        }
        part_times.sort_by_key(|m| m.wall);
        let median = part_times[part_times.len() / 2];
        let peak = part_times.iter().filter_map(|m| m.peak_rss_kib).max();
        rows.push((
            format!("release part, median of {size}"),
            Measured {
                peak_rss_kib: peak,
                ..median
            },
            "RSS: the largest part".into(),
        ));
        let out = tmp.path.join(format!("release-{size}"));
        let m = measure(
            relgate.as_os_str(),
            &[
                "release".into(),
                "merge".into(),
                "--quiet".into(),
                "--dry-run".into(),
                "--baseline".into(),
                "none".into(),
                "--key".into(),
                key.clone().into(),
                "--plan".into(),
                plan.clone().into(),
                "--parts".into(),
                parts.into(),
                "--out".into(),
                out.clone().into(),
            ],
        )?;
        let files = fs::read_dir(&out)
            .map_err(|e| Failure::setup(format!("cannot read {}: {e}", out.display())))?
            .count();
        let per_file = m.wall.as_secs_f64() * 1e3 / files as f64;
        merges.push((files, m.wall.as_secs_f64() * 1e3));
        rows.push((
            format!("release merge, {size} parts"),
            m,
            format!("{files} files, {per_file:.2} ms per file"),
        ));
        if size == largest {
            merged_50 = Some(out);
        }
    }
    if let Some(out) = merged_50 {
        let m = measure(
            relgate.as_os_str(),
            &[
                "gate".into(),
                "--dir".into(),
                out.into(),
                "--key".into(),
                public.clone().into(),
            ],
        )?;
        rows.push((format!("gate --dir, {largest} parts"), m, String::new()));
    }
    println!();
    println!("a release on many runners, at scale");
    println!("  relgate:   {relgate_version}");
    println!(
        "  workspace: generated, {MEMBERS} library members + 1 binary; parts with {FILES} files of {KIB} KiB"
    );
    println!("  runs:      1 of each (the parts: one per target)");
    println!();
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    println!(
        "{:<width$}  {:>9}  {:>13}  notes",
        "command", "wall ms", "peak RSS MiB"
    );
    for (label, m, notes) in &rows {
        let rss = m
            .peak_rss_kib
            .map_or("n/a".into(), |k| format!("{:.1}", k as f64 / 1024.0));
        println!(
            "{label:<width$}  {:>9.1}  {rss:>13}  {notes}",
            m.wall.as_secs_f64() * 1e3
        );
    }
    println!();
    let marginal: Vec<String> = merges
        .windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            format!(
                "{} -> {} files: {:.2} ms per added file",
                a.0,
                b.0,
                (b.1 - a.1) / (b.0 - a.0).max(1) as f64
            )
        })
        .collect();
    println!(
        "merge cost per added file (linear when these are alike): {}",
        marginal.join("; ")
    );
    Ok(ExitCode::SUCCESS)
}

/// A workspace of [`MEMBERS`] small libraries and one binary over the first.
fn generate(dir: &Path) -> Result<()> {
    let write = |path: PathBuf, text: String| -> Result<()> {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| Failure::setup(format!("cannot create {}: {e}", parent.display())))?;
        }
        fs::write(&path, text).map_err(|e| Failure::setup(format!("cannot write {}: {e}", path.display())))
    };
    write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"scale-app\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n\n\
         [dependencies]\nscale-m000 = { path = \"crates/m000\", version = \"0.1.0\" }\n\n\
         [workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n"
            .into(),
    )?;
    write(
        dir.join("src/main.rs"),
        "fn main() {\n    scale_m000::f();\n}\n".into(),
    )?;
    for i in 0..MEMBERS {
        let name = format!("m{i:03}");
        write(
            dir.join("crates").join(&name).join("Cargo.toml"),
            format!("[package]\nname = \"scale-{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n"),
        )?;
        write(
            dir.join("crates").join(&name).join("src/lib.rs"),
            "/// Does nothing.\npub fn f() {}\n".into(),
        )?;
    }
    let status = proc::status(
        Command::new(cargo())
            .args(["generate-lockfile", "--offline"])
            .current_dir(dir),
    )?;
    if !status.success() {
        return Err(Failure::setup(format!(
            "cargo generate-lockfile failed ({status})"
        )));
    }
    Ok(())
}
