CREATE INDEX CONCURRENTLY documents_embedding ON documents USING hnsw (embedding vector_l2_ops);
