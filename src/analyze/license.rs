//! Cargo `license` / `license-file` → a valid SPDX license expression.
//!
//! crates.io accepts forms that are not SPDX (`MIT/Apache-2.0`, `GPL-2.0+`,
//! lower-case operators, imprecise names). They are parsed leniently and
//! re-rendered canonically: `/` becomes `OR`, `GPL-2.0+` becomes
//! `GPL-2.0-or-later`, a bare deprecated `GPL-2.0` becomes `GPL-2.0-only`.
//! What cannot be parsed, and `license-file`, becomes a `LicenseRef-` whose
//! text travels with the SBOM.

use spdx::expression::{ExprNode, Operator};
use spdx::{LicenseItem, ParseMode};

/// A license that is not on the SPDX list and must be carried as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// `LicenseRef-…` identifier.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// The license text, or the declaration it came from.
    pub text: String,
}

/// A package's license, ready for the SBOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum License {
    /// A valid SPDX expression; `refs` lists every `LicenseRef-` it uses.
    Expression {
        /// Canonical expression text.
        expr: String,
        /// Extracted texts for the `LicenseRef-`s in `expr`.
        refs: Vec<Extracted>,
    },
    /// Nothing declared.
    None,
}

/// Normalizes a package's declaration. `ref_base` names the package (`name-version`)
/// for `LicenseRef-` identifiers; `file` is `(path, text)` of `license-file`.
pub fn normalize(declared: Option<&str>, file: Option<(&str, Option<&str>)>, ref_base: &str) -> License {
    let base = idstring(ref_base);
    if let Some(decl) = declared {
        if let Some(expr) = canonical(decl) {
            let refs = license_refs(&expr)
                .into_iter()
                .map(|id| Extracted {
                    name: id.trim_start_matches("LicenseRef-").to_owned(),
                    text: file.and_then(|(_, t)| t).map(str::to_owned).unwrap_or_else(|| {
                        format!("{id} is declared by {ref_base} in Cargo.toml (`license = \"{decl}\"`); no license text is available.")
                    }),
                    id,
                })
                .collect();
            return License::Expression { expr, refs };
        }
        // Not SPDX even leniently: keep the declaration verbatim as extracted text.
        let id = format!("LicenseRef-{base}-declared");
        return License::Expression {
            expr: id.clone(),
            refs: vec![Extracted {
                id,
                name: decl.to_owned(),
                text: format!("Cargo.toml of {ref_base} declares `license = \"{decl}\"`, which is not an SPDX license expression."),
            }],
        };
    }
    if let Some((path, text)) = file {
        let id = format!(
            "LicenseRef-{base}-{}",
            idstring(path.rsplit('/').next().unwrap_or(path))
        );
        return License::Expression {
            expr: id.clone(),
            refs: vec![Extracted {
                id,
                name: format!("{ref_base} {path}"),
                text: text.map(str::to_owned).unwrap_or_else(|| {
                    format!("{ref_base} declares `license-file = \"{path}\"`, which could not be read.")
                }),
            }],
        };
    }
    License::None
}

/// The canonical form of an SPDX expression, or `None` if it cannot be parsed.
pub fn canonical(declared: &str) -> Option<String> {
    let expr = spdx::Expression::parse_mode(declared, ParseMode::LAX).ok()?;
    let mut stack: Vec<(String, Option<Operator>)> = Vec::new();
    for node in expr.iter() {
        match node {
            ExprNode::Req(req) => {
                let mut s = item(&req.req.license);
                if let Some(exc) = &req.req.exception {
                    s.push_str(" WITH ");
                    s.push_str(exc.name);
                }
                stack.push((s, None));
            }
            ExprNode::Op(op) => {
                let (rhs, rop) = stack.pop()?;
                let (lhs, lop) = stack.pop()?;
                // AND binds tighter than OR: an OR operand inside AND needs parentheses.
                let wrap = |s: String, o: Option<Operator>| match (op, o) {
                    (Operator::And, Some(Operator::Or)) => format!("({s})"),
                    _ => s,
                };
                let word = if matches!(op, Operator::And) { "AND" } else { "OR" };
                stack.push((format!("{} {word} {}", wrap(lhs, lop), wrap(rhs, rop)), Some(*op)));
            }
        }
    }
    let (out, _) = stack.pop()?;
    stack.is_empty().then_some(out)
}

