//! slipway's own lock classification, for the statements that take a strong
//! lock and that squawk does not flag, or flags only for some PostgreSQL
//! versions: squawk's `prefer-repack` fires for `CLUSTER` and `VACUUM FULL`
//! only from PostgreSQL 19 (where `REPACK` exists), yet on any version they
//! rewrite the table under ACCESS EXCLUSIVE. The locks are PostgreSQL's
//! (<https://www.postgresql.org/docs/current/explicit-locking.html>):
//!
//! - `CLUSTER`, `VACUUM FULL`: ACCESS EXCLUSIVE while the table is rewritten
//!   (`prefer-repack`, blocking).
//! - `REFRESH MATERIALIZED VIEW` without `CONCURRENTLY`: ACCESS EXCLUSIVE on
//!   the view while its query runs (`require-concurrent-refresh`, blocking).
//! - `LOCK TABLE` in SHARE mode or stronger (ACCESS EXCLUSIVE when no mode is
//!   written): blocks writes, or reads too, until the migration commits
//!   (`lock-table`, blocking). The weaker modes block no reads or writes.
//! - `TRUNCATE`: ACCESS EXCLUSIVE, but brief: it neither scans nor rewrites
//!   (`truncate`, not blocking).
//!
//! `REINDEX` without `CONCURRENTLY` needs nothing here: squawk's
//! `require-concurrent-reindex` flags it on every version.

use std::collections::HashSet;

use squawk_linter::Rule;
use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SourceFile, SyntaxKind, SyntaxNode};

use super::rules::{LockMode, RuleId, SlipwayRule};

/// A statement slipway flags by its lock, once per table it names.
#[derive(Debug)]
pub(super) struct Flagged {
    pub(super) rule: RuleId,
    /// The statement, for its text and range.
    pub(super) statement: SyntaxNode,
    /// Where it starts, after any leading comment (as squawk places findings).
    pub(super) start: usize,
    /// Why it is unsafe, in squawk's style.
    pub(super) message: String,
    /// The table as written (`None` for a bare `CLUSTER` or `VACUUM FULL`).
    pub(super) table: Option<String>,
    /// It also acts on the table's inheritance children (no `ONLY`).
    pub(super) children: bool,
}

/// The statements of `parse` slipway flags, less the `prefer-repack` ones
/// squawk flagged itself (it starts one of its violations at `squawk_repacks`).
pub(super) fn flagged(
    parse: &squawk_syntax::Parse<SourceFile>,
    squawk_repacks: &HashSet<usize>,
) -> Vec<Flagged> {
    let mut out = Vec::new();
    for stmt in parse.tree().stmts() {
        let Some((rule, message, targets)) = classify(&stmt) else {
            continue;
        };
        let statement = stmt.syntax().clone();
        let start = usize::from(
            statement
                .children_with_tokens()
                .find(|x| !x.kind().is_trivia())
                .map_or_else(
                    || statement.text_range().start(),
                    |x| x.text_range().start(),
                ),
        );
        let range = statement.text_range();
        let squawk_did = rule == Rule::PreferRepack
            && squawk_repacks
                .iter()
                .any(|at| usize::from(range.start()) <= *at && *at < usize::from(range.end()));
        if squawk_did {
            continue;
        }
        for (table, children) in targets {
            out.push(Flagged {
                rule,
                statement: statement.clone(),
                start,
                message: message.clone(),
                table,
                children,
            });
        }
    }
    out
}

/// The tables a statement names, each with whether it reaches inheritance children.
type Targets = Vec<(Option<String>, bool)>;

