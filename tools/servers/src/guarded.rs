//! Starting server processes that clean up after the process that started them (a test
//! process), even when it crashes.

use std::path::Path;

use crate::procs::{sh_quote, spawn_sh};

/// Starts `command` (a shell command line) under a watchdog shell that stops it with
/// `stop_signal` and removes `cleanup_dir` as soon as this test process (or the command) is
/// gone. Returns the command's process id (use `exec` in `command` to make it the server's).
pub fn spawn_guarded(command: &str, stop_signal: &str, cleanup_dir: &Path) -> Result<u32, String> {
    let dir = sh_quote(&cleanup_dir.to_string_lossy());
    let pid_file = cleanup_dir.join("watched.pid");
    let script = format!(
        "{command} &\n\
         child=$!\n\
         echo $child > {pid}.tmp && mv {pid}.tmp {pid}\n\
         while kill -0 {parent} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.3; done\n\
         kill -{stop_signal} $child 2>/dev/null\n\
         wait $child 2>/dev/null\n\
         rm -rf {dir}\n",
        parent = std::process::id(),
        pid = sh_quote(&pid_file.to_string_lossy()),
    );
    spawn_sh(&script, false)?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            return Ok(pid);
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("{command}: did not start"));
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Starts the server `program` with `args` (each word quoted for the shell), its output in
/// `log`, under [`spawn_guarded`]; returns its process id.
pub fn spawn_server(
    program: &Path,
    args: &[String],
    log: &Path,
    stop_signal: &str,
    cleanup_dir: &Path,
) -> Result<u32, String> {
    let words: Vec<String> = std::iter::once(program.to_string_lossy().into_owned())
        .chain(args.iter().cloned())
        .map(|word| sh_quote(&word))
        .collect();
    let server = format!(
        "exec {} > {} 2>&1",
        words.join(" "),
        sh_quote(&log.to_string_lossy())
    );
    spawn_guarded(
        &format!("sh -c {}", sh_quote(&server)),
        stop_signal,
        cleanup_dir,
    )
}

/// Waits until `addr` accepts TCP connections (`true`) or `timeout` passes (`false`).
pub fn wait_for_port(addr: &str, timeout: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect(addr).is_ok() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    false
}
