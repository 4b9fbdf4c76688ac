//! Conformance suite of the public API (shared/spec/api.md) against experience and a real
//! models service, on SQLite and on PostgreSQL; plus the fault and scaling tests.

mod helpers;

mod articles;
mod cache;
mod comments;
mod errors;
mod faults;
mod pages;
mod profiles;
mod users;
