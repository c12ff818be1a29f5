//! Who supplies a component (NTIA "supplier name").
//!
//! Cargo has no supplier field, so relgate derives one and records how
//! (`origin`), in this order:
//! 1. `authors`: the first author, `Name <email>`;
//! 2. `repository` on a known forge: the owning account (`github.com/OWNER`);
//! 3. workspace packages and path dependencies: the workspace's supplier
//!    (`[workspace.metadata.relgate] supplier`, else the root's);
//! 4. registry packages: the registry that distributes them (crates.io);
//! 5. git packages on a known forge: the owning account of the git URL;
//! 6. otherwise `unknown` — stated as such, never `NOASSERTION`, and listed in a warning.

/// Whether a supplier is a person or an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A natural person.
    Person,
    /// A company, project, team or service.
    Organization,
}

/// Where a supplier was derived from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The package's `authors`.
    Authors,
    /// The owner of the package's `repository`.
    Repository,
    /// The workspace's supplier.
    Workspace,
    /// The registry that distributes the package.
    Registry,
    /// The owner of the git repository the package comes from.
    Vcs,
    /// Nothing known.
    Unknown,
}

impl Origin {
    /// Stable name, used in SBOM properties.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Authors => "authors",
            Origin::Repository => "repository",
            Origin::Workspace => "workspace",
            Origin::Registry => "registry",
            Origin::Vcs => "vcs",
            Origin::Unknown => "unknown",
        }
    }
}

/// A component's supplier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supplier {
    /// Display name (no parentheses, which SPDX reserves for the email).
    pub name: String,
    /// Contact email, if given.
    pub email: Option<String>,
    /// A URL for the supplier, if known.
    pub url: Option<String>,
    /// Person or organization.
    pub kind: Kind,
    /// How it was derived.
    pub origin: Origin,
}

impl Supplier {
    /// From a cargo `authors` entry such as `Jane Doe <jane@example.com>`.
    pub fn from_author(author: &str) -> Option<Supplier> {
        let (name, email) = match author.split_once('<') {
            Some((n, rest)) => (
                n.trim(),
                rest.split('>').next().map(str::trim).filter(|e| e.contains('@')),
            ),
            None => (author.trim(), None),
        };
        let name = clean(name);
        let name = if name.is_empty() {
            email.map(str::to_owned)?
        } else {
            name
        };
        let kind = if looks_like_organization(&name) {
            Kind::Organization
        } else {
            Kind::Person
        };
        Some(Supplier {
            name,
            email: email.map(str::to_owned),
            url: None,
            kind,
            origin: Origin::Authors,
        })
    }

    /// The owner of a repository on a known forge, e.g. `https://github.com/owner/repo`.
    pub fn from_forge_url(url: &str, origin: Origin) -> Option<Supplier> {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))?;
        let mut parts = rest.split('/');
        let host = parts.next()?.to_ascii_lowercase();
        let owner = parts.next().filter(|o| !o.is_empty())?;
        const FORGES: [&str; 5] = [
            "github.com",
            "gitlab.com",
            "codeberg.org",
            "bitbucket.org",
            "sr.ht",
        ];
        FORGES.contains(&host.as_str()).then(|| Supplier {
            name: clean(owner.trim_start_matches('~')),
            email: None,
            url: Some(format!("https://{host}/{owner}")),
            kind: Kind::Organization,
            origin,
        })
    }

    /// The registry that distributes a package.
    pub fn registry(name: &str, url: &str) -> Supplier {
        Supplier {
            name: name.to_owned(),
            email: None,
            url: Some(url.to_owned()),
            kind: Kind::Organization,
            origin: Origin::Registry,
        }
    }

    /// No supplier could be derived.
    pub fn unknown() -> Supplier {
        Supplier {
            name: "unknown".into(),
            email: None,
            url: None,
            kind: Kind::Organization,
            origin: Origin::Unknown,
        }
    }

    /// From a free-text configuration value (`[workspace.metadata.relgate] supplier`).
    pub fn configured(text: &str) -> Option<Supplier> {
        Supplier::from_author(text).map(|s| Supplier {
            kind: Kind::Organization,
            origin: Origin::Workspace,
            ..s
        })
    }
}

fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '(' && *c != ')')
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn looks_like_organization(name: &str) -> bool {
    const WORDS: [&str; 16] = [
        "developers",
        "contributors",
        "team",
        "project",
        "maintainers",
        "authors",
        "foundation",
        "inc",
        "inc.",
        "llc",
        "ltd",
        "gmbh",
        "corporation",
        "community",
        "organization",
        "group",
    ];
    name.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| c == ',' || c == '.')
                .to_ascii_lowercase()
        })
        .any(|w| WORDS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authors() {
        let s = Supplier::from_author("Jane Doe <jane@example.com>").unwrap();
        assert_eq!(
            (s.name.as_str(), s.email.as_deref(), s.kind),
            ("Jane Doe", Some("jane@example.com"), Kind::Person)
        );
        let s = Supplier::from_author("The Rust Project Developers").unwrap();
        assert_eq!(s.kind, Kind::Organization);
        let s = Supplier::from_author("<only@mail.org>").unwrap();
        assert_eq!(s.name, "only@mail.org");
        assert!(Supplier::from_author("  ").is_none());
        assert_eq!(Supplier::from_author("A (B) <x>").unwrap().name, "A B");
    }

    #[test]
    fn forges() {
        let s = Supplier::from_forge_url("https://github.com/serde-rs/serde", Origin::Repository).unwrap();
        assert_eq!(
            (s.name.as_str(), s.url.as_deref()),
            ("serde-rs", Some("https://github.com/serde-rs"))
        );
        assert!(Supplier::from_forge_url("https://example.com/a/b", Origin::Repository).is_none());
        assert!(Supplier::from_forge_url("https://github.com/", Origin::Repository).is_none());
    }
}
