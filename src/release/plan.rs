//! Preflight as a value: everything a release will use and do, worked
//! out and checked before any work ([`ReleasePlan`]). `relgate release
//! --plan` prints it; [`super::Release::run`] executes it stage by stage.

use std::path::{Path, PathBuf};

use super::compat::Explicit;
use super::schemas::load_schemas;
use super::staged::rejected_dir;
use super::{ledger_guard, Release, EXAMPLE_KEY_PEM};
use crate::analyze::schema;
use crate::collect::inputs::KeySource;
use crate::collect::{self, rustdoc, Env};
use crate::config::contract::Contract;
use crate::error::{Error, Result};
use crate::gate::build::metric_fact;
use crate::gate::facts::MetricFact;
use crate::gate::rules::Compiled;
use crate::provenance::keys::PrivateKey;
use crate::provenance::ledger;
use crate::write;

/// Which locks [`Release::prepare`] takes, and holds in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Locks {
    /// None: the plan is only looked at (`release plan`, a part), or a
    /// merge takes them itself once its checks pass (the release
    /// directory's before it reads its parts, the ledger's once they hold:
    /// [`Release::lock_ledger`]).
    None,
    /// The release directory's (a killed release is recovered) and the ledger's.
    OutAndLedger,
}

/// Everything a release will use, checked at preflight.
pub struct ReleasePlan {
    /// The workspace manifest.
    pub manifest: PathBuf,
    /// The workspace root.
    pub root: PathBuf,
    /// The contract.
    pub contract: Contract,
    /// Its rules, compiled and type-checked.
    pub compiled: std::sync::Arc<Compiled>,
    /// The report template.
    pub template: String,
    /// The signing key (the example key on a dry run without `--key`).
    pub key: PrivateKey,
    /// What report.md's `KEY=` says.
    pub public_key: String,
    /// The baseline fixed by `--baseline` or the contract.
    pub(super) explicit: Explicit,
    /// The packages whose binaries ship (and that the SBOM describes).
    pub shipped: Vec<String>,
    /// The git state.
    pub git: Option<crate::facts::Git>,
    /// Where the checkout came from (tag or branch, remote, top level).
    pub origin: collect::git::Origin,
    /// `rustc -vV`, read once.
    pub toolchain: crate::facts::Toolchain,
    /// `rustc --print cfg` for the host, read once.
    pub host_cfg: Vec<collect::toolchain::Cfg>,
    /// The members: what has a binary, the libraries compat checks.
    pub(super) members: rustdoc::Members,
    /// The ledger file.
    pub ledger_path: PathBuf,
    /// Its text, as read.
    pub ledger_text: String,
    /// It, parsed.
    pub ledger: ledger::Ledger,
    /// The schemas now.
    pub schemas_now: Vec<schema::Current>,
    /// The schema lock, when there is one.
    pub lock: Option<schema::Lock>,
    /// The lock's path, relative to the root.
    pub lock_rel: String,
    /// The sha256 of the lock file's bytes, when there is one.
    pub lock_sha256: Option<String>,
    /// The release directory.
    pub out: PathBuf,
    /// Where a rejected release's report goes.
    pub rejected: PathBuf,
    /// The previous release's metrics, when known.
    pub previous_metrics: Option<Vec<MetricFact>>,
    /// The advisory database (as configured, and as read), when one is.
    pub advisories: Option<(String, collect::advisories::Database)>,
    /// The invocation id.
    pub invocation_id: String,
    /// The commit, when the tree is clean.
    pub clean_commit: Option<String>,
    /// Warnings for the user.
    pub warnings: Vec<String>,
    /// The locks of the release directory and the ledger, held for the
    /// whole release (none for a plan that is only described): never read,
    /// released when the plan is dropped at the end of `Release::run`.
    #[allow(dead_code)]
    pub(super) locks: Vec<write::Lock>,
}

