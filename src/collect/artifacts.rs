//! Digests of released files, streamed in 1 MiB blocks (bounded memory).
//!
//! A file is named by its file name; a directory contributes every regular
//! file below it, named `DIR/relative/path` (sorted). `sha256sum`-style
//! checksum files are read and every line re-checked against the file it
//! names, so nothing is attested that was not hashed here.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256, Sha512};

use crate::error::{Error, Result};
use crate::provenance::statement::Subject;

/// Digests of the given files and directories.
pub fn digest_paths(paths: &[PathBuf], sha512: bool) -> Result<Vec<Subject>> {
    let mut out: Vec<Subject> = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| artifact_err(p, e.to_string()))?;
        let base = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| artifact_err(p, "has no file name".into()))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(p, &mut files)?;
            files.sort();
            for f in files {
                let rel = f.strip_prefix(p).unwrap_or(&f);
                let name = format!("{base}/{}", rel.to_string_lossy().replace('\\', "/"));
                out.push(digest_file(&f, name, sha512)?);
            }
        } else {
            out.push(digest_file(p, base, sha512)?);
        }
    }
    let mut names: Vec<&str> = out.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::InvalidOption(format!(
            "two artifacts are both named `{}`; pass their directory instead so they get distinct names",
            w[0]
        )));
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| artifact_err(dir, e.to_string()))? {
        let entry = entry.map_err(|e| artifact_err(dir, e.to_string()))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| artifact_err(&path, e.to_string()))?;
        if kind.is_dir() {
            walk(&path, out)?;
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            out.push(path);
        } else {
            return Err(artifact_err(&path, NOT_REGULAR.into()));
        }
    }
    Ok(())
}

/// SHA-256 (and SHA-512) of one file, named `name`.
pub fn digest_file(path: &Path, name: String, sha512: bool) -> Result<Subject> {
    let mut f = open_regular(path)?;
    let mut h256 = Sha256::new();
    let mut h512 = sha512.then(Sha512::new);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| artifact_err(path, e.to_string()))?;
        if n == 0 {
            break;
        }
        h256.update(&buf[..n]);
        if let Some(h) = h512.as_mut() {
            h.update(&buf[..n]);
        }
    }
    Ok(Subject {
        name,
        sha256: hex(&h256.finalize()),
        sha512: h512.map(|h| hex(&h.finalize())),
    })
}

/// The `(name, sha256)` lines of a `sha256sum` file's text (`HASH  NAME`, or
/// `HASH *NAME` for binary mode; blank lines skipped). `path` names the file
/// in errors.
pub fn parse_checksums(text: &str, path: &Path) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let (hash, name) = line
            .split_once(' ')
            .map(|(h, rest)| {
                (
                    h,
                    rest.strip_prefix(' ')
                        .or_else(|| rest.strip_prefix('*'))
                        .unwrap_or(rest),
                )
            })
            .filter(|(h, name)| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) && !name.is_empty())
            .ok_or_else(|| checksums_err(path, format!("line {} is not `SHA256  NAME`", n + 1)))?;
        if !seen.insert(name) {
            return Err(checksums_err(
                path,
                format!("line {} lists `{name}` a second time", n + 1),
            ));
        }
        out.push((name.to_owned(), hash.to_ascii_lowercase()));
    }
    Ok(out)
}

/// Reads a `sha256sum` file and checks every line against the file it names
/// (relative to the checksum file's directory).
pub fn verified_checksums(path: &Path, sha512: bool) -> Result<Vec<Subject>> {
    let text = String::from_utf8(super::inputs::read(path, "checksum file")?)
        .map_err(|_| checksums_err(path, "not UTF-8".into()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for (name, hash) in parse_checksums(&text, path)? {
        let subject = digest_file(&dir.join(&name), name.clone(), sha512)?;
        if subject.sha256 != hash.to_ascii_lowercase() {
            return Err(checksums_err(
                path,
                format!("`{name}` has SHA-256 {}, the file says {hash}", subject.sha256),
            ));
        }
        out.push(subject);
    }
    if out.is_empty() {
        return Err(checksums_err(path, "lists no files".into()));
    }
    Ok(out)
}

use super::inputs::NOT_REGULAR;

/// Opens a regular file for reading (following symbolic links). A FIFO,
/// device, socket or directory is refused before it is opened, and the open
/// file is checked again, so nothing can block or stream forever.
fn open_regular(path: &Path) -> Result<std::fs::File> {
    let meta = std::fs::metadata(path).map_err(|e| artifact_err(path, e.to_string()))?;
    if !meta.is_file() {
        return Err(artifact_err(path, NOT_REGULAR.into()));
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        // A FIFO swapped in after the check must not block the open.
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let f = opts.open(path).map_err(|e| artifact_err(path, e.to_string()))?;
    let meta = f.metadata().map_err(|e| artifact_err(path, e.to_string()))?;
    if !meta.is_file() {
        return Err(artifact_err(path, NOT_REGULAR.into()));
    }
    Ok(f)
}

/// What stands at one name of a release directory, never following links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A regular file with one link, and its SHA-256.
    File {
        /// Hex SHA-256 of its bytes.
        sha256: String,
    },
    /// A symbolic link (to anything).
    Symlink,
    /// A directory.
    Directory,
    /// A regular file with other names (hard links), possibly outside the directory.
    HardLinked {
        /// How many names the file has.
        links: u64,
    },
    /// A FIFO, socket or device.
    Special,
}

impl Entry {
    /// Why this entry cannot be a released file (`None` for a plain file).
    pub fn refusal(&self) -> Option<String> {
        match self {
            Entry::File { .. } => None,
            Entry::Symlink => Some("is a symbolic link".into()),
            Entry::Directory => Some("is a directory".into()),
            Entry::HardLinked { links } => Some(format!(
                "is a file with {links} hard links (another name for it may lie outside the directory)"
            )),
            Entry::Special => Some("is a FIFO, socket or device".into()),
        }
    }
}

/// Every name in a release directory (sorted) and what stands there; regular
/// files are hashed (streamed), nothing else is opened.
pub fn release_entries(dir: &Path) -> Result<Vec<(String, Entry)>> {
    let err = |p: &Path, e: std::io::Error| Error::Input {
        what: "release directory",
        path: p.to_path_buf(),
        reason: e.to_string(),
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| err(dir, e))? {
        let entry = entry.map_err(|e| err(dir, e))?;
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).map_err(|e| err(&path, e))?;
        let kind = meta.file_type();
        let name = entry.file_name().to_string_lossy().into_owned();
        let found = if kind.is_symlink() {
            Entry::Symlink
        } else if kind.is_dir() {
            Entry::Directory
        } else if !kind.is_file() {
            Entry::Special
        } else if links(&meta) > 1 {
            Entry::HardLinked { links: links(&meta) }
        } else {
            Entry::File {
                sha256: digest_file(&path, String::new(), false)?.sha256,
            }
        };
        out.push((name, found));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

#[cfg(unix)]
fn links(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.nlink()
}

#[cfg(not(unix))]
fn links(_: &std::fs::Metadata) -> u64 {
    1
}

/// SHA-256 of a file, hex (for Cargo.lock and the like).
pub fn sha256_file(path: &Path) -> Result<String> {
    digest_file(path, String::new(), false).map(|s| s.sha256)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn artifact_err(path: &Path, reason: String) -> Error {
    Error::Input {
        what: "artifact",
        path: path.to_path_buf(),
        reason,
    }
}

fn checksums_err(path: &Path, reason: String) -> Error {
    Error::Input {
        what: "checksum file",
        path: path.to_path_buf(),
        reason,
    }
}
