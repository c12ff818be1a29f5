//! What a release reads from the world besides the workspace facts: the
//! contract, the schemas and their lock, the ledger, the build, the tests,
//! and relgate's own resource use.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::analyze::schema::Current;
use crate::config::contract::Contract;
use crate::error::{Error, Result};
use crate::gate::facts::TestsFact;

/// relgate's own artifact schemas, built into the binary: (lock name, file, bytes).
pub const BUILTIN_SCHEMAS: [(&str, &str, &[u8]); 3] = [
    (
        "relgate:compat_report",
        "compat_report.json",
        include_bytes!("../../schemas/compat_report.schema.json"),
    ),
    (
        "relgate:gate",
        "gate.json",
        include_bytes!("../../schemas/gate.schema.json"),
    ),
    (
        "relgate:metrics",
        "metrics.json",
        include_bytes!("../../schemas/metrics.schema.json"),
    ),
];

/// Loads the contract: `explicit`, else `<root>/relgate.toml`, else the
/// `[workspace.metadata.relgate]` table of `<root>/Cargo.toml`, else the defaults.
pub fn contract(root: &Path, explicit: Option<&Path>) -> Result<Contract> {
    let text = |p: &Path| -> Result<String> {
        String::from_utf8(super::inputs::read(p, "contract")?).map_err(|_| Error::Input {
            what: "contract",
            path: p.to_path_buf(),
            reason: "not UTF-8".into(),
        })
    };
    let bad = |origin: &Path, reason: String| Error::Contract {
        origin: origin.display().to_string(),
        reason,
    };
    if let Some(p) = explicit {
        return Contract::from_toml(&text(p)?, &p.display().to_string()).map_err(|r| bad(p, r));
    }
    let file = root.join("relgate.toml");
    if file.is_file() {
        return Contract::from_toml(&text(&file)?, "relgate.toml").map_err(|r| bad(&file, r));
    }
    let cargo = root.join("Cargo.toml");
    if cargo.is_file() {
        if let Some(c) = Contract::from_cargo_toml(&text(&cargo)?, "Cargo.toml [workspace.metadata.relgate]")
            .map_err(|r| bad(&cargo, r))?
        {
            return Ok(c);
        }
    }
    Ok(Contract::defaults())
}

/// relgate's schemas plus the project's declared ones, as they are now.
pub fn schemas(root: &Path, contract: &Contract) -> Result<Vec<Current>> {
    let mut out: Vec<Current> = BUILTIN_SCHEMAS
        .iter()
        .map(|(name, _, raw)| Current {
            name: (*name).to_owned(),
            path: "(built in)".into(),
            raw: raw.to_vec(),
        })
        .collect();
    for rel in &contract.schemas.paths {
        let path = root.join(rel);
        let raw = super::inputs::read(&path, "declared schema")?;
        let rel = rel.replace('\\', "/");
        out.push(Current {
            name: rel.clone(),
            path: rel,
            raw,
        });
    }
    Ok(out)
}

/// The ledger's text and its parse; a missing file is an empty ledger.
pub fn ledger(path: &Path) -> Result<(String, crate::provenance::ledger::Ledger)> {
    use crate::provenance::ledger;
    let bad = |reason: String| Error::Ledger {
        path: path.to_path_buf(),
        reason,
    };
    let text = match read_optional(path, "ledger")? {
        Some(b) => ledger::text_from_bytes(&b)
            .map_err(|e| bad(e.to_string()))?
            .to_owned(),
        None => String::new(),
    };
    let parsed = ledger::Ledger::parse(&text).map_err(|e| bad(e.to_string()))?;
    Ok((text, parsed))
}

/// A document's bytes (a regular file, bounded like [`super::inputs::read`]),
/// or `None` when nothing is at `path`.
pub fn read_optional(path: &Path, what: &'static str) -> Result<Option<Vec<u8>>> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        _ => super::inputs::read(path, what).map(Some),
    }
}

fn tail(bytes: &[u8], lines: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    all[start..].join("\n")
}

/// Builds the binaries of `packages` (every member with one when empty) with
/// `cargo build --release --locked` and returns their paths.
pub fn build(manifest: &Path, packages: &[String], auditable: bool) -> Result<Vec<PathBuf>> {
    build_for(manifest, packages, None, auditable)
}

