//! Runs squawk's rule set on one migration file, and places each violation:
//! its line and column, its statement and the table that statement changes.

use std::collections::HashSet;

use squawk_linter::{Linter, Rule, Version, Violation};
use squawk_syntax::{SourceFile, SyntaxKind, SyntaxNode};

use super::ignores::IgnoreComments;
use super::locks::{self, Flagged};
use super::rules::SLIPWAY_RULE_NAMES;
use super::{Finding, LintSource, Position, RuleSet};

/// What squawk says about one file.
#[derive(Debug, Default)]
pub(crate) struct FileFindings {
    pub(crate) findings: Vec<Finding>,
    /// Findings that a `-- squawk-ignore` comment silenced.
    pub(crate) ignored: Vec<Finding>,
    /// Problems with the file or its ignore comments (unknown rule names,
    /// SQL squawk cannot parse), each with its position.
    pub(crate) notes: Vec<(Position, String)>,
}

/// Lints one file with `rules`.
pub(crate) fn lint_file(source: &LintSource, rules: &RuleSet) -> FileFindings {
    let text = source.sql.as_str();
    let parse = SourceFile::parse(text);
    let mut out = FileFindings::default();
    // One parse error usually causes a cascade; the first one is the useful one.
    if let Some(error) = parse.errors().first() {
        let position = Position::at(text, usize::from(error.range().start()));
        out.notes.push((
            position,
            format!(
                "squawk cannot parse this SQL ({}); the statements after it were not all checked",
                error.message()
            ),
        ));
    }
    let outside = runs_outside_a_transaction(source, &parse);
    let shown = run_linter(rules, outside, &as_sqlx_runs(source, text));
    // The same text with its ignore comments switched off (same length, so the
    // ranges agree): the difference is what the comments silenced. A file
    // without one (most) needs no second pass.
    let neutralised = neutralise_ignores(text);
    let all = if neutralised == text {
        shown.clone()
    } else {
        run_linter(rules, outside, &as_sqlx_runs(source, &neutralised))
    };
    let kept: HashSet<(Rule, usize)> = shown
        .iter()
        .map(|v| (v.code, usize::from(v.text_range.start())))
        .collect();
    let place = |violation: &Violation| finding(source, &parse, violation);
    for violation in &shown {
        if violation.code == Rule::UnusedIgnore && names_slipway_rule(&violation.message) {
            // squawk does not know slipway's own rules; `locks.rs` reads them.
            continue;
        }
        if violation.code == Rule::UnusedIgnore {
            let position = Position::at(text, usize::from(violation.text_range.start()));
            out.notes.push((
                position,
                format!(
                    "{} in a `-- squawk-ignore` comment: no such squawk rule, so it ignores nothing",
                    violation.message
                ),
            ));
        } else {
            out.findings.push(place(violation));
        }
    }
    out.ignored = all
        .iter()
        .filter(|v| v.code != Rule::UnusedIgnore)
        .filter(|v| !kept.contains(&(v.code, usize::from(v.text_range.start()))))
        .map(|v| {
            let mut ignored = place(v);
            ignored.ignored = true;
            ignored
        })
        .collect();
    let squawk_repacks: HashSet<usize> = all
        .iter()
        .filter(|v| v.code == Rule::PreferRepack)
        .map(|v| usize::from(v.text_range.start()))
        .collect();
    let ignores = IgnoreComments::read(text, &parse.syntax_node());
    for flagged in locks::flagged(&parse, &squawk_repacks) {
        let silenced = ignores.covers(text, flagged.start, flagged.rule);
        let mut finding = own_finding(source, flagged);
        finding.ignored = silenced;
        if silenced {
            out.ignored.push(finding);
        } else {
            out.findings.push(finding);
        }
    }
    // In the order of the file, squawk's and slipway's together (a stable
    // sort by line keeps squawk's own order within a line).
    out.findings.sort_by_key(|f| f.position.line);
    out
}

/// Whether squawk's "unknown name X" is one of slipway's own rules.
fn names_slipway_rule(message: &str) -> bool {
    message
        .strip_prefix("unknown name ")
        .is_some_and(|name| SLIPWAY_RULE_NAMES.contains(&name.trim()))
}

