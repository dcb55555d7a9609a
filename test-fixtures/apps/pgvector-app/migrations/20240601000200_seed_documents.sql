-- Seed documents with deterministic embeddings: cos(0.01 * i + k) over the 1536 dimensions,
-- so documents with close `k` are close in cosine distance (about 1 - cos(k1 - k2)).
INSERT INTO documents (title, embedding)
SELECT seed.title,
       (SELECT array_agg(cos(0.01 * dimension + seed.k)::real ORDER BY dimension)
          FROM generate_series(1, 1536) AS dimension)::vector(1536)
  FROM (VALUES ('harbour cranes', 0.0),
               ('harbour tugboats', 0.1),
               ('mountain goats', 1.5),
               ('mountain huts', 1.6),
               ('desert foxes', 3.0)) AS seed (title, k);
