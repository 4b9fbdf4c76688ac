//! deploy/backup and deploy/restore on the local stack: data written through the API, a
//! backup taken while readers and a writer keep the site busy (none of their requests
//! fails), retention, the database destroyed, the backup restored, and the API's answers
//! about users, articles, comments, favorites and follows the same as before.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use conduit_servers::procs;
use conduit_testkit::load::{Reads, Sample, Writes, api, sign_up, wait_until};

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
    let Some((dir, stack)) = common::stack(conduit_stack::LOAD_TEST_ENV, None) else {
        return;
    };
    let base = stack.state.public_url.clone();
    let sample = Sample::write(&base, "bkup").unwrap();
    let slug = sample.slug().to_owned();
    let before = sample.answers(&base);
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
    let psql = conduit_servers::postgres::postgres_bin_dir()
        .unwrap()
        .join("psql");
    for sql in [
        "DROP DATABASE conduit WITH (FORCE)",
        "CREATE DATABASE conduit",
    ] {
        procs::run(&psql, &["-v", "ON_ERROR_STOP=1", "-c", sql, &admin], &[]).unwrap();
    }
    let (status, _) = api(&base, "GET", &sample.article_past_the_cache(), None, None).unwrap();
    assert_ne!(status, 200, "the article went with the database");

    let newest = to.join(kept.last().unwrap());
    let started = Instant::now();
    let printed = script(
        "restore",
        &[&newest.to_string_lossy(), "--stack", &stack_dir],
    );
    eprintln!("{printed}(restore, {:?})", started.elapsed());
    // Readiness comes back tier by tier (models, then experience, then web, each after two
    // good health checks), so the API can answer before the pages do: wait for both.
    let mut after = Vec::new();
    let mut page = (0, String::new());
    let waited = wait_until(
        Duration::from_secs(30),
        "the answers and pages as before",
        || {
            after = sample.answers(&base);
            if after != before {
                return false;
            }
            // The site's pages too (the page cache was emptied).
            let (status, _, html) =
                conduit_testkit::load::get(&format!("{base}/article/{slug}")).unwrap();
            page = (status, html);
            page.0 == 200
        },
    );
    assert!(
        waited.is_ok(),
        "before: {before:#?}\nafter: {after:#?}\npage: {page:?}"
    );
    assert!(
        page.1.contains("Still here after the restore."),
        "{}",
        page.1
    );
}
