//! Every message the buildpack shows a person when a build fails.
//!
//! User mistakes get a title, the cause and the fix. Internal failures (a bug in the
//! buildpack or the platform) say so, and ask for a report instead of a change to the app.

use crate::cargo_build::CargoError;
use crate::config::ConfigError;
use crate::layers::toolchain::ToolchainError;
use crate::migrations::origin_words_with_line as origin_line;
use crate::migrator::MigratorError;
use crate::processes::ProcessError;
use crate::sqlx_offline::SqlxFailure;
use crate::toolchain_file::ToolchainFileError;
use bullet_stream::global::print;
use bullet_stream::style;
use indoc::formatdoc;
use slipway_contract::{
    DieselFilesError, FilesError, IgnoredFile, MetadataProblem, MigrationsDirError,
};

/// Everything that can stop a build.
#[derive(Debug)]
pub(crate) enum RustBuildpackError {
    Config(ConfigError),
    MigrationsDir(MigrationsDirError),
    /// The migrations folder holds a file sqlx (and the release phase) refuses.
    MigrationFiles(FilesError),
    /// The Diesel migrations folder is one Diesel (and the release phase) refuses.
    DieselFiles(DieselFilesError),
    /// The app's signs of two migration tools disagree, or the `SeaORM` migrator is ambiguous.
    Migrator(MigratorError),
    /// Cargo.lock cannot be read or parsed.
    CargoLock(std::io::Error),
    ToolchainFile(ToolchainFileError),
    MissingLockfile,
    Toolchain(ToolchainError),
    Cargo(CargoError),
    Process(ProcessError),
    /// An I/O failure of the buildpack itself.
    Io {
        what: String,
        error: std::io::Error,
    },
}

impl From<RustBuildpackError> for libcnb::Error<RustBuildpackError> {
    fn from(error: RustBuildpackError) -> Self {
        Self::BuildpackError(error)
    }
}

/// Prints `error` for a person, with `bullet_stream`.
pub(crate) fn on_error(error: libcnb::Error<RustBuildpackError>) {
    match error {
        libcnb::Error::BuildpackError(error) => print_buildpack_error(error),
        framework => print_internal_error(&format!("{framework}")),
    }
}

