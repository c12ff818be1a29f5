//! The RustSec advisory database, read offline from a local copy (a clone
//! of `github.com/rustsec/advisory-db`): relgate never fetches it.
//!
//! Before the `rustsec` crate parses the copy, every advisory file is
//! checked to be a regular file of bounded size (a database is input like
//! any other: no FIFO, device or giant file is read). The date of the
//! copy's last commit comes from git; a copy that is not a git checkout
//! has no known date, and `no-known-vulnerabilities` fails on that.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Largest advisory file read.
const MAX_ADVISORY: u64 = 1 << 20;
/// Most advisory files read.
const MAX_ADVISORIES: usize = 100_000;

/// What kind of advisory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A security vulnerability.
    Vulnerability,
    /// Informational: the crate is unmaintained.
    Unmaintained,
    /// Informational: the crate is unsound.
    Unsound,
    /// Informational: a notice.
    Notice,
    /// Informational, of a kind this version of relgate does not know.
    Other,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 5] = [
        Kind::Vulnerability,
        Kind::Unmaintained,
        Kind::Unsound,
        Kind::Notice,
        Kind::Other,
    ];
    /// The kind as written in gate.json.
    pub fn id(self) -> &'static str {
        match self {
            Kind::Vulnerability => "vulnerability",
            Kind::Unmaintained => "unmaintained",
            Kind::Unsound => "unsound",
            Kind::Notice => "notice",
            Kind::Other => "other",
        }
    }
}

/// One advisory, as relgate uses it.
#[derive(Debug, Clone)]
pub struct Advisory {
    /// `RUSTSEC-YYYY-NNNN`.
    pub id: String,
    /// The crate.
    pub package: String,
    /// One line.
    pub title: String,
    /// Reported on (`YYYY-MM-DD`).
    pub date: String,
    /// More information.
    pub url: Option<String>,
    /// CVE and GHSA ids.
    pub aliases: Vec<String>,
    /// Vulnerability or an informational kind.
    pub kind: Kind,
    /// The CVSS vector, when given.
    pub cvss: Option<String>,
    /// Its base score.
    pub score: Option<f64>,
    /// Its severity (`none` … `critical`).
    pub severity: Option<&'static str>,
    /// Version requirements that are fixed.
    pub patched: Vec<String>,
    /// Affected versions.
    versions: rustsec::advisory::Versions,
}

impl Advisory {
    /// Whether `version` of the crate is affected (an unparsable version is).
    pub fn affects(&self, version: &str) -> bool {
        match rustsec::Version::parse(version) {
            Ok(v) => self.versions.is_vulnerable(&v),
            Err(_) => true,
        }
    }
}

/// A local copy of the database.
#[derive(Debug, Clone)]
pub struct Database {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its last commit's time (Unix seconds), when it is a git checkout.
    pub last_commit: Option<i64>,
    /// Every advisory about a crate, withdrawn ones left out.
    pub advisories: Vec<Advisory>,
}

/// Reads the database at `path`; exit 2 when it is missing or unreadable.
///
/// The crate advisories (`crates/<package>/<id>.md`; the `rust/`
/// collection is about the toolchain, not a package, and is not read) are
/// parsed with rustsec's own parser, on two threads, after the checks
/// `rustsec::Database::open` makes (the file is named after its id, in the
/// directory named after its package); the last commit is read from git
/// meanwhile.
pub fn open(path: &Path) -> Result<Database> {
    let bad = |reason: String| Error::Input {
        what: "advisory database",
        path: path.to_path_buf(),
        reason,
    };
    check_files(path).map_err(bad)?;
    let files = crate_advisories(path).map_err(bad)?;
    let (parsed, last_commit) = std::thread::scope(|s| {
        let git = s.spawn(|| last_commit(path));
        let half = files.len().div_ceil(2);
        let (a, b) = files.split_at(half);
        let second = s.spawn(|| parse_all(b));
        let first = parse_all(a);
        let second = second
            .join()
            .unwrap_or_else(|_| Err("the advisory parser thread panicked".into()));
        let parsed = first.and_then(|mut v| {
            v.extend(second?);
            Ok(v)
        });
        (parsed, git.join().ok().flatten())
    });
    let mut advisories = parsed.map_err(bad)?;
    advisories.sort_by(|a, b| (&a.package, &a.id).cmp(&(&b.package, &b.id)));
    Ok(Database {
        path: path.to_path_buf(),
        last_commit,
        advisories,
    })
}

