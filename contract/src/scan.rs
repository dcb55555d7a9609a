//! Where SQL uses pgvector. The scan is lexical: it skips comments and string
//! literals and reads each pgvector word in its context, without parsing SQL.
//!
//! The type names (`vector`, `halfvec`, `sparsevec`) are also common column
//! and table names, so they count only where a type goes: after `::`, `TYPE`,
//! `RETURNS`, `SETOF` or a column or argument name, after `AS` in a cast or a
//! domain, and as a routine's argument (`f(vector)`), schema-qualified or not.
//! As a name (`CREATE TABLE vector`, `SELECT vector FROM`, a column list) they
//! do not. In doubt it counts: a needless extension is cheaper than a failed
//! release.

use crate::lexer::{self, Kind, Token};
use crate::{Feature, Finding, MigrationFiles, VectorUsage};

/// Words after which a type name is a name: the table, column or alias of a
/// statement, not a type.
const NAME_KEYWORDS: &[&str] = &[
    "add",
    "aggregate",
    "all",
    "alter",
    "analyze",
    "and",
    "any",
    "asc",
    "between",
    "by",
    "call",
    "cascade",
    "case",
    "cast",
    "check",
    "cluster",
    "column",
    "comment",
    "concurrently",
    "constraint",
    "copy",
    "database",
    "declare",
    "default",
    "delete",
    "desc",
    "distinct",
    "do",
    "domain",
    "drop",
    "else",
    "end",
    "exists",
    "extension",
    "for",
    "foreign",
    "from",
    "function",
    "grant",
    "having",
    "if",
    "ilike",
    "in",
    "include",
    "index",
    "insert",
    "into",
    "is",
    "join",
    "key",
    "like",
    "limit",
    "lock",
    "materialized",
    "not",
    "null",
    "of",
    "offset",
    "on",
    "only",
    "operator",
    "or",
    "order",
    "over",
    "partition",
    "perform",
    "policy",
    "primary",
    "procedure",
    "references",
    "reindex",
    "rename",
    "restrict",
    "return",
    "returning",
    "revoke",
    "role",
    "schema",
    "select",
    "sequence",
    "set",
    "some",
    "statistics",
    "strict",
    "table",
    "tablespace",
    "temp",
    "temporary",
    "then",
    "to",
    "trigger",
    "truncate",
    "unique",
    "unlogged",
    "update",
    "user",
    "using",
    "vacuum",
    "values",
    "view",
    "when",
    "where",
    "window",
    "with",
];

/// Statements whose parentheses hold argument *types* (`f(vector, int)`).
const ROUTINE_KEYWORDS: &[&str] = &[
    "aggregate",
    "cast",
    "function",
    "operator",
    "procedure",
    "routine",
];

/// Scans one SQL text. `file` only labels the findings.
#[must_use]
pub fn scan_sql(file: &str, sql: &str) -> VectorUsage {
    let tokens = lexer::tokens(sql);
    let findings = (0..tokens.len())
        .filter_map(|index| {
            feature_at(&tokens, index).map(|feature| Finding {
                file: file.to_owned(),
                line: tokens[index].line,
                feature,
            })
        })
        .collect();
    VectorUsage { findings }
}

/// Scans the up migrations of a folder listed by
/// [`list_migration_files`](crate::list_migration_files) (sqlx's rules), in
/// sqlx's order.
///
/// # Errors
///
/// Reading a file failed.
pub fn scan_migration_files(files: &MigrationFiles) -> std::io::Result<VectorUsage> {
    let mut usage = VectorUsage::default();
    for migration in files.migrations.iter().filter(|m| m.kind.is_up()) {
        // Invalid UTF-8 is the release tool's to report; here it must not hide
        // the rest of the file.
        let sql = String::from_utf8_lossy(&std::fs::read(&migration.path)?).into_owned();
        usage
            .findings
            .extend(scan_sql(&migration.file_name, &sql).findings);
    }
    Ok(usage)
}

