//! The `conduit-dataset` command: the file it writes is a data set of the asked size, the
//! same for the same seed, and a wrong argument gets the usage and exit status 2.

use std::process::Command;

use conduit_dataset::Dataset;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_conduit-dataset"))
        .args(args)
        .output()
        .expect("conduit-dataset runs")
}

#[test]
fn writes_a_data_set_of_the_asked_size_the_same_for_a_seed() {
    let args = ["--users", "4", "--articles", "9", "--seed", "7"];
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data: Dataset = serde_json::from_slice(&out.stdout).expect("a data set");
    assert_eq!(data.users.len(), 4);
    assert_eq!(data.articles.len(), 9);
    assert_eq!(run(&args).stdout, out.stdout, "same seed, same file");
    let other = run(&["--users", "4", "--articles", "9", "--seed", "8"]);
    assert_ne!(other.stdout, out.stdout, "another seed, another file");
}

#[test]
fn a_wrong_argument_gets_the_usage_and_status_2() {
    for args in [&["--users"][..], &["--users", "many"], &["--colour", "3"]] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("usage: conduit-dataset"), "{args:?}: {err}");
    }
}
