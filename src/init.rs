//! `relgate init`: a contract, an xtask example and a release workflow for
//! an existing Cargo workspace. Files that exist are left alone unless
//! forced; the workflow's tag pattern follows the repository's own tags.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

const CONTRACT: &str = include_str!("../templates/init/relgate.toml");
const XTASK: &str = include_str!("../templates/init/xtask-release.rs");
const WORKFLOW: &str = include_str!("../templates/init/release.yml");
const MATRIX_WORKFLOW: &str = include_str!("../templates/init/release-matrix.yml");
/// The placeholder in the workflow template that the tag pattern replaces.
const TAG_SLOT: &str = "\"v*\"";

/// What to initialise.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// The workspace root (holds Cargo.toml).
    pub dir: PathBuf,
    /// Overwrite files that exist.
    pub force: bool,
    /// Which release workflow to write.
    pub ci: Ci,
}

/// The release workflow `init` writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Ci {
    /// One GitHub Actions job: release, gate, record (`relgate release`).
    #[default]
    GithubSingle,
    /// A GitHub Actions matrix: plan, one part per target on its own
    /// runner, one verified merge (`release plan`, `part`, `merge`).
    Github,
}

/// What `init` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitOutcome {
    /// Files written.
    pub written: Vec<PathBuf>,
    /// Files that existed and were left alone.
    pub kept: Vec<PathBuf>,
    /// The workflow's tag filter, and where it came from.
    pub tag_pattern: String,
    /// Why that pattern.
    pub tag_reason: String,
}

/// Writes the starter files into `opts.dir`.
pub fn init(opts: &InitOptions) -> Result<InitOutcome> {
    let manifest = opts.dir.join("Cargo.toml");
    if !crate::collect::probe::is_file(&manifest) {
        return Err(Error::ManifestNotFound { path: manifest });
    }
    let tags = crate::collect::git::tags(&opts.dir);
    let (tag_pattern, tag_reason) = tag_pattern(&tags);
    let template = match opts.ci {
        Ci::GithubSingle => WORKFLOW,
        Ci::Github => MATRIX_WORKFLOW,
    };
    let workflow = template.replacen(TAG_SLOT, &format!("\"{tag_pattern}\""), 1);
    // A repository that already has a ledger is past its first release.
    let contract = if crate::collect::probe::exists(&opts.dir.join("release-ledger.jsonl")) {
        CONTRACT.replacen("\nfirst-release = true", "\n# first-release = true", 1)
    } else {
        CONTRACT.to_owned()
    };
    let files = [
        (opts.dir.join("relgate.toml"), contract),
        (
            opts.dir.join("xtask").join("src").join("release.rs.example"),
            XTASK.to_owned(),
        ),
        (
            opts.dir.join(".github").join("workflows").join("release.yml"),
            workflow,
        ),
    ];
    let mut out = InitOutcome {
        tag_pattern,
        tag_reason,
        ..InitOutcome::default()
    };
    for (path, text) in files {
        let exists = crate::collect::probe::exists(&path);
        if exists && !opts.force {
            out.kept.push(path);
            continue;
        }
        if let Some(parent) = path.parent() {
            crate::write::dir_all(parent)?;
        }
        if exists {
            crate::write::file_atomic(&path, text.as_bytes())?;
        } else {
            crate::write::new_file(&path, text.as_bytes(), 0o644)?;
        }
        out.written.push(path);
    }
    Ok(out)
}

/// The GitHub Actions tag filter that matches the repository's release
/// tags: the most common prefix before a version number among its tags
/// (`v1.2.3` → `v[0-9]+.*`, `15.2.0` → `[0-9]+.*`); `v[0-9]+.*` when no
/// tag names a version.
pub fn tag_pattern(tags: &[String]) -> (String, String) {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for t in tags {
        let Some(at) = t.find(|c: char| c.is_ascii_digit()) else {
            continue;
        };
        let (prefix, version) = t.split_at(at);
        if cargo_metadata::semver::Version::parse(version).is_err() {
            continue;
        }
        // Per-crate tags (`name-1.2.3`) of workspace members are not the
        // release's: only `v` or nothing count.
        if prefix.is_empty() || prefix == "v" {
            *counts.entry(prefix).or_default() += 1;
        }
    }
    match counts.iter().max_by_key(|(p, n)| (**n, p.is_empty())) {
        Some((prefix, n)) => (
            format!("{prefix}[0-9]+.*"),
            format!("{n} existing tag(s) look like `{prefix}X.Y.Z`"),
        ),
        None => (
            "v[0-9]+.*".into(),
            "no existing version tag: `vX.Y.Z` assumed".into(),
        ),
    }
}

/// Relative display of `path` below `dir`.
pub fn shown(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir).unwrap_or(path).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::tag_pattern;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tag_pattern_follows_the_repository() {
        assert_eq!(
            tag_pattern(&tags(&["15.1.0", "15.2.0", "grep-0.4.1", "0.2.1"])).0,
            "[0-9]+.*"
        );
        assert_eq!(
            tag_pattern(&tags(&["v1.0.0", "v1.1.0", "1.0.0-beta"])).0,
            "v[0-9]+.*"
        );
        assert_eq!(tag_pattern(&tags(&["ignore-0.4.1", "nightly"])).0, "v[0-9]+.*");
        assert_eq!(tag_pattern(&[]).0, "v[0-9]+.*");
    }
}
