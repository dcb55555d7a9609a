//! How findings read: a block of lines for people, an object for
//! `--format json`, and a workflow command for `--format github`.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};
use slipway_contract::text::human_bytes;

use super::{Facts, Finding, LintSettings, Note};

/// The one-line headline: rule, place, what the statement does, and to what.
/// "file.sql:3:1 require-concurrent-index-creation: CREATE INDEX without
/// CONCURRENTLY on public.documents (2.3 GiB, ~4.1M rows): blocks writes
/// while the index builds (SHARE lock)".
pub(crate) fn headline(finding: &Finding) -> String {
    let mut line = format!(
        "{}:{}:{} {}: {}",
        shown_path(&finding.file),
        finding.position.line,
        finding.position.column,
        finding.rule,
        what(finding)
    );
    if let Some(advice) = finding.advice() {
        let _ = write!(line, ": {}", advice.effect);
        if let Some(lock) = advice.lock {
            let _ = write!(line, " ({lock} lock)");
        }
    }
    line
}

/// What the statement does, and the table with its live facts.
fn what(finding: &Finding) -> String {
    let does = finding
        .advice()
        .map_or_else(|| finding.message.clone(), |a| a.does.to_owned());
    match (&finding.table, &finding.facts) {
        (
            _,
            Some(Facts::Table {
                name,
                bytes,
                rows,
                children,
            }),
        ) => format!(
            "{does} on {name} ({})",
            show_table_facts(*bytes, *rows, *children)
        ),
        (Some(table), Some(Facts::NotCreatedYet)) => {
            format!("{does} on {table} (not created yet: no rows to lock)")
        }
        (Some(table), None) => format!("{does} on {table}"),
        (None, _) => does,
    }
}

/// The block printed for a finding: the headline, the statement, why, and the fix.
pub(crate) fn human(finding: &Finding) -> String {
    let mut text = headline(finding);
    let _ = write!(text, "\n    statement: {}", finding.statement);
    // Without slipway's advice the headline already says squawk's message.
    if finding.advice().is_some() {
        let _ = write!(text, "\n    why:       {}", finding.message);
    }
    if let Some(safe) = safe_pattern(finding) {
        let _ = write!(text, "\n    safe:      {safe}");
    }
    text
}

/// The safe way to do it: slipway's advice, else squawk's help.
fn safe_pattern(finding: &Finding) -> Option<String> {
    finding
        .advice()
        .map(|a| finding.marker.words(a.safe))
        .or_else(|| finding.help.clone())
}

/// The line printed for a finding a `-- squawk-ignore` comment silenced.
pub(crate) fn ignored(finding: &Finding) -> String {
    format!("ignored by a squawk-ignore comment: {}", headline(finding))
}

/// The line printed for a note.
pub(crate) fn note(note: &Note) -> String {
    format!(
        "{}:{}:{} {}",
        shown_path(&note.file),
        note.position.line,
        note.position.column,
        note.text
    )
}

/// A finding in the JSON document.
pub(crate) fn to_json(finding: &Finding, settings: &LintSettings) -> Value {
    let advice = finding.advice();
    let facts = match &finding.facts {
        Some(Facts::Table {
            name,
            bytes,
            rows,
            children,
        }) => json!({
            "table": name,
            "bytes": bytes,
            "size": human_bytes(u64::try_from(*bytes).unwrap_or(0)),
            "rows": rows.map(round_rows),
            "children": children,
        }),
        Some(Facts::NotCreatedYet) => json!({ "table": finding.table, "exists": false }),
        None => Value::Null,
    };
    json!({
        "rule": finding.rule.to_string(),
        "file": shown_path(&finding.file),
        "line": finding.position.line,
        "column": finding.position.column,
        "statement": finding.statement,
        "does": advice.map_or(finding.message.as_str(), |a| a.does),
        "table": finding.table,
        "lock": advice.and_then(|a| a.lock),
        "blocking": finding.is_blocking(),
        "why": finding.message,
        "effect": advice.map(|a| a.effect),
        "safe": safe_pattern(finding),
        "facts": facts,
        "ignored": finding.ignored,
        "fails": !finding.ignored && finding.fails(settings),
    })
}

