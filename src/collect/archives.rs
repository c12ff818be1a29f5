//! The `.crate` archives cargo downloaded, for SBOM profiles that want the
//! SHA-512 of each component's deployable form (BSI TR-03183-2).
//!
//! A registry package's sources are unpacked at
//! `registry/src/<index>/<name>-<version>/`; cargo keeps the archive they
//! came from at `registry/cache/<index>/<name>-<version>.crate`. Each archive
//! is hashed once (SHA-256 and SHA-512 in one streamed pass), on as many
//! threads as there are cores. The SHA-256 must equal the checksum Cargo.lock
//! records, or the archive is not the one the lock file pinned: an error,
//! never a document with a wrong hash. An archive that is not in cargo's
//! cache (vendored sources, a cleaned cache) is reported as missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::facts::{PackageId, ReleaseFacts};

/// One archive, hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    /// `<name>-<version>.crate`.
    pub filename: String,
    /// Lowercase hex SHA-512.
    pub sha512: String,
}

/// What was found for the asked packages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Archives {
    /// Hashed archives.
    pub found: BTreeMap<PackageId, Archive>,
    /// Registry packages whose archive is not in cargo's cache, with the path looked at.
    pub missing: BTreeMap<PackageId, String>,
}

/// One package's outcome: its archive (none: not in the cache) and the path looked at.
type Hashed = (PackageId, Option<Archive>, String);

/// The largest archive relgate reads: crates.io refuses crates over 10 MiB
/// unless raised for one crate, so anything near this is not a crate.
pub const MAX_ARCHIVE: u64 = 1 << 30;

/// SHA-256 and SHA-512 of the file at `path` (none: no file there). Only a
/// regular file of at most [`MAX_ARCHIVE`] bytes is read.
fn digest(path: &Path) -> Result<Option<(String, String)>> {
    let meta = match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        other => other,
    };
    if meta.is_ok_and(|m| m.is_file() && m.len() > MAX_ARCHIVE) {
        return Err(Error::Input {
            what: "crate archive",
            path: path.to_path_buf(),
            reason: format!(
                "larger than the {} MiB relgate reads for a .crate",
                MAX_ARCHIVE >> 20
            ),
        });
    }
    // Special files are refused by `digest_file` before anything is read.
    let d = super::artifacts::digest_file(path, String::new(), true)?;
    let sha512 = d
        .sha512
        .ok_or_else(|| Error::Inconsistent("SHA-512 was asked for and not computed".into()))?;
    Ok(Some((d.sha256, sha512)))
}

/// Where cargo keeps the archive of a package unpacked at `manifest`
/// (`…/registry/src/<index>/<name>-<version>/Cargo.toml`); `None` when the
/// sources are not in a registry cache layout.
pub fn archive_path(manifest: &Path, name: &str, version: &str) -> Option<PathBuf> {
    let pkg_dir = manifest.parent()?;
    let index_dir = pkg_dir.parent()?;
    let src = index_dir.parent()?;
    if src.file_name()? != "src" {
        return None;
    }
    let registry = src.parent()?;
    Some(
        registry
            .join("cache")
            .join(index_dir.file_name()?)
            .join(format!("{name}-{version}.crate")),
    )
}

/// Archives hashed ahead of time: path → (SHA-256, SHA-512).
pub type Prefetched = BTreeMap<PathBuf, (String, String)>;

/// Hashes, on one thread, every archive Cargo.lock's registry packages may
/// have in cargo's cache (`$CARGO_HOME/registry/cache/*/<name>-<version>.crate`),
/// while `cargo metadata` runs: its result only saves time. [`hash`] still
/// compares each SHA-256 with Cargo.lock, for the path cargo reports.
/// Anything unreadable is left out (hashed again, or reported, later); it
/// stops as soon as `stop` is set, returning what it has.
pub fn prefetch(
    manifest: Option<&Path>,
    env: &dyn super::Env,
    stop: &std::sync::atomic::AtomicBool,
) -> Prefetched {
    let mut out = Prefetched::new();
    let start = match manifest {
        Some(m) => m.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => PathBuf::from("."),
    };
    let Some(lock) = start
        .ancestors()
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file())
    else {
        return out;
    };
    let Ok(lock) = super::lockfile::read(&lock) else {
        return out;
    };
    let home = env
        .var("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env.var("HOME").map(|h| Path::new(&h).join(".cargo")));
    let Some(cache) = home.map(|h| h.join("registry").join("cache")) else {
        return out;
    };
    let Ok(indexes) = std::fs::read_dir(&cache) else {
        return out;
    };
    let indexes: Vec<PathBuf> = indexes.filter_map(|e| e.ok().map(|e| e.path())).collect();
    for (name, version, source) in lock.checksums.keys() {
        if !source.starts_with("registry+") && !source.starts_with("sparse+") {
            continue;
        }
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        for index in &indexes {
            let path = index.join(format!("{name}-{version}.crate"));
            if let Ok(Some(d)) = digest(&path) {
                out.insert(path, d);
            }
        }
    }
    out
}

