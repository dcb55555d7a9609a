//! Which migration tool the release phase runs, where the contract's rules
//! (`slipway_contract::locate_migrations`, which read only the app's files and settings) are not
//! the whole story:
//! - an app whose only sign of Diesel is the `diesel_migrations` it compiles (its folder not
//!   written yet, or where the contract's rules do not look at it as Diesel's);
//! - a `SeaORM` app, whose migrations are Rust code that its `migration` binary applies
//!   (`migration up`).
//!
//! The build hands its choice to the release phase as one launch-env *default*
//! (`SLIPWAY_MIGRATE_COMMAND`, for `SeaORM`), so that both find the same migrations and a
//! config var still wins (`SLIPWAY_MIGRATE_COMMAND=""` turns it off). The signs are what the
//! build compiled, not what Cargo.lock lists (its dev-dependencies, optional dependencies no
//! feature turns on, members not built). A setting the user made is never second-guessed; two
//! tools' signs that disagree stop the build, asking for `SLIPWAY_MIGRATIONS_FORMAT`.

use std::collections::BTreeSet;

use slipway_contract::{FormatOrigin, LocatedMigrations};

use crate::cargo_lock::{LockedPackage, depends_directly, has_package};
use crate::processes::BinTarget;

/// The crate a Diesel app embeds its migrations with.
pub(crate) const DIESEL_MIGRATIONS_CRATE: &str = "diesel_migrations";

/// The crate `SeaORM`'s migrator is built on.
pub(crate) const SEAORM_MIGRATION_CRATE: &str = "sea-orm-migration";

/// The name `SeaORM` gives its migrator crate and binary (`sea-orm-cli migrate init`).
pub(crate) const SEAORM_MIGRATOR_NAME: &str = "migration";

/// The setting that names the format, for the release phase as for the build.
pub(crate) const FORMAT_ENV: &str = "SLIPWAY_MIGRATIONS_FORMAT";

/// The setting that names the migrate command of the `command` format.
pub(crate) const COMMAND_ENV: &str = "SLIPWAY_MIGRATE_COMMAND";

/// What the build made, which says more about the app's migration tool than its files do.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BuildFacts<'a> {
    /// Cargo.lock's packages.
    pub(crate) locked: &'a [LockedPackage],
    /// The binaries the build produced.
    pub(crate) bins: &'a [BinTarget],
    /// The names of the packages the build compiled (not those Cargo.lock only lists: its
    /// dev-dependencies, optional dependencies no feature turns on, members not built).
    pub(crate) compiled: &'a BTreeSet<String>,
    /// `SLIPWAY_WEB_BIN`.
    pub(crate) web_bin: Option<&'a str>,
}

/// What the build knows about the app's migration tool besides the contract's answer.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Signs {
    /// The build compiled `diesel_migrations`.
    pub(crate) diesel_migrations: bool,
    /// `sea-orm-migration` is in Cargo.lock.
    pub(crate) seaorm_in_lock: bool,
    /// The binaries the build produced whose package depends on `sea-orm-migration` directly,
    /// when the build compiled it; never the web binary, nor the app's only binary (an app
    /// that migrates at boot: its binary serves, it does not take `up`).
    pub(crate) seaorm_bins: Vec<String>,
    /// A sqlx migration file of the folder, when the contract chose sqlx and it holds any.
    pub(crate) sqlx_file: Option<String>,
}

impl Signs {
    /// Reads the signs from what the build made.
    pub(crate) fn read(build: &BuildFacts<'_>, sqlx_file: Option<String>) -> Self {
        let compiles_seaorm = build.compiled.contains(SEAORM_MIGRATION_CRATE);
        let seaorm_bins = build
            .bins
            .iter()
            .filter(|_| compiles_seaorm && build.bins.len() > 1)
            .filter(|bin| Some(bin.name.as_str()) != build.web_bin)
            .filter(|bin| depends_directly(build.locked, &bin.package, SEAORM_MIGRATION_CRATE))
            .map(|bin| bin.name.clone())
            .collect();
        Self {
            diesel_migrations: build.compiled.contains(DIESEL_MIGRATIONS_CRATE),
            seaorm_in_lock: has_package(build.locked, SEAORM_MIGRATION_CRATE),
            seaorm_bins,
            sqlx_file,
        }
    }
}

