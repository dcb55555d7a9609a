//! The database connection: a URL type that never prints its password, and a
//! connect step that honours `sslmode`, enforces a timeout and sets the
//! session's `lock_timeout` and `statement_timeout`.

mod connect;
mod errors;
pub(crate) mod indexes;
mod url;

pub(crate) use connect::{ConnectError, Session, connect, server_major, user_table_count};
pub(crate) use url::DatabaseUrl;