/// slipway's rule for `stmt`, its message and its tables; `None` for a
/// statement it leaves to squawk.
fn classify(stmt: &ast::Stmt) -> Option<(RuleId, String, Targets)> {
    let rewrite = |what: &str| {
        format!(
            "`{what}` rewrites the table under an `ACCESS EXCLUSIVE` lock, which blocks reads and \
             writes until it finishes."
        )
    };
    match stmt {
        ast::Stmt::Cluster(cluster) => {
            let table = cluster
                .table_name_ref()
                .map(|t| t.syntax().clone())
                .or_else(|| {
                    let on = cluster.cluster_legacy()?.on_path()?;
                    Some(on.syntax().clone())
                })
                .and_then(|node| first_path(&node));
            let message = rewrite("CLUSTER");
            Some((Rule::PreferRepack.into(), message, vec![(table, false)]))
        }
        ast::Stmt::Vacuum(vacuum) if vacuum.is_full() => {
            let mut tables: Targets = vacuum
                .table_and_columns_list()
                .map(|list| {
                    list.table_and_columnss()
                        .map(|t| (first_path(t.syntax()), false))
                        .collect()
                })
                .unwrap_or_default();
            if tables.is_empty() {
                tables.push((None, false));
            }
            let message = format!(
                "{} It also cannot run inside a transaction block.",
                rewrite("VACUUM FULL")
            );
            Some((Rule::PreferRepack.into(), message, tables))
        }
        ast::Stmt::Refresh(refresh) if refresh.concurrently_token().is_none() => {
            let view = refresh.view_ref().and_then(|v| first_path(v.syntax()));
            let message = "`REFRESH MATERIALIZED VIEW` without `CONCURRENTLY` holds an `ACCESS \
                           EXCLUSIVE` lock on the view, which blocks reads of it, while its query runs."
                .to_owned();
            let rule = RuleId::Slipway(SlipwayRule::RequireConcurrentRefresh);
            Some((rule, message, vec![(view, false)]))
        }
        ast::Stmt::Lock(lock) => {
            let mode = lock_mode(lock)?;
            let tables = lock
                .relation_list()
                .map(|list| {
                    list.relation_names()
                        .map(|name| (first_path(name.syntax()), name.only_token().is_none()))
                        .collect()
                })
                .unwrap_or_default();
            let message = format!(
                "`LOCK TABLE` takes an `{}` lock and holds it until the migration commits.",
                mode.name()
            );
            Some((
                RuleId::Slipway(SlipwayRule::LockTable(mode)),
                message,
                tables,
            ))
        }
        ast::Stmt::Truncate(truncate) => {
            let tables = truncate
                .table_list()
                .map(|list| {
                    list.table_relation_names()
                        .map(|name| (first_path(name.syntax()), name.only_token().is_none()))
                        .collect()
                })
                .unwrap_or_default();
            let message =
                "`TRUNCATE` takes an `ACCESS EXCLUSIVE` lock and removes every row at once."
                    .to_owned();
            Some((RuleId::Slipway(SlipwayRule::Truncate), message, tables))
        }
        _ => None,
    }
}

/// The mode of a `LOCK TABLE` if it blocks the app's writes (SHARE or
/// stronger); ACCESS EXCLUSIVE when none is written, as PostgreSQL reads it.
fn lock_mode(lock: &ast::Lock) -> Option<LockMode> {
    let Some(mode) = lock.lock_mode_clause().and_then(|c| c.lock_mode()) else {
        return Some(LockMode::AccessExclusive);
    };
    match mode {
        ast::LockMode::AccessExclusive(_) => Some(LockMode::AccessExclusive),
        ast::LockMode::Exclusive(_) => Some(LockMode::Exclusive),
        ast::LockMode::ShareRowExclusive(_) => Some(LockMode::ShareRowExclusive),
        ast::LockMode::Share(_) => Some(LockMode::Share),
        ast::LockMode::AccessShare(_)
        | ast::LockMode::RowShare(_)
        | ast::LockMode::RowExclusive(_)
        | ast::LockMode::ShareUpdateExclusive(_) => None,
    }
}

/// Whether a statement squawk flagged also acts on its table's inheritance
/// children: an `ALTER TABLE` without `ONLY` recurses into them.
pub(super) fn reaches_children(statement: &SyntaxNode) -> bool {
    ast::AlterTable::cast(statement.clone()).is_some_and(|alter| {
        alter
            .table_relation_name()
            .is_some_and(|name| name.only_token().is_none())
    })
}

