//! The contract between the buildpack and the release tool: every rule both must apply
//! alike, so that the build prepares exactly what the release phase will do.
//!
//! - `migrations_dir`: where the app's migrations are (`SLIPWAY_MIGRATIONS_DIR`, the settings
//!   file `SLIPWAY_CONFIG` names or `slipway.toml`, `sqlx.toml`, `./migrations`);
//! - `migration_format`: which migration tool the app uses (sqlx, Diesel, or a command), and
//!   where its folder is;
//! - `migration_files`: which files of that folder sqlx takes;
//! - `diesel_files`: which folders of it Diesel takes, and their `metadata.toml`;
//! - `sqlx_toml`: what `sqlx.toml` says about them;
//! - `scan`: the pgvector usage in the migrations, with the minimum pgvector version it needs
//!   (the buildpack decides with it whether the release phase must ensure the `vector`
//!   extension; the release tool uses it at run time for `SLIPWAY_PGVECTOR=auto`);
//! - `text`: how messages number lines and columns in the files both read;
//! - `user_info`: the credentials part of a URL, which both hide by the same rule.
//!
//! The scan is lexical: it skips comments and string literals and reads each pgvector word in
//! its context. It does not parse SQL, so in doubt it finds usage.

mod diesel_files;
mod lexer;
mod migration_files;
mod migration_format;
mod migrations_dir;
mod scan;
mod sqlx_toml;
pub mod text;
mod user_info;
mod version;

use std::fmt;

pub use diesel_files::{
    DIESEL_TABLE_NAME, DieselFilesError, DieselMetadata, DieselMigration, MetadataProblem,
    diesel_version, list_diesel_migrations, parse_diesel_metadata, read_diesel_metadata,
};
pub use migration_files::{
    FileName, FilesError, IgnoredFile, IgnoredRule, MigrationFile, MigrationFiles, MigrationKind,
    list_migration_files, parse_file_name,
};
pub use migration_format::{
    DIESEL_TOML, FormatOrigin, LocatedMigrations, MigrationFormat, MigrationSettings,
    locate_migrations,
};
pub use migrations_dir::{
    DEFAULT_MIGRATIONS_DIR, DirOrigin, Given, MigrationsDir, MigrationsDirError, SETTINGS_FILE,
    locate_migrations_dir,
};
pub use scan::{scan_diesel_migrations, scan_migration_files, scan_sql};
pub use sqlx_toml::{
    DEFAULT_TABLE_NAME, Located, SQLX_TOML, SqlxMigrate, SqlxToml, SqlxTomlError,
    UnrecognizedSqlFiles, parse_sqlx_toml, read_sqlx_toml,
};
pub use user_info::{UserInfo, url_user_info, user_info};
pub use version::{Version, VersionError};

/// A pgvector feature that a migration uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Feature {
    /// `CREATE EXTENSION vector`.
    Extension,
    /// The `vector` type, or its operator classes.
    VectorType,
    /// An HNSW index.
    Hnsw,
    /// An IVFFlat index.
    Ivfflat,
    /// The `halfvec` type.
    HalfVec,
    /// The `sparsevec` type.
    SparseVec,
    /// The `binary_quantize` function.
    BinaryQuantize,
    /// An index on `bit` vectors (`bit_hamming_ops`, `bit_jaccard_ops`).
    BitIndex,
    /// Iterative index scans (`hnsw.iterative_scan`, `ivfflat.iterative_scan`).
    IterativeScan,
}

impl Feature {
    /// The first pgvector release that has this feature, when it is newer
    /// than the first release.
    #[must_use]
    pub fn minimum_version(self) -> Option<Version> {
        // From pgvector's CHANGELOG: HNSW arrived in 0.5.0; halfvec, sparsevec,
        // binary_quantize and bit indexes in 0.7.0; iterative scans in 0.8.0.
        match self {
            Self::Extension | Self::VectorType | Self::Ivfflat => None,
            Self::Hnsw => Some(Version::new(0, 5, 0)),
            Self::HalfVec | Self::SparseVec | Self::BinaryQuantize | Self::BitIndex => {
                Some(Version::new(0, 7, 0))
            }
            Self::IterativeScan => Some(Version::new(0, 8, 0)),
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Extension => "CREATE EXTENSION vector",
            Self::VectorType => "the vector type",
            Self::Hnsw => "an HNSW index",
            Self::Ivfflat => "an IVFFlat index",
            Self::HalfVec => "the halfvec type",
            Self::SparseVec => "the sparsevec type",
            Self::BinaryQuantize => "binary_quantize",
            Self::BitIndex => "a bit vector index",
            Self::IterativeScan => "iterative index scans",
        })
    }
}

/// One place where a migration uses pgvector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The file, as the caller named it.
    pub file: String,
    /// The 1-based line.
    pub line: usize,
    /// What is used there.
    pub feature: Feature,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}:{})", self.feature, self.file, self.line)
    }
}

/// Everything a scan found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VectorUsage {
    /// Every use, in file then line order.
    pub findings: Vec<Finding>,
}

impl VectorUsage {
    /// Whether anything uses pgvector.
    #[must_use]
    pub fn uses_vector(&self) -> bool {
        !self.findings.is_empty()
    }

