//! Typed HTTP clients of the Conduit tiers, sharing one core ([`core::JsonClient`]): bounded
//! timeouts, a keep-alive pool, `x-request-id` forwarding, and every error decoded to a
//! [`ClientError`].

pub mod core;
pub mod experience;
pub mod models;

pub use core::{Caller, ClientConfig, ClientError};
pub use experience::ExperienceClient;
pub use models::ModelsClient;