/// [`build`] for `target` (`--target T`; the host's when `None`); with
/// `auditable`, `cargo auditable build`, which embeds each binary's
/// dependency list.
pub fn build_for(
    manifest: &Path,
    packages: &[String],
    target: Option<&str>,
    auditable: bool,
) -> Result<Vec<PathBuf>> {
    let mut args: Vec<String> = auditable.then(|| "auditable".to_owned()).into_iter().collect();
    args.extend([
        "build".into(),
        "--release".into(),
        "--locked".into(),
        "--bins".into(),
        "--message-format=json-render-diagnostics".into(),
        "--manifest-path".into(),
        manifest.display().to_string(),
    ]);
    if let Some(t) = target {
        args.push("--target".into());
        args.push(t.into());
    }
    if packages.is_empty() {
        args.push("--workspace".into());
    }
    for p in packages {
        args.push("-p".into());
        args.push(p.clone());
    }
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let out = Command::new("cargo")
        .args(&args)
        .current_dir(dir)
        .env("CARGO_TERM_COLOR", "never")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::ToolMissing {
            program: "cargo".into(),
            reason: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(Error::StepFailed {
            step: "the build",
            command: format!("cargo {}", args.join(" ")),
            status: out.status.to_string(),
            detail: format!(":\n{}", tail(&out.stderr, 20)),
        });
    }
    let mut exes = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["reason"] == "compiler-artifact" {
            if let Some(exe) = v["executable"].as_str() {
                exes.push(PathBuf::from(exe));
            }
        }
    }
    exes.sort();
    exes.dedup();
    Ok(exes)
}

/// Whether `cargo auditable` runs here (cargo-auditable on `PATH`).
pub fn has_cargo_auditable(dir: &Path) -> bool {
    Command::new("cargo")
        .args(["auditable", "--version"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The default test command.
pub fn default_test_command() -> Vec<String> {
    ["cargo", "test", "--workspace", "--locked"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Runs the test command in `dir` and reads libtest's `test result:` lines.
/// Never an error: a command that cannot start, or ends without result
/// lines, is recorded as inconclusive evidence, which fails `tests-passed`.
pub fn tests(dir: &Path, command: &[String]) -> TestsFact {
    let mut fact = TestsFact {
        required: true,
        command: command.to_vec(),
        ..TestsFact::default()
    };
    let Some((program, args)) = command.split_first() else {
        return fact;
    };
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TERM_COLOR", "never")
        .stdin(Stdio::null())
        .output();
    let Ok(out) = out else {
        return fact;
    };
    fact.ran = true;
    fact.exit_code = out.status.code();
    let mut lines = 0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((p, f, i)) = parse_result_line(line) {
            lines += 1;
            fact.passed += p;
            fact.failed += f;
            fact.ignored += i;
        }
    }
    fact.conclusive = lines > 0 && fact.exit_code.is_some();
    fact
}

/// `test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; …`
fn parse_result_line(line: &str) -> Option<(u64, u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let (_, counts) = rest.split_once(". ")?;
    let get = |what: &str| -> Option<u64> {
        counts
            .split(';')
            .find_map(|part| part.trim().strip_suffix(what).map(|n| n.trim().parse().ok()))?
    };
    Some((get(" passed")?, get(" failed")?, get(" ignored")?))
}

/// relgate's own peak resident memory (bytes) and CPU time (seconds) so far.
pub fn usage() -> (Option<u64>, Option<f64>) {
    #[cfg(unix)]
    {
        let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is valid.
        let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) };
        if rc == 0 {
            // SAFETY: getrusage returned 0, so the struct is initialised.
            let ru = unsafe { ru.assume_init() };
            let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
            // ru_maxrss is KiB on Linux, bytes on macOS.
            let rss = if cfg!(target_os = "macos") {
                ru.ru_maxrss as u64
            } else {
                ru.ru_maxrss as u64 * 1024
            };
            return (Some(rss), Some(tv(ru.ru_utime) + tv(ru.ru_stime)));
        }
    }
    (None, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_result_lines() {
        assert_eq!(
            parse_result_line("test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s"),
            Some((3, 0, 1))
        );
        assert_eq!(
            parse_result_line(
                "test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out"
            ),
            Some((2, 1, 0))
        );
        assert_eq!(parse_result_line("running 3 tests"), None);
    }
}