/// Scans the `up.sql` of each Diesel migration listed by
/// [`list_diesel_migrations`](crate::list_diesel_migrations), in Diesel's order.
///
/// # Errors
///
/// Reading a file failed.
pub fn scan_diesel_migrations(
    migrations: &[crate::DieselMigration],
) -> std::io::Result<VectorUsage> {
    let mut usage = VectorUsage::default();
    for migration in migrations {
        let sql = String::from_utf8_lossy(&std::fs::read(&migration.up_sql)?).into_owned();
        usage
            .findings
            .extend(scan_sql(&migration.up_sql_name(), &sql).findings);
    }
    Ok(usage)
}

/// The pgvector feature the token at `index` uses, if any.
fn feature_at(tokens: &[Token], index: usize) -> Option<Feature> {
    let token = &tokens[index];
    if !token.is_name() {
        return None;
    }
    if let Some(statement) = extension_statement(tokens, index) {
        // `CREATE EXTENSION vector` creates it, `ALTER EXTENSION vector` needs
        // it; dropping or commenting on it does not.
        return match (statement, token.text.as_str()) {
            ("create", "vector") => Some(Feature::Extension),
            ("alter", "vector") => Some(Feature::VectorType),
            _ => None,
        };
    }
    let feature = match token.text.as_str() {
        "vector" => Feature::VectorType,
        "halfvec" => Feature::HalfVec,
        "sparsevec" => Feature::SparseVec,
        _ if token.kind == Kind::Quoted => return None,
        // Access methods: `USING hnsw`, and their settings (`hnsw.ef_search`).
        "hnsw" | "ivfflat" => {
            let used = previous(tokens, index).is_some_and(|t| t.is_word("using"))
                || tokens.get(index + 1).is_some_and(|t| t.is_punct("."));
            return used.then(|| word_feature(&token.text)).flatten();
        }
        "binary_quantize" => {
            let called = tokens.get(index + 1).is_some_and(|t| t.is_punct("("));
            return called.then_some(Feature::BinaryQuantize);
        }
        word => return word_feature(word),
    };
    is_type_use(tokens, index).then_some(feature)
}

/// The feature a lower-cased word that is no type name stands for.
fn word_feature(word: &str) -> Option<Feature> {
    match word {
        "hnsw" => Some(Feature::Hnsw),
        "ivfflat" => Some(Feature::Ivfflat),
        "bit_hamming_ops" | "bit_jaccard_ops" => Some(Feature::BitIndex),
        "iterative_scan" => Some(Feature::IterativeScan),
        _ if word.starts_with("vector_") && word.ends_with("_ops") => Some(Feature::VectorType),
        _ if word.starts_with("halfvec_") && word.ends_with("_ops") => Some(Feature::HalfVec),
        _ if word.starts_with("sparsevec_") && word.ends_with("_ops") => Some(Feature::SparseVec),
        _ => None,
    }
}

/// The token before `index`, if any.
fn previous(tokens: &[Token], index: usize) -> Option<&Token> {
    index.checked_sub(1).map(|at| &tokens[at])
}

/// `create`, `alter`, `drop` or `comment` when the name at `index` is the
/// extension's name in such a statement (`CREATE EXTENSION IF NOT EXISTS x`).
fn extension_statement(tokens: &[Token], index: usize) -> Option<&'static str> {
    let mut at = index.checked_sub(1)?;
    for word in ["exists", "not", "if"] {
        if tokens[at].is_word(word) && at > 0 {
            at -= 1;
        }
    }
    if !tokens[at].is_word("extension") {
        return None;
    }
    let verb = previous(tokens, at)?;
    ["create", "alter", "drop", "on"]
        .into_iter()
        .find(|word| verb.is_word(word))
}

