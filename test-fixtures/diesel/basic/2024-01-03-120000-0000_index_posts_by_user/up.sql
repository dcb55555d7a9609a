CREATE INDEX CONCURRENTLY IF NOT EXISTS posts_user_id ON posts (user_id);
