//! What is in an SBOM and how it is marked: dev-dependencies out, build
//! dependencies in and marked, features and target honoured, licenses and
//! suppliers normalized, path and git packages qualified.

use crate::support::{cargo_tree_set, cdx_components, json, relgate, sbom, Fixture};

/// The SPDX package named `name`.
fn spdx_package(doc: &serde_json::Value, name: &str) -> serde_json::Value {
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()
        .clone()
}

fn names(doc: &serde_json::Value) -> Vec<String> {
    cdx_components(doc).into_iter().map(|(n, _)| n).collect()
}

fn component<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn host_default_features_exclude_dev_optional_and_foreign_target_deps() {
    let fx = Fixture::new("scoping");
    let doc = json(&sbom(&fx.manifest(), "cyclonedx-json", &[]));
    assert_eq!(doc["metadata"]["component"]["name"], "app");
    assert_eq!(names(&doc), ["autocfg", "gitdep", "itoa", "mylib", "nolicense"]);
    let autocfg = component(&doc, "autocfg");
    assert_eq!(autocfg["scope"], "excluded");
    assert!(autocfg["properties"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["value"] == "build"));
    assert_eq!(component(&doc, "itoa")["scope"], "required");
}

#[test]
fn features_and_target_widen_the_scope() {
    let fx = Fixture::new("scoping");
    let doc = json(&sbom(&fx.manifest(), "cyclonedx-json", &["--features", "extra"]));
    assert!(names(&doc).contains(&"memchr".to_owned()));
    let doc = json(&sbom(&fx.manifest(), "cyclonedx-json", &["--all-features"]));
    assert!(names(&doc).contains(&"memchr".to_owned()));
    let doc = json(&sbom(
        &fx.manifest(),
        "cyclonedx-json",
        &["--target", "x86_64-pc-windows-msvc"],
    ));
    let n = names(&doc);
    assert!(
        n.contains(&"winapi-util".to_owned()) && n.contains(&"windows-sys".to_owned()),
        "{n:?}"
    );
    assert!(
        !n.contains(&"fastrand".to_owned()),
        "dev-dependency leaked: {n:?}"
    );
    let target = doc["metadata"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "relgate:target");
    assert_eq!(target.unwrap()["value"], "x86_64-pc-windows-msvc");
}

#[test]
fn package_selection_limits_the_graph() {
    let fx = Fixture::new("virtual");
    let all = json(&sbom(&fx.manifest(), "cyclonedx-json", &[]));
    // Two independent top members: the workspace itself is the root, containing them.
    assert_eq!(all["metadata"]["component"]["name"], "virtual");
    assert_eq!(all["metadata"]["component"]["version"], "2.1.0");
    // The workspace root declares the license of `[workspace.package]`
    // (read here from the fixture's manifest, not from relgate).
    let manifest: toml::Table = toml::from_str(&std::fs::read_to_string(fx.manifest()).unwrap()).unwrap();
    let declared = manifest["workspace"]["package"]["license"].as_str().unwrap();
    assert_eq!(
        all["metadata"]["component"]["licenses"][0]["expression"],
        declared
    );
    let spdx = json(&sbom(&fx.manifest(), "spdx-json", &[]));
    let root = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["SPDXID"] == "SPDXRef-Workspace-virtual")
        .unwrap();
    assert_eq!(root["licenseDeclared"], declared);
    let vcli = json(&sbom(&fx.manifest(), "cyclonedx-json", &["-p", "vcli"]));
    assert_eq!(vcli["metadata"]["component"]["name"], "vcli");
    let n = names(&vcli);
    assert!(
        n.contains(&"vcore".to_owned()) && !n.contains(&"vinternal".to_owned()),
        "{n:?}"
    );
    assert!(
        !n.contains(&"tempfile".to_owned()),
        "dev-dependency of vinternal leaked: {n:?}"
    );
    // Two versions of rand side by side, each its own component.
    let rands: Vec<_> = cdx_components(&vcli)
        .into_iter()
        .filter(|(n, _)| n == "rand")
        .collect();
    assert_eq!(rands.len(), 2, "{rands:?}");
}