fn print_buildpack_error(error: RustBuildpackError) {
    match error {
        RustBuildpackError::Config(error) => print_user_error(
            "Invalid build setting",
            &error.to_string(),
            "Change or unset the config var (`heroku config:set` / `heroku config:unset`), then build again. The settings are listed in the buildpack README.",
        ),
        RustBuildpackError::MigrationFiles(
            error @ (FilesError::BadVersion { .. } | FilesError::NotUtf8Name { .. }),
        ) => print_user_error(
            "Invalid migration file name",
            &format!("{error}."),
            "Name migration files <VERSION>_<DESCRIPTION>.sql with an integer VERSION and a UTF-8 name, as `sqlx migrate add` does (e.g. 20240101120000_create_users.sql). sqlx refuses the whole folder otherwise, and so does the release phase.",
        ),
        RustBuildpackError::MigrationFiles(error @ FilesError::DuplicateVersion { .. }) => {
            print_user_error(
                "Two migrations have the same version",
                &format!("{error}."),
                "Give each migration its own version: rename one of the two files (if the other was already applied somewhere, keep that one's name). A version holds one <VERSION>_<DESCRIPTION>.sql, or one .up.sql with its .down.sql. The release phase refuses the folder too.",
            );
        }
        RustBuildpackError::MigrationFiles(error @ FilesError::UnrecognizedSqlFile { .. }) => {
            print_user_error(
                "A .sql file is not a migration",
                &format!("{error}."),
                "Name it <VERSION>_<DESCRIPTION>.sql (as `sqlx migrate add` does) if it is a migration, or move it out of the migrations folder if it is not; or, to keep other SQL scripts there, set `unrecognized-sql-files = \"warn\"` (or \"ignore\") under [migrate] in sqlx.toml. The release phase refuses the folder too.",
            );
        }
        RustBuildpackError::MigrationFiles(error) => {
            print_internal_error(&error.to_string());
        }
        RustBuildpackError::MigrationsDir(error) => print_migrations_dir_error(&error),
        RustBuildpackError::DieselFiles(error) => print_diesel_files_error(&error),
        RustBuildpackError::Migrator(error @ MigratorError::Conflict { .. }) => print_user_error(
            "Two migration tools found",
            &format!(
                "{}: the build cannot tell which migrations the release phase should run.",
                capitalised(&error.to_string())
            ),
            "Set the SLIPWAY_MIGRATIONS_FORMAT config var to the tool the app migrates with: `sqlx`, `diesel`, or `command` with SLIPWAY_MIGRATE_COMMAND (for SeaORM, `migration up`). For example `heroku config:set SLIPWAY_MIGRATIONS_FORMAT=diesel`. The release phase reads the same settings.",
        ),
        RustBuildpackError::Migrator(error @ MigratorError::SeaOrmAmbiguous { .. }) => {
            print_user_error(
                "Cannot choose the SeaORM migrator",
                &format!(
                    "{}, so the build cannot tell which one applies the migrations.",
                    capitalised(&error.to_string())
                ),
                "Set the SLIPWAY_MIGRATE_COMMAND config var to the command that applies them (e.g. `heroku config:set SLIPWAY_MIGRATE_COMMAND=\"admin up\"`), or name the migrator binary `migration`, as `sea-orm-cli migrate init` does.",
            );
        }
        RustBuildpackError::CargoLock(error) => print_user_error(
            "Cargo.lock cannot be read",
            &format!("Cargo.lock: {error}."),
            &format!(
                "Run {} locally so that cargo writes it again, commit it, and build again.",
                style::command("cargo generate-lockfile")
            ),
        ),
        RustBuildpackError::ToolchainFile(error) => print_user_error(
            "Invalid Rust toolchain file",
            &format!("{error}."),
            "Fix the file so that `rustup show` accepts it locally (see https://rust-lang.github.io/rustup/overrides.html#the-toolchain-file), commit it, and build again.",
        ),
        RustBuildpackError::MissingLockfile => print_user_error(
            "No Cargo.lock found",
            "The app has a Cargo.toml but no Cargo.lock. The buildpack builds with `--locked`, so that the image contains exactly the dependency versions you tested.",
            &format!(
                "Run {} locally, commit Cargo.lock (remove it from .gitignore if needed), and build again.",
                style::command("cargo generate-lockfile")
            ),
        ),
        RustBuildpackError::Toolchain(error) => print_toolchain_error(&error),
        RustBuildpackError::Cargo(error) => print_cargo_error(error),
        RustBuildpackError::Process(error @ ProcessError::WebBinNotBuilt { .. }) => {
            print_user_error(
                "Cannot choose the web process",
                &format!("{error}."),
                "Set SLIPWAY_WEB_BIN to one of the binaries the build produces, or unset it.",
            );
        }
        RustBuildpackError::Process(error @ ProcessError::InvalidName(_)) => print_user_error(
            "A binary name cannot be a process type",
            &format!(
                "{error}: every binary becomes a process named after it, and process types may only hold letters, digits, `.`, `-` and `_`."
            ),
            "Rename the `[[bin]]` target in Cargo.toml (its `name` key), commit, and build again.",
        ),
        RustBuildpackError::Io { what, error } => {
            print_internal_error(&format!("{what}: {error}"));
        }
    }
}

/// Why the migrations folder cannot be found, in the build log's words.
pub(crate) fn migrations_dir_problem(error: &MigrationsDirError) -> String {
    match error {
        MigrationsDirError::Missing {
            origin,
            value,
            path,
        } => format!(
            "{} is `{value}`, but {} is not a folder in the app",
            origin_line(origin),
            path.display()
        ),
        MigrationsDirError::NotAFolder {
            origin,
            value,
            path,
        } => format!(
            "{} is `{value}`, but {} is a file, not a folder",
            origin_line(origin),
            path.display()
        ),
        MigrationsDirError::Empty { origin } => format!("{} is empty", origin_line(origin)),
        other => other.to_string(),
    }
}

/// The build's warning for a file of the migrations folder that sqlx ignores although it
/// looks like a migration.
pub(crate) fn ignored_migration_file(file: &IgnoredFile) -> String {
    format!(
        "{} is not a migration for sqlx, which ignores it: {}.\nThe release phase will not run it. Rename it <VERSION>_<DESCRIPTION>.sql (as `sqlx migrate add` does) if it is one, or move it out of the migrations folder.{}",
        file.file_name,
        file.rule,
        file.unrecognized_sql_note()
    )
}

/// The build's warning when the app's SBOM could not be written (the build itself succeeded).
pub(crate) fn sbom_failed(error: &str) -> String {
    format!(
        "Writing the app's SBOM failed: {error}.\nThe app built and ships as usual, without an SBOM on its layer. It reads each compiled package's Cargo.toml and the app's Cargo.lock."
    )
}

