//! Articles, the feed, favorites, comments and tags.

use actix_web::{HttpRequest, HttpResponse, web};
use conduit_service::RequestId;
use conduit_wire::api::{
    Article, ArticleEnvelope, ArticleUpdate, Articles, CommentEnvelope, Comments, NewArticle,
    NewComment, Profile, Tags,
};
use conduit_wire::models::{self, Viewing, ViewingQuery};
use serde::Deserialize;

use crate::auth::{CurrentUser, MaybeUser, Viewer};
use crate::error::Error;
use crate::validate::{self, Check};
use crate::{AppState, convert, shared};

type Result = std::result::Result<HttpResponse, Error>;

/// Largest page the API returns; larger `limit`s are served as this.
pub const MAX_LIMIT: i64 = 100;

/// Query of the list endpoints: numbers arrive as text so that a bad one is a 422 naming
/// the parameter.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    tag: Option<String>,
    author: Option<String>,
    favorited: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// Validated `limit` (default 20, at most [`MAX_LIMIT`]) and `offset` (default 0).
pub fn paging(limit: Option<&str>, offset: Option<&str>) -> std::result::Result<(i64, i64), Error> {
    let mut check = Check::new();
    let limit = match limit.map(str::trim).filter(|s| !s.is_empty()) {
        None => 20,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 1 => n.min(MAX_LIMIT),
            _ => {
                check.rule(true, "limit", "must be an integer of at least 1");
                0
            }
        },
    };
    let offset = match offset.map(str::trim).filter(|s| !s.is_empty()) {
        None => 0,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 0 => n,
            _ => {
                check.rule(true, "offset", "must be an integer of at least 0");
                0
            }
        },
    };
    check.finish()?;
    Ok((limit, offset))
}

fn articles(list: models::ArticleList) -> Articles {
    Articles {
        articles: list.articles.into_iter().map(convert::summary).collect(),
        articles_count: list.articles_count,
    }
}

pub async fn list_articles(
    req: HttpRequest,
    state: web::Data<AppState>,
    rid: RequestId,
    viewer: Viewer,
    params: web::Query<ListParams>,
) -> Result {
    let (limit, offset) = paging(params.limit.as_deref(), params.offset.as_deref())?;
    let params = params.into_inner();
    // Clients send empty filters (`?tag=&author=`): an empty filter is no filter.
    let given = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let query = models::ArticleQuery {
        tag: given(params.tag),
        author: given(params.author),
        favorited: given(params.favorited),
        feed: None,
        viewer: None,
        limit: Some(limit),
        offset: Some(offset),
    };
    let rid = Some(rid.as_str());
    let fetch = |viewer| {
        let query = models::ArticleQuery {
            viewer,
            ..query.clone()
        };
        let state = &state;
        async move { Ok(articles(state.models.list_articles(rid, &query).await?)) }
    };
    let ask = |list: &Articles| ViewingQuery {
        slugs: list.articles.iter().map(|a| a.slug.clone()).collect(),
        authors: authors(list.articles.iter().map(|a| &a.author)),
    };
    let apply = |list: &mut Articles, flags: &Viewing| {
        for article in &mut list.articles {
            set_flags(article, flags);
        }
    };
    let list = shared::read(&req, &state, rid, viewer, fetch, ask, apply).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// The distinct usernames of `profiles`.
fn authors<'a>(profiles: impl Iterator<Item = &'a Profile>) -> Vec<String> {
    let mut names: Vec<String> = profiles.map(|p| p.username.clone()).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The reader's flags on an article shared by every reader.
fn set_flags(article: &mut Article, flags: &Viewing) {
    article.favorited = flags.favorited.contains(&article.slug);
    article.author.following = flags.following.contains(&article.author.username);
}

pub async fn feed(
    state: web::Data<AppState>,
    rid: RequestId,
    me: CurrentUser,
    params: web::Query<ListParams>,
) -> Result {
    let (limit, offset) = paging(params.limit.as_deref(), params.offset.as_deref())?;
    let query = models::ArticleQuery {
        feed: Some(me.id),
        viewer: Some(me.id),
        limit: Some(limit),
        offset: Some(offset),
        ..Default::default()
    };
    let list = state
        .models
        .list_articles(Some(rid.as_str()), &query)
        .await?;
    Ok(HttpResponse::Ok().json(articles(list)))
}

pub async fn get_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    rid: RequestId,
    viewer: Viewer,
    slug: web::Path<String>,
) -> Result {
    let rid = Some(rid.as_str());
    let fetch = |viewer| {
        let (state, slug) = (&state, &slug);
        async move {
            let article = state.models.get_article(rid, slug, viewer).await?;
            Ok(ArticleEnvelope {
                article: convert::article(article),
            })
        }
    };
    let ask = |found: &ArticleEnvelope<Article>| ViewingQuery {
        slugs: vec![found.article.slug.clone()],
        authors: vec![found.article.author.username.clone()],
    };
    let apply = |found: &mut ArticleEnvelope<Article>, flags: &Viewing| {
        set_flags(&mut found.article, flags);
    };
    let article = shared::read(&req, &state, rid, viewer, fetch, ask, apply).await?;
    Ok(HttpResponse::Ok().json(article))
}

