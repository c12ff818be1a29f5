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
