//! What each squawk rule means during a Heroku release: what the statement
//! does, the lock it takes, why that hurts while the old dynos keep serving,
//! and the safe pattern for a sqlx migration. Rules without an entry here use
//! squawk's own message and help.

use squawk_linter::Rule;

use super::rules::{LockMode, RuleId, SlipwayRule};

/// The advice for one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Advice {
    /// What the statement does, e.g. "CREATE INDEX without CONCURRENTLY".
    pub(crate) does: &'static str,
    /// The lock it takes, if that is what makes it unsafe.
    pub(crate) lock: Option<&'static str>,
    /// What the lock or the change does to the running app.
    pub(crate) effect: &'static str,
    /// Whether the lock is held for as long as the table takes to scan or
    /// rewrite: such a statement fails a release on a table above
    /// `SLIPWAY_LINT_BLOCKING_MAX_SIZE`.
    pub(crate) blocking: bool,
    /// The safe way to do the same thing.
    pub(crate) safe: &'static str,
}

const NOT_VALID_THEN_VALIDATE: &str = "Add it with `NOT VALID` (a brief lock, no scan), then run \
     `ALTER TABLE ... VALIDATE CONSTRAINT ...` in a later migration: validating takes only a SHARE \
     UPDATE EXCLUSIVE lock, so reads and writes go on.";

const INDEX_THEN_CONSTRAINT: &str = "Build the index first with `CREATE UNIQUE INDEX CONCURRENTLY IF NOT \
     EXISTS ...` in {no_tx_migration}, then add the constraint with `... USING INDEX <name>` in a \
     later migration.";

const EXPAND_THEN_CONTRACT: &str = "Expand, then contract: add the new column or table, have the code \
     write both and read the new one, backfill, and remove the old one in a later release, once no \
     running dyno uses it.";

/// The advice for `rule`, if slipway has its own.
pub(crate) fn advice(rule: RuleId) -> Option<Advice> {
    match rule {
        RuleId::Squawk(rule) => squawk_advice(rule),
        RuleId::Slipway(rule) => Some(slipway_advice(rule)),
    }
}

/// The advice for one of slipway's own rules (`locks.rs`).
fn slipway_advice(rule: SlipwayRule) -> Advice {
    match rule {
        SlipwayRule::LockTable(mode) => Advice {
            does: "LOCK TABLE",
            lock: Some(mode.name()),
            effect: if mode == LockMode::AccessExclusive {
                "blocks reads and writes of the table until the migration commits"
            } else {
                "blocks writes to the table until the migration commits"
            },
            blocking: true,
            safe: "Take no explicit lock in a migration: each statement takes the lock it needs, bounded \
                   by SLIPWAY_LOCK_TIMEOUT, and long work such as a backfill belongs in batches outside the release.",
        },
        SlipwayRule::RequireConcurrentRefresh => Advice {
            does: "REFRESH MATERIALIZED VIEW without CONCURRENTLY",
            lock: Some("ACCESS EXCLUSIVE"),
            effect: "blocks reads of the view while its query runs again",
            blocking: true,
            safe: "Use `REFRESH MATERIALIZED VIEW CONCURRENTLY ...` (the view needs a unique index; reads go \
                   on under its EXCLUSIVE lock), or refresh it outside the release.",
        },
        SlipwayRule::Truncate => Advice {
            does: "TRUNCATE",
            lock: Some("ACCESS EXCLUSIVE"),
            effect: "empties the table at once while the old dynos keep serving, and blocks reads and \
                     writes until the migration commits",
            // It neither scans nor rewrites: the lock is brief, however big the table.
            blocking: false,
            safe: "Stop using the rows first and delete them in batches outside the release, or empty the \
                   table in a later release (the release's backup is your way back).",
        },
    }
}