fn item(license: &LicenseItem) -> String {
    match license {
        LicenseItem::Spdx { id, or_later } => {
            let gnu_family = id.is_gnu() && is_bare_gnu_version(id.name);
            match (gnu_family, *or_later) {
                (true, true) => format!("{}-or-later", id.name),
                (true, false) => format!("{}-only", id.name),
                (false, true) if !id.is_gnu() => format!("{}+", id.name),
                _ => id.name.to_owned(),
            }
        }
        LicenseItem::Other {
            doc_ref: Some(d),
            lic_ref,
        } => format!("DocumentRef-{d}:LicenseRef-{lic_ref}"),
        LicenseItem::Other {
            doc_ref: None,
            lic_ref,
        } => format!("LicenseRef-{lic_ref}"),
    }
}

/// `GPL-2.0`, `LGPL-2.1`, `AGPL-3.0`, `GFDL-1.3`: the deprecated ids without `-only`/`-or-later`.
fn is_bare_gnu_version(name: &str) -> bool {
    let Some((family, version)) = name.split_once('-') else {
        return false;
    };
    ["GPL", "LGPL", "AGPL", "GFDL"].contains(&family)
        && !version.is_empty()
        && version.chars().all(|c| c.is_ascii_digit() || c == '.')
}

fn license_refs(expr: &str) -> Vec<String> {
    let mut refs: Vec<String> = expr
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|t| t.starts_with("LicenseRef-"))
        .map(str::to_owned)
        .collect();
    refs.sort();
    refs.dedup();
    refs
}

/// SPDX idstring: letters, digits, `.` and `-` only.
pub fn idstring(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        let c = |s: &str| canonical(s).unwrap();
        assert_eq!(c("MIT/Apache-2.0"), "MIT OR Apache-2.0");
        assert_eq!(c("Apache-2.0 / MIT"), "Apache-2.0 OR MIT");
        assert_eq!(c("GPL-2.0+"), "GPL-2.0-or-later");
        assert_eq!(c("GPL-2.0"), "GPL-2.0-only");
        assert_eq!(c("LGPL-2.1-or-later"), "LGPL-2.1-or-later");
        assert_eq!(
            c("(MIT OR Apache-2.0) AND Unicode-3.0"),
            "(MIT OR Apache-2.0) AND Unicode-3.0"
        );
        assert_eq!(
            c("MIT OR Apache-2.0 AND BSD-3-Clause"),
            "MIT OR Apache-2.0 AND BSD-3-Clause"
        );
        assert_eq!(
            c("Apache-2.0 WITH LLVM-exception"),
            "Apache-2.0 WITH LLVM-exception"
        );
        assert_eq!(c("MIT or Apache-2.0"), "MIT OR Apache-2.0");
        assert!(canonical("Some custom thing, see file").is_none());
    }

    #[test]
    fn license_file_becomes_ref_with_text() {
        let l = normalize(None, Some(("LICENSE-MYLIB", Some("text"))), "mylib-0.1.0");
        assert_eq!(
            l,
            License::Expression {
                expr: "LicenseRef-mylib-0.1.0-LICENSE-MYLIB".into(),
                refs: vec![Extracted {
                    id: "LicenseRef-mylib-0.1.0-LICENSE-MYLIB".into(),
                    name: "mylib-0.1.0 LICENSE-MYLIB".into(),
                    text: "text".into()
                }]
            }
        );
        assert_eq!(normalize(None, None, "x-1"), License::None);
    }

    #[test]
    fn unparseable_declaration_is_kept_verbatim() {
        match normalize(Some("see LICENSE"), None, "x-1") {
            License::Expression { expr, refs } => {
                assert_eq!(expr, "LicenseRef-x-1-declared");
                assert_eq!(refs[0].name, "see LICENSE");
            }
            other => panic!("{other:?}"),
        }
    }
}
