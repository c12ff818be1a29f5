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
        // Renaming over a file only needs the directory writable: a file the
        // user may not write is refused, as writing it in place would be.
        if meta.is_file() && (meta.permissions().readonly() || !writable(path)) {
            return Err(err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "the file exists and is not writable; relgate does not replace it",
            )));
        }
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

#[cfg(unix)]
fn writable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path; access(2) only reads it.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

#[cfg(not(unix))]
fn writable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
}

/// Creates a new file (never overwriting one) with the given Unix mode,
/// e.g. `0o600` for a private key; the mode is set at creation, so the key
/// is never readable by others, even briefly.
pub fn new_file(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let f = written(path, bytes, mode)?;
    synced(path, f)
}

/// How many written files [`release_dir`] keeps open before it fsyncs them.
const SYNC_BATCH: usize = 64;

/// [`new_file`] without the fsync: the file, written, its write-back
/// started (Linux), for [`synced`] to finish. A release directory's files
/// are all written first and then synced, so their blocks are allocated in
/// one journal transaction and the first fsync commits them all, instead
/// of one journal commit per file.
fn written(path: &Path, bytes: &[u8], mode: u32) -> Result<File> {
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
    if let Err(source) = f.write_all(bytes) {
        drop(f);
        let _ = std::fs::remove_file(path);
        return Err(Error::Write {
            path: path.to_path_buf(),
            source,
        });
    }
    start_writeback(&f);
    Ok(f)
}

