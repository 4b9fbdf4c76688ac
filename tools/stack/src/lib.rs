//! The production-like local stack: a private PostgreSQL cluster, memcached, N instances of
//! every tier and HAProxy in front of them, all on loopback ports, each process logging to
//! its own file. `conduit-stack up | down | status` (through `deploy/stack`) and the
//! load-balancing tests drive it; the browser and load tests run against it.
//!
//! ```text
//!  client ─> HAProxy public ─┬─ /api ─> experience-1..N ─┐
//!                            └─ /*  ─> web-1..N ─> HAProxy experience pool
//!  experience ─> HAProxy models pool ─> models-1..N ─> PostgreSQL
//!  web, experience ─> memcached (pages; generation bumps)
//! ```
//!
//! Every instance runs with `SHUTDOWN_DRAIN_MS` set above HAProxy's check interval x fall,
//! so a stopping instance leaves the pool (its `/ready` answers 503) before it stops
//! accepting: a rolling restart loses nothing. The state (pids, ports, how each process was
//! started) is kept in `<dir>/state.json`, so `down`, `status` and a restart of one instance
//! work from another process.

pub mod haproxy;
pub mod tls;

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use conduit_servers::procs::{alive, sh_quote, signal, spawn_sh, wait_gone, wait_ready};
use conduit_servers::{postgres, procs};

/// The three tiers, in start order.
pub const TIERS: [&str; 3] = ["models", "experience", "web"];

/// How long a stopping instance keeps serving with `/ready` at 503. HAProxy checks every
/// second and takes a server out after two failures, so 3 s is enough.
pub const DRAIN: Duration = Duration::from_millis(3000);

/// What to start.
#[derive(Debug, Clone)]
pub struct StackConfig {
    /// State, logs and the database live here.
    pub dir: PathBuf,
    /// Where the `models`, `experience` and `web` binaries are.
    pub bin_dir: PathBuf,
    /// `deploy/haproxy/haproxy.cfg`.
    pub haproxy_config: PathBuf,
    /// Fixtures loaded into the fresh database (`fixtures/demo.json`).
    pub fixtures: Option<PathBuf>,
    /// Instances of each tier.
    pub instances: usize,
    /// HAProxy's public port (0: a free one).
    pub public_port: u16,
    /// HAProxy's stats page port (0: a free one).
    pub stats_port: u16,
    /// `RUST_LOG` of the instances.
    pub log_filter: String,
    /// A directory (or PEM file) of certificates: HAProxy then also serves HTTPS
    /// (`State::https_url`) and redirects plain HTTP there (`--tls-certs DIR`).
    pub tls_certs: Option<PathBuf>,
    /// More variables for every process the stack starts, HAProxy and the tier instances
    /// (`--env K=V`): load tests, whose visitors all come from 127.0.0.1, raise
    /// `SIGNUP_MAX_PER_HOUR` and HAProxy's per-source limits.
    pub process_env: Vec<(String, String)>,
}

/// The limits a load test from one address (127.0.0.1) must not meet: sign-ups per address,
/// HAProxy's per-source connections and request rate.
pub const LOAD_TEST_ENV: &[(&str, &str)] = &[
    ("SIGNUP_MAX_PER_HOUR", "1000000"),
    ("HAPROXY_SOURCE_MAX_CONNS", "100000"),
    ("HAPROXY_SOURCE_MAX_RATE", "100000000"),
];

/// One process of the stack and how to start it again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Proc {
    /// `postgres`, `memcached`, `haproxy`, or `<tier>-<n>`.
    pub name: String,
    /// Its process id (0 when stopped).
    pub pid: u32,
    /// The port it serves on.
    pub port: u16,
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// Its log file.
    pub log: PathBuf,
}

/// Ports and URLs of a running stack.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    /// Every process, in start order.
    pub procs: Vec<Proc>,
    /// `http://127.0.0.1:<port>`: the site and `/api` (with TLS, a redirect to HTTPS).
    pub public_url: String,
    /// `https://127.0.0.1:<port>` when the stack serves HTTPS.
    #[serde(default)]
    pub https_url: Option<String>,
    /// HAProxy's stats page.
    pub stats_url: String,
    /// HAProxy's runtime API (`show stat`), `127.0.0.1:<port>`.
    pub admin_addr: String,
    /// The database every models instance uses.
    pub database_url: String,
}

