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
pub fn open(path: &Path) -> Result<Database> {
    let bad = |reason: String| Error::Input {
        what: "advisory database",
        path: path.to_path_buf(),
        reason,
    };
    check_files(path).map_err(bad)?;
    let db = rustsec::Database::open(path).map_err(|e| bad(e.to_string()))?;
    let mut advisories: Vec<Advisory> = db
        .iter()
        .filter(|a| !a.withdrawn())
        .filter(|a| a.metadata.collection != Some(rustsec::Collection::Rust))
        .map(convert)
        .collect();
    advisories.sort_by(|a, b| (&a.package, &a.id).cmp(&(&b.package, &b.id)));
    Ok(Database {
        path: path.to_path_buf(),
        last_commit: last_commit(path),
        advisories,
    })
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
