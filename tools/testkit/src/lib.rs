//! The test kit: private, throwaway instances of the real servers the tests need, started
//! from binaries on the machine and removed afterwards.
//!
//! A test that needs a server it cannot find calls [`require`]: without `CI=true` it prints
//! why it is skipped and the test returns early; under `CI=true` it fails, so CI can never
//! pass by skipping.

pub mod databases;
pub mod load;
pub mod memcached;
pub mod postgres;

/// The internal credential of every tier a test process starts in-process: random, made
/// once per process (tests share it as the tiers of one deployment do).
pub fn credential() -> conduit_service::internal::InternalCredential {
    static CREDENTIAL: std::sync::OnceLock<conduit_service::internal::InternalCredential> =
        std::sync::OnceLock::new();
    CREDENTIAL
        .get_or_init(conduit_service::internal::InternalCredential::random)
        .clone()
}

/// An HTTP client that presents [`credential`] on every request, as a tier's typed client
/// does (tests that call models, or experience's page endpoints, directly).
pub fn internal_http() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let value = reqwest::header::HeaderValue::from_str(credential().secret().expose())
        .unwrap_or_else(|_| unreachable!("hex is a header value"));
    headers.insert(conduit_service::internal::CREDENTIAL_HEADER, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap_or_else(|e| panic!("an HTTP client: {e}"))
}

/// True when running under CI (`CI=true`), where every real server is mandatory.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Unwraps a server the test needs: `None` (after printing the reason) when it is missing
/// and we are not in CI; a panic naming it when we are.
pub fn require<T>(what: &str, found: Result<T, String>) -> Option<T> {
    match found {
        Ok(v) => Some(v),
        Err(why) if in_ci() => panic!("{what} is required under CI=true: {why}"),
        Err(why) => {
            say_once(&format!("skipped: {what} not available: {why}"));
            None
        }
    }
}

/// Prints a line to the real stderr once per process: the test harness captures `eprintln!`
/// of passing tests, and a skip must be visible.
fn say_once(line: &str) {
    use std::io::Write;
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if !said.iter().any(|s| s == line) {
        said.push(line.to_owned());
        let _ = writeln!(
            std::io::stderr(),
            "{line} (tests that need it pass without running)"
        );
    }
}

/// Generates one test per backend from one async body. `$app::spawn(Backend)` must return
/// `Option<$app>` (`None` skips); the body becomes `fn name(app: $app)`, and `name::sqlite`
/// and `name::postgres` are the tests.
///
/// ```ignore
/// conduit_testkit::backend_tests! { crate::helpers::TestApp;
///     async fn health_answers(app) { assert_eq!(app.get("/health").await.0, 200); }
/// }
/// ```
#[macro_export]
macro_rules! backend_tests {
    ($app_ty:ty; $(async fn $name:ident($app:ident) $body:block)*) => {$(
        async fn $name($app: $app_ty) $body

        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                if let Some(app) = <$app_ty>::spawn($crate::databases::Backend::Sqlite).await {
                    super::$name(app).await;
                }
            }

            #[actix_web::test]
            async fn postgres() {
                if let Some(app) = <$app_ty>::spawn($crate::databases::Backend::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
    )*};
}
