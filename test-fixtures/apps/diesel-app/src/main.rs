//! A small Diesel + pgvector app, laid out as crates.io is.
//!
//! - `diesel-app`: serves `GET /documents/{id}/neighbours` on `$PORT`: the other documents,
//!   nearest first by cosine distance, as JSON.
//! - `diesel-app migrate`: applies the pending migrations with diesel_migrations' harness
//!   (`embed_migrations!` + `run_pending_migrations`), as crates.io's release phase does.
//!
//! Reads `DATABASE_URL` and `PORT`. The server is std only, one connection per request.

mod schema;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use pgvector::{Vector, VectorExpressionMethods};
use std::error::Error;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

use crate::schema::documents;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

fn connect() -> Result<PgConnection> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    Ok(PgConnection::establish(&url)?)
}

/// Applies every pending migration, printing each version.
fn migrate() -> Result<()> {
    let mut connection = connect()?;
    for version in connection.run_pending_migrations(MIGRATIONS)? {
        println!("applied {version}");
    }
    Ok(())
}

/// The other documents, nearest to document `id` first, as a JSON array.
fn neighbours(id: i64) -> Result<Option<String>> {
    let mut connection = connect()?;
    let embedding: Option<Vector> = documents::table
        .find(id)
        .select(documents::embedding)
        .first(&mut connection)
        .optional()?;
    let Some(embedding) = embedding else {
        return Ok(None);
    };
    let rows: Vec<(i64, String, f64)> = documents::table
        .filter(documents::id.ne(id))
        .select((
            documents::id,
            documents::title,
            documents::embedding.cosine_distance(&embedding),
        ))
        .order(documents::embedding.cosine_distance(&embedding))
        .load(&mut connection)?;
    let items: Vec<String> = rows
        .iter()
        .map(|(id, title, distance)| {
            format!(
                "{{\"id\":{id},\"title\":\"{}\",\"distance\":{distance}}}",
                title.replace('\\', "\\\\").replace('"', "\\\"")
            )
        })
        .collect();
    Ok(Some(format!("[{}]", items.join(","))))
}

/// Answers one request: `GET /documents/{id}/neighbours`, else 404.
fn answer(stream: &mut TcpStream) -> Result<()> {
    let mut request_line = String::new();
    BufReader::new(&*stream).read_line(&mut request_line)?;
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let id = path
        .strip_prefix("/documents/")
        .and_then(|rest| rest.strip_suffix("/neighbours"))
        .and_then(|id| id.parse::<i64>().ok());
    let (status, body) = match id.map(neighbours) {
        Some(Ok(Some(json))) => ("200 OK", json),
        Some(Ok(None)) | None => ("404 Not Found", "{\"error\":\"not found\"}".to_string()),
        Some(Err(error)) => (
            "500 Internal Server Error",
            format!("{{\"error\":\"{}\"}}", error.to_string().replace('"', "'")),
        ),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )?;
    Ok(())
}

fn serve() -> Result<()> {
    let port: u16 = std::env::var("PORT")
        .unwrap_or_else(|_| "8080".into())
        .parse()?;
    let listener = TcpListener::bind(("0.0.0.0", port))?;
    eprintln!("diesel-app listening on port {port}");
    for stream in listener.incoming() {
        let mut stream = stream?;
        if let Err(error) = answer(&mut stream) {
            eprintln!("request failed: {error}");
        }
    }
    Ok(())
}

fn main() -> Result<()> {
    match std::env::args().nth(1).as_deref() {
        Some("migrate") => migrate(),
        None => serve(),
        Some(other) => Err(format!("unknown command `{other}`; use `migrate` or nothing").into()),
    }
}
