//! Each tier's settings, read as that tier's own binary reads them (`Settings::from_source`
//! over the environment), with the few values the launcher decides itself on top: where each
//! tier listens and finds the next, the credential the three share, demo mode, and the
//! embedded defaults ([`EMBEDDED_DEFAULTS`]). docs/configuration.md, "`cargo run`".

use std::collections::HashMap;

use conduit_service::settings::{ConfigError, Secret, Source};

/// Defaults of `cargo run` that differ from a deployed tier's, each overridable by its
/// variable. The embedded site is for trying Conduit and for building clients on one machine:
/// a client's end-to-end suite signs up a new user in every test, all from 127.0.0.1, so the
/// per-address sign-up limit (20 an hour deployed) would fail such a suite from its 21st test.
/// The sign-in limits stay as deployed: they guard passwords, and a suite meets them only
/// when it tests them.
pub const EMBEDDED_DEFAULTS: &[(&str, &str)] = &[("SIGNUP_MAX_PER_HOUR", "100000")];

/// The environment under what the launcher decides: `forced` values first (an empty one
/// reads as unset), then the environment, then `defaults`.
struct Overlay<'a, S> {
    env: &'a S,
    forced: HashMap<&'static str, String>,
    defaults: HashMap<&'static str, String>,
}

impl<S: Source> Source for Overlay<'_, S> {
    fn get(&self, name: &str) -> Option<String> {
        match self.forced.get(name) {
            Some(v) => Some(v.clone()).filter(|v| !v.is_empty()),
            None => self
                .env
                .get(name)
                .or_else(|| self.defaults.get(name).cloned()),
        }
    }
}

/// Where the launcher serves each tier.
pub struct Binds {
    /// models' address.
    pub models: String,
    /// experience's address.
    pub experience: String,
    /// web's address.
    pub web: String,
}

/// The three tiers' settings as `cargo run` serves them.
pub struct Tiers {
    /// models, over `DATABASE_URL` (or the SQLite file in `.data/`).
    pub models: models::Settings,
    /// experience, calling models on its bind.
    pub experience: experience::Settings,
    /// web, calling experience on its bind.
    pub web: web::Settings,
}

