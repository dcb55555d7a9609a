//! The migrations folder a command reads. A leaf: it imports nothing from the
//! crate, so that both the settings and the migration reader can name it.

use std::path::PathBuf;

/// The migrations folder, and whether someone asked for it explicitly (a
/// missing default folder means "no migrations"; a missing explicit one is a
/// mistake).
#[derive(Debug, Clone)]
pub(crate) struct MigrationsDir {
    pub(crate) path: PathBuf,
    pub(crate) explicit: bool,
}
