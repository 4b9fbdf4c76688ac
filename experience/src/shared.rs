//! Signed-in reads that share what every reader sees.
//!
//! An article, or a list of them, looks the same to every reader but for two flags: whether
//! the reader favorited each article and follows each author. So a signed-in read takes the
//! answer an anonymous reader gets from the API read cache (filling it, if it is not kept,
//! exactly as an anonymous read would) and asks models one question: the reader, and their
//! flags on those articles and authors (`POST /users/{id}/viewing`). That is one call to
//! models where there were two (the reader, then the read with the reader's joins), and the
//! page's own statements are shared by every reader.
//!
//! It is safe because the shared part keeps the read cache's contract (every acknowledged
//! write, the reader's own favorite or follow included, makes it stale before its answer
//! leaves) and the flags and the reader's session are read fresh for every request. With
//! `API_CACHE=off`, or a query the cache never keeps, signed-in reads run as before.

use std::future::Future;

use conduit_wire::models::{Viewing, ViewingQuery};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::auth::{Viewer, not_found_is_invalid};
use crate::error::Error;

/// What a read answers: `fetch(viewer)` reads it from models for a viewer id (`None`: the
/// anonymous answer); for a signed-in reader with the cache on, the anonymous answer is
/// shared, `ask` names the articles and authors whose flags it needs, and `apply` sets the
/// reader's flags on it.
pub async fn read<T, Fut>(
    req: &actix_web::HttpRequest,
    state: &AppState,
    rid: Option<&str>,
    viewer: Viewer,
    fetch: impl Fn(Option<i64>) -> Fut,
    ask: impl FnOnce(&T) -> ViewingQuery,
    apply: impl FnOnce(&mut T, &Viewing),
) -> Result<T, Error>
where
    T: Serialize + DeserializeOwned,
    Fut: Future<Output = Result<T, Error>>,
{
    let Some(signed) = viewer.0 else {
        return fetch(None).await;
    };
    let Some((cache, key)) = crate::read_cache::shared_slot(req) else {
        let me = signed.resolve(state, rid).await?;
        return fetch(Some(me.id)).await;
    };
    let anonymous = async {
        let answer = fetch(None).await?;
        serde_json::to_vec(&answer)
            .map(actix_web::web::Bytes::from)
            .map_err(|e| Error::Internal(format!("writing an answer: {e}")))
    };
    let viewing = |query: ViewingQuery| async move {
        state
            .models
            .viewing(rid, signed.id, &query)
            .await
            .map_err(not_found_is_invalid)
    };
    let body = match crate::read_cache::anonymous_answer(&cache, &key, anonymous).await {
        Ok(body) => body,
        Err(e) => {
            // A bad token is still told first, as when the reader was read before the read.
            let reader = viewing(ViewingQuery::default()).await?;
            signed.confirm(reader.user)?;
            return Err(e);
        }
    };
    let mut answer: T = serde_json::from_slice(&body)
        .map_err(|e| Error::Internal(format!("reading a kept answer: {e}")))?;
    let flags = viewing(ask(&answer)).await?;
    signed.confirm(flags.user.clone())?;
    apply(&mut answer, &flags);
    Ok(answer)
}
