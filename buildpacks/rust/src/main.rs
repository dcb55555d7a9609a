//! `slipway/rust`: compiles a Rust app with Cargo, ships only its binaries, and declares the
//! `web` and `release` processes (the release phase migrates PostgreSQL and ensures pgvector).

mod cargo_build;
mod cargo_lock;
mod config;
mod errors;
mod layers;
mod migrations;
mod migrator;
mod pgvector;
mod processes;
mod redact;
mod sbom;
mod source_mtimes;
mod sqlx_offline;
mod toolchain_file;

use crate::cargo_build::{Compiled, compile, read_metadata};
use crate::cargo_lock::{LockedPackage, read_cargo_lock};
use crate::config::BuildConfig;
use crate::errors::RustBuildpackError;
use crate::layers::app_binaries::install_app_binaries;
use crate::layers::cargo_home::{CargoHomePruned, install_cargo_home, prune_cargo_home};
use crate::layers::dir_size;
use crate::layers::release_tool::install_release_tool;
use crate::layers::target_dir::prune::{
    PruneInput, PruneReport, normalised_name, prune_target_dir,
};
use crate::layers::target_dir::{TargetDir, prepare_target_dir};
use crate::layers::toolchain::install_toolchain;
use crate::migrations::{
    AppMigrations, MigrationList, locate_from_config, plan_migrations, print_migration_lint,
    print_migrations, shown_path,
};
use crate::migrator::{BuildFacts, Wiring};
use crate::pgvector::{PgvectorPlan, plan_pgvector};
use crate::processes::{BinTarget, WebChoice, build_processes, choose_web};
use crate::sbom::app_sbom;
use crate::source_mtimes::{settle_restored_mtimes, stabilise_source_mtimes};
use crate::sqlx_offline::find_offline_data;
use crate::toolchain_file::{SpecOrigin, ToolchainSpec, read_toolchain_spec};
use bullet_stream::global::print;
use bullet_stream::style;
use libcnb::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb::data::build_plan::BuildPlanBuilder;
use libcnb::data::launch::LaunchBuilder;
use libcnb::data::sbom::SbomFormat;
use libcnb::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb::generic::GenericPlatform;
use libcnb::layer_env::Scope;
use libcnb::sbom::Sbom;
use libcnb::{Buildpack, Env, Platform, buildpack_main};
use serde::Deserialize;
use slipway_contract::text::human_bytes;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

// Used by the integration tests.
#[cfg(test)]
use {fs2 as _, libcnb_test as _, slipway_lifecycle_harness as _, tempfile as _};

pub(crate) struct RustBuildpack;

/// `[metadata]` of buildpack.toml.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct RustBuildpackMetadata {
    default_toolchain: String,
    rustup: RustupMetadata,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct RustupMetadata {
    update_root: String,
}

impl Buildpack for RustBuildpack {
    type Platform = GenericPlatform;
    type Metadata = RustBuildpackMetadata;
    type Error = RustBuildpackError;

    fn detect(&self, context: DetectContext<Self>) -> libcnb::Result<DetectResult, Self::Error> {
        if context.app_dir.join("Cargo.toml").is_file() {
            DetectResultBuilder::pass()
                .build_plan(
                    BuildPlanBuilder::new()
                        .provides("rust")
                        .requires("rust")
                        .build(),
                )
                .build()
        } else {
            println!(
                "No Cargo.toml at the app root: looked for {}",
                context.app_dir.join("Cargo.toml").display()
            );
            DetectResultBuilder::fail().build()
        }
    }

