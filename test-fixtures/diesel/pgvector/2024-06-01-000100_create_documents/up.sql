CREATE TABLE documents (
    id BIGSERIAL PRIMARY KEY,
    body TEXT NOT NULL,
    embedding vector(3) NOT NULL
);
INSERT INTO documents (body, embedding) VALUES ('a', '[1,0,0]'), ('b', '[0,1,0]');