#[test]
fn licenses_are_spdx_and_license_files_travel_as_text() {
    let fx = Fixture::new("scoping");
    let doc = json(&sbom(&fx.manifest(), "cyclonedx-json", &[]));
    assert_eq!(
        doc["metadata"]["component"]["licenses"][0]["expression"],
        "MIT OR Apache-2.0"
    );
    assert_eq!(
        component(&doc, "gitdep")["licenses"][0]["expression"],
        "GPL-2.0-or-later"
    );
    let mylib = &component(&doc, "mylib")["licenses"][0]["license"];
    assert!(mylib["text"]["content"].as_str().unwrap().len() > 20, "{mylib}");
    assert!(component(&doc, "nolicense").get("licenses").is_none());

    let spdx = json(&sbom(&fx.manifest(), "spdx-json", &[]));
    let extracted = spdx["hasExtractedLicensingInfos"].as_array().unwrap();
    assert_eq!(extracted.len(), 1);
    assert_eq!(extracted[0]["licenseId"], "LicenseRef-mylib-0.1.0-LICENSE-MYLIB");
    let pkg = |name: &str| spdx_package(&spdx, name);
    assert_eq!(
        pkg("mylib")["licenseDeclared"],
        "LicenseRef-mylib-0.1.0-LICENSE-MYLIB"
    );
    assert_eq!(pkg("nolicense")["licenseDeclared"], "NOASSERTION");
}

#[test]
fn unlicensed_crates_are_named_in_a_warning() {
    let fx = Fixture::new("scoping");
    let out = crate::support::relgate()
        .args(["sbom", "-o", "-", "--manifest-path"])
        .arg(fx.manifest())
        .output()
        .unwrap();
    crate::support::assert_success(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning:") && stderr.contains("nolicense@0.1.0"),
        "{stderr}"
    );
}

#[test]
fn purls_qualify_path_and_git_packages_without_absolute_paths() {
    let fx = Fixture::new("scoping");
    let doc = json(&sbom(&fx.manifest(), "cyclonedx-json", &[]));
    assert_eq!(component(&doc, "itoa")["purl"], "pkg:cargo/itoa@1.0.19");
    assert_eq!(
        component(&doc, "mylib")["purl"],
        "pkg:cargo/mylib@0.1.0?download_url=file:mylib"
    );
    let git = component(&doc, "gitdep")["purl"].as_str().unwrap().to_owned();
    assert!(
        git.starts_with("pkg:cargo/gitdep@0.3.0?vcs_url=git%2Bfile:../gitdep-src%40"),
        "git purl: {git}"
    );
}

#[test]
fn build_dependencies_are_spdx_build_dependency_of() {
    let fx = Fixture::new("scoping");
    let spdx = json(&sbom(&fx.manifest(), "spdx-json", &[]));
    let rels = spdx["relationships"].as_array().unwrap();
    let has = |a: &str, t: &str, b: &str| {
        rels.iter()
            .any(|r| r["spdxElementId"] == a && r["relationshipType"] == t && r["relatedSpdxElement"] == b)
    };
    assert!(has("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Package-app-0.1.0"));
    assert!(has(
        "SPDXRef-Package-autocfg-1.5.1",
        "BUILD_DEPENDENCY_OF",
        "SPDXRef-Package-app-0.1.0"
    ));
    assert!(has(
        "SPDXRef-Package-app-0.1.0",
        "DEPENDS_ON",
        "SPDXRef-Package-itoa-1.0.19"
    ));
    assert!(!has(
        "SPDXRef-Package-app-0.1.0",
        "DEPENDS_ON",
        "SPDXRef-Package-autocfg-1.5.1"
    ));
}

#[test]
fn suppliers_are_never_noassertion() {
    let fx = Fixture::new("scoping");
    let spdx = json(&sbom(&fx.manifest(), "spdx-json", &[]));
    for p in spdx["packages"].as_array().unwrap() {
        let s = p["supplier"].as_str().unwrap();
        assert!(
            s.starts_with("Person: ") || s.starts_with("Organization: "),
            "{s}"
        );
    }
    let pkg = |name: &str| spdx_package(&spdx, name);
    // Path members without authors inherit the workspace's supplier.
    assert_eq!(
        pkg("mylib")["supplier"],
        "Organization: App Team (team@example.com)"
    );
    assert_eq!(
        pkg("itoa")["supplier"],
        "Person: David Tolnay (dtolnay@gmail.com)"
    );
}

