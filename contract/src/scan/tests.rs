//! The scan over many SQL shapes: each pgvector word as a type (or access
//! method, or function) counts; the same word as a name, in a comment or in a
//! string does not.

use super::*;
use Feature::{
    BinaryQuantize, BitIndex, Extension, HalfVec, Hnsw, IterativeScan, Ivfflat, SparseVec,
    VectorType,
};

/// The features `sql` uses, in order (also for the crate's own tests).
pub(crate) fn features(sql: &str) -> Vec<Feature> {
    scan_sql("m.sql", sql)
        .findings
        .into_iter()
        .map(|finding| finding.feature)
        .collect()
}

/// Asserts each SQL text uses exactly the features listed.
fn assert_table(cases: &[(&str, &[Feature])]) {
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|(sql, expected)| {
            let found = features(sql);
            (found != *expected).then(|| format!("{sql}\n  expected {expected:?}, found {found:?}"))
        })
        .collect();
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn pgvector_words_used_as_names_need_nothing() {
    assert_table(&[
        ("CREATE TABLE wind (id bigint, vector text);", &[]),
        ("CREATE TABLE wind (vector text, id bigint);", &[]),
        ("create table wind (id bigint, VECTOR text not null);", &[]),
        ("CREATE TABLE vector (id bigint);", &[]),
        ("CREATE TABLE IF NOT EXISTS public.vector (id int);", &[]),
        ("CREATE TABLE \"vector\" (\"hnsw\" int);", &[]),
        ("CREATE TABLE t (\"vector\" text);", &[]),
        ("CREATE TABLE t (e \"Vector\"(3));", &[]),
        (
            "CREATE TABLE hnsw (ivfflat int, halfvec text, sparsevec text, binary_quantize int);",
            &[],
        ),
        ("SELECT vector FROM wind;", &[]),
        (
            "SELECT id, vector FROM wind WHERE vector IS NOT NULL ORDER BY vector;",
            &[],
        ),
        ("SELECT w.vector FROM wind w WHERE w.vector <> '';", &[]),
        (
            "SELECT DISTINCT vector, count(vector) FROM wind GROUP BY vector;",
            &[],
        ),
        ("SELECT x AS vector FROM t;", &[]),
        (
            "INSERT INTO wind (id, vector) VALUES (1, 'north') RETURNING vector;",
            &[],
        ),
        ("INSERT INTO vector VALUES (1);", &[]),
        ("UPDATE wind SET vector = 'x' WHERE vector = 'y';", &[]),
        ("UPDATE vector SET id = 2;", &[]),
        ("DELETE FROM vector WHERE id = 1;", &[]),
        ("ALTER TABLE wind RENAME COLUMN vector TO direction;", &[]),
        ("ALTER TABLE wind RENAME COLUMN direction TO vector;", &[]),
        ("ALTER TABLE wind ADD COLUMN vector text;", &[]),
        ("ALTER TABLE wind ADD vector text;", &[]),
        ("ALTER TABLE wind DROP COLUMN vector;", &[]),
        (
            "ALTER TABLE wind ALTER COLUMN vector TYPE varchar(10);",
            &[],
        ),
        ("ALTER TABLE vector ADD COLUMN id int;", &[]),
        ("CREATE INDEX ON wind (vector);", &[]),
        ("CREATE INDEX CONCURRENTLY vector ON wind (id);", &[]),
        ("CREATE UNIQUE INDEX wind_vector ON wind (id, vector);", &[]),
        ("CREATE VIEW vector AS SELECT 1;", &[]),
        ("CREATE TABLE t (id int REFERENCES vector (id));", &[]),
        (
            "COMMENT ON COLUMN wind.vector IS 'a vector(3) in words';",
            &[],
        ),
        ("GRANT SELECT ON vector TO app;", &[]),
        ("WITH vector AS (SELECT 1) SELECT * FROM vector;", &[]),
        ("CREATE TYPE vector AS (x int);", &[]),
        ("DROP EXTENSION IF EXISTS vector;", &[]),
        ("CREATE EXTENSION IF NOT EXISTS pg_trgm;", &[]),
        ("CREATE EXTENSION \"Vector\";", &[]),
        (
            "CREATE FUNCTION f(a int) RETURNS bigint AS $$ SELECT count(vector) FROM wind $$ LANGUAGE sql;",
            &[],
        ),
    ]);
}

