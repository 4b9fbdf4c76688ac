//! HTTP-level tests of every page and form flow (shared/spec/pages.md), against real
//! experience and models services, reading the HTML with a real parser.

mod helpers;

mod articles;
mod auth;
mod cache;
mod safety;
mod social;
