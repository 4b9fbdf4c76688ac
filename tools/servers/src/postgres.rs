//! One way to make a throwaway PostgreSQL cluster, for the local stack and the tests: find
//! the binaries, `initdb` a data directory, and the server's command line. PostgreSQL
//! refuses to run as root, so under root everything runs as the `postgres` user (Debian's
//! package creates it) through `setpriv`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::procs::{is_root, on_path, run, user_exists};

/// The directory of PostgreSQL's server binaries: `$CONDUIT_POSTGRES_BIN` when set (and
/// only there), else `PATH`, else Debian's newest `/usr/lib/postgresql/<version>/bin`.
pub fn postgres_bin_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("CONDUIT_POSTGRES_BIN") {
        let dir = PathBuf::from(dir);
        return if dir.join("initdb").is_file() {
            Ok(dir)
        } else {
            Err(format!(
                "no initdb in CONDUIT_POSTGRES_BIN={}",
                dir.display()
            ))
        };
    }
    // A PATH entry may be a symlink into the real directory, which also holds psql.
    if let Some(dir) = on_path("initdb")
        .and_then(|p| std::fs::canonicalize(p).ok())
        .and_then(|p| p.parent().map(Path::to_path_buf))
        && dir.join("postgres").is_file()
    {
        return Ok(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "no initdb/postgres on PATH or in /usr/lib/postgresql".to_owned())?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| "no initdb in /usr/lib/postgresql/*/bin".to_owned())
}

/// A cluster made by [`Cluster::init`]: its data directory, and who runs its server.
#[derive(Debug, Clone)]
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    /// `setpriv` and its arguments under root, else empty.
    as_user: Vec<String>,
}

impl Cluster {
    /// Makes a cluster in `dir/data` (`dir` is created): the `postgres` superuser with trust
    /// authentication, UTF8, the C locale, no fsync while it is made. Under root `dir` is
    /// given to the `postgres` user, who must be able to reach it.
    pub fn init(dir: &Path) -> Result<Self, String> {
        let bin = postgres_bin_dir()?;
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let as_user = if is_root() {
            if !user_exists("postgres") {
                return Err(
                    "running as root and there is no 'postgres' user to run PostgreSQL".into(),
                );
            }
            for d in dir.ancestors().skip(1) {
                let meta = std::fs::metadata(d).map_err(|e| format!("{}: {e}", d.display()))?;
                if meta.permissions().mode() & 0o001 == 0 {
                    return Err(format!(
                        "{} is not searchable by the 'postgres' user (chmod o+x it, or pick another directory)",
                        d.display()
                    ));
                }
            }
            run(
                Path::new("chown"),
                &["-R", "postgres:postgres", &dir.to_string_lossy()],
                &[],
            )?;
            [
                "setpriv",
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
            ]
            .map(String::from)
            .to_vec()
        } else {
            Vec::new()
        };
        let cluster = Self {
            bin,
            dir: dir.to_path_buf(),
            as_user,
        };
        let data = cluster.dir.join("data").to_string_lossy().into_owned();
        let (program, args) = cluster.command(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&program, &args, &[]).map_err(|e| format!("initdb: {e}"))?;
        Ok(cluster)
    }

    /// The server's command line: on 127.0.0.1:`port`, its Unix socket in the cluster's
    /// directory, with `settings` (`name=value`, each passed as `-c`).
    pub fn server(&self, port: u16, settings: &[&str]) -> (PathBuf, Vec<String>) {
        let data = self.dir.join("data").to_string_lossy().into_owned();
        let dir = self.dir.to_string_lossy().into_owned();
        let port = port.to_string();
        let mut args = vec!["-D", &data, "-p", &port, "-h", "127.0.0.1", "-k", &dir];
        for s in settings {
            args.extend(["-c", s]);
        }
        self.command("postgres", &args)
    }

    /// `psql` of the same installation.
    pub fn psql(&self) -> PathBuf {
        self.bin.join("psql")
    }

    /// The cluster's directory (`data/`, the socket; logs may go here).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `program` of the installation with `args`, as the server's user.
    fn command(&self, program: &str, args: &[&str]) -> (PathBuf, Vec<String>) {
        let program = self.bin.join(program);
        let args = args.iter().map(|a| (*a).to_owned());
        match self.as_user.split_first() {
            None => (program, args.collect()),
            Some((setpriv, rest)) => {
                let mut all = rest.to_vec();
                all.push(program.to_string_lossy().into_owned());
                all.extend(args);
                (PathBuf::from(setpriv), all)
            }
        }
    }
}

/// The URL of database `name` on a cluster on 127.0.0.1:`port` (the trusted superuser).
pub fn url(port: u16, name: &str) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/{name}")
}