/// Every package a CycloneDX document names: the root and its components.
fn name_versions(doc: &serde_json::Value) -> std::collections::BTreeSet<(String, String)> {
    let root = &doc["metadata"]["component"];
    let mut set: std::collections::BTreeSet<_> = cdx_components(doc).into_iter().collect();
    set.insert((
        root["name"].as_str().unwrap().to_owned(),
        root["version"].as_str().unwrap().to_owned(),
    ));
    set
}

/// `relgate sbom -p X` describes exactly what `cargo tree -p X -e
/// normal,build` lists — cargo is the oracle — for members of a workspace
/// written to exercise the feature resolver (`dep:`, `d/f`, weak `d?/f`,
/// renames, `default-features = false`, build dependencies and proc-macros
/// resolved apart, cfg-specific and optional dependencies only another
/// member enables), under several feature selections and targets. Where
/// cargo refuses a selection, relgate must refuse it too (exit 2).
#[test]
fn per_package_sboms_list_exactly_what_cargo_tree_lists() {
    let fx = Fixture::new("features");
    compare_with_cargo_tree(&fx);
}

/// The same comparison under resolver 1, which unifies features
/// differently (relgate asks `cargo tree` there).
#[test]
fn resolver_one_workspaces_list_what_cargo_tree_lists() {
    let fx = Fixture::new("features");
    let manifest = fx.manifest();
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("resolver = \"2\"", "resolver = \"1\"")).unwrap();
    compare_with_cargo_tree(&fx);
}

fn compare_with_cargo_tree(fx: &Fixture) {
    let root = fx.manifest().parent().unwrap().to_path_buf();
    let selections: [&[&str]; 7] = [
        &[],
        &["--all-features"],
        &["--no-default-features"],
        &["--features", "tls"],
        &["--features", "net/tls,core-lib/extra"],
        &["--no-default-features", "--target", "x86_64-pc-windows-msvc"],
        &["--all-features", "--target", "aarch64-apple-darwin"],
    ];
    let mut wrong = Vec::new();
    let mut compared = 0;
    // Single packages, and a proc-macro selected with a member that uses
    // its dependency on the target (cargo unifies the proc-macro's features
    // with the target's then, so shared's Windows-only macroonly is built).
    let packages: [&[&str]; 6] = [
        &["-p", "app"],
        &["-p", "tool"],
        &["-p", "core-lib"],
        &["-p", "codegen"],
        &["-p", "derive-it"],
        &["-p", "derive-it", "-p", "app"],
    ];
    for package in packages {
        for selection in selections {
            let mut args = package.to_vec();
            args.extend_from_slice(selection);
            let want = cargo_tree_set(&root, &args);
            let out = relgate()
                .args(["sbom", "--format", "cyclonedx-json", "--manifest-path"])
                .arg(fx.manifest())
                .args(&args)
                .output()
                .unwrap();
            match want {
                None if out.status.code() == Some(2) => {}
                None => wrong.push(format!(
                    "{args:?}: cargo refuses it, relgate exits {:?}",
                    out.status.code()
                )),
                Some(_) if !out.status.success() => wrong.push(format!(
                    "{args:?}: relgate failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                )),
                Some(want) => {
                    compared += 1;
                    let got = name_versions(&json(&out.stdout));
                    if got != want {
                        wrong.push(format!(
                            "{args:?}: only cargo tree: {:?}; only relgate: {:?}",
                            want.difference(&got).collect::<Vec<_>>(),
                            got.difference(&want).collect::<Vec<_>>()
                        ));
                    }
                }
            }
        }
    }
    // The workspace view: every member built together, as `cargo tree --workspace`.
    for selection in [
        &[][..],
        &["--all-features"],
        &["--target", "x86_64-pc-windows-msvc"],
    ] {
        let mut args = vec!["--workspace"];
        args.extend_from_slice(selection);
        let want = cargo_tree_set(&root, &args).expect("cargo tree --workspace");
        let got: std::collections::BTreeSet<(String, String)> =
            cdx_components(&json(&sbom(&fx.manifest(), "cyclonedx-json", selection)))
                .into_iter()
                .collect();
        if got != want {
            wrong.push(format!(
                "{args:?}: only cargo tree: {:?}; only relgate: {:?}",
                want.difference(&got).collect::<Vec<_>>(),
                got.difference(&want).collect::<Vec<_>>()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The selections are not all refused: most of them were compared.
    assert!(compared >= 20, "only {compared} selections compared");
}
