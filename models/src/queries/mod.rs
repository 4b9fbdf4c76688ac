//! Query functions: each takes `&mut DbConnection`, so tests can run them inside a test
//! transaction, and handlers call exactly one of them per request.
//!
//! No function issues a statement per row: lists load a page of ids, then hydrate the whole
//! page (authors, tags, viewer flags) in a fixed number of statements.

pub mod articles;
pub mod comments;
pub mod profiles;
pub mod tags;
pub mod users;

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use diesel::Connection;

use crate::db::DbConnection;
use crate::error::Error;

/// The SQL backend type all queries are built for.
pub type Db = <DbConnection as Connection>::Backend;

/// Now, truncated to milliseconds: the API shows milliseconds, and both backends then store
/// exactly what clients see.
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(now)
}

/// A stored UTC time as a `DateTime<Utc>`.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Rejects blank required fields with the RealWorld "can't be blank" message.
pub fn require(fields: &[(&str, &str)]) -> Result<(), Error> {
    let mut body = conduit_wire::ErrorBody::default();
    for (name, value) in fields {
        if value.trim().is_empty() {
            body.push(*name, "can't be blank");
        }
    }
    if body.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(body))
    }
}
