//! Questions about paths that the rest of the crate asks without reading
//! files itself: is it a regular file, does anything exist there, how big,
//! what a directory holds.

use std::path::Path;

use crate::error::{Error, Result};

/// A regular file (following symlinks).
pub fn is_file(path: &Path) -> bool {
    path.is_file()
}

/// A symbolic link (not followed).
pub fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Where a symbolic link finally points (the path itself when it is not
/// one): writers then replace the file, not the link, and two names of one
/// file share one lock.
pub fn resolve_link(path: &Path) -> Result<std::path::PathBuf> {
    if !is_symlink(path) {
        return Ok(path.to_path_buf());
    }
    std::fs::canonicalize(path).map_err(|e| Error::Input {
        what: "symbolic link",
        path: path.to_path_buf(),
        reason: format!("cannot be resolved: {e}"),
    })
}

/// The canonical absolute path, when the path exists.
pub fn canonical(path: &Path) -> Option<std::path::PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// A directory (following symlinks).
pub fn is_dir(path: &Path) -> bool {
    path.is_dir()
}

/// Anything at all, a dangling symlink included.
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// The size in bytes (0 when it cannot be read).
pub fn len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The names of a directory's entries, sorted.
pub fn dir_names(dir: &Path, what: &'static str) -> Result<Vec<String>> {
    let err = |e: std::io::Error| Error::Input {
        what,
        path: dir.to_path_buf(),
        reason: e.to_string(),
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(err)? {
        names.push(entry.map_err(err)?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// Nanoseconds since the Unix epoch, for stage spans (timing only: never
/// in a reproducible output).
pub fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}