/// Hashes the archive of every package in `ids` that has one (registry
/// packages with a Cargo.lock checksum), in parallel; archives already in
/// `prefetched` (by path) are not read again.
pub fn hash(facts: &ReleaseFacts, ids: &[&PackageId], prefetched: &Prefetched) -> Result<Archives> {
    let mut out = Archives::default();
    let mut jobs: Vec<(&PackageId, &Path, &str)> = Vec::new();
    for id in ids {
        let Some(p) = facts.packages.get(*id) else {
            continue;
        };
        match (p.archive.as_deref(), p.checksum.as_deref()) {
            (Some(archive), Some(sum)) => jobs.push((*id, archive, sum)),
            // Sources outside cargo's registry cache (vendored, say): no archive to hash.
            (None, Some(_)) => {
                out.missing.insert(
                    (*id).clone(),
                    "its sources are not in cargo's registry cache (vendored?), so there is no .crate to hash".into(),
                );
            }
            _ => {}
        }
    }
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 16)
        .min(jobs.len().max(1));
    let chunk = jobs.len().div_ceil(threads).max(1);
    let results: Vec<Result<Vec<Hashed>>> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|j| one(*j, prefetched))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Inconsistent("an archive-hashing thread panicked".into())))
            })
            .collect()
    });
    for r in results {
        for (id, archive, looked) in r? {
            match archive {
                Some(a) => {
                    out.found.insert(id, a);
                }
                None => {
                    out.missing.insert(id, looked);
                }
            }
        }
    }
    Ok(out)
}

fn one((id, path, locked): (&PackageId, &Path, &str), prefetched: &Prefetched) -> Result<Hashed> {
    let looked = path.display().to_string();
    // A prefetched digest counts only when it is the lock's: cargo may have
    // been writing that archive while it was hashed, so anything else is
    // read again now that cargo is done.
    let early = prefetched
        .get(path)
        .filter(|(sha256, _)| sha256.eq_ignore_ascii_case(locked));
    let (sha256, sha512) = match early {
        Some(known) => known.clone(),
        None => match digest(path)? {
            Some(d) => d,
            None => return Ok((id.clone(), None, looked)),
        },
    };
    if !sha256.eq_ignore_ascii_case(locked) {
        return Err(Error::Input {
            what: "crate archive",
            path: path.to_path_buf(),
            reason: format!(
                "its SHA-256 is {sha256}, but Cargo.lock pins {id} at {locked}: the cached archive is not the one the lock file names"
            ),
        });
    }
    Ok((
        id.clone(),
        Some(Archive {
            filename: format!("{}-{}.crate", id.name, id.version),
            sha512,
        }),
        looked,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_path_follows_cargos_cache_layout() {
        let m = Path::new("/h/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/itoa-1.0.15/Cargo.toml");
        assert_eq!(
            archive_path(m, "itoa", "1.0.15").unwrap(),
            Path::new("/h/.cargo/registry/cache/index.crates.io-1949cf8c6b5b557f/itoa-1.0.15.crate")
        );
        assert_eq!(
            archive_path(Path::new("/w/vendor/itoa/Cargo.toml"), "itoa", "1.0.15"),
            None
        );
    }

    /// cargo may still have been writing an archive when it was prefetched:
    /// a prefetched digest that is not the lock's is read again, not trusted.
    #[test]
    fn a_stale_prefetch_is_hashed_again() {
        use sha2::{Digest, Sha256, Sha512};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("z-1.0.0.crate");
        std::fs::write(&path, b"the whole archive").unwrap();
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let locked = hex(&Sha256::digest(b"the whole archive"));
        let partial = (
            hex(&Sha256::digest(b"the whole")),
            hex(&Sha512::digest(b"the whole")),
        );
        let prefetched: Prefetched = [(path.clone(), partial)].into();
        let id = PackageId {
            name: "z".into(),
            version: "1.0.0".into(),
            source: crate::facts::Source::Registry {
                index: crate::facts::RegistryIndex::CratesIo,
            },
        };
        let (_, archive, _) = one((&id, &path, &locked), &prefetched).unwrap();
        assert_eq!(
            archive.unwrap().sha512,
            hex(&Sha512::digest(b"the whole archive"))
        );
        std::fs::write(&path, b"another archive").unwrap();
        assert!(one((&id, &path, &locked), &Prefetched::new()).is_err());
    }

    /// Hostile cache entries: a FIFO is refused without blocking, an
    /// oversized file without being read, a missing one is "missing".
    #[cfg(unix)]
    #[test]
    fn special_huge_and_missing_archives() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.crate");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let err = digest(&fifo).unwrap_err().to_string();
        assert!(err.contains("regular"), "{err}");
        let huge = dir.path().join("huge.crate");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(MAX_ARCHIVE + 1)
            .unwrap();
        let err = digest(&huge).unwrap_err().to_string();
        assert!(err.contains("larger than"), "{err}");
        assert_eq!(digest(&dir.path().join("none.crate")).unwrap(), None);
    }
}
