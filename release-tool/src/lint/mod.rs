//! `lint`: squawk's rules on the migrations, with the live size of each table
//! a finding touches. squawk (`squawk.rs`) finds and places the problems;
//! `locks.rs` adds the statements squawk does not flag by the lock they take
//! (`CLUSTER`, `VACUUM FULL`, `LOCK TABLE`, `REFRESH MATERIALIZED VIEW`,
//! `TRUNCATE`); `advice.rs` says what each one means during a Heroku release;
//! `facts.rs` reads the table sizes; `output.rs` prints them for people, JSON
//! and GitHub.
//!
//! A finding fails the release when `SLIPWAY_LINT=error`, or when it is a
//! blocking statement (one that holds its lock while the table is scanned or
//! rewritten) on a table larger than `SLIPWAY_LINT_BLOCKING_MAX_SIZE`.

pub(crate) mod advice;
pub(crate) mod build;
mod errors;
pub(crate) mod facts;
mod ignores;
mod locks;
pub(crate) mod output;
pub(crate) mod rules;
pub(crate) mod squawk;

use std::path::{Path, PathBuf};
use std::time::Duration;

use squawk_linter::{Rule, Version};

use crate::migrations::Migration;
pub(crate) use crate::migrations::source::NoTxMarker;
use crate::migrations::source::{self, SourceError};
use crate::migrations::sqlx::source as sqlx_source;
use advice::Advice;
use rules::RuleId;
use slipway_contract::{MigrationFormat, parse_diesel_metadata};

/// `SLIPWAY_LINT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Off,
    Warn,
    Error,
}

impl Mode {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "off" => Ok(Mode::Off),
            "warn" => Ok(Mode::Warn),
            "error" => Ok(Mode::Error),
            _ => Err("not a lint mode".to_owned()),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Warn => "warn",
            Mode::Error => "error",
        }
    }
}

/// The lint settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LintSettings {
    pub(crate) mode: Mode,
    /// Blocking statements on tables larger than this fail the release.
    pub(crate) blocking_max_size: u64,
    /// `SLIPWAY_LINT_RULES`.
    pub(crate) rules: RuleChoice,
}

/// One file to lint.
#[derive(Debug, Clone)]
pub(crate) struct LintSource {
    pub(crate) path: PathBuf,
    pub(crate) sql: String,
    /// The tool runs it outside a transaction (`-- no-transaction`, `run_in_transaction = false`).
    pub(crate) no_tx: bool,
    /// How the tool is asked for that, for the safe patterns.
    pub(crate) marker: NoTxMarker,
}

impl From<&Migration> for LintSource {
    fn from(migration: &Migration) -> Self {
        Self {
            path: migration.path.clone(),
            sql: migration.sql.clone(),
            no_tx: migration.no_tx,
            marker: migration.marker,
        }
    }
}

/// Every up-migration of `migrations`: what the lint reads without a database.
pub(crate) fn up_sources(migrations: &[Migration]) -> Vec<LintSource> {
    migrations
        .iter()
        .filter(|m| m.kind.is_up())
        .map(LintSource::from)
        .collect()
}

/// squawk's rules about style and column types, not about locks, rewrites, lost data or
/// timeouts: off unless `SLIPWAY_LINT_RULES` turns them on. A release phase stops or warns
/// for what can hurt the running app, as `strong_migrations` and `diesel-guard` do.
pub(crate) const STYLE_RULES: [Rule; 6] = [
    Rule::PreferBigintOverInt,
    Rule::PreferBigintOverSmallint,
    Rule::PreferIdentity,
    Rule::PreferTextField,
    Rule::PreferTimestampTz,
    Rule::BanCharField,
];

/// `SLIPWAY_LINT_RULES`: squawk rules turned on (a style rule, or one squawk leaves opt-in)
/// or off (`-name`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RuleChoice {
    pub(crate) on: Vec<Rule>,
    pub(crate) off: Vec<Rule>,
}

