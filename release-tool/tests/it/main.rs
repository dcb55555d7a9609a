//! The integration tests of `slipway-release`, in one test binary: the crate
//! and its dependencies are linked once, not once per file. One module per
//! area; the shared set-up is in `support`.
//!
//! Run one area with nextest's filter on the module: `cargo nextest run -p
//! slipway-release -E 'test(/^faults::/)'`.

// Integration tests share the crate's dependency list; not all use every crate.
// Helpers outside #[test] fns unwrap too: a failed step should fail the test.
#![allow(unused_crate_dependencies, clippy::unwrap_used, clippy::expect_used)]

mod support;

mod backup_files;
mod backup_heroku;
mod backup_modes;
mod backup_restore;
mod backup_s3;
mod bad_input;
mod command_format;
mod diesel_compat;
mod docs;
mod faults;
mod fuzz_regressions;
mod lint;
mod lint_locks;
mod migrations_dir;
mod module_graph;
mod recovery;
mod release_flow;
mod secret_forms;
mod secrets;
mod sqlx_compat;
mod sqlx_rules;
mod sqlx_toml;
mod timeouts;
mod tls;
mod url_decoding;
mod usage_and_secrets;