/// A finding of slipway's own (`locks.rs`), placed like squawk's.
fn own_finding(source: &LintSource, flagged: Flagged) -> Finding {
    Finding {
        rule: flagged.rule,
        file: source.path.clone(),
        position: Position::at(&source.sql, flagged.start),
        message: flagged.message,
        help: None,
        statement: summarise(&flagged.statement.text().to_string()),
        table: flagged.table,
        children: flagged.children,
        facts: None,
        ignored: false,
        marker: source.marker,
    }
}

/// The text squawk should judge. squawk reports `CONCURRENTLY` inside an
/// assumed transaction only in files of two or more statements (a lone
/// statement may run outside one), but sqlx wraps every transactional
/// migration, however short, in a transaction, where PostgreSQL refuses it.
/// A trailing no-op statement, after every real offset, makes squawk count
/// it as sqlx will run it.
fn as_sqlx_runs(source: &LintSource, text: &str) -> String {
    if source.no_tx {
        text.to_owned()
    } else {
        format!("{text}\nSELECT 1;")
    }
}

/// Whether the file really runs outside a transaction: a migration without
/// one (`-- no-transaction`, `run_in_transaction = false`) that holds two or
/// more statements is still one query, which PostgreSQL runs as one implicit
/// transaction, where `CONCURRENTLY` is refused (25001).
fn runs_outside_a_transaction(
    source: &LintSource,
    parse: &squawk_syntax::Parse<SourceFile>,
) -> bool {
    source.no_tx && parse.tree().stmts().count() < 2
}

/// A fresh linter per file: squawk's `Linter` keeps what it found.
fn run_linter(rules: &RuleSet, no_tx: bool, text: &str) -> Vec<Violation> {
    let parse = SourceFile::parse(text);
    let mut linter = Linter::with_rules(&rules.included, &rules.excluded);
    linter.settings.pg_version = rules.pg_version.unwrap_or_default();
    // sqlx runs every migration in a transaction unless it starts with `-- no-transaction`.
    linter.settings.assume_in_transaction = !no_tx;
    linter.lint(&parse, text)
}

/// `text` with every `squawk-ignore` marker made inert, keeping its length.
fn neutralise_ignores(text: &str) -> String {
    text.replace("squawk-ignore", "squawk_ignore")
}

/// Places one violation in its file and statement.
fn finding(
    source: &LintSource,
    parse: &squawk_syntax::Parse<SourceFile>,
    violation: &Violation,
) -> Finding {
    let text = source.sql.as_str();
    let start = usize::from(violation.text_range.start());
    let statement = statement_at(&parse.syntax_node(), start);
    Finding {
        rule: violation.code.into(),
        file: source.path.clone(),
        position: Position::at(text, start),
        message: violation.message.clone(),
        help: violation.help.clone(),
        statement: statement.as_ref().map_or_else(
            || text[violation.text_range].to_owned(),
            |node| summarise(&node.text().to_string()),
        ),
        table: statement.as_ref().and_then(changed_relation),
        children: statement.as_ref().is_some_and(locks::reaches_children),
        facts: None,
        ignored: false,
        marker: source.marker,
    }
}

/// The top-level statement that contains byte `offset`.
fn statement_at(file: &SyntaxNode, offset: usize) -> Option<SyntaxNode> {
    file.children().find(|node| {
        let range = node.text_range();
        usize::from(range.start()) <= offset && offset < usize::from(range.end())
    })
}

/// The relation a statement changes: the table of `ALTER TABLE` or
/// `CREATE INDEX ... ON`, else the first name it mentions (the index of
/// `DROP INDEX`, the table of `DROP TABLE`), as written.
fn changed_relation(statement: &SyntaxNode) -> Option<String> {
    let relation = statement.descendants().find(|node| {
        matches!(
            node.kind(),
            SyntaxKind::RELATION_NAME | SyntaxKind::TABLE_RELATION_NAME
        )
    });
    let scope = relation.as_ref().unwrap_or(statement);
    scope
        .descendants()
        .find(|node| matches!(node.kind(), SyntaxKind::PATH | SyntaxKind::PATH_REF))
        .map(|path| path.text().to_string().trim().to_owned())
}