impl RuleChoice {
    /// Parses squawk rule names separated by commas or spaces, each turned off by a leading
    /// `-` (`prefer-identity, -ban-drop-column`).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut choice = Self::default();
        for item in text
            .split([',', ' '])
            .map(str::trim)
            .filter(|i| !i.is_empty())
        {
            let (off, name) = match item.strip_prefix('-') {
                Some(name) => (true, name.trim()),
                None => (false, item.strip_prefix('+').unwrap_or(item).trim()),
            };
            let rule = name
                .parse::<Rule>()
                .map_err(|_| format!("{name:?} is not one of squawk's rules"))?;
            if off {
                choice.off.push(rule);
            } else {
                choice.on.push(rule);
            }
        }
        Ok(choice)
    }
}

/// Which of squawk's rules run, and for which PostgreSQL.
#[derive(Debug, Clone)]
pub(crate) struct RuleSet {
    pub(crate) included: Vec<Rule>,
    pub(crate) excluded: Vec<Rule>,
    pub(crate) pg_version: Option<Version>,
}

impl RuleSet {
    /// squawk's default rules, less its style rules ([`STYLE_RULES`]) and the timeout rules
    /// that slipway's own session settings already satisfy (it sets `lock_timeout` and
    /// `statement_timeout` for every migration unless they are set to 0), as `choice`
    /// turns rules on and off.
    pub(crate) fn new(
        lock_timeout: Duration,
        statement_timeout: Duration,
        pg_version: Option<Version>,
        choice: &RuleChoice,
    ) -> Self {
        let mut excluded: Vec<Rule> = STYLE_RULES
            .into_iter()
            .filter(|rule| !choice.on.contains(rule))
            .collect();
        if !lock_timeout.is_zero() {
            excluded.push(Rule::RequireLockTimeout);
        }
        if !statement_timeout.is_zero() {
            excluded.push(Rule::RequireStatementTimeout);
        }
        excluded.extend(choice.off.iter().copied());
        Self {
            included: choice.on.clone(),
            excluded,
            pg_version,
        }
    }

    /// The rules for slipway's default timeouts (both set), as `choice` turns rules on and off.
    pub(crate) fn with_default_timeouts(choice: &RuleChoice) -> Self {
        Self::new(Duration::from_secs(1), Duration::from_secs(1), None, choice)
    }
}

impl Default for RuleSet {
    /// The rules for slipway's default timeouts (both set).
    fn default() -> Self {
        Self::with_default_timeouts(&RuleChoice::default())
    }
}

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl Position {
    /// The position of byte `offset` in `text`.
    pub(crate) fn at(text: &str, offset: usize) -> Self {
        let (line, column) = slipway_contract::text::line_and_column(text, offset);
        Self { line, column }
    }
}

/// What the database says about the table a finding touches.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Facts {
    Table {
        /// `schema.table`.
        name: String,
        /// `pg_total_relation_size`: the table, its indexes and TOAST, and
        /// those of every partition (or inheritance child, when the
        /// statement reaches them).
        bytes: i64,
        /// `reltuples` (of the leaf partitions, for a partitioned table);
        /// `None` when none of them was ever analysed.
        rows: Option<f64>,
        /// How many partitions or inheritance children `bytes` includes.
        children: i64,
    },
    /// No such table yet: an earlier pending migration creates it.
    NotCreatedYet,
}

/// One squawk finding, placed and explained.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub(crate) rule: RuleId,
    pub(crate) file: PathBuf,
    pub(crate) position: Position,
    /// squawk's message.
    pub(crate) message: String,
    /// squawk's help.
    pub(crate) help: Option<String>,
    /// The statement, shortened to its first line.
    pub(crate) statement: String,
    /// The table (or index) the statement changes, as written.
    pub(crate) table: Option<String>,
    /// The statement also acts on the table's inheritance children (an
    /// `ALTER TABLE`, `LOCK TABLE` or `TRUNCATE` without `ONLY`). Partitions
    /// always count.
    pub(crate) children: bool,
    pub(crate) facts: Option<Facts>,
    /// Silenced by a `-- squawk-ignore` comment.
    pub(crate) ignored: bool,
    /// How the file's tool runs a migration outside a transaction.
    pub(crate) marker: NoTxMarker,
}