impl Release {
    /// Preflight: reads and checks everything the release needs, and does
    /// no work (nothing is built, run or written).
    pub fn plan(&self, env: &dyn Env) -> Result<ReleasePlan> {
        self.prepare(env, Locks::None)
    }

    /// `relgate release plan`: preflight (no key is needed: the plan is
    /// not signed), then the parts of a release built on many runners.
    /// Refused from a dirty or unversioned tree, since every part checks
    /// that it builds the planned commit.
    pub fn parts_plan(&self, env: &dyn Env, split: &super::parts::Split) -> Result<super::parts::PartsPlan> {
        let plan = Release {
            dry_run: true,
            key: None,
            // Refused below, with the reason that fits a plan.
            allow_dirty: true,
            ..self.clone()
        }
        .prepare(env, Locks::None)?;
        let commit = plan.clean_commit.as_deref().ok_or_else(|| Error::Preflight {
            reason: "a release built on many runners needs a clean git commit: every part checks it builds that commit".into(),
            fix: "commit the changes (a dirty tree cannot be planned)".into(),
        })?;
        let members = &plan.members;
        let package = match (&plan.contract.release.package, &members.root_package) {
            (Some(name), _) => name.clone(),
            (None, Some(root)) => root.clone(),
            (None, None) if members.versions.len() == 1 => members.versions.keys().next().cloned().unwrap_or_default(),
            (None, None) => return Err(Error::Contract {
                origin: plan.contract.origin.clone().unwrap_or_else(|| "relgate defaults".into()),
                reason: "the workspace has no root package and several members: name the one that carries the release version with `[release] package = \"NAME\"`".into(),
            }),
        };
        let version = members
            .versions
            .get(&package)
            .ok_or_else(|| Error::UnknownPackage {
                name: package.clone(),
                members: members.versions.keys().cloned().collect::<Vec<_>>().join(", "),
            })?;
        // rustc must know every target (a typo is exit 2 here, not on a
        // runner): one target list for the built-in ones, `--print cfg`
        // for any other (a custom target specification).
        let built_in = collect::toolchain::target_list(env, &plan.root)?;
        for t in split.targets.iter().filter(|t| !built_in.contains(t)) {
            collect::toolchain::cfg(env, &plan.root, Some(t))?;
        }
        if split.compat_shards > 0 && matches!(plan.explicit, Explicit::None) {
            return Err(Error::InvalidOption(
                "--compat-shards with the baseline `none`: nothing is compared, so there is nothing to shard"
                    .into(),
            ));
        }
        let inputs = super::parts::Inputs {
            commit,
            package: (&package, version),
            invocation_id: &plan.invocation_id,
            contract: (
                plan.contract.origin.as_deref().unwrap_or("relgate defaults"),
                &plan.contract.sha256,
            ),
            toolchain: (&plan.toolchain.rustc_version, &plan.toolchain.host),
            shipped: &plan.shipped,
            libraries: members.libraries.iter().map(|l| l.name.clone()).collect(),
        };
        super::parts::plan(&inputs, split)
    }

