//! The GET pages: each is one call to the experience tier, rendered with a template.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use conduit_clients::{Caller, ClientError};
use conduit_service::RequestId;
use conduit_wire::pages::{HomeTab, PageQuery, Viewer};

use crate::WebState;
use crate::error::WebError;
use crate::session::{Session, cleared_session, local_next};
use crate::views::{
    ArticleTemplate, AuthTemplate, EditorTemplate, HomeTemplate, Layout, ListView, ProfileTemplate,
    SettingsTemplate, TagLink, seg,
};

pub(crate) type Page = Result<HttpResponse, WebError>;

/// The caller of an experience call for this request.
pub(crate) fn caller<'a>(rid: &'a RequestId, session: &'a Session) -> Caller<'a> {
    Caller {
        rid: Some(rid.as_str()),
        token: session.token.as_deref(),
        client_addr: Some(&session.client_addr),
    }
}

/// A rendered page; a session whose token no longer works (no viewer came back) is
/// cleared. Pages of a signed-in user are never stored by caches. A visitor's pages carry no
/// form that needs the CSRF token (their buttons lead to the sign-in page), so they set no
/// cookie and one stored copy serves every visitor.
pub(crate) fn render(
    session: &Session,
    viewer: Option<&Viewer>,
    status: StatusCode,
    page: &impl Template,
) -> Page {
    render_page(session, viewer, status, page, viewer.is_some())
}

/// [`render`], setting the CSRF cookie when the page has forms and the visitor has none yet.
fn render_page(
    session: &Session,
    viewer: Option<&Viewer>,
    status: StatusCode,
    page: &impl Template,
    forms: bool,
) -> Page {
    let html = page
        .render()
        .map_err(|e| WebError::Internal(format!("template: {e}")))?;
    let mut res = HttpResponse::build(status);
    res.content_type("text/html; charset=utf-8");
    if forms {
        for c in session.new_cookies() {
            res.cookie(c);
        }
    }
    if session.token.is_some() && viewer.is_none() {
        res.cookie(cleared_session(session.secure));
    }
    if viewer.is_some() {
        res.insert_header(("Cache-Control", "private, no-store"));
    }
    Ok(res.body(html))
}

/// 303 to `to`.
pub(crate) fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish()
}

/// 303 to the sign-in page, forgetting a token that stopped working.
pub(crate) fn to_login(session: &Session) -> HttpResponse {
    let mut res = HttpResponse::SeeOther();
    res.insert_header(("Location", "/login"));
    if session.token.is_some() {
        res.cookie(cleared_session(session.secure));
    }
    res.finish()
}

pub async fn home(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    q: web::Query<PageQuery>,
) -> Page {
    let feed = q.feed.as_deref() == Some("following");
    if feed && session.token.is_none() {
        return Ok(to_login(&session));
    }
    let query = PageQuery {
        feed: feed.then(|| "following".to_owned()),
        tag: None,
        tab: None,
        page: q.page.clone(),
    };
    list_page(&state, &rid, &session, query).await
}