/// The advice for one of squawk's rules, if slipway has its own.
#[allow(clippy::too_many_lines)] // One entry per rule reads best as one table.
fn squawk_advice(rule: Rule) -> Option<Advice> {
    let advice = match rule {
        Rule::RequireConcurrentIndexCreation => Advice {
            does: "CREATE INDEX without CONCURRENTLY",
            lock: Some("SHARE"),
            effect: "blocks writes while the index builds",
            blocking: true,
            safe: "Use `CREATE INDEX CONCURRENTLY IF NOT EXISTS ...` alone in {no_tx_migration}, which \
                   CONCURRENTLY needs.",
        },
        Rule::BanConcurrentIndexCreationInTransaction => Advice {
            does: "CREATE INDEX CONCURRENTLY inside a transaction",
            lock: None,
            effect: "PostgreSQL refuses it, so the migration fails",
            blocking: false,
            safe: "Move the index alone into {no_tx_migration}.",
        },
        Rule::RequireConcurrentIndexDeletion => Advice {
            does: "DROP INDEX without CONCURRENTLY",
            lock: Some("ACCESS EXCLUSIVE"),
            effect: "queues every query on the table behind it until the drop completes",
            blocking: false,
            safe: "Use `DROP INDEX CONCURRENTLY IF EXISTS ...` in {no_tx_migration}.",
        },
        Rule::RequireConcurrentReindex => Advice {
            does: "REINDEX without CONCURRENTLY",
            lock: Some("ACCESS EXCLUSIVE"),
            effect: "blocks reads and writes of the index's table while it rebuilds",
            blocking: true,
            safe: "Use `REINDEX ... CONCURRENTLY` in {no_tx_migration}.",
        },
        Rule::ConstraintMissingNotValid => Advice {
            does: "ADD CONSTRAINT without NOT VALID",
            lock: Some("ACCESS EXCLUSIVE"),
            effect: "blocks reads and writes while every row is checked",
            blocking: true,
            safe: NOT_VALID_THEN_VALIDATE,
        },
        Rule::AddingForeignKeyConstraint => Advice {
            does: "FOREIGN KEY without NOT VALID",
            lock: Some("SHARE ROW EXCLUSIVE"),
            effect: "blocks writes to both tables while every row is checked",
            blocking: true,
            safe: NOT_VALID_THEN_VALIDATE,
        },
        Rule::AddingFieldWithDefault => Advice {
            does: "ADD COLUMN with a volatile or generated DEFAULT",
            lock: Some("ACCESS EXCLUSIVE"),
            effect: "rewrites the whole table, blocking reads and writes",
            blocking: true,
            safe: "Add the column without a default (or with a constant one, which PostgreSQL 11+ adds \
                   without a rewrite), backfill it in batches, then set the default.",
        },
        Rule::ChangingColumnType => Advice {
            does: "ALTER COLUMN ... TYPE",
            lock: Some("ACCESS EXCLUSIVE"),
            effect: "rewrites the table and its indexes, blocking reads and writes",
            blocking: true,
            safe: EXPAND_THEN_CONTRACT,
        },
        Rule::AddingNotNullableField => Advice {
            does: "SET NOT NULL",
            lock: Some("ACCESS EXCLUSIVE"),
            effect: "blocks reads and writes while every row is scanned",
            blocking: true,
            safe: "Add `CHECK (col IS NOT NULL) NOT VALID`, `VALIDATE CONSTRAINT` it in a later migration, \
                   then `SET NOT NULL` (PostgreSQL 12+ uses the valid check and skips the scan) and drop the check.",
        },
        Rule::AddingRequiredField => Advice {
            does: "ADD COLUMN ... NOT NULL without a DEFAULT",
            lock: Some("ACCESS EXCLUSIVE"),
            effect: "fails on a table that has rows, and breaks the old dynos' INSERTs",
            blocking: false,
            safe: "Add the column with a constant DEFAULT (no rewrite on PostgreSQL 11+), or nullable; \
                   backfill; then add NOT NULL the safe way.",
        },
        Rule::AddingSerialPrimaryKeyField => Advice {
            does: "ADD PRIMARY KEY",
            lock: Some("ACCESS EXCLUSIVE"),
            effect: "builds the index while blocking reads and writes",
            blocking: true,
            safe: INDEX_THEN_CONSTRAINT,
        },
        Rule::DisallowedUniqueConstraint => Advice {
            does: "ADD UNIQUE constraint",
            lock: Some("ACCESS EXCLUSIVE"),
            effect: "builds the index while blocking reads and writes",
            blocking: true,
            safe: INDEX_THEN_CONSTRAINT,
        },
        Rule::PreferRepack => Advice {
            does: "VACUUM FULL or CLUSTER",
            lock: Some("ACCESS EXCLUSIVE"),
            effect: "rewrites the table, blocking reads and writes",
            blocking: true,
            safe: "Run pg_repack outside the release instead; it rewrites without the long lock.",
        },
        Rule::RenamingColumn => Advice {
            does: "RENAME COLUMN",
            lock: None,
            effect: "the old dynos keep serving during the release and still use the old name",
            blocking: false,
            safe: EXPAND_THEN_CONTRACT,
        },
        Rule::RenamingTable => Advice {
            does: "RENAME TABLE",
            lock: None,
            effect: "the old dynos keep serving during the release and still use the old name",
            blocking: false,
            safe: EXPAND_THEN_CONTRACT,
        },
        Rule::BanDropColumn => Advice {
            does: "DROP COLUMN",
            lock: None,
            effect: "the old dynos keep serving during the release and may still read or write it",
            blocking: false,
            safe: "Stop using the column first (including in `query!` macros and `SELECT *` structs), \
                   release that, and drop it in a later release.",
        },
        Rule::BanDropTable => Advice {
            does: "DROP TABLE",
            lock: None,
            effect: "the old dynos keep serving during the release and may still use it; the data is gone",
            blocking: false,
            safe: "Stop using the table first, release that, and drop it in a later release (the \
                   release's backup is your way back).",
        },
        Rule::RequireLockTimeout => Advice {
            does: "a lock-taking statement with no lock_timeout",
            lock: None,
            effect: "while it waits for its lock, every other query on the table queues behind it",
            blocking: false,
            safe: "Keep SLIPWAY_LOCK_TIMEOUT above 0 (default 10s; slipway sets it for every migration), \
                   or start the migration with `SET lock_timeout = '5s';`.",
        },
        Rule::RequireStatementTimeout => Advice {
            does: "a slow statement with no statement_timeout",
            lock: None,
            effect: "it may hold its lock for as long as it runs",
            blocking: false,
            safe: "Keep SLIPWAY_STATEMENT_TIMEOUT above 0 (default 30m; slipway sets it for every \
                   migration), or start the migration with `SET statement_timeout = '5min';`.",
        },
        _ => return None,
    };
    Some(advice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_rules_name_their_lock() {
        let own = crate::lint::rules::SLIPWAY_RULE_NAMES
            .iter()
            .map(|name| name.parse::<RuleId>().unwrap());
        for rule in enum_iterator_rules().into_iter().chain(own) {
            if let Some(advice) = advice(rule) {
                assert!(
                    !advice.blocking || advice.lock.is_some(),
                    "{rule}: a blocking rule must say which lock it takes"
                );
            }
        }
    }

    fn enum_iterator_rules() -> Vec<RuleId> {
        [
            "require-concurrent-index-creation",
            "constraint-missing-not-valid",
            "adding-foreign-key-constraint",
            "adding-field-with-default",
            "changing-column-type",
            "adding-not-nullable-field",
            "adding-serial-primary-key-field",
            "disallowed-unique-constraint",
            "prefer-repack",
            "require-concurrent-reindex",
            "renaming-column",
        ]
        .iter()
        .map(|name| name.parse().unwrap())
        .collect()
    }
}
