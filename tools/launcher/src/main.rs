//! `cargo run`: the whole site in one process, for development and demos.
//!
//! Runs models on 127.0.0.1:8001 over a SQLite file in `.data/` (git-ignored), experience on
//! 8002 and web on 8000; applies migrations and loads `fixtures/demo.json` on the first start
//! (an empty database), so it is a demo: every page's footer says the demo accounts' password
//! is public. The token signing key is random, made on the first start and kept beside the
//! database, in `.data/jwt-secret` (mode 0600), so sessions survive a restart and nobody else knows it;
//! the internal credential between the tiers is random for each start. Visitors' pages are
//! cached in an in-process store that experience invalidates (memcached instead when
//! `MEMCACHED_URL` is set). Ctrl-C stops all three gracefully. Every other setting is read
//! as each tier's own binary reads it, with a few embedded defaults (`tiers.rs`;
//! docs/configuration.md). Production runs each tier's own binary instead (`models`,
//! `experience`, `web`).

use std::net::TcpListener;
use std::process::ExitCode;

use conduit_service::settings::{Env, Secret, Source};

mod tiers;

/// As in experience's binary: the password-hashing memory goes back to the system.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The three addresses, each overridable by the variable of the same name.
const MODELS_BIND: &str = "127.0.0.1:8001";
const EXPERIENCE_BIND: &str = "127.0.0.1:8002";
const WEB_BIND: &str = "127.0.0.1:8000";
/// The signing key's file, kept between starts beside the SQLite database (`.data/` for any
/// other database).
fn signing_key_file(database_url: &str) -> std::path::PathBuf {
    let dir = database_url
        .strip_prefix("sqlite://")
        .and_then(|path| std::path::Path::new(path).parent())
        .filter(|dir| !dir.as_os_str().is_empty())
        .map_or_else(
            || std::path::PathBuf::from(".data"),
            std::path::Path::to_path_buf,
        );
    dir.join("jwt-secret")
}

/// The signing key kept in `path`, made (random, mode 0600) when the file does not exist yet.
fn signing_key(path: &std::path::Path) -> Result<Secret, String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::read_to_string(path) {
        Ok(key) if key.trim().len() >= 32 => return Ok(Secret::new(key.trim())),
        Ok(_) => {
            return Err(format!(
                "{}: holds no key of 32 characters or more; delete it to make a new one (every session ends)",
                path.display()
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let key = Secret::random();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    writeln!(file, "{}", key.expose())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tracing::info!(file = %path.display(), "first start: a new random token signing key");
    Ok(key)
}

fn prepare_database(url: &str) -> Result<(), String> {
    let demo: conduit_dataset::Dataset =
        serde_json::from_str(include_str!("../../../fixtures/demo.json"))
            .map_err(|e| format!("fixtures/demo.json: {e}"))?;
    let prepared = models::prepare_database(url, Some(&demo))?;
    if let Some(report) = prepared.loaded {
        tracing::info!(%report, "first start: demo data loaded (password of every demo user: conduit-demo)");
    }
    Ok(())
}

fn bind(addr: &str) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .map_err(|e| format!("cannot bind {addr}: {e} (is another copy running?)"))
}

async fn launch() -> Result<(), String> {
    let binds = tiers::Binds {
        models: Env.string_or("MODELS_BIND", MODELS_BIND),
        experience: Env.string_or("EXPERIENCE_BIND", EXPERIENCE_BIND),
        web: Env.string_or("WEB_BIND", WEB_BIND),
    };
    // One random credential for the three tiers of this process.
    let credential = Secret::random();
    let tiers = tiers::settings(&Env, &binds, &credential, |url| {
        signing_key(&signing_key_file(url))
    })?;
    let drain = conduit_service::main_loop::shutdown_drain(&Env).map_err(|e| e.to_string())?;
    prepare_database(tiers.models.database_url.expose())?;
    let models = models::run(bind(&binds.models)?, &tiers.models).map_err(|e| e.to_string())?;
    let experience =
        experience::run(bind(&binds.experience)?, &tiers.experience).map_err(|e| e.to_string())?;
    let web = web::run(bind(&binds.web)?, &tiers.web).map_err(|e| e.to_string())?;
    let web_bind = &binds.web;
    let experience_bind = &binds.experience;

    println!(
        "Conduit is running at http://{web_bind}  (API: http://{experience_bind}/api, docs: http://{experience_bind}/api/docs)"
    );
    println!(
        "Demo mode: sign in as ada@conduit.example with the password conduit-demo (public: keep this site to yourself). Ctrl-C stops it."
    );
    conduit_service::lifecycle::serve_until_signalled(vec![web, experience, models], drain)
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signing_key_is_made_once_private_and_then_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/jwt-secret");
        let first = signing_key(&path).unwrap();
        assert_eq!(first.expose().len(), 64);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        assert_eq!(signing_key(&path).unwrap(), first);
        let other = tempfile::tempdir().unwrap();
        let elsewhere = signing_key(&other.path().join("jwt-secret")).unwrap();
        assert_ne!(elsewhere, first, "random, not built in");
        std::fs::write(&path, "short\n").unwrap();
        assert!(signing_key(&path).is_err());
    }

    #[test]
    fn the_signing_key_lives_beside_the_database() {
        assert_eq!(
            signing_key_file("sqlite://.data/conduit.sqlite3"),
            std::path::Path::new(".data/jwt-secret")
        );
        assert_eq!(
            signing_key_file("sqlite:///tmp/x/c.sqlite3"),
            std::path::Path::new("/tmp/x/jwt-secret")
        );
        assert_eq!(
            signing_key_file("postgres://u@h/db"),
            std::path::Path::new(".data/jwt-secret")
        );
    }
}

#[actix_web::main]
async fn main() -> ExitCode {
    conduit_service::telemetry::init("warn,conduit=info");
    match launch().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conduit: {e}");
            ExitCode::FAILURE
        }
    }
}
