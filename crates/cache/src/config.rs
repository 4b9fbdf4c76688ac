//! `MEMCACHED_URL`: where the cache lives and how long a call may take.
//!
//! `memcache://host:port[,host:port...][?timeout=0.1&connect_timeout=0.1&pool=8]`, timeouts in
//! seconds (fractions allowed) as in the memcache crate's own URLs. Both timeouts default to
//! 0.1 s: a page never waits longer than that on the cache. `pool` is the number of
//! connections each worker thread keeps (default 8), so an instance holds
//! `workers x pool` connections at most.

use std::fmt;
use std::time::Duration;

/// The parsed `MEMCACHED_URL`.
#[derive(Clone, PartialEq, Eq)]
pub struct MemcachedConfig {
    /// `host:port` of every server; keys are spread over them.
    pub servers: Vec<String>,
    /// Bound on one exchange (a request and its answer).
    pub timeout: Duration,
    /// Bound on dialing a server.
    pub connect_timeout: Duration,
    /// Connections per worker thread.
    pub pool: usize,
}

impl fmt::Debug for MemcachedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for MemcachedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "memcached {} (timeout {:?}, connect {:?}, {} connections a worker)",
            self.servers.join(","),
            self.timeout,
            self.connect_timeout,
            self.pool
        )
    }
}

impl MemcachedConfig {
    /// Parses a `memcache://` URL; the error says what is wrong in one line.
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("memcache://")
            .ok_or_else(|| format!("{url:?} must start with memcache://"))?;
        let (hosts, query) = rest.split_once('?').unwrap_or((rest, ""));
        let hosts = hosts.trim_end_matches('/');
        let mut servers = Vec::new();
        for host in hosts.split(',') {
            let (name, port) = host
                .rsplit_once(':')
                .ok_or_else(|| format!("server {host:?} needs a port (host:11211)"))?;
            if name.is_empty() || port.parse::<u16>().is_err() {
                return Err(format!("server {host:?} is not host:port"));
            }
            servers.push(host.to_owned());
        }
        let mut config = Self {
            servers,
            timeout: Duration::from_millis(100),
            connect_timeout: Duration::from_millis(100),
            pool: 8,
        };
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match name.as_ref() {
                "timeout" => config.timeout = seconds(&name, &value)?,
                "connect_timeout" => config.connect_timeout = seconds(&name, &value)?,
                "pool" => {
                    config.pool = value
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| format!("pool={value:?} is not a positive number"))?;
                }
                other => {
                    return Err(format!(
                        "unknown option {other:?} (timeout, connect_timeout, pool)"
                    ));
                }
            }
        }
        Ok(config)
    }
}

fn seconds(name: &str, value: &str) -> Result<Duration, String> {
    value
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 60.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{name}={value:?} is not a number of seconds in (0, 60]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bound_every_call_to_a_tenth_of_a_second() {
        let c = MemcachedConfig::parse("memcache://127.0.0.1:11211").unwrap();
        assert_eq!(c.servers, ["127.0.0.1:11211"]);
        assert_eq!(c.timeout, Duration::from_millis(100));
        assert_eq!(c.connect_timeout, Duration::from_millis(100));
        assert_eq!(c.pool, 8);
    }

    #[test]
    fn timeouts_pool_and_several_servers_come_from_the_url() {
        let c = MemcachedConfig::parse(
            "memcache://cache-a:11211,cache-b:11212?timeout=0.05&connect_timeout=0.25&pool=3",
        )
        .unwrap();
        assert_eq!(c.servers, ["cache-a:11211", "cache-b:11212"]);
        assert_eq!(c.timeout, Duration::from_millis(50));
        assert_eq!(c.connect_timeout, Duration::from_millis(250));
        assert_eq!(c.pool, 3);
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        for (url, says) in [
            ("http://x:1", "memcache://"),
            ("memcache://cache", "needs a port"),
            ("memcache://cache:port", "not host:port"),
            ("memcache://c:1?timeout=0", "seconds"),
            ("memcache://c:1?timeout=soon", "seconds"),
            ("memcache://c:1?pool=0", "positive"),
            ("memcache://c:1?retries=3", "unknown option"),
        ] {
            let err = MemcachedConfig::parse(url).unwrap_err();
            assert!(err.contains(says), "{url}: {err}");
        }
    }
}
