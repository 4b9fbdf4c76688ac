//! What the tools need from the operating system to run the real servers, without a
//! runtime: free ports, signals, processes (`procs`), servers stopped by a watchdog when
//! the process that started them is gone (`guarded`), one way to make a PostgreSQL
//! cluster (`postgres`) and to run memcached (`memcached`). The local stack (`conduit-stack`) and the test kit
//! (`conduit-testkit`) both start their servers with it.

pub mod guarded;
pub mod memcached;
pub mod postgres;
pub mod procs;

pub use guarded::{spawn_guarded, spawn_server, wait_for_port};
pub use procs::{free_port, signal};
