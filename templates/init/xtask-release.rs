// `cargo xtask release`: releases this workspace with relgate's library.
// Add `relgate = "0.1"` to xtask/Cargo.toml and call `release::run(dry_run)`
// from xtask's main.
use relgate::collect::inputs::KeySource;
use relgate::release::{Progress, Release};

pub fn run(dry_run: bool) -> Result<bool, relgate::Error> {
    let mut release = Release::new("target/release-dir")
        .manifest_path("Cargo.toml")
        .dry_run(dry_run);
    if !dry_run {
        // RELGATE_SIGNING_KEY holds the PEM in CI.
        release = release.key(KeySource::Env);
    }
    let outcome = release.run(&relgate::SystemEnv, &mut |p| {
        if let Progress::Started { stage, index, total } = p {
            eprintln!("[{index}/{total}] {stage}");
        }
    })?;
    println!("{}: {}", outcome.verdict.result, outcome.dir.display());
    Ok(outcome.released)
}