    fn build(&self, context: BuildContext<Self>) -> libcnb::Result<BuildResult, Self::Error> {
        let started = print::buildpack("slipway/rust");
        let user_env = context.platform.env().clone();
        let config = read_config(&user_env)?;
        let app_dir = context.app_dir.clone();
        if !app_dir.join("Cargo.lock").is_file() {
            return Err(RustBuildpackError::MissingLockfile.into());
        }
        let located = locate_from_config(&app_dir, &user_env)?;

        print::bullet("Rust toolchain");
        let spec = select_toolchain(&context)?;
        let metadata = &context.buildpack_descriptor.metadata;
        let update_root = user_env
            .get_string_lossy("RUSTUP_UPDATE_ROOT")
            .unwrap_or_else(|| metadata.rustup.update_root.clone());
        let toolchain = install_toolchain(&context, &spec, &update_root, &user_env)?;

        print::bullet("Build caches");
        let cargo_home = install_cargo_home(&context)?;
        let target = prepare_target_dir(&context, &spec)?;
        let now = filetime::FileTime::now();
        settle_restored_mtimes(&[&target.dir, &cargo_home.dir], now).map_err(|error| {
            RustBuildpackError::Io {
                what: "settling the mtimes of the restored caches".into(),
                error,
            }
        })?;
        let report =
            stabilise_source_mtimes(&app_dir, &target.source_manifest, now).map_err(|error| {
                RustBuildpackError::Io {
                    what: "stabilising source mtimes".into(),
                    error,
                }
            })?;
        print::sub_bullet(format!(
            "Source files: {} unchanged since the last build, {} new or changed",
            report.unchanged, report.changed
        ));

        print::bullet("Compiling");
        let mut env = Env::from_current();
        for (key, value) in &user_env {
            env.insert(key, value);
        }
        for layer_env in [&toolchain.env, &cargo_home.env, &target.env] {
            env = layer_env.apply(Scope::Build, &env);
        }
        let metadata = read_metadata(&app_dir, &env).map_err(RustBuildpackError::Cargo)?;
        let bins = metadata
            .bin_targets(&config)
            .map_err(RustBuildpackError::Cargo)?;
        let locked = read_cargo_lock(&app_dir).map_err(RustBuildpackError::CargoLock)?;
        set_sqlx_offline(&app_dir, &metadata.member_dirs(), &user_env, &mut env);
        let built = compile(&app_dir, &env, &config).map_err(RustBuildpackError::Cargo)?;
        // What the build compiled tells the migration tool, not what Cargo.lock lists.
        let compiled = compiled_names(&built);
        let facts = BuildFacts {
            locked: &locked,
            bins: &bins,
            compiled: &compiled,
            web_bin: config.web_bin.as_deref(),
        };
        let migrations = plan_migrations(&app_dir, &user_env, located, &facts)?;
        let migrator = migrator_bin(&migrations);

        print::bullet("Installing binaries");
        let sbom = describe_dependencies(&app_dir, &built, &facts, migrator);
        install_app_binaries(&context, &bins, &built.binaries, sbom)?;

        print::bullet("Pruning the build caches");
        prune_build_caches(
            &toolchain.dir,
            &cargo_home.dir,
            &target,
            &built,
            &locked,
            &config,
        );

        print::bullet("Migrations");
        print_migrations(&app_dir, &migrations, &user_env);

        print::bullet("pgvector");
        let compiles_pgvector = compiled.contains("pgvector");
        let pgvector = plan_pgvector(&migrations.list, config.pgvector, compiles_pgvector)
            .map_err(|error| RustBuildpackError::Io {
                what: format!(
                    "reading {}",
                    shown_path(&app_dir, &migrations.located.dir.path)
                ),
                error,
            })?;
        print_pgvector_plan(&pgvector);

        print::bullet("Migration lint");
        print_migration_lint(&app_dir, &migrations, &user_env);

        let release = needs_release(&migrations, &pgvector);
        if release {
            install_release_tool(&context, &pgvector, &migrations.wiring.launch_defaults())?;
        }
        let launch = declare_processes(&bins, &config, release, migrator)?;
        print::all_done(&Some(started));
        BuildResultBuilder::new().launch(launch).build()
    }

    fn on_error(&self, error: libcnb::Error<Self::Error>) {
        errors::on_error(error);
    }
}

/// The `SeaORM` migrator binary the release phase runs, which is no candidate for `web`.
fn migrator_bin(migrations: &AppMigrations) -> Option<&str> {
    match &migrations.wiring {
        Wiring::SeaOrm { bin, .. } => Some(bin.as_str()),
        Wiring::AsLocated | Wiring::DieselFromLock => None,
    }
}

/// The names of the packages the build compiled (or found fresh).
fn compiled_names(built: &Compiled) -> BTreeSet<String> {
    built
        .packages
        .keys()
        .filter_map(|id| sbom::package_name(id))
        .collect()
}