fn overlay<'a, S: Source>(
    env: &'a S,
    forced: &[(&'static str, String)],
    defaults: &[(&'static str, String)],
) -> Overlay<'a, S> {
    Overlay {
        env,
        forced: forced.iter().cloned().collect(),
        defaults: defaults.iter().cloned().collect(),
    }
}

/// Reads the tiers' settings from `env`. `credential` is the one the three present to each
/// other (random for each start); `signing_key` gives the token key when `JWT_SECRET` is
/// unset (the key kept beside the database). The page cache is the same for web and
/// experience: memcached at `MEMCACHED_URL`, else one in-process store.
pub fn settings(
    env: &impl Source,
    binds: &Binds,
    credential: &Secret,
    signing_key: impl FnOnce(&str) -> Result<Secret, String>,
) -> Result<Tiers, String> {
    let shared = [
        ("INTERNAL_CREDENTIAL", credential.expose().to_owned()),
        ("INTERNAL_CREDENTIAL_PREVIOUS", String::new()),
    ];
    let with = |own: &[(&'static str, String)]| [&shared[..], own].concat();
    let text = |e: ConfigError| e.to_string();

    let models =
        models::Settings::from_source(&overlay(env, &with(&[("BIND", binds.models.clone())]), &[]))
            .map_err(text)?;

    let mut defaults: Vec<(&'static str, String)> = EMBEDDED_DEFAULTS
        .iter()
        .map(|(k, v)| (*k, (*v).to_owned()))
        .collect();
    if env.get("JWT_SECRET").is_none() {
        let key = signing_key(models.database_url.expose())?;
        defaults.push(("JWT_SECRET", key.expose().to_owned()));
    }
    let mut experience = experience::Settings::from_source(&overlay(
        env,
        &with(&[
            ("BIND", binds.experience.clone()),
            ("MODELS_URL", format!("http://{}", binds.models)),
        ]),
        &defaults,
    ))
    .map_err(text)?;

    // The demo data is loaded into an empty database: every page says its password is public.
    let mut web = web::Settings::from_source(&overlay(
        env,
        &with(&[
            ("BIND", binds.web.clone()),
            ("EXPERIENCE_URL", format!("http://{}", binds.experience)),
            ("DEMO_MODE", "true".to_owned()),
        ]),
        &[],
    ))
    .map_err(text)?;

    if env.get("MEMCACHED_URL").is_none() {
        let store = conduit_cache::CacheConfig::in_process();
        experience.page_cache = store.clone();
        web.page_cache = store;
    }
    Ok(Tiers {
        models,
        experience,
        web,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binds() -> Binds {
        Binds {
            models: "127.0.0.1:18001".to_owned(),
            experience: "127.0.0.1:18002".to_owned(),
            web: "127.0.0.1:18000".to_owned(),
        }
    }

    fn read(pairs: &[(&str, &str)]) -> Result<Tiers, String> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let credential = Secret::new("c".repeat(32));
        settings(&env, &binds(), &credential, |_| {
            Ok(Secret::new("k".repeat(32)))
        })
    }

    #[test]
    fn every_tier_takes_its_variables_from_the_environment() {
        let tiers = read(&[
            ("DATABASE_POOL_SIZE", "3"),
            ("DATABASE_TIMEOUT_MS", "750"),
            ("SIGNUP_MAX_PER_HOUR", "7"),
            ("LOGIN_MAX_FAILURES", "9"),
            ("MODELS_TIMEOUT_MS", "1500"),
            ("PAGE_CACHE_TTL", "42"),
            ("EXPERIENCE_TIMEOUT_MS", "2500"),
            ("BODY_LIMIT", "4096"),
        ])
        .unwrap();
        assert_eq!(tiers.models.pool_size, 3);
        assert_eq!(tiers.models.pool_timeout.as_millis(), 750);
        assert_eq!(tiers.experience.signup_max_per_hour, 7);
        assert_eq!(tiers.experience.login_max_failures, 9);
        assert_eq!(tiers.experience.models_timeout.as_millis(), 1500);
        assert_eq!(tiers.web.page_cache_ttl.as_secs(), 42);
        assert_eq!(tiers.web.experience_timeout.as_millis(), 2500);
        assert_eq!(
            [
                tiers.models.body_limit,
                tiers.experience.body_limit,
                tiers.web.body_limit
            ],
            [4096; 3]
        );
    }

    #[test]
    fn the_launcher_decides_the_addresses_the_credential_and_demo_mode() {
        let tiers = read(&[
            ("BIND", "0.0.0.0:1"),
            ("MODELS_URL", "http://elsewhere:1"),
            ("EXPERIENCE_URL", "http://elsewhere:2"),
            ("INTERNAL_CREDENTIAL", &"x".repeat(40)),
            ("INTERNAL_CREDENTIAL_PREVIOUS", &"y".repeat(40)),
            ("DEMO_MODE", "false"),
        ])
        .unwrap();
        assert_eq!(tiers.models.bind, "127.0.0.1:18001");
        assert_eq!(tiers.experience.bind, "127.0.0.1:18002");
        assert_eq!(tiers.web.bind, "127.0.0.1:18000");
        assert_eq!(tiers.experience.models_url, "http://127.0.0.1:18001");
        assert_eq!(tiers.web.experience_url, "http://127.0.0.1:18002");
        let ours = "c".repeat(32);
        let models = tiers.models.internal_credential.unwrap();
        for credential in [
            &models,
            &tiers.experience.internal_credential,
            &tiers.web.internal_credential,
        ] {
            assert_eq!(credential.secret().expose(), ours);
            assert!(credential.previous().is_none());
        }
        assert!(tiers.web.demo_mode);
    }

    #[test]
    fn embedded_defaults_and_the_signing_key_give_way_to_the_environment() {
        let tiers = read(&[]).unwrap();
        assert_eq!(tiers.experience.signup_max_per_hour, 100_000);
        assert_eq!(tiers.experience.jwt_secret.expose(), "k".repeat(32));
        assert_eq!(
            tiers.experience.login_max_failures, 5,
            "sign-in limits as deployed"
        );
        let tiers = read(&[("JWT_SECRET", &"j".repeat(32))]).unwrap();
        assert_eq!(tiers.experience.jwt_secret.expose(), "j".repeat(32));
        assert!(
            read(&[("JWT_SECRET", "short")])
                .err()
                .unwrap()
                .contains("JWT_SECRET")
        );
        assert!(
            read(&[("PAGE_CACHE_TTL", "0")])
                .err()
                .unwrap()
                .contains("PAGE_CACHE_TTL")
        );
        assert!(
            read(&[("DATABASE_POOL_SIZE", "x")])
                .err()
                .unwrap()
                .contains("DATABASE_POOL_SIZE")
        );
    }
}