    /// What to do while waiting for a lock (the caller's notice, if any).
    pub(super) fn waiting(&self) -> impl Fn(&Path) + '_ {
        move |p| {
            if let Some(f) = self.on_wait {
                f(p)
            }
        }
    }

    /// The keys the ledger is trusted with: the signing key, the contract's
    /// public key and --ledger-key (a rotated key signed earlier entries).
    fn ledger_trust(
        &self,
        root: &Path,
        contract: &Contract,
        key: &PrivateKey,
    ) -> Result<Vec<crate::provenance::keys::PublicKey>> {
        let mut keys = vec![key.public()];
        if let Some(rel) = &contract.release.public_key {
            keys.push(collect::inputs::public_key(&root.join(rel))?);
        }
        keys.extend(collect::inputs::public_keys(&self.ledger_keys)?);
        Ok(keys)
    }

    /// Takes the ledger's lock for a plan prepared without it (a merge,
    /// once its parts hold) and reads the ledger again under the lock, so
    /// the stages append to what was read under it. A dry run records
    /// nothing and takes no lock, as `prepare` does.
    pub(super) fn lock_ledger(&self, plan: &mut ReleasePlan) -> Result<()> {
        if self.dry_run {
            return Ok(());
        }
        let keys = self.ledger_trust(&plan.root, &plan.contract, &plan.key)?;
        let read = ledger_guard::trusted(
            &plan.ledger_path,
            &keys,
            plan.contract.release.first_release,
            self.wait_lock,
            &self.waiting(),
        )?;
        plan.locks.extend(read.lock);
        (plan.ledger_text, plan.ledger) = (read.text, read.parsed);
        Ok(())
    }

    /// [`Release::plan`], taking the locks `locking` names (held in the plan)
    /// before the ledger is read.
    pub(super) fn prepare(&self, env: &dyn Env, locking: Locks) -> Result<ReleasePlan> {
        let locked = locking != Locks::None;
        let mut warnings = Vec::new();
        let manifest = collect::manifest_or_cwd(self.manifest_path.as_deref())?;
        if !collect::probe::is_file(&manifest) {
            return Err(Error::ManifestNotFound { path: manifest });
        }
        let root = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
        let contract = collect::release::contract(&root, self.contract.as_deref())?;
        let compiled = crate::gate::bounded::compile(&contract).map_err(Error::Rule)?;
        let template = match &contract.report.template {
            Some(t) => {
                let p = root.join(t);
                let bytes = collect::inputs::read(&p, "report template")?;
                let text = String::from_utf8(bytes).map_err(|e| Error::Input {
                    what: "report template",
                    path: p.clone(),
                    reason: e.to_string(),
                })?;
                crate::emit::report::check_template(&text).map_err(|reason| Error::Contract {
                    origin: p.display().to_string(),
                    reason,
                })?;
                text
            }
            None => crate::emit::report::TEMPLATE.to_owned(),
        };
        let key = self.signing_key(env, &mut warnings)?;
        let public_key = self.public_key_hint(&root, &contract, &key)?;
        let explicit = Explicit::parse(self.baseline.as_deref().or(contract.release.baseline.as_deref()))?;
        // The advisory database is read now (beside `cargo metadata
        // --no-deps`): a missing or unreadable one is exit 2 before anything
        // is built.
        let db_source = match (&self.advisory_db, &contract.advisories.db) {
            (Some(p), _) => Some((p.display().to_string(), root.join(p))),
            (None, Some(d)) => Some((d.clone(), root.join(d))),
            (None, None) => None,
        };
        let (advisories, members) = std::thread::scope(|s| {
            let db = s.spawn(|| {
                db_source
                    .map(|(shown, path)| collect::advisories::open(&path).map(|db| (shown, db)))
                    .transpose()
            });
            let members = rustdoc::members(&manifest, env);
            let db = db.join().unwrap_or_else(|_| {
                Err(Error::Inconsistent(
                    "the advisory database thread panicked".into(),
                ))
            });
            (db, members)
        });
        let advisories = advisories?;
        // What ships: the contract's packages, else every member with a
        // binary. The SBOM describes exactly these, as cargo builds them.
        let members = members?;
        let shipped = if contract.release.packages.is_empty() {
            members.binaries.clone()
        } else {
            contract.release.packages.clone()
        };
        if contract.release.auditable && !self.no_build && !collect::release::has_cargo_auditable(&root) {
            return Err(Error::Preflight {
                reason: "`[release] auditable = true`, but `cargo auditable` does not run here".into(),
                fix: "install it (`cargo install cargo-auditable --locked`) on this runner, or set `auditable = false`"
                    .into(),
            });
        }
        if !collect::probe::is_file(&root.join("Cargo.lock")) {
            return Err(Error::Preflight {
                reason: format!(
                    "{} has no Cargo.lock: a release must build exactly what was locked",
                    root.display()
                ),
                fix: "run `cargo generate-lockfile`, review and commit Cargo.lock".into(),
            });
        }
        // The checkout's state and its origin (for the provenance), read
        // side by side, once.
        // (and the toolchain, which collect and compat then reuse).
        let (git, origin, toolchain) = std::thread::scope(|s| {
            let toolchain = s.spawn(|| collect::toolchain::version_and_host_cfg(env, &root));
            let (git, origin) = collect::git::read_with_origin(&root);
            let toolchain = toolchain
                .join()
                .unwrap_or_else(|_| Err(Error::Inconsistent("the toolchain thread panicked".into())));
            (git, origin, toolchain)
        });
        let (toolchain, host_cfg) = toolchain?;
        match &git {
            Some(g) if g.dirty && !self.allow_dirty => return Err(Error::Preflight {
                reason:
                    "the git work tree has uncommitted changes, so the commit would not describe the release"
                        .into(),
                fix: "commit or stash the changes, or pass --allow-dirty".into(),
            }),
            None if !self.allow_dirty => {
                return Err(Error::Preflight {
                    reason: format!(
                        "{} is not a git checkout: the release could not name its commit",
                        root.display()
                    ),
                    fix: "release from a git checkout, or pass --allow-dirty".into(),
                })
            }
            Some(g) if g.dirty => warnings.push("releasing a dirty work tree (--allow-dirty)".into()),
            _ => {}
        }
        let ledger_path = ledger_guard::resolve(&match &self.ledger {
            Some(p) => std::path::absolute(p).unwrap_or_else(|_| p.clone()),
            None => root.join(&contract.release.ledger),
        })?;
        let out = std::path::absolute(&self.out).map_err(|e| Error::InvalidOption(format!("--out: {e}")))?;
        if collect::probe::is_symlink(&out) {
            return Err(Error::InvalidOption(format!(
                "--out {} is a symbolic link: the swap would replace the link, not the directory; pass the directory itself",
                out.display()
            )));
        }
        if collect::probe::exists(&out) && !collect::probe::is_dir(&out) {
            return Err(Error::InvalidOption(format!(
                "--out {} exists and is not a directory",
                out.display()
            )));
        }
        let mut locks = Vec::new();
        if locking == Locks::OutAndLedger {
            locks.push(write::lock(&out, self.wait_lock, &self.waiting())?);
            write::recover(&out)?;
        }
        // The ledger is trusted with the signing key, the contract's
        // public key and --ledger-key: a rotated key signed earlier entries.
        let ledger_keys = self.ledger_trust(&root, &contract, &key)?;
        let first = contract.release.first_release;
        let read = if locked && !self.dry_run {
            ledger_guard::trusted(&ledger_path, &ledger_keys, first, self.wait_lock, &self.waiting())?
        } else {
            ledger_guard::verified(&ledger_path, &ledger_keys, first, self.dry_run)?
        };
        if read.unknown_keys > 0 {
            warnings.push(format!(
                "{} ledger entries are signed by keys this dry run does not trust: their signatures were not checked (pass --ledger-key or set [release] public-key)",
                read.unknown_keys
            ));
        }
        locks.extend(read.lock);
        let (ledger_text, ledger) = (read.text, read.parsed);
        if first && !ledger.release_ids().is_empty() {
            warnings.push(format!(
                "the contract says `first-release = true` but {} records releases; remove it so a lost ledger is an error",
                ledger_path.display()
            ));
        }
        let (schemas_now, lock, lock_sha256) = load_schemas(&root, &contract)?;
        let lock_rel = contract.schemas.lock.clone();
        for a in &self.artifacts {
            if !collect::probe::is_file(a) {
                return Err(Error::Input {
                    what: "artifact",
                    path: a.clone(),
                    reason: "not a file".into(),
                });
            }
        }
        let rejected = rejected_dir(&out);
        let previous_metrics = match &contract.invariants.performance_budget.previous_metrics {
            Some(p) => Some(root.join(p)),
            // Anything at the previous metrics.json is read (a FIFO or a
            // directory there is an error, never "no previous metrics").
            None => Some(out.join("metrics.json")).filter(|p| collect::probe::exists(p)),
        }
        .map(|p| -> Result<Vec<MetricFact>> {
            let bytes = collect::inputs::read(&p, "previous metrics")?;
            let doc = crate::emit::metrics::parse_json(&bytes).map_err(|reason| Error::Input {
                what: "previous metrics",
                path: p.clone(),
                reason,
            })?;
            Ok(doc.metrics.into_iter().map(metric_fact).collect())
        })
        .transpose()?;
        let invocation_id = match self
            .invocation_id
            .clone()
            .or_else(|| env.var("RELGATE_INVOCATION_ID"))
        {
            Some(id) if !id.trim().is_empty() => id,
            _ => collect::random_invocation_id()?,
        };
        // It is printed (report.md, gate --dir, the ledger): printable text only.
        if id_is_unprintable(&invocation_id) {
            return Err(Error::InvalidOption(format!(
                "invocation id {invocation_id:?} has whitespace or control characters; use a URI such as urn:uuid:..."
            )));
        }

        // Compat (rustdoc, minutes on a cold cache) and the provenance inputs
        // do not depend on the build or the tests: they run beside them.
        let clean_commit = git.as_ref().filter(|g| !g.dirty).map(|g| g.commit.clone());
        Ok(ReleasePlan {
            manifest,
            root,
            contract,
            compiled,
            template,
            key,
            public_key,
            explicit,
            shipped,
            git,
            origin,
            toolchain,
            host_cfg,
            members,
            ledger_path,
            ledger_text,
            ledger,
            schemas_now,
            lock,
            lock_rel,
            lock_sha256,
            out,
            rejected,
            previous_metrics,
            advisories,
            invocation_id,
            clean_commit,
            warnings,
            locks,
        })
    }
}

