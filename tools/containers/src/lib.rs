//! The container deployment on a real Docker engine, driven the way an operator drives it:
//! the images from `deploy/docker/images`, `docker-compose.yml` brought up with
//! `docker-compose` (Debian's, v1) as a private project on free ports, the scripts of
//! `deploy/docker/` (secrets, rollout, swarm), and HAProxy's stats page to see which replica
//! gets traffic. The tests in `tests/` are the scenarios; this is their tool box.
//!
//! Nothing here pulls an image: every image is built on this machine (see
//! `deploy/docker/images`). Each [`Deployment`] is removed with its volumes when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub use conduit_stack::haproxy::ServerState;
pub use conduit_testkit::load::{get, wait_until};

/// The tag the tests build and run the images under.
pub const TAG: &str = "test";

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs a command: its standard output, or an error with what it printed.
pub fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{cmd:?}: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// `docker ARGS`.
pub fn docker(args: &[&str]) -> Result<String, String> {
    run(Command::new("docker").args(args))
}

/// Ok when a Docker engine answers and Debian's `docker-compose` and `debootstrap` (for the
/// images' base) are there.
pub fn engine() -> Result<(), String> {
    docker(&["info", "--format", "{{.ServerVersion}}"])
        .map_err(|e| format!("no Docker engine answers: {e}"))?;
    run(Command::new("docker-compose").arg("version"))
        .map_err(|e| format!("no docker-compose (apt-get install docker-compose): {e}"))?;
    if docker(&["image", "inspect", "conduit/debian:12"]).is_err()
        && conduit_servers::procs::on_path("debootstrap").is_none()
    {
        return Err("no debootstrap to make the images' base (apt-get install debootstrap)".into());
    }
    Ok(())
}

/// The images of this tree under [`TAG`], built once per process by `deploy/docker/images`
/// (quick when `.ci/run` has built them already: every layer is cached). Test processes
/// that run side by side build them one at a time (a lock file in the temporary directory):
/// the script retags and removes its intermediate image.
pub fn images() -> Result<(), String> {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let lock_path = std::env::temp_dir().join("conduit-images.lock");
            let lock = std::fs::File::create(&lock_path)
                .map_err(|e| format!("{}: {e}", lock_path.display()))?;
            lock.lock()
                .map_err(|e| format!("{}: {e}", lock_path.display()))?;
            let started = Instant::now();
            let out = run(Command::new(repo().join("deploy/docker/images"))
                .args(["--tag", TAG])
                .current_dir(repo()))?;
            eprintln!("images ({:?}):\n{out}", started.elapsed());
            Ok(())
        })
        .clone()
}

/// Another version of the tier image, `conduit/tier:<tag>`: the same binaries under another
/// label, so that a rolling update has something to roll to and the test can tell which
/// version each container runs.
pub fn tier_version(tag: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM conduit/tier:{TAG}\nLABEL org.opencontainers.image.version={tag}\n"),
    )
    .map_err(|e| e.to_string())?;
    let image = format!("conduit/tier:{tag}");
    docker(&[
        "build",
        "--quiet",
        "-t",
        &image,
        &dir.path().to_string_lossy(),
    ])
    .map(drop)
}

/// The image (`repo:tag`) container `id` runs.
pub fn image_of(id: &str) -> String {
    docker(&["inspect", "-f", "{{.Config.Image}}", id])
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// The servers of `backend` on HAProxy's stats page at `stats` (`host:port`).
pub fn pool(stats: &str, backend: &str) -> Result<Vec<ServerState>, String> {
    let (status, _, csv) = get(&format!("http://{stats}/stats;csv"))?;
    if status != 200 {
        return Err(format!("HAProxy stats answered {status}"));
    }
    let mut servers = conduit_stack::haproxy::parse_stat(&csv)?;
    servers.retain(|s| s.backend == backend);
    Ok(servers)
}

/// Runs `cleanup` (a shell command) once this test process is gone, however it ends: a test
/// killed or timed out leaves no container, volume or swarm behind.
fn watchdog(cleanup: &str) -> Result<(), String> {
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {cleanup} >/dev/null 2>&1",
        pid = std::process::id()
    );
    conduit_servers::procs::spawn_sh(&script, true)
}

