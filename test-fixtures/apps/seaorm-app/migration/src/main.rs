//! SeaORM's migrator CLI: `migration up` applies the pending migrations to `DATABASE_URL`.

use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    cli::run_cli(migration::Migrator).await;
}