impl Release {
    /// What report.md's commands put in `KEY=`: `[release] public-key`
    /// (it must exist and be the signing key's public half), the example
    /// public key when this repository has it and the run is a dry run,
    /// else a marked placeholder naming the key id.
    fn public_key_hint(&self, root: &Path, contract: &Contract, key: &PrivateKey) -> Result<String> {
        if let Some(rel) = &contract.release.public_key {
            let path = root.join(rel);
            let public = collect::inputs::public_key(&path)?;
            if public.keyid() != key.keyid() && !self.dry_run {
                return Err(Error::Preflight {
                    reason: format!(
                        "`[release] public-key` ({rel}) has key id {} but the signing key's is {}",
                        public.keyid(),
                        key.keyid()
                    ),
                    fix: "point public-key at the .pub file written with the signing key by `relgate keygen`"
                        .into(),
                });
            }
            if public.keyid() == key.keyid() {
                return Ok(format!("$PWD/{rel}"));
            }
        }
        let example = "keys-example/example.pub";
        if self.dry_run && collect::probe::is_file(&root.join(example)) {
            return Ok(format!("$PWD/{example}   # the public example key: a dry run"));
        }
        Ok(format!(
            "PATH/TO/PUBLIC-KEY.pub   # placeholder: the public key with key id {} (set [release] public-key to print its path here)",
            key.keyid()
        ))
    }