/// The app layer's CycloneDX SBOM; a failure only warns, since the app itself built.
fn describe_dependencies(
    app_dir: &Path,
    built: &Compiled,
    facts: &BuildFacts<'_>,
    migrator: Option<&str>,
) -> Option<Sbom> {
    let BuildFacts {
        bins,
        locked,
        web_bin,
        ..
    } = *facts;
    // The subject is the web process's package when one is chosen, else the first binary's.
    let web_package = match choose_web(bins, web_bin, migrator) {
        Ok(WebChoice::Chosen { bin, .. }) => bins
            .iter()
            .find(|target| target.name == bin)
            .map(|target| target.package.clone()),
        _ => None,
    };
    let subjects: Vec<String> = web_package
        .into_iter()
        .chain(bins.iter().map(|bin| bin.package.clone()))
        .collect();
    let described =
        app_sbom(app_dir, &built.packages, &subjects, locked).map_err(|error| error.to_string());
    match described {
        Ok(sbom) => {
            print::sub_bullet(format!(
                "SBOM: {} packages, as CycloneDX JSON on the app layer",
                sbom.packages
            ));
            if sbom.unreadable_ids > 0 {
                print::warning(errors::sbom_incomplete(sbom.unreadable_ids));
            }
            Some(Sbom::from_bytes(SbomFormat::CycloneDxJson, sbom.json))
        }
        Err(error) => {
            print::warning(errors::sbom_failed(&error));
            None
        }
    }
}

/// Keeps the caches to what the next build reuses and prints each cache layer's size; a
/// failure only warns, since cargo rebuilds whatever a half-pruned cache lacks. The two
/// caches are pruned independently, so a failure in one leaves the other pruned.
fn prune_build_caches(
    toolchain_dir: &Path,
    cargo_home_dir: &Path,
    target: &TargetDir,
    built: &Compiled,
    locked: &[LockedPackage],
    config: &BuildConfig,
) {
    let locked_names = locked
        .iter()
        .map(|package| normalised_name(&package.name))
        .collect();
    let uplifted: Vec<PathBuf> = built.used_paths.iter().cloned().collect();
    let target = prune_target_dir(&PruneInput {
        target_dir: &target.dir,
        manifest_path: &target.unit_manifest,
        used_paths: &built.used_paths,
        uplifted: &uplifted,
        locked_names: &locked_names,
        max_bytes: config.cache_max_bytes,
    });
    let cargo_home = prune_cargo_home(cargo_home_dir, locked);
    match dir_size(toolchain_dir) {
        Ok(bytes) => print::sub_bullet(format!("Toolchain: {}", human_bytes(bytes))),
        Err(error) => print::warning(errors::cache_pruning_failed(&error)),
    }
    match cargo_home {
        Ok(cargo_home) => print_cargo_home(&cargo_home),
        Err(error) => print::warning(errors::cache_pruning_failed(&error)),
    }
    match target {
        Ok(target) => print_target_dir(&target),
        Err(error) => print::warning(errors::cache_pruning_failed(&error)),
    }
}

fn print_cargo_home(cargo_home: &CargoHomePruned) {
    let dropped = if cargo_home.dropped_crates > 0 {
        format!(
            " (dropped {} crates or checkouts no longer in Cargo.lock, {})",
            cargo_home.dropped_crates,
            human_bytes(cargo_home.dropped_bytes)
        )
    } else {
        String::new()
    };
    print::sub_bullet(format!(
        "Cargo registry cache: {}{dropped}",
        human_bytes(cargo_home.bytes)
    ));
}

fn print_target_dir(target: &PruneReport) {
    let parts = &target.parts;
    print::sub_bullet(format!(
        "Target dir cache: {} (deps/ {}, build/ {}, .fingerprint/ {}, incremental/ {}, other {})",
        human_bytes(parts.total()),
        human_bytes(parts.deps),
        human_bytes(parts.build),
        human_bytes(parts.fingerprint),
        human_bytes(parts.incremental),
        human_bytes(parts.other)
    ));
    if target.unlocked.units > 0 {
        print::sub_bullet(format!(
            "Dropped {} compiled units of crates no longer in Cargo.lock ({})",
            target.unlocked.units,
            human_bytes(target.unlocked.bytes)
        ));
    }
    if target.least_recently_used.units > 0 {
        print::sub_bullet(format!(
            "Dropped {} compiled units this build did not use ({}), least recently used first, to stay under {}",
            target.least_recently_used.units,
            human_bytes(target.least_recently_used.bytes),
            human_bytes(target.max_bytes)
        ));
    }
    if target.over_budget {
        print::warning(errors::cache_over_budget(parts.total(), target.max_bytes));
    }
}

fn read_config(user_env: &Env) -> Result<BuildConfig, RustBuildpackError> {
    let config = BuildConfig::from_env(user_env).map_err(RustBuildpackError::Config)?;
    print::bullet("Build settings");
    print::sub_bullet(format!(
        "Command: {}",
        style::command(format!("cargo {}", config.cargo_build_args().join(" ")))
    ));
    Ok(config)
}

