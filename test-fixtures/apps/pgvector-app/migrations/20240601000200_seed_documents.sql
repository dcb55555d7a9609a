-- Seed documents whose embeddings are deterministic: sin(i * k) over the 1536 dimensions, so
-- documents with close `k` are close in cosine distance.
INSERT INTO documents (title, embedding)
SELECT seed.title,
       (SELECT array_agg(sin(dimension * seed.k)::real ORDER BY dimension)
          FROM generate_series(1, 1536) AS dimension)::vector(1536)
  FROM (VALUES ('harbour cranes', 1.00),
               ('harbour tugboats', 1.01),
               ('mountain goats', 2.50),
               ('mountain huts', 2.52),
               ('desert foxes', 4.00)) AS seed (title, k);
