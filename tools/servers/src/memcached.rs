//! One way to run a private memcached, for the local stack and the tests: on 127.0.0.1
//! only, no UDP, and told to stay root under root (it refuses root without `-u`; it is
//! private and thrown away).

use std::path::PathBuf;

use crate::procs::{is_root, on_path};

/// memcached: `$CONDUIT_MEMCACHED_BIN` when set (and only there), else on `PATH`.
pub fn binary() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("CONDUIT_MEMCACHED_BIN") {
        return Ok(PathBuf::from(bin));
    }
    on_path("memcached")
        .ok_or_else(|| "no memcached on PATH (Debian: apt-get install memcached)".into())
}

/// The command line of a memcached on 127.0.0.1:`port` holding at most `megabytes` and
/// `connections` connections.
pub fn command(
    port: u16,
    megabytes: u32,
    connections: u32,
) -> Result<(PathBuf, Vec<String>), String> {
    let mut args: Vec<String> = ["-l", "127.0.0.1", "-U", "0"].map(String::from).to_vec();
    args.extend([
        "-p".into(),
        port.to_string(),
        "-m".into(),
        megabytes.to_string(),
    ]);
    args.extend(["-c".into(), connections.to_string()]);
    if is_root() {
        args.extend(["-u".into(), "root".into()]);
    }
    Ok((binary()?, args))
}