/// How the release phase is to find the app's migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Wiring {
    /// As the contract located them: the release phase finds the same by itself.
    AsLocated,
    /// Diesel, because `diesel_migrations` is in Cargo.lock: `SLIPWAY_MIGRATIONS_FORMAT=diesel`.
    DieselFromLock,
    /// `SeaORM`'s migrator binary, run as `<bin> up` in the `command` format.
    SeaOrm {
        /// The binary.
        bin: String,
        /// Why this one.
        why: &'static str,
    },
}

impl Wiring {
    /// The launch-env defaults that make the release phase find what the build found: one at
    /// most, so that a config var the user sets never meets a default that contradicts it (a
    /// migrate command implies the `command` format; `SLIPWAY_MIGRATE_COMMAND=""` turns the
    /// default off). A Diesel app known by Cargo.lock alone needs none: with no Diesel
    /// folder yet, the release phase has nothing to run either way.
    pub(crate) fn launch_defaults(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::AsLocated | Self::DieselFromLock => Vec::new(),
            Self::SeaOrm { bin, .. } => vec![(COMMAND_ENV, seaorm_command(bin))],
        }
    }
}

/// The command that applies a `SeaORM` migrator's pending migrations.
pub(crate) fn seaorm_command(bin: &str) -> String {
    format!("{bin} up")
}

/// Why the build cannot tell which migration tool the release phase should run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum MigratorError {
    /// Two tools' signs disagree.
    #[error("the app has {first}, and also {second}")]
    Conflict { first: String, second: String },
    /// Several binaries depend on `sea-orm-migration`, none named `migration`.
    #[error(
        "the binaries {} all depend on sea-orm-migration, and none of them is named `migration` (SeaORM's name for its migrator)",
        bins.join(", ")
    )]
    SeaOrmAmbiguous { bins: Vec<String> },
}

/// Chooses how the release phase finds the migrations, from what the contract `located` (with
/// the user's settings only) and the `signs`.
pub(crate) fn choose_wiring(
    located: &LocatedMigrations,
    signs: &Signs,
) -> Result<Wiring, MigratorError> {
    let seaorm = signs.seaorm_bins.first().map(|bin| {
        format!(
            "the binary `{bin}`, whose package depends on sea-orm-migration (SeaORM's migrator)"
        )
    });
    let diesel_lock = signs
        .diesel_migrations
        .then(|| "`diesel_migrations` compiled in (Diesel)".to_owned());
    let conflict = |first: String, second: String| Err(MigratorError::Conflict { first, second });
    match &located.format_origin {
        // The user said: nothing to add.
        FormatOrigin::Setting(_) | FormatOrigin::MigrateCommand(_) => Ok(Wiring::AsLocated),
        diesel @ (FormatOrigin::DieselToml
        | FormatOrigin::DieselVariable(_)
        | FormatOrigin::DieselFolder { .. }) => match seaorm {
            Some(seaorm) => conflict(format!("Diesel migrations ({diesel})"), seaorm),
            None => Ok(Wiring::AsLocated),
        },
        FormatOrigin::Default => {
            let sqlx = signs
                .sqlx_file
                .as_ref()
                .map(|file| format!("sqlx migration files (e.g. {file})"));
            match (sqlx, diesel_lock, seaorm) {
                (Some(first), Some(second), _)
                | (Some(first), None, Some(second))
                | (None, Some(first), Some(second)) => conflict(first, second),
                (None, Some(_), None) => Ok(Wiring::DieselFromLock),
                (None, None, Some(_)) => choose_seaorm_bin(&signs.seaorm_bins),
                (Some(_) | None, None, None) => Ok(Wiring::AsLocated),
            }
        }
    }
}