impl Finding {
    pub(crate) fn advice(&self) -> Option<Advice> {
        advice::advice(self.rule)
    }

    /// Whether the statement holds its lock while the table is scanned or rewritten.
    pub(crate) fn is_blocking(&self) -> bool {
        self.advice().is_some_and(|a| a.blocking)
    }

    /// The table's size, when the database was asked.
    pub(crate) fn table_bytes(&self) -> Option<u64> {
        match &self.facts {
            Some(Facts::Table { bytes, .. }) => u64::try_from(*bytes).ok(),
            _ => None,
        }
    }

    /// Whether this finding stops the release under `settings`.
    pub(crate) fn fails(&self, settings: &LintSettings) -> bool {
        match settings.mode {
            Mode::Off => false,
            Mode::Error => true,
            Mode::Warn => {
                self.is_blocking()
                    && self
                        .table_bytes()
                        .is_some_and(|bytes| bytes > settings.blocking_max_size)
            }
        }
    }
}

/// A note about a file rather than a finding: an unknown rule name in an
/// ignore comment, or SQL squawk cannot parse.
#[derive(Debug, Clone)]
pub(crate) struct Note {
    pub(crate) file: PathBuf,
    pub(crate) position: Position,
    pub(crate) text: String,
}

/// Everything one lint run found.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) files: usize,
    pub(crate) findings: Vec<Finding>,
    pub(crate) ignored: Vec<Finding>,
    pub(crate) notes: Vec<Note>,
}

impl Outcome {
    /// The findings that stop the release.
    pub(crate) fn failing(&self, settings: &LintSettings) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.fails(settings)).collect()
    }
}

/// Lints every file with `rules` (no database: see `facts::attach`).
pub(crate) fn lint_sources(sources: &[LintSource], rules: &RuleSet) -> Outcome {
    let mut outcome = Outcome {
        files: sources.len(),
        ..Outcome::default()
    };
    for source in sources {
        let found = squawk::lint_file(source, rules);
        outcome.findings.extend(found.findings);
        outcome.ignored.extend(found.ignored);
        outcome
            .notes
            .extend(found.notes.into_iter().map(|(position, text)| Note {
                file: source.path.clone(),
                position,
                text,
            }));
    }
    outcome
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum LintError {
    #[error(transparent)]
    Unreadable(SourceError),
    #[error(
        "cannot read the tables' sizes from the database: {}",
        crate::errors::db_error(.0)
    )]
    Facts(#[source] sqlx::Error),
    #[error(
        "another session held {table} locked for longer than the lock wait ({}), so its size \
         could not be read",
        humantime::format_duration(*waited)
    )]
    TableLocked {
        table: String,
        waited: std::time::Duration,
    },
    #[error("{} finding(s) stop the release", failing.len())]
    Failed {
        failing: Vec<String>,
        mode: Mode,
        max_size: u64,
    },
}