/// A statement's first line, shortened, for messages.
fn summarise(statement: &str) -> String {
    let first = statement.trim().lines().next().unwrap_or_default().trim();
    let mut short: String = first.chars().take(100).collect();
    if short.len() < first.len() || statement.trim().lines().nth(1).is_some() {
        short.push_str(" …");
    }
    short
}

/// Parses a `server_version` such as `16.4 (Debian 16.4-1)` for squawk.
pub(crate) fn pg_version(server_version: &str) -> Option<Version> {
    let number = server_version.split_whitespace().next()?;
    number.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn lint(sql: &str, no_tx: bool) -> FileFindings {
        let source = LintSource {
            path: PathBuf::from("migrations/1_test.sql"),
            sql: sql.to_owned(),
            no_tx,
            marker: crate::lint::NoTxMarker::default(),
        };
        lint_file(&source, &RuleSet::default())
    }

    #[test]
    fn places_findings_on_their_line_and_column_and_table() {
        let found = lint(
            "CREATE TABLE a (id bigint);\n\n  CREATE INDEX documents_title ON public.documents (title);\n",
            false,
        );
        let index = found
            .findings
            .iter()
            .find(|f| f.rule == Rule::RequireConcurrentIndexCreation)
            .unwrap();
        assert_eq!(index.position, Position { line: 3, column: 3 });
        assert_eq!(index.table.as_deref(), Some("public.documents"));
        assert_eq!(
            index.statement,
            "CREATE INDEX documents_title ON public.documents (title);"
        );
    }

    #[test]
    fn an_alter_table_names_its_table_not_the_referenced_one() {
        let found = lint(
            "ALTER TABLE documents ADD CONSTRAINT fk FOREIGN KEY (owner_id) REFERENCES users (id);",
            false,
        );
        assert!(!found.findings.is_empty());
        assert!(
            found
                .findings
                .iter()
                .all(|f| f.table.as_deref() == Some("documents"))
        );
    }

    #[test]
    fn ignore_comments_move_findings_to_ignored_and_unknown_names_are_noted() {
        let found = lint(
            "-- squawk-ignore changing-column-type, no-such-rule\nALTER TABLE t ALTER COLUMN c TYPE bigint;\n",
            false,
        );
        assert!(
            found
                .findings
                .iter()
                .all(|f| f.rule != Rule::ChangingColumnType)
        );
        assert_eq!(
            found.ignored.iter().map(|f| f.rule).collect::<Vec<_>>(),
            vec![Rule::ChangingColumnType]
        );
        assert!(found.ignored[0].ignored);
        assert_eq!(found.notes.len(), 1);
        assert!(
            found.notes[0].1.contains("no-such-rule"),
            "{:?}",
            found.notes
        );
        assert_eq!(found.notes[0].0.line, 1);
    }

    #[test]
    fn concurrently_is_fine_outside_a_transaction_only() {
        let sql = "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (c);\n";
        let in_tx = lint(sql, false);
        assert!(
            in_tx
                .findings
                .iter()
                .any(|f| f.rule == Rule::BanConcurrentIndexCreationInTransaction)
        );
        let outside = lint(&format!("-- no-transaction\n{sql}"), true);
        assert!(outside.findings.is_empty(), "{:?}", outside.findings);
        // Two statements are one query, which PostgreSQL runs as an implicit transaction.
        let two = lint(
            &format!(
                "-- no-transaction\n{sql}CREATE INDEX CONCURRENTLY IF NOT EXISTS j ON t (d);\n"
            ),
            true,
        );
        assert!(
            two.findings
                .iter()
                .any(|f| f.rule == Rule::BanConcurrentIndexCreationInTransaction),
            "{:?}",
            two.findings
        );
    }

    #[test]
    fn server_versions_parse() {
        assert!(pg_version("16.4 (Debian 16.4-1.pgdg120+1)").is_some());
        assert!(pg_version("15.10").is_some());
        assert!(pg_version("").is_none());
    }
}
