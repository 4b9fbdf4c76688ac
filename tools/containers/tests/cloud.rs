//! The one-VM recipe (`deploy/cloud/user-data.yaml`) as cloud-init and shellcheck see it,
//! and the operator scripts beside it: validated, not run (there is no VM here).
//! Skipped with a printed reason without cloud-init and shellcheck; a failure under CI=true.

use std::process::Command;

use conduit_containers::repo;

fn tools() -> Result<(), String> {
    for tool in ["cloud-init", "shellcheck"] {
        conduit_servers::procs::on_path(tool)
            .ok_or(format!("no {tool} on PATH (apt-get install {tool})"))?;
    }
    Ok(())
}

#[test]
fn the_cloud_init_recipe_is_valid_and_its_scripts_pass_shellcheck() {
    if conduit_testkit::require("cloud-init and shellcheck", tools()).is_none() {
        return;
    }
    let out = Command::new(repo().join("deploy/cloud/check"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    eprintln!("{text}");
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Valid cloud-config"), "{text}");
}

#[test]
fn the_operator_scripts_pass_shellcheck() {
    if conduit_testkit::require("shellcheck", tools()).is_none() {
        return;
    }
    let scripts = [
        "deploy/backup",
        "deploy/restore",
        "deploy/db.sh",
        "deploy/bench/markdown",
    ];
    let out = Command::new("shellcheck")
        .arg("-x")
        .args(scripts)
        .current_dir(repo())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
}