/// The build's warning when some of cargo's package ids could not be read for the SBOM.
pub(crate) fn sbom_incomplete(left_out: usize) -> String {
    format!(
        "The app's SBOM leaves out {left_out} package(s) whose id cargo wrote in a form the buildpack does not know.\nThe app built and ships as usual. Please report it with your toolchain version."
    )
}

/// The build's warning when pruning the build caches failed (the build itself succeeded).
pub(crate) fn cache_pruning_failed(error: &std::io::Error) -> String {
    format!(
        "Pruning the build caches failed: {error}.\nThe app built and ships as usual; the caches keep what they had, and cargo rebuilds anything a half-pruned cache lacks. If this repeats, clear the build cache (`heroku builds:cache:purge`)."
    )
}

/// The build's warning when what this build used is larger than `SLIPWAY_CACHE_MAX_SIZE`.
pub(crate) fn cache_over_budget(bytes: u64, max_bytes: u64) -> String {
    format!(
        "The target dir cache is {}, over SLIPWAY_CACHE_MAX_SIZE ({}), with only what this build used.\nIt is kept whole: dropping any of it would make the next build compile it again. Raise SLIPWAY_CACHE_MAX_SIZE to silence this, or leave it to have unused artifacts dropped as soon as they are unused.",
        slipway_contract::text::human_bytes(bytes),
        slipway_contract::text::human_bytes(max_bytes)
    )
}

fn print_migrations_dir_error(error: &MigrationsDirError) {
    match error {
        MigrationsDirError::SqlxToml(_) => {
            print_user_error(
                "Invalid sqlx.toml",
                &format!("{}.", migrations_dir_problem(error)),
                "Fix sqlx.toml: sqlx 0.9 refuses it too (`sqlx migrate run` fails on it, an app using `sqlx::migrate!()` does not compile, and the release phase exits with code 2). Its reference is sqlx-core/src/config/reference.toml.",
            );
        }
        MigrationsDirError::SettingsFileUnreadable { .. }
        | MigrationsDirError::SettingsFileInvalid { .. } => print_user_error(
            "Invalid settings file",
            &format!("{}.", migrations_dir_problem(error)),
            "The build reads `migrations_dir`, `migrations_format` and `migrate_command` from the settings file, as the release phase does: the file the SLIPWAY_CONFIG config var names (relative to the app root), else slipway.toml. Fix the file (it is TOML, and those keys are strings), or point SLIPWAY_CONFIG at the right file, or unset it (`heroku config:unset SLIPWAY_CONFIG`).",
        ),
        MigrationsDirError::DieselTomlInvalid { .. } => {
            print_user_error(
                "Invalid diesel.toml",
                &format!("{}.", migrations_dir_problem(error)),
                "Fix diesel.toml: diesel CLI refuses it too (`diesel migration run` fails on it). The build and the release phase read its `[migrations_directory] dir`, a string: the migrations folder, relative to diesel.toml.",
            );
        }
        MigrationsDirError::UnknownFormat { .. } => {
            print_user_error(
                "Invalid migrations format setting",
                &format!("{}.", migrations_dir_problem(error)),
                "Set SLIPWAY_MIGRATIONS_FORMAT (a config var) or `migrations_format` in the settings file to `sqlx`, `diesel` or `command`, or unset it to let the build find the format (diesel.toml or Diesel migration folders mean diesel; a migrate command means command; else sqlx). The release phase reads the same settings.",
            );
        }
        MigrationsDirError::OtherFormatsFolder { .. } => {
            print_user_error(
                "The migrations folder holds another tool's migrations",
                &format!("{}.", migrations_dir_problem(error)),
                "Set SLIPWAY_MIGRATIONS_FORMAT (a config var) or `migrations_format` in the settings file to the tool that wrote these migrations (a diesel.toml kept only for `print_schema` makes an app look like a Diesel app), or point SLIPWAY_MIGRATIONS_DIR at the right folder. The release phase refuses this folder too: it would apply nothing.",
            );
        }
        MigrationsDirError::NoDieselFolder { .. } => {
            print_user_error(
                "No Diesel migrations folder",
                &format!("{}.", migrations_dir_problem(error)),
                "Point SLIPWAY_MIGRATIONS_DIR (a config var), `migrations_dir` in the settings file, `[migrations_directory] dir` in diesel.toml or MIGRATION_DIRECTORY at the app's Diesel migrations (`diesel setup` makes `migrations/`), or set SLIPWAY_MIGRATIONS_FORMAT if the app is not migrated with Diesel. The release phase refuses it too, as Diesel does.",
            );
        }
        MigrationsDirError::MixedFormats { .. } => {
            print_user_error(
                "The migrations folder mixes sqlx and Diesel migrations",
                &format!("{}.", migrations_dir_problem(error)),
                "Keep one tool's migrations in the folder: sqlx's <VERSION>_<DESCRIPTION>.sql files or Diesel's <VERSION>_<NAME>/up.sql folders. Whichever format ran, the other set would never be applied, so the release phase refuses the folder too. Move the other set out (or to its own folder, set with SLIPWAY_MIGRATIONS_DIR if it is the one to run).",
            );
        }
        _ => print_user_error(
            "Invalid migrations folder setting",
            &format!("{}.", migrations_dir_problem(error)),
            "Point SLIPWAY_MIGRATIONS_DIR (a config var), `migrations_dir` in the settings file (slipway.toml, or the file SLIPWAY_CONFIG names; relative to that file) or, for Diesel, `[migrations_directory] dir` in diesel.toml at the app's migrations folder, or unset it to use `migrations/`. The release phase reads the same settings.",
        ),
    }
}

