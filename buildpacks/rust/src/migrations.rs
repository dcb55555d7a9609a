//! The app's migrations as the build sees them: their format and folder, found by the rules
//! the release phase uses (`slipway_contract::locate_migrations`, with the config vars
//! `SLIPWAY_MIGRATIONS_FORMAT`, `SLIPWAY_MIGRATIONS_DIR`, `SLIPWAY_CONFIG` and
//! `SLIPWAY_MIGRATE_COMMAND`, and the launch defaults the build adds, see `migrator`); the
//! migrations themselves (sqlx files, Diesel folders, or a command with nothing to read); and the
//! build-time lint, the same squawk rules `slipway-release lint` runs, without a database,
//! printed as warnings. The lint never fails the build: the release phase decides, with the
//! live table sizes.

use std::path::Path;

use bullet_stream::global::print;
use bullet_stream::style;
use libcnb::Env;
use slipway_contract::{
    DieselMigration, DirOrigin, FormatOrigin, Given, LocatedMigrations, MigrationFiles,
    MigrationFormat, MigrationSettings, MigrationsDirError, VectorUsage, list_diesel_migrations,
    list_migration_files, locate_migrations, read_diesel_metadata, read_sqlx_toml,
    scan_diesel_migrations, scan_migration_files,
};
use slipway_release::build_lint::lint_migrations;

use crate::errors::{self, RustBuildpackError};
use crate::migrator::{
    BuildFacts, COMMAND_ENV, FORMAT_ENV, Signs, Wiring, choose_wiring, seaorm_command,
};

/// The app's migrations, as the release phase will find them.
#[derive(Debug)]
pub(crate) struct AppMigrations {
    /// Their folder and format, with the launch defaults of `wiring` applied.
    pub(crate) located: LocatedMigrations,
    /// What the build adds for the release phase to find them.
    pub(crate) wiring: Wiring,
    /// The migrations of the folder, read by the format's rules.
    pub(crate) list: MigrationList,
    /// The signs the choice was made from.
    pub(crate) signs: Signs,
}

/// The migrations of an app, read by its format's rules.
#[derive(Debug)]
pub(crate) enum MigrationList {
    /// sqlx's files (none when the folder is absent).
    Sqlx(MigrationFiles),
    /// Diesel's folders, in the order Diesel runs them.
    Diesel(Vec<DieselMigration>),
    /// A migrate command: nothing to read.
    Command,
}

impl MigrationList {
    /// The pgvector features the up-migrations use (none for a command).
    pub(crate) fn scan(&self) -> std::io::Result<VectorUsage> {
        match self {
            Self::Sqlx(files) => scan_migration_files(files),
            Self::Diesel(migrations) => scan_diesel_migrations(migrations),
            Self::Command => Ok(VectorUsage::default()),
        }
    }

    /// How many migrations there are, when the build can read them.
    fn len(&self) -> Option<usize> {
        match self {
            Self::Sqlx(files) => Some(files.migrations.len()),
            Self::Diesel(migrations) => Some(migrations.len()),
            Self::Command => None,
        }
    }
}

/// Locates the migrations as the release phase will, from the config vars alone, and checks
/// that their format's tool accepts the folder: called first, so that a wrong setting or folder
/// stops the build before anything is installed.
pub(crate) fn locate_from_config(
    app_dir: &Path,
    user_env: &Env,
) -> Result<LocatedMigrations, RustBuildpackError> {
    let located = locate_migrations(app_dir, release_settings(user_env, &[]))
        .map_err(RustBuildpackError::MigrationsDir)?;
    list_migrations(app_dir, &located)?;
    Ok(located)
}

