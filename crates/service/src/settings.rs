//! Typed settings from environment variables, with errors that name the variable.

use std::fmt;
use std::str::FromStr;

/// A bad configuration value; its `Display` is the one line a service prints before it exits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable's name.
    pub name: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration error: {}: {}", self.name, self.reason)
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// An error about variable `name`.
    pub fn new(name: &str, reason: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Where settings come from: the process environment, or a map in tests.
pub trait Source {
    /// The raw value of `name`, if set and not empty.
    fn get(&self, name: &str) -> Option<String>;

    /// Parses `name`, or returns `default` when it is unset.
    fn parse_or<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|e| ConfigError::new(name, format!("cannot parse {raw:?}: {e}"))),
        }
    }

    /// A yes/no setting: `true`/`false`, `1`/`0`, `yes`/`no` or `on`/`off` (any case), as
    /// compose files and shells write them; `default` when unset.
    fn flag_or(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => match raw.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(ConfigError::new(
                    name,
                    format!("cannot parse {raw:?}: use true or false (1 or 0)"),
                )),
            },
        }
    }

    /// The string value of `name`, or `default` when it is unset.
    fn string_or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_owned())
    }
}

/// The process environment. Every setting can also come from a file: when `NAME` is unset
/// and `NAME_FILE` names a file, the file's content (without its trailing newline) is the
/// value, as Docker and Kubernetes secrets are mounted (`JWT_SECRET_FILE=/run/secrets/jwt`).
/// A `NAME_FILE` that cannot be read stops the process with one line naming it: a secret that
/// was meant to be there must never fall back to a default.
#[derive(Debug, Clone, Copy, Default)]
pub struct Env;

impl Source for Env {
    fn get(&self, name: &str) -> Option<String> {
        let set = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
        if let Some(value) = set(name) {
            return Some(value);
        }
        let path = set(&format!("{name}_FILE"))?;
        match read_value_file(&path) {
            Ok(value) => Some(value).filter(|v| !v.trim().is_empty()),
            Err(e) => {
                eprintln!("{}", ConfigError::new(&format!("{name}_FILE"), e));
                std::process::exit(2);
            }
        }
    }
}

/// A setting's value from a file: its content less the line ending an editor or `echo` adds.
pub fn read_value_file(path: &str) -> Result<String, String> {
    let content = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(content.trim_end_matches(['\n', '\r']).to_owned())
}

impl Source for std::collections::HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        std::collections::HashMap::get(self, name)
            .filter(|v| !v.trim().is_empty())
            .cloned()
    }
}

/// A value that must never appear in logs (database URLs with passwords, signing keys).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// 256 bits from the operating system's CSPRNG, as 64 hex digits: for a secret made at
    /// start (tests, the all-in-one launcher's first start) rather than read.
    pub fn random() -> Self {
        Self(random_hex::<32>())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// `N` bytes from the operating system's CSPRNG, hex-encoded. Panics only when the OS has no
/// random source at all, where no secret could be made safely anyway.
pub fn random_hex<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    hex(&bytes)
}

/// `bytes` as lower-case hex digits, two per byte.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A required secret: `name` must be set (or `name_FILE`) and hold at least 32 characters.
pub fn required_secret(env: &impl Source, name: &str) -> Result<Secret, ConfigError> {
    match env.get(name) {
        Some(s) if s.len() >= 32 => Ok(Secret::new(s)),
        Some(_) => Err(ConfigError::new(name, "must be at least 32 characters")),
        None => Err(ConfigError::new(
            name,
            format!(
                "is required (or {name}_FILE naming a file that holds it); make one with `openssl rand -hex 32`"
            ),
        )),
    }
}

/// An optional secret (a previous key kept during a rotation): at least 32 characters when set.
pub fn optional_secret(env: &impl Source, name: &str) -> Result<Option<Secret>, ConfigError> {
    match env.get(name) {
        Some(_) => required_secret(env, name).map(Some),
        None => Ok(None),
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn source(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn unset_and_empty_values_take_the_default() {
        let env = source(&[("EMPTY", "  ")]);
        assert_eq!(env.parse_or("EMPTY", 7u32), Ok(7));
        assert_eq!(env.parse_or("MISSING", 9u32), Ok(9));
    }

    #[test]
    fn flags_take_the_usual_spellings() {
        let env = source(&[("A", "1"), ("B", "False"), ("C", "yes"), ("D", "maybe")]);
        assert_eq!(env.flag_or("A", false), Ok(true));
        assert_eq!(env.flag_or("B", true), Ok(false));
        assert_eq!(env.flag_or("C", false), Ok(true));
        assert_eq!(env.flag_or("UNSET", true), Ok(true));
        assert_eq!(env.flag_or("D", false).unwrap_err().name, "D");
    }

    #[test]
    fn a_bad_value_names_the_variable_and_the_value() {
        let env = source(&[("DATABASE_POOL_SIZE", "ten")]);
        let err = env.parse_or("DATABASE_POOL_SIZE", 10u32).unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration error: DATABASE_POOL_SIZE: cannot parse \"ten\": invalid digit found in string"
        );
    }

    #[test]
    fn a_value_file_loses_only_its_line_ending() {
        let dir = std::env::temp_dir().join(format!("conduit-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secret");
        std::fs::write(&file, "  s3cret with spaces \n").unwrap();
        assert_eq!(
            read_value_file(file.to_str().unwrap()),
            Ok("  s3cret with spaces ".to_owned())
        );
        let missing = dir.join("missing");
        let err = read_value_file(missing.to_str().unwrap()).unwrap_err();
        assert!(err.starts_with("cannot read "), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn random_secrets_differ_and_required_ones_are_long() {
        let (a, b) = (Secret::random(), Secret::random());
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a, b);
        let env = source(&[("SHORT", "abc"), ("LONG", &"k".repeat(32))]);
        assert!(required_secret(&env, "SHORT").is_err());
        assert!(required_secret(&env, "MISSING").is_err());
        assert_eq!(
            required_secret(&env, "LONG").unwrap().expose(),
            "k".repeat(32)
        );
        assert_eq!(optional_secret(&env, "MISSING"), Ok(None));
        assert!(optional_secret(&env, "SHORT").is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("postgres://u:hunter2@h/db");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose(), "postgres://u:hunter2@h/db");
    }
}