/// Asks the kernel to start writing `f`'s data now (an optimisation only:
/// the fsync in [`synced`] is what makes the file durable).
#[cfg(target_os = "linux")]
fn start_writeback(f: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: a valid open descriptor; offset 0 and length 0 mean the
    // whole file; the call only schedules write-back and reads no memory.
    unsafe {
        libc::sync_file_range(f.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_: &File) {}

/// Fsyncs a file from [`written`]; on failure the file is removed.
fn synced(path: &Path, f: File) -> Result<()> {
    if let Err(source) = f.sync_all() {
        drop(f);
        let _ = std::fs::remove_file(path);
        return Err(Error::Write {
            path: path.to_path_buf(),
            source,
        });
    }
    Ok(())
}

/// One file of a release directory.
#[derive(Debug, Clone)]
pub enum Content {
    /// Bytes rendered by relgate.
    Bytes(Vec<u8>),
    /// A file copied in (a built binary).
    Copy(PathBuf),
    /// A file relgate already wrote and fsynced in a [`Scratch`] directory
    /// beside the release directory: renamed into place, not copied.
    Move(PathBuf),
}

/// A file to place in a release directory.
#[derive(Debug, Clone)]
pub struct Entry {
    /// File name (no directories).
    pub name: String,
    /// What goes in it.
    pub content: Content,
    /// Executable bit.
    pub executable: bool,
}

/// An advisory lock (`flock`) on a release directory or a ledger, held until
/// dropped. The lock file `.<name>.relgate-lock` sits beside what it guards
/// and is never removed (removing it would let two writers lock two files).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Takes the lock guarding `path`, waiting up to `wait` for another relgate
/// to release it; `on_wait` is called once if it has to wait.
pub fn lock(path: &Path, wait: std::time::Duration, on_wait: &dyn Fn(&Path)) -> Result<Lock> {
    let lock_path = hidden(path, "lock")?;
    let err = |source| Error::Write {
        path: lock_path.clone(),
        source,
    };
    if let Some(parent) = lock_path.parent() {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(err)?;
    let start = std::time::Instant::now();
    let mut told = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Lock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(err(e)),
        }
        if start.elapsed() >= wait {
            return Err(Error::Locked {
                path: path.to_path_buf(),
                waited: start.elapsed().as_secs(),
            });
        }
        if !told {
            on_wait(path);
            told = true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The journal of a ledger append: the line to append once the release
/// directory is in place (`.<ledger>.relgate-pending`).
pub fn pending_path(ledger: &Path) -> Result<PathBuf> {
    hidden(ledger, "pending")
}

/// Removes a file if it exists.
pub fn remove_file(path: &Path) -> Result<()> {
    absent_is_done(path, std::fs::remove_file(path))
}

/// A removal that found nothing to remove succeeded.
fn absent_is_done(path: &Path, removed: std::io::Result<()>) -> Result<()> {
    match removed {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Write {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn hidden(out: &Path, tag: &str) -> Result<PathBuf> {
    let name = out.file_name().ok_or_else(|| Error::Write {
        path: out.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a directory path"),
    })?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok(parent.join(format!(".{}.relgate-{tag}", name.to_string_lossy())))
}

/// Cleans up after a release that was killed: removes its staging
/// directories, and puts a complete previous directory back if it was moved
/// aside and the new one never took its place. Call it holding `out`'s
/// [`lock`]: every staging directory then belongs to a dead process.
pub fn recover(out: &Path) -> Result<()> {
    let previous = hidden(out, "previous")?;
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    let prefix = hidden(out, "staging-")?;
    let prefix_name = prefix
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(parent) = prefix.parent() {
        if let Ok(list) = std::fs::read_dir(parent) {
            for entry in list.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                // This process's own scratch directories (a merge's
                // verified copies) are live.
                let own = name.starts_with(&format!("{prefix_name}scratch-"))
                    && name.ends_with(&format!("-{}", std::process::id()));
                if name.starts_with(&prefix_name) && !own {
                    let path = entry.path();
                    std::fs::remove_dir_all(&path).map_err(err(&path))?;
                }
            }
        }
    }
    if previous.exists() {
        if out.exists() {
            std::fs::remove_dir_all(&previous).map_err(err(&previous))?;
        } else {
            std::fs::rename(&previous, out).map_err(err(out))?;
        }
    }
    Ok(())
}

/// Writes `files` as the directory `out`, atomically: everything goes to a
/// staging directory beside `out` (same file system), is fsynced, and then
/// takes `out`'s place in one rename (an exchange on Linux when `out`
/// exists). A reader — or a crash at any instant — sees the previous
/// complete directory or the new complete one, never a partial one; the
/// one window without either (non-Linux replacement) is repaired by
/// [`recover`] on the next run.
pub fn release_dir(out: &Path, files: &[Entry]) -> Result<()> {
    recover(out)?;
    // Unique per process; only its owner (or `recover`, under the lock) removes it.
    let staging = hidden(out, &format!("staging-{}", std::process::id()))?;
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    if let Some(parent) = staging.parent() {
        std::fs::create_dir_all(parent).map_err(err(parent))?;
    }
    std::fs::create_dir(&staging).map_err(err(&staging))?;
    let result = (|| -> Result<()> {
        // Written files wait here to be fsynced together (see `written`).
        let mut unsynced: Vec<(PathBuf, File)> = Vec::new();
        for f in files {
            if f.name.contains(['/', '\\']) || f.name.starts_with('.') || f.name.is_empty() {
                return Err(Error::InvalidOption(format!(
                    "`{}` is not a plain file name",
                    f.name
                )));
            }
            let path = staging.join(&f.name);
            let mode = if f.executable { 0o755 } else { 0o644 };
            match &f.content {
                Content::Bytes(b) => {
                    // At most a batch of descriptors stays open at a time.
                    if unsynced.len() == SYNC_BATCH {
                        for (path, file) in unsynced.drain(..) {
                            synced(&path, file)?;
                        }
                    }
                    let file = written(&path, b, mode)?;
                    unsynced.push((path, file));
                }
                Content::Move(src) => {
                    std::fs::rename(src, &path).map_err(err(src))?;
                    #[cfg(unix)]
                    {
                        use std::os::unix::fs::PermissionsExt;
                        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                            .map_err(err(&path))?;
                    }
                }
                Content::Copy(src) => {
                    std::fs::copy(src, &path).map_err(|e| Error::Input {
                        what: "artifact",
                        path: src.clone(),
                        reason: e.to_string(),
                    })?;
                    #[cfg(unix)]
                    {
                        use std::os::unix::fs::PermissionsExt;
                        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                            .map_err(err(&path))?;
                    }
                    File::open(&path).and_then(|f| f.sync_all()).map_err(err(&path))?;
                }
            }
        }
        for (path, file) in unsynced {
            synced(&path, file)?;
        }
        File::open(&staging)
            .and_then(|d| d.sync_all())
            .map_err(err(&staging))?;
        if out.exists() {
            if !exchange(&staging, out)? {
                let previous = hidden(out, "previous")?;
                std::fs::rename(out, &previous).map_err(err(out))?;
                std::fs::rename(&staging, out).map_err(err(out))?;
                std::fs::remove_dir_all(&previous).map_err(err(&previous))?;
            } else {
                // `staging` now holds the previous directory.
                std::fs::remove_dir_all(&staging).map_err(err(&staging))?;
            }
        } else {
            std::fs::rename(&staging, out).map_err(err(out))?;
        }
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            if let Ok(d) = File::open(parent) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    if result.is_err() && staging.exists() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// The file name of this process's [`Scratch`] directory `tag` beside `out`.
fn scratch_name(out: &Path, tag: &str) -> Result<String> {
    let path = hidden(out, &format!("staging-scratch-{tag}-{}", std::process::id()))?;
    Ok(path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default())
}

/// A private directory beside a release directory (`.<out>.relgate-staging-scratch-<tag>-<pid>`,
/// so [`recover`] removes it after a kill), removed when dropped. Create it
/// holding `out`'s [`lock`].
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// Creates the directory (empty: a stale one of the same name is removed).
    pub fn new(out: &Path, tag: &str) -> Result<Scratch> {
        let path = hidden(out, "")?.with_file_name(scratch_name(out, tag)?);
        absent_is_done(&path, std::fs::remove_dir_all(&path))?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::create_dir(&path).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
        Ok(Scratch { path })
    }

    /// Creates the subdirectory `name` and returns its path.
    pub fn subdir(&self, name: &str) -> Result<PathBuf> {
        let path = self.path.join(name);
        std::fs::create_dir(&path).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Why [`copy_hashed`] failed: the source could not be read (the input's
/// fault), or the copy could not be written (this machine's).
#[derive(Debug)]
pub enum CopyError {
    /// Reading `src` failed, or it is not a regular file.
    Read(String),
    /// Writing the copy failed.
    Write(Error),
}

/// Copies the regular file `src` to the new file `dst` (mode 0600, fsynced),
/// hashing the bytes as they are written: its sha256 and size are those of
/// exactly the bytes in `dst`, whatever happens to `src` afterwards. A
/// symbolic link or special file at `src` is refused.
pub fn copy_hashed(src: &Path, dst: &Path) -> std::result::Result<(String, u64), CopyError> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let read_err = |e: std::io::Error| CopyError::Read(format!("{}: {e}", src.display()));
    let write_err = |source: std::io::Error| {
        CopyError::Write(Error::Write {
            path: dst.to_path_buf(),
            source,
        })
    };
    let mut open = OpenOptions::new();
    open.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let mut input = open.open(src).map_err(read_err)?;
    if !input.metadata().map_err(read_err)?.is_file() {
        return Err(CopyError::Read(format!(
            "{} is not a regular file",
            src.display()
        )));
    }
    let mut output = {
        let mut o = OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        o.open(dst).map_err(write_err)?
    };
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_err(e)),
        };
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n]).map_err(write_err)?;
        size += n as u64;
    }
    output.sync_all().map_err(write_err)?;
    let hex = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((hex, size))
}

/// Removes a directory if it exists (a stale rejected report after a release).
pub fn remove_dir(path: &Path) -> Result<()> {
    absent_is_done(path, std::fs::remove_dir_all(path))
}

/// Swaps two paths atomically; `false` when the platform cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> Result<bool> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(|_| Error::Write {
            path: p.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in path"),
        })
    };
    let (ca, cb) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them
    // relative to the working directory like rename(2).
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::ENOTSUP) => Ok(false),
        _ => Err(Error::Write {
            path: b.to_path_buf(),
            source: e,
        }),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> Result<bool> {
    Ok(false)
}

/// Creates `dir` and its parents.
pub fn dir_all(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn a_hashed_copy_is_the_bytes_it_hashed() {
        let t = tmp();
        let src = t.path().join("src");
        std::fs::write(&src, b"abc").unwrap();
        let dst = t.path().join("dst");
        let (sha, size) = copy_hashed(&src, &dst).unwrap();
        assert_eq!(
            (sha.as_str(), size),
            (
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                3
            )
        );
        assert_eq!(std::fs::read(&dst).unwrap(), b"abc");
        // The destination is never overwritten.
        assert!(matches!(copy_hashed(&src, &dst), Err(CopyError::Write(_))));
    }

    #[cfg(unix)]
    #[test]
    fn a_hashed_copy_refuses_links_and_special_files_without_blocking() {
        let t = tmp();
        let target = t.path().join("target");
        std::fs::write(&target, b"x").unwrap();
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(
            copy_hashed(&link, &t.path().join("a")),
            Err(CopyError::Read(_))
        ));
        let fifo = t.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        match copy_hashed(&fifo, &t.path().join("b")) {
            Err(CopyError::Read(why)) => assert!(why.contains("not a regular file"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            copy_hashed(Path::new("/dev/null"), &t.path().join("c")),
            Err(CopyError::Read(_))
        ));
    }

    #[test]
    fn a_release_directory_of_many_files_is_written_whole_or_not_at_all() {
        let t = tmp();
        let out = t.path().join("release");
        let entry = |name: String, bytes: Vec<u8>| Entry {
            name,
            content: Content::Bytes(bytes),
            executable: false,
        };
        // More files than one fsync batch holds open.
        let files: Vec<Entry> = (0..SYNC_BATCH * 2 + 3)
            .map(|i| entry(format!("f{i:03}"), i.to_string().into_bytes()))
            .collect();
        release_dir(&out, &files).unwrap();
        for i in 0..SYNC_BATCH * 2 + 3 {
            let bytes = std::fs::read(out.join(format!("f{i:03}"))).unwrap();
            assert_eq!(bytes, i.to_string().into_bytes());
        }
        // A bad name after a full batch: the previous directory stays, and
        // no staging directory is left beside it.
        let mut bad: Vec<Entry> = (0..SYNC_BATCH + 1)
            .map(|i| entry(format!("g{i:03}"), vec![b'x']))
            .collect();
        bad.push(entry("../escape".into(), vec![b'y']));
        assert!(release_dir(&out, &bad).is_err());
        assert!(out.join("f000").is_file() && !out.join("g000").exists());
        let names: Vec<_> = std::fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["release"], "{names:?}");
        assert!(!t.path().join("escape").exists());
    }

    #[test]
    fn recovery_keeps_this_process_scratch_and_removes_the_dead_ones() {
        let t = tmp();
        let out = t.path().join("release");
        let scratch = Scratch::new(&out, "parts").unwrap();
        let stale = t.path().join(".release.relgate-staging-scratch-parts-1");
        let staging = t.path().join(".release.relgate-staging-1");
        for d in [&stale, &staging] {
            std::fs::create_dir(d).unwrap();
        }
        recover(&out).unwrap();
        assert!(scratch.path.is_dir());
        assert!(!stale.exists() && !staging.exists());
        let path = scratch.path.clone();
        drop(scratch);
        assert!(!path.exists(), "a scratch directory is removed when dropped");
    }
}