/// Sets `SQLX_OFFLINE=true` when the app has sqlx's offline query data, unless the user set
/// `SQLX_OFFLINE`: `DATABASE_URL` may be set during the build (Heroku shows config vars to
/// it), but the build cannot reach that database.
fn set_sqlx_offline(
    app_dir: &Path,
    member_dirs: &[std::path::PathBuf],
    user_env: &Env,
    env: &mut Env,
) {
    let found = find_offline_data(app_dir, member_dirs);
    if found.is_empty() {
        return;
    }
    if user_env.contains_key("SQLX_OFFLINE") {
        print::sub_bullet(format!(
            "Found {}; SQLX_OFFLINE is set by the app's config, so it is left as it is",
            found.join(", ")
        ));
        return;
    }
    print::sub_bullet(format!(
        "Found {}: setting {}",
        found.join(", "),
        style::value("SQLX_OFFLINE=true")
    ));
    env.insert("SQLX_OFFLINE", "true");
}

fn select_toolchain(
    context: &BuildContext<RustBuildpack>,
) -> Result<ToolchainSpec, RustBuildpackError> {
    let default = &context.buildpack_descriptor.metadata.default_toolchain;
    let (spec, origin) = read_toolchain_spec(&context.app_dir, default)
        .map_err(RustBuildpackError::ToolchainFile)?;
    let from = match origin {
        SpecOrigin::File(file) => format!("from {file}"),
        SpecOrigin::BuildpackDefault => {
            "the buildpack's pinned default; the app has no rust-toolchain.toml".to_string()
        }
    };
    print::sub_bullet(format!(
        "Using Rust {} ({from})",
        style::value(&spec.channel)
    ));
    if !spec.components.is_empty() || !spec.targets.is_empty() {
        print::sub_bullet(format!(
            "Components: [{}], targets: [{}]",
            spec.components.join(", "),
            spec.targets.join(", ")
        ));
    }
    Ok(spec)
}

fn print_pgvector_plan(plan: &PgvectorPlan) {
    if plan.reasons.is_empty() {
        print::sub_bullet(
            "Not used: the app compiles no `pgvector` crate, and no migration uses vector",
        );
    }
    for reason in &plan.reasons {
        print::sub_bullet(reason);
    }
    if plan.required {
        print::sub_bullet(format!(
            "The release process will ensure the `vector` extension ({} unless you set {})",
            style::value(format!("{}=required", pgvector::MODE_ENV)),
            pgvector::MODE_ENV
        ));
    }
    if let Some(version) = &plan.min_version {
        print::sub_bullet(format!(
            "The release process will require pgvector >= {} ({} unless you set it)",
            style::value(version.to_string()),
            pgvector::MIN_VERSION_ENV
        ));
    }
}

/// The release phase is declared for apps with sqlx migrations or pgvector, and for every Diesel
/// app and migrate command.
fn needs_release(migrations: &AppMigrations, pgvector: &PgvectorPlan) -> bool {
    match migrations.list {
        MigrationList::Sqlx(_) => migrations.located.dir.path.is_dir() || pgvector.required,
        MigrationList::Diesel(_) | MigrationList::Command => true,
    }
}

fn declare_processes(
    bins: &[BinTarget],
    config: &BuildConfig,
    release: bool,
    migrator: Option<&str>,
) -> Result<libcnb::data::launch::Launch, RustBuildpackError> {
    print::bullet("Process types");
    let web = choose_web(bins, config.web_bin.as_deref(), migrator)
        .map_err(RustBuildpackError::Process)?;
    match &web {
        WebChoice::Chosen { bin, reason } => {
            print::sub_bullet(format!("web: {} ({reason})", style::command(bin)));
        }
        WebChoice::Undecided { reason } => print::warning(format!(
            "No web process: {reason}.\nSet SLIPWAY_WEB_BIN to the binary that serves HTTP."
        )),
    }
    if release {
        print::sub_bullet(format!(
            "release: {} (a Procfile `release:` line overrides it)",
            style::command("slipway-release run")
        ));
    }
    let processes = build_processes(bins, &web, release).map_err(RustBuildpackError::Process)?;
    for process in processes
        .iter()
        .filter(|p| !matches!(p.r#type.as_str(), "web" | "release"))
    {
        print::sub_bullet(format!(
            "{}: {}",
            process.r#type,
            style::command(process.command.join(" "))
        ));
    }
    Ok(LaunchBuilder::new().processes(processes).build())
}

buildpack_main!(RustBuildpack);
