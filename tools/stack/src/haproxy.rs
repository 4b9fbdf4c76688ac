//! `deploy/haproxy/haproxy.cfg` for loopback instances, and what HAProxy says of its servers.
//!
//! The file finds servers through DNS (`server-template`), which loopback instances on
//! distinct ports cannot use; [`render`] replaces each `server-template` line with one
//! `server` line per instance, keeping every other line and the lines' own options.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The config with the `server-template <prefix> ...` line of each backend replaced by
/// `server <prefix><n> <addr> <options>` for every address `servers(prefix)` gives.
pub fn render(
    config: &str,
    servers: impl Fn(&str) -> Option<Vec<String>>,
) -> Result<String, String> {
    let mut out = String::with_capacity(config.len() + 512);
    for line in config.lines() {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("server-template ") {
            let indent = &line[..line.len() - trimmed.len()];
            let words: Vec<&str> = rest.split_whitespace().collect();
            let [prefix, _range, _fqdn, options @ ..] = words.as_slice() else {
                return Err(format!("cannot read {line:?}"));
            };
            let addrs = servers(prefix).ok_or_else(|| format!("no servers given for {prefix}"))?;
            let options = without_dns(options);
            for (i, addr) in addrs.iter().enumerate() {
                out.push_str(&format!(
                    "{indent}server {prefix}{} {addr} {options}\n",
                    i + 1
                ));
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(out)
}

/// The options without the DNS ones (`resolvers <name>`, `init-addr <how>`).
fn without_dns(options: &[&str]) -> String {
    let mut kept = Vec::new();
    let mut words = options.iter();
    while let Some(w) = words.next() {
        if matches!(*w, "resolvers" | "init-addr") {
            words.next();
        } else {
            kept.push(*w);
        }
    }
    kept.join(" ")
}

/// One server as HAProxy's runtime API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerState {
    /// The backend (`web`, `experience`, `models`).
    pub backend: String,
    /// The server (`web1`...).
    pub server: String,
    /// Its address (`127.0.0.1:9001`; what DNS gave a `server-template` slot, empty while
    /// the slot is unused).
    pub addr: String,
    /// `UP`, `DOWN`, `MAINT`, `UP 1/2`...
    pub status: String,
    /// Requests sent to it so far (`stot`).
    pub sessions: u64,
}

/// `show stat` through the admin socket at `addr`: every server of every backend.
pub fn servers(addr: &str) -> Result<Vec<ServerState>, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("HAProxy admin {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(b"show stat\n")
        .map_err(|e| format!("HAProxy admin {addr}: {e}"))?;
    let mut csv = String::new();
    // The answer ends with an empty line; the socket stays open until the timeout otherwise.
    for line in BufReader::new(stream).lines().map_while(Result::ok) {
        if line.is_empty() {
            break;
        }
        csv.push_str(&line);
        csv.push('\n');
    }
    parse_stat(&csv).map_err(|e| format!("HAProxy admin {addr}: {e}"))
}

/// Every server of every backend in HAProxy's statistics as CSV (the runtime API's `show
/// stat`, or the stats page's `;csv`).
pub fn parse_stat(csv: &str) -> Result<Vec<ServerState>, String> {
    let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().ok_or("empty statistics")?;
    let columns: Vec<&str> = header.trim_start_matches("# ").split(',').collect();
    let col = |name: &str| {
        columns
            .iter()
            .position(|c| *c == name)
            .ok_or_else(|| format!("no {name} column"))
    };
    let (px, sv, status, stot, addr) = (
        col("pxname")?,
        col("svname")?,
        col("status")?,
        col("stot")?,
        col("addr")?,
    );
    let last = px.max(sv).max(status).max(stot).max(addr);
    Ok(lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f.len() > last && !matches!(f[sv], "FRONTEND" | "BACKEND"))
        .map(|f| ServerState {
            backend: f[px].to_owned(),
            server: f[sv].to_owned(),
            addr: f[addr].to_owned(),
            status: f[status].to_owned(),
            sessions: f[stot].parse().unwrap_or(0),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_give_each_server_with_its_address_and_requests() {
        let csv = "# pxname,svname,qcur,stot,status,addr\n\
                   web,FRONTEND,,10,OPEN,\n\
                   web,web1,0,7,UP,10.0.0.5:8000\n\
                   web,web2,0,0,MAINT (resolution),\n\
                   web,BACKEND,0,7,UP,\n";
        let servers = parse_stat(csv).unwrap();
        assert_eq!(servers.len(), 2);
        assert_eq!(
            (
                servers[0].server.as_str(),
                servers[0].addr.as_str(),
                servers[0].sessions
            ),
            ("web1", "10.0.0.5:8000", 7)
        );
        assert_eq!(servers[1].status, "MAINT (resolution)");
        assert!(
            parse_stat("# pxname,svname\n")
                .unwrap_err()
                .contains("status")
        );
    }

    #[test]
    fn each_server_template_becomes_one_server_line_per_instance() {
        let config = "backend web\n    balance roundrobin\n    server-template web 1-8 \"${WEB_SERVERS-web:8000}\" check resolvers dns init-addr none\n";
        let out = render(config, |p| {
            (p == "web").then(|| vec!["127.0.0.1:9001".to_owned(), "127.0.0.1:9002".to_owned()])
        })
        .unwrap();
        assert_eq!(
            out,
            "backend web\n    balance roundrobin\n    server web1 127.0.0.1:9001 check\n    server web2 127.0.0.1:9002 check\n"
        );
        assert!(render(config, |_| None).unwrap_err().contains("web"));
    }
}
