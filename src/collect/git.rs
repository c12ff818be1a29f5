//! Git facts about the checkout: commit, dirty state, tag at `HEAD`.
//!
//! A directory that is not a git checkout, or a machine without git, simply
//! has no git facts; the SBOM does not need them.

use std::path::Path;

use super::process::run;
use crate::facts::Git;

/// Reads the git state of the checkout containing `dir`, if any.
pub fn read(dir: &Path) -> Option<Git> {
    let git = |args: &[&str]| -> Option<String> {
        let out = run("git", args, dir, &[("GIT_OPTIONAL_LOCKS", "0")]).ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "--verify", "HEAD"])?;
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_none_or(|s| !s.is_empty());
    let tag = git(&["tag", "--points-at", "HEAD"]).and_then(|tags| tags.lines().map(str::to_owned).max());
    Some(Git { commit, dirty, tag })
}

/// Where the checkout came from, for provenance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The repository's top-level directory.
    pub toplevel: Option<std::path::PathBuf>,
    /// `remote.origin.url`, without credentials.
    pub remote: Option<String>,
    /// `refs/tags/T` when a tag points at HEAD, else the branch `refs/heads/B`.
    pub reference: Option<String>,
}

/// Reads the checkout's origin; empty outside a git checkout.
pub fn origin(dir: &Path) -> Origin {
    let git = |args: &[&str]| -> Option<String> {
        let out = run("git", args, dir, &[("GIT_OPTIONAL_LOCKS", "0")]).ok()?;
        let s = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        (out.status.success() && !s.is_empty()).then_some(s)
    };
    let tag = git(&["tag", "--points-at", "HEAD"]).and_then(|t| t.lines().map(str::to_owned).max());
    Origin {
        toplevel: git(&["rev-parse", "--show-toplevel"]).map(std::path::PathBuf::from),
        remote: git(&["remote", "get-url", "origin"]).map(|u| strip_credentials(&u)),
        reference: tag
            .map(|t| format!("refs/tags/{t}"))
            .or_else(|| git(&["symbolic-ref", "-q", "HEAD"])),
    }
}

/// Removes `user:password@` from a URL so secrets never reach an output.
pub fn strip_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://{host}{path}"),
        None => url.to_owned(),
    }
}

/// `commit` is a commit of the repository holding `dir`.
pub fn has_commit(dir: &Path, commit: &str) -> bool {
    cat_file_exists(dir, &format!("{commit}^{{commit}}"))
}

/// `file` (relative to `dir`) exists in the tree of `commit`.
pub fn has_file_at(dir: &Path, commit: &str, file: &str) -> bool {
    cat_file_exists(dir, &format!("{commit}:./{file}"))
}

fn cat_file_exists(dir: &Path, object: &str) -> bool {
    std::process::Command::new("git")
        .args(["cat-file", "-e", object])
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Every tag of the repository holding `dir` (none outside git).
pub fn tags(dir: &Path) -> Vec<String> {
    std::process::Command::new("git")
        .args(["tag", "--list"])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
