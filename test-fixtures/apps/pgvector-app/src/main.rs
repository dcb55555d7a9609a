//! A small semantic-search API over PostgreSQL + pgvector.
//!
//! - `GET /documents/{id}`: the document and the size of its embedding.
//! - `GET /documents/{id}/neighbours?limit=N`: the nearest documents by cosine distance.
//!
//! Reads `DATABASE_URL` and `PORT`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use pgvector::Vector;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

#[derive(Serialize)]
struct Document {
    id: i64,
    title: String,
    dimensions: usize,
}

#[derive(Serialize)]
struct Neighbour {
    id: i64,
    title: String,
    distance: f64,
}

#[derive(Deserialize)]
struct NeighbourQuery {
    limit: Option<i64>,
}

type ApiError = (StatusCode, String);

fn internal(error: sqlx::Error) -> ApiError {
    (StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
}

async fn document(State(pool): State<PgPool>, Path(id): Path<i64>) -> Result<Json<Document>, ApiError> {
    let row: Option<(i64, String, Vector)> =
        sqlx::query_as("SELECT id, title, embedding FROM documents WHERE id = $1")
            .bind(id)
            .fetch_optional(&pool)
            .await
            .map_err(internal)?;
    let (id, title, embedding) = row.ok_or((StatusCode::NOT_FOUND, format!("no document {id}")))?;
    Ok(Json(Document {
        id,
        title,
        dimensions: embedding.as_slice().len(),
    }))
}

async fn neighbours(
    State(pool): State<PgPool>,
    Path(id): Path<i64>,
    Query(query): Query<NeighbourQuery>,
) -> Result<Json<Vec<Neighbour>>, ApiError> {
    let limit = query.limit.unwrap_or(3).clamp(1, 100);
    let rows = sqlx::query!(
        r#"SELECT other.id, other.title, (other.embedding <=> this.embedding)::float8 AS "distance!"
             FROM documents this
             JOIN documents other ON other.id <> this.id
            WHERE this.id = $1
            ORDER BY other.embedding <=> this.embedding
            LIMIT $2"#,
        id,
        limit
    )
    .fetch_all(&pool)
    .await
    .map_err(internal)?;
    Ok(Json(
        rows.into_iter()
            .map(|row| Neighbour {
                id: row.id,
                title: row.title,
                distance: row.distance,
            })
            .collect(),
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let database_url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    let port: u16 = std::env::var("PORT").unwrap_or_else(|_| "8080".into()).parse()?;
    let pool = PgPoolOptions::new().max_connections(5).connect(&database_url).await?;
    let app = Router::new()
        .route("/documents/{id}", get(document))
        .route("/documents/{id}/neighbours", get(neighbours))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    eprintln!("pgvector-app listening on port {port}");
    axum::serve(listener, app).await?;
    Ok(())
}
