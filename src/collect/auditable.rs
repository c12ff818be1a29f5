//! The dependency list cargo-auditable embeds in a binary (the `.dep-v0`
//! section: zlib-compressed JSON), read with the reference implementation
//! (`auditable-info`).
//!
//! A binary is input like any other, so it is read as cargo-auditable's
//! PARSING.md advises: a regular file of bounded size, decompression
//! bounded, and the list validated before anything uses it: exactly one
//! root package, no dependency cycle, every dependency index inside the
//! list. A file that is not an executable has no list to read; an
//! executable without the section is [`Embedded::Missing`]; a section
//! that breaks any of those rules is an error (exit 2), never a pass.

use std::path::Path;

use auditable_info::Error as AuditError;

use crate::collect::inputs;
use crate::error::{Error, Result};

/// Largest binary read for its dependency list.
pub const MAX_BINARY: u64 = 512 << 20;
/// Largest decompressed list (cargo-auditable's own default is 8 MiB).
pub const MAX_LIST: usize = 8 << 20;

/// What a file carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Embedded {
    /// Not an executable (an archive, a document…): nothing to check.
    NotExecutable,
    /// An executable without cargo-auditable's section.
    Missing,
    /// An executable larger than [`MAX_BINARY`]: its list is not read.
    TooLarge(u64),
    /// The embedded list.
    List(DepList),
}

/// The dependency list of one binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepList {
    /// cargo-auditable's format revision (0, 1, 8…).
    pub format: u32,
    /// The index of the root package (the binary's own).
    pub root: usize,
    /// Every package, in the embedded order.
    pub packages: Vec<DepPackage>,
}

/// One package of an embedded list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepPackage {
    /// Crate name.
    pub name: String,
    /// Version.
    pub version: String,
    /// `crates.io`, `registry`, `git`, `local`, or what a newer
    /// cargo-auditable writes.
    pub source: String,
    /// Only needed at build time (build scripts, proc-macros).
    pub build: bool,
    /// Indices of its dependencies.
    pub dependencies: Vec<usize>,
}

/// Reads `path`'s embedded list. Only an executable (by its first bytes)
/// is read whole, so a large archive or document costs eight bytes.
pub fn read(path: &Path) -> Result<Embedded> {
    use std::io::Read;
    let err = |reason: String| Error::Input {
        what: "binary",
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
    if !meta.is_file() {
        return Err(err(inputs::NOT_REGULAR.into()));
    }
    let mut head = Vec::with_capacity(8);
    std::fs::File::open(path)
        .and_then(|f| f.take(8).read_to_end(&mut head))
        .map_err(|e| err(e.to_string()))?;
    if !is_executable(&head) {
        return Ok(Embedded::NotExecutable);
    }
    if meta.len() > MAX_BINARY {
        return Ok(Embedded::TooLarge(meta.len()));
    }
    let bytes = inputs::read_limited(path, "binary", MAX_BINARY)?;
    parse(&bytes).map_err(err)
}

/// ELF, PE or Mach-O, by the magic numbers auditable-extract's parser
/// (binfarce) recognises.
fn is_executable(head: &[u8]) -> bool {
    const MACHO: [&[u8; 4]; 5] = [
        b"\xCA\xFE\xBA\xBE",
        b"\xFE\xED\xFA\xCE",
        b"\xFE\xED\xFA\xCF",
        b"\xCE\xFA\xED\xFE",
        b"\xCF\xFA\xED\xFE",
    ];
    head.len() >= 8
        && (head.starts_with(b"\x7FELF")
            || head.starts_with(b"MZ")
            || MACHO.iter().any(|m| head.starts_with(*m)))
}

/// Parses a binary's bytes (the error is a reason, for the caller to name the file).
pub fn parse(bytes: &[u8]) -> std::result::Result<Embedded, String> {
    use auditable_extract::Error as Extract;
    let info = match auditable_info::audit_info_from_slice(bytes, MAX_LIST) {
        Ok(info) => info,
        Err(AuditError::NoAuditData)
        | Err(AuditError::BinaryParsing(Extract::NoAuditData | Extract::SectionIsMissing)) => {
            return Ok(Embedded::Missing)
        }
        Err(AuditError::BinaryParsing(Extract::NotAnExecutable)) => return Ok(Embedded::NotExecutable),
        Err(e) => {
            return Err(format!(
                "its embedded dependency list (cargo-auditable) is unreadable: {e}"
            ))
        }
    };
    let n = info.packages.len();
    let mut roots = info.packages.iter().enumerate().filter(|(_, p)| p.root);
    let root = match (roots.next(), roots.next()) {
        (Some((i, _)), None) => i,
        _ => {
            return Err(
                "its embedded dependency list (cargo-auditable) does not have exactly one root package"
                    .into(),
            )
        }
    };
    let mut packages = Vec::with_capacity(n);
    for p in info.packages {
        if let Some(bad) = p.dependencies.iter().find(|d| **d >= n) {
            return Err(format!(
                "its embedded dependency list (cargo-auditable) names package #{bad} of {n} as a dependency of {}",
                p.name
            ));
        }
        packages.push(DepPackage {
            name: p.name,
            version: p.version.to_string(),
            source: String::from(p.source),
            build: p.kind == auditable_serde::DependencyKind::Build,
            dependencies: p.dependencies,
        });
    }
    Ok(Embedded::List(DepList {
        format: info.format,
        root,
        packages,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF-free container: auditable-extract reads ELF, Mach-O
    /// and PE; anything else is not an executable.
    #[test]
    fn files_that_are_not_executables_have_nothing_to_check() {
        assert_eq!(parse(b"just text\n"), Ok(Embedded::NotExecutable));
        assert_eq!(parse(b""), Ok(Embedded::NotExecutable));
        assert!(!is_executable(b"just text\n"));
        assert!(is_executable(b"\x7FELF\x02\x01\x01\x00"));
        assert!(is_executable(b"MZ\x90\x00\x03\x00\x00\x00"));
        assert!(is_executable(b"\xCF\xFA\xED\xFE\x07\x00\x00\x01"));
        // A large file that is no executable is never read whole.
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("archive.tar.gz");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_BINARY + 1).unwrap();
        assert_eq!(read(&big).unwrap(), Embedded::NotExecutable);
        let elf = dir.path().join("huge");
        std::fs::write(&elf, b"\x7FELF\x02\x01\x01\x00").unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&elf)
            .unwrap()
            .set_len(MAX_BINARY + 1)
            .unwrap();
        assert_eq!(read(&elf).unwrap(), Embedded::TooLarge(MAX_BINARY + 1));
    }
}