    /// The oldest pgvector version that has every feature found.
    #[must_use]
    pub fn minimum_version(&self) -> Option<Version> {
        self.minimum_reason()
            .and_then(|finding| finding.feature.minimum_version())
    }

    /// The first finding that needs the minimum version.
    #[must_use]
    pub fn minimum_reason(&self) -> Option<&Finding> {
        let mut best: Option<(&Finding, Version)> = None;
        for finding in &self.findings {
            if let Some(needed) = finding.feature.minimum_version()
                && best.as_ref().is_none_or(|(_, current)| needed > *current)
            {
                best = Some((finding, needed));
            }
        }
        best.map(|(finding, _)| finding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indoc::indoc;

    use crate::scan::tests::features;

    #[test]
    fn finds_the_extension_and_the_type() {
        let usage = scan_sql(
            "1_init.sql",
            indoc! {r#"
                CREATE EXTENSION IF NOT EXISTS "vector";
                CREATE TABLE items (id bigserial, embedding vector(1536));
            "#},
        );
        assert_eq!(
            usage.findings,
            vec![
                Finding {
                    file: "1_init.sql".into(),
                    line: 1,
                    feature: Feature::Extension
                },
                Finding {
                    file: "1_init.sql".into(),
                    line: 2,
                    feature: Feature::VectorType
                },
            ]
        );
        assert!(usage.uses_vector());
        assert_eq!(usage.minimum_version(), None);
    }

    #[test]
    fn hnsw_needs_0_5() {
        let usage = scan_sql(
            "2_index.sql",
            "CREATE INDEX ON items\n  USING hnsw (embedding vector_cosine_ops);",
        );
        assert_eq!(usage.minimum_version(), Some(Version::new(0, 5, 0)));
        assert_eq!(usage.minimum_reason().map(|f| f.line), Some(2));
    }

    #[test]
    fn newer_features_raise_the_minimum() {
        assert_eq!(
            scan_sql("a.sql", "CREATE TABLE t (h halfvec(3));").minimum_version(),
            Some(Version::new(0, 7, 0))
        );
        assert_eq!(
            scan_sql("a.sql", "SELECT binary_quantize(embedding) FROM t;").minimum_version(),
            Some(Version::new(0, 7, 0))
        );
        assert_eq!(
            scan_sql(
                "a.sql",
                "CREATE INDEX ON t USING hnsw ((binary_quantize(e)::bit(3)) bit_hamming_ops);"
            )
            .minimum_reason()
            .map(|f| f.feature),
            Some(Feature::BinaryQuantize)
        );
        assert_eq!(
            scan_sql(
                "a.sql",
                "CREATE INDEX ON t USING hnsw (e vector_l2_ops);\nALTER DATABASE app SET hnsw.iterative_scan = relaxed_order;"
            )
            .minimum_version(),
            Some(Version::new(0, 8, 0))
        );
    }

    #[test]
    fn ignores_comments_strings_and_quoted_names() {
        let sql = indoc! {r#"
            -- we might use hnsw and vector(3) later
            /* CREATE EXTENSION vector; /* nested halfvec */ sparsevec */
            INSERT INTO notes (body) VALUES ('hnsw vector iterative_scan');
            INSERT INTO notes (body) VALUES (E'it''s a \' vector');
            CREATE TABLE "vector" ("hnsw" int);
        "#};
        assert_eq!(features(sql), Vec::<Feature>::new());
    }

    #[test]
    fn other_extensions_are_not_vector() {
        assert_eq!(
            features("CREATE EXTENSION IF NOT EXISTS pg_trgm;"),
            Vec::new()
        );
    }

    #[test]
    fn dollar_quoted_bodies_are_code() {
        let sql =
            "CREATE FUNCTION f() RETURNS void AS $body$ SELECT '[1]'::vector; $body$ LANGUAGE sql;";
        assert_eq!(features(sql), vec![Feature::VectorType]);
    }

    #[test]
    fn scans_only_up_migrations_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("2_b.up.sql"),
            "CREATE INDEX ON t USING hnsw (e vector_l2_ops);",
        )
        .unwrap();
        std::fs::write(dir.path().join("2_b.down.sql"), "SELECT halfvec;").unwrap();
        std::fs::write(dir.path().join("1_a.sql"), "CREATE EXTENSION vector;").unwrap();
        std::fs::write(dir.path().join("README.md"), "iterative_scan").unwrap();
        // sqlx ignores these, so they need nothing.
        std::fs::write(dir.path().join("3-c.sql"), "SELECT iterative_scan;").unwrap();
        std::fs::write(dir.path().join("4_d.SQL"), "SELECT sparsevec;").unwrap();
        let usage = scan_migration_files(&list_migration_files(dir.path(), None).unwrap()).unwrap();
        let files: Vec<_> = usage.findings.iter().map(|f| f.file.as_str()).collect();
        assert_eq!(files, ["1_a.sql", "2_b.up.sql", "2_b.up.sql"]);
        assert_eq!(usage.minimum_version(), Some(Version::new(0, 5, 0)));
    }

    #[test]
    fn a_missing_folder_uses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let files = list_migration_files(&dir.path().join("migrations"), None).unwrap();
        let usage = scan_migration_files(&files).unwrap();
        assert!(!usage.uses_vector());
    }
}
