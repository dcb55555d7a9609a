//! The database connection: a URL type that never prints its password, and a
//! connect step that honours `sslmode`, enforces a timeout and sets the
//! session's `lock_timeout` and `statement_timeout`.

mod connect;
mod url;

pub(crate) use connect::{connect, server_major, user_table_count, ConnectError, Session};
pub(crate) use url::DatabaseUrl;
