//! The code's layout keeps its promises: inside every crate, the files' imports point one
//! way (no module imports one that imports it back, directly or around a circle), and a
//! crate that turned a test target off (`test = false`, `doctest = false` in its Cargo.toml,
//! see the workspace Cargo.toml's "Test targets") has no test there that would silently not
//! run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The workspace's packages, as cargo sees them (`cargo metadata --no-deps`): each with its
/// directory and its targets' `kind`, `test`, `doctest` and `src_path`.
fn packages() -> Vec<(PathBuf, Vec<serde_json::Value>)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let manifest = Path::new(p["manifest_path"].as_str().unwrap());
            let targets = p["targets"].as_array().unwrap().clone();
            (manifest.parent().unwrap().to_path_buf(), targets)
        })
        .collect()
}

/// The workspace members' directories.
fn members() -> Vec<PathBuf> {
    packages().into_iter().map(|(dir, _)| dir).collect()
}

/// Whether a target is of `kind` (`lib`, `bin`, `test`).
fn is(target: &serde_json::Value, kind: &str) -> bool {
    target["kind"].as_array().unwrap().iter().any(|k| k == kind)
}

/// Whether a target of `kind` is built as `setting` (`test`, `doctest`).
fn has(target: &serde_json::Value, kind: &str, setting: &str) -> bool {
    is(target, kind) && target[setting] == true
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The module path of a file under `src` (`pages::article` for `src/pages/article.rs`,
/// `pages` for `src/pages/mod.rs`, the empty path for the crate roots).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    parts.join("::")
}

/// The code of a file without its comments and its `#[cfg(test)] mod tests` (tests may
/// reach anywhere).
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths after `crate::` in `code`, each as far as it goes (`views::Layout`), those in
/// `use crate::{a, b::c}` lists included.
fn crate_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let path_at = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect::<String>()
            .trim_end_matches(':')
            .to_owned()
    };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(list) = rest.strip_prefix('{') {
            let list = list.split('}').next().unwrap_or("");
            paths.extend(list.split(',').map(|p| path_at(p.trim())));
        } else {
            paths.push(path_at(rest));
        }
    }
    paths.retain(|p| !p.is_empty());
    paths
}

/// Each module of the crate whose sources are in `src` and the modules it imports.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files = rust_files(src);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(src, f)).collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let name = module_of(src, file);
        if name.is_empty() || name.starts_with("bin::") {
            continue;
        }
        let code = code(&std::fs::read_to_string(file).unwrap());
        let mut deps = BTreeSet::new();
        for path in crate_paths(&code) {
            let segments: Vec<&str> = path.split("::").collect();
            // The longest prefix that is a module of its own file.
            if let Some(module) = (1..=segments.len())
                .rev()
                .map(|k| segments[..k].join("::"))
                .find(|m| modules.contains(m))
            {
                deps.insert(module);
            }
        }
        deps.remove(&name);
        graph.insert(name, deps);
    }
    graph
}

/// A circle of imports in `graph`, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, done, path) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

#[test]
fn inside_every_crate_imports_point_one_way() {
    let mut circles = Vec::new();
    for dir in members() {
        if let Some(found) = circle(&imports(&dir.join("src"))) {
            circles.push(format!("{}: {}", dir.display(), found.join(" -> ")));
        }
    }
    assert!(circles.is_empty(), "{}", circles.join("\n"));
}

#[test]
fn a_circle_of_imports_is_found() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("error", vec!["views"]),
        ("views", vec!["markdown"]),
        ("markdown", vec!["error"]),
        ("assets", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(
        circle(&graph).unwrap(),
        ["error", "views", "markdown", "error"]
    );
    let code = "use crate::session::cleared_session;\nuse crate::{forms::Form, error};\n";
    assert_eq!(
        crate_paths(code),
        ["session::cleared_session", "forms::Form", "error"]
    );
}

/// Whether `text` (Rust source) holds a unit test: a `#[test]` or `#[cfg(test)]` line.
fn holds_a_test(text: &str) -> bool {
    text.lines()
        .map(str::trim_start)
        .any(|l| l.starts_with("#[test]") || l == "#[cfg(test)]")
}

