//! The launch layer with `slipway-release`, and the pgvector plan and the migration format
//! handed to it.

use crate::RustBuildpack;
use crate::errors::RustBuildpackError;
use crate::layers::launch_bin_layer;
use crate::pgvector::{MIN_VERSION_ENV, MODE_ENV, PgvectorPlan};
use libcnb::additional_buildpack_binary_path;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};

/// Copies the bundled release binary into `bin/slipway-release` and hands the pgvector plan and
/// `migration_defaults` (`SLIPWAY_MIGRATIONS_FORMAT`, `SLIPWAY_MIGRATE_COMMAND`) over as launch
/// *defaults*, so a config var of the same name wins.
pub(crate) fn install_release_tool(
    context: &BuildContext<RustBuildpack>,
    pgvector: &PgvectorPlan,
    migration_defaults: &[(&'static str, String)],
) -> libcnb::Result<(), RustBuildpackError> {
    let (layer, bin_dir) = launch_bin_layer(context, layer_name!("release_tool"))?;
    let to = bin_dir.join("slipway-release");
    let from = additional_buildpack_binary_path!("slipway-release-bundled");
    std::fs::copy(&from, &to).map_err(|error| RustBuildpackError::Io {
        what: format!("copying {} to {}", from.display(), to.display()),
        error,
    })?;
    layer.write_env(launch_env(pgvector, migration_defaults))?;
    Ok(())
}

/// The launch env: `SLIPWAY_PGVECTOR=required` when the app uses pgvector, the minimum version
/// the migrations need, and `migration_defaults`; all of them defaults.
pub(crate) fn launch_env(
    pgvector: &PgvectorPlan,
    migration_defaults: &[(&'static str, String)],
) -> LayerEnv {
    let mut env = LayerEnv::new();
    for (name, value) in migration_defaults {
        env.insert(Scope::Launch, ModificationBehavior::Default, name, value);
    }
    // In `auto` mode slipway-release only looks at the migrations; an app that uses pgvector
    // through the crate alone (or `SLIPWAY_PGVECTOR=required` set for the build) would
    // otherwise get no extension.
    if pgvector.required {
        env.insert(
            Scope::Launch,
            ModificationBehavior::Default,
            MODE_ENV,
            "required",
        );
    }
    if let Some(version) = &pgvector.min_version {
        env.insert(
            Scope::Launch,
            ModificationBehavior::Default,
            MIN_VERSION_ENV,
            version.to_string(),
        );
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcnb::Env;
    use slipway_contract::Version;

    #[test]
    fn the_minimum_is_a_default_the_user_can_override() {
        let plan = PgvectorPlan {
            required: true,
            min_version: Some(Version::new(0, 5, 0)),
            reasons: vec![],
        };
        let env = launch_env(&plan, &[]);
        let from_buildpack = env.apply(Scope::Launch, &Env::new());
        assert_eq!(
            from_buildpack.get_string_lossy(MIN_VERSION_ENV).as_deref(),
            Some("0.5.0")
        );
        let mut user = Env::new();
        user.insert(MIN_VERSION_ENV, "0.8.0");
        let with_user = env.apply(Scope::Launch, &user);
        assert_eq!(
            with_user.get_string_lossy(MIN_VERSION_ENV).as_deref(),
            Some("0.8.0")
        );
        assert!(
            env.apply(Scope::Build, &Env::new())
                .get(MIN_VERSION_ENV)
                .is_none()
        );
    }

    #[test]
    fn the_migration_format_and_command_are_defaults_a_config_var_overrides() {
        let plan = PgvectorPlan {
            required: false,
            min_version: None,
            reasons: vec![],
        };
        let env = launch_env(
            &plan,
            &[
                ("SLIPWAY_MIGRATIONS_FORMAT", "command".into()),
                ("SLIPWAY_MIGRATE_COMMAND", "migration up".into()),
            ],
        );
        let launched = env.apply(Scope::Launch, &Env::new());
        assert_eq!(
            launched
                .get_string_lossy("SLIPWAY_MIGRATE_COMMAND")
                .as_deref(),
            Some("migration up")
        );
        assert_eq!(
            launched
                .get_string_lossy("SLIPWAY_MIGRATIONS_FORMAT")
                .as_deref(),
            Some("command")
        );
        let mut user = Env::new();
        user.insert("SLIPWAY_MIGRATE_COMMAND", "migration up -n 1");
        assert_eq!(
            env.apply(Scope::Launch, &user)
                .get_string_lossy("SLIPWAY_MIGRATE_COMMAND")
                .as_deref(),
            Some("migration up -n 1")
        );
        assert!(
            env.apply(Scope::Build, &Env::new())
                .get("SLIPWAY_MIGRATE_COMMAND")
                .is_none()
        );
    }

    #[test]
    fn a_used_pgvector_is_required_at_release_unless_the_user_says_otherwise() {
        let crate_only = PgvectorPlan {
            required: true,
            min_version: None,
            reasons: vec!["the app compiles the `pgvector` crate".into()],
        };
        let env = launch_env(&crate_only, &[]);
        let launched = env.apply(Scope::Launch, &Env::new());
        assert_eq!(
            launched.get_string_lossy(MODE_ENV).as_deref(),
            Some("required")
        );
        assert!(launched.get(MIN_VERSION_ENV).is_none());
        let mut user = Env::new();
        user.insert(MODE_ENV, "off");
        assert_eq!(
            env.apply(Scope::Launch, &user)
                .get_string_lossy(MODE_ENV)
                .as_deref(),
            Some("off")
        );

        let unused = PgvectorPlan {
            required: false,
            min_version: None,
            reasons: vec![],
        };
        let launched = launch_env(&unused, &[]).apply(Scope::Launch, &Env::new());
        assert!(launched.get(MODE_ENV).is_none());
        assert!(launched.get(MIN_VERSION_ENV).is_none());
    }
}
