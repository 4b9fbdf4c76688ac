//! API tests of the models service: the real server on port 0 over a fresh database with the
//! demo fixtures, once on SQLite and once on a private PostgreSQL cluster.

mod helpers;

mod articles;
mod bulk;
mod comments;
mod errors;
mod health;
mod lists;
mod queries;
mod shutdown;
mod users;
