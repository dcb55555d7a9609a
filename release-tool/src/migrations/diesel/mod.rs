//! `diesel_migrations` 2.3's format: `<VERSION>_<NAME>/up.sql` folders with an
//! optional `metadata.toml` (`source`) and its `__diesel_schema_migrations`
//! table (`history`).

pub(crate) mod history;
pub(crate) mod source;
