//! A sqlx 0.6 app whose query is checked at compile time: against `sqlx-data.json` when
//! SQLX_OFFLINE=true, else against the database in DATABASE_URL.

fn main() {
    // Building the query is enough for the macro to check it; nothing connects at run time.
    let query = sqlx::query!(r#"SELECT 40 + 2 AS "answer!""#);
    let _ = query;
    println!("sqlx06-offline checked its query at compile time");
}