    fn signing_key(&self, env: &dyn Env, warnings: &mut Vec<String>) -> Result<PrivateKey> {
        let example = PrivateKey::from_pem(EXAMPLE_KEY_PEM).map_err(|reason| Error::Key {
            source: "built-in example key".into(),
            reason,
        })?;
        let key = match &self.key {
            Some(k) => collect::inputs::private_key(k, env, warnings)?,
            None if self.dry_run => return Ok(example),
            None => match collect::inputs::private_key(&KeySource::Env, env, warnings) {
                Ok(k) => k,
                Err(Error::NoSigningKey) => {
                    return Err(Error::Preflight {
                        reason: "no signing key".into(),
                        fix: "pass --key KEY (or set RELGATE_SIGNING_KEY), or --dry-run to sign with the example key".into(),
                    })
                }
                Err(e) => return Err(e),
            },
        };
        if key.keyid() == example.keyid() && !self.dry_run {
            return Err(Error::Preflight {
                reason:
                    "the signing key is the public example key from keys-example/, which anyone can sign with"
                        .into(),
                fix: "create a real key with `relgate keygen --out-dir DIR`, or pass --dry-run".into(),
            });
        }
        Ok(key)
    }
}

impl ReleasePlan {
    /// The plan as JSON (`relgate release --plan --format json`).
    pub fn describe(&self) -> serde_json::Value {
        let baseline = match &self.explicit {
            Explicit::Unset => "per member: the last ledger release's commit, else its highest earlier tag, else its previous crates.io version".to_owned(),
            Explicit::None => "none: the comparison is turned off".to_owned(),
            Explicit::Baseline(b) => format!("{b:?} for every library member"),
        };
        serde_json::json!({
            "manifest": self.manifest,
            "root": self.root,
            "contract": self.contract.origin.clone().unwrap_or_else(|| "relgate defaults".into()),
            "rules": self.compiled.rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
            "waivers": self.compiled.waivers.len(),
            "shipped": self.shipped,
            "sbom": if self.shipped.is_empty() { "the whole workspace (no member has a binary)".to_owned() } else { format!("what cargo builds for {}", self.shipped.join(", ")) },
            "baseline": baseline,
            "commit": self.git.as_ref().map(|g| g.commit.clone()),
            "dirty": self.git.as_ref().is_some_and(|g| g.dirty),
            "keyid": self.key.keyid(),
            "verify_key": self.public_key,
            "ledger": { "path": self.ledger_path, "entries": self.ledger.entries.len(), "head": self.ledger.head },
            "schema_lock": self.lock_rel,
            "out": self.out,
            "rejected": self.rejected,
            "invocation_id": self.invocation_id,
            "stages": super::Stage::ALL.iter().map(|s| serde_json::json!({"id": s.id(), "does": s.explain()})).collect::<Vec<_>>(),
            "warnings": self.warnings,
        })
    }