/// A running stack. Dropping it leaves it running (the CLI's `up`), unless it was made
/// [`owned`](Stack::owned); call [`Stack::down`].
pub struct Stack {
    dir: PathBuf,
    /// Ports, URLs and processes.
    pub state: State,
    children: HashMap<String, Child>,
    owned: bool,
}

impl Drop for Stack {
    fn drop(&mut self) {
        if self.owned {
            let _ = self.down();
        }
    }
}

impl Stack {
    /// Starts everything and waits until HAProxy sees every instance up.
    pub fn up(config: &StackConfig) -> Result<Stack, String> {
        if config.instances == 0 {
            return Err("at least one instance of each tier".into());
        }
        let dir = &config.dir;
        if let Ok(running) = Stack::attach(dir)
            && running
                .state
                .procs
                .iter()
                .any(|p| p.pid != 0 && alive(p.pid))
        {
            return Err(format!(
                "a stack is already up in {} (down it first)",
                dir.display()
            ));
        }
        std::fs::create_dir_all(dir.join("logs")).map_err(|e| format!("{}: {e}", dir.display()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let dir = std::fs::canonicalize(dir).map_err(|e| e.to_string())?;
        for bin in TIERS {
            if !config.bin_dir.join(bin).is_file() {
                return Err(format!("no {bin} binary in {}", config.bin_dir.display()));
            }
        }
        // Absolute paths: a restart may come from another directory (`conduit-stack restart`).
        let mut config = config.clone();
        config.bin_dir = std::fs::canonicalize(&config.bin_dir).map_err(|e| e.to_string())?;
        config.haproxy_config = std::fs::canonicalize(&config.haproxy_config)
            .map_err(|e| format!("{}: {e}", config.haproxy_config.display()))?;
        if let Some(f) = &config.fixtures {
            config.fixtures =
                Some(std::fs::canonicalize(f).map_err(|e| format!("{}: {e}", f.display()))?);
        }
        if let Some(c) = &config.tls_certs {
            config.tls_certs =
                Some(std::fs::canonicalize(c).map_err(|e| format!("{}: {e}", c.display()))?);
        }
        let config = &config;
        let port = |p: u16| if p == 0 { distinct_free_port() } else { Ok(p) };
        let public = port(config.public_port)?;
        let stats = port(config.stats_port)?;
        let (admin, experience_pool, models_pool) = (
            distinct_free_port()?,
            distinct_free_port()?,
            distinct_free_port()?,
        );
        let https = match config.tls_certs {
            Some(_) => Some(distinct_free_port()?),
            None => None,
        };
        let mut stack = Stack {
            state: State {
                procs: Vec::new(),
                public_url: format!("http://127.0.0.1:{public}"),
                https_url: https.map(|port| format!("https://127.0.0.1:{port}")),
                stats_url: format!("http://127.0.0.1:{stats}/stats"),
                admin_addr: format!("127.0.0.1:{admin}"),
                database_url: String::new(),
            },
            dir: dir.clone(),
            children: HashMap::new(),
            owned: false,
        };
        let started = stack.start_all(config, [public, stats, admin, experience_pool, models_pool]);
        if let Err(e) = started {
            let _ = stack.down();
            return Err(e);
        }
        Ok(stack)
    }

    fn start_all(&mut self, config: &StackConfig, ports: [u16; 5]) -> Result<(), String> {
        let [public, stats, admin, experience_pool, models_pool] = ports;
        self.start_postgres()?;
        let models_bin = config.bin_dir.join("models");
        let db = [("DATABASE_URL", self.state.database_url.as_str())];
        procs::run(&models_bin, &["migrate"], &db)?;
        if let Some(fixtures) = &config.fixtures {
            procs::run(&models_bin, &["loaddata", &fixtures.to_string_lossy()], &db)?;
        }

        let mc_port = distinct_free_port()?;
        let (memcached, args) = conduit_servers::memcached::command(mc_port, 128, 4096)?;
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.spawn("memcached", mc_port, &memcached, &args, &[])?;
        let memcached_url = format!("memcache://127.0.0.1:{mc_port}");

        // Instance ports first: HAProxy's config names them.
        let mut ports: HashMap<String, u16> = HashMap::new();
        for tier in TIERS {
            for n in 1..=config.instances {
                ports.insert(format!("{tier}-{n}"), distinct_free_port()?);
            }
        }
        let template = std::fs::read_to_string(&config.haproxy_config)
            .map_err(|e| format!("{}: {e}", config.haproxy_config.display()))?;
        let rendered = haproxy::render(&template, |prefix| {
            TIERS.contains(&prefix).then(|| {
                (1..=config.instances)
                    .map(|n| format!("127.0.0.1:{}", ports[&format!("{prefix}-{n}")]))
                    .collect()
            })
        })?;
        let cfg = self.dir.join("haproxy.cfg");
        std::fs::write(&cfg, rendered).map_err(|e| format!("{}: {e}", cfg.display()))?;
        let haproxy =
            procs::on_path("haproxy").ok_or("no haproxy on PATH (apt-get install haproxy)")?;
        let binds = [
            ("HAPROXY_PUBLIC_BIND", format!("127.0.0.1:{public}")),
            ("HAPROXY_STATS_BIND", format!("127.0.0.1:{stats}")),
            ("HAPROXY_ADMIN_BIND", format!("127.0.0.1:{admin}")),
            (
                "HAPROXY_RELOAD_SOCKET",
                self.dir.join("haproxy.sock").to_string_lossy().into_owned(),
            ),
            (
                "HAPROXY_EXPERIENCE_BIND",
                format!("127.0.0.1:{experience_pool}"),
            ),
            ("HAPROXY_MODELS_BIND", format!("127.0.0.1:{models_pool}")),
        ];
        let https_bind = self
            .state
            .https_url
            .as_deref()
            .map(|url| url.trim_start_matches("https://").to_owned());
        let tls = match (&config.tls_certs, https_bind) {
            (Some(certs), Some(bind)) => vec![
                ("HAPROXY_TLS_CERTS", certs.to_string_lossy().into_owned()),
                ("HAPROXY_TLS_BIND", bind),
            ],
            _ => Vec::new(),
        };
        let binds: Vec<_> = binds.into_iter().chain(tls).collect();
        let env: Vec<(&str, &str)> = binds
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .chain(
                config
                    .process_env
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            )
            .collect();
        self.spawn(
            "haproxy",
            public,
            &haproxy,
            &["-W", "-db", "-f", &cfg.to_string_lossy()],
            &env,
        )?;
        wait_ready(
            &format!("127.0.0.1:{stats}"),
            "/stats",
            Duration::from_secs(10),
        )?;

        // The secrets live in files only this user reads, as mounted secrets do; the tiers
        // are given the files' names, never the values.
        let jwt_secret = self.secret_file("jwt-secret")?;
        let credential = self.secret_file("internal-credential")?;
        let drain = DRAIN.as_millis().to_string();
        for tier in TIERS {
            let mut env: Vec<(&str, String)> = vec![
                ("RUST_LOG", config.log_filter.clone()),
                ("SHUTDOWN_DRAIN_MS", drain.clone()),
                ("WORKERS", "2".into()),
                ("INTERNAL_CREDENTIAL_FILE", credential.clone()),
            ];
            for (name, value) in &config.process_env {
                env.push((name.as_str(), value.clone()));
            }
            match tier {
                "models" => {
                    env.push(("DATABASE_URL", self.state.database_url.clone()));
                    env.push(("DATABASE_POOL_SIZE", "8".into()));
                }
                "experience" => {
                    env.push(("MODELS_URL", format!("http://127.0.0.1:{models_pool}")));
                    env.push(("JWT_SECRET_FILE", jwt_secret.clone()));
                    env.push(("MEMCACHED_URL", memcached_url.clone()));
                    env.push(("TRUST_FORWARDED_FOR", "true".into()));
                }
                _ => {
                    env.push((
                        "EXPERIENCE_URL",
                        format!("http://127.0.0.1:{experience_pool}"),
                    ));
                    env.push(("MEMCACHED_URL", memcached_url.clone()));
                    env.push(("TRUST_FORWARDED_FOR", "true".into()));
                    // Demo accounts loaded: every page says their password is public.
                    if config.fixtures.is_some() {
                        env.push(("DEMO_MODE", "true".into()));
                    }
                }
            }
            for n in 1..=config.instances {
                let name = format!("{tier}-{n}");
                let port = ports[&name];
                let mut env = env.clone();
                env.push(("BIND", format!("127.0.0.1:{port}")));
                let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
                self.spawn(&name, port, &config.bin_dir.join(tier), &[], &env)?;
            }
            for n in 1..=config.instances {
                self.wait_serving(&format!("{tier}-{n}"), Duration::from_secs(30))?;
            }
        }
        self.save()
    }

    /// A new random secret in `secrets/<name>` of the stack's directory (mode 0600); its path.
    fn secret_file(&self, name: &str) -> Result<String, String> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let dir = self.dir.join("secrets");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| format!("no random source: {e}"))?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        writeln!(file, "{hex}").map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path.to_string_lossy().into_owned())
    }

    fn start_postgres(&mut self) -> Result<(), String> {
        let pg_dir = self.dir.join("pg");
        let _ = std::fs::remove_dir_all(&pg_dir);
        let cluster = postgres::Cluster::init(&pg_dir)?;
        let port = distinct_free_port()?;
        let (program, args) =
            cluster.server(port, &["max_connections=200", "shared_buffers=128MB"]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.spawn("postgres", port, &program, &refs, &[])?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let psql = cluster.psql();
        let admin_url = postgres::url(port, "postgres");
        loop {
            match procs::run(&psql, &[&admin_url, "-Xqc", "CREATE DATABASE conduit"], &[]) {
                Ok(_) => break,
                Err(e) if Instant::now() > deadline => {
                    return Err(format!("PostgreSQL did not start: {e}"));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
        self.state.database_url = postgres::url(port, "conduit");
        Ok(())
    }

    fn spawn(
        &mut self,
        name: &str,
        port: u16,
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<(), String> {
        let proc = Proc {
            name: name.to_owned(),
            pid: 0,
            port,
            program: program.to_path_buf(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            log: self.dir.join("logs").join(format!("{name}.log")),
        };
        self.state.procs.retain(|p| p.name != name);
        self.state.procs.push(proc);
        self.start(name)
    }

    /// Makes dropping this handle stop the stack (tests: a failed assertion leaves nothing
    /// running).
    pub fn owned(mut self) -> Self {
        self.owned = true;
        self
    }

    /// Stops the stack when process `parent` is gone, from a watchdog shell: for a stack
    /// kept for a whole test process, whose statics are never dropped. It stops the
    /// processes as they are now (a process restarted later is not known to it).
    pub fn down_when_gone(&self, parent: u32) -> Result<(), String> {
        let pids = |names: &[&str]| -> String {
            self.state
                .procs
                .iter()
                .filter(|p| {
                    p.pid != 0
                        && names
                            .iter()
                            .any(|n| p.name == *n || p.name.starts_with(&format!("{n}-")))
                })
                .map(|p| p.pid.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let script = format!(
            "while kill -0 {parent} 2>/dev/null; do sleep 0.5; done\n\
             kill -TERM {tiers} 2>/dev/null; sleep {drain}\n\
             kill -TERM {infra} 2>/dev/null; kill -INT {pg} 2>/dev/null; sleep 2\n\
             kill -KILL {tiers} {infra} {pg} 2>/dev/null\n\
             cd {dir} && rm -rf pg state.json haproxy.cfg\n",
            tiers = pids(&TIERS),
            infra = pids(&["haproxy", "memcached"]),
            pg = pids(&["postgres"]),
            drain = DRAIN.as_secs() + 2,
            dir = sh_quote(&self.dir.to_string_lossy()),
        );
        spawn_sh(&script, true).map_err(|e| format!("the watchdog: {e}"))
    }

    /// Sets (or with `None` removes) environment variable `key` of process `name` for its
    /// next start; [`restart`](Self::restart) applies it.
    pub fn set_env(&mut self, name: &str, key: &str, value: Option<&str>) -> Result<(), String> {
        let proc = self.proc_mut(name)?;
        proc.env.retain(|(k, _)| k != key);
        if let Some(v) = value {
            proc.env.push((key.to_owned(), v.to_owned()));
        }
        self.save()
    }

    /// Starts process `name` again as it was first started (same port, same environment).
    pub fn start(&mut self, name: &str) -> Result<(), String> {
        let proc = self.proc_mut(name)?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&proc.log)
            .map_err(|e| format!("{}: {e}", proc.log.display()))?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(&proc.program)
            .args(&proc.args)
            .envs(proc.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            // Its own process group: a Ctrl-C meant for the caller does not reach it.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", proc.program.display()))?;
        proc.pid = child.id();
        let name = proc.name.clone();
        self.children.insert(name, child);
        self.save()
    }

    /// Waits until instance `name` answers `/ready` and HAProxy counts it as up.
    pub fn wait_serving(&mut self, name: &str, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let port = self.proc_mut(name)?.port;
        wait_ready(&format!("127.0.0.1:{port}"), "/ready", timeout)
            .map_err(|e| format!("{name}: {e}; see {}", self.log_of(name).display()))?;
        let (backend, server) = haproxy_names(name);
        loop {
            let servers = haproxy::servers(&self.state.admin_addr)?;
            if servers
                .iter()
                .any(|s| s.backend == backend && s.server == server && s.status.starts_with("UP"))
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("HAProxy does not see {name} up: {servers:?}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops `name` with `sig` and waits until it is gone (SIGKILL after `timeout`).
    pub fn stop_with(&mut self, name: &str, sig: &str, timeout: Duration) -> Result<(), String> {
        let pid = self.proc_mut(name)?.pid;
        if pid != 0 {
            let _ = signal(pid, sig);
            self.reap(name, pid, timeout);
            if alive(pid) {
                let _ = signal(pid, "KILL");
                self.reap(name, pid, Duration::from_secs(5));
            }
        }
        self.proc_mut(name)?.pid = 0;
        self.children.remove(name);
        // Best effort: stopping goes on even when the directory is gone.
        let _ = self.save();
        Ok(())
    }

    fn reap(&mut self, name: &str, pid: u32, timeout: Duration) {
        match self.children.get_mut(name) {
            Some(child) => {
                let deadline = Instant::now() + timeout;
                while Instant::now() < deadline {
                    if !matches!(child.try_wait(), Ok(None)) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            None => {
                wait_gone(pid, timeout);
            }
        }
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self, name: &str) -> Result<(), String> {
        self.stop_with(name, "KILL", Duration::from_secs(5))
    }

    /// A graceful stop (SIGTERM: drain, then finish in-flight requests).
    pub fn stop(&mut self, name: &str) -> Result<(), String> {
        self.stop_with(name, "TERM", DRAIN + Duration::from_secs(30))
    }

    /// Restarts process `name` and waits until it really serves again, with a clear error
    /// otherwise. A tier instance (`web-1`): graceful stop (drain), start, until HAProxy
    /// sends it traffic. A server: stopped as its manual says (PostgreSQL: fast shutdown,
    /// which ends the pools' sessions; memcached: TERM; HAProxy: soft stop, which finishes
    /// the connections in flight), waited for until its process is gone, started, and waited
    /// for until it answers (see [`start_server`](Self::start_server)).
    pub fn restart(&mut self, name: &str) -> Result<(), String> {
        match name {
            "postgres" => self.stop_with(name, "INT", Duration::from_secs(30))?,
            "memcached" => self.stop_with(name, "TERM", Duration::from_secs(10))?,
            "haproxy" => self.stop_with(name, "USR1", Duration::from_secs(30))?,
            _ => {
                self.stop(name)?;
                self.start(name)?;
                return self.wait_serving(name, Duration::from_secs(30));
            }
        }
        self.start_server(name, Duration::from_secs(30))
    }

    /// Starts server `name` (`postgres`, `memcached` or `haproxy`) and waits until it really
    /// serves: PostgreSQL answers a query, memcached `version`, HAProxy its stats page. A
    /// start whose process exits at once is tried again until `timeout`: a PostgreSQL killed
    /// with SIGKILL leaves its backends for a moment, and a new postmaster refuses to start
    /// while they hold the old shared memory.
    pub fn start_server(&mut self, name: &str, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            self.start(name)?;
            let pid = self.proc_mut(name)?.pid;
            let why = loop {
                match self.server_answers(name) {
                    Ok(()) => return Ok(()),
                    Err(_) if Instant::now() < deadline && self.running(name, pid) => {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    Err(e) => break e,
                }
            };
            if Instant::now() >= deadline {
                let _ = self.stop_with(name, "KILL", Duration::from_secs(5));
                return Err(format!(
                    "{name} did not come back within {timeout:?}: {why}; see {}",
                    self.log_of(name).display()
                ));
            }
            self.children.remove(name);
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Reloads HAProxy's configuration without dropping a connection (master-worker: SIGUSR2
    /// starts new workers, the old ones finish what they hold) and waits until it answers.
    pub fn reload_haproxy(&mut self) -> Result<(), String> {
        let pid = self.proc_mut("haproxy")?.pid;
        signal(pid, "USR2")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.server_answers("haproxy") {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() > deadline => return Err(format!("haproxy: {e}")),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// True while the process started as `pid` for `name` runs (a child that exited is
    /// reaped here).
    fn running(&mut self, name: &str, pid: u32) -> bool {
        match self.children.get_mut(name) {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => alive(pid),
        }
    }

    /// Ok when server `name` answers as a client would use it.
    fn server_answers(&mut self, name: &str) -> Result<(), String> {
        let port = self.proc_mut(name)?.port;
        match name {
            "postgres" => {
                let psql = postgres::postgres_bin_dir()?.join("psql");
                procs::run(
                    &psql,
                    &[&self.state.database_url, "-XAtqc", "SELECT 1"],
                    &[],
                )
                .map(drop)
            }
            "memcached" => procs::memcached_version(&format!("127.0.0.1:{port}")).map(drop),
            "haproxy" => {
                let stats = self.state.stats_url.trim_start_matches("http://");
                let (addr, path) = stats.split_once('/').unwrap_or((stats, "stats"));
                match procs::http_get(addr, &format!("/{path}"), Duration::from_secs(2))? {
                    (200, _) => Ok(()),
                    (status, _) => Err(format!("stats answered {status}")),
                }
            }
            other => Err(format!("{other} is not a server of the stack")),
        }
    }

    /// Instance names of `tier`: `web-1`, `web-2`...
    pub fn instances(&self, tier: &str) -> Vec<String> {
        self.state
            .procs
            .iter()
            .filter(|p| {
                p.name
                    .strip_prefix(tier)
                    .is_some_and(|r| r.starts_with('-'))
            })
            .map(|p| p.name.clone())
            .collect()
    }

    /// The pid of process `name` (0 while it is stopped).
    pub fn pid(&self, name: &str) -> Option<u32> {
        self.state
            .procs
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.pid)
    }

    /// `127.0.0.1:<port>` of process `name`.
    pub fn addr(&self, name: &str) -> Option<String> {
        self.state
            .procs
            .iter()
            .find(|p| p.name == name)
            .map(|p| format!("127.0.0.1:{}", p.port))
    }

    /// The log file of process `name`.
    pub fn log_of(&self, name: &str) -> PathBuf {
        self.dir.join("logs").join(format!("{name}.log"))
    }

    /// Stops everything (web first, then experience, models, HAProxy, memcached,
    /// PostgreSQL) and removes all but the logs.
    pub fn down(&mut self) -> Result<(), String> {
        for tier in ["web", "experience", "models"] {
            let names = self.instances(tier);
            for name in &names {
                if let Ok(p) = self.proc_mut(name)
                    && p.pid != 0
                {
                    let _ = signal(p.pid, "TERM");
                }
            }
            for name in &names {
                self.stop_with(name, "TERM", DRAIN + Duration::from_secs(30))?;
            }
        }
        for (name, sig) in [
            ("haproxy", "TERM"),
            ("memcached", "TERM"),
            ("postgres", "INT"),
        ] {
            if self.proc_mut(name).is_ok() {
                self.stop_with(name, sig, Duration::from_secs(30))?;
            }
        }
        let _ = std::fs::remove_dir_all(self.dir.join("pg"));
        let _ = std::fs::remove_file(self.dir.join("haproxy.cfg"));
        let _ = std::fs::remove_file(self.dir.join("state.json"));
        Ok(())
    }

    /// The stack whose state is in `dir` (started by another process).
    pub fn attach(dir: &Path) -> Result<Stack, String> {
        let path = dir.join("state.json");
        let file = File::open(&path).map_err(|e| format!("no stack in {} ({e})", dir.display()))?;
        let state: State =
            serde_json::from_reader(file).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Stack {
            dir: dir.to_path_buf(),
            state,
            children: HashMap::new(),
            owned: false,
        })
    }

    /// Reads the state again from disk, after another process (`deploy/stack restart`)
    /// changed it; children this handle started and that still run are kept.
    pub fn refresh(&mut self) -> Result<(), String> {
        let state = std::mem::take(&mut Stack::attach(&self.dir)?.state);
        self.children.retain(|name, child| {
            state
                .procs
                .iter()
                .any(|p| &p.name == name && p.pid == child.id())
        });
        self.state = state;
        Ok(())
    }

    /// One line per process: name, pid, alive, port, readiness.
    pub fn status(&self) -> Vec<String> {
        self.state
            .procs
            .iter()
            .map(|p| {
                let running = p.pid != 0 && alive(p.pid);
                let ready = if TIERS.iter().any(|t| p.name.starts_with(t)) && running {
                    match procs::http_get(
                        &format!("127.0.0.1:{}", p.port),
                        "/ready",
                        Duration::from_secs(2),
                    ) {
                        Ok((200, _)) => "ready".to_owned(),
                        Ok((s, _)) => format!("not ready ({s})"),
                        Err(e) => format!("no answer ({e})"),
                    }
                } else {
                    String::new()
                };
                format!(
                    "{:<14} pid {:<8} {:<8} 127.0.0.1:{:<6} {ready}",
                    p.name,
                    p.pid,
                    if running { "running" } else { "stopped" },
                    p.port
                )
            })
            .collect()
    }

    fn proc_mut(&mut self, name: &str) -> Result<&mut Proc, String> {
        self.state
            .procs
            .iter_mut()
            .find(|p| p.name == name)
            .ok_or_else(|| format!("no process {name} in this stack"))
    }

    fn save(&self) -> Result<(), String> {
        let path = self.dir.join("state.json");
        let tmp = self.dir.join("state.json.tmp");
        let text = serde_json::to_string_pretty(&self.state).map_err(|e| e.to_string())?;
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// For tests run by cargo: the directory of this build's binaries (`target/<profile>`),
/// after `cargo build` of the three tiers in the same profile (quick when they are fresh).
/// `CONDUIT_TIER_BINARIES=DIR` names a directory whose `models`, `experience` and `web` are
/// used as they are: `.ci/run` builds the release binaries once, for the images and for
/// every test that starts the tiers.
pub fn tier_binaries_of_this_build() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("CONDUIT_TIER_BINARIES") {
        let dir = PathBuf::from(dir);
        for tier in ["models", "experience", "web"] {
            if !dir.join(tier).is_file() {
                return Err(format!(
                    "CONDUIT_TIER_BINARIES={}: no {tier} there",
                    dir.display()
                ));
            }
        }
        return Ok(dir);
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/<profile>/deps/<test binary>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("no target directory")?
        .to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut args = vec![
        "build",
        "-q",
        "-p",
        "models",
        "-p",
        "experience",
        "-p",
        "web",
    ];
    if dir.file_name().is_some_and(|n| n == "release") {
        args.push("--release");
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    args.extend(["--manifest-path", manifest.to_str().ok_or("path")?]);
    let out = Command::new(cargo)
        .args(&args)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo build: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(dir)
}

/// A free port never handed out before in this process: a port chosen for a server that is
/// not listening yet is free again to the operating system, which may offer it twice.
fn distinct_free_port() -> Result<u16, String> {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    for _ in 0..100 {
        let port = procs::free_port()?;
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return Ok(port);
        }
    }
    Err("no fresh free port".into())
}

/// HAProxy's backend and server names of instance `web-2`: (`web`, `web2`).
fn haproxy_names(instance: &str) -> (String, String) {
    let (tier, n) = instance.rsplit_once('-').unwrap_or((instance, ""));
    (tier.to_owned(), format!("{tier}{n}"))
}