/// Reads a file named on the command line (any name: it need not follow
/// the tool's naming rules), as the app's migration tool would run it: a
/// Diesel app's `up.sql` beside a `metadata.toml` that turns the transaction
/// off, a sqlx file that starts with `-- no-transaction`.
pub(crate) fn read_source(path: &Path, format: MigrationFormat) -> Result<LintSource, LintError> {
    let sql = source::read_utf8(path).map_err(LintError::Unreadable)?;
    let (no_tx, marker) = match format {
        MigrationFormat::Diesel => {
            let metadata = path.parent().map(|dir| dir.join("metadata.toml"));
            let no_tx = metadata
                .and_then(|file| std::fs::read_to_string(file).ok())
                .is_some_and(|text| !parse_diesel_metadata(&text).run_in_transaction);
            (no_tx, NoTxMarker::DieselMetadata)
        }
        MigrationFormat::Sqlx | MigrationFormat::Command => (
            sqlx_source::is_no_transaction(&sql),
            NoTxMarker::SqlxComment,
        ),
    };
    Ok(LintSource {
        path: path.to_owned(),
        no_tx,
        marker,
        sql,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "ab\n  é x\n";
        assert_eq!(Position::at(text, 0), Position { line: 1, column: 1 });
        let x = text.find('x').unwrap();
        assert_eq!(Position::at(text, x), Position { line: 2, column: 5 });
    }

    fn finding(rule: &str, bytes: Option<i64>) -> Finding {
        Finding {
            rule: rule.parse().unwrap(),
            file: PathBuf::from("m/1_a.sql"),
            position: Position { line: 1, column: 1 },
            message: String::new(),
            help: None,
            statement: String::new(),
            table: Some("t".to_owned()),
            children: false,
            facts: bytes.map(|bytes| Facts::Table {
                name: "public.t".to_owned(),
                bytes,
                rows: None,
                children: 0,
            }),
            ignored: false,
            marker: NoTxMarker::default(),
        }
    }

    #[test]
    fn warn_fails_only_blocking_statements_on_big_tables() {
        let warn = LintSettings {
            mode: Mode::Warn,
            blocking_max_size: 1000,
            rules: RuleChoice::default(),
        };
        let index = "require-concurrent-index-creation";
        assert!(finding(index, Some(1001)).fails(&warn));
        assert!(!finding(index, Some(1000)).fails(&warn));
        assert!(!finding(index, None).fails(&warn));
        assert!(!finding("renaming-column", Some(1_000_000)).fails(&warn));
        let error = LintSettings {
            mode: Mode::Error,
            ..warn.clone()
        };
        assert!(finding("renaming-column", None).fails(&error));
        let off = LintSettings {
            mode: Mode::Off,
            ..warn
        };
        assert!(!finding(index, Some(1_000_000)).fails(&off));
    }

    #[test]
    fn timeout_rules_run_only_when_slipway_sets_no_timeout() {
        let none = RuleChoice::default();
        let set = RuleSet::new(Duration::from_secs(10), Duration::from_mins(1), None, &none);
        assert!(set.excluded.contains(&Rule::RequireLockTimeout));
        let unset = RuleSet::new(Duration::ZERO, Duration::ZERO, None, &none);
        assert!(!unset.excluded.contains(&Rule::RequireLockTimeout));
        assert!(!unset.excluded.contains(&Rule::RequireStatementTimeout));
    }

    #[test]
    fn style_rules_are_off_unless_turned_on_and_any_rule_can_be_turned_off() {
        let style = "CREATE TABLE t (id serial PRIMARY KEY, name varchar(10), at timestamp);\n";
        let rules_of = |choice: &str| {
            let set = RuleSet::with_default_timeouts(&RuleChoice::parse(choice).unwrap());
            let source = LintSource {
                path: PathBuf::from("1_t.sql"),
                sql: style.to_owned(),
                no_tx: false,
                marker: NoTxMarker::default(),
            };
            let mut found: Vec<String> = lint_sources(&[source], &set)
                .findings
                .iter()
                .map(|f| f.rule.name())
                .collect();
            found.sort();
            found
        };
        assert_eq!(rules_of(""), Vec::<String>::new());
        assert_eq!(
            rules_of("prefer-identity, prefer-timestamp-tz"),
            ["prefer-identity", "prefer-timestamp-tz"]
        );
        assert_eq!(
            rules_of("prefer-identity,-prefer-identity"),
            Vec::<String>::new()
        );
        assert!(RuleChoice::parse("prefer-nothing").is_err());
        let drop = "ALTER TABLE t DROP COLUMN name;\n";
        let set = RuleSet::with_default_timeouts(&RuleChoice::parse("-ban-drop-column").unwrap());
        let source = LintSource {
            path: PathBuf::from("2_drop.sql"),
            sql: drop.to_owned(),
            no_tx: false,
            marker: NoTxMarker::default(),
        };
        assert!(lint_sources(&[source], &set).findings.is_empty());
    }
}
