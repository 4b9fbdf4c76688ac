//! Users and credentials.

use conduit_wire::identity::{canonical_email, canonical_username};
use conduit_wire::models::{Credentials, NewUser, User, UserPatch};
use diesel::dsl;
use diesel::prelude::*;

use super::{now, require};
use crate::db::DbConnection;
use crate::db::schema::users;
use crate::error::Error;

/// The columns of a [`User`], in [`UserRow`] order.
pub const USER_COLUMNS: (
    users::id,
    users::username,
    users::email,
    users::bio,
    users::image,
    users::session_generation,
) = (
    users::id,
    users::username,
    users::email,
    users::bio,
    users::image,
    users::session_generation,
);

/// A user row without the password hash.
#[derive(Debug, Queryable)]
pub struct UserRow {
    id: i64,
    username: String,
    email: String,
    bio: Option<String>,
    image: Option<String>,
    session_generation: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            username: r.username,
            email: r.email,
            bio: r.bio,
            image: r.image,
            session_generation: r.session_generation,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct UserInsert<'a> {
    username: &'a str,
    email: &'a str,
    username_canon: String,
    email_canon: String,
    password_hash: &'a str,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

#[derive(AsChangeset)]
#[diesel(table_name = users)]
struct UserChanges<'a> {
    username: Option<&'a str>,
    email: Option<&'a str>,
    username_canon: Option<String>,
    email_canon: Option<String>,
    password_hash: Option<&'a str>,
    bio: Option<Option<&'a str>>,
    image: Option<Option<&'a str>>,
    updated_at: chrono::NaiveDateTime,
}

/// Rows whose username is `name` without case; also a row an older models build wrote during
/// a rolling update (its canonical column still NULL until `models migrate` runs again) whose
/// username is `name` exactly. Both sides have a unique index.
pub fn username_is(name: &str) -> UsernameIs {
    users::username_canon
        .eq(canonical_username(name))
        .or(users::username_canon
            .is_null()
            .and(users::username.eq(name.to_owned())))
}

/// The filter [`username_is`] makes.
pub type UsernameIs = dsl::Or<
    dsl::Eq<users::username_canon, String>,
    dsl::And<dsl::IsNull<users::username_canon>, dsl::Eq<users::username, String>>,
>;

/// As [`username_is`], for emails.
pub fn email_is(email: &str) -> EmailIs {
    users::email_canon
        .eq(canonical_email(email))
        .or(users::email_canon
            .is_null()
            .and(users::email.eq(email.to_owned())))
}

/// The filter [`email_is`] makes.
pub type EmailIs = dsl::Or<
    dsl::Eq<users::email_canon, String>,
    dsl::And<dsl::IsNull<users::email_canon>, dsl::Eq<users::email, String>>,
>;

/// Creates a user; 409 when the username or email is taken (without case).
pub fn create(conn: &mut DbConnection, new: &NewUser) -> Result<User, Error> {
    require(&[
        ("username", &new.username),
        ("email", &new.email),
        ("password_hash", &new.password_hash),
    ])?;
    let at = now();
    let row: UserRow = diesel::insert_into(users::table)
        .values(UserInsert {
            username: &new.username,
            email: &new.email,
            username_canon: canonical_username(&new.username),
            email_canon: canonical_email(&new.email),
            password_hash: &new.password_hash,
            created_at: at,
            updated_at: at,
        })
        .returning(USER_COLUMNS)
        .get_result(conn)?;
    Ok(row.into())
}

/// A user by id.
pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<User, Error> {
    one(users::table
        .filter(users::id.eq(id))
        .select(USER_COLUMNS)
        .first(conn))
}

/// A user by username (without case).
pub fn by_username(conn: &mut DbConnection, username: &str) -> Result<User, Error> {
    one(users::table
        .filter(username_is(username))
        .select(USER_COLUMNS)
        .first(conn))
}

/// A user by email (without case).
pub fn by_email(conn: &mut DbConnection, email: &str) -> Result<User, Error> {
    one(users::table
        .filter(email_is(email))
        .select(USER_COLUMNS)
        .first(conn))
}

/// The user and password hash for a login by email (without case).
pub fn credentials(conn: &mut DbConnection, email: &str) -> Result<Credentials, Error> {
    let (row, password_hash): (UserRow, String) = users::table
        .filter(email_is(email))
        .select((USER_COLUMNS, users::password_hash))
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("user"))?;
    Ok(Credentials {
        user: row.into(),
        password_hash,
    })
}

/// Applies a partial update; 409 when the new username or email is taken by someone else
/// (without case). `end_sessions` bumps the session generation in the same statement.
pub fn update(conn: &mut DbConnection, id: i64, patch: &UserPatch) -> Result<User, Error> {
    let blank = |v: &Option<String>| v.as_deref().map(str::trim) == Some("");
    let mut errors = conduit_wire::ErrorBody::default();
    for (name, value) in [
        ("username", &patch.username),
        ("email", &patch.email),
        ("password_hash", &patch.password_hash),
    ] {
        if blank(value) {
            errors.push(name, "can't be blank");
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let changes = UserChanges {
        username: patch.username.as_deref(),
        email: patch.email.as_deref(),
        username_canon: patch.username.as_deref().map(canonical_username),
        email_canon: patch.email.as_deref().map(canonical_email),
        password_hash: patch.password_hash.as_deref(),
        bio: patch.bio.as_ref().map(Option::as_deref),
        image: patch.image.as_ref().map(Option::as_deref),
        updated_at: now(),
    };
    let target = users::table.filter(users::id.eq(id));
    let row: Option<UserRow> = if patch.end_sessions {
        diesel::update(target)
            .set((
                changes,
                users::session_generation.eq(users::session_generation + 1),
            ))
            .returning(USER_COLUMNS)
            .get_result(conn)
            .optional()?
    } else {
        diesel::update(target)
            .set(changes)
            .returning(USER_COLUMNS)
            .get_result(conn)
            .optional()?
    };
    row.map(Into::into).ok_or(Error::NotFound("user"))
}

fn one(result: QueryResult<UserRow>) -> Result<User, Error> {
    result
        .optional()?
        .map(Into::into)
        .ok_or(Error::NotFound("user"))
}
