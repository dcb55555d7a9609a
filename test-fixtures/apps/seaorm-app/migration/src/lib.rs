//! The app's SeaORM migrations, in `sea-orm-migration migrate generate`'s layout.

pub use sea_orm_migration::prelude::*;

mod m20240601_000001_create_posts;

/// Every migration, in the order they apply.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20240601_000001_create_posts::Migration)]
    }
}
