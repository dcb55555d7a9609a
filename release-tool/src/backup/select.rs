//! Which backup target a release uses: the configured one, or the default
//! for where it runs (a local folder off a dyno; on a dyno Heroku PGBackups,
//! then S3, else an error).

use std::path::PathBuf;

use super::{
    BackupEnv, BackupError, BackupTarget, DEFAULT_LOCAL_DIR, FileTarget, HerokuTarget, S3Target,
    TargetSpec,
};

/// What some targets need besides their spec.
#[derive(Debug, Default, Clone)]
pub(crate) struct TargetOptions {
    /// Versions of the migrations about to run, recorded with S3 backups.
    pub(crate) pending_versions: Vec<crate::migrations::Version>,
    /// `restore --yes-use-heroku-restore`: restore Heroku backups through the API.
    pub(crate) heroku_api_restore: bool,
}

/// The chosen target, or `None` when backups are off, with how it was chosen
/// and any warning to print.
pub(crate) struct Selected {
    pub(crate) target: Option<Box<dyn BackupTarget>>,
    pub(crate) chosen_by: &'static str,
    pub(crate) warning: Option<String>,
}

/// What to use when `SLIPWAY_BACKUP` is unset: a local folder off a dyno. On a
/// dyno the filesystem is thrown away after the release, so a local default
/// would be no backup at all: Heroku PGBackups when `HEROKU_API_KEY` is set,
/// else S3 when `SLIPWAY_BACKUP_S3_BUCKET` names a bucket, else an error.
pub(crate) fn default_spec(on_dyno: bool, env: &BackupEnv) -> Result<TargetSpec, BackupError> {
    if !on_dyno {
        return Ok(TargetSpec::File(PathBuf::from(DEFAULT_LOCAL_DIR)));
    }
    if env.heroku.api_key.is_some() {
        return Ok(TargetSpec::Heroku);
    }
    match &env.s3_bucket {
        Some(location) => Ok(TargetSpec::S3(location.clone())),
        None => Err(BackupError::NotConfiguredOnDyno),
    }
}

/// Whether we run on a Heroku dyno (Heroku sets `DYNO`, e.g. `release.1`).
pub(crate) fn on_dyno() -> bool {
    std::env::var_os("DYNO").is_some_and(|v| !v.is_empty())
}

/// Builds the target for `configured`, or the default; `env` is what the targets read
/// from the environment.
pub(crate) fn select(
    configured: Option<&TargetSpec>,
    env: &BackupEnv,
) -> Result<Selected, BackupError> {
    select_with(configured, env, TargetOptions::default())
}

/// [`select`], with what some targets need besides their spec.
pub(crate) fn select_with(
    configured: Option<&TargetSpec>,
    env: &BackupEnv,
    options: TargetOptions,
) -> Result<Selected, BackupError> {
    let dyno = on_dyno();
    let (spec, chosen_by) = match configured {
        Some(spec) => (spec.clone(), "SLIPWAY_BACKUP"),
        None if dyno => (default_spec(true, env)?, "the default on a dyno"),
        None => (default_spec(false, env)?, "the default off a dyno"),
    };
    Ok(match spec {
        TargetSpec::None => Selected {
            target: None,
            chosen_by,
            warning: Some(
                "BACKUPS ARE OFF (SLIPWAY_BACKUP=none): migrations will run with no backup to go back to"
                    .to_owned(),
            ),
        },
        TargetSpec::File(dir) => Selected {
            warning: dyno.then(|| {
                format!(
                    "backups go to file:{} on a dyno, whose filesystem is thrown away after the release",
                    dir.display()
                )
            }),
            target: Some(Box::new(FileTarget::new(dir, env.tools.clone()))),
            chosen_by,
        },
        TargetSpec::S3(location) => Selected {
            target: Some(Box::new(S3Target::new(
                location,
                &env.s3,
                env.tools.clone(),
                options.pending_versions,
            )?)),
            chosen_by,
            warning: None,
        },
        TargetSpec::Heroku => Selected {
            target: Some(Box::new(HerokuTarget::new(
                &env.heroku,
                options.heroku_api_restore,
            )?)),
            chosen_by,
            warning: None,
        },
    })
}
