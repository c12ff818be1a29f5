//! The Rust toolchain: `rustc -vV` (release, host) and `rustc --print cfg`
//! (the cfg values that decide which `[target.'cfg(..)'.dependencies]` apply).

use std::path::Path;

pub use cargo_platform::Cfg;

use super::process::{failed, run};
use super::Env;
use crate::error::{Error, Result};
use crate::facts::Toolchain;

/// `$RUSTC`; else the `rustc` beside `$CARGO` (the toolchain cargo itself
/// uses, without the rustup proxy's extra start-up); else `rustc` on PATH.
fn rustc(env: &dyn Env) -> String {
    if let Some(r) = env.var("RUSTC") {
        return r;
    }
    env.var("CARGO")
        .map(|c| Path::new(&c).with_file_name(format!("rustc{}", std::env::consts::EXE_SUFFIX)))
        .filter(|r| r.is_file())
        .map(|r| r.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rustc".into())
}

/// `rustc -vV`: release and host triple.
pub fn version(env: &dyn Env, cwd: &Path) -> Result<Toolchain> {
    version_of(rustc(env), cwd)
}

fn version_of(rustc: String, cwd: &Path) -> Result<Toolchain> {
    let out = run(&rustc, &["-vV"], cwd, &[])?;
    if !out.status.success() {
        return Err(failed(&rustc, &["-vV"], &out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_owned())
    };
    match (field("release:"), field("host:")) {
        (Some(rustc_version), Some(host)) => Ok(Toolchain { rustc_version, host }),
        _ => Err(Error::ToolOutput {
            program: rustc,
            reason: "`rustc -vV` printed no release or host line".into(),
        }),
    }
}

/// `rustc -vV` and the host's `rustc --print cfg`, the way a release reads
/// them: the first run (through the rustup proxy, when there is one) also
/// prints the sysroot, and `-vV` then asks that toolchain's own rustc, so
/// the proxy starts once instead of twice.
pub fn version_and_host_cfg(env: &dyn Env, cwd: &Path) -> Result<(Toolchain, Vec<Cfg>)> {
    let proxy = rustc(env);
    let args = ["--print", "sysroot", "--print", "cfg"];
    let out = run(&proxy, &args, cwd, &[])?;
    if !out.status.success() {
        return Err(failed(&proxy, &args, &out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let (sysroot, cfg_text) = text.split_once('\n').unwrap_or((text.as_ref(), ""));
    let own = Path::new(sysroot.trim())
        .join("bin")
        .join(format!("rustc{}", std::env::consts::EXE_SUFFIX));
    let mut cfg = parse_cfg(cfg_text).map_err(|reason| Error::ToolOutput {
        program: format!("{proxy} --print cfg"),
        reason,
    })?;
    cfg.push(Cfg::Name("true".into()));
    // Only `rustc` from PATH may be the proxy; `$RUSTC` is asked as given.
    let rustc = if proxy == "rustc" && own.is_file() {
        own.to_string_lossy().into_owned()
    } else {
        proxy
    };
    Ok((version_of(rustc, cwd)?, cfg))
}

/// `rustc --print target-list`: the targets built into this rustc.
pub fn target_list(env: &dyn Env, cwd: &Path) -> Result<Vec<String>> {
    let rustc = rustc(env);
    let out = run(&rustc, &["--print", "target-list"], cwd, &[])?;
    if !out.status.success() {
        return Err(failed(&rustc, &["--print", "target-list"], &out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect())
}

/// `rustc --print cfg [--target T]`.
pub fn cfg(env: &dyn Env, cwd: &Path, target: Option<&str>) -> Result<Vec<Cfg>> {
    let rustc = rustc(env);
    let mut args = vec!["--print", "cfg"];
    if let Some(t) = target {
        args.extend(["--target", t]);
    }
    let out = run(&rustc, &args, cwd, &[])?;
    if !out.status.success() {
        return Err(match target {
            Some(t) => Error::InvalidOption(format!(
                "rustc does not know the target `{t}`: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            None => failed(&rustc, &args, &out.stderr),
        });
    }
    let mut cfg = parse_cfg(&String::from_utf8_lossy(&out.stdout)).map_err(|reason| Error::ToolOutput {
        program: format!("{rustc} --print cfg"),
        reason,
    })?;
    // `cfg(true)` (a boolean literal cargo accepts) is parsed as a name;
    // it holds everywhere, `cfg(false)` nowhere.
    cfg.push(Cfg::Name("true".into()));
    Ok(cfg)
}

/// Parses `rustc --print cfg` output.
pub fn parse_cfg(text: &str) -> std::result::Result<Vec<Cfg>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.parse::<Cfg>().map_err(|e| format!("`{l}`: {e}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::SystemEnv;

    /// The one-proxy read says what the two separate reads say.
    #[test]
    fn one_proxy_start_reads_what_two_reads_do() {
        let dir = std::env::temp_dir();
        let (toolchain, cfg_once) = version_and_host_cfg(&SystemEnv, &dir).unwrap();
        assert_eq!(toolchain, version(&SystemEnv, &dir).unwrap());
        assert_eq!(cfg_once, cfg(&SystemEnv, &dir, None).unwrap());
        assert!(cfg_once
            .iter()
            .any(|c| matches!(c, Cfg::KeyPair(k, _) if k == "target_os")));
    }
}