/// `K=V ...` for `env`, quoted for `sh`.
fn sh_env(env: &[(String, String)]) -> String {
    env.iter()
        .map(|(k, v)| conduit_servers::procs::sh_quote(&format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A docker compose deployment of `docker-compose.yml` as its own project: free ports for
/// the site and the stats page, its own secrets (made by `deploy/docker/secrets`), the demo
/// data. `docker-compose down -v` when dropped.
pub struct Deployment {
    /// The compose project name.
    pub project: String,
    /// The published site port on 127.0.0.1.
    pub public_port: u16,
    /// HAProxy's stats port on 127.0.0.1.
    pub stats_port: u16,
    /// The published HTTPS port (served only with [`Deployment::up_tls`]).
    pub tls_port: u16,
    /// The CA a client trusts to reach the HTTPS port ([`Deployment::up_tls`]).
    pub tls_ca: Option<PathBuf>,
    secrets: tempfile::TempDir,
    down: bool,
}

impl Deployment {
    /// `docker-compose up -d` with `scale` (service, replicas); returns it once every
    /// container is healthy and HAProxy has every replica in its pool, with the time that
    /// took from the start of `up`.
    pub fn up(scale: &[(&str, usize)]) -> Result<(Deployment, Duration), String> {
        Self::up_with(scale, false)
    }

    /// [`up`](Self::up), serving HTTPS too with a certificate of a CA made for the test
    /// (`tls_ca`); plain HTTP then answers with a redirect.
    pub fn up_tls(scale: &[(&str, usize)]) -> Result<(Deployment, Duration), String> {
        Self::up_with(scale, true)
    }

    fn up_with(scale: &[(&str, usize)], tls: bool) -> Result<(Deployment, Duration), String> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let secrets = tempfile::Builder::new()
            .prefix("conduit-secrets-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let tls_ca = if tls {
            let made = conduit_stack::tls::test_certificates(secrets.path())?;
            Some(made.ca)
        } else {
            std::fs::create_dir_all(secrets.path().join("certs")).map_err(|e| e.to_string())?;
            None
        };
        let deployment = Deployment {
            project: format!("ct{}x{n}", std::process::id()),
            public_port: conduit_servers::procs::free_port()?,
            stats_port: conduit_servers::procs::free_port()?,
            tls_port: conduit_servers::procs::free_port()?,
            tls_ca,
            secrets,
            down: false,
        };
        watchdog(&format!(
            "env {} docker-compose down -v --remove-orphans --timeout 5",
            sh_env(&deployment.env())
        ))?;
        deployment.script("secrets", &[])?;
        let started = Instant::now();
        deployment
            .scale(scale)
            .and_then(|_| deployment.wait_healthy(scale, Duration::from_secs(120)))
            .map_err(|e| format!("{e}\n{}", deployment.diagnosis()))?;
        Ok((deployment, started.elapsed()))
    }

    /// The environment the compose file and the scripts read for this deployment.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("COMPOSE_PROJECT_NAME", self.project.clone()),
            (
                "COMPOSE_FILE",
                repo().join("docker-compose.yml").display().to_string(),
            ),
            ("CONDUIT_TAG", TAG.to_owned()),
            ("CONDUIT_SECRETS", self.secrets.path().display().to_string()),
            ("PUBLIC_PORT", self.public_port.to_string()),
            ("STATS_PORT", self.stats_port.to_string()),
            ("TLS_PORT", self.tls_port.to_string()),
            (
                "CONDUIT_CERTS",
                self.secrets.path().join("certs").display().to_string(),
            ),
            (
                "HAPROXY_TLS_CERTS",
                if self.tls_ca.is_some() {
                    "/etc/haproxy/certs".to_owned()
                } else {
                    String::new()
                },
            ),
            ("DEMO_MODE", "1".to_owned()),
            // The tests' load all comes from one address: lift the per-address limits.
            ("SIGNUP_MAX_PER_HOUR", "1000000".to_owned()),
            ("HAPROXY_SOURCE_MAX_CONNS", "100000".to_owned()),
            ("HAPROXY_SOURCE_MAX_RATE", "100000000".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// `docker-compose ARGS` in this deployment's environment.
    pub fn compose(&self, args: &[&str]) -> Result<String, String> {
        run(Command::new("docker-compose")
            .args(args)
            .envs(self.env())
            .current_dir(repo()))
    }

    /// `docker-compose up -d --no-recreate --scale SERVICE=N...`: starts what is missing
    /// (the whole deployment the first time), scales the services named, and leaves every
    /// running container as it is.
    pub fn scale(&self, scale: &[(&str, usize)]) -> Result<String, String> {
        let mut args = vec!["up".to_owned(), "-d".to_owned(), "--no-recreate".to_owned()];
        for (service, n) in scale {
            args.extend(["--scale".to_owned(), format!("{service}={n}")]);
        }
        self.compose(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// `deploy/docker/<name> ARGS` in this deployment's environment.
    pub fn script(&self, name: &str, args: &[&str]) -> Result<String, String> {
        run(Command::new(repo().join("deploy/docker").join(name))
            .args(args)
            .envs(self.env())
            .current_dir(repo()))
    }

    /// Ids of the running containers of `service`.
    pub fn containers(&self, service: &str) -> Vec<String> {
        let project = format!("label=com.docker.compose.project={}", self.project);
        let service = format!("label=com.docker.compose.service={service}");
        docker(&[
            "ps",
            "-q",
            "--no-trunc",
            "--filter",
            &project,
            "--filter",
            &service,
        ])
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
    }

    /// The site's base URL.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.public_port)
    }

    /// HAProxy's stats address.
    pub fn stats(&self) -> String {
        format!("127.0.0.1:{}", self.stats_port)
    }

    /// Servers HAProxy has UP in `backend`.
    pub fn up_in(&self, backend: &str) -> usize {
        pool(&self.stats(), backend)
            .map(|p| p.iter().filter(|s| s.status.starts_with("UP")).count())
            .unwrap_or(0)
    }

    /// Waits until every running container of the project is healthy and HAProxy has
    /// exactly `scale`'s replicas UP in each tier's pool (1 for a tier `scale` leaves out).
    pub fn wait_healthy(
        &self,
        scale: &[(&str, usize)],
        timeout: Duration,
    ) -> Result<Duration, String> {
        let label = format!("label=com.docker.compose.project={}", self.project);
        let wanted = |tier: &str| {
            scale
                .iter()
                .find(|(s, _)| *s == tier)
                .map_or(1, |(_, n)| *n)
        };
        wait_until(
            timeout,
            "every container healthy and in HAProxy's pools",
            || {
                let statuses = docker(&["ps", "--filter", &label, "--format", "{{.Status}}"])
                    .unwrap_or_default();
                let all_healthy = !statuses.trim().is_empty()
                    && statuses.lines().all(|s| s.contains("(healthy)"));
                all_healthy
                    && ["web", "experience", "models"].iter().all(|t| {
                        self.containers(t).len() == wanted(t) && self.up_in(t) == wanted(t)
                    })
            },
        )
    }

    /// What went wrong, for a failed start: every container's state and last health
    /// check, and the last log lines of those that are not healthy.
    pub fn diagnosis(&self) -> String {
        let label = format!("label=com.docker.compose.project={}", self.project);
        let ids = docker(&["ps", "-aq", "--filter", &label]).unwrap_or_default();
        let mut out = String::new();
        for id in ids.split_whitespace() {
            let state = docker(&["inspect", "-f",
                "{{.Name}} {{.State.Status}} exit={{.State.ExitCode}} health={{if .State.Health}}{{.State.Health.Status}} {{range .State.Health.Log}}[{{.ExitCode}} {{.Output}}]{{end}}{{end}}", id])
                .unwrap_or_default();
            out.push_str(&state);
            if !state.contains("health=healthy") {
                let logs = run(Command::new("docker").args(["logs", "--tail", "30", id]))
                    .unwrap_or_else(|e| e);
                out.push_str(&logs);
            }
        }
        out
    }

    /// What a drill that saw a failure shows: HAProxy's log lines of the requests that
    /// failed or took 1 s or more (which frontend, server and timers), and the last warnings
    /// and errors of each tier's containers.
    pub fn failure_logs(&self) -> String {
        let logs = |service: &str| -> Vec<(String, String)> {
            self.containers(service)
                .into_iter()
                .map(|id| {
                    let out = Command::new("docker")
                        .args(["logs", &id])
                        .output()
                        .map(|o| {
                            String::from_utf8_lossy(&o.stdout).into_owned()
                                + &String::from_utf8_lossy(&o.stderr)
                        })
                        .unwrap_or_else(|e| e.to_string());
                    (id[..12].to_owned(), out)
                })
                .collect()
        };
        let mut out = String::from("HAProxy, failed or slow requests:\n");
        for (_, log) in logs("haproxy") {
            for line in conduit_stack::haproxy::failed_or_slow(&log, 1000)
                .iter()
                .take(40)
            {
                out.push_str(&format!("  {line}\n"));
            }
        }
        for tier in ["web", "experience", "models"] {
            for (id, log) in logs(tier) {
                let bad: Vec<&str> = log
                    .lines()
                    .filter(|l| l.contains("WARN") || l.contains("ERROR"))
                    .collect();
                out.push_str(&format!("{tier} {id}, warnings and errors:\n"));
                for line in &bad[bad.len().saturating_sub(20)..] {
                    out.push_str(&format!("  {line}\n"));
                }
            }
        }
        out
    }

    /// Containers, volumes and networks of this project that still exist.
    pub fn leftovers(&self) -> Vec<String> {
        let label = format!("label=com.docker.compose.project={}", self.project);
        let mut left = Vec::new();
        for kind in [["ps", "-a"], ["volume", "ls"], ["network", "ls"]] {
            let out = docker(&[kind[0], kind[1], "-q", "--filter", &label]).unwrap_or_default();
            left.extend(out.split_whitespace().map(|id| format!("{} {id}", kind[0])));
        }
        left
    }

    /// `docker-compose down -v`: containers, network and the database volume.
    pub fn down(&mut self) -> Result<(), String> {
        self.down = true;
        self.compose(&["down", "-v", "--remove-orphans", "--timeout", "20"])
            .map(drop)
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        if !self.down {
            let _ = self.down();
        }
    }
}

/// This engine as a one-node Docker Swarm: joined by `docker swarm init` when it was not a
/// swarm (and left again when dropped), used as it is when it already was one.
pub struct Swarm {
    initialized_here: bool,
}

impl Swarm {
    /// Makes sure the engine is a swarm manager.
    pub fn init() -> Result<Swarm, String> {
        let state = docker(&["info", "--format", "{{.Swarm.LocalNodeState}}"])?;
        if state.trim() == "active" {
            return Ok(Swarm {
                initialized_here: false,
            });
        }
        docker(&["swarm", "init", "--advertise-addr", "127.0.0.1"])?;
        watchdog("docker swarm leave --force")?;
        Ok(Swarm {
            initialized_here: true,
        })
    }
}

impl Drop for Swarm {
    fn drop(&mut self) {
        if self.initialized_here {
            let _ = docker(&["swarm", "leave", "--force"]);
        }
    }
}

/// A stack deployed from `docker-compose.yml` by `deploy/docker/swarm`, with its own
/// secrets and port; removed (with its volume) when dropped.
pub struct Stack {
    /// The stack's name.
    pub name: String,
    /// The published site port.
    pub public_port: u16,
    tls_port: u16,
    secrets: tempfile::TempDir,
    removed: bool,
}

impl Stack {
    /// `deploy/docker/swarm deploy`; returns once the API answers and every service has its
    /// replicas running, with the time that took.
    pub fn deploy() -> Result<(Stack, Duration), String> {
        let stack = Stack {
            name: format!("cs{}", std::process::id()),
            public_port: conduit_servers::procs::free_port()?,
            tls_port: conduit_servers::procs::free_port()?,
            secrets: tempfile::Builder::new()
                .prefix("conduit-secrets-")
                .tempdir()
                .map_err(|e| e.to_string())?,
            removed: false,
        };
        // The certificates' directory is mounted into HAProxy: Swarm wants it to exist.
        std::fs::create_dir_all(stack.secrets.path().join("certs")).map_err(|e| e.to_string())?;
        watchdog(&format!(
            "docker stack rm {name}; sleep 10; docker volume rm {name}_postgres-data",
            name = stack.name
        ))?;
        stack.script("secrets", &[])?;
        let started = Instant::now();
        stack.script("swarm", &["deploy", &stack.name])?;
        stack.wait_converged(Duration::from_secs(180))?;
        Ok((stack, started.elapsed()))
    }

    /// The environment the compose file and the scripts read for this stack.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("CONDUIT_TAG", TAG.to_owned()),
            ("CONDUIT_SECRETS", self.secrets.path().display().to_string()),
            ("PUBLIC_PORT", self.public_port.to_string()),
            ("TLS_PORT", self.tls_port.to_string()),
            (
                "CONDUIT_CERTS",
                self.secrets.path().join("certs").display().to_string(),
            ),
            ("DEMO_MODE", "1".to_owned()),
            // The tests' load all comes from one address: lift the per-address limits.
            ("SIGNUP_MAX_PER_HOUR", "1000000".to_owned()),
            ("HAPROXY_SOURCE_MAX_CONNS", "100000".to_owned()),
            ("HAPROXY_SOURCE_MAX_RATE", "100000000".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// `deploy/docker/<name> ARGS` in this stack's environment.
    pub fn script(&self, name: &str, args: &[&str]) -> Result<String, String> {
        run(Command::new(repo().join("deploy/docker").join(name))
            .args(args)
            .envs(self.env())
            .current_dir(repo()))
    }

    /// The site's base URL.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.public_port)
    }

    /// `(service, running/desired)` of every service of the stack.
    pub fn replicas(&self) -> Vec<(String, String)> {
        let label = format!("label=com.docker.stack.namespace={}", self.name);
        docker(&[
            "service",
            "ls",
            "--filter",
            &label,
            "--format",
            "{{.Name}} {{.Replicas}}",
        ])
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(n, r)| (n.to_owned(), r.to_owned()))
        .collect()
    }

    /// Waits until the API answers 200 and every long-running service has all its replicas.
    pub fn wait_converged(&self, timeout: Duration) -> Result<Duration, String> {
        let api = format!("{}/api/articles?limit=1", self.base());
        wait_until(timeout, "the stack to converge", || {
            let replicas = self.replicas();
            replicas.len() == 7
                && replicas
                    .iter()
                    .filter(|(n, _)| !n.ends_with("_migrate"))
                    .all(|(_, r)| r.split_once('/').is_some_and(|(a, b)| a == b && a != "0"))
                && get(&api).is_ok_and(|(s, _, _)| s == 200)
        })
    }

    /// The images the running tasks of `service` (without the stack prefix) run.
    pub fn task_images(&self, service: &str) -> Vec<String> {
        let label = format!("com.docker.swarm.service.name={}_{service}", self.name);
        docker(&[
            "ps",
            "--filter",
            &format!("label={label}"),
            "--format",
            "{{.Image}}",
        ])
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('@').next().unwrap_or(l).to_owned())
        .collect()
    }

    /// `deploy/docker/swarm rm`, then the stack's volume.
    pub fn remove(&mut self) -> Result<(), String> {
        self.removed = true;
        self.script("swarm", &["rm", &self.name])?;
        let volume = format!("{}_postgres-data", self.name);
        wait_until(
            Duration::from_secs(30),
            "the stack's volume to be free",
            || {
                docker(&["volume", "rm", &volume]).is_ok()
                    || docker(&["volume", "inspect", &volume]).is_err()
            },
        )
        .map(drop)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if !self.removed {
            let _ = self.remove();
        }
    }
}
