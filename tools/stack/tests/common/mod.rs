//! What the stack's test binaries share: the stack itself, started from this build's tier
//! binaries in a temporary directory.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use conduit_servers::procs;
use conduit_stack::{Stack, StackConfig};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The tier binaries of this build, built once per test process.
pub fn bin_dir() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(conduit_stack::tier_binaries_of_this_build)
        .clone()
}

pub fn servers_present() -> Result<(), String> {
    for bin in ["haproxy", "memcached"] {
        if procs::on_path(bin).is_none() {
            return Err(format!("no {bin} on PATH (apt-get install {bin})"));
        }
    }
    conduit_servers::postgres::postgres_bin_dir().map(drop)
}

/// A stack of two instances per tier in a temporary directory; `None` (skipped) when a
/// server is missing outside CI. `env`: more variables for its processes (`StackConfig::process_env`); `tls_certs`: a
/// directory of PEMs, to serve HTTPS too.
pub fn stack(env: &[(&str, &str)], tls_certs: Option<&Path>) -> Option<(tempfile::TempDir, Stack)> {
    conduit_testkit::require("HAProxy, memcached and PostgreSQL", servers_present())?;
    let dir = tempfile::Builder::new()
        .prefix("conduit-stack-")
        .tempdir()
        .unwrap();
    let config = StackConfig {
        dir: dir.path().to_path_buf(),
        bin_dir: bin_dir().unwrap(),
        haproxy_config: repo().join("deploy/haproxy/haproxy.cfg"),
        fixtures: Some(repo().join("fixtures/demo.json")),
        instances: 2,
        public_port: 0,
        stats_port: 0,
        log_filter: "info".to_owned(),
        tls_certs: tls_certs.map(Path::to_path_buf),
        process_env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let stack = Stack::up(&config).unwrap_or_else(|e| panic!("stack up: {e}"));
    Some((dir, stack.owned()))
}