fn print_diesel_files_error(error: &DieselFilesError) {
    match error {
        DieselFilesError::NoUpSql { .. } => print_user_error(
            "A Diesel migration has no up.sql",
            &format!("{error}."),
            "Give the folder an up.sql (`diesel migration generate <name>` writes one; it may be empty), or move it out of the migrations folder.",
        ),
        DieselFilesError::DuplicateVersion { .. } => print_user_error(
            "Two Diesel migrations have the same version",
            &format!("{error}."),
            "Rename one of the two folders so that each version is unique (the version is the name before the first `_`, without `-`). If one of them was already applied somewhere, keep its name. The release phase refuses the folder too.",
        ),
        DieselFilesError::EmptyVersion { .. }
        | DieselFilesError::VersionTooLong { .. }
        | DieselFilesError::NotUtf8Name { .. } => print_user_error(
            "Invalid Diesel migration folder name",
            &format!("{error}."),
            "Name Diesel migration folders <VERSION>_<NAME> in UTF-8, as `diesel migration generate` does (e.g. 2024-01-01-120000-0000_create_users): a version of at most 50 characters before the first `_`.",
        ),
        DieselFilesError::Unreadable { .. } | DieselFilesError::UnreadableEntry { .. } => {
            print_internal_error(&error.to_string());
        }
    }
}

/// The build's warning for a Diesel `metadata.toml` that Diesel reads in a way its author likely
/// did not mean.
pub(crate) fn diesel_metadata_problem(migration: &str, problem: &MetadataProblem) -> String {
    match problem {
        MetadataProblem::Invalid { line, problem } => format!(
            "{migration}/metadata.toml, line {line}: {problem}.\nDiesel ignores the whole file and runs the migration in a transaction, and so does the release phase. Fix the file (`run_in_transaction = false` runs it outside one)."
        ),
        MetadataProblem::NoKey => format!(
            "{migration}/metadata.toml has no `run_in_transaction`.\nDiesel reads that as `false` and runs the migration outside a transaction, and so does the release phase. Write `run_in_transaction = false` (or `true`) to say which you mean."
        ),
    }
}

