//! Bad input: one clear message with a hint, exit 2, no partial output.

use std::path::Path;
use std::process::Output;

use crate::support::{relgate, Fixture};

fn assert_error(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "expected exit 2, stderr:\n{stderr}");
    assert!(
        out.stdout.is_empty(),
        "an error printed a document:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}:\n{stderr}");
    }
}

fn sbom_to(manifest: &Path, out: &Path, extra: &[&str]) -> Output {
    relgate()
        .args(["sbom", "--manifest-path"])
        .arg(manifest)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn missing_lockfile() {
    let fx = Fixture::new("bad/no-lock");
    let out_file = fx.scratch("out.json");
    let out = sbom_to(&fx.manifest(), &out_file, &[]);
    assert_error(&out, &["no Cargo.lock", "hint: run `cargo generate-lockfile`"]);
    assert!(!out_file.exists(), "partial output written");
    assert!(
        !fx.dir.join("Cargo.lock").exists(),
        "relgate created a Cargo.lock in the source tree"
    );
}

#[test]
fn broken_manifest() {
    let fx = Fixture::new("bad/broken-manifest");
    let out_file = fx.scratch("out.json");
    let out = sbom_to(&fx.manifest(), &out_file, &[]);
    assert_error(&out, &["cargo metadata` failed", "hint:"]);
    assert!(!out_file.exists());
}

#[test]
fn missing_manifest() {
    let out = relgate()
        .args(["sbom", "--manifest-path", "/nonexistent/Cargo.toml"])
        .output()
        .unwrap();
    assert_error(&out, &["manifest not found", "hint: pass --manifest-path"]);
}

#[test]
fn unknown_package_lists_the_members() {
    let fx = Fixture::new("virtual");
    let out = sbom_to(&fx.manifest(), &fx.scratch("o.json"), &["-p", "nope"]);
    assert_error(&out, &["`nope` is not a member", "vcli", "vcore", "vinternal"]);
}

#[test]
fn cargo_not_on_path() {
    let fx = Fixture::new("minimal");
    let rustc = String::from_utf8(
        std::process::Command::new("rustup")
            .args(["which", "rustc"])
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default(),
    )
    .unwrap_or_default();
    let rustc = if rustc.trim().is_empty() {
        "rustc".to_owned()
    } else {
        rustc.trim().to_owned()
    };
    let empty = fx.scratch("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let out = relgate()
        .env_remove("CARGO")
        .env("PATH", &empty)
        .env("RUSTC", &rustc)
        .args(["sbom", "--manifest-path"])
        .arg(fx.manifest())
        .output()
        .unwrap();
    assert_error(
        &out,
        &[
            "`cargo` could not be run",
            "hint: install Rust with rustup, or set the CARGO",
        ],
    );
}

/// A rustc that exits with an error (here: the toolchain a
/// rust-toolchain.toml pins is not installed, as rustup says it) is that
/// program's failure, reported with what it printed: exit 2, never "a bug
/// in relgate".
#[cfg(unix)]
#[test]
fn a_failing_rustc_is_reported_as_its_failure_not_a_relgate_bug() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new("minimal");
    let rustc = fx.scratch("failing-rustc");
    std::fs::write(
        &rustc,
        "#!/bin/sh\necho \"error: toolchain '1.2.3-x86_64-unknown-linux-gnu' is not installed\" >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&rustc, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = relgate()
        .env("RUSTC", &rustc)
        .args(["sbom", "--manifest-path"])
        .arg(fx.manifest())
        .output()
        .unwrap();
    assert_error(
        &out,
        &[
            "-vV` failed",
            "toolchain '1.2.3-x86_64-unknown-linux-gnu' is not installed",
            "hint: run `",
            "rustup toolchain install",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("bug in relgate"), "{stderr}");
}

#[test]
fn unwritable_output_leaves_nothing_behind() {
    let fx = Fixture::new("minimal");
    let missing_dir = fx.scratch("no/such/dir/sbom.json");
    let out = sbom_to(&fx.manifest(), &missing_dir, &[]);
    assert_error(&out, &["cannot write", "hint: choose a writable location"]);
    assert!(!missing_dir.exists());

    // A directory in the way: error, and the directory is untouched and holds no temp file.
    let dir = fx.scratch("a-directory");
    std::fs::create_dir_all(&dir).unwrap();
    let out = sbom_to(&fx.manifest(), &dir, &[]);
    assert_error(&out, &["cannot write"]);
    assert!(dir.is_dir());
    let leftovers: Vec<_> = std::fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("relgate") && n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn a_failed_run_keeps_the_previous_output() {
    let fx = Fixture::new("minimal");
    let out_file = fx.scratch("sbom.json");
    std::fs::write(&out_file, "previous").unwrap();
    let out = sbom_to(&fx.manifest(), &out_file, &["-p", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), "previous");
    // And a good run replaces it whole.
    let out = sbom_to(&fx.manifest(), &out_file, &[]);
    crate::support::assert_success(&out);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(doc["bomFormat"], "CycloneDX");
}

#[test]
fn bad_source_date_epoch() {
    let fx = Fixture::new("minimal");
    let out = relgate()
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .args(["sbom", "--manifest-path"])
        .arg(fx.manifest())
        .output()
        .unwrap();
    assert_error(&out, &["SOURCE_DATE_EPOCH", "hint:"]);
}

#[test]
fn unknown_format_is_a_usage_error() {
    let out = relgate()
        .args(["sbom", "--format", "spdx-tag-value"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cyclonedx-json"));
}

/// `-o /dev/null` (or any special file) is written in place; renaming a
/// temporary file over it would replace the device with a regular file.
#[test]
fn special_files_are_written_in_place_not_replaced() {
    let fx = Fixture::new("minimal");
    let fifo = fx.scratch("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(&fifo).unwrap())
    };
    let out = sbom_to(&fx.manifest(), &fifo, &[]);
    crate::support::assert_success(&out);
    let received = reader.join().unwrap();
    assert!(received.starts_with(b"{"), "the document went through the FIFO");
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(),
        "the FIFO was replaced by a file"
    );
}

/// A device or a FIFO where relgate expects a document is exit 2 at once,
/// never a hang or unbounded memory: a rustdoc baseline, a provenance
/// bundle and a public key.
#[test]
fn special_files_as_inputs_are_refused() {
    let fx = Fixture::new("compat/function_added");
    let fifo = fx.scratch("fifo");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    for special in [Path::new("/dev/zero"), fifo.as_path()] {
        let started = std::time::Instant::now();
        let out = relgate()
            .args(["compat", "--manifest-path"])
            .arg(fx.dir.join("new/Cargo.toml"))
            .arg(format!("--baseline=rustdoc:{}", special.display()))
            .output()
            .unwrap();
        assert_error(&out, &["not a regular file"]);
        let out = relgate()
            .args(["verify", "--provenance"])
            .arg(special)
            .args(["--key", "keys-example/example.pub"])
            .arg(fx.dir.join("new/Cargo.toml"))
            .current_dir(crate::support::repo())
            .output()
            .unwrap();
        assert_error(&out, &["not a regular file"]);
        let out = relgate()
            .args(["verify", "--provenance", "keys-example/example.pub", "--key"])
            .arg(special)
            .arg(fx.dir.join("new/Cargo.toml"))
            .current_dir(crate::support::repo())
            .output()
            .unwrap();
        assert_error(&out, &["not a regular file"]);
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    }
}

/// `-o` never replaces a file the user cannot write (read-only, or owned by
/// someone else): it is refused with exit 2 and left as it was.
#[test]
fn a_read_only_output_is_not_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new("minimal");
    let out_file = fx.scratch("out.json");
    std::fs::write(&out_file, b"keep me\n").unwrap();
    std::fs::set_permissions(&out_file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = sbom_to(&fx.manifest(), &out_file, &[]);
    assert_error(&out, &["not writable"]);
    assert_eq!(std::fs::read(&out_file).unwrap(), b"keep me\n");
}

/// A `license-file` that is `/dev/zero` or a FIFO is not read (it would
/// never end or block): the SBOM is written, promptly, without its text.
#[test]
fn a_special_license_file_is_not_read() {
    let fx = Fixture::new("minimal");
    let manifest = std::fs::read_to_string(fx.manifest()).unwrap();
    std::fs::write(
        fx.manifest(),
        manifest.replacen("[package]\n", "[package]\nlicense-file = \"LICENSE\"\n", 1),
    )
    .unwrap();
    std::os::unix::fs::symlink("/dev/zero", fx.dir.join("LICENSE")).unwrap();
    let started = std::time::Instant::now();
    let out_file = fx.scratch("out.json");
    let out = sbom_to(&fx.manifest(), &out_file, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert!(out_file.exists());
}
