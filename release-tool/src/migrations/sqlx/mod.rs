//! sqlx 0.9's format: `<VERSION>_<DESCRIPTION>.sql` files with SHA-384
//! checksums (`source`) and its `_sqlx_migrations` table (`history`).

pub(crate) mod history;
pub(crate) mod source;