/// Whether a doc comment in `text` opens a code block rustdoc would run (its fence is bare
/// or names Rust; not `text`, `ignore`, `sh` and the like).
fn holds_a_doc_test(text: &str) -> bool {
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim_start();
        let Some(info) = line
            .strip_prefix("///")
            .or_else(|| line.strip_prefix("//!"))
            .map(str::trim)
            .and_then(|l| l.strip_prefix("```"))
        else {
            continue;
        };
        if inside {
            inside = false;
            continue;
        }
        inside = true;
        let runs = info.split(',').map(str::trim).all(|i| {
            matches!(i, "" | "rust" | "no_run" | "should_panic") || i.starts_with("edition")
        });
        if runs {
            return true;
        }
    }
    false
}

#[test]
fn no_crate_has_a_test_in_a_target_it_turned_off() {
    let mut missed = Vec::new();
    for (dir, targets) in packages() {
        let lib_tested = targets.iter().any(|t| has(t, "lib", "test"));
        let lib_doc_tested = targets.iter().any(|t| has(t, "lib", "doctest"));
        let bins_off: Vec<PathBuf> = targets
            .iter()
            .filter(|t| is(t, "bin") && t["test"] == false)
            .map(|t| PathBuf::from(t["src_path"].as_str().unwrap()))
            .collect();
        let has_lib = targets.iter().any(|t| is(t, "lib"));
        let bins = targets.iter().filter(|t| is(t, "bin")).count();
        for file in rust_files(&dir.join("src")) {
            let text = std::fs::read_to_string(&file).unwrap();
            let is_root = file.ends_with("src/main.rs") || file.starts_with(dir.join("src/bin"));
            // Without a library, every other file is a module of the binaries.
            let is_bin = is_root || !has_lib;
            let off = if is_root {
                bins_off.contains(&file)
            } else if is_bin {
                bins_off.len() == bins
            } else {
                !lib_tested
            };
            if off && holds_a_test(&text) {
                missed.push(format!("{}: a unit test, but test = false", file.display()));
            }
            if !is_bin && !lib_doc_tested && holds_a_doc_test(&text) {
                missed.push(format!(
                    "{}: a doc test, but doctest = false",
                    file.display()
                ));
            }
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

#[test]
fn doc_tests_and_unit_tests_are_recognised() {
    assert!(holds_a_doc_test("/// ```\n/// let x = 1;\n/// ```"));
    assert!(holds_a_doc_test("//! ```rust,no_run\n"));
    assert!(!holds_a_doc_test("/// ```ignore\n/// x\n/// ```"));
    assert!(!holds_a_doc_test("//! ```text\n//! a picture\n//! ```\n"));
    assert!(holds_a_doc_test(
        "//! ```text\n//! a\n//! ```\n/// ```\n/// f();\n/// ```"
    ));
    assert!(holds_a_test("#[cfg(test)]\nmod tests {}"));
    assert!(holds_a_test("    #[test]\n    fn t() {}"));
    assert!(!holds_a_test("fn main() {}"));
}

/// `cargo test` builds a binary only for its unit tests or for the package's integration
/// tests (`CARGO_BIN_EXE_*`); `.ci/run-tests --clippy` lints what `cargo test` builds, so a
/// binary that turned its unit tests off must have integration tests beside it.
#[test]
fn every_binary_is_built_by_cargo_test() {
    let mut unbuilt = Vec::new();
    for (dir, targets) in packages() {
        let bins_off = targets.iter().any(|t| is(t, "bin") && t["test"] == false);
        let has_integration_tests = targets.iter().any(|t| is(t, "test"));
        if bins_off && !has_integration_tests {
            unbuilt.push(dir.display().to_string());
        }
    }
    assert!(
        unbuilt.is_empty(),
        "binaries with test = false and no integration tests (cargo test would not build \
         them, so CI's clippy would not lint them): {}",
        unbuilt.join(", ")
    );
}