/// A GitHub Actions workflow command that annotates the file in a pull request.
pub(crate) fn github(finding: &Finding, fails: bool) -> String {
    let level = if fails { "error" } else { "warning" };
    let mut message = what(finding);
    if let Some(advice) = finding.advice() {
        let _ = write!(message, ": {}", advice.effect);
    }
    let _ = write!(message, ".\n{}", finding.message);
    if let Some(safe) = safe_pattern(finding) {
        let _ = write!(message, "\nSafe: {safe}");
    }
    format!(
        "::{level} file={},line={},col={},title={}::{}",
        escape_property(&shown_path(&finding.file)),
        finding.position.line,
        finding.position.column,
        escape_property(&format!("slipway lint: {}", finding.rule)),
        escape_data(&message)
    )
}

/// A note as a GitHub warning.
pub(crate) fn github_note(note: &Note) -> String {
    format!(
        "::warning file={},line={},col={},title={}::{}",
        escape_property(&shown_path(&note.file)),
        note.position.line,
        note.position.column,
        escape_property("slipway lint"),
        escape_data(&note.text)
    )
}

// GitHub's workflow-command escaping (actions/toolkit `command.ts`).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A path as the user wrote it, without a leading `./`.
fn shown_path(path: &Path) -> String {
    let shown = path.display().to_string();
    shown
        .strip_prefix("./")
        .map_or(shown.clone(), str::to_owned)
}

/// `2.3 GiB, ~4.1M rows`; `95.0 MiB including 12 partitions/children, ...`.
fn show_table_facts(bytes: i64, rows: Option<f64>, children: i64) -> String {
    let mut size = human_bytes(u64::try_from(bytes).unwrap_or(0));
    if children > 0 {
        let _ = write!(size, " including {children} partitions/children");
    }
    match rows {
        Some(rows) => format!("{size}, ~{} rows", show_count(rows)),
        None => format!("{size}, rows not counted yet (never analysed)"),
    }
}

/// `950`, `12.3K`, `4.1M`.
fn show_count(rows: f64) -> String {
    if rows >= 1e6 {
        format!("{:.1}M", rows / 1e6)
    } else if rows >= 1e4 {
        format!("{:.1}K", rows / 1e3)
    } else {
        format!("{rows:.0}")
    }
}

#[allow(clippy::cast_possible_truncation)] // A row estimate, shown whole.
fn round_rows(rows: f64) -> i64 {
    rows.round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{Mode, Position};
    use std::path::PathBuf;

    fn index_finding() -> Finding {
        Finding {
            marker: crate::lint::NoTxMarker::default(),
            rule: "require-concurrent-index-creation".parse().unwrap(),
            file: PathBuf::from("./migrations/2_index.sql"),
            position: Position { line: 3, column: 1 },
            message: "During normal index creation, table updates are blocked".to_owned(),
            help: None,
            statement: "CREATE INDEX i ON documents (title);".to_owned(),
            table: Some("documents".to_owned()),
            children: false,
            facts: Some(Facts::Table {
                name: "public.documents".to_owned(),
                bytes: 2_469_606_195,
                rows: Some(4_100_000.0),
                children: 0,
            }),
            ignored: false,
        }
    }

    #[test]
    fn the_headline_names_rule_place_table_size_rows_and_lock() {
        assert_eq!(
            headline(&index_finding()),
            "migrations/2_index.sql:3:1 require-concurrent-index-creation: CREATE INDEX without CONCURRENTLY \
             on public.documents (2.3 GiB, ~4.1M rows): blocks writes while the index builds (SHARE lock)"
        );
    }

    #[test]
    fn github_annotations_escape_their_data() {
        let line = github(&index_finding(), true);
        assert!(
            line.starts_with(
                "::error file=migrations/2_index.sql,line=3,col=1,title=slipway lint%3A require-concurrent-index-creation::"
            ),
            "{line}"
        );
        assert!(!line.contains('\n'));
        assert!(line.contains("%0ASafe: Use `CREATE INDEX CONCURRENTLY"));
    }

    #[test]
    fn json_says_whether_it_fails() {
        let settings = LintSettings {
            mode: Mode::Warn,
            blocking_max_size: 64 << 20,
            rules: super::super::RuleChoice::default(),
        };
        let value = to_json(&index_finding(), &settings);
        assert_eq!(value["fails"], json!(true));
        assert_eq!(value["facts"]["size"], json!("2.3 GiB"));
        assert_eq!(value["line"], json!(3));
    }

    #[test]
    fn sizes_and_counts_read_well() {
        assert_eq!(show_count(950.0), "950");
        assert_eq!(show_count(12_345.0), "12.3K");
    }
}