/// The `SeaORM` migrator among the binaries that depend on `sea-orm-migration` (at least one):
/// the only one, else the one named `migration`.
fn choose_seaorm_bin(bins: &[String]) -> Result<Wiring, MigratorError> {
    if let [only] = bins {
        return Ok(Wiring::SeaOrm {
            bin: only.clone(),
            why: "the only binary whose package depends on sea-orm-migration",
        });
    }
    if bins.iter().any(|bin| bin == SEAORM_MIGRATOR_NAME) {
        return Ok(Wiring::SeaOrm {
            bin: SEAORM_MIGRATOR_NAME.to_owned(),
            why: "named `migration`, SeaORM's convention, among the binaries that depend on sea-orm-migration",
        });
    }
    Err(MigratorError::SeaOrmAmbiguous {
        bins: bins.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cargo_lock::LockedPackage;
    use slipway_contract::{DirOrigin, MigrationFormat, MigrationsDir};
    use std::collections::BTreeSet;

    fn located(format: MigrationFormat, origin: FormatOrigin) -> LocatedMigrations {
        LocatedMigrations {
            dir: MigrationsDir {
                path: "migrations".into(),
                origin: None,
            },
            format,
            format_origin: origin,
        }
    }

    fn sqlx_default() -> LocatedMigrations {
        located(MigrationFormat::Sqlx, FormatOrigin::Default)
    }

    fn facts_signs(bins: &[(&str, &str)], compiled: &[&str], web_bin: Option<&str>) -> Signs {
        let locked: Vec<LockedPackage> = bins
            .iter()
            .map(|(package, _)| LockedPackage {
                name: (*package).to_owned(),
                version: "0.1.0".into(),
                source: None,
                checksum: None,
                dependencies: vec![SEAORM_MIGRATION_CRATE.to_owned()],
            })
            .collect();
        let bins: Vec<BinTarget> = bins
            .iter()
            .map(|(package, name)| BinTarget {
                package: (*package).to_owned(),
                name: (*name).to_owned(),
            })
            .collect();
        let compiled: BTreeSet<String> = compiled.iter().map(|c| (*c).to_owned()).collect();
        Signs::read(
            &BuildFacts {
                locked: &locked,
                bins: &bins,
                compiled: &compiled,
                web_bin,
            },
            None,
        )
    }

    #[test]
    fn the_only_binary_the_web_binary_and_an_uncompiled_crate_are_no_migrator() {
        // An app of one binary that migrates at boot: it serves, it does not take `up`.
        let one = facts_signs(&[("app", "app")], &[SEAORM_MIGRATION_CRATE], None);
        assert!(one.seaorm_bins.is_empty());
        // The web binary named by SLIPWAY_WEB_BIN is never the migrator.
        let two = facts_signs(
            &[("app", "app"), ("migration", "migration")],
            &[SEAORM_MIGRATION_CRATE],
            Some("app"),
        );
        assert_eq!(two.seaorm_bins, ["migration"]);
        // Listed (a dev-dependency, say) but not compiled: no sign at all.
        let dev_only = facts_signs(&[("app", "app"), ("migration", "migration")], &[], None);
        assert!(dev_only.seaorm_bins.is_empty());
    }

    fn seaorm(bins: &[&str]) -> Signs {
        Signs {
            seaorm_in_lock: true,
            seaorm_bins: bins.iter().map(|bin| (*bin).to_owned()).collect(),
            ..Signs::default()
        }
    }

    #[test]
    fn nothing_found_is_left_as_located() {
        assert_eq!(
            choose_wiring(&sqlx_default(), &Signs::default()),
            Ok(Wiring::AsLocated)
        );
        let sqlx_files = Signs {
            sqlx_file: Some("1_a.sql".into()),
            ..Signs::default()
        };
        assert_eq!(
            choose_wiring(&sqlx_default(), &sqlx_files),
            Ok(Wiring::AsLocated)
        );
    }

    #[test]
    fn compiled_diesel_migrations_makes_a_folderless_app_diesel() {
        let signs = Signs {
            diesel_migrations: true,
            ..Signs::default()
        };
        let wiring = choose_wiring(&sqlx_default(), &signs).unwrap();
        assert_eq!(wiring, Wiring::DieselFromLock);
        // No folder yet: nothing for the release phase to run, and no default that a migrate
        // command set later would contradict.
        assert!(wiring.launch_defaults().is_empty());
        // diesel.toml or the folder already say Diesel: the release phase needs no default.
        let by_toml = located(MigrationFormat::Diesel, FormatOrigin::DieselToml);
        assert_eq!(choose_wiring(&by_toml, &signs), Ok(Wiring::AsLocated));
    }

    #[test]
    fn the_only_seaorm_binary_is_the_migrator_whatever_its_name() {
        let wiring = choose_wiring(&sqlx_default(), &seaorm(&["migrate-db"])).unwrap();
        assert_eq!(
            wiring.launch_defaults(),
            [("SLIPWAY_MIGRATE_COMMAND", "migrate-db up".to_owned())]
        );
    }

    #[test]
    fn among_several_seaorm_binaries_migration_wins() {
        let wiring = choose_wiring(&sqlx_default(), &seaorm(&["admin", "migration", "seed"]));
        assert!(
            matches!(&wiring, Ok(Wiring::SeaOrm { bin, .. }) if bin == "migration"),
            "{wiring:?}"
        );
    }

    #[test]
    fn several_seaorm_binaries_without_migration_are_refused() {
        let error = choose_wiring(&sqlx_default(), &seaorm(&["admin", "seed"])).unwrap_err();
        assert_eq!(
            error,
            MigratorError::SeaOrmAmbiguous {
                bins: vec!["admin".into(), "seed".into()]
            }
        );
        assert!(error.to_string().contains("admin, seed"), "{error}");
    }

    #[test]
    fn sea_orm_in_cargo_lock_without_a_binary_depending_on_it_is_nothing() {
        assert_eq!(
            choose_wiring(&sqlx_default(), &seaorm(&[])),
            Ok(Wiring::AsLocated)
        );
    }

    #[test]
    fn a_users_setting_is_never_second_guessed() {
        let set = |format| {
            located(
                format,
                FormatOrigin::Setting(DirOrigin::Given("SLIPWAY_MIGRATIONS_FORMAT".into())),
            )
        };
        let everything = Signs {
            diesel_migrations: true,
            sqlx_file: Some("1_a.sql".into()),
            ..seaorm(&["admin", "seed"])
        };
        for format in [
            MigrationFormat::Sqlx,
            MigrationFormat::Diesel,
            MigrationFormat::Command,
        ] {
            assert_eq!(
                choose_wiring(&set(format), &everything),
                Ok(Wiring::AsLocated)
            );
        }
        let command = located(
            MigrationFormat::Command,
            FormatOrigin::MigrateCommand(DirOrigin::Given("SLIPWAY_MIGRATE_COMMAND".into())),
        );
        assert_eq!(
            choose_wiring(&command, &seaorm(&["migration"])),
            Ok(Wiring::AsLocated)
        );
    }

    #[test]
    fn two_tools_signs_that_disagree_are_a_conflict() {
        let sqlx_files = Signs {
            sqlx_file: Some("1_a.sql".into()),
            ..Signs::default()
        };
        let cases = [
            (
                sqlx_default(),
                Signs {
                    diesel_migrations: true,
                    ..sqlx_files.clone()
                },
                ["sqlx migration files (e.g. 1_a.sql)", "`diesel_migrations`"],
            ),
            (
                sqlx_default(),
                Signs {
                    sqlx_file: Some("1_a.sql".into()),
                    ..seaorm(&["migration"])
                },
                [
                    "sqlx migration files (e.g. 1_a.sql)",
                    "the binary `migration`",
                ],
            ),
            (
                sqlx_default(),
                Signs {
                    diesel_migrations: true,
                    ..seaorm(&["migration"])
                },
                ["`diesel_migrations` compiled in", "the binary `migration`"],
            ),
            (
                located(MigrationFormat::Diesel, FormatOrigin::DieselToml),
                seaorm(&["migration"]),
                ["Diesel migrations (diesel.toml at the app root)", "SeaORM"],
            ),
            (
                located(
                    MigrationFormat::Diesel,
                    FormatOrigin::DieselFolder {
                        example: "2024-01-01-000000_a".into(),
                    },
                ),
                seaorm(&["migration"]),
                ["e.g. 2024-01-01-000000_a/up.sql", "SeaORM"],
            ),
        ];
        for (located, signs, fragments) in cases {
            let error = choose_wiring(&located, &signs).unwrap_err();
            let message = error.to_string();
            assert!(matches!(error, MigratorError::Conflict { .. }), "{message}");
            for fragment in fragments {
                assert!(message.contains(fragment), "`{fragment}` in: {message}");
            }
        }
    }
}
