//! The only module that writes to the file system.
//!
//! Files are written to a temporary sibling, flushed to disk and renamed
//! over the destination, so a reader (or a crash) sees the old file or the
//! complete new one — never a partial one. A destination that exists and is
//! not a regular file (`/dev/null`, a FIFO, a terminal) is written in place:
//! renaming over it would replace the device with a file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Atomically replaces `path` with `bytes` (or writes a special file in place).
pub fn file_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let err = |source: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() && !meta.is_dir() {
            return OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|mut f| f.write_all(bytes))
                .map_err(err);
        }
    }
    let name = path.file_name().ok_or_else(|| {
        err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a file path",
        ))
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.relgate-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// Creates a new file (never overwriting one) with the given Unix mode,
/// e.g. `0o600` for a private key; the mode is set at creation, so the key
/// is never readable by others, even briefly.
pub fn new_file(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => Error::Exists {
            path: path.to_path_buf(),
        },
        _ => Error::Write {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let result = f.write_all(bytes).and_then(|()| f.sync_all());
    if let Err(source) = result {
        drop(f);
        let _ = std::fs::remove_file(path);
        return Err(Error::Write {
            path: path.to_path_buf(),
            source,
        });
    }
    Ok(())
}
