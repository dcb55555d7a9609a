-- Documents with small (3-dimension) embeddings, and a few to search.
CREATE TABLE documents (
    id bigserial PRIMARY KEY,
    title text NOT NULL,
    embedding vector(3) NOT NULL
);

INSERT INTO documents (title, embedding) VALUES
    ('harbour cranes', '[1, 0, 0]'),
    ('harbour tugboats', '[0.9, 0.1, 0]'),
    ('mountain goats', '[0, 1, 0]'),
    ('desert foxes', '[0, 0, 1]');
