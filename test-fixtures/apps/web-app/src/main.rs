//! A web app of typical size: HTTP with axum, PostgreSQL with sqlx and pgvector, outgoing
//! HTTP with reqwest, logs with tracing. Used by `benchmarks/build.sh` to measure builds.

use axum::{Json, Router, extract::State, routing::get};
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;
use tower_http::{compression::CompressionLayer, cors::CorsLayer, trace::TraceLayer};

#[derive(Serialize)]
struct Health {
    id: uuid::Uuid,
    at: chrono::DateTime<chrono::Utc>,
    database: bool,
}

#[derive(Clone)]
struct App {
    pool: Option<sqlx::PgPool>,
    http: reqwest::Client,
}

async fn health(State(app): State<App>) -> Json<Health> {
    let database = match &app.pool {
        Some(pool) => sqlx::query("SELECT 1").execute(pool).await.is_ok(),
        None => false,
    };
    let _ = &app.http;
    Json(Health {
        id: uuid::Uuid::new_v4(),
        at: chrono::Utc::now(),
        database,
    })
}

async fn nearest(State(app): State<App>) -> Result<Json<Vec<i64>>, String> {
    let Some(pool) = &app.pool else {
        return Ok(Json(Vec::new()));
    };
    let query = pgvector::Vector::from(vec![0.0_f32; 3]);
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 5")
        .bind(query)
        .fetch_all(pool)
        .await
        .map_err(|error| error.to_string())?;
    Ok(Json(rows.into_iter().map(|(id,)| id).collect()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let pool = match std::env::var("DATABASE_URL") {
        Ok(url) => Some(PgPoolOptions::new().max_connections(5).connect_lazy(&url)?),
        Err(_) => None,
    };
    let app = App {
        pool,
        http: reqwest::Client::new(),
    };
    let router = Router::new()
        .route("/", get(health))
        .route("/nearest", get(nearest))
        .layer(TraceLayer::new_for_http())
        .layer(CorsLayer::permissive())
        .layer(CompressionLayer::new())
        .with_state(app);
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    let listener = tokio::net::TcpListener::bind(format!("0.0.0.0:{port}")).await?;
    tracing::info!("web-app listening on port {port}");
    axum::serve(listener, router).await?;
    Ok(())
}

/// Hashes a password as a sign-up handler would.
#[allow(dead_code)]
fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::PasswordHasher;
    let salt = argon2::password_hash::SaltString::encode_b64(&rand::random::<[u8; 16]>())?;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}
