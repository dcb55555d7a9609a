//! What a failed `-- no-transaction` migration leaves behind, and cleaning
//! it up. A `CREATE INDEX CONCURRENTLY` (or `REINDEX CONCURRENTLY`) that
//! fails leaves its index INVALID: PostgreSQL keeps updating it on every
//! write but never reads it, the checks fail on it, and the migration's next
//! attempt fails on the name. slipway records the indexes that existed before
//! such a migration and, after it fails, drops exactly the INVALID ones that
//! are new and that no session is still building, so that the next release
//! can run the migration again.

use std::collections::HashSet;

use sqlx::PgConnection;

use crate::db::indexes::{self, InvalidIndex};

/// The indexes that existed before a migration started.
pub(crate) struct IndexesBefore(HashSet<i64>);

/// Records the indexes that exist now; `None` when they cannot be read (then
/// nothing will be dropped).
pub(crate) async fn indexes_before(conn: &mut PgConnection) -> Option<IndexesBefore> {
    indexes::index_oids(conn)
        .await
        .ok()
        .map(|oids| IndexesBefore(oids.into_iter().collect()))
}

/// An INVALID index the cleanup could not drop, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct NotDropped {
    #[serde(flatten)]
    pub(crate) index: InvalidIndex,
    pub(crate) error: String,
}

/// What the cleanup did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub(crate) struct Cleanup {
    /// New INVALID indexes, dropped.
    pub(crate) dropped: Vec<InvalidIndex>,
    /// New INVALID indexes whose drop failed.
    pub(crate) not_dropped: Vec<NotDropped>,
    /// INVALID indexes left alone: they existed before the migration (or,
    /// when `known_before` is false, nobody can tell).
    pub(crate) left: Vec<InvalidIndex>,
    /// Whether the indexes before the migration were recorded.
    pub(crate) known_before: bool,
}

/// Drops the INVALID indexes that did not exist in `before` and that no
/// session is building (`indexes::invalid_indexes` leaves those out), with
/// `DROP INDEX CONCURRENTLY`, so nothing else is blocked meanwhile.
pub(crate) async fn drop_new_invalid_indexes(
    conn: &mut PgConnection,
    before: Option<&IndexesBefore>,
) -> Cleanup {
    let Ok(invalid) = indexes::invalid_indexes(conn).await else {
        return Cleanup::default();
    };
    let Some(before) = before else {
        return Cleanup {
            left: invalid,
            ..Cleanup::default()
        };
    };
    let mut cleanup = Cleanup {
        known_before: true,
        ..Cleanup::default()
    };
    for index in invalid {
        if before.0.contains(&index.oid) {
            cleanup.left.push(index);
            continue;
        }
        match indexes::drop_concurrently(conn, &index).await {
            Ok(()) => cleanup.dropped.push(index),
            Err(error) => cleanup.not_dropped.push(NotDropped {
                index,
                error: crate::errors::db_error(&error),
            }),
        }
    }
    cleanup
}