/// `crates/<package>/<file>` for every advisory file (dotfiles skipped).
fn crate_advisories(path: &Path) -> std::result::Result<Vec<(String, std::path::PathBuf)>, String> {
    let crates = path.join("crates");
    let mut files = Vec::new();
    for package in std::fs::read_dir(&crates).map_err(|e| format!("{}: {e}", crates.display()))? {
        let package = package.map_err(|e| e.to_string())?;
        if !std::fs::symlink_metadata(package.path()).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        let name = package.file_name().to_string_lossy().into_owned();
        for file in
            std::fs::read_dir(package.path()).map_err(|e| format!("{}: {e}", package.path().display()))?
        {
            let file = file.map_err(|e| e.to_string())?;
            if !file.file_name().to_string_lossy().starts_with('.') {
                files.push((name.clone(), file.path()));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Parses advisory files as `rustsec::Database::open` does (withdrawn ones left out).
fn parse_all(files: &[(String, std::path::PathBuf)]) -> std::result::Result<Vec<Advisory>, String> {
    let mut out = Vec::with_capacity(files.len());
    for (package, file) in files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let a: rustsec::Advisory = text
            .parse()
            .map_err(|e| format!("error parsing {}: {e}", file.display()))?;
        let file_name = file.file_name().and_then(|f| f.to_str()).unwrap_or_default();
        let draft = file_name.starts_with("RUSTSEC-0000-0000.");
        if !file_name.ends_with(".md") || (file_name != format!("{}.md", a.metadata.id) && !draft) {
            return Err(format!(
                "expected {} to be named {}.md",
                file.display(),
                a.metadata.id
            ));
        }
        if a.metadata.package.as_str() != package {
            return Err(format!(
                "expected {} to be in the {} directory, not {package}",
                a.metadata.id, a.metadata.package
            ));
        }
        if !a.withdrawn() {
            out.push(convert(&a));
        }
    }
    Ok(out)
}

fn convert(a: &rustsec::Advisory) -> Advisory {
    use rustsec::advisory::Informational;
    let m = &a.metadata;
    let kind = match &m.informational {
        None => Kind::Vulnerability,
        Some(Informational::Unmaintained) => Kind::Unmaintained,
        Some(Informational::Unsound) => Kind::Unsound,
        Some(Informational::Notice) => Kind::Notice,
        Some(_) => Kind::Other,
    };
    let severity = a.severity().map(|s| match s {
        rustsec::advisory::Severity::None => "none",
        rustsec::advisory::Severity::Low => "low",
        rustsec::advisory::Severity::Medium => "medium",
        rustsec::advisory::Severity::High => "high",
        rustsec::advisory::Severity::Critical => "critical",
    });
    Advisory {
        id: m.id.to_string(),
        package: m.package.to_string(),
        title: m.title.clone(),
        date: m.date.as_str().to_owned(),
        url: m.url.as_ref().map(|u| u.to_string()),
        aliases: m.aliases.iter().map(|a| a.to_string()).collect(),
        kind,
        cvss: m.cvss.as_ref().map(|c| c.to_string()),
        score: m.cvss.as_ref().map(|c| c.score()),
        severity,
        patched: a.versions.patched().iter().map(|r| r.to_string()).collect(),
        versions: a.versions.clone(),
    }
}

/// Every file under `crates/` and `rust/` is a regular file of bounded
/// size, and there is a `crates/` directory.
fn check_files(path: &Path) -> std::result::Result<(), String> {
    let crates = path.join("crates");
    if !std::fs::symlink_metadata(&crates).is_ok_and(|m| m.is_dir()) {
        return Err(
            "no `crates/` directory: not a RustSec advisory database (clone github.com/rustsec/advisory-db)"
                .into(),
        );
    }
    let mut count = 0usize;
    for collection in ["crates", "rust"] {
        let dir = path.join(collection);
        let Ok(packages) = std::fs::read_dir(&dir) else {
            continue;
        };
        for package in packages {
            let package = package.map_err(|e| format!("{}: {e}", dir.display()))?;
            let meta = std::fs::symlink_metadata(package.path()).map_err(|e| e.to_string())?;
            if !meta.is_dir() {
                continue;
            }
            for file in
                std::fs::read_dir(package.path()).map_err(|e| format!("{}: {e}", package.path().display()))?
            {
                let file = file.map_err(|e| e.to_string())?;
                if file.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                let meta = std::fs::symlink_metadata(file.path()).map_err(|e| e.to_string())?;
                if !meta.is_file() {
                    return Err(format!("{} is not a regular file", file.path().display()));
                }
                if meta.len() > MAX_ADVISORY {
                    return Err(format!(
                        "{} is {} bytes; an advisory is at most {MAX_ADVISORY}",
                        file.path().display(),
                        meta.len()
                    ));
                }
                count += 1;
                if count > MAX_ADVISORIES {
                    return Err(format!("more than {MAX_ADVISORIES} advisory files"));
                }
            }
        }
    }
    Ok(())
}

/// The last commit that touched `path` (Unix seconds), if it is in a git checkout.
fn last_commit(path: &Path) -> Option<i64> {
    let out = super::process::run("git", &["log", "-1", "--format=%ct", "--", "."], path, &[]).ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}
