//! A private memcached on a free port, which a test can kill, restart, freeze and thaw.
//!
//! Run as the local stack runs its own (`conduit_servers::memcached`); a watchdog stops it if
//! the test process dies.

use std::time::Duration;

use conduit_servers::procs::{free_port, signal};
use conduit_servers::{spawn_server, wait_for_port};

/// A running memcached; stopped when dropped.
#[derive(Debug)]
pub struct Memcached {
    port: u16,
    pid: Option<u32>,
}

impl Memcached {
    /// Starts one on a free port.
    pub fn start() -> Result<Self, String> {
        let mut m = Self {
            port: free_port()?,
            pid: None,
        };
        m.launch()?;
        Ok(m)
    }

    /// Starts memcached on `self.port`, or on another free port when that one turns out to
    /// be taken (a free port is only free until somebody binds it).
    fn launch(&mut self) -> Result<(), String> {
        let mut last = String::new();
        for _ in 0..5 {
            match self.launch_once() {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
            self.kill();
            self.port = free_port()?;
        }
        Err(last)
    }

    fn launch_once(&mut self) -> Result<(), String> {
        let (bin, args) = conduit_servers::memcached::command(self.port, 64, 1024)?;
        let dir = tempfile::Builder::new()
            .prefix("conduit-memcached-")
            .tempdir()
            .map_err(|e| format!("cannot make a temporary directory: {e}"))?
            .keep();
        let pid = spawn_server(&bin, &args, &dir.join("memcached.log"), "TERM", &dir)?;
        self.pid = Some(pid);
        if !wait_for_port(&self.addr(), Duration::from_secs(10)) {
            return Err(format!(
                "memcached did not start; see {}/memcached.log",
                dir.display()
            ));
        }
        // Whoever answers on the port must be the process just started.
        match self.server_pid() {
            Some(answering) if answering == pid => Ok(()),
            other => Err(format!(
                "port {} is answered by {other:?}, not by memcached {pid}",
                self.port
            )),
        }
    }

    /// The `pid` memcached reports in `stats`.
    fn server_pid(&self) -> Option<u32> {
        use std::io::{BufRead, BufReader, Write};
        let mut stream = std::net::TcpStream::connect(self.addr()).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        stream.write_all(b"stats\r\n").ok()?;
        BufReader::new(stream)
            .lines()
            .map_while(Result::ok)
            .take_while(|l| l != "END")
            .find_map(|l| l.strip_prefix("STAT pid ")?.trim().parse().ok())
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A `MEMCACHED_URL` for it, with the default 100 ms bounds.
    pub fn url(&self) -> String {
        format!("memcache://{}", self.addr())
    }

    /// Kills it with SIGKILL (its data is gone, like a crashed server).
    pub fn kill(&mut self) {
        if let Some(pid) = self.pid.take() {
            let _ = signal(pid, "CONT");
            let _ = signal(pid, "KILL");
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while std::net::TcpStream::connect(self.addr()).is_ok()
                && std::time::Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) -> Result<(), String> {
        self.kill();
        self.launch()
    }

    /// Freezes it (SIGSTOP): the kernel still accepts connections, nothing answers. Returns
    /// once a `version` command goes unanswered; panics, saying what it saw, if it still
    /// answers.
    pub fn freeze(&self) {
        let pid = self.pid.expect("memcached is running");
        signal(pid, "STOP").unwrap_or_else(|e| panic!("cannot freeze memcached: {e}"));
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        while self.answers() {
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            assert!(
                std::time::Instant::now() < deadline,
                "memcached {pid} on {} still answers after SIGSTOP (stat: {state}; stats pid: {:?})",
                self.addr(),
                self.server_pid()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// True when it answers `version` within 200 ms.
    fn answers(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(self.addr()) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
        let mut buf = [0u8; 64];
        stream.write_all(b"version\r\n").is_ok() && stream.read(&mut buf).is_ok_and(|n| n > 0)
    }

    /// Lets a frozen server run again (SIGCONT).
    pub fn thaw(&self) {
        if let Some(pid) = self.pid {
            let _ = signal(pid, "CONT");
        }
    }
}

impl Drop for Memcached {
    fn drop(&mut self) {
        self.kill();
    }
}
