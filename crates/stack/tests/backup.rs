//! deploy/backup and deploy/restore on the local stack: data written through the API, a
//! backup taken while readers and a writer keep the site busy (none of their requests
//! fails), retention, the database destroyed, the backup restored, and the API's answers
//! about users, articles, comments, favorites and follows the same as before.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use conduit_stack::procs;
use conduit_testkit::load::{Reads, Writes, api, publish, sign_up, wait_until};
use serde_json::{Value, json};

/// What the API answers about the data the test wrote, as (path, status, body).
fn answers(base: &str, a: &str, b: &str, slug: &str) -> Vec<(String, u16, Value)> {
    [
        ("/api/user", a),
        ("/api/profiles/bkup-b", a),
        ("/api/profiles/bkup-a", b),
        ("/api/articles?author=bkup-a&limit=100", b),
        ("/api/articles?favorited=bkup-b&limit=100", a),
        ("/api/articles/feed?limit=100", a),
        (&format!("/api/articles/{slug}") as &str, b),
        (&format!("/api/articles/{slug}/comments"), a),
    ]
    .iter()
    .map(|(path, token)| {
        let (status, body) = api(base, "GET", path, Some(token), None).unwrap_or((0, Value::Null));
        ((*path).to_owned(), status, body)
    })
    .collect()
}

fn script(name: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(common::repo().join("deploy").join(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("deploy/{name}: {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "deploy/{name} {args:?}: {text}");
    text
}

fn dumps(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("conduit-") && n.ends_with(".dump"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_backup_taken_under_load_restores_every_answer_after_the_database_is_destroyed() {
    let Some((dir, stack)) = common::stack(&[], None) else {
        return;
    };
    let base = stack.state.public_url.clone();
    let (a, b) = (
        sign_up(&base, "bkup-a").unwrap(),
        sign_up(&base, "bkup-b").unwrap(),
    );
    let call = |method: &str, path: &str, token: &str, body: Option<Value>| {
        let (status, answer) = api(&base, method, path, Some(token), body.as_ref()).unwrap();
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {answer}"
        );
    };
    call("POST", "/api/profiles/bkup-b/follow", &a, None);
    let slug = publish(&base, &a, "Kept through a restore").unwrap();
    publish(&base, &b, "Followed through a restore").unwrap();
    call("POST", &format!("/api/articles/{slug}/favorite"), &b, None);
    call(
        "POST",
        &format!("/api/articles/{slug}/comments"),
        &b,
        Some(json!({"comment": {"body": "Still here after the restore."}})),
    );
    let before = answers(&base, &a, &b, &slug);
    for (path, status, body) in &before {
        assert_eq!(*status, 200, "{path}: {body}");
    }

    // Backups while readers and a writer keep the site busy; three, keeping two.
    let to = dir.path().join("backups");
    let stack_dir = dir.path().to_string_lossy().into_owned();
    let to_arg = to.to_string_lossy().into_owned();
    let writer = sign_up(&base, "bkup-writer").unwrap();
    let reads = Reads::start(&base, 4);
    let writes = Writes::start(&base, &writer, "bkup-during", Duration::from_millis(20));
    let started = Instant::now();
    let printed = script(
        "backup",
        &["--stack", &stack_dir, "--to", &to_arg, "--keep", "2"],
    );
    eprintln!("{printed}(under load, {:?})", started.elapsed());
    assert!(printed.contains("rows: articles "), "{printed}");
    for _ in 0..2 {
        script(
            "backup",
            &["--stack", &stack_dir, "--to", &to_arg, "--keep", "2"],
        );
    }
    std::thread::sleep(Duration::from_millis(500));
    let reads = reads.finish();
    eprintln!("reads during the backups: {}", reads.summary());
    reads.assert_no_failures("reads during the backups");
    let writes = writes.finish();
    eprintln!("writes during the backups: {}", writes.summary());
    assert!(
        writes.refused.is_empty(),
        "writes refused during the backups: {:?}",
        writes.refused
    );
    assert!(!writes.acknowledged.is_empty(), "the writer wrote");
    let kept = dumps(&to);
    assert_eq!(kept.len(), 2, "retention keeps two: {kept:?}");

    // The database destroyed: dropped (its connections cut) and made again, empty.
    let admin = stack.state.database_url.replace("/conduit", "/postgres");
    let psql = procs::postgres_bin_dir().unwrap().join("psql");
    for sql in [
        "DROP DATABASE conduit WITH (FORCE)",
        "CREATE DATABASE conduit",
    ] {
        procs::run(&psql, &["-v", "ON_ERROR_STOP=1", "-c", sql, &admin], &[]).unwrap();
    }
    let (status, _) = api(&base, "GET", &format!("/api/articles/{slug}"), None, None).unwrap();
    assert_ne!(status, 200, "the article went with the database");

    let newest = to.join(kept.last().unwrap());
    let started = Instant::now();
    let printed = script(
        "restore",
        &[&newest.to_string_lossy(), "--stack", &stack_dir],
    );
    eprintln!("{printed}(restore, {:?})", started.elapsed());
    let mut after = Vec::new();
    let waited = wait_until(Duration::from_secs(30), "the answers as before", || {
        after = answers(&base, &a, &b, &slug);
        after == before
    });
    assert!(waited.is_ok(), "before: {before:#?}\nafter: {after:#?}");
    // The site's pages too (the page cache was emptied).
    let (status, _, html) = conduit_testkit::load::get(&format!("{base}/article/{slug}")).unwrap();
    assert_eq!(status, 200);
    assert!(html.contains("Still here after the restore."));
}
