//! The README cannot lie: its `relgate` examples run as written, and the
//! `sbom` interface it documents (which scripts depend on) is the real one.

use crate::support::{relgate, repo, validate, Fixture};

/// Lines of fenced `sh` blocks in README.md that invoke relgate directly.
fn readme_relgate_commands() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mut in_sh = false;
    let mut cmds = Vec::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = line.trim() == "```sh";
            continue;
        }
        if in_sh && line.starts_with("relgate ") {
            cmds.push(line.split_whitespace().skip(1).map(str::to_owned).collect());
        }
    }
    cmds
}

#[test]
fn readme_examples_run_as_written() {
    let cmds = readme_relgate_commands();
    assert!(!cmds.is_empty(), "README has no relgate example");
    for args in cmds {
        // Run from a directory laid out like the repository root.
        let fx = Fixture::at("minimal", "fixtures");
        let cwd = fx.dir.parent().unwrap().parent().unwrap();
        let out = relgate().args(&args).current_dir(cwd).output().unwrap();
        crate::support::assert_success(&out);
        if let Some(i) = args.iter().position(|a| a == "-o") {
            let doc = std::fs::read(cwd.join(&args[i + 1])).expect("the example's output file");
            let kind = if args.iter().any(|a| a == "spdx-json") {
                "spdx-json"
            } else if args.iter().any(|a| a == "spdx3-json") {
                "spdx3-json"
            } else {
                "cdx-json"
            };
            validate(kind, &doc, &format!("README example {args:?}"));
        }
    }
}

#[test]
fn sbom_interface_is_the_documented_one() {
    let out = relgate().args(["sbom", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--manifest-path <PATH>",
        "--package <PKG>",
        "-p",
        "--target <TRIPLE>",
        "--features <FEATURES>",
        "--all-features",
        "--no-default-features",
        "--format <FORMAT>",
        "--output <PATH>",
        "-o",
        "cyclonedx-json",
        "cyclonedx-xml",
        "spdx-json",
        "spdx3-json",
        "--spec-version <VERSION>",
        "--profile <PROFILE>",
        "bsi-tr-03183-2",
    ] {
        assert!(help.contains(flag), "`relgate sbom --help` lacks {flag}:\n{help}");
    }
    let version = relgate().arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8(version.stdout).unwrap().trim(),
        format!("relgate {}", env!("CARGO_PKG_VERSION"))
    );
}

/// The provenance worked example: every command after "Worked example", run
/// with this build's binary and a scratch directory in place of /tmp.
#[test]
fn provenance_worked_example_runs_as_written() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme
        .split("Worked example")
        .nth(1)
        .expect("README has the worked example");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let script: String = block
        .lines()
        .filter(|l| !l.starts_with("cargo build"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("target/release/relgate", env!("CARGO_BIN_EXE_relgate"))
        .replace("/tmp/relgate-demo", &tmp.path().to_string_lossy());
    let out = std::process::Command::new("sh")
        .arg("-ec")
        .arg(&script)
        .current_dir(repo())
        .output()
        .unwrap();
    crate::support::assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.ends_with("verified\n") && !stdout.contains("FAIL"),
        "{stdout}"
    );
    // And the README's claim about a changed byte.
    std::fs::write(tmp.path().join("app.txt"), "hellO\n").unwrap();
    let verify_line = script
        .lines()
        .skip_while(|l| !l.contains(" verify "))
        .collect::<Vec<_>>()
        .join("\n");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&verify_line)
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL subjects"));
}

/// The compat example: run as written (with this build's binary and a
/// scratch directory), and its output is the one the README shows.
#[test]
fn compat_example_runs_as_written() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme
        .split("Compat example")
        .nth(1)
        .expect("README has the compat example");
    let mut blocks = section.split("```").skip(1).step_by(2);
    let script = blocks.next().unwrap().trim_start_matches("sh\n");
    let shown = blocks.next().unwrap().trim_start_matches("text\n");
    let tmp = tempfile::tempdir().unwrap();
    let demo = tmp.path().join("demo");
    let script: String = script
        .lines()
        .filter(|l| !l.starts_with("cargo build"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("target/release/relgate", env!("CARGO_BIN_EXE_relgate"))
        .replace("/tmp/relgate-compat-demo", &demo.to_string_lossy());
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed =
        String::from_utf8_lossy(&out.stdout).replace(&*demo.to_string_lossy(), "/tmp/relgate-compat-demo");
    assert_eq!(printed.trim_end(), shown.trim_end());
}
