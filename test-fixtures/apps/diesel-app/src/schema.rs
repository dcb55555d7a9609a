// @generated automatically by Diesel CLI.

diesel::table! {
    use diesel::sql_types::*;
    use pgvector::sql_types::*;

    documents (id) {
        id -> Int8,
        title -> Text,
        embedding -> Vector,
    }
}