/// `text` with its first letter in upper case, to start a sentence with an error's message.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn print_toolchain_error(error: &ToolchainError) {
    match error {
        ToolchainError::Download { .. } => print_user_error(
            "Unable to download rustup-init",
            &format!("{error}."),
            "Check RUSTUP_UPDATE_ROOT if you set it (it must serve `dist/<triple>/rustup-init` and its `.sha256`). Otherwise this is likely a network problem: build again in a few minutes.",
        ),
        ToolchainError::ChecksumUnreadable { .. } => print_user_error(
            "Unable to read the rustup-init checksum",
            &format!("{error}. The download was not run."),
            "Check RUSTUP_UPDATE_ROOT if you set it: the mirror must serve `dist/<triple>/rustup-init.sha256` as published on https://static.rust-lang.org/rustup. Otherwise build again in a few minutes.",
        ),
        ToolchainError::ChecksumMismatch { .. } => print_user_error(
            "rustup-init checksum mismatch",
            &format!("{error}. The download was corrupted or tampered with, so it was not run."),
            "Build again. If you set RUSTUP_UPDATE_ROOT, check that the mirror serves the same files as https://static.rust-lang.org/rustup.",
        ),
        ToolchainError::Install(cmd_error) => print_user_error(
            "Installing the Rust toolchain failed",
            &format!(
                "{} exited with {}. The rustup output above says why; a channel that does not exist or a component that is not available for it are common causes.",
                style::command(cmd_error.name()),
                cmd_error.status()
            ),
            "Check the channel, components and targets in rust-toolchain.toml (or rust-toolchain), and RUSTUP_DIST_SERVER if you set it, then build again.",
        ),
        ToolchainError::UnsupportedArch(_) => print_user_error(
            "Unsupported architecture",
            &format!("{error}."),
            "Build for linux/amd64 or linux/arm64.",
        ),
        ToolchainError::Write { .. } => print_internal_error(&error.to_string()),
    }
}

fn print_cargo_error(error: CargoError) {
    match error {
        CargoError::Compile {
            sqlx: Some(SqlxFailure::NeedsOfflineData),
            ..
        } => print_user_error(
            "Compiling the app failed: sqlx needs its offline query data",
            "sqlx's query macros check every query against a database at compile time. There is no database during the build, and the app's `.sqlx/` directory (`sqlx-data.json` before sqlx 0.7) is missing or out of date.",
            &format!(
                "Run {} against your development database, commit the `.sqlx/` directory (or `sqlx-data.json`), and build again. The buildpack sets SQLX_OFFLINE=true when it finds either.",
                style::command("cargo sqlx prepare --workspace")
            ),
        ),
        CargoError::Compile {
            sqlx: Some(SqlxFailure::DatabaseUnreachable),
            ..
        } => print_user_error(
            "Compiling the app failed: sqlx's macros could not reach DATABASE_URL",
            "sqlx's query macros tried to check the app's queries against the database in DATABASE_URL at build time, and could not use it (the compiler output above shows why). Heroku shows config vars to the build, but a build cannot reach the app's database, and the app has no offline query data (`.sqlx/`, or `sqlx-data.json` before sqlx 0.7).",
            &format!(
                "Run {} (or {} in a workspace) against your development database and commit what it writes, so the build checks queries offline. Or set SQLX_OFFLINE=true as a config var if the data is already committed somewhere sqlx finds it.",
                style::command("cargo sqlx prepare"),
                style::command("cargo sqlx prepare --workspace")
            ),
        ),
        CargoError::Compile { error, .. } => print_user_error(
            "Compiling the app failed",
            &format!(
                "{} exited with {}. The compiler output above shows the error.",
                style::command(error.name()),
                error.status()
            ),
            &format!(
                "Fix the error, check that {} succeeds locally, and build again.",
                style::command("cargo build --release --locked")
            ),
        ),
        CargoError::NoBinaries { .. } => print_user_error(
            "No binary targets",
            &format!(
                "{error}. The buildpack ships binaries, so the app needs at least one `[[bin]]` target (or `src/main.rs`)."
            ),
            "Add a binary target, or point SLIPWAY_CARGO_PACKAGE / SLIPWAY_CARGO_BIN at one.",
        ),
        CargoError::UnknownPackage { .. } => print_user_error(
            "Invalid build setting",
            &format!("{error}."),
            "Set SLIPWAY_CARGO_PACKAGE to a package of the workspace, or unset it.",
        ),
        CargoError::Metadata(_) => print_user_error(
            "Reading the Cargo workspace failed",
            &format!("{error}. Cargo.toml or Cargo.lock is probably invalid or out of date."),
            &format!(
                "Run {} locally, fix what it reports, commit, and build again.",
                style::command("cargo metadata --locked")
            ),
        ),
        CargoError::MetadataJson(_) => print_internal_error(&error.to_string()),
    }
}

