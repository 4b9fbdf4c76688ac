//! Starting server processes that clean up after the test process, even when it crashes.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};

/// A free TCP port on 127.0.0.1 (bound and released; the race is small on a test machine).
pub fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// True when this process runs as root.
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// True when `user` exists on this machine.
pub fn user_exists(user: &str) -> bool {
    Command::new("id")
        .arg("-u")
        .arg(user)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Quotes a word for `sh`.
pub fn sh_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Starts `command` (a shell command line) under a watchdog shell that stops it with
/// `stop_signal` and removes `cleanup_dir` as soon as this test process is gone.
pub fn spawn_guarded(command: &str, stop_signal: &str, cleanup_dir: &Path) -> Result<(), String> {
    let dir = sh_quote(&cleanup_dir.to_string_lossy());
    let script = format!(
        "{command} &\n\
         child=$!\n\
         while kill -0 {parent} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.3; done\n\
         kill -{stop_signal} $child 2>/dev/null\n\
         wait $child 2>/dev/null\n\
         rm -rf {dir}\n",
        parent = std::process::id(),
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| format!("cannot start sh: {e}"))
}