/// The first (outermost) name in `node`, as written.
fn first_path(node: &SyntaxNode) -> Option<String> {
    node.descendants()
        .find(|n| matches!(n.kind(), SyntaxKind::PATH | SyntaxKind::PATH_REF))
        .map(|path| path.text().to_string().trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::super::ignores::IgnoreComments;
    use super::*;

    /// One flagged table: rule, table, children, ignored.
    type Flag = (String, Option<String>, bool, bool);

    /// What slipway flags in `sql`.
    fn flag(sql: &str) -> Vec<Flag> {
        let parse = SourceFile::parse(sql);
        let ignores = IgnoreComments::read(sql, &parse.syntax_node());
        flagged(&parse, &HashSet::new())
            .into_iter()
            .map(|f| {
                let silenced = ignores.covers(sql, f.start, f.rule);
                (f.rule.name(), f.table, f.children, silenced)
            })
            .collect()
    }

    fn one(rule: &str, table: &str, children: bool) -> Vec<Flag> {
        vec![(rule.to_owned(), Some(table.to_owned()), children, false)]
    }

    #[test]
    fn statements_are_flagged_by_the_lock_they_take() {
        let cases: &[(&str, Vec<Flag>)] = &[
            (
                "CLUSTER big USING big_pkey;",
                one("prefer-repack", "big", false),
            ),
            (
                "cluster verbose public.big;",
                one("prefer-repack", "public.big", false),
            ),
            (
                "CLUSTER big_pkey ON big;",
                one("prefer-repack", "big", false),
            ),
            (
                "CLUSTER;",
                vec![("prefer-repack".to_owned(), None, false, false)],
            ),
            ("VACUUM FULL big;", one("prefer-repack", "big", false)),
            (
                "VACUUM (FULL, ANALYZE) \"Big\";",
                one("prefer-repack", "\"Big\"", false),
            ),
            (
                "VACUUM FULL;",
                vec![("prefer-repack".to_owned(), None, false, false)],
            ),
            ("VACUUM big;", vec![]),
            ("VACUUM (FULL false) big;", vec![]),
            (
                "REFRESH MATERIALIZED VIEW s.mv;",
                one("require-concurrent-refresh", "s.mv", false),
            ),
            (
                "REFRESH MATERIALIZED VIEW mv WITH NO DATA;",
                one("require-concurrent-refresh", "mv", false),
            ),
            ("REFRESH MATERIALIZED VIEW CONCURRENTLY mv;", vec![]),
            ("LOCK TABLE big;", one("lock-table", "big", true)),
            (
                "LOCK big IN ACCESS EXCLUSIVE MODE;",
                one("lock-table", "big", true),
            ),
            (
                "LOCK TABLE ONLY big IN EXCLUSIVE MODE NOWAIT;",
                one("lock-table", "big", false),
            ),
            (
                "LOCK TABLE big IN SHARE MODE;",
                one("lock-table", "big", true),
            ),
            (
                "LOCK TABLE big IN SHARE ROW EXCLUSIVE MODE;",
                one("lock-table", "big", true),
            ),
            ("LOCK TABLE big IN SHARE UPDATE EXCLUSIVE MODE;", vec![]),
            ("LOCK TABLE big IN ROW EXCLUSIVE MODE;", vec![]),
            ("LOCK TABLE big IN ACCESS SHARE MODE;", vec![]),
            ("TRUNCATE big;", one("truncate", "big", true)),
            (
                "TRUNCATE TABLE ONLY big RESTART IDENTITY;",
                one("truncate", "big", false),
            ),
            ("CREATE INDEX i ON big (c);", vec![]),
            ("REINDEX TABLE big;", vec![]),
        ];
        for (sql, expected) in cases {
            assert_eq!(&flag(sql), expected, "{sql}");
        }
        let two = flag("LOCK TABLE a, ONLY b;\nTRUNCATE c, d;");
        let tables: Vec<_> = two.iter().map(|f| (f.1.as_deref().unwrap(), f.2)).collect();
        assert_eq!(
            tables,
            [("a", true), ("b", false), ("c", true), ("d", true)]
        );
    }

    #[test]
    fn the_lock_mode_is_named() {
        let parse = SourceFile::parse("LOCK TABLE t IN SHARE MODE;");
        let found = flagged(&parse, &HashSet::new());
        assert_eq!(
            found[0].rule,
            RuleId::Slipway(SlipwayRule::LockTable(LockMode::Share))
        );
        assert!(found[0].message.contains("`SHARE` lock"));
    }

    #[test]
    fn squawks_own_repack_finding_is_not_repeated() {
        let sql = "SELECT 1;\nCLUSTER big;";
        let parse = SourceFile::parse(sql);
        let at = sql.find("CLUSTER").unwrap();
        assert!(flagged(&parse, &HashSet::from([at])).is_empty());
        assert_eq!(flagged(&parse, &HashSet::from([0])).len(), 1);
    }

    #[test]
    fn ignore_comments_silence_slipways_rules_as_squawks() {
        let line = "-- squawk-ignore lock-table, truncate\nLOCK TABLE t; TRUNCATE t;\nTRUNCATE u;";
        let ignored: Vec<bool> = flag(line).iter().map(|f| f.3).collect();
        assert_eq!(ignored, [true, true, false]);
        let file = "-- squawk-ignore-file prefer-repack\nCLUSTER t;\nTRUNCATE t;";
        let ignored: Vec<bool> = flag(file).iter().map(|f| f.3).collect();
        assert_eq!(ignored, [true, false]);
        let all = "-- squawk-ignore-file\nCLUSTER t;\nTRUNCATE t;";
        assert!(flag(all).iter().all(|f| f.3));
        let other = "-- squawk-ignore ban-drop-column\nCLUSTER t;";
        assert!(!flag(other)[0].3);
    }

    #[test]
    fn only_alter_table_without_only_reaches_inheritance_children() {
        let statement = |sql: &str| {
            SourceFile::parse(sql)
                .syntax_node()
                .children()
                .next()
                .unwrap()
        };
        assert!(reaches_children(&statement(
            "ALTER TABLE p ALTER c TYPE bigint;"
        )));
        assert!(!reaches_children(&statement(
            "ALTER TABLE ONLY p ALTER c TYPE bigint;"
        )));
        assert!(!reaches_children(&statement("CREATE INDEX i ON p (c);")));
    }
}