pub async fn create_article(
    state: web::Data<AppState>,
    rid: RequestId,
    me: CurrentUser,
    body: web::Json<ArticleEnvelope<NewArticle>>,
) -> Result {
    let new = body.into_inner().article;
    let mut check = Check::new();
    let title = check.required("title", new.title.as_deref());
    let description = check.required("description", new.description.as_deref());
    let body = check.required("body", new.body.as_deref());
    let tag_list = match new.tag_list {
        None => Vec::new(),
        Some(None) => {
            check.rule(true, "tagList", "can't be null");
            Vec::new()
        }
        Some(Some(tags)) => tags,
    };
    validate::article_fields(&mut check, &title, &description, &tag_list);
    validate::article_body(&mut check, &body);
    check.finish()?;
    let article = state
        .models
        .create_article(
            Some(rid.as_str()),
            &models::NewArticle {
                author_id: me.id,
                title,
                description,
                body,
                tag_list,
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(ArticleEnvelope {
        article: convert::article(article),
    }))
}

pub async fn update_article(
    state: web::Data<AppState>,
    rid: RequestId,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<ArticleEnvelope<ArticleUpdate>>,
) -> Result {
    let update = body.into_inner().article;
    let mut check = Check::new();
    let mut field = |name: &str, value: &Option<Option<String>>| {
        value.as_ref().map(|v| check.required(name, v.as_deref()))
    };
    let title = field("title", &update.title);
    let description = field("description", &update.description);
    let body = field("body", &update.body);
    let tag_list = match update.tag_list {
        None => None,
        Some(None) => {
            check.rule(true, "tagList", "can't be null");
            None
        }
        Some(Some(tags)) => Some(tags),
    };
    validate::article_fields(
        &mut check,
        title.as_deref().unwrap_or(""),
        description.as_deref().unwrap_or(""),
        tag_list.as_deref().unwrap_or(&[]),
    );
    if let Some(body) = &body {
        validate::article_body(&mut check, body);
    }
    check.finish()?;
    let patch = models::ArticlePatch {
        author_id: me.id,
        title,
        description,
        body,
        tag_list,
    };
    let article = state
        .models
        .update_article(Some(rid.as_str()), &slug, &patch)
        .await?;
    Ok(HttpResponse::Ok().json(ArticleEnvelope {
        article: convert::article(article),
    }))
}

pub async fn delete_article(
    state: web::Data<AppState>,
    rid: RequestId,
    me: CurrentUser,
    slug: web::Path<String>,
) -> Result {
    state
        .models
        .delete_article(Some(rid.as_str()), &slug, me.id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn favorite(
    state: web::Data<AppState>,
    rid: RequestId,
    me: CurrentUser,
    slug: web::Path<String>,
) -> Result {
    let article = state
        .models
        .favorite(Some(rid.as_str()), &slug, me.id)
        .await?;
    Ok(HttpResponse::Ok().json(ArticleEnvelope {
        article: convert::article(article),
    }))
}

pub async fn unfavorite(
    state: web::Data<AppState>,
    rid: RequestId,
    me: CurrentUser,
    slug: web::Path<String>,
) -> Result {
    let article = state
        .models
        .unfavorite(Some(rid.as_str()), &slug, me.id)
        .await?;
    Ok(HttpResponse::Ok().json(ArticleEnvelope {
        article: convert::article(article),
    }))
}

pub async fn list_comments(
    state: web::Data<AppState>,
    rid: RequestId,
    viewer: MaybeUser,
    slug: web::Path<String>,
) -> Result {
    let list = state
        .models
        .list_comments(Some(rid.as_str()), &slug, viewer.id())
        .await?;
    Ok(HttpResponse::Ok().json(Comments {
        comments: list.comments.into_iter().map(convert::comment).collect(),
    }))
}

pub async fn create_comment(
    state: web::Data<AppState>,
    rid: RequestId,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<CommentEnvelope<NewComment>>,
) -> Result {
    let mut check = Check::new();
    let text = check.required("body", body.comment.body.as_deref());
    check.max_len("body", &text, 10_000);
    check.finish()?;
    let comment = state
        .models
        .create_comment(
            Some(rid.as_str()),
            &slug,
            &models::NewComment {
                author_id: me.id,
                body: text,
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(CommentEnvelope {
        comment: convert::comment(comment),
    }))
}

pub async fn delete_comment(
    state: web::Data<AppState>,
    rid: RequestId,
    me: CurrentUser,
    path: web::Path<(String, String)>,
) -> Result {
    let (slug, id) = path.into_inner();
    // An id that is not a number names no comment; models still checks the article first,
    // so an unknown slug stays a 404 about the article.
    let id = id.parse::<i64>().unwrap_or(-1);
    state
        .models
        .delete_comment(Some(rid.as_str()), &slug, id, me.id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn list_tags(state: web::Data<AppState>, rid: RequestId) -> Result {
    let tags = state.models.tags(Some(rid.as_str())).await?;
    Ok(HttpResponse::Ok().json(Tags { tags: tags.tags }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_defaults_clamps_and_rejects() {
        assert_eq!(paging(None, None).unwrap(), (20, 0));
        assert_eq!(paging(Some("5"), Some("10")).unwrap(), (5, 10));
        assert_eq!(paging(Some("1000"), None).unwrap(), (MAX_LIMIT, 0));
        assert!(paging(Some("0"), None).is_err());
        assert!(paging(Some("x"), None).is_err());
        assert!(paging(None, Some("-1")).is_err());
    }
}
