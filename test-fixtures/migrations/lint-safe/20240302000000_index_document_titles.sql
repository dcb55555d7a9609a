-- no-transaction
-- Search by title, built without blocking writes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS documents_title_idx ON documents (title);
