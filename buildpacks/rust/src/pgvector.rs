//! Does the app use pgvector, and which minimum version does it need?

use crate::config::PgvectorMode;
use crate::migrations::MigrationList;
use slipway_contract::{VectorUsage, Version};

/// The launch env variable that hands the minimum version to `slipway-release`.
pub(crate) const MIN_VERSION_ENV: &str = "SLIPWAY_PGVECTOR_MIN_VERSION";

/// The setting that tells `slipway-release` (and this buildpack) whether pgvector is wanted.
pub(crate) const MODE_ENV: &str = "SLIPWAY_PGVECTOR";

/// What the buildpack found out about pgvector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PgvectorPlan {
    /// The release process must ensure the `vector` extension.
    pub(crate) required: bool,
    /// The lowest pgvector version the migrations work with, if they need more than any.
    pub(crate) min_version: Option<Version>,
    /// Why, one line each, for the build output.
    pub(crate) reasons: Vec<String>,
}

/// Looks for pgvector in the crates the build compiled (`compiles_pgvector`), in the
/// up-migrations (listed by their format's rules, as the release tool lists them: sqlx's files
/// or Diesel's `up.sql`), and in `SLIPWAY_PGVECTOR`.
///
/// The compiled crates, not Cargo.lock: a lockfile lists optional dependencies no feature turns
/// on (every `SeaORM` 2 app's Cargo.lock holds `pgvector`, as sea-orm's `postgres-vector` feature
/// would need it).
pub(crate) fn plan_pgvector(
    migrations: &MigrationList,
    mode: PgvectorMode,
    compiles_pgvector: bool,
) -> std::io::Result<PgvectorPlan> {
    if mode == PgvectorMode::Off {
        return Ok(PgvectorPlan {
            required: false,
            min_version: None,
            reasons: vec!["SLIPWAY_PGVECTOR=off: not checking for pgvector".to_string()],
        });
    }
    let usage = migrations.scan()?;
    Ok(plan_from(mode, compiles_pgvector, &usage))
}

/// Combines the three signals into a plan.
pub(crate) fn plan_from(
    mode: PgvectorMode,
    crate_compiled: bool,
    usage: &VectorUsage,
) -> PgvectorPlan {
    let mut reasons = Vec::new();
    if mode == PgvectorMode::Required {
        reasons.push("SLIPWAY_PGVECTOR=required".to_string());
    }
    if crate_compiled {
        reasons.push("the app compiles the `pgvector` crate".to_string());
    }
    if let Some(first) = usage.findings.first() {
        reasons.push(format!("the migrations use {first}"));
    }
    let min_version = usage.minimum_version();
    if let (Some(version), Some(finding)) = (&min_version, usage.minimum_reason()) {
        reasons.push(format!("minimum pgvector {version}, for {finding}"));
    }
    PgvectorPlan {
        required: !reasons.is_empty(),
        min_version,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indoc::indoc;
    use slipway_contract::scan_sql;

    #[test]
    fn hnsw_in_a_migration_needs_0_5() {
        let usage = scan_sql(
            "20240101_items.sql",
            indoc! {"
                CREATE EXTENSION IF NOT EXISTS vector;
                CREATE TABLE items (id bigserial PRIMARY KEY, embedding vector(1536));
                CREATE INDEX ON items USING hnsw (embedding vector_cosine_ops);
            "},
        );
        let plan = plan_from(PgvectorMode::Auto, false, &usage);
        assert!(plan.required);
        assert_eq!(plan.min_version, Some(Version::new(0, 5, 0)));
        assert!(
            plan.reasons
                .iter()
                .any(|r| r.contains("20240101_items.sql:3")),
            "{:?}",
            plan.reasons
        );
    }

    #[test]
    fn the_crate_alone_requires_the_extension_without_a_minimum() {
        let plan = plan_from(PgvectorMode::Auto, true, &VectorUsage::default());
        assert!(plan.required);
        assert_eq!(plan.min_version, None);
    }

    #[test]
    fn nothing_found_means_not_required_unless_forced() {
        let empty = VectorUsage::default();
        assert!(!plan_from(PgvectorMode::Auto, false, &empty).required);
        assert!(plan_from(PgvectorMode::Required, false, &empty).required);
    }

    fn sqlx_files(app: &std::path::Path) -> MigrationList {
        MigrationList::Sqlx(
            slipway_contract::list_migration_files(&app.join("migrations"), None).unwrap(),
        )
    }

    #[test]
    fn diesel_up_sql_is_scanned_and_down_sql_is_not() {
        let app = tempfile::tempdir().unwrap();
        let folder = app.path().join("migrations/2024-01-01-000000-0000_items");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join("up.sql"),
            "CREATE INDEX CONCURRENTLY ON items USING hnsw (embedding vector_cosine_ops);",
        )
        .unwrap();
        std::fs::write(folder.join("down.sql"), "SELECT 'x'::halfvec;").unwrap();
        let list = MigrationList::Diesel(
            slipway_contract::list_diesel_migrations(&app.path().join("migrations")).unwrap(),
        );
        let plan = plan_pgvector(&list, PgvectorMode::Auto, false).unwrap();
        assert!(plan.required);
        assert_eq!(plan.min_version, Some(Version::new(0, 5, 0)));
        assert!(
            plan.reasons
                .iter()
                .any(|r| r.contains("2024-01-01-000000-0000_items/up.sql:1")),
            "{:?}",
            plan.reasons
        );
        // A command has nothing to scan: only the compiled crates and the setting count.
        let none = plan_pgvector(&MigrationList::Command, PgvectorMode::Auto, false).unwrap();
        assert!(!none.required);
        let crate_only = plan_pgvector(&MigrationList::Command, PgvectorMode::Auto, true).unwrap();
        assert!(crate_only.required);
        assert_eq!(
            crate_only.reasons,
            ["the app compiles the `pgvector` crate"]
        );
    }

    #[test]
    fn files_sqlx_ignores_need_nothing() {
        let app = tempfile::tempdir().unwrap();
        std::fs::create_dir(app.path().join("migrations")).unwrap();
        std::fs::write(
            app.path().join("migrations/20240101000000-items.sql"),
            "CREATE EXTENSION vector;",
        )
        .unwrap();
        let files = sqlx_files(app.path());
        assert!(matches!(&files, MigrationList::Sqlx(files) if files.ignored.len() == 1));
        assert!(
            !plan_pgvector(&files, PgvectorMode::Auto, false)
                .unwrap()
                .required
        );
    }

    #[test]
    fn off_skips_everything() {
        let app = tempfile::tempdir().unwrap();
        std::fs::create_dir(app.path().join("migrations")).unwrap();
        std::fs::write(
            app.path().join("migrations/1_a.sql"),
            "CREATE EXTENSION vector;",
        )
        .unwrap();
        let files = sqlx_files(app.path());
        assert!(
            !plan_pgvector(&files, PgvectorMode::Off, false)
                .unwrap()
                .required
        );
        assert!(
            plan_pgvector(&files, PgvectorMode::Auto, false)
                .unwrap()
                .required
        );
    }
}
