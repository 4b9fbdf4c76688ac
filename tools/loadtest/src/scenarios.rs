//! The load scenarios, as users of the site and of the API behave.
//!
//! - **reader**: a visitor: home page, a tag page, an article, a profile (page caching
//!   applies: this is what the cache is for).
//! - **writer**: a signed-in author: signs up once, signs in, publishes, comments, favorites
//!   (every step through the web forms, CSRF token included, as a browser would).
//! - **api**: a client of the public API: article lists, one article, tags, a filtered list,
//!   a profile.
//!
//! Articles, tags and authors are discovered from the site at start (`GET /api/articles`),
//! so the scenarios run against any data set.

use goose::prelude::*;
use serde::Deserialize;

/// What a user learned of the site when it started.
#[derive(Debug, Clone, Default)]
struct Known {
    slugs: Vec<String>,
    tags: Vec<String>,
    authors: Vec<String>,
    next: usize,
}

impl Known {
    fn pick<'a>(&mut self, from: &'a [String]) -> Option<&'a str> {
        self.next = self.next.wrapping_add(7);
        from.get(self.next % from.len().max(1)).map(String::as_str)
    }
}

#[derive(Deserialize)]
struct ListEnvelope {
    articles: Vec<ListedArticle>,
}

#[derive(Deserialize)]
struct ListedArticle {
    slug: String,
    #[serde(rename = "tagList")]
    tag_list: Vec<String>,
    author: ListedAuthor,
}

#[derive(Deserialize)]
struct ListedAuthor {
    username: String,
}

fn fail(why: impl Into<String>) -> Box<TransactionError> {
    Box::new(TransactionError::Custom(why.into()))
}

/// Learns slugs, tags and authors from the newest articles.
async fn discover(user: &mut GooseUser) -> TransactionResult {
    let response = user.get_named("/api/articles?limit=50", "discover").await?;
    let list: ListEnvelope = match response.response {
        Ok(r) => r
            .json()
            .await
            .map_err(|e| fail(format!("article list: {e}")))?,
        Err(e) => return Err(fail(format!("article list: {e}"))),
    };
    let mut known = Known::default();
    for a in list.articles {
        for t in a.tag_list {
            if !known.tags.contains(&t) {
                known.tags.push(t);
            }
        }
        if !known.authors.contains(&a.author.username) {
            known.authors.push(a.author.username);
        }
        known.slugs.push(a.slug);
    }
    if known.slugs.is_empty() {
        return Err(fail("the site has no articles to read"));
    }
    user.set_session_data(known);
    Ok(())
}

/// The next article, tag and author to visit (learning them first if this user has not).
async fn next_paths(
    user: &mut GooseUser,
) -> Result<(String, String, String), Box<TransactionError>> {
    if user.get_session_data::<Known>().is_none() {
        discover(user).await?;
    }
    let known = user.get_session_data_unchecked_mut::<Known>();
    let slugs = known.slugs.clone();
    let tags = known.tags.clone();
    let authors = known.authors.clone();
    Ok((
        known.pick(&slugs).unwrap_or_default().to_owned(),
        known.pick(&tags).unwrap_or("rust").to_owned(),
        known.pick(&authors).unwrap_or_default().to_owned(),
    ))
}

async fn read_home(user: &mut GooseUser) -> TransactionResult {
    user.get_named("/", "home").await?;
    Ok(())
}

async fn read_tag(user: &mut GooseUser) -> TransactionResult {
    let (_, tag, _) = next_paths(user).await?;
    user.get_named(&format!("/tag/{tag}"), "tag page").await?;
    Ok(())
}

async fn read_article(user: &mut GooseUser) -> TransactionResult {
    let (slug, _, _) = next_paths(user).await?;
    user.get_named(&format!("/article/{slug}"), "article page")
        .await?;
    Ok(())
}

async fn read_profile(user: &mut GooseUser) -> TransactionResult {
    let (_, _, author) = next_paths(user).await?;
    user.get_named(&format!("/profile/{author}"), "profile page")
        .await?;
    Ok(())
}

