-- Documents with OpenAI-sized (1536-dimension) embeddings.
CREATE TABLE documents (
    id bigserial PRIMARY KEY,
    title text NOT NULL,
    embedding vector(1536) NOT NULL
);

-- HNSW (pgvector >= 0.5.0) for fast cosine-distance nearest neighbours.
CREATE INDEX documents_embedding_hnsw ON documents USING hnsw (embedding vector_cosine_ops);
