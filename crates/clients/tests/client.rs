//! The typed client against the real models service (SQLite, demo data), and against small
//! servers that misbehave on purpose (slow, not JSON) for the faults a real one cannot make.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use conduit_clients::{ClientConfig, ClientError, ModelsClient};
use conduit_wire::models::{
    ArticlePatch, ArticleQuery, NewArticle, NewComment, NewUser, UserPatch,
};

struct Models {
    client: ModelsClient,
    /// The same service, called without the internal credential.
    anonymous: ModelsClient,
    _dir: tempfile::TempDir,
}

fn spawn_models() -> Models {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.sqlite3").display());
    let demo: conduit_dataset::Dataset =
        serde_json::from_str(include_str!("../../../fixtures/demo.json")).unwrap();
    models::prepare_database(&url, Some(&demo)).unwrap();
    let settings = models::Settings::for_database(&url);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    actix_web::rt::spawn(models::run(listener, &settings).unwrap());
    let credential = settings.credential().unwrap();
    Models {
        client: ModelsClient::new(&ClientConfig::new(&base).with_credential(credential.secret()))
            .unwrap(),
        anonymous: ModelsClient::new(&ClientConfig::new(base)).unwrap(),
        _dir: dir,
    }
}

fn spawn_fake(handler: fn(HttpRequest) -> HttpResponse, delay: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        App::new().default_service(web::to(move |req: HttpRequest| async move {
            tokio::time::sleep(delay).await;
            handler(req)
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    base
}

#[actix_web::test]
async fn every_call_round_trips_through_the_real_service() {
    let m = spawn_models();
    let c = &m.client;
    let user = c
        .create_user(
            Some("rid-1"),
            &NewUser {
                username: "client user".into(),
                email: "client@x.example".into(),
                password_hash: "$argon2id$x".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(c.get_user(None, user.id).await.unwrap(), user);
    // Path segments are escaped: a username with a space and an email with '@'.
    assert_eq!(
        c.get_user_by_username(None, "client user").await.unwrap(),
        user
    );
    assert_eq!(
        c.get_user_by_email(None, "client@x.example").await.unwrap(),
        user
    );
    let creds = c.credentials(None, "client@x.example").await.unwrap();
    assert_eq!(creds.password_hash, "$argon2id$x");
    let patch = UserPatch {
        bio: Some(Some("Hi".into())),
        ..Default::default()
    };
    assert_eq!(
        c.update_user(None, user.id, &patch)
            .await
            .unwrap()
            .bio
            .as_deref(),
        Some("Hi")
    );

    assert!(c.follow(None, "ada", user.id).await.unwrap().following);
    assert!(
        c.get_profile(None, "ada", Some(user.id))
            .await
            .unwrap()
            .following
    );
    assert!(!c.unfollow(None, "ada", user.id).await.unwrap().following);

    let new = NewArticle {
        author_id: user.id,
        title: "Client article".into(),
        description: "d".into(),
        body: "b".into(),
        tag_list: vec!["client".into()],
    };
    let article = c.create_article(None, &new).await.unwrap();
    let slug = article.summary.slug.clone();
    assert_eq!(c.get_article(None, &slug, None).await.unwrap(), article);
    let patch = ArticlePatch {
        author_id: user.id,
        body: Some("b2".into()),
        ..Default::default()
    };
    assert_eq!(
        c.update_article(None, &slug, &patch).await.unwrap().body,
        "b2"
    );
    assert!(
        c.favorite(None, &slug, user.id)
            .await
            .unwrap()
            .summary
            .favorited
    );
    assert_eq!(
        c.unfavorite(None, &slug, user.id)
            .await
            .unwrap()
            .summary
            .favorites_count,
        0
    );
    let comment = c
        .create_comment(
            None,
            &slug,
            &NewComment {
                author_id: user.id,
                body: "c".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        c.list_comments(None, &slug, None).await.unwrap().comments,
        vec![comment.clone()]
    );
    c.delete_comment(None, &slug, comment.id, user.id)
        .await
        .unwrap();
    let list = c
        .list_articles(
            None,
            &ArticleQuery {
                tag: Some("client".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(list.articles_count, 1);
    assert!(
        c.tags(None)
            .await
            .unwrap()
            .tags
            .contains(&"client".to_owned())
    );
    c.delete_article(None, &slug, user.id).await.unwrap();
    c.health(None).await.unwrap();
}

#[actix_web::test]
async fn api_errors_decode_to_their_status_and_body() {
    let m = spawn_models();
    let err = m
        .client
        .get_article(None, "missing", None)
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    match err {
        ClientError::Api { status, body, .. } => {
            assert_eq!(status, 404);
            assert_eq!(body.errors["article"], vec!["not found".to_owned()]);
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    let err = m
        .client
        .create_user(
            None,
            &NewUser {
                username: "ada".into(),
                email: "n@x".into(),
                password_hash: "h".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(409));
}

#[actix_web::test]
async fn models_answers_only_a_caller_with_the_credential() {
    let m = spawn_models();
    let err = m.anonymous.tags(None).await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    let err = m
        .anonymous
        .credentials(None, "ada@conduit.example")
        .await
        .unwrap_err();
    assert_eq!(
        err.status(),
        Some(401),
        "password hashes stay inside: {err}"
    );
    m.anonymous
        .health(None)
        .await
        .expect("probes need no credential");
    assert!(m.client.tags(None).await.is_ok());
}

#[actix_web::test]
async fn a_dot_segment_names_nothing_and_reaches_no_other_route() {
    let m = spawn_models();
    for slug in ["..", "."] {
        let err = m.client.get_article(None, slug, None).await.unwrap_err();
        assert_eq!(err.status(), Some(404), "{slug}: {err}");
        let err = m.client.get_profile(None, slug, None).await.unwrap_err();
        assert_eq!(err.status(), Some(404), "{slug}: {err}");
    }
    // A dot inside a name is an ordinary character.
    let err = m.client.get_article(None, "a..b", None).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[actix_web::test]
async fn the_request_id_is_forwarded() {
    fn echo(req: HttpRequest) -> HttpResponse {
        let id = req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none");
        HttpResponse::Ok().json(serde_json::json!({"tags": [id]}))
    }
    let base = spawn_fake(echo, Duration::ZERO);
    let client = ModelsClient::new(&ClientConfig::new(base)).unwrap();
    assert_eq!(
        client.tags(Some("abc-123")).await.unwrap().tags,
        ["abc-123"]
    );
    assert_eq!(client.tags(None).await.unwrap().tags, ["none"]);
}

#[actix_web::test]
async fn a_slow_server_times_out_and_a_closed_port_is_unreachable() {
    fn ok(_: HttpRequest) -> HttpResponse {
        HttpResponse::Ok().json(serde_json::json!({"tags": []}))
    }
    let base = spawn_fake(ok, Duration::from_secs(3));
    let mut config = ClientConfig::new(base);
    config.timeout = Duration::from_millis(200);
    let started = std::time::Instant::now();
    let err = ModelsClient::new(&config)
        .unwrap()
        .tags(None)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Timeout), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = ModelsClient::new(&ClientConfig::new(format!("http://127.0.0.1:{port}"))).unwrap();
    assert!(matches!(
        client.tags(None).await.unwrap_err(),
        ClientError::Unreachable(_)
    ));
}

#[actix_web::test]
async fn a_non_json_error_is_a_protocol_error() {
    fn plain(_: HttpRequest) -> HttpResponse {
        HttpResponse::InternalServerError().body("upstream exploded")
    }
    let base = spawn_fake(plain, Duration::ZERO);
    let client = ModelsClient::new(&ClientConfig::new(base)).unwrap();
    let err = client.tags(None).await.unwrap_err();
    assert!(
        matches!(err, ClientError::Protocol(ref m) if m.contains("upstream exploded")),
        "{err:?}"
    );
}

#[actix_web::test]
async fn a_load_balancers_own_502_503_and_504_mean_unreachable_and_timed_out() {
    fn bad_gateway(_: HttpRequest) -> HttpResponse {
        HttpResponse::BadGateway().body("<html><h1>502 Bad Gateway</h1></html>")
    }
    fn unavailable(_: HttpRequest) -> HttpResponse {
        HttpResponse::ServiceUnavailable().body("<html>No server is available</html>")
    }
    fn gateway_timeout(_: HttpRequest) -> HttpResponse {
        HttpResponse::GatewayTimeout().body("<html>504 Gateway Time-out</html>")
    }
    let client =
        ModelsClient::new(&ClientConfig::new(spawn_fake(unavailable, Duration::ZERO))).unwrap();
    let err = client.tags(None).await.unwrap_err();
    assert!(
        matches!(err, ClientError::NoInstance(ref m) if m.contains("from a proxy")),
        "{err:?}"
    );
    // A 502: the instance may have done the work before it failed; the outcome is unknown.
    let client =
        ModelsClient::new(&ClientConfig::new(spawn_fake(bad_gateway, Duration::ZERO))).unwrap();
    let err = client.tags(None).await.unwrap_err();
    assert!(
        matches!(err, ClientError::Interrupted(ref m) if m.contains("from a proxy")),
        "{err:?}"
    );
    let base = spawn_fake(gateway_timeout, Duration::ZERO);
    let client = ModelsClient::new(&ClientConfig::new(base)).unwrap();
    assert!(matches!(
        client.tags(None).await.unwrap_err(),
        ClientError::Timeout
    ));
}