/// Whether the type name at `index` stands where a type goes.
fn is_type_use(tokens: &[Token], index: usize) -> bool {
    let head = qualified_head(tokens, index);
    let next = tokens.get(index + 1);
    let next_is = |texts: &[&str]| next.is_some_and(|t| texts.iter().any(|p| t.is_punct(p)));
    let Some(prev) = previous(tokens, head) else {
        return false;
    };
    let statement = statement_words(tokens, head);
    let in_routine = statement
        .iter()
        .take(6)
        .any(|w| ROUTINE_KEYWORDS.contains(&w.as_str()));
    // A typed literal: `vector '[1,2,3]'`.
    if next.is_some_and(|t| t.kind == Kind::Literal) {
        return true;
    }
    match (prev.kind, prev.text.as_str()) {
        // A cast, a return type, or a quoted column or argument name (`"Embedding" vector`).
        (Kind::Punct, "::") | (Kind::Word, "returns" | "setof") | (Kind::Quoted, _) => true,
        // `ALTER COLUMN e TYPE vector`, `FOR TYPE vector`; not `CREATE TYPE vector`.
        (Kind::Word, "type") => !previous(tokens, head - 1)
            .is_some_and(|t| ["create", "drop"].iter().any(|w| t.is_word(w))),
        // `CAST(x AS vector)`, `CREATE DOMAIN d AS vector`; not the alias in `SELECT x AS vector`.
        (Kind::Word, "as") => {
            next_is(&["(", ")", "["])
                || (statement.first().is_some_and(|w| w == "create")
                    && statement.iter().take(3).any(|w| w == "domain"))
        }
        // Argument types: `CREATE FUNCTION f(vector, int)`, `CREATE CAST (vector AS real[])`,
        // but not a column list, and not a function's body (after `AS`).
        (Kind::Punct, "(" | ",") => {
            // A cast's `AS` is between its types; a routine's `AS` starts its body.
            let in_body = !statement.iter().any(|w| w == "cast")
                && statement.iter().any(|w| w == "as" || w == "begin");
            in_routine
                && !in_body
                && (next_is(&[")", ",", "[", "("])
                    || next.is_some_and(|t| t.is_word("as") || t.is_word("default")))
        }
        // `CREATE OPERATOR <-> (LEFTARG = vector)`, `CREATE AGGREGATE ... (STYPE = vector)`.
        (Kind::Punct, "=") => in_routine,
        // An argument's mode: `f(IN vector)`, `f(v IN vector)`.
        (Kind::Word, "in" | "out" | "inout" | "variadic") if in_routine => true,
        // A column or argument name (`embedding vector(3)`); a keyword only
        // where a column's name goes (`(key vector(3))`, `ADD COLUMN key vector`).
        (Kind::Word, word) => {
            !NAME_KEYWORDS.contains(&word)
                || (!DEFINITION_KEYWORDS.contains(&word)
                    && names_a_column(tokens, head.saturating_sub(1)))
        }
        _ => false,
    }
}

/// Keywords that introduce the name in a definition (`ADD COLUMN vector`,
/// `CONSTRAINT vector CHECK`), and so are never that name themselves.
const DEFINITION_KEYWORDS: &[&str] =
    &["add", "column", "constraint", "exists", "if", "not", "only"];

/// Whether the word at `index` stands where a column or argument is named:
/// first in a parenthesised definition or after a comma, or after `ADD`,
/// `ADD COLUMN` or `ADD COLUMN IF NOT EXISTS`.
fn names_a_column(tokens: &[Token], index: usize) -> bool {
    previous(tokens, index).is_some_and(|t| {
        t.is_punct("(")
            || t.is_punct(",")
            || ["add", "column", "exists"].iter().any(|w| t.is_word(w))
    })
}

/// The first token of the possibly schema-qualified name that ends at
/// `index` (`extensions` in `extensions.vector`).
fn qualified_head(tokens: &[Token], index: usize) -> usize {
    let mut head = index;
    while head >= 2 && tokens[head - 1].is_punct(".") && tokens[head - 2].is_name() {
        head -= 2;
    }
    head
}

/// The words of the statement that `index` is in, from its start up to
/// `index` (statements end at `;`).
fn statement_words(tokens: &[Token], index: usize) -> Vec<String> {
    let start = tokens[..index]
        .iter()
        .rposition(|t| t.is_punct(";"))
        .map_or(0, |at| at + 1);
    tokens[start..index]
        .iter()
        .filter(|t| t.kind == Kind::Word)
        .map(|t| t.text.clone())
        .collect()
}

#[cfg(test)]
pub(crate) mod tests;