/// The anonymous reader.
pub fn reader() -> Scenario {
    scenario!("reader")
        .register_transaction(transaction!(discover).set_name("discover").set_on_start())
        .register_transaction(
            transaction!(read_home)
                .set_name("home")
                .set_weight(4)
                .expect("weight"),
        )
        .register_transaction(
            transaction!(read_tag)
                .set_name("tag page")
                .set_weight(2)
                .expect("weight"),
        )
        .register_transaction(
            transaction!(read_article)
                .set_name("article page")
                .set_weight(3)
                .expect("weight"),
        )
        .register_transaction(transaction!(read_profile).set_name("profile page"))
}

/// The CSRF token of the form on the page at `path`.
async fn csrf_of(
    user: &mut GooseUser,
    path: &str,
    name: &str,
) -> Result<String, Box<TransactionError>> {
    let page = user.get_named(path, name).await?;
    let html = match page.response {
        Ok(r) => r.text().await.map_err(|e| fail(format!("{path}: {e}")))?,
        Err(e) => return Err(fail(format!("{path}: {e}"))),
    };
    let marker = "name=\"csrf\" value=\"";
    let at = html
        .find(marker)
        .ok_or_else(|| fail(format!("{path}: no CSRF field")))?;
    let rest = &html[at + marker.len()..];
    Ok(rest[..rest.find('"').unwrap_or(0)].to_owned())
}

async fn post_form(
    user: &mut GooseUser,
    path: &str,
    name: &str,
    form: &[(&str, &str)],
) -> TransactionResult {
    let builder = user
        .get_request_builder(&GooseMethod::Post, path)?
        .form(form);
    let request = GooseRequest::builder()
        .method(GooseMethod::Post)
        .path(path)
        .name(name)
        .set_request_builder(builder)
        .build();
    let response = user.request(request).await?;
    match response.response {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(fail(format!("{name}: {}", r.status()))),
        Err(e) => Err(fail(format!("{name}: {e}"))),
    }
}

/// The writer's account.
#[derive(Debug, Clone)]
struct Account {
    email: String,
    known: Known,
}

async fn sign_up(user: &mut GooseUser) -> TransactionResult {
    discover(user).await?;
    let known = user.get_session_data_unchecked::<Known>().clone();
    let name = format!("load{}u{}", std::process::id(), user.weighted_users_index);
    let email = format!("{name}@load.example");
    let csrf = csrf_of(user, "/register", "sign-up form").await?;
    post_form(
        user,
        "/register",
        "sign up",
        &[
            ("csrf", &csrf),
            ("username", &name),
            ("email", &email),
            ("password", "load-test-password"),
        ],
    )
    .await?;
    user.set_session_data(Account { email, known });
    Ok(())
}

/// The writer's account, signing up first if this user has none yet.
async fn account(user: &mut GooseUser) -> Result<&mut Account, Box<TransactionError>> {
    if user.get_session_data::<Account>().is_none() {
        sign_up(user).await?;
    }
    Ok(user.get_session_data_unchecked_mut::<Account>())
}

async fn sign_in(user: &mut GooseUser) -> TransactionResult {
    account(user).await?;
    let email = user.get_session_data_unchecked::<Account>().email.clone();
    let csrf = csrf_of(user, "/login", "sign-in form").await?;
    post_form(
        user,
        "/login",
        "sign in",
        &[
            ("csrf", &csrf),
            ("email", &email),
            ("password", "load-test-password"),
        ],
    )
    .await
}

async fn writer_slug(user: &mut GooseUser) -> Result<String, Box<TransactionError>> {
    let account = account(user).await?;
    let slugs = account.known.slugs.clone();
    Ok(account.known.pick(&slugs).unwrap_or_default().to_owned())
}

async fn publish(user: &mut GooseUser) -> TransactionResult {
    account(user).await?;
    let csrf = csrf_of(user, "/editor", "editor").await?;
    let n = user.get_iterations();
    let title = format!(
        "Load test {} {} {n}",
        std::process::id(),
        user.weighted_users_index
    );
    post_form(
        user,
        "/editor",
        "publish",
        &[
            ("csrf", &csrf),
            ("title", &title),
            ("description", "written by the load test"),
            ("body", "Some *markdown* under load."),
            ("tags", "loadtest"),
        ],
    )
    .await
}

