//! Migrations, whatever the app's tool: reading the folder (`source`), the
//! history table (`history`), deciding what to do (`plan`) and applying one
//! migration (`apply`) are one implementation; what differs between tools is
//! in `sqlx/` (sqlx 0.9: files, checksums, `_sqlx_migrations`) and `diesel/`
//! (`diesel_migrations` 2.3: folders, `metadata.toml`,
//! `__diesel_schema_migrations`). The `command` format reads nothing: the
//! app's own migrator runs (`commands/steps/command.rs`).

pub(crate) mod apply;
pub(crate) mod blockers;
pub(crate) mod diesel;
pub(crate) mod errors;
pub(crate) mod history;
pub(crate) mod leftovers;
pub(crate) mod plan;
pub(crate) mod retry;
pub(crate) mod source;
pub(crate) mod sqlx;

pub(crate) use source::{Migration, Version};

#[cfg(test)]
mod table_name_tests;