    /// The plan in words (`relgate release --plan`).
    pub fn describe_text(&self) -> String {
        let v = self.describe();
        let s = |k: &str| match &v[k] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => "—".into(),
            other => other.to_string(),
        };
        let mut out = String::new();
        for (label, key) in [
            ("workspace", "manifest"),
            ("contract", "contract"),
            ("commit", "commit"),
            ("ships", "sbom"),
            ("compat baseline", "baseline"),
            ("signing key id", "keyid"),
            ("verify with", "verify_key"),
            ("schema lock", "schema_lock"),
            ("release directory", "out"),
            ("if rejected", "rejected"),
            ("invocation id", "invocation_id"),
        ] {
            out.push_str(&format!("{label:18} {}\n", s(key)));
        }
        out.push_str(&format!(
            "{:18} {} ({} entries)\n",
            "ledger",
            self.ledger_path.display(),
            self.ledger.entries.len()
        ));
        out.push_str(&format!("{:18} {}\n", "rules", s("rules")));
        out.push_str("stages:\n");
        for (i, st) in super::Stage::ALL.iter().enumerate() {
            out.push_str(&format!("  {:>2}. {:12} {}\n", i + 1, st.id(), st.explain()));
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
        out
    }
}

fn id_is_unprintable(id: &str) -> bool {
    id.chars()
        .any(|c| c.is_control() || c.is_whitespace() || ('\u{200b}'..='\u{206f}').contains(&c))
}