async fn comment(user: &mut GooseUser) -> TransactionResult {
    let slug = writer_slug(user).await?;
    let path = format!("/article/{slug}");
    let csrf = csrf_of(user, &path, "article page (signed in)").await?;
    post_form(
        user,
        &format!("{path}/comments"),
        "comment",
        &[("csrf", &csrf), ("body", "A comment from the load test")],
    )
    .await
}

async fn favorite(user: &mut GooseUser) -> TransactionResult {
    let slug = writer_slug(user).await?;
    let path = format!("/article/{slug}");
    let csrf = csrf_of(user, &path, "article page (signed in)").await?;
    // Favorite, then take it back: the article's count stays where it was.
    for action in ["favorite", "unfavorite"] {
        post_form(
            user,
            &format!("{path}/{action}"),
            action,
            &[("csrf", &csrf), ("next", &path)],
        )
        .await?;
    }
    Ok(())
}

/// The signed-in writer.
pub fn writer() -> Scenario {
    scenario!("writer")
        .register_transaction(transaction!(sign_up).set_name("sign up").set_on_start())
        .register_transaction(transaction!(sign_in).set_name("sign in"))
        .register_transaction(transaction!(publish).set_name("publish"))
        .register_transaction(
            transaction!(comment)
                .set_name("comment")
                .set_weight(2)
                .expect("weight"),
        )
        .register_transaction(
            transaction!(favorite)
                .set_name("favorite")
                .set_weight(2)
                .expect("weight"),
        )
}

async fn api_list(user: &mut GooseUser) -> TransactionResult {
    user.get_named("/api/articles?limit=20", "GET /api/articles")
        .await?;
    Ok(())
}

async fn api_article(user: &mut GooseUser) -> TransactionResult {
    let (slug, _, _) = next_paths(user).await?;
    user.get_named(&format!("/api/articles/{slug}"), "GET /api/articles/:slug")
        .await?;
    Ok(())
}

async fn api_tags(user: &mut GooseUser) -> TransactionResult {
    user.get_named("/api/tags", "GET /api/tags").await?;
    Ok(())
}

async fn api_by_tag(user: &mut GooseUser) -> TransactionResult {
    let (_, tag, _) = next_paths(user).await?;
    user.get_named(
        &format!("/api/articles?tag={tag}&limit=20"),
        "GET /api/articles?tag=",
    )
    .await?;
    Ok(())
}

async fn api_profile(user: &mut GooseUser) -> TransactionResult {
    let (_, _, author) = next_paths(user).await?;
    user.get_named(
        &format!("/api/profiles/{author}"),
        "GET /api/profiles/:username",
    )
    .await?;
    Ok(())
}

/// The API client mix.
pub fn api() -> Scenario {
    scenario!("api")
        .register_transaction(transaction!(discover).set_name("discover").set_on_start())
        .register_transaction(
            transaction!(api_list)
                .set_name("list")
                .set_weight(3)
                .expect("weight"),
        )
        .register_transaction(
            transaction!(api_article)
                .set_name("article")
                .set_weight(3)
                .expect("weight"),
        )
        .register_transaction(transaction!(api_tags).set_name("tags"))
        .register_transaction(
            transaction!(api_by_tag)
                .set_name("by tag")
                .set_weight(2)
                .expect("weight"),
        )
        .register_transaction(transaction!(api_profile).set_name("profile"))
}

/// One URL as fast as possible (the benchmark matrix's cases).
pub fn single(name: &str, path: &str) -> Scenario {
    let (name, path) = (name.to_owned(), path.to_owned());
    let label = name.clone();
    let hit: TransactionFunction = std::sync::Arc::new(move |user| {
        let (name, path) = (name.clone(), path.clone());
        Box::pin(async move {
            user.get_named(&path, &name).await?;
            Ok(())
        })
    });
    scenario!("single").register_transaction(Transaction::new(hit).set_name(&label))
}