#[test]
fn comments_and_strings_need_nothing() {
    assert_table(&[
        ("-- we might use hnsw and vector(3) later\nSELECT 1;", &[]),
        (
            "/* CREATE EXTENSION vector; /* nested halfvec */ sparsevec */ SELECT 1;",
            &[],
        ),
        (
            "INSERT INTO notes (body) VALUES ('hnsw vector iterative_scan ''::vector');",
            &[],
        ),
        (
            "INSERT INTO notes (body) VALUES (E'it''s a \\' vector');",
            &[],
        ),
        ("SELECT 'x::vector(3)' AS note;", &[]),
    ]);
}

#[test]
fn the_vector_type_counts_wherever_a_type_goes() {
    assert_table(&[
        ("CREATE TABLE items (embedding vector(3));", &[VectorType]),
        ("CREATE TABLE items (embedding vector);", &[VectorType]),
        (
            "CREATE TABLE items (id int, embedding VECTOR(3) NOT NULL);",
            &[VectorType],
        ),
        ("CREATE TABLE items (embedding vector(3)[]);", &[VectorType]),
        (
            "CREATE TABLE items (embedding extensions.vector(3));",
            &[VectorType],
        ),
        (
            "CREATE TABLE items (embedding \"extensions\".vector(3));",
            &[VectorType],
        ),
        (
            "CREATE TABLE items (embedding public.\"vector\");",
            &[VectorType],
        ),
        (
            "CREATE TABLE items (embedding \"vector\"(3));",
            &[VectorType],
        ),
        (
            "CREATE TABLE items (\"Embedding\" vector(3));",
            &[VectorType],
        ),
        ("CREATE TABLE items (vector vector(3));", &[VectorType]),
        (
            "ALTER TABLE items ADD COLUMN embedding vector(3);",
            &[VectorType],
        ),
        (
            "ALTER TABLE items ADD COLUMN IF NOT EXISTS e vector;",
            &[VectorType],
        ),
        (
            "ALTER TABLE items ALTER COLUMN embedding TYPE vector(3);",
            &[VectorType],
        ),
        (
            "ALTER TABLE items ALTER embedding SET DATA TYPE public.vector(3) USING embedding::public.vector(3);",
            &[VectorType, VectorType],
        ),
        ("SELECT '[1,2,3]'::vector;", &[VectorType]),
        (
            "SELECT '[1,2,3]'::extensions.vector <-> '[3,2,1]';",
            &[VectorType],
        ),
        (
            "SELECT ARRAY['[1]'::vector]::vector[];",
            &[VectorType, VectorType],
        ),
        ("SELECT CAST('[1,2]' AS vector);", &[VectorType]),
        ("SELECT CAST('[1,2]' AS vector(2));", &[VectorType]),
        ("CREATE DOMAIN embedding AS vector(3);", &[VectorType]),
        ("CREATE DOMAIN embedding AS vector;", &[VectorType]),
        (
            "CREATE FUNCTION f(a vector, b vector) RETURNS vector LANGUAGE sql AS 'SELECT a';",
            &[VectorType, VectorType, VectorType],
        ),
        (
            "CREATE OR REPLACE FUNCTION f(vector, integer) RETURNS SETOF vector AS $$ SELECT $1 $$ LANGUAGE sql;",
            &[VectorType, VectorType],
        ),
        ("DROP FUNCTION IF EXISTS f(vector);", &[VectorType]),
        (
            "CREATE CAST (vector AS real[]) WITH FUNCTION f(vector);",
            &[VectorType, VectorType],
        ),
        (
            "CREATE CAST (real[] AS vector) WITHOUT FUNCTION;",
            &[VectorType],
        ),
        (
            "CREATE AGGREGATE vsum(vector) (SFUNC = vector_add, STYPE = vector);",
            &[VectorType, VectorType],
        ),
        (
            "CREATE FUNCTION f() RETURNS void AS $body$ SELECT '[1]'::vector; $body$ LANGUAGE sql;",
            &[VectorType],
        ),
        ("DO $$ DECLARE v vector(3); BEGIN END $$;", &[VectorType]),
        ("ALTER EXTENSION vector UPDATE;", &[VectorType]),
    ]);
}

