-- HNSW (pgvector >= 0.5.0), built without locking writes.
CREATE INDEX CONCURRENTLY documents_embedding_hnsw ON documents USING hnsw (embedding vector_cosine_ops);