pub async fn tag(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    tag: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Page {
    let query = PageQuery {
        feed: None,
        tag: Some(tag.into_inner()),
        tab: None,
        page: q.page.clone(),
    };
    list_page(&state, &rid, &session, query).await
}

async fn list_page(state: &WebState, rid: &RequestId, session: &Session, query: PageQuery) -> Page {
    let view = match state.experience.home(caller(rid, session), &query).await {
        Ok(v) => v,
        Err(ClientError::Api { status: 401, .. }) => return Ok(to_login(session)),
        Err(e) => return Err(e.into()),
    };
    past_the_last_page(&view.list)?;
    let (tab, tag, base) = match &view.tab {
        HomeTab::Global => ("global", None, "/".to_owned()),
        HomeTab::Feed => ("feed", None, "/?feed=following".to_owned()),
        HomeTab::Tag(t) => ("tag", Some(t.clone()), format!("/tag/{}", seg(t))),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let page_href = |n: i64| {
        if n == 1 {
            base.clone()
        } else {
            format!("{base}{sep}page={n}")
        }
    };
    let next = page_href(view.list.page);
    let title = match &tag {
        Some(t) => format!("Articles tagged {t}"),
        None if tab == "feed" => "Your Feed".to_owned(),
        None => "Home".to_owned(),
    };
    let page = HomeTemplate {
        l: Layout::new(title, view.viewer.as_ref(), "home", &session.csrf),
        tab,
        tag_href: base.clone(),
        tag,
        list: ListView::new(&view.list, page_href),
        popular_tags: view
            .popular_tags
            .iter()
            .map(|t| TagLink {
                name: t.clone(),
                href: format!("/tag/{}", seg(t)),
            })
            .collect(),
        next,
    };
    render(session, view.viewer.as_ref(), StatusCode::OK, &page)
}

pub async fn article(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    slug: web::Path<String>,
) -> Page {
    let view = state
        .experience
        .article_page(caller(&rid, &session), &slug)
        .await?;
    let body = view.article.body.clone().unwrap_or_default();
    let body_html = state.markdown.render(body).await?;
    let page = ArticleTemplate::new(&view, &session.csrf, body_html);
    render(&session, view.viewer.as_ref(), StatusCode::OK, &page)
}

pub async fn profile(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    username: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Page {
    profile_page(&state, &rid, &session, &username, None, q.page.clone()).await
}

pub async fn favorites(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    username: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Page {
    let tab = Some("favorites".to_owned());
    profile_page(&state, &rid, &session, &username, tab, q.page.clone()).await
}

async fn profile_page(
    state: &WebState,
    rid: &RequestId,
    session: &Session,
    username: &str,
    tab: Option<String>,
    page: Option<String>,
) -> Page {
    let query = PageQuery {
        tab,
        page,
        ..Default::default()
    };
    let view = state
        .experience
        .profile_page(caller(rid, session), username, &query)
        .await?;
    past_the_last_page(&view.list)?;
    let page = ProfileTemplate::new(&view, &session.csrf);
    render(session, view.viewer.as_ref(), StatusCode::OK, &page)
}

/// A list page after the last is not a page (404): it would render empty, and every number
/// would be one more copy in the page cache.
fn past_the_last_page(list: &conduit_wire::pages::ArticlePage) -> Result<(), WebError> {
    if list.page > list.pages {
        return Err(WebError::NotFound);
    }
    Ok(())
}

/// `?next=`: where to go after signing in (a local path).
#[derive(Debug, serde::Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn login(session: Session, q: web::Query<NextQuery>) -> Page {
    let form = AuthForm {
        next: local_next(&q.next, ""),
        ..AuthForm::default()
    };
    auth_page(&session, false, StatusCode::OK, form)
}

pub async fn register(session: Session) -> Page {
    auth_page(&session, true, StatusCode::OK, AuthForm::default())
}

/// What the sign-in and sign-up forms show again.
#[derive(Debug, Default)]
pub(crate) struct AuthForm {
    pub errors: Vec<String>,
    pub username: String,
    pub email: String,
    /// Where to go after signing in ("" for home).
    pub next: String,
}

pub(crate) fn auth_page(
    session: &Session,
    register: bool,
    status: StatusCode,
    form: AuthForm,
) -> Page {
    let (title, active) = if register {
        ("Sign up", "register")
    } else {
        ("Sign in", "login")
    };
    // Shown signed out: a session cookie sent here is dropped (render_page), so the form's
    // token is the signed-out one.
    let page = AuthTemplate {
        l: Layout::new(title, None, active, &session.signed_out_csrf()),
        register,
        errors: form.errors,
        username: form.username,
        email: form.email,
        next: form.next,
    };
    render_page(session, None, status, &page, true)
}

pub async fn settings(state: web::Data<WebState>, rid: RequestId, session: Session) -> Page {
    if session.token.is_none() {
        return Ok(to_login(&session));
    }
    let view = match state.experience.settings_page(caller(&rid, &session)).await {
        Ok(v) => v,
        Err(ClientError::Api { status: 401, .. }) => return Ok(to_login(&session)),
        Err(e) => return Err(e.into()),
    };
    let v = &view.viewer;
    let page = SettingsTemplate {
        l: Layout::new("Settings", Some(v), "settings", &session.csrf),
        errors: Vec::new(),
        image: v.image.clone().unwrap_or_default(),
        username: v.username.clone(),
        bio: v.bio.clone().unwrap_or_default(),
        email: v.email.clone(),
    };
    render(&session, Some(v), StatusCode::OK, &page)
}

pub async fn new_article(state: web::Data<WebState>, rid: RequestId, session: Session) -> Page {
    editor(&state, &rid, &session, None).await
}

pub async fn edit_article(
    state: web::Data<WebState>,
    rid: RequestId,
    session: Session,
    slug: web::Path<String>,
) -> Page {
    editor(&state, &rid, &session, Some(&slug)).await
}

async fn editor(state: &WebState, rid: &RequestId, session: &Session, slug: Option<&str>) -> Page {
    if session.token.is_none() {
        return Ok(to_login(session));
    }
    let view = match state
        .experience
        .editor_page(caller(rid, session), slug)
        .await
    {
        Ok(v) => v,
        Err(ClientError::Api { status: 401, .. }) => return Ok(to_login(session)),
        Err(e) => return Err(e.into()),
    };
    let a = view.article.as_ref();
    let page = EditorTemplate {
        l: Layout::new(
            if a.is_some() {
                "Edit article"
            } else {
                "New article"
            },
            Some(&view.viewer),
            "editor",
            &session.csrf,
        ),
        action: a.map_or_else(
            || "/editor".to_owned(),
            |a| format!("/editor/{}", seg(&a.slug)),
        ),
        errors: Vec::new(),
        title: a.map(|a| a.title.clone()).unwrap_or_default(),
        description: a.map(|a| a.description.clone()).unwrap_or_default(),
        body: a.and_then(|a| a.body.clone()).unwrap_or_default(),
        tags: a.map(|a| a.tag_list.clone()).unwrap_or_default(),
    };
    render(session, Some(&view.viewer), StatusCode::OK, &page)
}

/// Unknown routes.
pub async fn not_found() -> Page {
    Err(WebError::NotFound)
}