#[test]
fn the_other_types_access_methods_and_functions_count_in_place() {
    assert_table(&[
        (
            "CREATE TABLE t (h halfvec(3), s sparsevec(5));",
            &[HalfVec, SparseVec],
        ),
        (
            "SELECT '[1]'::halfvec, '{1:1}/3'::public.sparsevec;",
            &[HalfVec, SparseVec],
        ),
        (
            "CREATE INDEX ON items USING hnsw (embedding vector_cosine_ops);",
            &[Hnsw, VectorType],
        ),
        (
            "CREATE INDEX ON items USING ivfflat (vector vector_l2_ops) WITH (lists = 100);",
            &[Ivfflat, VectorType],
        ),
        (
            "CREATE INDEX ON t USING hnsw (h halfvec_l2_ops);",
            &[Hnsw, HalfVec],
        ),
        ("SET hnsw.ef_search = 100;", &[Hnsw]),
        (
            "ALTER DATABASE app SET hnsw.iterative_scan = relaxed_order;",
            &[Hnsw, IterativeScan],
        ),
        (
            "SELECT binary_quantize(e)::bit(3) FROM t;",
            &[BinaryQuantize],
        ),
        (
            "CREATE INDEX ON t USING hnsw ((binary_quantize(e)::bit(3)) bit_hamming_ops);",
            &[Hnsw, BinaryQuantize, BitIndex],
        ),
        (
            "CREATE OPERATOR CLASS c FOR TYPE vector USING hnsw AS OPERATOR 1 <->;",
            &[VectorType, Hnsw],
        ),
    ]);
}

#[test]
fn create_extension_vector_in_every_form() {
    assert_table(&[
        ("CREATE EXTENSION vector;", &[Extension]),
        ("create extension VECTOR;", &[Extension]),
        ("CREATE EXTENSION IF NOT EXISTS vector;", &[Extension]),
        ("CREATE EXTENSION IF NOT EXISTS \"vector\";", &[Extension]),
        (
            "CREATE EXTENSION vector WITH SCHEMA extensions;",
            &[Extension],
        ),
        (
            "CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA \"My Ext\" VERSION '0.8.0';",
            &[Extension],
        ),
        (
            "CREATE EXTENSION IF NOT EXISTS vector SCHEMA public CASCADE;",
            &[Extension],
        ),
    ]);
}

#[test]
fn the_type_after_a_column_named_like_a_keyword_counts() {
    let mut cases: Vec<(String, &[Feature])> = Vec::new();
    for name in [
        "key",
        "comment",
        "index",
        "role",
        "schema",
        "sequence",
        "domain",
        "extension",
    ] {
        cases.push((format!("CREATE TABLE t ({name} vector(3));"), &[VectorType]));
        cases.push((
            format!("CREATE TABLE t (id int, {name} vector(3));"),
            &[VectorType],
        ));
        cases.push((
            format!("ALTER TABLE t ADD COLUMN {name} vector(3);"),
            &[VectorType],
        ));
        cases.push((format!("ALTER TABLE t ADD {name} halfvec(3);"), &[HalfVec]));
        cases.push((
            format!("ALTER TABLE t ADD COLUMN IF NOT EXISTS {name} vector(3);"),
            &[VectorType],
        ));
        cases.push((
            format!("CREATE TYPE p AS ({name} vector(3));"),
            &[VectorType],
        ));
    }
    let mut fixed: Vec<(&str, &[Feature])> = vec![
        (
            "CREATE FUNCTION f(IN vector) RETURNS int AS 'select 1' LANGUAGE sql;",
            &[VectorType],
        ),
        (
            "CREATE FUNCTION f(v IN vector) RETURNS int AS 'select 1' LANGUAGE sql;",
            &[VectorType],
        ),
        ("SELECT vector '[1,2,3]';", &[VectorType]),
        (
            "CREATE FUNCTION f() RETURNS void AS $$ SELECT '[1]'::vector$$ LANGUAGE sql;",
            &[VectorType],
        ),
        (
            "CREATE FUNCTION f() RETURNS void AS $body$ SELECT '[1]'::vector$body$ LANGUAGE sql;",
            &[VectorType],
        ),
        // Still names, not types.
        ("ALTER TABLE wind ADD COLUMN vector text;", &[]),
        (
            "CREATE TABLE t (id int, CONSTRAINT vector CHECK (id > 0));",
            &[],
        ),
        ("SELECT key vector FROM t;", &[]),
    ];
    let owned: Vec<(&str, &[Feature])> = cases.iter().map(|(s, f)| (s.as_str(), *f)).collect();
    fixed.extend(owned);
    assert_table(&fixed);
}
