DROP INDEX CONCURRENTLY IF EXISTS documents_embedding_hnsw;
