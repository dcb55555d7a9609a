//! `slipway-release check`: the extension and schema checks alone, as `run`
//! does them after migrating. Changes nothing.

use crate::config::Settings;
use crate::errors::Failure;
use crate::pgvector;
use crate::report::Report;

use super::steps;

pub(crate) async fn check(settings: &Settings, report: &mut Report) -> Result<(), Failure> {
    let migrations = steps::load_migrations(settings, report)?;
    let mut session = steps::connect(settings, report).await?;
    let state = pgvector::server_state(&mut session.conn)
        .await
        .map_err(Failure::from)?;
    let requirement = pgvector::requirement(
        settings.pgvector,
        settings.pgvector_min_version.as_ref(),
        &pgvector::usage(&migrations),
        state.installed.is_some(),
    );
    steps::checks(&mut session.conn, &requirement, report).await
}