/// The settings the release phase reads: each config var, else the build's launch default of
/// that name (the launcher sets a default only for a variable that is not set at all).
fn release_settings(user_env: &Env, defaults: &[(&'static str, String)]) -> MigrationSettings {
    let given = |var: &'static str| match user_env.get_string_lossy(var) {
        Some(value) => Given::new(&value, var),
        None => defaults
            .iter()
            .find(|(name, _)| *name == var)
            .and_then(|(_, value)| Given::new(value, var)),
    };
    MigrationSettings {
        format: given(FORMAT_ENV),
        migrations_dir: given("SLIPWAY_MIGRATIONS_DIR"),
        settings_file: given("SLIPWAY_CONFIG"),
        migrate_command: given(COMMAND_ENV),
        diesel_migration_directory: given("MIGRATION_DIRECTORY"),
        diesel_config_file: given("DIESEL_CONFIG_FILE"),
    }
}

/// Decides which migrations the release phase runs: what the config vars `located`, unless
/// Cargo.lock and the binaries say more (see `migrator`); then reads them by their format's
/// rules, which refuse what the release phase would refuse.
pub(crate) fn plan_migrations(
    app_dir: &Path,
    user_env: &Env,
    located: LocatedMigrations,
    build: &BuildFacts<'_>,
) -> Result<AppMigrations, RustBuildpackError> {
    let sqlx_file = match located.format {
        MigrationFormat::Sqlx => list_sqlx(app_dir, &located)?
            .migrations
            .first()
            .map(|file| file.file_name.clone()),
        MigrationFormat::Diesel | MigrationFormat::Command => None,
    };
    let signs = Signs::read(build, sqlx_file);
    let wiring = choose_wiring(&located, &signs).map_err(RustBuildpackError::Migrator)?;
    let defaults = wiring.launch_defaults();
    let located = if defaults.is_empty() {
        located
    } else {
        locate_migrations(app_dir, release_settings(user_env, &defaults))
            .map_err(RustBuildpackError::MigrationsDir)?
    };
    let list = list_migrations(app_dir, &located)?;
    Ok(AppMigrations {
        located,
        wiring,
        list,
        signs,
    })
}

/// The migrations of the folder, read by the format's rules.
fn list_migrations(
    app_dir: &Path,
    located: &LocatedMigrations,
) -> Result<MigrationList, RustBuildpackError> {
    Ok(match located.format {
        MigrationFormat::Sqlx => MigrationList::Sqlx(list_sqlx(app_dir, located)?),
        MigrationFormat::Diesel => MigrationList::Diesel(
            list_diesel_migrations(&located.dir.path).map_err(RustBuildpackError::DieselFiles)?,
        ),
        MigrationFormat::Command => MigrationList::Command,
    })
}

/// sqlx's files of the folder, with `sqlx.toml`'s `unrecognized-sql-files` (the release phase
/// reads the folder with these same rules).
fn list_sqlx(
    app_dir: &Path,
    located: &LocatedMigrations,
) -> Result<MigrationFiles, RustBuildpackError> {
    let sqlx_toml = read_sqlx_toml(app_dir)
        .map_err(|error| RustBuildpackError::MigrationsDir(MigrationsDirError::SqlxToml(error)))?;
    let unrecognized = sqlx_toml.and_then(|file| file.migrate.unrecognized_sql_files);
    list_migration_files(&located.dir.path, unrecognized.as_ref())
        .map_err(RustBuildpackError::MigrationFiles)
}

/// Prints the format, why, the folder and what it holds; and warns about what the format's
/// tool would skip or misread.
pub(crate) fn print_migrations(app_dir: &Path, migrations: &AppMigrations, user_env: &Env) {
    let located = &migrations.located;
    let format = located.format.name();
    let why = format_reason(migrations);
    match (&migrations.list, &migrations.wiring) {
        (MigrationList::Command, Wiring::SeaOrm { bin, .. }) => {
            print::sub_bullet(format!(
                "Migrations: {format}, {} ({why})",
                style::command(seaorm_command(bin))
            ));
            print::sub_bullet(format!(
                "The release process gets {} as a default (a migrate command means the command format): a config var of the same name wins, and {} turns it off",
                style::value(format!("{COMMAND_ENV}={}", seaorm_command(bin))),
                style::value(format!("{COMMAND_ENV}=\"\""))
            ));
        }
        (MigrationList::Command, _) => {
            print::sub_bullet(format!("Migrations: {format} ({why})"));
            if user_env.contains_key(COMMAND_ENV) && !migrations.signs.seaorm_bins.is_empty() {
                print::sub_bullet(format!(
                    "{COMMAND_ENV} is set by the app's config, so the release process runs it, not {}",
                    style::command(seaorm_command(&migrations.signs.seaorm_bins[0]))
                ));
            }
        }
        (_, _) => print_folder(app_dir, migrations, &why),
    }
    if let MigrationList::Command = migrations.list {
        print::sub_bullet(
            "The release process runs the command inside its lock, backup and checks. There is no SQL for the build to scan for pgvector or lint.",
        );
    }
    if let Wiring::AsLocated = migrations.wiring
        && migrations.signs.seaorm_in_lock
        && migrations.signs.seaorm_bins.is_empty()
        && located.format != MigrationFormat::Command
    {
        print::sub_bullet(format!(
            "sea-orm-migration is in Cargo.lock, but no binary this build produces depends on it. If the app migrates with SeaORM, build its migrator (e.g. `default-members` in Cargo.toml) or set {COMMAND_ENV}."
        ));
    }
    match &migrations.list {
        MigrationList::Sqlx(files) => warn_about_ignored_files(files),
        MigrationList::Diesel(list) => warn_about_diesel_metadata(list),
        MigrationList::Command => {}
    }
}

/// The `Migrations:` line of a format with a folder, and the setting that chose the folder.
fn print_folder(app_dir: &Path, migrations: &AppMigrations, why: &str) {
    let located = &migrations.located;
    let folder = style::value(shown_path(app_dir, &located.dir.path));
    let format = located.format.name();
    let holds = match (located.dir.path.is_dir(), migrations.list.len()) {
        (false, _) => "no such folder: no migrations".to_owned(),
        (true, Some(1)) => "1 migration".to_owned(),
        (true, count) => format!("{} migrations", count.unwrap_or_default()),
    };
    print::sub_bullet(format!("Migrations: {format}, {folder}, {holds} ({why})"));
    if let Some(origin) = &located.dir.origin {
        print::sub_bullet(format!("The folder is set by {}", origin_words(origin)));
    }
    if let MigrationList::Diesel(list) = &migrations.list {
        let outside: Vec<&str> = list
            .iter()
            .filter(|migration| {
                read_diesel_metadata(migration).is_ok_and(|m| !m.run_in_transaction)
            })
            .map(|migration| migration.name.as_str())
            .collect();
        if !outside.is_empty() {
            print::sub_bullet(format!(
                "Run outside a transaction, as Diesel runs them (`run_in_transaction = false`): {}",
                outside.join(", ")
            ));
        }
    }
    if let Wiring::DieselFromLock = migrations.wiring {
        print::sub_bullet(format!(
            "No Diesel migration folders in {folder} yet: the release process will find them there once `diesel migration generate` writes them (or set SLIPWAY_MIGRATIONS_DIR to where they are)"
        ));
    }
}

/// Why the format is what it is, in the build log's words.
fn format_reason(migrations: &AppMigrations) -> String {
    match &migrations.wiring {
        Wiring::DieselFromLock => "the app compiles `diesel_migrations`".to_owned(),
        Wiring::SeaOrm { bin, why } => {
            format!("SeaORM: sea-orm-migration is in Cargo.lock, and `{bin}` is {why}")
        }
        Wiring::AsLocated => match &migrations.located.format_origin {
            FormatOrigin::Default => {
                "the default: no diesel.toml, no Diesel migration folders, no migrate command"
                    .to_owned()
            }
            FormatOrigin::Setting(origin) => format!("set by {}", origin_words(origin)),
            FormatOrigin::MigrateCommand(origin) => {
                format!("a migrate command is set by {}", origin_words(origin))
            }
            other => other.to_string(),
        },
    }
}

/// The setting that chose the folder, as the build log names it.
pub(crate) fn origin_words(origin: &DirOrigin) -> String {
    match origin {
        DirOrigin::SettingsFile { path, .. } => format!("`migrations_dir` in {}", path.display()),
        DirOrigin::SettingsFileKey { path, key, .. } => format!("`{key}` in {}", path.display()),
        other => origin_words_with_line(other),
    }
}

/// The setting that chose the folder, as an error names it: with the settings file's line.
pub(crate) fn origin_words_with_line(origin: &DirOrigin) -> String {
    match origin {
        DirOrigin::Given(var) => var.clone(),
        DirOrigin::SettingsFile { path, line } => {
            format!("`migrations_dir` in {}, line {line}", path.display())
        }
        DirOrigin::SqlxToml { path, line } => {
            format!("`migrations-dir` in {}, line {line}", path.display())
        }
        DirOrigin::DieselToml { path, line } => format!(
            "`[migrations_directory] dir` in {}, line {line}",
            path.display()
        ),
        DirOrigin::SettingsFileKey { path, line, key } => {
            format!("`{key}` in {}, line {line}", path.display())
        }
        DirOrigin::DieselEnv(var) => format!("{var} (diesel CLI's variable)"),
    }
}

/// `path` relative to the app dir, for messages (`db/migrations/`).
pub(crate) fn shown_path(app_dir: &Path, path: &Path) -> String {
    format!("{}/", path.strip_prefix(app_dir).unwrap_or(path).display())
}

/// Names each file of the migrations folder that sqlx (and so the release phase) ignores
/// although it looks like a migration.
pub(crate) fn warn_about_ignored_files(files: &MigrationFiles) {
    for file in files.ignored.iter().filter(|file| file.is_warned()) {
        print::warning(errors::ignored_migration_file(file));
    }
}

/// Warns about each `metadata.toml` Diesel (and so the release phase) reads in a way its author
/// likely did not mean.
fn warn_about_diesel_metadata(migrations: &[DieselMigration]) {
    for migration in migrations {
        match read_diesel_metadata(migration) {
            Ok(metadata) => {
                if let Some(problem) = &metadata.problem {
                    print::warning(errors::diesel_metadata_problem(&migration.name, problem));
                }
            }
            Err(error) => print::warning(format!(
                "{}/metadata.toml cannot be read: {error}",
                migration.name
            )),
        }
    }
}

/// The setting that turns the lint off (also read by `slipway-release`).
const LINT_ENV: &str = "SLIPWAY_LINT";

/// Lints the app's up-migrations (sqlx files or Diesel `up.sql`) and prints each finding as a
/// warning.
pub(crate) fn print_migration_lint(app_dir: &Path, migrations: &AppMigrations, user_env: &Env) {
    if let MigrationList::Command = migrations.list {
        print::sub_bullet(
            "Skipped: the migrations run as a command, with no SQL to read (the release phase skips the lint too)",
        );
        return;
    }
    if !migrations.located.dir.path.is_dir() {
        print::sub_bullet("No migrations folder: nothing to lint");
        return;
    }
    let mode = user_env.get_string_lossy(LINT_ENV);
    if mode.as_deref().map(str::trim) == Some("off") {
        print::sub_bullet(format!("Skipped: {}", style::value("SLIPWAY_LINT=off")));
        return;
    }
    let rules = user_env.get_string_lossy("SLIPWAY_LINT_RULES");
    match lint_migrations(app_dir, &migrations.located, rules.as_deref()) {
        Ok(lint) => {
            for warning in &lint.warnings {
                print::warning(warning);
            }
            let ignored = if lint.ignored == 0 {
                String::new()
            } else {
                format!(", {} ignored by squawk-ignore comments", lint.ignored)
            };
            print::sub_bullet(format!(
                "{} finding(s) in {} migration(s){ignored}. The release phase runs the same lint with the \
                 live table sizes and stops a release that would lock a big table ({}).",
                lint.warnings.len(),
                lint.files,
                style::value("slipway-release lint")
            ));
        }
        // The release phase reports the same problem as an error, with its fix.
        Err(problem) => print::warning(format!("The migrations could not be linted: {problem}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cargo_lock::LockedPackage;
    use crate::processes::BinTarget;
    use slipway_contract::FilesError;
    use std::collections::BTreeSet;

    include!("../../../contract/src/migrations_dir/cases.rs");

    /// The build resolves every shared settings-file case as the release tool does.
    #[test]
    fn every_shared_case_resolves_as_the_table_says() {
        for case in CASES {
            let app = case_app(case);
            let mut env = Env::new();
            if let Some(value) = case.migrations_dir_var {
                env.insert("SLIPWAY_MIGRATIONS_DIR", value);
            }
            if let Some(value) = case.config_var {
                env.insert("SLIPWAY_CONFIG", value);
            }
            match (locate_from_config(app.path(), &env), case.expected) {
                (Ok(found), Ok(expected)) => assert_eq!(
                    found.dir.origin.map(|_| folder_in(&app, &found.dir.path)),
                    expected.map(std::path::PathBuf::from),
                    "{}",
                    case.name
                ),
                (Err(RustBuildpackError::MigrationsDir(error)), Err(fragment)) => {
                    let message = errors::migrations_dir_problem(&error);
                    assert!(message.contains(fragment), "{}: {message}", case.name);
                }
                (found, expected) => panic!("{}: {found:?}, expected {expected:?}", case.name),
            }
        }
    }

    #[test]
    fn the_build_log_names_the_setting_as_before() {
        let sqlx = DirOrigin::SqlxToml {
            path: "sqlx.toml".into(),
            line: 2,
        };
        assert_eq!(origin_words(&sqlx), "`migrations-dir` in sqlx.toml, line 2");
        let file = DirOrigin::SettingsFile {
            path: "slipway.toml".into(),
            line: 1,
        };
        assert_eq!(origin_words(&file), "`migrations_dir` in slipway.toml");
        let diesel = DirOrigin::DieselToml {
            path: "diesel.toml".into(),
            line: 5,
        };
        assert_eq!(
            origin_words(&diesel),
            "`[migrations_directory] dir` in diesel.toml, line 5"
        );
        let key = DirOrigin::SettingsFileKey {
            path: "slipway.toml".into(),
            line: 3,
            key: "migrations_format",
        };
        assert_eq!(origin_words(&key), "`migrations_format` in slipway.toml");
        assert_eq!(
            origin_words_with_line(&key),
            "`migrations_format` in slipway.toml, line 3"
        );
    }

    /// An app with these files (`path`, text); a path ending in `/` is an empty folder.
    fn app(entries: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in entries {
            let path = dir.path().join(path);
            if path.to_string_lossy().ends_with('/') {
                std::fs::create_dir_all(&path).unwrap();
                continue;
            }
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    /// Cargo.lock's packages: the app's own (`name`, its direct dependencies) and registry crates.
    fn locked(own: &[(&str, &[&str])], registry: &[&str]) -> Vec<LockedPackage> {
        let own = own.iter().map(|(name, dependencies)| LockedPackage {
            name: (*name).to_owned(),
            version: "0.1.0".into(),
            source: None,
            checksum: None,
            dependencies: dependencies.iter().map(|d| (*d).to_owned()).collect(),
        });
        let registry = registry.iter().map(|name| LockedPackage {
            name: (*name).to_owned(),
            version: "2.3.2".into(),
            source: Some("registry+https://github.com/rust-lang/crates.io-index".into()),
            checksum: None,
            dependencies: Vec::new(),
        });
        own.chain(registry).collect()
    }

    fn bins(pairs: &[(&str, &str)]) -> Vec<BinTarget> {
        pairs
            .iter()
            .map(|(package, name)| BinTarget {
                package: (*package).to_owned(),
                name: (*name).to_owned(),
            })
            .collect()
    }

    fn env(vars: &[(&str, &str)]) -> Env {
        let mut env = Env::new();
        for (key, value) in vars {
            env.insert(key, value);
        }
        env
    }

    fn plan(
        app: &tempfile::TempDir,
        vars: &[(&str, &str)],
        locked: &[LockedPackage],
        bins: &[BinTarget],
    ) -> Result<AppMigrations, RustBuildpackError> {
        let env = env(vars);
        let located = locate_from_config(app.path(), &env)?;
        // A build that compiled every package Cargo.lock lists.
        let compiled = locked.iter().map(|p| p.name.clone()).collect();
        let build = BuildFacts {
            locked,
            bins,
            compiled: &compiled,
            web_bin: None,
        };
        plan_migrations(app.path(), &env, located, &build)
    }

    fn plain_app() -> (Vec<LockedPackage>, Vec<BinTarget>) {
        (locked(&[("app", &[])], &[]), bins(&[("app", "app")]))
    }

    fn diesel_names(list: &MigrationList) -> Vec<String> {
        match list {
            MigrationList::Diesel(list) => list.iter().map(|m| m.name.clone()).collect(),
            other => panic!("not Diesel: {other:?}"),
        }
    }

    #[test]
    fn diesel_toml_makes_diesel_with_its_folder() {
        let app = app(&[
            (
                "diesel.toml",
                "[migrations_directory]\ndir = \"db/diesel\"\n",
            ),
            (
                "db/diesel/2024-01-01-000000_a/up.sql",
                "CREATE EXTENSION vector;",
            ),
            ("db/diesel/.keep", ""),
        ]);
        let (locked, bins) = plain_app();
        let found = plan(&app, &[], &locked, &bins).unwrap();
        assert_eq!(found.located.format, MigrationFormat::Diesel);
        assert_eq!(found.wiring, Wiring::AsLocated);
        assert!(found.located.dir.path.ends_with("db/diesel"));
        assert_eq!(diesel_names(&found.list), ["2024-01-01-000000_a"]);
        assert_eq!(
            format_reason(&found),
            "diesel.toml at the app root",
            "the build says why"
        );
        // The pgvector scan reads up.sql.
        let usage = found.list.scan().unwrap();
        assert_eq!(
            usage.findings[0].file, "2024-01-01-000000_a/up.sql",
            "{usage:?}"
        );
    }

    #[test]
    fn a_folder_of_up_sql_folders_is_diesel_without_diesel_toml() {
        let app = app(&[
            (
                "migrations/00000000000000_diesel_initial_setup/up.sql",
                "SELECT 1;",
            ),
            ("migrations/2024-01-01-000000-0000_b/up.sql", "SELECT 1;"),
        ]);
        let (locked, bins) = plain_app();
        let found = plan(&app, &[], &locked, &bins).unwrap();
        assert_eq!(found.located.format, MigrationFormat::Diesel);
        assert_eq!(
            diesel_names(&found.list),
            [
                "00000000000000_diesel_initial_setup",
                "2024-01-01-000000-0000_b"
            ]
        );
        assert!(
            format_reason(&found).contains("00000000000000_diesel_initial_setup/up.sql"),
            "{}",
            format_reason(&found)
        );
    }

    #[test]
    fn diesel_migrations_in_cargo_lock_wires_diesel_without_a_folder() {
        let bare = app(&[("src/main.rs", "fn main() {}"), ("migrations/.keep", "")]);
        let locked = locked(&[("app", &["diesel_migrations"])], &["diesel_migrations"]);
        let found = plan(&bare, &[], &locked, &bins(&[("app", "app")])).unwrap();
        // No launch default: the release phase finds no migrations either, whatever it calls
        // the empty folder, and a migrate command set later is never contradicted.
        assert!(found.wiring.launch_defaults().is_empty());
        assert_eq!(found.wiring, Wiring::DieselFromLock);
        assert_eq!(
            format_reason(&found),
            "the app compiles `diesel_migrations`"
        );
        let no_folder = app(&[("src/main.rs", "fn main() {}")]);
        let found = plan(&no_folder, &[], &locked, &bins(&[("app", "app")])).unwrap();
        assert_eq!(found.wiring, Wiring::DieselFromLock);
        // Listed in Cargo.lock but not compiled (a dev-dependency, an unbuilt member): no sign.
        let compiled = BTreeSet::new();
        let build = BuildFacts {
            locked: &locked,
            bins: &bins(&[("app", "app")]),
            compiled: &compiled,
            web_bin: None,
        };
        let env = env(&[]);
        let located = locate_from_config(bare.path(), &env).unwrap();
        let found = plan_migrations(bare.path(), &env, located, &build).unwrap();
        assert_eq!(found.wiring, Wiring::AsLocated);
        // The folder elsewhere, still empty: the contract's rules find it (here
        // SLIPWAY_MIGRATIONS_DIR), Cargo.lock says Diesel.
        let elsewhere = app(&[("db/diesel/.keep", "")]);
        let found = plan(
            &elsewhere,
            &[("SLIPWAY_MIGRATIONS_DIR", "db/diesel")],
            &locked,
            &bins(&[("app", "app")]),
        )
        .unwrap();
        assert_eq!(found.wiring, Wiring::DieselFromLock);
        assert!(found.located.dir.path.ends_with("db/diesel"));
        // Once it holds a migration, its shape says Diesel: no default is needed.
        std::fs::create_dir_all(elsewhere.path().join("db/diesel/1_a")).unwrap();
        std::fs::write(elsewhere.path().join("db/diesel/1_a/up.sql"), "SELECT 1;").unwrap();
        let found = plan(
            &elsewhere,
            &[("SLIPWAY_MIGRATIONS_DIR", "db/diesel")],
            &locked,
            &bins(&[("app", "app")]),
        )
        .unwrap();
        assert_eq!(found.wiring, Wiring::AsLocated);
        assert_eq!(diesel_names(&found.list), ["1_a"]);
    }

    #[test]
    fn a_diesel_folder_diesel_refuses_stops_the_build() {
        let app = app(&[
            ("diesel.toml", ""),
            ("migrations/1_a/up.sql", "SELECT 1;"),
            ("migrations/2_b/down.sql", "SELECT 1;"),
        ]);
        let (locked, bins) = plain_app();
        let error = plan(&app, &[], &locked, &bins).unwrap_err();
        assert!(
            matches!(
                &error,
                RustBuildpackError::DieselFiles(slipway_contract::DieselFilesError::NoUpSql { path })
                    if path.ends_with("2_b")
            ),
            "{error:?}"
        );
    }

    #[test]
    fn sqlx_tomls_unrecognized_sql_files_refuses_or_skips_as_in_the_release_phase() {
        let app_with = app;
        let files = [
            ("migrations/1_a.sql", "SELECT 1;"),
            ("migrations/schema.sql", "SELECT 1;"),
        ];
        let with_setting = |value: &str| {
            let text = format!("[migrate]\nunrecognized-sql-files = \"{value}\"\n");
            let mut entries = files.to_vec();
            entries.push(("sqlx.toml", &text));
            let app = app_with(&entries);
            let located = locate_from_config(app.path(), &env(&[]));
            (app, located)
        };
        let (_app, error) = with_setting("error");
        assert!(
            matches!(
                &error,
                Err(RustBuildpackError::MigrationFiles(FilesError::UnrecognizedSqlFile {
                    path,
                    setting_line: 2
                })) if path.ends_with("schema.sql")
            ),
            "{error:?}"
        );
        let (app, located) = with_setting("ignore");
        let ignored = list_sqlx(app.path(), &located.unwrap()).unwrap().ignored;
        assert_eq!(ignored.len(), 1);
        assert!(!ignored[0].is_warned());
        let (app, located) = with_setting("warn");
        let ignored = list_sqlx(app.path(), &located.unwrap()).unwrap().ignored;
        assert!(ignored[0].is_warned());
        // The note about sqlx 0.9.1's default is for an app that does not set the key.
        assert!(!errors::ignored_migration_file(&ignored[0]).contains("unrecognized-sql-files"));
        let unset = app_with(&files);
        let located = locate_from_config(unset.path(), &env(&[])).unwrap();
        let ignored = list_sqlx(unset.path(), &located).unwrap().ignored;
        assert!(
            errors::ignored_migration_file(&ignored[0]).contains("unrecognized-sql-files"),
            "{ignored:?}"
        );
    }

    #[test]
    fn a_seaorm_migrator_is_wired_as_a_command_the_release_phase_finds_too() {
        let app = app(&[("src/main.rs", "fn main() {}")]);
        let locked = locked(
            &[
                ("web", &["migration", "tokio"]),
                ("migration", &["sea-orm-migration", "tokio"]),
            ],
            &["sea-orm-migration", "tokio"],
        );
        let bins = bins(&[("web", "web"), ("migration", "migration")]);
        let found = plan(&app, &[], &locked, &bins).unwrap();
        assert_eq!(found.located.format, MigrationFormat::Command);
        assert!(matches!(&found.list, MigrationList::Command));
        // One default only: a migrate command means the command format to the release
        // phase, and a format the user sets never meets a contradicting default.
        assert_eq!(
            found.wiring.launch_defaults(),
            [("SLIPWAY_MIGRATE_COMMAND", "migration up".to_owned())]
        );
        // Only the migrator's package depends on sea-orm-migration directly.
        assert_eq!(found.signs.seaorm_bins, ["migration"]);
        assert_eq!(found.list.scan().unwrap(), VectorUsage::default());
    }

    #[test]
    fn a_migrate_command_config_var_is_respected() {
        let app = app(&[("src/main.rs", "fn main() {}")]);
        let locked = locked(
            &[("migration", &["sea-orm-migration"])],
            &["sea-orm-migration"],
        );
        let bins = bins(&[("migration", "migration")]);
        let found = plan(
            &app,
            &[("SLIPWAY_MIGRATE_COMMAND", "migration up -n 1")],
            &locked,
            &bins,
        )
        .unwrap();
        assert_eq!(found.located.format, MigrationFormat::Command);
        assert_eq!(found.wiring, Wiring::AsLocated);
        assert!(found.wiring.launch_defaults().is_empty());
        assert_eq!(
            format_reason(&found),
            "a migrate command is set by SLIPWAY_MIGRATE_COMMAND"
        );
    }

    #[test]
    fn the_users_config_var_wins_over_the_builds_default() {
        let defaults = [("SLIPWAY_MIGRATIONS_FORMAT", "diesel".to_owned())];
        let settings = release_settings(&env(&[]), &defaults);
        assert_eq!(
            settings.format.map(|f| f.value().to_owned()),
            Some("diesel".into())
        );
        let settings = release_settings(&env(&[("SLIPWAY_MIGRATIONS_FORMAT", "sqlx")]), &defaults);
        assert_eq!(
            settings.format.map(|f| f.value().to_owned()),
            Some("sqlx".into())
        );
        // A config var set to nothing is unset for the release phase, and the launcher keeps it
        // set (to nothing), so the default does not apply either.
        let settings = release_settings(&env(&[("SLIPWAY_MIGRATIONS_FORMAT", " ")]), &defaults);
        assert!(settings.format.is_none());
    }

    #[test]
    fn sqlx_stays_sqlx_and_conflicts_are_refused() {
        let (locked_plain, bins_plain) = plain_app();
        let sqlx_app = app(&[("migrations/20240101000000_a.sql", "SELECT 1;")]);
        let found = plan(&sqlx_app, &[], &locked_plain, &bins_plain).unwrap();
        assert_eq!(found.located.format, MigrationFormat::Sqlx);
        assert_eq!(found.list.len(), Some(1));
        assert!(format_reason(&found).starts_with("the default"));

        let diesel_lock = locked(&[("app", &["diesel_migrations"])], &["diesel_migrations"]);
        let error = plan(&sqlx_app, &[], &diesel_lock, &bins_plain).unwrap_err();
        assert!(
            matches!(&error, RustBuildpackError::Migrator(crate::migrator::MigratorError::Conflict { first, .. }) if first.contains("20240101000000_a.sql")),
            "{error:?}"
        );
        // The user settles it.
        let found = plan(
            &sqlx_app,
            &[("SLIPWAY_MIGRATIONS_FORMAT", "sqlx")],
            &diesel_lock,
            &bins_plain,
        )
        .unwrap();
        assert_eq!(found.located.format, MigrationFormat::Sqlx);

        // A folder of both shapes is the contract's refusal, whatever else is found.
        let mixed = app(&[
            ("migrations/1_a.sql", "SELECT 1;"),
            ("migrations/2_b/up.sql", "SELECT 1;"),
        ]);
        let error = plan(&mixed, &[], &locked_plain, &bins_plain).unwrap_err();
        assert!(
            matches!(
                &error,
                RustBuildpackError::MigrationsDir(
                    slipway_contract::MigrationsDirError::MixedFormats { .. }
                )
            ),
            "{error:?}"
        );
    }

    /// What `print_migrations` prints, without colours.
    fn printed(app_dir: &Path, migrations: &AppMigrations, user_env: &Env) -> String {
        errors::printed_plain(|| print_migrations(app_dir, migrations, user_env))
    }

    #[test]
    fn the_log_says_which_format_and_why() {
        let diesel = app(&[
            (
                "diesel.toml",
                "[migrations_directory]\ndir = \"migrations\"\n",
            ),
            ("migrations/1_a/up.sql", "SELECT 1;"),
            (
                "migrations/2_b/up.sql",
                "CREATE INDEX CONCURRENTLY i ON t (c);",
            ),
            (
                "migrations/2_b/metadata.toml",
                "run_in_transaction = false\n",
            ),
            ("migrations/3_c/up.sql", "SELECT 1;"),
            (
                "migrations/3_c/metadata.toml",
                "run_in_transaction = \"no\"\n",
            ),
        ]);
        let (locked_plain, bins_plain) = plain_app();
        let found = plan(&diesel, &[], &locked_plain, &bins_plain).unwrap();
        let log = printed(diesel.path(), &found, &env(&[]));
        assert!(
            log.contains(
                "- Migrations: diesel, `migrations/`, 3 migrations (diesel.toml at the app root)"
            ),
            "{log}"
        );
        assert!(
            log.contains(
                "The folder is set by `[migrations_directory] dir` in diesel.toml, line 2"
            ),
            "{log}"
        );
        assert!(log.contains("Run outside a transaction, as Diesel runs them (`run_in_transaction = false`): 2_b\n"), "{log}");
        assert!(
            log.contains("3_c/metadata.toml, line 1: `run_in_transaction` must be true or false"),
            "{log}"
        );

        let seaorm = app(&[("src/main.rs", "fn main() {}")]);
        let locked_seaorm = locked(
            &[("migration", &["sea-orm-migration"])],
            &["sea-orm-migration"],
        );
        let bins_seaorm = bins(&[("web", "web"), ("migration", "migration")]);
        let found = plan(&seaorm, &[], &locked_seaorm, &bins_seaorm).unwrap();
        let log = printed(seaorm.path(), &found, &env(&[]));
        assert!(
            log.contains("- Migrations: command, `migration up` (SeaORM: sea-orm-migration is in Cargo.lock, and `migration` is the only binary whose package depends on sea-orm-migration)"),
            "{log}"
        );
        assert!(
            log.contains("`SLIPWAY_MIGRATE_COMMAND=migration up` as a default (a migrate command means the command format)"),
            "{log}"
        );
        let vars = [("SLIPWAY_MIGRATE_COMMAND", "migration up -n 1")];
        let found = plan(&seaorm, &vars, &locked_seaorm, &bins_seaorm).unwrap();
        let log = printed(seaorm.path(), &found, &env(&vars));
        assert!(
            log.contains(
                "- Migrations: command (a migrate command is set by SLIPWAY_MIGRATE_COMMAND)"
            ),
            "{log}"
        );
        assert!(
            log.contains("SLIPWAY_MIGRATE_COMMAND is set by the app's config, so the release process runs it, not `migration up`"),
            "{log}"
        );
        assert!(
            !log.contains("-n 1"),
            "a config var's value is never printed: {log}"
        );

        let none = app(&[("src/main.rs", "fn main() {}")]);
        let found = plan(&none, &[], &locked_plain, &bins_plain).unwrap();
        let log = printed(none.path(), &found, &env(&[]));
        assert!(
            log.contains("- Migrations: sqlx, `migrations/`, no such folder: no migrations (the default: no diesel.toml, no Diesel migration folders, no migrate command)"),
            "{log}"
        );
    }
}
