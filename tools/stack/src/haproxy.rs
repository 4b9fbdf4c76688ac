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

/// The lines of an HAProxy log (`option httplog`) whose request failed (status 500 or
/// more, or none) or took `slow_ms` or longer in all (`Ta`): what to show when a drill saw a
/// failure, with the frontend, the server and the timers that say where the time went.
pub fn failed_or_slow(log: &str, slow_ms: i64) -> Vec<&str> {
    log.lines()
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.windows(2).any(|w| {
                let timers: Vec<i64> = w[0].split('/').filter_map(|t| t.parse().ok()).collect();
                let (count, status) = (w[0].split('/').count(), w[1].parse::<i64>());
                count == 5
                    && timers.len() == 5
                    && status.is_ok_and(|s| !(100..500).contains(&s) || timers[4] >= slow_ms)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_lines_shown_are_the_failed_and_the_slow_requests() {
        let log = "\
127.0.0.1:5000 [08/Dec/2026:01:00:00.000] public experience/experience1 0/0/0/3/3 201 310 - - ---- 5/5/0/0/0 0/0 {a} \"POST /api/articles HTTP/1.1\"
127.0.0.1:5001 [08/Dec/2026:01:00:00.100] models_internal models/models2 0/0/2001/1040/3041 201 300 - - ---- 5/5/0/0/0 0/0 {b} \"POST /articles HTTP/1.1\"
127.0.0.1:5002 [08/Dec/2026:01:00:00.200] public experience/experience2 0/0/0/3001/3001 504 120 - - ---- 5/5/0/0/0 0/0 {c} \"POST /api/articles HTTP/1.1\"
127.0.0.1:5003 [08/Dec/2026:01:00:00.300] public web/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 5/5/0/0/0 0/0 {d} \"GET / HTTP/1.1\"
[WARNING]  (8) : Server models/models1 is DOWN, reason: Layer7 wrong status, code: 503.
";
        let shown = failed_or_slow(log, 2000);
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert!(shown[0].contains("{b}") && shown[1].contains("{c}") && shown[2].contains("{d}"));
    }

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
