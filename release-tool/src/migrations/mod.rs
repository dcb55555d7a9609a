//! sqlx-compatible migrations: reading the folder exactly as sqlx 0.9 does
//! (`source`), its `_sqlx_migrations` history table (`history`), deciding what
//! to do (`plan`), and applying one migration the way sqlx's `Migrator` does
//! (`apply`).

pub(crate) mod apply;
pub(crate) mod blockers;
pub(crate) mod errors;
pub(crate) mod history;
pub(crate) mod leftovers;
pub(crate) mod plan;
pub(crate) mod retry;
pub(crate) mod source;

pub(crate) use source::Migration;

#[cfg(test)]
mod table_name_tests;
