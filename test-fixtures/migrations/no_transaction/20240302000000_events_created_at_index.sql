-- no-transaction
-- CREATE INDEX CONCURRENTLY cannot run inside a transaction block.
CREATE INDEX CONCURRENTLY events_created_at_idx ON events (created_at);
