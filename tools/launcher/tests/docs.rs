//! The commands README.md and docs/*.md show (their `sh` blocks) are real: every script
//! under `deploy/` they run answers `--help` (exit 0, its usage) without building or starting
//! anything, every `cargo ... -p PACKAGE` names a package of the workspace, and every
//! `./target/release/BINARY` is a binary it builds. What the commands then do is the other
//! tests' business: `cargo run` (`cargo_run.rs`), the stack (`tools/stack/tests`), the
//! containers (`tools/containers/tests`), the load tests (`tools/loadtest/tests`).
//! Programs of the machine (docker-compose, openssl, perf, wrk...) and the peer benchmark
//! outside this repository (`../shared/`) are not checked here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// README.md and docs/*.md.
fn doc_files() -> Vec<PathBuf> {
    let root = repo();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    docs.insert(0, root.join("README.md"));
    docs
}

/// Every line of the `sh` blocks of README.md and docs/*.md, with the file it is in.
fn shown_commands() -> Vec<(String, String)> {
    let root = repo();
    let mut lines = Vec::new();
    for file in doc_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.strip_prefix(&root).unwrap().display().to_string();
        let mut in_sh = false;
        for line in text.lines() {
            let fence = line.trim_start();
            if fence.starts_with("```") {
                in_sh = !in_sh && fence == "```sh";
                continue;
            }
            if in_sh {
                lines.push((name.clone(), line.to_owned()));
            }
        }
    }
    lines
}

/// The program of each command of a line: comments dropped, `a && b` split, leading
/// `NAME=value` assignments skipped.
fn programs(line: &str) -> Vec<Vec<String>> {
    let code = match line.find(" #") {
        Some(i) => &line[..i],
        None if line.trim_start().starts_with('#') => "",
        None => line,
    };
    code.split("&&")
        .map(|command| {
            command
                .split_whitespace()
                .skip_while(|w| {
                    w.split_once('=').is_some_and(|(name, _)| {
                        name.chars().all(|c| c.is_ascii_uppercase() || c == '_') && !name.is_empty()
                    })
                })
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|words| !words.is_empty())
        .collect()
}

/// The workspace's packages (`name = ...` of each member) and which of them are binaries.
fn packages() -> (BTreeSet<String>, BTreeSet<String>) {
    let root = repo();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let members = manifest
        .split("members = [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .unwrap();
    let (mut all, mut bins) = (BTreeSet::new(), BTreeSet::new());
    for member in members.split('"').skip(1).step_by(2) {
        let dir = root.join(member);
        let text = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let name = text
            .lines()
            .find_map(|l| l.strip_prefix("name = \""))
            .and_then(|l| l.strip_suffix('"'))
            .unwrap()
            .to_owned();
        if dir.join("src/main.rs").is_file() {
            bins.insert(name.clone());
        }
        all.insert(name);
    }
    (all, bins)
}

#[test]
fn every_command_the_docs_show_exists() {
    let (packages, binaries) = packages();
    let mut scripts = BTreeSet::new();
    let mut problems = Vec::new();
    let lines = shown_commands();
    assert!(
        lines.len() > 40,
        "the docs show {} command lines",
        lines.len()
    );
    for (file, line) in &lines {
        for words in programs(line) {
            let program = &words[0];
            if let Some(binary) = program.strip_prefix("./target/release/") {
                if !binaries.contains(binary) {
                    problems.push(format!(
                        "{file}: {binary} is no binary of the workspace: {line}"
                    ));
                }
            } else if program.starts_with("deploy/") {
                scripts.insert(program.clone());
            } else if program == "cargo" {
                for pair in words.windows(2).filter(|w| w[0] == "-p") {
                    if !packages.contains(&pair[1]) {
                        problems.push(format!("{file}: no package {}: {line}", pair[1]));
                    }
                }
            }
        }
    }
    for script in &scripts {
        let path = repo().join(script);
        let Ok(text) = std::fs::read_to_string(&path) else {
            problems.push(format!("{script}: no such script"));
            continue;
        };
        // Run only a script that answers --help: any other would start its work.
        if !text.contains("--help") {
            problems.push(format!("{script}: does not answer --help"));
            continue;
        }
        let out = Command::new(&path)
            .arg("--help")
            .current_dir(repo())
            .output()
            .unwrap_or_else(|e| panic!("{script}: {e}"));
        let usage = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || usage.trim().is_empty() {
            problems.push(format!(
                "{script} --help: {} {usage}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(scripts.len() >= 15, "{scripts:?}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_link_between_the_docs_leads_to_a_file() {
    let mut broken = Vec::new();
    for file in &doc_files() {
        let text = std::fs::read_to_string(file).unwrap();
        for link in text
            .split("](")
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
        {
            let target = link.split('#').next().unwrap_or("");
            if target.is_empty() || target.contains("://") {
                continue;
            }
            if !file.parent().unwrap().join(target).exists() {
                broken.push(format!("{}: {link}", file.display()));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn commands_are_read_as_a_shell_would_start_them() {
    assert_eq!(
        programs("ARTICLES=1000000 deploy/bench/models.sh      # plus 1M"),
        [vec!["deploy/bench/models.sh".to_owned()]]
    );
    assert_eq!(
        programs("deploy/docker/images && deploy/docker/secrets"),
        [
            vec!["deploy/docker/images".to_owned()],
            vec!["deploy/docker/secrets".to_owned()]
        ]
    );
    assert!(programs("# a comment").is_empty());
}