/// A mistake in the app or its settings.
fn print_user_error(title: &str, cause: &str, fix: &str) {
    print::error(formatdoc! {"
        Error: {title}

        {cause}

        How to fix it: {fix}
    "});
}

/// A failure that is not the app's fault.
fn print_internal_error(details: &str) {
    print::error(formatdoc! {"
        Internal error in the slipway/rust buildpack

        This is a bug in the buildpack or a problem with the build machine, not a mistake in your app: {details}

        Please build again; if it keeps failing, open an issue with this build log.
    "});
}

/// What `print` writes to the build log, without its colours (for the tests of what the build
/// prints).
#[cfg(test)]
pub(crate) fn printed_plain(print: impl FnOnce()) -> String {
    let bytes = bullet_stream::global::with_locked_writer(Vec::new(), print);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut plain = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(char::is_ascii_alphabetic);
        } else {
            plain.push(c);
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigError;
    use crate::toolchain_file::ToolchainFileError;
    use fun_run::CommandWithName;
    use slipway_contract::{DirOrigin, SqlxTomlError};

    #[test]
    fn a_diesel_metadata_problem_says_what_diesel_does() {
        let invalid = diesel_metadata_problem(
            "2024-01-01-000000_a",
            &MetadataProblem::Invalid {
                line: 1,
                problem: "`run_in_transaction` must be true or false, not a string".into(),
            },
        );
        assert!(
            invalid.starts_with("2024-01-01-000000_a/metadata.toml, line 1: `run_in_transaction`"),
            "{invalid}"
        );
        assert!(
            invalid.contains("runs the migration in a transaction"),
            "{invalid}"
        );
        let no_key = diesel_metadata_problem("1_a", &MetadataProblem::NoKey);
        assert!(no_key.contains("outside a transaction"), "{no_key}");
    }

    /// What `on_error` prints for `error`, without colours.
    fn rendered(error: libcnb::Error<RustBuildpackError>) -> String {
        printed_plain(|| on_error(error)).trim_start().to_string()
    }

    fn failed_command() -> fun_run::CmdError {
        std::process::Command::new("false")
            .named_output()
            .unwrap_err()
    }

    // One entry per user error: the table grows with the errors, not with logic.
    #[allow(clippy::too_many_lines)]
    fn user_errors() -> Vec<(&'static str, RustBuildpackError)> {
        let toolchain = RustBuildpackError::Toolchain;
        let cargo = RustBuildpackError::Cargo;
        vec![
            (
                "Invalid build setting",
                RustBuildpackError::Config(ConfigError::NotAllowed {
                    key: "SLIPWAY_PGVECTOR",
                    value: "maybe".into(),
                    allowed: "off, auto, required",
                }),
            ),
            (
                "Invalid migrations folder setting",
                RustBuildpackError::MigrationsDir(MigrationsDirError::Missing {
                    origin: DirOrigin::Given("SLIPWAY_MIGRATIONS_DIR".into()),
                    value: "db/none".into(),
                    path: "db/none".into(),
                }),
            ),
            (
                "Invalid settings file",
                RustBuildpackError::MigrationsDir(MigrationsDirError::SettingsFileInvalid {
                    path: "config/slipway.toml".into(),
                    line: 2,
                    problem: "`migrations_dir` must be a string (a folder path), not an integer"
                        .into(),
                }),
            ),
            (
                "Invalid sqlx.toml",
                RustBuildpackError::MigrationsDir(MigrationsDirError::SqlxToml(
                    SqlxTomlError::Invalid {
                        path: "sqlx.toml".into(),
                        line: 2,
                        key: Some("migrate.table_name".into()),
                        problem: "unknown field `table_name`".into(),
                    },
                )),
            ),
            (
                "Invalid diesel.toml",
                RustBuildpackError::MigrationsDir(MigrationsDirError::DieselTomlInvalid {
                    path: "diesel.toml".into(),
                    line: 5,
                    problem: "`migrations_directory.dir` must be a string (a folder path), not an integer".into(),
                }),
            ),
            (
                "Invalid migrations format setting",
                RustBuildpackError::MigrationsDir(MigrationsDirError::UnknownFormat {
                    origin: DirOrigin::Given("SLIPWAY_MIGRATIONS_FORMAT".into()),
                    value: "seaorm".into(),
                }),
            ),
            (
                "The migrations folder mixes sqlx and Diesel migrations",
                RustBuildpackError::MigrationsDir(MigrationsDirError::MixedFormats {
                    dir: "migrations".into(),
                    sqlx_example: "1_a.sql".into(),
                    diesel_example: "2_b".into(),
                }),
            ),
            (
                "Invalid migrations folder setting",
                RustBuildpackError::MigrationsDir(MigrationsDirError::Missing {
                    origin: DirOrigin::DieselToml {
                        path: "diesel.toml".into(),
                        line: 2,
                    },
                    value: "db/diesel".into(),
                    path: "db/diesel".into(),
                }),
            ),
            (
                "A Diesel migration has no up.sql",
                RustBuildpackError::DieselFiles(DieselFilesError::NoUpSql {
                    path: "migrations/2024-01-01-000000_a".into(),
                }),
            ),
            (
                "Two Diesel migrations have the same version",
                RustBuildpackError::DieselFiles(DieselFilesError::DuplicateVersion {
                    version: "20240101000000".into(),
                    first: "migrations/2024-01-01-000000_a".into(),
                    second: "migrations/20240101000000_b".into(),
                }),
            ),
            (
                "Invalid Diesel migration folder name",
                RustBuildpackError::DieselFiles(DieselFilesError::VersionTooLong {
                    path: "migrations/1234".into(),
                    version: "1".repeat(51),
                }),
            ),
            (
                "Invalid Diesel migration folder name",
                RustBuildpackError::DieselFiles(DieselFilesError::EmptyVersion {
                    path: "migrations/_a".into(),
                }),
            ),
            (
                "Two migration tools found",
                RustBuildpackError::Migrator(MigratorError::Conflict {
                    first: "sqlx migration files (e.g. 1_a.sql)".into(),
                    second: "`diesel_migrations` compiled in (Diesel)".into(),
                }),
            ),
            (
                "Cannot choose the SeaORM migrator",
                RustBuildpackError::Migrator(MigratorError::SeaOrmAmbiguous {
                    bins: vec!["admin".into(), "seed".into()],
                }),
            ),
            (
                "Cargo.lock cannot be read",
                RustBuildpackError::CargoLock(std::io::Error::other(
                    "TOML parse error at line 3, column 1",
                )),
            ),
            (
                "Invalid migration file name",
                RustBuildpackError::MigrationFiles(FilesError::BadVersion {
                    path: "migrations/v1_users.sql".into(),
                }),
            ),
            (
                "Two migrations have the same version",
                RustBuildpackError::MigrationFiles(FilesError::DuplicateVersion {
                    version: 1,
                    first: "migrations/1_a.sql".into(),
                    second: "migrations/1_a.up.sql".into(),
                }),
            ),
            (
                "A .sql file is not a migration",
                RustBuildpackError::MigrationFiles(FilesError::UnrecognizedSqlFile {
                    path: "migrations/schema.sql".into(),
                    setting_line: 2,
                }),
            ),
            (
                "Invalid Rust toolchain file",
                RustBuildpackError::ToolchainFile(ToolchainFileError {
                    file: "rust-toolchain.toml",
                    line: Some(3),
                    problem: "unknown key `componets`".into(),
                }),
            ),
            ("No Cargo.lock found", RustBuildpackError::MissingLockfile),
            (
                "Unable to download rustup-init",
                toolchain(ToolchainError::Download {
                    url: "https://mirror.example/dist/x/rustup-init.sha256".into(),
                    message: "the server answered HTTP 404".into(),
                }),
            ),
            (
                "Unable to read the rustup-init checksum",
                toolchain(ToolchainError::ChecksumUnreadable {
                    url: "https://mirror.example/dist/x/rustup-init.sha256".into(),
                    found: "<html>".into(),
                }),
            ),
            (
                "rustup-init checksum mismatch",
                toolchain(ToolchainError::ChecksumMismatch {
                    url: "https://mirror.example/dist/x/rustup-init".into(),
                    expected: "a".repeat(64),
                    actual: "b".repeat(64),
                }),
            ),
            (
                "Installing the Rust toolchain failed",
                toolchain(ToolchainError::Install(failed_command())),
            ),
            (
                "Unsupported architecture",
                toolchain(ToolchainError::UnsupportedArch("riscv64".into())),
            ),
            (
                "Compiling the app failed",
                cargo(CargoError::Compile {
                    error: failed_command(),
                    sqlx: None,
                }),
            ),
            (
                "Compiling the app failed: sqlx needs its offline query data",
                cargo(CargoError::Compile {
                    error: failed_command(),
                    sqlx: Some(SqlxFailure::NeedsOfflineData),
                }),
            ),
            (
                "Compiling the app failed: sqlx's macros could not reach DATABASE_URL",
                cargo(CargoError::Compile {
                    error: failed_command(),
                    sqlx: Some(SqlxFailure::DatabaseUnreachable),
                }),
            ),
            (
                "No binary targets",
                cargo(CargoError::NoBinaries {
                    selection: "the workspace has only library targets".into(),
                }),
            ),
            (
                "Invalid build setting",
                cargo(CargoError::UnknownPackage {
                    wanted: "nope".into(),
                    available: "api, jobs".into(),
                }),
            ),
            (
                "Reading the Cargo workspace failed",
                cargo(CargoError::Metadata(failed_command())),
            ),
            (
                "Cannot choose the web process",
                RustBuildpackError::Process(ProcessError::WebBinNotBuilt {
                    wanted: "nope".into(),
                    available: "api".into(),
                }),
            ),
            (
                "A binary name cannot be a process type",
                RustBuildpackError::Process(ProcessError::InvalidName("caf\u{e9}!".into())),
            ),
        ]
    }

    #[test]
    fn every_user_error_has_a_title_a_cause_and_a_fix() {
        for (title, error) in user_errors() {
            let cause = match &error {
                RustBuildpackError::MissingLockfile => "no Cargo.lock".to_string(),
                RustBuildpackError::Cargo(CargoError::Compile {
                    sqlx: Some(SqlxFailure::NeedsOfflineData),
                    ..
                }) => "There is no database during the build".to_string(),
                RustBuildpackError::Cargo(CargoError::Compile {
                    sqlx: Some(SqlxFailure::DatabaseUnreachable),
                    ..
                }) => "tried to check the app's queries against the database in DATABASE_URL"
                    .to_string(),
                RustBuildpackError::Cargo(CargoError::Compile { .. })
                | RustBuildpackError::Toolchain(ToolchainError::Install(_)) => {
                    "`false` exited with exit status: 1".to_string()
                }
                RustBuildpackError::Config(e) => e.to_string(),
                RustBuildpackError::MigrationsDir(e) => migrations_dir_problem(e),
                RustBuildpackError::MigrationFiles(e) => e.to_string(),
                RustBuildpackError::DieselFiles(e) => e.to_string(),
                RustBuildpackError::Migrator(e) => capitalised(&e.to_string()),
                RustBuildpackError::CargoLock(e) => e.to_string(),
                RustBuildpackError::ToolchainFile(e) => e.to_string(),
                RustBuildpackError::Toolchain(e) => e.to_string(),
                RustBuildpackError::Cargo(e) => e.to_string(),
                RustBuildpackError::Process(e) => e.to_string(),
                RustBuildpackError::Io { .. } => unreachable!("not a user error"),
            };
            // A multi-line cause is printed with `! ` before each line; its first line suffices.
            let cause = cause.lines().next().unwrap_or_default().to_string();
            let text = rendered(libcnb::Error::BuildpackError(error));
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines[0], format!("! Error: {title}"), "{text}");
            assert!(
                text.contains(&cause),
                "the cause `{cause}` is missing:\n{text}"
            );
            let fix = lines
                .iter()
                .find_map(|line| line.strip_prefix("! How to fix it: "))
                .unwrap_or_else(|| panic!("no fix in:\n{text}"));
            assert!(fix.len() > 20, "{text}");
            assert!(!text.contains("Internal error"), "{text}");
        }
    }

    #[test]
    fn internal_errors_read_differently_and_ask_for_a_report() {
        let internal = [
            libcnb::Error::BuildpackError(RustBuildpackError::Io {
                what: "stabilising source mtimes".into(),
                error: std::io::Error::other("disk full"),
            }),
            libcnb::Error::BuildpackError(RustBuildpackError::Toolchain(ToolchainError::Write {
                path: "/layers/toolchain/rustup-init".into(),
                source: std::io::Error::other("read-only file system"),
            })),
            libcnb::Error::BuildpackError(RustBuildpackError::Cargo(CargoError::MetadataJson(
                serde_json::from_str::<serde_json::Value>("{").unwrap_err(),
            ))),
            libcnb::Error::CannotWriteLaunchSbom(std::io::Error::other("no space left")),
            libcnb::Error::BuildpackError(RustBuildpackError::DieselFiles(
                DieselFilesError::Unreadable {
                    dir: "migrations".into(),
                    source: std::io::Error::other("permission denied"),
                },
            )),
        ];
        for error in internal {
            let text = rendered(error);
            assert!(
                text.starts_with("! Internal error in the slipway/rust buildpack"),
                "{text}"
            );
            assert!(text.contains("not a mistake in your app"), "{text}");
            assert!(text.contains("open an issue with this build log"), "{text}");
            assert!(!text.contains("Error: "), "{text}");
            assert!(!text.contains("How to fix it"), "{text}");
        }
    }
}
