//! Git facts about the checkout: commit, dirty state, tag at `HEAD`.
//!
//! A directory that is not a git checkout, or a machine without git, simply
//! has no git facts; the SBOM does not need them.

use std::path::Path;

use super::process::run;
use crate::facts::Git;

/// `git args` in `dir`: its trimmed standard output, `None` when it fails.
fn output(dir: &Path, args: &[&str]) -> Option<String> {
    let out = run("git", args, dir, &[("GIT_OPTIONAL_LOCKS", "0")]).ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Reads the git state of the checkout containing `dir`, if any.
pub fn read(dir: &Path) -> Option<Git> {
    let git = |args: &[&str]| output(dir, args);
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
    let git = |args: &[&str]| output(dir, args).filter(|s| !s.is_empty());
    let tag = git(&["tag", "--points-at", "HEAD"]).and_then(|t| t.lines().map(str::to_owned).max());
    Origin {
        toplevel: git(&["rev-parse", "--show-toplevel"]).map(std::path::PathBuf::from),
        remote: git(&["remote", "get-url", "origin"]).map(|u| strip_credentials(&u)),
        reference: tag
            .map(|t| format!("refs/tags/{t}"))
            .or_else(|| git(&["symbolic-ref", "-q", "HEAD"])),
    }
}

/// [`read`] and [`origin`] together in four git processes, two at a time
/// (one `rev-parse` answers the top level, the commit and the branch);
/// an unborn `HEAD` or a directory outside git falls back to the two.
pub fn read_with_origin(dir: &Path) -> (Option<Git>, Origin) {
    let git = |args: &[&str]| output(dir, args);
    let ((parsed, dirty), (tag, remote)) = std::thread::scope(|s| {
        let side = s.spawn(|| {
            let tag = git(&["tag", "--points-at", "HEAD"]).and_then(|t| t.lines().map(str::to_owned).max());
            let remote = git(&["remote", "get-url", "origin"])
                .filter(|u| !u.is_empty())
                .map(|u| strip_credentials(&u));
            (tag, remote)
        });
        let parsed = git(&[
            "rev-parse",
            "--show-toplevel",
            "HEAD",
            "--symbolic-full-name",
            "HEAD",
        ]);
        let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_none_or(|s| !s.is_empty());
        ((parsed, dirty), side.join().unwrap_or_default())
    });
    let lines: Vec<&str> = parsed.as_deref().map(|p| p.lines().collect()).unwrap_or_default();
    let [toplevel, commit, symbolic] = lines[..] else {
        return (read(dir), origin(dir));
    };
    let git = Git {
        commit: commit.to_owned(),
        dirty,
        tag: tag.clone(),
    };
    let origin = Origin {
        toplevel: Some(std::path::PathBuf::from(toplevel)),
        remote,
        // `HEAD` itself when detached, as `symbolic-ref -q` has no answer then.
        reference: tag
            .map(|t| format!("refs/tags/{t}"))
            .or_else(|| symbolic.starts_with("refs/").then(|| symbolic.to_owned())),
    };
    (Some(git), origin)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t.invalid")
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    }

    /// The four-process read says what `read` and `origin` say in these
    /// states. (It differs, correctly, for a top level whose name ends in
    /// whitespace, which `origin` trims away.)
    #[test]
    fn read_with_origin_agrees_with_read_and_origin() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let same = |what: &str| {
            assert_eq!(read_with_origin(dir), (read(dir), origin(dir)), "{what}");
        };
        same("not a checkout");
        git(dir, &["init", "-q", "-b", "main"]);
        same("unborn HEAD");
        std::fs::write(dir.join("a"), "1").unwrap();
        git(dir, &["add", "a"]);
        git(dir, &["commit", "-q", "-m", "one"]);
        git(
            dir,
            &["remote", "add", "origin", "https://user:secret@example.com/r.git"],
        );
        same("on a branch, no tag");
        let (g, o) = read_with_origin(dir);
        assert!(g.is_some_and(|g| !g.dirty && g.tag.is_none()));
        assert_eq!(o.remote.as_deref(), Some("https://example.com/r.git"));
        assert_eq!(o.reference.as_deref(), Some("refs/heads/main"));
        git(dir, &["tag", "v1"]);
        git(dir, &["tag", "v2"]);
        same("two tags");
        std::fs::write(dir.join("a"), "2").unwrap();
        same("dirty");
        git(dir, &["checkout", "-q", "--detach"]);
        git(dir, &["tag", "-d", "v1", "v2"]);
        same("detached, untagged");
        assert_eq!(read_with_origin(dir).1.reference, None);
    }
}
