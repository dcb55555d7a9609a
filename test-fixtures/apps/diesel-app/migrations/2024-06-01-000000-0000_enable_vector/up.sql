-- pgvector: the `vector` type and its index methods.
CREATE EXTENSION IF NOT EXISTS vector;
