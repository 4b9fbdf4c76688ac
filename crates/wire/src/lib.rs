//! Wire types shared by the Conduit tiers.
//!
//! Plain serde structs only: this crate must never depend on diesel, actix-web or reqwest
//! (CI checks it with `cargo tree`), so that the server side of an API and its typed client
//! agree on one definition without dragging either side's framework into the other.

pub mod api;
pub mod error;
pub mod identity;
pub mod models;
pub mod pages;
pub mod time;

pub use error::ErrorBody;
